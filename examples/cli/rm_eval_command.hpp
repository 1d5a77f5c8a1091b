#pragma once
// posttrain rm-eval: reward-model evaluation metrics of a CSV of scored responses, as JSON.

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <posttrain/io/csv.hpp>
#include <posttrain/io/files.hpp>
#include <posttrain/rm_eval.hpp>

#include "command.hpp"
#include "json_writer.hpp"

namespace posttrain::cli {
namespace rm_eval_cmd {

/// Reads prompt_id,response_id,proxy,gold (header required, columns in any order, others
/// ignored) and groups responses by prompt in order of first appearance.
inline rm_eval::prompt_scores read_scores(std::istream& in, const std::string& name) {
  io::csv_reader reader(in, name);
  const auto& header = reader.read_header();
  auto column = [&](const char* wanted) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == wanted) return i;
    throw parse_error(name, 1, 1, std::string("the header has no '") + wanted +
                                      "' column (need prompt_id,response_id,proxy,gold)");
  };
  const std::size_t prompt_col = column("prompt_id"), proxy_col = column("proxy"), gold_col = column("gold");
  column("response_id");
  std::map<std::string, std::size_t> prompt_index;
  std::vector<std::vector<double>> proxy, gold;
  while (auto rec = reader.next()) {
    auto score = [&](std::size_t col) {
      const double v = io::parse_number(*rec, col, name);
      if (!std::isfinite(v))
        throw parse_error(name, rec->line, rec->columns.at(col), "field " + std::to_string(col + 1) + " (" +
                                                                     header[col] + ") is not a finite number: '" +
                                                                     rec->fields[col] + "'");
      return v;
    };
    const double p = score(proxy_col), g = score(gold_col);
    const auto [it, fresh] = prompt_index.try_emplace(rec->fields[prompt_col], proxy.size());
    if (fresh) {
      proxy.emplace_back();
      gold.emplace_back();
    }
    proxy[it->second].push_back(p);
    gold[it->second].push_back(g);
  }
  rm_eval::prompt_scores s;
  for (std::size_t p = 0; p < proxy.size(); ++p) s.add_prompt(proxy[p], gold[p]);
  return s;
}

inline rm_eval::tie_policy parse_ties(const std::string& s) {
  if (s == "zero") return rm_eval::tie_policy::zero;
  if (s == "half") return rm_eval::tie_policy::half;
  if (s == "exclude") return rm_eval::tie_policy::exclude;
  throw usage_error("--ties must be zero, half or exclude, not '" + s + "'");
}

inline std::vector<long long> parse_list(const std::string& s, const char* option) {
  std::vector<long long> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto v = io::read_integer(item);
    if (!v || *v < 1)
      throw usage_error(std::string("--") + option + " takes positive whole numbers separated by commas, not '" + s + "'");
    out.push_back(*v);
  }
  if (out.empty()) throw usage_error(std::string("--") + option + " needs at least one number");
  return out;
}

inline void write_accuracy(json_writer& w, const char* name, const rm_eval::accuracy_result& a,
                           const rm_eval::interval* ci, std::int64_t prompts_without_pair = -1) {
  w.key(name).begin_object();
  w.field("accuracy", a.accuracy).field("pairs", a.pairs).field("correct", a.correct);
  if (prompts_without_pair >= 0) w.field("prompts_without_pair", static_cast<long long>(prompts_without_pair));
  w.field("proxy_ties", a.ties).field("gold_ties", a.gold_ties);
  if (ci) w.field("ci_lower", ci->lower).field("ci_upper", ci->upper);
  w.end_object();
}

