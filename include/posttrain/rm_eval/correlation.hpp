// SPDX-License-Identifier: Apache-2.0
#pragma once
// Correlations between two score vectors (proxy vs gold rewards, accuracy vs downstream gain):
// Pearson, Spearman (Pearson of average ranks) and Kendall's τ_a, τ_b, τ_c, the last three in
// O(n log n) by sorting (radix, on order-preserving integer keys) and merge-sort inversion counting (Knight 1966; scipy.stats.kendalltau
// counts the same way, so τ_b and τ_c agree with scipy's 'b' and 'c' variants).
//
// Conventions: fewer than two points, or a constant vector, give NaN (as scipy), never a
// division by zero. A NaN in the input is a value_error naming its position (scipy would
// propagate NaN silently). Sizes must match.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "../core/config.hpp"
#include "../core/detail/order_key.hpp"
#include "../core/error.hpp"

namespace posttrain::rm_eval {

namespace detail {

inline void check_pair(std::string_view what, std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size())
    throw shape_error(posttrain::detail::message("posttrain::rm_eval::", what, ": x has ", x.size(), " values but y has ",
                                                 y.size()));
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::isnan(x[i]) || std::isnan(y[i]))
      throw value_error(posttrain::detail::message("posttrain::rm_eval::", what, ": ", std::isnan(x[i]) ? "x" : "y",
                                                   "[", i, "] is NaN"));
}

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// The order-preserving key of a double (inputs here are checked for NaN first).
inline std::uint64_t sortable_bits(double v) { return posttrain::detail::order_key<double>::of(v); }

/// Stable LSD radix sort of records by a 64-bit key, 16 bits a pass; a pass in which every
/// key has the same digit is skipped. O(n) against the O(n log n) comparisons of a sort,
/// with sequential memory access.
template <class Record, class Key>
void radix_sort(std::vector<Record>& v, const Key& key) {
  if (v.size() <= 32) {  // one prompt's responses: an insertion sort, not four 65 536-entry histograms
    for (std::size_t i = 1; i < v.size(); ++i) {
      const Record r = v[i];
      const auto k = key(r);
      std::size_t j = i;
      for (; j > 0 && key(v[j - 1]) > k; --j) v[j] = v[j - 1];
      v[j] = r;
    }
    return;
  }
  std::vector<Record> tmp(v.size());
  std::vector<std::size_t> count(std::size_t{1} << 16);
  for (int shift = 0; shift < 64; shift += 16) {
    std::fill(count.begin(), count.end(), 0);
    for (const auto& r : v) ++count[(key(r) >> shift) & 0xFFFF];
    if (std::find(count.begin(), count.end(), v.size()) != count.end()) continue;
    std::size_t sum = 0;
    for (auto& c : count) sum += std::exchange(c, sum);
    for (const auto& r : v) tmp[count[(key(r) >> shift) & 0xFFFF]++] = r;
    v.swap(tmp);
  }
}

/// A sum with Neumaier's compensation: the rounding error of each addition is kept and added
/// back, so a million terms are summed to about one rounding (plain summation drifted by 1e-11
/// in Spearman's ρ at n = 10^6).
struct compensated_sum {
  double sum = 0, compensation = 0;
  void add(double v) {
    const double t = sum + v;
    compensation += std::abs(sum) >= std::abs(v) ? (sum - t) + v : (v - t) + sum;
    sum = t;
  }
  double value() const { return sum + compensation; }
};

/// Pearson's r of points i in [0, n) with weights w(i) ≥ 0 (a point of weight 2 counts as two
/// equal points): x(i), y(i), w(i) are callables. NaN for a total weight below 2 or a constant.
template <class X, class Y, class W>
double weighted_pearson(std::size_t n, const X& x, const Y& y, const W& w) {
  compensated_sum total, sx, sy;
  for (std::size_t i = 0; i < n; ++i) {
    const double wi = w(i);
    total.add(wi), sx.add(wi * x(i)), sy.add(wi * y(i));
  }
  const double weight = total.value();
  if (!(weight >= 2)) return nan;
  const double mx = sx.value() / weight, my = sy.value() / weight;
  compensated_sum sxy, sxx, syy;
  for (std::size_t i = 0; i < n; ++i) {
    const double wi = w(i), dx = x(i) - mx, dy = y(i) - my;
    sxy.add(wi * dx * dy), sxx.add(wi * dx * dx), syy.add(wi * dy * dy);
  }
  if (sxx.value() == 0 || syy.value() == 0) return nan;
  return std::clamp(sxy.value() / std::sqrt(sxx.value() * syy.value()), -1.0, 1.0);
}

}  // namespace detail

/// Pearson's r. NaN for n < 2 or a constant vector. Sums are compensated (detail::compensated_sum).
inline double pearson(std::span<const double> x, std::span<const double> y) {
  detail::check_pair("pearson", x, y);
  if (x.size() < 2) return detail::nan;
  return detail::weighted_pearson(
      x.size(), [&](std::size_t i) { return x[i]; }, [&](std::size_t i) { return y[i]; }, [](std::size_t) { return 1.0; });
}

/// 1-based ranks with ties given their average rank (scipy.stats.rankdata 'average').
inline std::vector<double> average_ranks(std::span<const double> x) {
  struct keyed {
    std::uint64_t key;
    std::uint64_t index;
  };
  std::vector<keyed> order(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) order[i] = {detail::sortable_bits(x[i]), i};
  detail::radix_sort(order, [](const keyed& r) { return r.key; });
  std::vector<double> ranks(x.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i + 1;
    while (j < order.size() && order[j].key == order[i].key) ++j;
    const double r = 0.5 * static_cast<double>(i + 1 + j);  // mean of ranks i+1 .. j
    for (std::size_t t = i; t < j; ++t) ranks[order[t].index] = r;
    i = j;
  }
  return ranks;
}

