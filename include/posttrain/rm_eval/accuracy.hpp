// SPDX-License-Identifier: Apache-2.0
#pragma once
// Reward-model accuracy, measured the ways the seed paper compares ("Rethinking Reward Model
// Evaluation", ICLR 2025): one preference pair per prompt, all C(k, 2) pairs of k responses
// per prompt, and best-of-N agreement. Scores arrive grouped by prompt (prompt_scores).
//
// Ties. A proxy tie on a pair whose gold scores differ follows tie_policy: zero (reward-bench's
// rule: a tie is not a win), half, or exclude (the pair leaves the denominator); the number of
// proxy ties is always reported. Pairs whose gold scores are equal carry no preference and are
// never counted (gold_ties reports them).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "../core/config.hpp"
#include "../core/error.hpp"

namespace posttrain::rm_eval {

enum class tie_policy { zero, half, exclude };

/// Accuracy and the counts behind it.
struct accuracy_result {
  double accuracy = std::numeric_limits<double>::quiet_NaN();  // NaN when no pair counts
  std::int64_t pairs = 0;      // pairs in the denominator
  std::int64_t correct = 0;    // proxy agrees with gold (strictly)
  std::int64_t ties = 0;       // proxy ties among informative pairs (whatever the policy)
  std::int64_t gold_ties = 0;  // pairs skipped because gold is tied
};

/// Proxy and gold scores of the responses of many prompts: prompt p owns responses
/// [offsets[p], offsets[p+1]).
struct prompt_scores {
  std::vector<double> proxy, gold;
  std::vector<std::int64_t> offsets{0};

  std::int64_t prompts() const { return static_cast<std::int64_t>(offsets.size()) - 1; }
  std::int64_t responses(std::int64_t p) const { return offsets[p + 1] - offsets[p]; }
  /// Appends one prompt's responses.
  void add_prompt(std::span<const double> proxy_scores, std::span<const double> gold_scores) {
    if (proxy_scores.size() != gold_scores.size())
      throw shape_error(posttrain::detail::message("posttrain::rm_eval::prompt_scores: prompt ", prompts(), " has ",
                                                   proxy_scores.size(), " proxy scores but ", gold_scores.size(),
                                                   " gold scores"));
    proxy.insert(proxy.end(), proxy_scores.begin(), proxy_scores.end());
    gold.insert(gold.end(), gold_scores.begin(), gold_scores.end());
    offsets.push_back(static_cast<std::int64_t>(proxy.size()));
  }
  /// Checks the invariants; value_error naming the first NaN score.
  void validate(std::string_view who) const {
    if (proxy.size() != gold.size() || offsets.empty() || offsets.front() != 0 ||
        offsets.back() != static_cast<std::int64_t>(proxy.size()))
      throw shape_error(posttrain::detail::message("posttrain::rm_eval::", who, ": inconsistent prompt_scores (",
                                                   proxy.size(), " proxy, ", gold.size(), " gold, offsets ending at ",
                                                   offsets.empty() ? -1 : offsets.back(), ")"));
    for (std::int64_t p = 0; p < prompts(); ++p)
      for (std::int64_t r = offsets[p]; r < offsets[p + 1]; ++r)
        if (std::isnan(proxy[r]) || std::isnan(gold[r]))
          throw value_error(posttrain::detail::message("posttrain::rm_eval::", who, ": prompt ", p, ", response ",
                                                       r - offsets[p], " has a NaN ", std::isnan(proxy[r]) ? "proxy" : "gold",
                                                       " score"));
  }
};

namespace detail {

inline void score_pair(accuracy_result& acc, double proxy_a, double proxy_b, double gold_a, double gold_b,
                       tie_policy policy, double& credit) {
  if (gold_a == gold_b) {
    ++acc.gold_ties;
    return;
  }
  const bool gold_prefers_a = gold_a > gold_b;
  if (proxy_a == proxy_b) {
    ++acc.ties;
    if (policy == tie_policy::exclude) return;
    if (policy == tie_policy::half) credit += 0.5;
    ++acc.pairs;
    return;
  }
  ++acc.pairs;
  if ((proxy_a > proxy_b) == gold_prefers_a) {
    ++acc.correct;
    credit += 1;
  }
}

inline void finish(accuracy_result& acc, double credit) {
  if (acc.pairs > 0) acc.accuracy = credit / static_cast<double>(acc.pairs);
}

}  // namespace detail

/// Accuracy on preference pairs: pair i is correct when proxy_chosen[i] > proxy_rejected[i].
/// (Gold says "chosen" wins every pair, as in reward-bench.)
inline accuracy_result pairwise_accuracy(std::span<const double> proxy_chosen, std::span<const double> proxy_rejected,
                                         tie_policy policy = tie_policy::zero) {
  if (proxy_chosen.size() != proxy_rejected.size())
    throw shape_error(posttrain::detail::message("posttrain::rm_eval::pairwise_accuracy: ", proxy_chosen.size(),
                                                 " chosen scores but ", proxy_rejected.size(), " rejected"));
  accuracy_result acc;
  double credit = 0;
  for (std::size_t i = 0; i < proxy_chosen.size(); ++i) {
    if (std::isnan(proxy_chosen[i]) || std::isnan(proxy_rejected[i]))
      throw value_error(posttrain::detail::message("posttrain::rm_eval::pairwise_accuracy: pair ", i, " has a NaN score"));
    detail::score_pair(acc, proxy_chosen[i], proxy_rejected[i], 1.0, 0.0, policy, credit);
  }
  detail::finish(acc, credit);
  return acc;
}

/// Accuracy over all C(k, 2) pairs of each prompt's responses (pairs pooled over prompts),
/// optionally only the first `first_k` responses of each prompt (0: all of them).
inline accuracy_result all_pairs_accuracy(const prompt_scores& s, tie_policy policy = tie_policy::zero,
                                          std::int64_t first_k = 0) {
  s.validate("all_pairs_accuracy");
  accuracy_result acc;
  double credit = 0;
  for (std::int64_t p = 0; p < s.prompts(); ++p) {
    const std::int64_t begin = s.offsets[p];
    const std::int64_t k = first_k > 0 ? std::min(first_k, s.responses(p)) : s.responses(p);
    for (std::int64_t a = begin; a < begin + k; ++a)
      for (std::int64_t b = a + 1; b < begin + k; ++b)
        detail::score_pair(acc, s.proxy[a], s.proxy[b], s.gold[a], s.gold[b], policy, credit);
  }
  detail::finish(acc, credit);
  return acc;
}

/// Accuracy on one pair per prompt: its first two responses (the usual preference dataset).
inline accuracy_result first_pair_accuracy(const prompt_scores& s, tie_policy policy = tie_policy::zero) {
  for (std::int64_t p = 0; p < s.prompts(); ++p)
    if (s.responses(p) < 2)
      throw shape_error(posttrain::detail::message("posttrain::rm_eval::first_pair_accuracy: prompt ", p, " has ",
                                                   s.responses(p), " response(s); a pair needs 2"));
  return all_pairs_accuracy(s, policy, 2);
}

}  // namespace posttrain::rm_eval
