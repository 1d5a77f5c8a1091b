// SPDX-License-Identifier: Apache-2.0
// Rank correlations at scale: Kendall's τ_b and Spearman on n pairs with ties, the data that
// bench/peers/rm_eval_scipy.py builds with the same formula (so the two time the same input).
//
//   bench_rm_eval --benchmark_filter=kendall
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include <posttrain/rm_eval/correlation.hpp>

namespace {

/// x_i = frac(i·φ), y_i = frac(i·√2) + x_i/2 rounded to 1e-4 (ties in y): as the peer script.
void make_data(std::int64_t n, std::vector<double>& x, std::vector<double>& y) {
  x.resize(static_cast<std::size_t>(n));
  y.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(i);
    x[i] = std::fmod(d * 0.6180339887498949, 1.0);
    y[i] = std::nearbyint((std::fmod(d * 1.4142135623730951, 1.0) + 0.5 * x[i]) * 1e4) / 1e4;
  }
}

template <class Statistic>
void BM_correlation(benchmark::State& state, Statistic statistic) {
  std::vector<double> x, y;
  make_data(state.range(0), x, y);
  double value = 0;
  for (auto _ : state) benchmark::DoNotOptimize(value = statistic(x, y));
  state.counters["value"] = value;
  state.SetItemsProcessed(state.range(0) * state.iterations());
}

double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  return posttrain::rm_eval::kendall_tau(x, y);
}
double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  return posttrain::rm_eval::spearman(x, y);
}

}  // namespace

BENCHMARK_CAPTURE(BM_correlation, kendall_tau_b, kendall_tau_b)
    ->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_correlation, spearman, spearman)
    ->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
