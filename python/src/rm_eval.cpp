// SPDX-License-Identifier: Apache-2.0
// The rm_eval module's bindings: reward-model accuracy (pairs, all pairs per prompt, tie policies)
// and the correlations (Pearson, Spearman, Kendall's tau a, b, c). Host code in the library (one
// number per response; the correlations sort): they take any float array and compute in double.

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <posttrain/rm_eval/accuracy.hpp>
#include <posttrain/rm_eval/best_of_n.hpp>
#include <posttrain/rm_eval/bootstrap.hpp>
#include <posttrain/rm_eval/correlation.hpp>

#include "arrays.hpp"

namespace posttrain_python {
namespace {

namespace rm = pt::rm_eval;

rm::tie_policy parse_ties(const std::string& t) {
  if (t == "zero") return rm::tie_policy::zero;
  if (t == "half") return rm::tie_policy::half;
  if (t == "exclude") return rm::tie_policy::exclude;
  throw nb::value_error(("ties must be 'zero' (reward-bench), 'half' or 'exclude', not '" + t + "'").c_str());
}

nb::dict as_dict(const rm::accuracy_result& r) {
  nb::dict d;
  d["accuracy"] = r.accuracy;
  d["pairs"] = r.pairs;
  d["correct"] = r.correct;
  d["ties"] = r.ties;
  d["gold_ties"] = r.gold_ties;
  return d;
}

/// The accuracy with its bootstrap interval's fields when it has one.
nb::dict as_dict(const std::pair<rm::accuracy_result, rm::interval>& r, bool with_interval) {
  nb::dict d = as_dict(r.first);
  if (with_interval) {
    d["lower"] = r.second.lower;
    d["upper"] = r.second.upper;
    d["valid_resamples"] = r.second.valid_resamples;
  }
  return d;
}

nb::dict pairwise_accuracy(const any_array& chosen, const any_array& rejected, const std::string& ties,
                           std::int64_t bootstrap, double level, std::uint64_t seed) {
  const auto c = doubles_of(chosen, "chosen"), r = doubles_of(rejected, "rejected");
  const auto policy = parse_ties(ties);
  if (bootstrap < 0) throw nb::value_error(("bootstrap is " + std::to_string(bootstrap) + "; it must be ≥ 0").c_str());
  std::pair<rm::accuracy_result, rm::interval> result;
  {
    nb::gil_scoped_release released;
    result = rm::pairwise_accuracy_interval(c, r, policy, bootstrap, level, seed);
  }
  return as_dict(result, bootstrap > 0);
}

/// reward-bench's report of a table of pairs: the accuracy over all pairs and per subset (in order
/// of first appearance), each with the seeded interval of pairwise_accuracy, and the unweighted
/// mean of the subsets' accuracies. The same numbers as `posttrain rm-eval` on such a table.
nb::dict subset_accuracy(const any_array& chosen, const any_array& rejected,
                         const std::optional<std::vector<std::string>>& subset, const std::string& ties,
                         std::int64_t bootstrap, double level, std::uint64_t seed) {
  const auto c = doubles_of(chosen, "chosen"), r = doubles_of(rejected, "rejected");
  const auto policy = parse_ties(ties);
  if (bootstrap < 0) throw nb::value_error(("bootstrap is " + std::to_string(bootstrap) + "; it must be ≥ 0").c_str());
  if (c.size() != r.size())
    throw nb::value_error(("chosen has " + std::to_string(c.size()) + " scores but rejected has " +
                           std::to_string(r.size()) + "; one score each per pair").c_str());
  if (subset && subset->size() != c.size())
    throw nb::value_error(("subset has " + std::to_string(subset->size()) + " names but there are " +
                           std::to_string(c.size()) + " pairs; one subset per pair").c_str());
  // Pairs grouped by subset, in order of first appearance (host code over the names).
  std::vector<std::string> names;
  std::vector<std::vector<double>> group_chosen, group_rejected;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const std::string& name = subset ? (*subset)[i] : std::string("all");
    const auto [it, fresh] = index.try_emplace(name, names.size());
    if (fresh) names.push_back(name), group_chosen.emplace_back(), group_rejected.emplace_back();
    group_chosen[it->second].push_back(c[i]);
    group_rejected[it->second].push_back(r[i]);
  }
  using result = std::pair<rm::accuracy_result, rm::interval>;
  result overall;
  std::vector<result> per_subset(names.size());
  {
    nb::gil_scoped_release released;
    overall = rm::pairwise_accuracy_interval(c, r, policy, bootstrap, level, seed);
    for (std::size_t g = 0; g < names.size(); ++g)
      per_subset[g] = rm::pairwise_accuracy_interval(group_chosen[g], group_rejected[g], policy, bootstrap, level, seed);
  }
  nb::dict subsets;
  double mean = 0;
  for (std::size_t g = 0; g < names.size(); ++g) {
    subsets[nb::str(names[g].c_str())] = as_dict(per_subset[g], bootstrap > 0);
    mean += per_subset[g].first.accuracy / double(names.size());
  }
  nb::dict out;
  out["accuracy"] = as_dict(overall, bootstrap > 0);
  out["subsets"] = subsets;
  out["mean_of_subsets"] = names.empty() ? std::numeric_limits<double>::quiet_NaN() : mean;
  return out;
}

/// Responses grouped by prompt: group[i] is response i's prompt id, each prompt's responses
/// contiguous (the order of a reward-bench or RewardBench-2 table).
rm::prompt_scores grouped(const any_array& proxy, const any_array& gold, const any_array& group) {
  const auto p = doubles_of(proxy, "proxy"), g = doubles_of(gold, "gold");
  if (p.size() != g.size())
    throw nb::value_error(("proxy has " + std::to_string(p.size()) + " scores but gold has " + std::to_string(g.size()))
                              .c_str());
  const auto ids = ids_of(group, p.size());
  rm::prompt_scores s;
  s.proxy = p;
  s.gold = g;
  std::unordered_set<std::int64_t> finished;
  for (std::size_t start = 0, i = 1; i <= ids.size(); ++i)
    if (i == ids.size() || ids[i] != ids[start]) {
      if (!finished.insert(ids[start]).second)
        throw nb::value_error(("group: prompt " + std::to_string(ids[start]) + " reappears at position " +
                               std::to_string(start) + "; each prompt's responses must be contiguous")
                                  .c_str());
      s.offsets.push_back(std::int64_t(i));
      start = i;
    }
  return s;
}

nb::dict all_pairs_accuracy(const any_array& proxy, const any_array& gold, const any_array& group,
                            const std::string& ties, std::int64_t first_k) {
  if (first_k < 0) throw nb::value_error(("first_k is " + std::to_string(first_k) + "; it must be ≥ 0").c_str());
  const auto s = grouped(proxy, gold, group);
  const auto policy = parse_ties(ties);
  rm::accuracy_result result;
  {
    nb::gil_scoped_release released;
    result = rm::all_pairs_accuracy(s, policy, first_k);
  }
  return as_dict(result);
}

nb::dict best_of_n_agreement(const any_array& proxy, const any_array& gold, const any_array& group) {
  const auto s = grouped(proxy, gold, group);
  rm::agreement_result result;
  {
    nb::gil_scoped_release released;
    result = rm::best_of_n_agreement(s);
  }
  nb::dict d;
  d["agreement"] = result.agreement;
  d["prompts"] = result.prompts;
  return d;
}

/// The best-of-N curve: for each N, the expected gold score of the proxy's pick among a uniformly
/// random N-subset of each prompt's responses (exact, over all subsets), averaged over prompts,
/// and the normalised gain against best-of-1 and the gold score's own pick.
nb::dict best_of_n_curve(const any_array& proxy, const any_array& gold, const any_array& group,
                         const std::vector<std::int64_t>& ns) {
  const auto s = grouped(proxy, gold, group);
  std::vector<double> golds, gains;
  {
    nb::gil_scoped_release released;
    for (const auto n : ns) {
      golds.push_back(rm::best_of_n_gold(s, n));
      gains.push_back(rm::best_of_n_gain(s, n));
    }
  }
  nb::dict d;
  d["n"] = ns;
  d["gold"] = golds;
  d["gain"] = gains;
  return d;
}

template <class F>
double correlation(const any_array& x, const any_array& y, const F& f) {
  const auto a = doubles_of(x, "x"), b = doubles_of(y, "y");
  nb::gil_scoped_release released;
  return f(a, b);
}

double kendall_tau(const any_array& x, const any_array& y, const std::string& variant) {
  rm::kendall_variant v;
  if (variant == "a") v = rm::kendall_variant::a;
  else if (variant == "b") v = rm::kendall_variant::b;
  else if (variant == "c") v = rm::kendall_variant::c;
  else throw nb::value_error(("variant must be 'a', 'b' (scipy's default) or 'c', not '" + variant + "'").c_str());
  return correlation(x, y, [&](const auto& a, const auto& b) { return rm::kendall_tau(a, b, v); });
}

}  // namespace

