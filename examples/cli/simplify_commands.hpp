// SPDX-License-Identifier: Apache-2.0
#pragma once
// posttrain simplify-pairs: translation pairs → simplification pairs (the Trans-SS filter).
// posttrain readability: words, sentences, syllables, FRE and FKGL of each input line.

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include <posttrain/io/files.hpp>
#include <posttrain/simplify.hpp>
#include <posttrain/simplify/pairs.hpp>

#include "command.hpp"
#include "host_backend.hpp"
#include "line_batches.hpp"
#include "settings.hpp"

namespace posttrain::cli {
namespace simplify_cmd {

inline simplify::language parse_language(const arguments& args) {
  const std::string l = args.option("language").value_or("en");
  if (l == "en") return simplify::language::english;
  if (l == "fr") return simplify::language::french;
  if (l == "es") return simplify::language::spanish;
  if (l == "de") return simplify::language::german;
  throw usage_error("--language must be en, fr, es or de, not '" + l + "'");
}


/// What counts syllables: the dictionary of --dictionary, a model learned from it with
/// --learn-syllables (for the words it lacks), else the heuristic of the language.
struct syllable_source {
  std::unique_ptr<simplify::pronouncing_dictionary> dictionary;
  std::unique_ptr<simplify::syllable_model> model;
  simplify::syllable_counter counter(simplify::language lang) const { return {dictionary.get(), lang, model.get()}; }
  /// For the settings signature: what counts the syllables.
  const char* name() const { return !dictionary ? "heuristic" : model ? "cmu+learned" : "cmu+heuristic"; }
};

inline syllable_source load_syllables(const arguments& args) {
  syllable_source s;
  const auto path = args.option("dictionary");
  if (args.flag("learn-syllables") && !path) throw usage_error("--learn-syllables needs --dictionary");
  if (!path) return s;
  s.dictionary = std::make_unique<simplify::pronouncing_dictionary>(simplify::pronouncing_dictionary::load(*path));
  if (args.flag("learn-syllables"))
    s.model = std::make_unique<simplify::syllable_model>(simplify::syllable_model::train(*s.dictionary));
  return s;
}

/// Appends "\t" and x with three decimals (as printf's %.3f: both round the exact binary value).
inline void append_fixed3(std::string& out, double x) {
  char buffer[64];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::fixed, 3);
  out += '\t';
  out.append(buffer, r.ptr);
}

inline void append_integer(std::string& out, long long x, bool tab = true) {
  char buffer[24];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, x);
  if (tab) out += '\t';
  out.append(buffer, r.ptr);
}

