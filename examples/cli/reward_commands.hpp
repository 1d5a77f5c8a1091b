// SPDX-License-Identifier: Apache-2.0
#pragma once
// posttrain trace-rewards: statement feedback → token rewards, JSONL in, JSONL out.
// posttrain gae: advantages and returns of reward/value rows, JSONL in, JSONL out.
//
// Both read one JSON object per line. A malformed line (bad JSON, a missing or mistyped field,
// lengths that disagree) is an error naming FILE:LINE, or with --skip-bad it is skipped, counted
// and reported on stderr at the end; a line is never half-written.

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <posttrain/io/files.hpp>
#include <posttrain/io/json.hpp>
#include <posttrain/reward.hpp>

#include "command.hpp"
#include "host_backend.hpp"
#include "json_writer.hpp"
#include "settings.hpp"

namespace posttrain::cli {
namespace reward_cmd {

namespace json = io::json;

/// Compact JSON numbers for JSONL: the shortest form that reads back exactly (std::to_chars,
/// independent of the locale). Callers check finiteness first (check_finite); JSON has no NaN.
inline void write_number(std::ostream& os, double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v == 0 ? 0.0 : v);
  os.write(buf, r.ptr - buf);
}

inline std::string number_text(double v) {
  std::ostringstream os;
  write_number(os, v);
  return os.str();
}

inline void write_array(std::ostream& os, const std::vector<double>& v) {
  os << '[';
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (k) os << ',';
    write_number(os, v[k]);
  }
  os << ']';
}

/// A field's problem, reported as FILE:LINE: what.
struct bad_line : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Results that overflowed (rewards of 1e308, say) are an error for their line, not a null.
inline void check_finite(const std::vector<double>& v, const char* what) {
  for (std::size_t k = 0; k < v.size(); ++k)
    if (!std::isfinite(v[k]))
      throw bad_line(std::string(what) + "[" + std::to_string(k) + "] is not finite (the inputs overflow a double)");
}

inline const json::value& member(const json::value& v, const char* key) {
  if (!v.is_object()) throw bad_line(std::string("the line is ") + v.type_name() + ", not an object");
  const json::value* m = v.find(key);
  if (!m) throw bad_line(std::string("no \"") + key + "\" field");
  return *m;
}

inline std::vector<double> numbers(const json::value& v, const char* key) {
  const json::value& a = member(v, key);
  if (!a.is_array()) throw bad_line(std::string("\"") + key + "\" is " + a.type_name() + ", not an array");
  std::vector<double> out;
  out.reserve(a.as_array().size());
  for (std::size_t k = 0; k < a.as_array().size(); ++k) {
    const auto& x = a.as_array()[k];
    if (!x.is_number())
      throw bad_line(std::string("\"") + key + "\"[" + std::to_string(k) + "] is " + x.type_name() + ", not a number");
    out.push_back(x.as_number());
  }
  return out;
}

/// A JSON number that must be a whole number in [min, max] (2^53 at most, where doubles are
/// exact): 25.7, 1e300 and NaN are errors naming the field, never a truncated integer.
inline long long whole_number(const json::value& x, long long min, long long max, const std::string& what) {
  const double v = x.is_number() ? x.as_number() : std::numeric_limits<double>::quiet_NaN();
  if (!(v >= double(min) && v <= double(max)) || v != std::floor(v))
    throw bad_line(what + " must be a whole number in [" + std::to_string(min) + ", " + std::to_string(max) + "], not " +
                   (x.is_number() ? (x.number_literal().empty() ? number_text(v) : x.number_literal()) : x.type_name()));
  return static_cast<long long>(v);
}

inline std::string text_of(const json::value& v, const char* key) {
  const json::value& s = member(v, key);
  if (!s.is_string()) throw bad_line(std::string("\"") + key + "\" is " + s.type_name() + ", not a string");
  return s.as_string();
}

/// Opens FILE ('-' or none: standard input).
inline std::istream& open_input(const arguments& args, std::unique_ptr<std::ifstream>& file, std::string& name) {
  if (args.positional().size() > 1) throw usage_error("expected at most one FILE");
  name = args.positional().empty() ? "-" : args.positional()[0];
  if (name == "-") {
    name = "<stdin>";
    return std::cin;
  }
  file = std::make_unique<std::ifstream>(io::open_input_file(name));
  return *file;
}

