#pragma once
// Percentile bootstrap confidence intervals, seeded and reproducible: resample r draws n
// indices with replacement from counter_rng(seed, r), so the same seed gives the same interval
// on any machine and thread count.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
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

/// statistic(indices) → double, for indices into n items; the interval is the (1 − level)/2
/// and (1 + level)/2 percentiles over `resamples` bootstrap resamples. NaN statistics of
/// resamples are left out (and counted); n = 0 gives NaN.
template <class Statistic>
interval bootstrap(std::int64_t n, const Statistic& statistic, std::int64_t resamples = 1000, double level = 0.95,
                   std::uint64_t seed = 0) {
  if (!(level > 0 && level < 1))
    throw value_error(posttrain::detail::message("posttrain::rm_eval::bootstrap: level = ", level, " is outside (0, 1)"));
  if (resamples < 1)
    throw value_error(posttrain::detail::message("posttrain::rm_eval::bootstrap: resamples = ", resamples, " < 1"));
  interval out;
  if (n <= 0) return out;
  std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), std::int64_t{0});
  out.estimate = statistic(std::span<const std::int64_t>(idx));
  std::vector<double> stats;
  stats.reserve(static_cast<std::size_t>(resamples));
  for (std::int64_t r = 0; r < resamples; ++r) {
    const counter_rng rng(seed, static_cast<std::uint64_t>(r));
    for (std::int64_t i = 0; i < n; ++i)
      idx[static_cast<std::size_t>(i)] =
          std::min(n - 1, static_cast<std::int64_t>(rng.uniform_double(static_cast<std::uint64_t>(i)) * static_cast<double>(n)));
    const double v = statistic(std::span<const std::int64_t>(idx));
    if (!std::isnan(v)) stats.push_back(v);
  }
  out.valid_resamples = static_cast<std::int64_t>(stats.size());
  if (stats.empty()) return out;
  out.lower = detail::percentile(stats, (1 - level) / 2);
  out.upper = detail::percentile(stats, (1 + level) / 2);
  return out;
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