inline int run_pairs(const arguments& args) {
  simplify::pair_filter_options o;
  o.min_bleu = number_option(args, "min-bleu", o.min_bleu);
  o.min_difference = number_option(args, "min-difference", o.min_difference);
  o.min_words = index_t(integer_option(args, "min-words", o.min_words, 0));
  const double max_bad_fraction = number_option(args, "max-bad-fraction", 0);
  if (!(max_bad_fraction >= 0 && max_bad_fraction <= 1)) throw usage_error("--max-bad-fraction must be in [0, 1]");
  o.lang = parse_language(args);
  if (auto u = args.option("unknown")) o.unknown_token = *u;
  if (auto s = args.option("score")) {
    if (*s == "fre") o.score = simplify::readability_score::flesch_reading_ease;
    else if (*s == "fkgl") o.score = simplify::readability_score::flesch_kincaid_grade;
    else throw usage_error("--score must be fre or fkgl, not '" + *s + "'");
  }
  const auto source = load_syllables(args);
  const simplify::syllable_counter syllables = source.counter(o.lang);
  // One TSV file, or two parallel files.
  const auto ref_file = args.option("reference"), mt_file = args.option("translation");
  if (bool(ref_file) != bool(mt_file)) throw usage_error("--reference and --translation go together");
  if (ref_file && !args.positional().empty()) throw usage_error("give a TSV FILE or --reference/--translation, not both");
  if (!ref_file && args.positional().size() > 1) throw usage_error("expected one TSV FILE");
  std::unique_ptr<std::ifstream> f1, f2;
  std::istream& in1 = open_or_stdin(ref_file ? *ref_file : (args.positional().empty() ? "-" : args.positional()[0]), f1);
  std::istream* in2 = mt_file ? &open_or_stdin(*mt_file, f2) : nullptr;

  const host_backend_for_cli be;
  const bool progress = isatty(2) != 0;
  constexpr std::size_t batch = 16384;
  const std::size_t max_line = max_line_bytes(args);
  const std::string name1 = ref_file ? *ref_file : (args.positional().empty() ? "-" : args.positional()[0]);
  line_batches reader1(in1, name1 == "-" ? "<stdin>" : name1, max_line);
  std::unique_ptr<line_batches> reader2 = in2 ? std::make_unique<line_batches>(*in2, *mt_file, max_line) : nullptr;
  std::vector<std::string_view> reference(batch), translation(batch);
  std::vector<long> line_of(batch);
  std::vector<simplify::pair_decision> decisions(batch);
  // What each line of a batch is. The TSV dialect (io::tsv_dialect): a blank line is no record;
  // a record is two fields.
  enum : char { pair_record, malformed_record, blank_line };
  std::vector<char> kind(batch);
  long line_no = 0, pairs = 0, bad = 0;
  std::vector<long> bad_lines;
  long counts[6] = {};
  std::string out;
  const char* score_name = o.score == simplify::readability_score::flesch_reading_ease ? "fre" : "fkgl";
  if (!args.flag("no-header")) {
    std::printf("complex\tsimple\t%s_complex\t%s_simple\tbleu\n", score_name, score_name);
    check_stdout();
  }
  for (;;) {
    // Read a batch (constant memory), judge it on all threads, write it in input order.
    const auto& first = reader1.next(batch);
    const std::size_t n = first.size();
    if (reader2) {
      const auto& second = reader2->next(std::max<std::size_t>(n, 1));
      if (second.size() < n) throw std::runtime_error(*mt_file + " has fewer lines than " + *ref_file);
      if (n == 0 && !second.empty()) throw std::runtime_error(*mt_file + " has more lines than " + *ref_file);
      for (std::size_t i = 0; i < n; ++i) reference[i] = first[i], translation[i] = second[i], kind[i] = pair_record;
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        const std::string_view line = first[i];
        const auto tab = line.find('\t');
        kind[i] = line.empty() ? blank_line
                  : tab == std::string_view::npos || line.find('\t', tab + 1) != std::string_view::npos ? malformed_record
                                                                                                       : pair_record;
        if (kind[i] == pair_record) reference[i] = line.substr(0, tab), translation[i] = line.substr(tab + 1);
      }
    }
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) line_of[i] = ++line_no;
    be.parallel_for(index_t(n), [&](index_t r0, index_t r1) {
      for (index_t i = r0; i < r1; ++i)
        if (kind[std::size_t(i)] == pair_record)
          decisions[std::size_t(i)] = simplify::judge_pair(reference[std::size_t(i)], translation[std::size_t(i)], o,
                                                           syllables);
    });
    out.clear();
    for (std::size_t i = 0; i < n; ++i) {
      if (kind[i] == blank_line) continue;
      if (kind[i] == malformed_record) {
        ++bad;
        if (bad_lines.size() < 5) bad_lines.push_back(line_of[i]);
        continue;
      }
      ++pairs;
      const auto& d = decisions[i];
      ++counts[int(d.verdict)];
      if (d.verdict != simplify::pair_verdict::kept) continue;
      const bool ref_simple = d.reference_is_simple;
      const std::string_view complex = ref_simple ? translation[i] : reference[i];
      const std::string_view simple = ref_simple ? reference[i] : translation[i];
      const double rc = ref_simple ? d.translation_score : d.reference_score;
      const double rs = ref_simple ? d.reference_score : d.translation_score;
      out += complex, out += '\t', out += simple;
      append_fixed3(out, rc), append_fixed3(out, rs), append_fixed3(out, d.bleu);
      out += '\n';
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    check_stdout();
    if (progress) std::fprintf(stderr, "\r%ld pairs, %ld kept", pairs, counts[0]);
  }
  if (progress) std::fprintf(stderr, "\n");
  std::fprintf(stderr, "posttrain simplify-pairs: %ld pairs: kept %ld; dropped identical %ld, too_short %ld, "
                       "unknown_token %ld, low_bleu %ld, small_difference %ld",
               pairs, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
  if (bad > 0) {
    std::fprintf(stderr, "; %ld malformed line(s) (not two tab-separated fields), first at line", bad);
    for (const long l : bad_lines) std::fprintf(stderr, " %ld", l);
  }
  const auto signature = settings{}
                             .add("score", score_name)
                             .add("lang", args.option("language").value_or("en"))
                             .add("min-bleu", o.min_bleu)
                             .add("min-difference", o.min_difference)
                             .add("min-words", static_cast<long long>(o.min_words))
                             .add("unknown", o.unknown_token)
                             .add("syllables", source.name())
                             .add("bleu", "13a-lc-exp")
                             .add("max-bad-fraction", max_bad_fraction)
                             .signature();
  std::fprintf(stderr, "; settings %s\n", signature.c_str());
  // Malformed records beyond the allowed share: the output is not what the input meant.
  const long records = pairs + bad;
  if (bad > 0 && double(bad) > max_bad_fraction * double(records)) {
    std::fprintf(stderr,
                 "posttrain simplify-pairs: %ld of %ld records (%.2f%%) are malformed, more than --max-bad-fraction %g "
                 "allows; failing\n",
                 bad, records, 100.0 * double(bad) / double(records), max_bad_fraction);
    return 1;
  }
  return 0;
}