/// Runs each line through `handle` (which throws bad_line or io::parse_error on a bad line);
/// --skip-bad counts and skips those; returns the number of lines skipped.
template <class Handle>
long for_each_line(std::istream& in, const std::string& name, bool skip_bad, std::size_t max_line,
                   const Handle& handle) {
  long skipped = 0, line_no = 0;
  std::string first_problem, line;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.size() > max_line + (line.empty() || line.back() != '\r' ? 0 : 1))
      throw std::runtime_error(name + ":" + std::to_string(line_no) + ": the line is longer than " +
                               std::to_string(max_line) + " bytes (--max-line-bytes)");
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      handle(json::parser(line, name, line_no).parse(), line_no);
    } catch (const bad_line& e) {
      const std::string where = name + ":" + std::to_string(line_no) + ": " + e.what();
      if (!skip_bad) throw std::runtime_error(where + " (--skip-bad skips such lines)");
      if (skipped++ == 0) first_problem = where;
    } catch (const posttrain::error& e) {  // JSON syntax errors and the library's own checks
      const std::string what = e.what();
      const std::string where =
          what.rfind(name, 0) == 0 ? what : name + ":" + std::to_string(line_no) + ": " + what;
      if (!skip_bad) throw std::runtime_error(where + " (--skip-bad skips such lines)");
      if (skipped++ == 0) first_problem = where;
    }
  }
  if (skipped > 0)
    std::cerr << "posttrain: skipped " << skipped << " malformed line(s); the first: " << first_problem << '\n';
  return skipped;
}


// ---------------------------------------------------------------------------------------------
// trace-rewards

inline reward::sentence_feedback read_sentence(const json::value& s, std::size_t index) {
  reward::sentence_feedback out;
  out.text = text_of(s, "text");
  const json::value& st = member(s, "statements");
  if (!st.is_array())
    throw bad_line("sentences[" + std::to_string(index) + "].statements is " + st.type_name() + ", not an array");
  for (const auto& x : st.as_array()) {
    reward::statement_feedback f;
    f.text = text_of(x, "text");
    f.truth = text_of(x, "truth");
    f.helpfulness = static_cast<int>(whole_number(member(x, "helpfulness"), -1'000'000, 1'000'000,
                                                  "sentences[" + std::to_string(index) + "]: helpfulness"));
    out.statements.push_back(std::move(f));
  }
  return out;
}

inline int run_trace(const arguments& args) {
  reward::tracing_config config;
  if (auto g = args.option("granularity")) {
    if (*g == "token") config.granularity = reward::reward_granularity::token;
    else if (*g == "sentence") config.granularity = reward::reward_granularity::sentence;
    else if (*g == "response") config.granularity = reward::reward_granularity::response;
    else throw usage_error("--granularity must be token, sentence or response, not '" + *g + "'");
  }
  if (auto o = args.option("offsets")) {
    if (*o == "code-points") config.offsets = reward::offset_unit::code_points;
    else if (*o == "bytes") config.offsets = reward::offset_unit::bytes;
    else throw usage_error("--offsets must be code-points or bytes, not '" + *o + "'");
  }
  config.missing_eos_penalty = number_option(args, "eos-penalty", config.missing_eos_penalty);
  if (args.flag("keep-questions")) config.skip_questions = false;
  std::unique_ptr<std::ifstream> file;
  std::string name;
  std::istream& in = open_input(args, file, name);
  long written = 0, unmatched = 0;
  const long skipped = for_each_line(in, name, args.flag("skip-bad"), max_line_bytes(args), [&](const json::value& v, long) {
    const std::string response = text_of(v, "response");
    const json::value& offsets = member(v, "token_offsets");
    if (!offsets.is_array()) throw bad_line(std::string("\"token_offsets\" is ") + offsets.type_name() + ", not an array");
    std::vector<reward::token_span> tokens;
    for (std::size_t k = 0; k < offsets.as_array().size(); ++k) {
      const auto& p = offsets.as_array()[k];
      if (!p.is_array() || p.as_array().size() != 2 || !p.as_array()[0].is_number() || !p.as_array()[1].is_number())
        throw bad_line("token_offsets[" + std::to_string(k) + "] is not a pair [begin, end] of numbers");
      const auto offset = [&](int i) {
        return index_t(whole_number(p.as_array()[std::size_t(i)], 0, index_t(1) << 53,
                                    "token_offsets[" + std::to_string(k) + "][" + std::to_string(i) + "]"));
      };
      tokens.push_back({offset(0), offset(1)});
    }
    const json::value& sentences = member(v, "sentences");
    if (!sentences.is_array()) throw bad_line(std::string("\"sentences\" is ") + sentences.type_name() + ", not an array");
    std::vector<reward::sentence_feedback> feedback;
    for (std::size_t k = 0; k < sentences.as_array().size(); ++k)
      feedback.push_back(read_sentence(sentences.as_array()[k], k));
    // Required: a missing flag would have to be guessed, and the guess decides a penalty.
    const json::value& e = member(v, "ends_with_eos");
    if (!e.is_bool()) throw bad_line("\"ends_with_eos\" must be true or false");
    const bool eos = e.as_bool();
    const auto traced = reward::trace_rewards(response, tokens, feedback, eos, config);
    // The whole record is formatted before any of it is written.
    std::ostringstream os;
    os << '{';
    if (const json::value* id = v.find("id")) {
      os << "\"id\":";
      if (id->is_string()) write_json_string(os, id->as_string());
      else if (id->is_number()) os << id->number_literal();  // byte for byte
      else throw bad_line("\"id\" must be a string or a number");
      os << ',';
    }
    check_finite(traced.token_rewards, "token_rewards");
    os << "\"token_rewards\":";
    write_array(os, traced.token_rewards);
    os << ",\"unmatched_statements\":" << traced.unmatched_statements
       << ",\"unmatched_sentences\":" << traced.unmatched_sentences
       << ",\"filtered_sentences\":" << traced.filtered_sentences << "}\n";
    std::cout << os.str();
    check_stdout();
    ++written;
    unmatched += traced.unmatched_statements;
  });
  const auto signature = settings{}
                             .add("granularity", args.option("granularity").value_or("token"))
                             .add("offsets", args.option("offsets").value_or("code-points"))
                             .add("eos-penalty", config.missing_eos_penalty)
                             .add("questions", config.skip_questions ? "skipped" : "kept")
                             .add("min-sentence-match", config.min_sentence_match)
                             .signature();
  std::cerr << "posttrain trace-rewards: " << written << " response(s), " << unmatched << " unmatched statement(s)"
            << (skipped ? ", " + std::to_string(skipped) + " line(s) skipped" : std::string()) << "; settings "
            << signature << '\n';
  return 0;
}

