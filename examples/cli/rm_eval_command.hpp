// SPDX-License-Identifier: Apache-2.0
#pragma once
// posttrain rm-eval: reward-model evaluation metrics of a CSV of scored responses, as JSON.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <posttrain/io/csv.hpp>
#include <posttrain/io/files.hpp>
#include <posttrain/rm_eval.hpp>

#include "command.hpp"
#include "json_writer.hpp"
#include "settings.hpp"

namespace posttrain::cli {
namespace rm_eval_cmd {

/// Field `col` of a record as a finite number; a parse_error naming the column otherwise.
inline double finite_score(const io::record& rec, std::size_t col, const std::vector<std::string>& header,
                           const std::string& name) {
  const double v = io::parse_number(rec, col, name);
  if (!std::isfinite(v))
    throw parse_error(name, rec.line, rec.columns.at(col), "field " + std::to_string(col + 1) + " (" + header[col] +
                                                               ") is not a finite number: '" + rec.fields[col] + "'");
  return v;
}

/// Reads prompt_id,response_id,proxy,gold (header required, columns in any order, others
/// ignored) and groups responses by prompt in order of first appearance.
inline rm_eval::prompt_scores read_scores(io::csv_reader& reader, const std::string& name) {
  const auto& header = reader.header();
  auto column = [&](const char* wanted) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == wanted) return i;
    throw parse_error(name, 1, 1, std::string("the header has no '") + wanted +
                                      "' column (need prompt_id,response_id,proxy,gold)");
  };
  const std::size_t prompt_col = column("prompt_id"), proxy_col = column("proxy"), gold_col = column("gold");
  column("response_id");
  std::unordered_map<std::string, std::size_t> prompt_index;
  std::vector<std::vector<double>> proxy, gold;
  while (auto rec = reader.next()) {
    const auto score = [&](std::size_t col) { return finite_score(*rec, col, header, name); };
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

/// The column of `header` named one of `names`, if any.
inline std::optional<std::size_t> find_column(const std::vector<std::string>& header,
                                              std::initializer_list<const char*> names) {
  for (const char* name : names)
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
  return std::nullopt;
}

/// A reward-bench style table: one preference pair a row, the reward model's score of the
/// chosen and of the rejected response, and optionally the subset the pair belongs to.
struct pair_table {
  std::vector<std::string> subsets;              // in order of first appearance
  std::vector<std::vector<double>> chosen, rejected;  // per subset
  std::vector<double> all_chosen, all_rejected;       // every pair, in the file's order
};

inline pair_table read_pairs(io::csv_reader& reader, const std::string& name, std::size_t chosen_col,
                             std::size_t rejected_col, std::optional<std::size_t> subset_col) {
  const auto& header = reader.header();
  pair_table t;
  std::unordered_map<std::string, std::size_t> index;
  while (auto rec = reader.next()) {
    const auto score = [&](std::size_t col) { return finite_score(*rec, col, header, name); };
    const std::string subset = subset_col ? rec->fields[*subset_col] : std::string("all");
    const auto [it, fresh] = index.try_emplace(subset, t.subsets.size());
    if (fresh) {
      t.subsets.push_back(subset);
      t.chosen.emplace_back();
      t.rejected.emplace_back();
    }
    t.chosen[it->second].push_back(score(chosen_col));
    t.rejected[it->second].push_back(score(rejected_col));
    t.all_chosen.push_back(t.chosen[it->second].back());
    t.all_rejected.push_back(t.rejected[it->second].back());
  }
  return t;
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

/// rm-eval on a reward-bench style table: accuracy (chosen scored above rejected) over all
/// pairs and per subset, each with a bootstrap interval over its pairs.
inline int run_pairs(const arguments& args, const std::string& file, const pair_table& t, rm_eval::tie_policy ties,
                     long long resamples, long long seed, const std::string& chosen_name,
                     const std::string& rejected_name, const std::string& subset_name) {
  if (args.option("best-of")) throw usage_error("--best-of needs responses grouped by prompt, not a table of pairs");
  // The interval over all pairs resamples them in the file's order, whatever the subsets (the
  // same as rm_eval::pairwise_accuracy_interval, or Python's pairwise_accuracy, on the columns).
  const auto& all_chosen = t.all_chosen;
  const auto& all_rejected = t.all_rejected;
  // A resample draws pairs of the group with replacement (rm_eval::pairwise_accuracy_interval).
  const auto accuracy_with_interval = [&](const std::vector<double>& chosen, const std::vector<double>& rejected) {
    return rm_eval::pairwise_accuracy_interval(chosen, rejected, ties, resamples, 0.95,
                                               static_cast<std::uint64_t>(seed));
  };
  json_writer w(std::cout);
  w.begin_object();
  w.provenance(settings{}
                   .add("table", "pairs")
                   .add("chosen", chosen_name)
                   .add("rejected", rejected_name)
                   .add("subset", subset_name.empty() ? "none" : subset_name)
                   .add("ties", args.option("ties").value_or("zero"))
                   .add("bootstrap", resamples)
                   .add("seed", seed)
                   .add("ci", resamples > 0 ? "95%-percentile-over-pairs" : "none"));
  w.field("file", file).field("pairs", static_cast<long long>(all_chosen.size()));
  w.field("tie_policy", args.option("ties").value_or("zero"));
  const auto [overall, overall_ci] = accuracy_with_interval(all_chosen, all_rejected);
  write_accuracy(w, "accuracy", overall, resamples > 0 ? &overall_ci : nullptr);
  // reward-bench reports each subset; their unweighted mean is given beside the pooled accuracy.
  double mean = 0;
  w.key("subsets").begin_array();
  for (std::size_t g = 0; g < t.subsets.size(); ++g) {
    const auto [acc, ci] = accuracy_with_interval(t.chosen[g], t.rejected[g]);
    mean += acc.accuracy / double(t.subsets.size());
    w.begin_object().field("subset", t.subsets[g]).field("accuracy", acc.accuracy).field("pairs", acc.pairs);
    w.field("correct", acc.correct).field("proxy_ties", acc.ties);
    if (resamples > 0) w.field("ci_lower", ci.lower).field("ci_upper", ci.upper);
    w.end_object();
  }
  w.end_array();
  w.field("mean_of_subsets", mean);
  w.field("bootstrap_resamples", resamples).field("bootstrap_seed", seed);
  w.end_object();
  w.finish();
  return 0;
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
  const std::string name = file == "-" ? "<stdin>" : file;
  const bool tsv = file.size() > 4 && file.compare(file.size() - 4, 4, ".tsv") == 0;
  io::csv_reader reader(file == "-" ? std::cin : stream, name, tsv ? io::tsv_dialect : io::csv_options{});
  const auto& header = reader.read_header();
  const auto chosen_col = find_column(header, {"scores_chosen", "score_chosen", "chosen_score", "chosen"});
  const auto rejected_col = find_column(header, {"scores_rejected", "score_rejected", "rejected_score", "rejected"});
  if (chosen_col || rejected_col) {
    if (!chosen_col || !rejected_col)
      throw parse_error(name, 1, 1, "a table of pairs needs both a chosen and a rejected score column "
                                    "(scores_chosen and scores_rejected, as reward-bench writes them)");
    const auto subset_col = find_column(header, {"subset"});
    const auto t = read_pairs(reader, name, *chosen_col, *rejected_col, subset_col);
    if (t.subsets.empty()) throw std::runtime_error(file + ": no rows after the header");
    return run_pairs(args, file, t, ties, resamples, seed, header[*chosen_col], header[*rejected_col],
                     subset_col ? header[*subset_col] : std::string());
  }
  const auto s = read_scores(reader, name);
  if (s.prompts() == 0) throw std::runtime_error(file + ": no rows after the header");

  // Every statistic is a function of the prompts drawn, so a resample is given as how many
  // times each prompt was drawn (bootstrap_counts_of_many: the draws of bootstrap, made once for
  // all statistics) and each statistic is computed from per-prompt values worked out once:
  // O(prompts) a resample, O(responses) for the pooled correlations, resamples spread over the
  // threads. --bootstrap 0: the statistics alone, with no interval fields.
  using counts_view = std::span<const std::int32_t>;
  std::vector<std::function<double(counts_view)>> statistics;
  const auto add_statistic = [&](std::function<double(counts_view)> f) {
    statistics.push_back(std::move(f));
    return statistics.size() - 1;
  };
  // The mean of per-prompt values weighted by the counts, NaN values left out (NaN if none is left).
  struct weighted_mean {
    std::shared_ptr<const std::vector<double>> values;
    double operator()(counts_view c) const {
      double total = 0, weight = 0;
      for (std::size_t p = 0; p < values->size(); ++p)
        if (c[p] != 0 && !std::isnan((*values)[p])) total += c[p] * (*values)[p], weight += c[p];
      return weight > 0 ? total / weight : std::numeric_limits<double>::quiet_NaN();
    }
  };
  // Pooled accuracy: Σ credit / Σ pairs over the prompts drawn.
  struct pooled_accuracy {
    std::shared_ptr<const std::vector<double>> credit, pairs;
    double operator()(counts_view c) const {
      double t = 0, n = 0;
      for (std::size_t p = 0; p < pairs->size(); ++p) t += c[p] * (*credit)[p], n += c[p] * (*pairs)[p];
      return n > 0 ? t / n : std::numeric_limits<double>::quiet_NaN();
    }
  };
  const auto per_prompt = [&](const auto& value) {
    auto out = std::make_shared<std::vector<double>>(static_cast<std::size_t>(s.prompts()));
    for (std::int64_t p = 0; p < s.prompts(); ++p) {
      const auto b = static_cast<std::size_t>(s.offsets[p]), k = static_cast<std::size_t>(s.responses(p));
      (*out)[std::size_t(p)] = value(std::span(s.proxy).subspan(b, k), std::span(s.gold).subspan(b, k));
    }
    return std::shared_ptr<const std::vector<double>>(std::move(out));
  };
  // first_k = 2: the first pair (prompts with one response contribute nothing); 0: all pairs.
  const auto accuracy_of_prompts = [&](std::int64_t first_k) {
    auto credit = std::make_shared<std::vector<double>>(), pairs = std::make_shared<std::vector<double>>();
    for (std::int64_t p = 0; p < s.prompts(); ++p) {
      const std::int64_t one[] = {p};
      const auto r = rm_eval::all_pairs_accuracy(rm_eval::select_prompts(s, one), ties, first_k);
      pairs->push_back(double(r.pairs));
      credit->push_back(r.pairs > 0 ? std::round(2 * r.accuracy * double(r.pairs)) / 2 : 0);  // a multiple of 1/2
    }
    return pooled_accuracy{credit, pairs};
  };

  std::vector<std::int64_t> with_pair;
  for (std::int64_t p = 0; p < s.prompts(); ++p)
    if (s.responses(p) >= 2) with_pair.push_back(p);
  const auto first_pair_stat = with_pair.empty() ? 0 : add_statistic(accuracy_of_prompts(2));
  const auto all_pairs_stat = add_statistic(accuracy_of_prompts(0));
  const auto agreement_stat =
      add_statistic(weighted_mean{per_prompt([](auto proxy, auto gold) { return rm_eval::best_of_n_agreement(proxy, gold); })});
  std::int64_t min_k = s.responses(0);
  for (std::int64_t p = 1; p < s.prompts(); ++p) min_k = std::min(min_k, s.responses(p));
  const weighted_mean base{per_prompt([](auto proxy, auto gold) { return rm_eval::best_of_n_gold(proxy, gold, 1); })};
  std::vector<std::pair<long long, std::size_t>> best_of_n_stats;  // N, the gold statistic (the gain is next)
  for (const long long n : best_of) {
    if (n > min_k) continue;  // needs N responses in every prompt
    const weighted_mean picked{per_prompt([n](auto proxy, auto gold) { return rm_eval::best_of_n_gold(proxy, gold, n); })};
    const weighted_mean oracle{per_prompt([n](auto, auto gold) { return rm_eval::best_of_n_gold(gold, gold, n); })};
    best_of_n_stats.emplace_back(n, add_statistic(picked));
    add_statistic([=](counts_view c) { return rm_eval::normalized_gain(picked(c), base(c), oracle(c)); });
  }
  const auto pooled = std::make_shared<const rm_eval::pooled_correlations>(s);
  const auto pearson_stat = add_statistic([pooled](counts_view c) { return pooled->pearson(c); });
  const auto spearman_stat = add_statistic([pooled](counts_view c) { return pooled->spearman(c); });
  const auto kendall_stat = add_statistic([pooled](counts_view c) { return pooled->kendall_tau_b(c); });
  const auto kendall_of = [](auto proxy, auto gold) { return rm_eval::kendall_tau(proxy, gold); };
  const auto spearman_of = [](auto proxy, auto gold) { return rm_eval::spearman(proxy, gold); };
  const auto prompt_kendall_stat = add_statistic(weighted_mean{per_prompt(kendall_of)});
  const auto prompt_spearman_stat = add_statistic(weighted_mean{per_prompt(spearman_of)});

  // Progress on a terminal: the resamples done, about once a second.
  const bool progress = isatty(2) != 0 && resamples > 0;
  std::atomic<long long> done{0};
  const auto started = std::chrono::steady_clock::now();
  std::atomic<long long> shown_second{0};
  const auto fill = [&](counts_view c, std::span<double> out) {
    for (std::size_t k = 0; k < statistics.size(); ++k) out[k] = statistics[k](c);
    if (!progress) return;
    const long long d = ++done - 1;  // the first call is the estimate
    const long long second =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    if (long long last = shown_second.load(); second > last && shown_second.compare_exchange_strong(last, second))
      std::fprintf(stderr, "\rposttrain rm-eval: %lld of %lld bootstrap resamples", d, static_cast<long long>(resamples));
  };
  std::vector<rm_eval::interval> ci(statistics.size());
  if (resamples > 0)
    ci = rm_eval::bootstrap_counts_of_many(s.prompts(), statistics.size(), fill, resamples, 0.95,
                                           static_cast<std::uint64_t>(seed), true);
  if (progress && shown_second.load() > 0) std::fprintf(stderr, "\n");
  const auto bounds = [&](json_writer& to, std::size_t stat, const char* lower = "ci_lower",
                          const char* upper = "ci_upper") {
    if (resamples > 0) to.field(lower, ci[stat].lower).field(upper, ci[stat].upper);
  };

  json_writer w(std::cout);
  w.begin_object();
  std::string best_of_text;
  for (const long long n : best_of) best_of_text += (best_of_text.empty() ? "" : ",") + std::to_string(n);
  w.provenance(settings{}
                   .add("ties", args.option("ties").value_or("zero"))
                   .add("best-of", best_of_text)
                   .add("bootstrap", resamples)
                   .add("seed", seed)
                   .add("ci", resamples > 0 ? "95%-percentile-over-prompts" : "none")
                   .add("pairs", "all-within-prompt"));
  w.field("file", file).field("prompts", s.prompts()).field("responses", static_cast<long long>(s.proxy.size()));
  w.field("tie_policy", args.option("ties").value_or("zero"));
  // The first pair of each prompt that has one; the others are counted, not silently dropped.
  if (!with_pair.empty()) {
    write_accuracy(w, "first_pair_accuracy", rm_eval::first_pair_accuracy(rm_eval::select_prompts(s, with_pair), ties),
                   resamples > 0 ? &ci[first_pair_stat] : nullptr, s.prompts() - static_cast<std::int64_t>(with_pair.size()));
  }
  write_accuracy(w, "all_pairs_accuracy", rm_eval::all_pairs_accuracy(s, ties),
                 resamples > 0 ? &ci[all_pairs_stat] : nullptr);
  w.key("best_of_n_agreement").begin_object().field("agreement", rm_eval::best_of_n_agreement(s).agreement);
  bounds(w, agreement_stat);
  w.end_object();
  w.key("best_of_n").begin_array();
  for (const auto& [n, stat] : best_of_n_stats) {
    w.begin_object().field("n", n);
    w.field("gold", rm_eval::best_of_n_gold(s, n));
    bounds(w, stat, "gold_ci_lower", "gold_ci_upper");
    w.field("gain", rm_eval::best_of_n_gain(s, n));
    bounds(w, stat + 1, "gain_ci_lower", "gain_ci_upper");
    w.end_object();
  }
  w.end_array();
  w.key("correlation_all_responses").begin_object();
  const auto with_ci = [&](const char* name, double value, std::size_t stat) {
    w.key(name).begin_object().field("value", value);
    bounds(w, stat);
    w.end_object();
  };
  with_ci("pearson", rm_eval::pearson(s.proxy, s.gold), pearson_stat);
  with_ci("spearman", rm_eval::spearman(s.proxy, s.gold), spearman_stat);
  const auto counts = rm_eval::kendall_count(s.proxy, s.gold);
  with_ci("kendall_tau_b", rm_eval::kendall_tau(counts, rm_eval::kendall_variant::b), kendall_stat);
  w.field("kendall_tau_a", rm_eval::kendall_tau(counts, rm_eval::kendall_variant::a));
  w.field("kendall_tau_c", rm_eval::kendall_tau(counts, rm_eval::kendall_variant::c));
  w.end_object();
  w.key("correlation_per_prompt_mean").begin_object();
  for (const auto& [name, kind, stat] :
       {std::tuple{"kendall_tau_b", rm_eval::rank_correlation::kendall_tau_b, prompt_kendall_stat},
        std::tuple{"spearman", rm_eval::rank_correlation::spearman, prompt_spearman_stat}}) {
    const auto m = rm_eval::mean_prompt_correlation(s, kind);
    w.key(name).begin_object().field("mean", m.mean);
    bounds(w, stat);
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
    "FILE is CSV (TSV if it ends in .tsv; '-' reads standard input) with a header, in one of two\n"
    "forms. A table of pairs, as reward-bench writes its results: scores_chosen and\n"
    "scores_rejected columns (or chosen_score/rejected_score, chosen/rejected), and optionally\n"
    "subset. Prints JSON: the accuracy (chosen scored higher) over all pairs and per subset, each\n"
    "with a bootstrap interval over its pairs, and the mean of the subsets' accuracies.\n"
    "Or scored responses: prompt_id,response_id,proxy,gold (any order). Responses are grouped by\n"
    "prompt_id. Prints JSON: accuracy on each\n"
    "prompt's first pair and on all pairs (with the proxy and gold tie counts), best-of-k\n"
    "agreement, best-of-N gold reward and normalised gain for each N that every prompt allows,\n"
    "Pearson/Spearman/Kendall correlations over all responses and the per-prompt Kendall and\n"
    "Spearman averaged over prompts. 95% bootstrap intervals resample prompts (R resamples,\n"
    "default 1000, seeded; 0: no intervals). The first-pair accuracy is over the prompts with\n"
    "2 or more responses (prompts_without_pair counts the others); a terminal shows the bootstrap's\n"
    "progress on stderr. --ties: a proxy tie counts 0\n"
    "(default, as reward-bench), 1/2, or is excluded. A missing or non-numeric score is an\n"
    "error naming FILE:LINE:COLUMN. Every result records \"version\" and \"settings\".\n",
    {"ties", "best-of", "bootstrap", "seed"},
    {},
    run});

}  // namespace rm_eval_cmd
}  // namespace posttrain::cli
