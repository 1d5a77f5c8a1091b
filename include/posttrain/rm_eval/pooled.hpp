// SPDX-License-Identifier: Apache-2.0
#pragma once
// Correlations of the pooled responses of a bootstrap resample of prompts, computed from the
// prompts' multiplicities (bootstrap_counts) instead of the materialised resample. The sorting
// is done once, at construction; each resample then costs
//   Pearson, Spearman: O(N) (average ranks read off the fixed order, each response counted as
//                       often as its prompt was drawn),
//   Kendall's τ_b:     O(N log N) integer work (a weighted merge-sort inversion count, exact in
//                       64-bit integers),
// with N the number of responses. The values equal pearson, spearman and kendall_tau of
// select_prompts(s, indices) for the resample's indices, up to rounding. Host-only by nature:
// a sort done once and a sequence of merges over one pooled vector.
//
//   rm_eval::pooled_correlations pooled(scores);
//   auto ci = rm_eval::bootstrap_counts(scores.prompts(),
//       [&](std::span<const std::int32_t> counts) { return pooled.kendall_tau_b(counts); }, 1000);

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "../core/error.hpp"
#include "accuracy.hpp"
#include "correlation.hpp"

namespace posttrain::rm_eval {

class pooled_correlations {
 public:
  explicit pooled_correlations(const prompt_scores& s) : x_(s.proxy), y_(s.gold), prompts_(s.prompts()) {
    s.validate("pooled_correlations");
    const std::size_t n = x_.size();
    if (n > std::size_t(std::numeric_limits<std::uint32_t>::max()))
      throw value_error(posttrain::detail::message("posttrain::rm_eval::pooled_correlations: ", n,
                                                   " responses; at most 2^32 - 1"));
    prompt_of_.resize(n);
    for (std::int64_t p = 0; p < s.prompts(); ++p)
      for (std::int64_t r = s.offsets[p]; r < s.offsets[p + 1]; ++r) prompt_of_[std::size_t(r)] = std::uint32_t(p);
    struct keyed {
      std::uint64_t x, y;
      std::uint32_t index;
    };
    std::vector<keyed> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = {detail::sortable_bits(x_[i]), detail::sortable_bits(y_[i]), std::uint32_t(i)};
    // By y: the y order, and each response's dense y rank.
    detail::radix_sort(v, [](const keyed& r) { return r.y; });
    same_y_as_previous_.resize(n);
    std::vector<std::uint32_t> y_rank(n), y_position(n);
    std::uint32_t rank = 0;
    prompt_by_y_.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      prompt_by_y_[k] = prompt_of_[v[k].index];
      y_position[v[k].index] = std::uint32_t(k);
      same_y_as_previous_[k] = k > 0 && v[k].y == v[k - 1].y;
      if (k > 0 && !same_y_as_previous_[k]) ++rank;
      y_rank[v[k].index] = rank;
    }
    // By (x, y): stably by x after the sort by y.
    detail::radix_sort(v, [](const keyed& r) { return r.x; });
    same_x_as_previous_.resize(n);
    same_xy_as_previous_.resize(n);
    y_rank_by_x_.resize(n);
    prompt_by_x_.resize(n);
    x_position_by_y_.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      prompt_by_x_[k] = prompt_of_[v[k].index];
      x_position_by_y_[y_position[v[k].index]] = std::uint32_t(k);
      same_x_as_previous_[k] = k > 0 && v[k].x == v[k - 1].x;
      same_xy_as_previous_[k] = same_x_as_previous_[k] && v[k].y == v[k - 1].y;
      y_rank_by_x_[k] = y_rank[v[k].index];
    }
  }

  std::int64_t prompts() const { return prompts_; }

  /// Pearson's r of the responses, each counted counts[its prompt] times.
  double pearson(std::span<const std::int32_t> counts) const {
    check(counts, "pearson");
    return detail::weighted_pearson(
        x_.size(), [&](std::size_t i) { return x_[i]; }, [&](std::size_t i) { return y_[i]; },
        [&](std::size_t i) { return double(counts[prompt_of_[i]]); });
  }

  /// Spearman's ρ (average ranks) of the responses, each counted counts[its prompt] times.
  double spearman(std::span<const std::int32_t> counts) const {
    check(counts, "spearman");
    // The ranks' mean is (M + 1)/2 for M responses counted; Σ w (r − mean)² comes from the runs
    // of each order, and Σ w (rx − mean)(ry − mean) from one pass over the y order.
    thread_local std::vector<double> rx;
    rx.resize(x_.size());
    double total = 0;
    for (std::size_t k = 0; k < x_.size(); ++k) total += counts[prompt_by_x_[k]];
    if (total < 2) return detail::nan;
    const double mean = (total + 1) / 2;
    detail::compensated_sum sxx, syy, sxy;
    for_each_run(prompt_by_x_, same_x_as_previous_, counts, mean, sxx, [&](std::size_t k, double r) { rx[k] = r - mean; });
    for_each_run(prompt_by_y_, same_y_as_previous_, counts, mean, syy, [&](std::size_t k, double r) {
      sxy.add(counts[prompt_by_y_[k]] * rx[x_position_by_y_[k]] * (r - mean));
    });
    if (sxx.value() == 0 || syy.value() == 0) return detail::nan;
    return std::clamp(sxy.value() / std::sqrt(sxx.value() * syy.value()), -1.0, 1.0);
  }

  /// Kendall's τ_b (scipy's default) of the responses, each counted counts[its prompt] times.
  double kendall_tau_b(std::span<const std::int32_t> counts) const {
    check(counts, "kendall_tau_b");
    const std::size_t n = x_.size();
    // Σ W(W − 1)/2 over the runs of a sorted order that `same` joins: pairs tied in the key.
    const auto tied_pairs = [&](const std::vector<std::uint32_t>& prompt_at, const std::vector<bool>& same) {
      std::uint64_t ties = 0, run = 0;
      for (std::size_t k = 0; k < n; ++k) {
        if (k > 0 && !same[k]) ties += run * (run - 1) / 2, run = 0;  // run = 0 gives 0 too
        run += std::uint64_t(counts[prompt_at[k]]);
      }
      return ties + run * (run - 1) / 2;
    };
    std::uint64_t total = 0;
    for (std::size_t k = 0; k < n; ++k) total += std::uint64_t(counts[prompt_by_x_[k]]);
    if (total < 2) return detail::nan;
    const std::uint64_t pairs = total * (total - 1) / 2;
    const std::uint64_t x_ties = tied_pairs(prompt_by_x_, same_x_as_previous_),
                        y_ties = tied_pairs(prompt_by_y_, same_y_as_previous_),
                        xy_ties = tied_pairs(prompt_by_x_, same_xy_as_previous_);
    // In (x, y) order, pairs whose y ranks are inverted are the discordant ones (within an x
    // tie y ascends, so none are counted there); weighted by the product of the weights.
    // One 64-bit word an element, the y rank above the weight, so that a merge moves one word.
    thread_local std::vector<std::uint64_t> packed, buffer;
    packed.clear();
    for (std::size_t k = 0; k < n; ++k)
      if (const std::uint64_t wk = std::uint64_t(counts[prompt_by_x_[k]]); wk > 0)
        packed.push_back(std::uint64_t(y_rank_by_x_[k]) << 32 | wk);
    const std::uint64_t discordant = weighted_inversions(packed, buffer);
    const double denominator = std::sqrt(double(pairs - x_ties) * double(pairs - y_ties));
    if (!(denominator > 0)) return detail::nan;
    const double c_minus_d = double(pairs) - double(x_ties) - double(y_ties) + double(xy_ties) - 2.0 * double(discordant);
    return std::clamp(c_minus_d / denominator, -1.0, 1.0);
  }

 private:
  void check(std::span<const std::int32_t> counts, const char* who) const {
    if (std::int64_t(counts.size()) != prompts_)
      throw shape_error(posttrain::detail::message("posttrain::rm_eval::pooled_correlations::", who, ": ", counts.size(),
                                                   " counts for ", prompts_, " prompts"));
  }

  // The runs of equal keys of an order: each position k of a run gets f(k, r), r the run's
  // average rank (1-based; every response counted as often as its prompt); squares adds
  // Σ w (r − mean)² over the run.
  template <class F>
  static void for_each_run(const std::vector<std::uint32_t>& prompt_at, const std::vector<bool>& same,
                           std::span<const std::int32_t> counts, double mean, detail::compensated_sum& squares, const F& f) {
    const std::size_t n = prompt_at.size();
    double before = 0;
    for (std::size_t k = 0; k < n;) {
      std::size_t end = k + 1;
      double run = counts[prompt_at[k]];
      for (; end < n && same[end]; ++end) run += counts[prompt_at[end]];
      const double r = before + (run + 1) / 2;
      for (std::size_t t = k; t < end; ++t) f(t, r);
      squares.add(run * (r - mean) * (r - mean));
      before += run;
      k = end;
    }
  }

  // Σ w_i w_j over i < j with rank_i > rank_j (element = rank << 32 | weight), by a bottom-up
  // merge sort; the elements end sorted.
  static std::uint64_t weighted_inversions(std::vector<std::uint64_t>& v, std::vector<std::uint64_t>& buffer) {
    const std::size_t n = v.size();
    buffer.resize(n);
    constexpr std::uint64_t low = 0xFFFFFFFFu;
    std::uint64_t inversions = 0;
    for (std::size_t width = 1; width < n; width *= 2) {
      for (std::size_t lo = 0; lo < n; lo += 2 * width) {
        const std::size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
        std::uint64_t left_weight = 0;  // of the left run's elements not yet taken
        for (std::size_t i = lo; i < mid; ++i) left_weight += v[i] & low;
        std::size_t i = lo, j = mid, k = lo;
        while (i < mid && j < hi) {  // without branches: the comparisons are a coin toss
          const std::uint64_t a = v[i], b = v[j];
          const bool right = (b >> 32) < (a >> 32);
          inversions += right ? (b & low) * left_weight : 0;
          left_weight -= right ? 0 : a & low;
          buffer[k++] = right ? b : a;
          j += right;
          i += !right;
        }
        for (; i < mid; ++i) buffer[k++] = v[i];
        for (; j < hi; ++j) buffer[k++] = v[j];
      }
      v.swap(buffer);
    }
    return inversions;
  }

  std::vector<double> x_, y_;
  std::int64_t prompts_ = 0;
  std::vector<std::uint32_t> prompt_of_;
  // Positions in two orders of the responses: the x order (by x, then y) and the y order.
  std::vector<std::uint32_t> y_rank_by_x_;                 // the dense y rank at each x position
  std::vector<std::uint32_t> prompt_by_x_, prompt_by_y_;   // the prompt of the response at each position
  std::vector<std::uint32_t> x_position_by_y_;             // where the y order's k-th response is in the x order
  std::vector<bool> same_x_as_previous_, same_xy_as_previous_, same_y_as_previous_;
};

}  // namespace posttrain::rm_eval