inline const bool trace_registered = add(command{
    "trace-rewards",
    "token rewards of responses from statement-level feedback (RLFH), JSONL to JSONL",
    "usage: posttrain trace-rewards [--granularity token|sentence|response]\n"
    "                               [--offsets code-points|bytes] [--eos-penalty X]\n"
    "                               [--keep-questions] [--skip-bad] [FILE]\n\n"
    "Each line of FILE ('-' or none: standard input) is one response:\n"
    "  {\"id\": \"r1\", \"response\": \"...\", \"token_offsets\": [[0, 5], [5, 9], ...],\n"
    "   \"ends_with_eos\": true, \"sentences\": [{\"text\": \"...\", \"statements\":\n"
    "     [{\"text\": \"...\", \"truth\": \"correct\", \"helpfulness\": 4}, ...]}, ...]}\n"
    "truth is one of correct, hedged_correct, vague, hedged_wrong, wrong; helpfulness 1..5.\n"
    "Writes one line per response: {\"id\", \"token_rewards\", \"unmatched_statements\",\n"
    "\"unmatched_sentences\", \"filtered_sentences\"}. Offsets count code points (as Python\n"
    "strings do) or bytes. A response without EOS gets --eos-penalty (default -1) on its last\n"
    "token; sentences ending in '?' get no reward unless --keep-questions. A malformed line is\n"
    "an error naming FILE:LINE, or skipped and counted with --skip-bad.\n",
    {"granularity", "offsets", "eos-penalty", "max-line-bytes"},
    {"skip-bad", "keep-questions"},
    run_trace});

// ---------------------------------------------------------------------------------------------
// gae

struct gae_row {
  std::optional<std::string> id;
  bool id_is_number = false;  // then written as the literal it was, unquoted
  std::vector<double> rewards, values, mask, advantages, returns;
};

