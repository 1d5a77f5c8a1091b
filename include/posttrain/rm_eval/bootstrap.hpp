// SPDX-License-Identifier: Apache-2.0
#pragma once
// Percentile bootstrap confidence intervals, seeded and reproducible: resample r draws n
// indices with replacement from counter_rng(seed, r), so the same seed gives the same interval
// on any machine and thread count.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/rng.hpp"
#include "accuracy.hpp"

namespace posttrain::rm_eval {

struct interval {
  double estimate = std::numeric_limits<double>::quiet_NaN();  // the statistic on the data as given
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  std::int64_t valid_resamples = 0;  // resamples whose statistic was not NaN
};

namespace detail {
/// Percentile with linear interpolation between order statistics (numpy's default).
inline double percentile(std::vector<double>& v, double q) {
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  if (lo + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (pos - static_cast<double>(lo)) * (b - a);
}
}  // namespace detail

namespace detail {

inline void check_bootstrap(const char* who, double level, std::int64_t resamples) {
  if (!(level > 0 && level < 1))
    throw value_error(posttrain::detail::message("posttrain::rm_eval::", who, ": level = ", level, " is outside (0, 1)"));
  if (resamples < 1)
    throw value_error(posttrain::detail::message("posttrain::rm_eval::", who, ": resamples = ", resamples, " < 1"));
}

/// Draw i of resample r: an index in [0, n).
inline std::int64_t bootstrap_draw(const counter_rng& rng, std::int64_t i, std::int64_t n) {
  return std::min(n - 1, static_cast<std::int64_t>(rng.uniform_double(static_cast<std::uint64_t>(i)) * static_cast<double>(n)));
}

inline interval finish_interval(interval out, std::vector<double>& stats, double level) {
  out.valid_resamples = static_cast<std::int64_t>(stats.size());
  if (stats.empty()) return out;
  out.lower = percentile(stats, (1 - level) / 2);
  out.upper = percentile(stats, (1 + level) / 2);
  return out;
}

}  // namespace detail

/// statistic(indices) → double, for indices into n items; the interval is the (1 − level)/2
/// and (1 + level)/2 percentiles over `resamples` bootstrap resamples. NaN statistics of
/// resamples are left out (and counted); n = 0 gives NaN.
template <class Statistic>
interval bootstrap(std::int64_t n, const Statistic& statistic, std::int64_t resamples = 1000, double level = 0.95,
                   std::uint64_t seed = 0) {
  detail::check_bootstrap("bootstrap", level, resamples);
  interval out;
  if (n <= 0) return out;
  std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), std::int64_t{0});
  out.estimate = statistic(std::span<const std::int64_t>(idx));
  std::vector<double> stats;
  stats.reserve(static_cast<std::size_t>(resamples));
  for (std::int64_t r = 0; r < resamples; ++r) {
    const counter_rng rng(seed, static_cast<std::uint64_t>(r));
    for (std::int64_t i = 0; i < n; ++i) idx[static_cast<std::size_t>(i)] = detail::bootstrap_draw(rng, i, n);
    const double v = statistic(std::span<const std::int64_t>(idx));
    if (!std::isnan(v)) stats.push_back(v);
  }
  return detail::finish_interval(out, stats, level);
}

/// bootstrap_counts for k statistics at once, from one set of draws: fill(counts, out) writes
/// the k values of a resample into out. Drawing the resamples once for all statistics is what
/// makes many intervals over many items cheap.
template <class Fill>
std::vector<interval> bootstrap_counts_of_many(std::int64_t n, std::size_t k, const Fill& fill, std::int64_t resamples = 1000,
                                               double level = 0.95, std::uint64_t seed = 0, bool concurrent = false) {
  detail::check_bootstrap("bootstrap_counts", level, resamples);
  std::vector<interval> out(k);
  if (n <= 0 || k == 0) return out;
  if (n > std::numeric_limits<std::int32_t>::max())
    throw value_error(posttrain::detail::message("posttrain::rm_eval::bootstrap_counts: n = ", n, " items; at most 2^31 - 1"));
  {
    const std::vector<std::int32_t> ones(static_cast<std::size_t>(n), 1);
    std::vector<double> estimates(k);
    fill(std::span<const std::int32_t>(ones), std::span<double>(estimates));
    for (std::size_t s = 0; s < k; ++s) out[s].estimate = estimates[s];
  }
  std::vector<double> values(static_cast<std::size_t>(resamples) * k);  // resample-major
  std::exception_ptr failure;  // an exception may not leave an OpenMP region: kept, rethrown
#if defined(_OPENMP)
#pragma omp parallel if (concurrent)
#endif
  {
    std::vector<std::int32_t> counts(static_cast<std::size_t>(n));
#if defined(_OPENMP)
#pragma omp for schedule(dynamic, 1)
#endif
    for (std::int64_t r = 0; r < resamples; ++r) {
      try {
        std::fill(counts.begin(), counts.end(), 0);
        const counter_rng rng(seed, static_cast<std::uint64_t>(r));
        for (std::int64_t i = 0; i < n; ++i) ++counts[static_cast<std::size_t>(detail::bootstrap_draw(rng, i, n))];
        fill(std::span<const std::int32_t>(counts), std::span<double>(values).subspan(static_cast<std::size_t>(r) * k, k));
      } catch (...) {
#if defined(_OPENMP)
#pragma omp critical(posttrain_bootstrap_failure)
#endif
        if (!failure) failure = std::current_exception();
      }
    }
  }
  (void)concurrent;
  if (failure) std::rethrow_exception(failure);
  std::vector<double> stats;
  stats.reserve(static_cast<std::size_t>(resamples));
  for (std::size_t s = 0; s < k; ++s) {
    stats.clear();
    for (std::int64_t r = 0; r < resamples; ++r)
      if (const double v = values[static_cast<std::size_t>(r) * k + s]; !std::isnan(v)) stats.push_back(v);
    out[s] = detail::finish_interval(out[s], stats, level);
  }
  return out;
}

