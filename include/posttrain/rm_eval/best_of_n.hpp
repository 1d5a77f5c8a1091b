// SPDX-License-Identifier: Apache-2.0
#pragma once
// Best-of-N: pick, among N responses, the one the proxy scores highest, and look at its gold
// score. Two measures (seed paper, §3 of ALGORITHMS.md):
//   best_of_n_agreement — does the proxy's favourite have the top gold score? With ties, the
//     fraction of the proxy's tied favourites that have the top gold score (picking one of them
//     uniformly, the probability of a hit): 1/(number tied) when one of them is gold-best.
//   best_of_n_gold(N) — E[gold of the proxy's pick] over all C(k, N) subsets of the k responses
//     (not a random draw), ties among the proxy's top broken uniformly.
// and the normalised gain (J(proxy) − J0)/(J(gold) − J0) that turns them into "how much of
// the possible improvement the proxy achieves" (negative: a drop).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "../core/error.hpp"
#include "accuracy.hpp"

namespace posttrain::rm_eval {

struct agreement_result {
  double agreement = std::numeric_limits<double>::quiet_NaN();  // mean over prompts
  std::int64_t prompts = 0;                                     // prompts with at least one response
};

/// Best-of-k agreement of one prompt's responses (k = all of them), in [0, 1]. NaN when k = 0.
inline double best_of_n_agreement(std::span<const double> proxy, std::span<const double> gold) {
  if (proxy.empty()) return std::numeric_limits<double>::quiet_NaN();
  double top_proxy = proxy[0], top_gold = gold[0];
  for (std::size_t i = 1; i < proxy.size(); ++i) {
    top_proxy = std::max(top_proxy, proxy[i]);
    top_gold = std::max(top_gold, gold[i]);
  }
  double favourites = 0, hits = 0;
  for (std::size_t i = 0; i < proxy.size(); ++i)
    if (proxy[i] == top_proxy) {
      ++favourites;
      hits += gold[i] == top_gold;
    }
  return hits / favourites;
}

/// Best-of-k agreement averaged over prompts (each prompt's k = its number of responses).
inline agreement_result best_of_n_agreement(const prompt_scores& s) {
  s.validate("best_of_n_agreement");
  agreement_result r;
  double total = 0;
  for (std::int64_t p = 0; p < s.prompts(); ++p) {
    if (s.responses(p) == 0) continue;
    const auto b = static_cast<std::size_t>(s.offsets[p]), k = static_cast<std::size_t>(s.responses(p));
    total += best_of_n_agreement(std::span(s.proxy).subspan(b, k), std::span(s.gold).subspan(b, k));
    ++r.prompts;
  }
  if (r.prompts > 0) r.agreement = total / static_cast<double>(r.prompts);
  return r;
}

namespace detail {
/// log C(n, r); -inf when n < r.
inline double log_choose(double n, double r) {
  if (n < r) return -std::numeric_limits<double>::infinity();
  return std::lgamma(n + 1) - std::lgamma(r + 1) - std::lgamma(n - r + 1);
}
}  // namespace detail

/// E[gold of the proxy's pick among a uniformly random N-subset] for one prompt, exactly:
/// with the proxy's distinct values ascending as levels L (n_L responses, mean gold ḡ_L), the
/// pick lies in level L with probability (C(c≤L, N) − C(c<L, N)) / C(k, N), and within a
/// level every response is equally likely. N in [1, k], else value_error.
inline double best_of_n_gold(std::span<const double> proxy, std::span<const double> gold, std::int64_t n) {
  const auto k = static_cast<std::int64_t>(proxy.size());
  if (n < 1 || n > k)
    throw value_error(posttrain::detail::message("posttrain::rm_eval::best_of_n_gold: N = ", n, " is outside [1, ", k,
                                                 "] (the prompt has ", k, " responses)"));
  std::vector<std::uint32_t> order(static_cast<std::size_t>(k));
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return proxy[a] < proxy[b]; });
  const double log_all = detail::log_choose(static_cast<double>(k), static_cast<double>(n));
  double expected = 0, below = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    double gold_sum = 0;
    while (j < order.size() && proxy[order[j]] == proxy[order[i]]) gold_sum += gold[order[j++]];
    const double level = static_cast<double>(j - i), upto = below + level;
    const double p_top = std::exp(detail::log_choose(upto, static_cast<double>(n)) - log_all) -
                         std::exp(detail::log_choose(below, static_cast<double>(n)) - log_all);
    expected += p_top * gold_sum / level;
    below = upto;
    i = j;
  }
  return expected;
}

/// best_of_n_gold averaged over prompts; every prompt needs at least N responses (else
/// value_error naming the prompt).
inline double best_of_n_gold(const prompt_scores& s, std::int64_t n) {
  s.validate("best_of_n_gold");
  if (s.prompts() == 0) return std::numeric_limits<double>::quiet_NaN();
  double total = 0;
  for (std::int64_t p = 0; p < s.prompts(); ++p) {
    const auto b = static_cast<std::size_t>(s.offsets[p]), k = static_cast<std::size_t>(s.responses(p));
    if (s.responses(p) < n)
      throw value_error(posttrain::detail::message("posttrain::rm_eval::best_of_n_gold: prompt ", p, " has ", k,
                                                   " responses, fewer than N = ", n));
    total += best_of_n_gold(std::span(s.proxy).subspan(b, k), std::span(s.gold).subspan(b, k), n);
  }
  return total / static_cast<double>(s.prompts());
}

/// best_of_n_gold for each N of a list (a best-of-N curve).
inline std::vector<double> best_of_n_curve(const prompt_scores& s, std::span<const std::int64_t> ns) {
  std::vector<double> out;
  for (const auto n : ns) out.push_back(best_of_n_gold(s, n));
  return out;
}

/// (J(proxy) − J0) / (J(gold) − J0): 1 = the gold reward's improvement, 0 = none, < 0 = a
/// drop. NaN when J(gold) = J0 up to rounding (nothing to improve, e.g. N = 1).
inline double normalized_gain(double j_proxy, double j_base, double j_gold) {
  const double possible = j_gold - j_base;
  if (std::abs(possible) <= 1e-12 * std::max({1.0, std::abs(j_gold), std::abs(j_base)}))
    return std::numeric_limits<double>::quiet_NaN();
  return (j_proxy - j_base) / possible;
}

/// The normalised best-of-N gain of the proxy: J0 = best-of-1 (the mean gold score), J(gold)
/// = best-of-N picked by the gold score itself.
inline double best_of_n_gain(const prompt_scores& s, std::int64_t n) {
  prompt_scores oracle = s;
  oracle.proxy = oracle.gold;
  return normalized_gain(best_of_n_gold(s, n), best_of_n_gold(s, 1), best_of_n_gold(oracle, n));
}

}  // namespace posttrain::rm_eval