inline int run_gae(const arguments& args) {
  reward::gae_options o;
  o.gamma = number_option(args, "gamma", o.gamma);
  o.lambda = number_option(args, "lambda", o.lambda);
  if (auto m = args.option("masking")) {
    if (*m == "zero") o.masking = reward::mask_semantics::zero;
    else if (*m == "skip") o.masking = reward::mask_semantics::skip;
    else throw usage_error("--masking must be zero or skip, not '" + *m + "'");
  }
  reward::whiten_options w;
  std::optional<std::string> whiten = args.option("whiten");
  if (whiten) {
    if (*whiten == "trl" || *whiten == "verl") w = reward::whiten_options::trl();
    else if (*whiten == "openrlhf") w = reward::whiten_options::openrlhf();
    else throw usage_error("--whiten must be trl, verl or openrlhf, not '" + *whiten + "'");
  }
  if (!(o.gamma >= 0 && o.gamma <= 1) || !(o.lambda >= 0 && o.lambda <= 1))
    throw usage_error("--gamma and --lambda must be in [0, 1]");
  std::unique_ptr<std::ifstream> file;
  std::string name;
  std::istream& in = open_input(args, file, name);
  const host_backend_for_cli be;
  // Rows are kept until the end when whitening: its statistics span every row (merged per row).
  std::vector<gae_row> rows;
  reward::whitening_statistics stats;
  long written = 0;
  const auto emit = [&written](const gae_row& r) {
    std::ostringstream os;
    os << '{';
    if (r.id) {
      os << "\"id\":";
      if (r.id_is_number) os << *r.id;
      else write_json_string(os, *r.id);
      os << ',';
    }
    os << "\"advantages\":";
    write_array(os, r.advantages);
    os << ",\"returns\":";
    write_array(os, r.returns);
    os << "}\n";
    std::cout << os.str();
    check_stdout();
    ++written;
  };
  const long skipped = for_each_line(in, name, args.flag("skip-bad"), max_line_bytes(args), [&](const json::value& v, long) {
    gae_row r;
    r.rewards = numbers(v, "rewards");
    r.values = numbers(v, "values");
    r.mask = v.find("mask") ? numbers(v, "mask") : std::vector<double>(r.rewards.size(), 1.0);
    if (r.values.size() != r.rewards.size() || r.mask.size() != r.rewards.size())
      throw bad_line("rewards, values and mask have " + std::to_string(r.rewards.size()) + ", " +
                     std::to_string(r.values.size()) + " and " + std::to_string(r.mask.size()) +
                     " elements; they must be equal");
    if (const json::value* id = v.find("id")) {
      if (id->is_string()) r.id = id->as_string();
      else if (id->is_number()) r.id = id->number_literal(), r.id_is_number = true;  // byte for byte
      else throw bad_line("\"id\" must be a string or a number");
    }
    for (std::size_t k = 0; k < r.mask.size(); ++k)
      if (r.mask[k] != 0 && r.mask[k] != 1)
        throw bad_line("mask[" + std::to_string(k) + "] is " + number_text(r.mask[k]) + "; a mask holds 0 or 1");
    const index_t t = index_t(r.rewards.size());
    r.advantages.resize(r.rewards.size());
    r.returns.resize(r.rewards.size());
    const auto row_stats = reward::gae(be, tensor_view<const double, 2>(r.rewards.data(), 1, t),
                                       tensor_view<const double, 2>(r.values.data(), 1, t),
                                       tensor_view<const double, 2>(r.mask.data(), 1, t),
                                       tensor_view<double, 2>(r.advantages.data(), 1, t),
                                       tensor_view<double, 2>(r.returns.data(), 1, t), o);
    check_finite(r.advantages, "advantages");
    check_finite(r.returns, "returns");
    stats.merge(row_stats);  // after the checks: a skipped line must not count
    if (whiten) rows.push_back(std::move(r));
    else emit(r);
  });
  for (auto& r : rows) {
    const index_t t = index_t(r.advantages.size());
    reward::whiten(be, tensor_view<const double, 2>(r.advantages.data(), 1, t), stats,
                   tensor_view<double, 2>(r.advantages.data(), 1, t), w);
    emit(r);
  }
  const auto signature = settings{}
                             .add("gamma", o.gamma)
                             .add("lambda", o.lambda)
                             .add("masking", args.option("masking").value_or("zero"))
                             .add("whiten", whiten.value_or("none"))
                             .signature();
  std::cerr << "posttrain gae: " << written << " row(s), " << stats.count() << " valid position(s)"
            << (whiten ? ", advantages whitened" : "")
            << (skipped ? ", " + std::to_string(skipped) + " line(s) skipped" : std::string()) << "; settings "
            << signature << '\n';
  return 0;
}

inline const bool gae_registered = add(command{
    "gae",
    "advantages and returns (GAE) of reward/value rows, JSONL to JSONL",
    "usage: posttrain gae [--gamma G] [--lambda L] [--masking zero|skip]\n"
    "                     [--whiten trl|verl|openrlhf] [--skip-bad] [FILE]\n\n"
    "Each line of FILE ('-' or none: standard input) is one response: {\"rewards\": [...],\n"
    "\"values\": [...], \"mask\": [...]} (mask optional, 1 = a generated token; an \"id\" is\n"
    "passed through). Writes {\"id\", \"advantages\", \"returns\"} per line, in input order.\n"
    "--gamma (default 1) and --lambda (default 0.95) in [0, 1]. --masking zero takes r and V as 0\n"
    "where mask = 0 (trl, OpenRLHF; default); skip carries the next valid position's value and\n"
    "advantage through them (verl's multi-turn GAE). --whiten normalises the advantages with\n"
    "statistics over every valid position of the file (unbiased, ε added: trl and verl; biased,\n"
    "ε as a floor: OpenRLHF); the rows are then written at the end. A malformed line is an error\n"
    "naming FILE:LINE, or skipped and counted with --skip-bad.\n",
    {"gamma", "lambda", "masking", "whiten", "max-line-bytes"},
    {"skip-bad"},
    run_gae});

}  // namespace reward_cmd
}  // namespace posttrain::cli