/// The resamples of bootstrap() (the same draws), given to the statistic as multiplicities:
/// statistic(counts) → double, counts[i] = how many times item i was drawn (Σ counts = n; all
/// ones for the estimate). A statistic that does not depend on the order of the items (a sum,
/// a mean, a correlation of the pooled data) gets the interval bootstrap() gives, up to the
/// rounding of sums taken in another order, without materialising each resample: O(n) a
/// resample for sums of per-item values computed once.
/// concurrent = true evaluates resamples on all OpenMP threads: the statistic is then called
/// from several threads at once and must allow it. The interval does not depend on the
/// thread count.
template <class Statistic>
interval bootstrap_counts(std::int64_t n, const Statistic& statistic, std::int64_t resamples = 1000,
                          double level = 0.95, std::uint64_t seed = 0, bool concurrent = false) {
  const auto one = [&](std::span<const std::int32_t> counts, std::span<double> out) { out[0] = statistic(counts); };
  return bootstrap_counts_of_many(n, 1, one, resamples, level, seed, concurrent)[0];
}

/// pairwise_accuracy() and its percentile bootstrap interval over the pairs (seeded as
/// bootstrap()). A resample draws pairs with replacement; its accuracy is Σ c·credit / Σ c·counts
/// over the drawn multiplicities c, where a pair's credit is 1 for a win, ½ for a tie under
/// tie_policy::half, else 0, and a tie under tie_policy::exclude does not count. resamples = 0
/// gives the accuracy alone (the interval's fields NaN).
inline std::pair<accuracy_result, interval> pairwise_accuracy_interval(std::span<const double> proxy_chosen,
                                                                       std::span<const double> proxy_rejected,
                                                                       tie_policy policy = tie_policy::zero,
                                                                       std::int64_t resamples = 1000,
                                                                       double level = 0.95, std::uint64_t seed = 0) {
  const auto acc = pairwise_accuracy(proxy_chosen, proxy_rejected, policy);
  interval ci;
  if (resamples == 0) return {acc, ci};
  const std::size_t n = proxy_chosen.size();
  std::vector<double> credit(n), counts(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool tie = proxy_chosen[i] == proxy_rejected[i];
    counts[i] = tie && policy == tie_policy::exclude ? 0 : 1;
    credit[i] = proxy_chosen[i] > proxy_rejected[i] ? 1 : tie && policy == tie_policy::half ? 0.5 : 0;
  }
  ci = bootstrap_counts(
      static_cast<std::int64_t>(n),
      [&](std::span<const std::int32_t> c) {
        double hit = 0, total = 0;
        for (std::size_t i = 0; i < c.size(); ++i) hit += c[i] * credit[i], total += c[i] * counts[i];
        return total > 0 ? hit / total : std::numeric_limits<double>::quiet_NaN();
      },
      resamples, level, seed);
  return {acc, ci};
}

/// The prompts of s at the given indices (repeats allowed), in that order: what a bootstrap
/// over prompts resamples.
inline prompt_scores select_prompts(const prompt_scores& s, std::span<const std::int64_t> prompts) {
  prompt_scores out;
  for (const auto p : prompts) {
    const auto b = static_cast<std::size_t>(s.offsets[p]), k = static_cast<std::size_t>(s.responses(p));
    out.add_prompt(std::span(s.proxy).subspan(b, k), std::span(s.gold).subspan(b, k));
  }
  return out;
}

}  // namespace posttrain::rm_eval