inline const bool pairs_registered = add(command{
    "simplify-pairs",
    "keep translation pairs whose readability differs (Trans-SS): TSV in, TSV out",
    "usage: posttrain simplify-pairs [--min-bleu B] [--min-difference D] [--min-words N]\n"
    "                                [--score fre|fkgl] [--language en|fr|es|de] [--dictionary PATH]\n"
    "                                [--learn-syllables] [--unknown TOKEN] [--max-bad-fraction F]\n"
    "                                [--no-header] (FILE | --reference A --translation B)\n\n"
    "Reads reference<TAB>translation lines (FILE, '-' or none: standard input) or two parallel\n"
    "files, and writes complex<TAB>simple<TAB>R_complex<TAB>R_simple<TAB>bleu for each kept pair, in\n"
    "input order. A pair is kept iff the sides differ (ignoring case), both have more than N words\n"
    "(3), the translation has no TOKEN (<unk>), sentence BLEU(translation, reference) > B (15;\n"
    "13a, lowercase, exp smoothing) and |R(reference) − R(translation)| > D (10), R the score\n"
    "(FRE, or FKGL). The easier side is the simple one. --dictionary counts syllables with a CMU\n"
    "dictionary (e.g. pocketsphinx-en-us's cmudict-en-us.dict), the heuristic where it has no entry;\n"
    "--learn-syllables replaces that heuristic by letter rules learned from the dictionary (a few s).\n"
    "The output starts with a header line (complex, simple, fre_complex or fkgl_complex, ...)\n"
    "unless --no-header. TSV is tab-separated with no quoting (a quote is an ordinary character);\n"
    "blank lines are skipped. Runs in batches on all cores with constant memory; a progress line\n"
    "on a terminal; the kept and dropped counts by reason, malformed records (not two fields;\n"
    "skipped) and the settings on stderr at the end. More malformed records than\n"
    "--max-bad-fraction F of all (default 0: any) make the exit status 1.\n",
    {"min-bleu", "min-difference", "min-words", "score", "language", "dictionary", "unknown", "reference",
     "translation", "max-line-bytes", "max-bad-fraction"},
    {"learn-syllables", "no-header"},
    run_pairs});

