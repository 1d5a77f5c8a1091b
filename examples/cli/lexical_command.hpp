// SPDX-License-Identifier: Apache-2.0
#pragma once
// posttrain segment: Chinese word segmentation, jieba's way, one line at a time.
// posttrain lexical-simplify: ranked substitutes for complex words in their sentences (TSAR-2022
// or CLS format in, TSAR-2022 format out), and with --gold the benchmarks' metrics as JSON.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <posttrain/simplify/lexical_pipeline.hpp>
#include <posttrain/simplify/tsar_metrics.hpp>
#include <posttrain/text/chinese_segmenter.hpp>

#include "command.hpp"
#include "host_backend.hpp"
#include "json_writer.hpp"
#include "line_batches.hpp"
#include "settings.hpp"

namespace posttrain::cli {
namespace lexical_cmd {

/// The feature names of --features (comma-separated), and what they switch on.
inline simplify::ranking_options parse_features(const std::string& list) {
  std::vector<std::string> names;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) names.push_back(name);
  try {
    return simplify::ranking_features(names);
  } catch (const value_error& e) {
    throw usage_error(std::string("--features: ") + e.what());
  }
}

inline std::vector<simplify::lexical_instance> read_input(const std::string& path, const std::string& format) {
  const std::string name = path == "-" ? "<stdin>" : path;
  std::unique_ptr<std::ifstream> file;
  std::istream& in = open_or_stdin(path, file);
  return format == "cls" ? simplify::read_cls(in, name) : simplify::read_tsar(in, name);
}

inline int run(const arguments& args) {
  const std::string lang = args.option("lang").value_or("");
  if (lang != "zh" && lang != "en" && lang != "es" && lang != "pt")
    throw usage_error(lang.empty() ? "--lang is required (zh, en, es or pt)" : "--lang must be zh, en, es or pt, not '" + lang + "'");
  const bool chinese = lang == "zh";
  const std::string format = args.option("format").value_or("tsar");
  if (format != "tsar" && format != "cls") throw usage_error("--format must be tsar or cls, not '" + format + "'");
  if (args.positional().size() > 1) throw usage_error("expected one FILE");
  const long long top = integer_option(args, "top", 10, 1, 1000);
  const long long neighbours_k = integer_option(args, "neighbours", 10, 1, 1000);
  const double min_cosine = number_option(args, "min-cosine", 0.6);
  const std::string hybrid = args.option("hybrid").value_or("first");
  if (hybrid != "first" && hybrid != "merge") throw usage_error("--hybrid must be first or merge, not '" + hybrid + "'");

  // Resources.
  const auto dictionary_path = args.option("dictionary"), frequencies_path = args.option("frequencies");
  const auto cilin_path = args.option("cilin"), thesaurus_path = args.option("thesaurus"),
             vectors_path = args.option("vectors");
  if (chinese && !dictionary_path) throw usage_error("--lang zh needs --dictionary (jieba's dict.txt)");
  if (!chinese && !frequencies_path) throw usage_error("--lang " + lang + " needs --frequencies (word<TAB>count)");
  if (chinese && frequencies_path) throw usage_error("--lang zh takes its frequencies from --dictionary, not --frequencies");
  if (!chinese && dictionary_path) throw usage_error("--dictionary is the Chinese dictionary; --lang " + lang + " takes --frequencies");
  if (!cilin_path && !thesaurus_path && !vectors_path)
    throw usage_error("no generator: give --cilin, --thesaurus or --vectors (or several)");
  text::chinese_segmenter dictionary;
  simplify::frequency_list frequencies;
  const auto hmm_path = args.option("hmm");
  if (hmm_path && !chinese) throw usage_error("--hmm is the Chinese segmenter's; --lang " + lang + " takes none");
  if (chinese) dictionary = text::chinese_segmenter::load(*dictionary_path);
  else frequencies = simplify::frequency_list::load(*frequencies_path);
  if (hmm_path) dictionary.use_hmm(text::chinese_hmm::load(*hmm_path));
  simplify::cilin tree;
  simplify::thesaurus synonyms;
  simplify::word_vectors vectors;
  if (cilin_path) tree = simplify::cilin::load(*cilin_path);
  if (thesaurus_path) synonyms = simplify::thesaurus::load(*thesaurus_path);
  if (vectors_path) vectors = simplify::word_vectors::load_text(*vectors_path);
  const host_backend_for_cli be;
  std::unique_ptr<simplify::embedding_generator<host_backend_for_cli, float>> near;
  std::vector<simplify::substitute_generator> generators;
  std::string generator_names;
  const auto name_generator = [&](const char* n) { generator_names += (generator_names.empty() ? "" : "+") + std::string(n); };
  if (cilin_path) generators.push_back(simplify::cilin_substitutes(tree)), name_generator("cilin");
  if (thesaurus_path) generators.push_back(simplify::thesaurus_substitutes(synonyms)), name_generator("thesaurus");
  if (vectors_path) {
    near = std::make_unique<simplify::embedding_generator<host_backend_for_cli, float>>(be, vectors);
    generators.push_back(simplify::embedding_substitutes(*near, index_t(neighbours_k), min_cosine));
    name_generator("embedding");
  }
  std::string default_features;
  for (const auto& f : simplify::default_ranking_features(chinese, bool(vectors_path)))
    default_features += (default_features.empty() ? "" : ",") + f;
  const std::string features = args.option("features").value_or(default_features);
  simplify::ranking_options options = parse_features(features);
  options.only_if_more_frequent = args.flag("only-if-more-frequent");
  if (options.cilin_distance && !cilin_path) throw usage_error("--features cilin-distance needs --cilin");
  if (options.embedding_similarity && !vectors_path) throw usage_error("--features cosine needs --vectors");
  const simplify::lexicon words = chinese ? simplify::chinese_lexicon(dictionary) : simplify::frequency_lexicon(frequencies);
  const simplify::lexical_simplifier simplifier(
      simplify::hybrid_substitutes(generators, hybrid == "merge" ? simplify::hybrid_mode::merge
                                                                 : simplify::hybrid_mode::first_with_candidates),
      words, options, cilin_path ? &tree : nullptr, vectors_path ? &vectors : nullptr);

  // Instances; raw Chinese sentences are segmented with the dictionary.
  const std::string input = args.positional().empty() ? "-" : args.positional()[0];
  auto instances = read_input(input, format);
  long word_is_token = 0;
  for (auto& x : instances) {
    if (chinese && x.tokens.empty()) {
      std::size_t at = 0;
      for (const auto t : dictionary.cut(x.sentence)) {
        if (at == x.offset && t == x.word) x.position = x.tokens.size();
        x.tokens.emplace_back(t);
        at += t.size();
      }
    }
    if (!x.tokens.empty() && x.position < x.tokens.size() && x.tokens[x.position] == x.word) ++word_is_token;
  }
  const auto results = simplifier.run(instances);

  // The ranked substitutes, TSAR-2022 style: to stdout, or to --output with --gold.
  const auto gold_path = args.option("gold");
  const auto output_path = args.option("output");
  std::unique_ptr<std::ofstream> output_file;
  std::ostream* ranked_out = gold_path && !output_path ? nullptr : &std::cout;
  if (output_path) {
    output_file = std::make_unique<std::ofstream>(*output_path);
    if (!*output_file) throw std::runtime_error(*output_path + ": cannot open the file for writing");
    ranked_out = output_file.get();
  }
  if (ranked_out) {
    for (std::size_t i = 0; i < instances.size(); ++i) {
      auto ranked = results[i].ranked;
      if (ranked.size() > std::size_t(top)) ranked.resize(std::size_t(top));
      simplify::write_tsar_line(*ranked_out, instances[i], ranked);
    }
    ranked_out->flush();
    if (!*ranked_out) throw std::runtime_error(output_path ? *output_path + ": writing failed" : "writing to standard output failed");
  }
  const settings used = settings{}
                             .add("lang", lang)
                             .add("format", format)
                             .add("segment", !chinese ? "none" : dictionary.has_hmm() ? "jieba-hmm" : "jieba-no-hmm")
                             .add("generator", generator_names)
                             .add("hybrid", generators.size() > 1 ? hybrid : std::string("none"))
                             .add("select", "known-not-self-dedup")
                             .add("features", features)
                             .add("choose", options.only_if_more_frequent ? "more-frequent" : "first")
                             .add("top", top);
  const std::string signature = used.signature();
  std::cerr << "posttrain lexical-simplify: " << instances.size() << " instance(s)";
  if (chinese) std::cerr << ", the complex word a single token in " << word_is_token;
  std::cerr << "; settings " << signature << '\n';
  if (!gold_path) return 0;

  // The metrics against the gold substitutes, aligned line by line with the input.
  const auto gold = read_input(*gold_path, format);
  if (gold.size() != instances.size())
    throw std::runtime_error(*gold_path + " has " + std::to_string(gold.size()) + " instance(s), the input " +
                             std::to_string(instances.size()));
  std::vector<std::vector<std::string>> generated, ranked, substitutes;
  std::vector<std::string> complex_words, chosen;
  for (std::size_t i = 0; i < gold.size(); ++i) {
    if (gold[i].sentence != instances[i].sentence || gold[i].word != instances[i].word)
      throw parse_error(*gold_path, gold[i].line, 1, "this line's sentence or word differs from line " +
                                                         std::to_string(instances[i].line) + " of the input");
    generated.push_back(results[i].generated);
    ranked.push_back(results[i].ranked);
    substitutes.push_back(gold[i].gold);
    complex_words.push_back(instances[i].word);
    chosen.push_back(results[i].choice);
  }
  const auto g = simplify::evaluate_generation(generated, substitutes);
  const auto p = simplify::evaluate_pipeline(complex_words, chosen, substitutes);
  const auto t = simplify::evaluate_tsar(complex_words, ranked, substitutes);
  json_writer w(std::cout);
  w.begin_object().provenance(used).field("instances", instances.size());
  w.key("generation").begin_object();
  w.field("potential", g.potential)
      .field("matches_over_generated", g.precision)
      .field("matches_over_gold", g.recall)
      .field("f1", g.f1)
      .field("note", "the CLS paper's evaluation calls matches_over_gold 'precision' and matches_over_generated "
                     "'recall'; gold lists are sets");
  w.end_object();
  w.key("pipeline").begin_object();
  w.field("precision", p.precision).field("accuracy", p.accuracy).field("changed", p.changed);
  w.end_object();
  w.key("tsar").begin_array();
  for (const auto& m : t) {
    w.begin_object()
        .field("k", m.k)
        .field("acc_at_1", m.acc_at_1)
        .field("acc_at_k_top1", m.acc_at_k_top1)
        .field("potential_at_k", m.potential_at_k)
        .field("map_at_k", m.map_at_k)
        .end_object();
  }
  w.end_array().end_object().finish();
  return 0;
}

inline const bool lexical_registered = add(command{
    "lexical-simplify",
    "ranked substitutes for complex words (zh, en, es, pt); with --gold, the metrics",
    "usage: posttrain lexical-simplify --lang zh|en|es|pt [--format tsar|cls]\n"
    "                                  (--dictionary PATH [--hmm PATH] | --frequencies PATH)\n"
    "                                  [--cilin PATH] [--thesaurus PATH] [--vectors PATH]\n"
    "                                  [--features LIST] [--hybrid first|merge] [--neighbours K]\n"
    "                                  [--min-cosine C] [--only-if-more-frequent] [--top N]\n"
    "                                  [--gold FILE [--output PATH]] [FILE]\n\n"
    "Reads complex words in their sentences from FILE ('-' or none: standard input): TSAR-2022\n"
    "lines 'sentence<TAB>word[<TAB>substitute]...' or, with --format cls, the CLS benchmark's\n"
    "'segmented sentence<TAB>word<TAB>POS<TAB>position<TAB>substitutes'. Raw Chinese sentences are\n"
    "segmented with the dictionary (jieba's method; with --hmm PATH, its HMM too). Writes\n"
    "'sentence<TAB>word<TAB>substitute...', the best N (10) first: the TSAR-2022 submission\n"
    "format.\n\n"
    "Generate: --cilin (HIT's extended Cilin: '=' groups, then '#'), --thesaurus (MyThes .dat),\n"
    "--vectors (word2vec/GloVe text: the K (10) nearest with cosine >= C (0.6)); several: the first\n"
    "that has candidates, or all merged (--hybrid merge). Select: the words the lexicon knows —\n"
    "--dictionary for zh (jieba's dict.txt: frequency, POS, character frequencies), --frequencies\n"
    "(word<TAB>count) otherwise — without the word itself and repeats. Rank: the sum of the ranks\n"
    "of the features in LIST (comma-separated): frequency, length (|length - the word's|, in\n"
    "characters), order (the generator's), shared-characters, rarest-character, cilin-distance,\n"
    "pos (agreement with the instance's POS), cosine; by default frequency,length,order,\n"
    "shared-characters for zh and frequency,order otherwise (and cosine with --vectors). Choose:\n"
    "the first; with --only-if-more-frequent, only when it is more frequent than the word.\n\n"
    "--gold FILE (the same instances, with substitutes; may be FILE itself) prints the metrics as\n"
    "JSON instead of the substitutes (--output PATH writes those too): generation potential,\n"
    "matches over generated and over gold, F1; the pipeline's precision, accuracy and changed\n"
    "share (the CLS paper's); ACC@1, ACC@k@Top1, Potential@k, MAP@k for k = 1, 3, 5, 10\n"
    "(TSAR-2022's). Malformed lines are errors naming FILE:LINE:COLUMN (exit status 1).\n"
    "scripts/export-zh-resources writes the Chinese resources, scripts/export-wordfreq the\n"
    "frequency lists; Debian's mythes-* packages have thesauri.\n",
    {"lang", "format", "dictionary", "hmm", "frequencies", "cilin", "thesaurus", "vectors", "features", "hybrid", "neighbours",
     "min-cosine", "top", "gold", "output"},
    {"only-if-more-frequent"},
    run});

inline int run_segment(const arguments& args) {
  const auto dictionary_path = args.option("dictionary");
  if (!dictionary_path) throw usage_error("--dictionary is required (jieba's dict.txt)");
  if (args.positional().size() > 1) throw usage_error("expected one FILE");
  const std::string delimiter = args.option("delimiter").value_or(" / ");
  const auto start = std::chrono::steady_clock::now();
  auto dictionary = text::chinese_segmenter::load(*dictionary_path);
  if (const auto hmm = args.option("hmm")) dictionary.use_hmm(text::chinese_hmm::load(*hmm));
  const auto loaded = std::chrono::steady_clock::now();
  const std::string name = args.positional().empty() ? "-" : args.positional()[0];
  std::unique_ptr<std::ifstream> file;
  line_batches reader(open_or_stdin(name, file), name == "-" ? "<stdin>" : name, max_line_bytes(args));
  std::vector<std::string_view> tokens;
  std::string out;
  long long lines = 0, bytes = 0;
  for (;;) {
    const auto& batch = reader.next(4096);
    if (batch.empty()) break;
    out.clear();
    for (const auto line : batch) {
      tokens.clear();
      dictionary.cut(line, tokens);
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i > 0) out += delimiter;
        out += tokens[i];
      }
      out += '\n';
      bytes += static_cast<long long>(line.size()) + 1;
    }
    lines += static_cast<long long>(batch.size());
    std::fwrite(out.data(), 1, out.size(), stdout);
    check_stdout();
  }
  const auto done = std::chrono::steady_clock::now();
  const double load_s = std::chrono::duration<double>(loaded - start).count();
  const double cut_s = std::chrono::duration<double>(done - loaded).count();
  std::fprintf(stderr,
               "posttrain segment: %lld line(s), %.3f MB in %.3f s (%.2f MB/s), the dictionary (%zu words) loaded in "
               "%.3f s; settings %s\n",
               lines, double(bytes) / 1e6, cut_s, cut_s > 0 ? double(bytes) / 1e6 / cut_s : 0.0, dictionary.size(), load_s,
               settings{}.add("method", dictionary.has_hmm() ? "jieba-dag-hmm" : "jieba-dag-no-hmm").signature().c_str());
  return 0;
}

inline const bool segment_registered = add(command{
    "segment",
    "split Chinese text into words with a jieba dictionary, line by line",
    "usage: posttrain segment --dictionary PATH [--hmm PATH] [--delimiter D] [FILE]\n\n"
    "Splits each line of FILE ('-' or none: standard input) into words and writes them joined by\n"
    "D (' / ', as jieba's command line does). The method is jieba's precise mode: the dictionary's\n"
    "words (PATH: 'word frequency [pos]' lines, such as jieba's dict.txt), the route of maximum\n"
    "log-probability through them, and for what the route leaves in single characters either\n"
    "nothing (runs of ASCII letters and digits kept together: python -m jieba -n gives the same\n"
    "words) or, with --hmm, jieba's character HMM (python -m jieba). scripts/export-zh-resources\n"
    "writes both files. Invalid UTF-8 bytes are tokens of their own. The counts,\n"
    "the speed and the settings go to stderr at the end. --max-line-bytes N: the longest line\n"
    "accepted (16 MiB).\n",
    {"dictionary", "hmm", "delimiter", "max-line-bytes"},
    {},
    run_segment});

}  // namespace lexical_cmd
}  // namespace posttrain::cli
