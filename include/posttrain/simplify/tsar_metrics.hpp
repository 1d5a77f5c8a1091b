// SPDX-License-Identifier: Apache-2.0
#pragma once
// The TSAR-2022 shared task's metrics of ranked lexical substitutes (English, Spanish,
// Portuguese). Host-only by nature: they compare words.
//
// Each instance i has a complex word w_i, a ranked list of predicted substitutes and the gold
// substitutes the annotators gave (with repeats: a substitute's count is how many gave it).
// Predictions are first cleaned: w_i itself and repeated candidates are dropped, the order is
// kept; call the result P_i. The top gold of i is the set of its most frequent gold substitutes
// (ties all belong). Words are compared lower-case (Unicode simple case folding; a byte that is
// not valid UTF-8 reads as U+FFFD, so readers should reject such lines first). For n instances:
//
//   ACC@1           (1/n) Σ 1[P_i[0] ∈ gold_i]
//   ACC@k@Top1      (1/n) Σ 1[P_i[0..k) ∩ topgold_i ≠ ∅]
//   Potential@k     (1/n) Σ 1[P_i[0..k) ∩ gold_i ≠ ∅]
//   MAP@k           (1/n) Σ_i (1/k) Σ_{j<k, P_i[j] ∈ gold_i} |P_i[0..j] ∩ gold_i| / (j + 1)
//
// MAP@k divides by k, not by the number of relevant items, as the task's evaluation does. An
// instance with no prediction left counts as a miss and stays in n.

#include <algorithm>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../core/error.hpp"
#include "../text/words.hpp"

namespace posttrain::simplify {

struct tsar_metrics {
  int k = 1;                   ///< the cut-off of the three @k figures
  double acc_at_1 = 0;         ///< ACC@1 (the same for every k)
  double acc_at_k_top1 = 0;    ///< ACC@k@Top1
  double potential_at_k = 0;   ///< Potential@k
  double map_at_k = 0;         ///< MAP@k
};

namespace detail {
/// P_i: the predictions lower-cased, without the complex word and without repeats, in order.
inline std::vector<std::string> tsar_clean(const std::string& word, const std::vector<std::string>& predicted) {
  const std::string w = text::lowercase(word);
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (const auto& p : predicted) {
    std::string x = text::lowercase(p);
    if (x == w || !seen.insert(x).second) continue;
    out.push_back(std::move(x));
  }
  return out;
}
}  // namespace detail

/// The metrics at each cut-off in `ks` (default 1, 3, 5, 10), one result per cut-off, in order.
/// `words`, `predicted` and `gold` hold one entry per instance; `gold[i]` keeps the annotators'
/// repeats, which decide the top gold.
inline std::vector<tsar_metrics> evaluate_tsar(std::span<const std::string> words,
                                               std::span<const std::vector<std::string>> predicted,
                                               std::span<const std::vector<std::string>> gold,
                                               std::span<const int> ks = std::span<const int>()) {
  static constexpr int default_ks[] = {1, 3, 5, 10};
  if (ks.empty()) ks = default_ks;
  if (words.size() != predicted.size() || words.size() != gold.size())
    throw shape_error(posttrain::detail::message("posttrain::simplify::evaluate_tsar: ", words.size(), " words, ",
                                                 predicted.size(), " prediction lists and ", gold.size(),
                                                 " gold lists; they must be equal"));
  for (std::size_t j = 0; j < ks.size(); ++j)
    if (ks[j] < 1)
      throw value_error(posttrain::detail::message("posttrain::simplify::evaluate_tsar: ks[", j, "] is ", ks[j],
                                                   "; a cut-off must be at least 1"));
  std::vector<tsar_metrics> out(ks.size());
  for (std::size_t j = 0; j < ks.size(); ++j) out[j].k = ks[j];
  if (words.empty()) return out;

  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto p = detail::tsar_clean(words[i], predicted[i]);
    std::unordered_map<std::string, long> count;
    for (const auto& g : gold[i]) ++count[text::lowercase(g)];
    long most = 0;
    for (const auto& [g, c] : count) most = std::max(most, c);
    const auto in_gold = [&](const std::string& x) { return count.count(x) > 0; };
    const auto in_top = [&](const std::string& x) {
      const auto it = count.find(x);
      return it != count.end() && it->second == most;
    };
    const bool first_in_gold = !p.empty() && in_gold(p[0]);
    for (auto& m : out) {
      const std::size_t k = std::min(p.size(), std::size_t(m.k));
      bool any_gold = false, any_top = false;
      double hits = 0, precision_sum = 0;
      for (std::size_t r = 0; r < k; ++r) {
        if (!in_gold(p[r])) continue;
        any_gold = true;
        any_top = any_top || in_top(p[r]);
        hits += 1;
        precision_sum += hits / double(r + 1);
      }
      m.acc_at_1 += first_in_gold;
      m.acc_at_k_top1 += any_top;
      m.potential_at_k += any_gold;
      m.map_at_k += precision_sum / double(m.k);
    }
  }
  const double n = double(words.size());
  for (auto& m : out) {
    m.acc_at_1 /= n;
    m.acc_at_k_top1 /= n;
    m.potential_at_k /= n;
    m.map_at_k /= n;
  }
  return out;
}

}  // namespace posttrain::simplify