void bind_rm_eval(nb::module_& m) {
  m.def("pairwise_accuracy", &pairwise_accuracy, nb::arg("chosen"), nb::arg("rejected"), nb::arg("ties") = "zero",
        nb::arg("bootstrap") = 0, nb::arg("level") = 0.95, nb::arg("seed") = 0,
        "Accuracy on preference pairs (chosen > rejected): {accuracy, pairs, correct, ties, gold_ties}, and with "
        "bootstrap=R a seeded percentile interval over the pairs: {lower, upper, valid_resamples}.");
  m.def("subset_accuracy", &subset_accuracy, nb::arg("chosen"), nb::arg("rejected"), nb::arg("subset") = nb::none(),
        nb::arg("ties") = "zero", nb::arg("bootstrap") = 0, nb::arg("level") = 0.95, nb::arg("seed") = 0,
        "reward-bench's report of a table of pairs (chosen score, rejected score, subset name): {accuracy, "
        "subsets: {name: accuracy dict}, mean_of_subsets}, each accuracy with its seeded interval when "
        "bootstrap=R; the numbers of `posttrain rm-eval` on the same table.");
  m.def("best_of_n_agreement", &best_of_n_agreement, nb::arg("proxy"), nb::arg("gold"), nb::arg("group"),
        "Best-of-N agreement averaged over prompts (ties share the credit): {agreement, prompts}.");
  m.def("best_of_n_curve", &best_of_n_curve, nb::arg("proxy"), nb::arg("gold"), nb::arg("group"),
        nb::arg("n") = std::vector<std::int64_t>{1, 2, 4, 8, 16},
        "The best-of-N curve, exact over every N-subset of each prompt's responses: {n, gold (the expected gold "
        "score of the proxy's pick, averaged over prompts), gain ((J(proxy) - J(1)) / (J(gold) - J(1)))}; every "
        "prompt needs N responses.");
  m.def("all_pairs_accuracy", &all_pairs_accuracy, nb::arg("proxy"), nb::arg("gold"), nb::arg("group"),
        nb::arg("ties") = "zero", nb::arg("first_k") = 0,
        "Accuracy over every pair of each prompt's responses (group: prompt id per response, contiguous).");
  m.def(
      "pearson", [](const any_array& x, const any_array& y) { return correlation(x, y, rm::pearson); }, nb::arg("x"),
      nb::arg("y"), "Pearson's r (NaN for fewer than 2 values or a constant vector).");
  m.def(
      "spearman", [](const any_array& x, const any_array& y) { return correlation(x, y, rm::spearman); },
      nb::arg("x"), nb::arg("y"), "Spearman's rho with average ranks for ties (scipy.stats.spearmanr).");
  m.def("kendall_tau", &kendall_tau, nb::arg("x"), nb::arg("y"), nb::arg("variant") = "b",
        "Kendall's tau, variant a, b (scipy's default) or c, in O(n log n).");
}

}  // namespace posttrain_python