inline int run(const arguments& args) {
  if (args.positional().size() != 1) throw usage_error("rm-eval takes one FILE");
  const std::string file = args.positional()[0];
  const auto ties = parse_ties(args.option("ties").value_or("zero"));
  const auto best_of = parse_list(args.option("best-of").value_or("1,2,4,8,16"), "best-of");
  const long long resamples = integer_option(args, "bootstrap", 1000, 0, 100'000'000);
  const long long seed = integer_option(args, "seed", 1, 0);

  std::ifstream stream;
  if (file != "-") stream = io::open_input_file(file, std::ios::binary);
  const auto s = read_scores(file == "-" ? std::cin : stream, file == "-" ? "<stdin>" : file);
  if (s.prompts() == 0) throw std::runtime_error(file + ": no rows after the header");

  // --bootstrap 0: the statistics alone, with no interval fields.
  const auto boot_over = [&](const rm_eval::prompt_scores& data, auto statistic) {
    if (resamples == 0) return rm_eval::interval{statistic(data)};
    return rm_eval::bootstrap(data.prompts(),
                              [&](std::span<const std::int64_t> p) { return statistic(rm_eval::select_prompts(data, p)); },
                              resamples, 0.95, static_cast<std::uint64_t>(seed));
  };
  auto boot = [&](auto statistic) { return boot_over(s, statistic); };
  const auto bounds = [&](json_writer& to, const rm_eval::interval& ci, const char* lower = "ci_lower",
                          const char* upper = "ci_upper") {
    if (resamples > 0) to.field(lower, ci.lower).field(upper, ci.upper);
  };
  json_writer w(std::cout);
  w.begin_object();
  w.field("file", file).field("prompts", s.prompts()).field("responses", static_cast<long long>(s.proxy.size()));
  w.field("tie_policy", args.option("ties").value_or("zero"));
  // The first pair of each prompt that has one; the others are counted, not silently dropped.
  std::vector<std::int64_t> with_pair;
  for (std::int64_t p = 0; p < s.prompts(); ++p)
    if (s.responses(p) >= 2) with_pair.push_back(p);
  if (!with_pair.empty()) {
    const auto paired = rm_eval::select_prompts(s, with_pair);
    const auto ci =
        boot_over(paired, [&](const rm_eval::prompt_scores& x) { return rm_eval::first_pair_accuracy(x, ties).accuracy; });
    write_accuracy(w, "first_pair_accuracy", rm_eval::first_pair_accuracy(paired, ties), resamples > 0 ? &ci : nullptr,
                   s.prompts() - static_cast<std::int64_t>(with_pair.size()));
  }
  const auto all_ci = boot([&](const rm_eval::prompt_scores& x) { return rm_eval::all_pairs_accuracy(x, ties).accuracy; });
  write_accuracy(w, "all_pairs_accuracy", rm_eval::all_pairs_accuracy(s, ties), resamples > 0 ? &all_ci : nullptr);
  const auto bon_ci = boot([](const rm_eval::prompt_scores& x) { return rm_eval::best_of_n_agreement(x).agreement; });
  w.key("best_of_n_agreement").begin_object().field("agreement", bon_ci.estimate);
  bounds(w, bon_ci);
  w.end_object();

  std::int64_t min_k = s.responses(0);
  for (std::int64_t p = 1; p < s.prompts(); ++p) min_k = std::min(min_k, s.responses(p));
  w.key("best_of_n").begin_array();
  for (const long long n : best_of) {
    if (n > min_k) continue;  // needs N responses in every prompt
    const auto gold = boot([&](const rm_eval::prompt_scores& x) { return rm_eval::best_of_n_gold(x, n); });
    const auto gain = boot([&](const rm_eval::prompt_scores& x) { return rm_eval::best_of_n_gain(x, n); });
    w.begin_object().field("n", n);
    w.field("gold", gold.estimate);
    bounds(w, gold, "gold_ci_lower", "gold_ci_upper");
    w.field("gain", gain.estimate);
    bounds(w, gain, "gain_ci_lower", "gain_ci_upper");
    w.end_object();
  }
  w.end_array();

  auto with_ci = [&](const char* name, auto statistic) {
    const auto ci = boot(statistic);
    w.key(name).begin_object().field("value", ci.estimate);
    bounds(w, ci);
    w.end_object();
  };
  w.key("correlation_all_responses").begin_object();
  with_ci("pearson", [](const rm_eval::prompt_scores& x) { return rm_eval::pearson(x.proxy, x.gold); });
  with_ci("spearman", [](const rm_eval::prompt_scores& x) { return rm_eval::spearman(x.proxy, x.gold); });
  with_ci("kendall_tau_b", [](const rm_eval::prompt_scores& x) { return rm_eval::kendall_tau(x.proxy, x.gold); });
  const auto counts = rm_eval::kendall_count(s.proxy, s.gold);
  w.field("kendall_tau_a", rm_eval::kendall_tau(counts, rm_eval::kendall_variant::a));
  w.field("kendall_tau_c", rm_eval::kendall_tau(counts, rm_eval::kendall_variant::c));
  w.end_object();
  w.key("correlation_per_prompt_mean").begin_object();
  for (const auto& [name, kind] : {std::pair{"kendall_tau_b", rm_eval::rank_correlation::kendall_tau_b},
                                   std::pair{"spearman", rm_eval::rank_correlation::spearman}}) {
    const auto m = rm_eval::mean_prompt_correlation(s, kind);
    const auto ci = boot([&](const rm_eval::prompt_scores& x) { return rm_eval::mean_prompt_correlation(x, kind).mean; });
    w.key(name).begin_object().field("mean", m.mean);
    bounds(w, ci);
    w.field("prompts", m.prompts).field("undefined", m.undefined).end_object();
  }
  w.end_object();
  w.field("bootstrap_resamples", resamples).field("bootstrap_seed", seed);
  w.end_object();
  w.finish();
  return 0;
}

inline const bool registered = add(command{
    "rm-eval",
    "reward-model accuracy (several ways), best-of-N and correlations of a scored CSV",
    "usage: posttrain rm-eval [--ties zero|half|exclude] [--best-of 1,2,4,...] [--bootstrap R]\n"
    "                         [--seed S] FILE\n\n"
    "FILE is CSV with a header naming prompt_id,response_id,proxy,gold (any order; '-' reads\n"
    "standard input). Responses are grouped by prompt_id. Prints JSON: accuracy on each\n"
    "prompt's first pair and on all pairs (with the proxy and gold tie counts), best-of-k\n"
    "agreement, best-of-N gold reward and normalised gain for each N that every prompt allows,\n"
    "Pearson/Spearman/Kendall correlations over all responses and the per-prompt Kendall and\n"
    "Spearman averaged over prompts. 95% bootstrap intervals resample prompts (R resamples,\n"
    "default 1000, seeded; 0: no intervals). The first-pair accuracy is over the prompts with\n"
    "2 or more responses (prompts_without_pair counts the others). --ties: a proxy tie counts 0\n"
    "(default, as reward-bench), 1/2, or is excluded. A missing or non-numeric score is an\n"
    "error naming FILE:LINE:COLUMN.\n",
    {"ties", "best-of", "bootstrap", "seed"},
    {},
    run});

}  // namespace rm_eval_cmd
}  // namespace posttrain::cli