inline int run_readability(const arguments& args) {
  const auto lang = parse_language(args);
  const auto source = load_syllables(args);
  const simplify::syllable_counter syllables = source.counter(lang);
  if (args.positional().size() > 1) throw usage_error("expected one FILE");
  std::unique_ptr<std::ifstream> f;
  std::istream& in = open_or_stdin(args.positional().empty() ? "-" : args.positional()[0], f);
  if (!args.flag("no-header")) std::fputs("words\tsentences\tsyllables\tfre\tfkgl\tinvalid_bytes\n", stdout);
  // Batches of lines: read in blocks, counted and formatted on all threads in chunks, written
  // in input order (constant memory).
  const host_backend_for_cli be;
  constexpr std::size_t batch = 65536, chunk = 1024;
  const std::string name = args.positional().empty() ? "-" : args.positional()[0];
  line_batches reader(in, name == "-" ? "<stdin>" : name, max_line_bytes(args));
  std::vector<std::string> formatted(batch / chunk);
  long long total = 0;
  const bool progress = isatty(2) != 0;
  for (;;) {
    const auto& lines = reader.next(batch);
    if (lines.empty()) break;
    const std::size_t chunks = (lines.size() + chunk - 1) / chunk;
    be.parallel_for(index_t(chunks), [&](index_t c0, index_t c1) {
      for (auto c = std::size_t(c0); c < std::size_t(c1); ++c) {
        std::string& out = formatted[c];
        out.clear();
        for (std::size_t i = c * chunk; i < std::min(lines.size(), (c + 1) * chunk); ++i) {
          const auto counts = simplify::count_text(lines[i], syllables);
          append_integer(out, counts.words, false);
          append_integer(out, counts.sentences);
          append_integer(out, counts.syllables);
          // A line without words has no score (the formulas would give FRE 206.835): nan.
          const double nan = std::numeric_limits<double>::quiet_NaN();
          append_fixed3(out, counts.words > 0 ? simplify::flesch_reading_ease(counts, lang) : nan);
          append_fixed3(out, counts.words > 0 ? simplify::flesch_kincaid_grade(counts) : nan);
          append_integer(out, static_cast<long long>(counts.invalid_bytes));
          out += '\n';
        }
      }
    });
    for (std::size_t c = 0; c < chunks; ++c) std::fwrite(formatted[c].data(), 1, formatted[c].size(), stdout);
    check_stdout();
    total += lines.size();
    if (progress) std::fprintf(stderr, "\rposttrain readability: %lld lines", total);
  }
  if (progress) std::fprintf(stderr, "\n");
  const auto signature = settings{}
                             .add("lang", args.option("language").value_or("en"))
                             .add("syllables", source.name())
                             .add("empty-line", "nan")
                             .signature();
  std::fprintf(stderr, "posttrain readability: %lld line(s); settings %s\n", total, signature.c_str());
  return 0;
}

inline const bool readability_registered = add(command{
    "readability",
    "words, sentences, syllables, FRE and FKGL of each line, as TSV",
    "usage: posttrain readability [--language en|fr|es|de] [--dictionary PATH [--learn-syllables]]\n"
    "                             [--no-header] [FILE]\n\n"
    "For each line of FILE ('-' or none: standard input) prints words, sentences, syllables, the\n"
    "Flesch reading ease of the language, the Flesch–Kincaid grade and the count of invalid UTF-8\n"
    "bytes (replaced, never an error); a line without words scores nan. --dictionary: a CMU\n"
    "pronouncing dictionary for syllables; --learn-syllables: letter rules learned from it for the\n"
    "words it lacks, not the heuristic. --max-line-bytes N: the longest line accepted (16 MiB).\n"
    "The output starts with a header line unless --no-header; the line count and the settings go\n"
    "to stderr at the end (with progress on a terminal).\n",
    {"language", "dictionary", "max-line-bytes"},
    {"learn-syllables", "no-header"},
    run_readability});

}  // namespace simplify_cmd
}  // namespace posttrain::cli