/// Spearman's ρ: Pearson of the average ranks. NaN for n < 2 or a constant vector.
inline double spearman(std::span<const double> x, std::span<const double> y) {
  detail::check_pair("spearman", x, y);
  const auto rx = average_ranks(x), ry = average_ranks(y);
  return pearson(rx, ry);
}

enum class kendall_variant { a, b, c };

/// Kendall's τ counts, from which every variant follows.
struct kendall_counts {
  std::int64_t n = 0;
  double pairs = 0;            // n(n-1)/2
  double x_ties = 0;           // pairs tied in x
  double y_ties = 0;           // pairs tied in y
  double xy_ties = 0;          // pairs tied in both
  double concordant_minus_discordant = 0;
  std::int64_t x_classes = 0;  // distinct values of x
  std::int64_t y_classes = 0;
};

namespace detail {

/// Inversions of v (pairs i < j with v[i] > v[j]) by bottom-up merge sort; v ends sorted.
template <class T>
std::int64_t count_inversions(std::vector<T>& v) {
  std::vector<T> buf(v.size());
  std::int64_t inversions = 0;
  const std::size_t n = v.size();
  for (std::size_t width = 1; width < n; width *= 2) {
    for (std::size_t lo = 0; lo < n; lo += 2 * width) {
      const std::size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (v[j] < v[i]) {  // strictly smaller: ties are not inversions
          inversions += static_cast<std::int64_t>(mid - i);
          buf[k++] = v[j++];
        } else {
          buf[k++] = v[i++];
        }
      }
      while (i < mid) buf[k++] = v[i++];
      while (j < hi) buf[k++] = v[j++];
    }
    v.swap(buf);
  }
  return inversions;
}

/// Σ t(t-1)/2 over runs of equal values in sorted v, and the number of runs.
template <class Equal>
std::pair<double, std::int64_t> tied_pairs(std::size_t n, Equal equal) {
  double ties = 0;
  std::int64_t classes = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && equal(i, j)) ++j;
    const double t = static_cast<double>(j - i);
    ties += t * (t - 1) / 2;
    ++classes;
    i = j;
  }
  return {ties, classes};
}

}  // namespace detail

/// The counts behind Kendall's τ in O(n log n).
inline kendall_counts kendall_count(std::span<const double> x, std::span<const double> y) {
  detail::check_pair("kendall_tau", x, y);
  kendall_counts c;
  const std::size_t n = x.size();
  c.n = static_cast<std::int64_t>(n);
  if (n < 2) return c;
  c.pairs = static_cast<double>(n) * static_cast<double>(n - 1) / 2;
  // Sort by (x, y) (radix: by y, then stably by x): within an x-tie the y values ascend, so
  // the inversions of the y sequence are exactly the discordant pairs (x strictly increasing,
  // y strictly decreasing).
  struct keyed {
    std::uint64_t x, y;
  };
  std::vector<keyed> pairs(n);
  for (std::size_t i = 0; i < n; ++i) pairs[i] = {detail::sortable_bits(x[i]), detail::sortable_bits(y[i])};
  detail::radix_sort(pairs, [](const keyed& r) { return r.y; });
  detail::radix_sort(pairs, [](const keyed& r) { return r.x; });
  std::tie(c.x_ties, c.x_classes) =
      detail::tied_pairs(n, [&](std::size_t i, std::size_t j) { return pairs[i].x == pairs[j].x; });
  std::tie(c.xy_ties, std::ignore) = detail::tied_pairs(
      n, [&](std::size_t i, std::size_t j) { return pairs[i].x == pairs[j].x && pairs[i].y == pairs[j].y; });
  std::vector<std::uint64_t> ys(n);
  for (std::size_t i = 0; i < n; ++i) ys[i] = pairs[i].y;
  pairs = {};
  const auto discordant = detail::count_inversions(ys);  // ys is now sorted
  std::tie(c.y_ties, c.y_classes) = detail::tied_pairs(n, [&](std::size_t i, std::size_t j) { return ys[i] == ys[j]; });
  c.concordant_minus_discordant = c.pairs - c.x_ties - c.y_ties + c.xy_ties - 2.0 * static_cast<double>(discordant);
  return c;
}

/// Kendall's τ from its counts: a = (C − D)/(n(n−1)/2); b (default, as scipy) divides by
/// sqrt((n0 − ties_x)(n0 − ties_y)); c (Stuart) = 2(C − D) / (n²(m − 1)/m), m = min(classes).
/// NaN when the denominator is 0 (n < 2, a constant vector).
inline double kendall_tau(const kendall_counts& c, kendall_variant variant = kendall_variant::b) {
  double denominator = 0;
  switch (variant) {
    case kendall_variant::a: denominator = c.pairs; break;
    case kendall_variant::b: denominator = std::sqrt((c.pairs - c.x_ties) * (c.pairs - c.y_ties)); break;
    case kendall_variant::c: {
      const double m = static_cast<double>(std::min(c.x_classes, c.y_classes));
      if (m < 2) return detail::nan;
      denominator = static_cast<double>(c.n) * static_cast<double>(c.n) * (m - 1) / m / 2;
      break;
    }
  }
  if (!(denominator > 0)) return detail::nan;
  return std::clamp(c.concordant_minus_discordant / denominator, -1.0, 1.0);
}

inline double kendall_tau(std::span<const double> x, std::span<const double> y,
                          kendall_variant variant = kendall_variant::b) {
  return kendall_tau(kendall_count(x, y), variant);
}

enum class rank_correlation { spearman, kendall_tau_b };

}  // namespace posttrain::rm_eval
