// SPDX-License-Identifier: Apache-2.0
// Rank correlations at scale: Kendall's τ_b and Spearman on n pairs with ties, the data that
// bench/peers/rm_eval_scipy.py builds with the same formula (so the two time the same input); and
// the per-prompt all-pairs accuracy on the sequential backend (P prompts of k responses).
//
//   bench_rm_eval --benchmark_filter=kendall
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include <posttrain/rm_eval/batched.hpp>
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

/// P prompts × k responses, proxy and gold scores with ties (rounded to 1e-2).
void BM_prompt_all_pairs(benchmark::State& state) {
  const std::int64_t prompts = state.range(0), k = state.range(1);
  std::vector<double> proxy, gold;
  make_data(prompts * k, proxy, gold);
  for (auto& v : proxy) v = std::nearbyint(v * 100) / 100;
  std::vector<double> out(static_cast<std::size_t>(prompts));
  const posttrain::sequential_backend be;
  for (auto _ : state) {
    posttrain::rm_eval::prompt_all_pairs_accuracy(be, posttrain::tensor_view<const double, 2>(proxy.data(), prompts, k),
                                                  posttrain::tensor_view<const double, 2>(gold.data(), prompts, k),
                                                  posttrain::tensor_view<double, 1>(out.data(), prompts),
                                                  posttrain::rm_eval::tie_policy::half);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(prompts * k * (k - 1) / 2 * state.iterations());  // pairs
}

}  // namespace

BENCHMARK(BM_prompt_all_pairs)->Args({100'000, 4})->Args({10'000, 16})->Args({1'000, 64})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_correlation, kendall_tau_b, kendall_tau_b)
    ->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_correlation, spearman, spearman)
    ->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
