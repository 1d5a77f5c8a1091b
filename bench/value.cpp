// SPDX-License-Identifier: Apache-2.0
// The value module's hot paths on the Eigen backend, with their yardsticks in the same run:
//
//   BM_ivl_loss/T/V/threads  the IVL loss and gradient of [T, V] float32 (read z_B and z_V, write
//                            the gradient: 12 bytes per element), against a plain copy moving
//                            the same bytes on the same threads (`fraction_of_copy`).
//   BM_decode_step           32 rows × V = 152064, T = 0.7, top-k 50, top-p 0.9, seeded
//                            sampling; and the same with top-p only (no top-k to shrink the row).
//
//   bench_value [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/value.hpp>

#include "memory.hpp"

namespace {

namespace va = posttrain::value;
using posttrain::index_t;


std::vector<float> random_logits(std::size_t n, unsigned seed, float scale) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.f, scale);
  std::vector<float> z(n);
  for (auto& v : z) v = normal(gen);
  return z;
}

void BM_ivl_loss(benchmark::State& state) {
  const index_t rows = state.range(0), vocab = state.range(1);
  const int threads = int(state.range(2));
  omp_set_num_threads(threads);
  const posttrain::eigen_backend be;
  const std::size_t n = std::size_t(rows * vocab);
  const auto zb = random_logits(n, 1, 3.f), zv = random_logits(n, 2, 0.5f);
  std::vector<float> grad(n);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(rows));
  std::mt19937 gen(3);
  for (auto& y : labels) y = gen() % 4 == 0 ? -100 : std::int64_t(gen() % std::uint64_t(vocab));
  const posttrain::tensor_view<const float, 2> bv(zb.data(), rows, vocab), vv(zv.data(), rows, vocab);
  const posttrain::tensor_view<float, 2> gv(grad.data(), rows, vocab);
  const posttrain::tensor_view<const std::int64_t, 1> yv(labels.data(), rows);
  double seconds = 0, loss = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    loss = va::ivl_loss_and_gradient(be, bv, vv, yv, gv).loss;
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(grad.data());
  }
  seconds /= double(state.iterations());
  const double copy = bench::copy_seconds(n * 3 / 2, threads);  // 6 bytes read + 6 written per element
  state.counters["loss"] = loss;
  state.counters["GB_per_s"] = double(n) * 12 / seconds / 1e9;
  state.counters["fraction_of_copy"] = copy / seconds;
  omp_set_num_threads(omp_get_num_procs());
}

void BM_decode_step(benchmark::State& state) {
  const index_t rows = 32, vocab = 152064;
  const bool with_top_k = state.range(0) != 0;
  const posttrain::eigen_backend be;
  const auto z = random_logits(std::size_t(rows * vocab), 4, 2.f);
  std::vector<std::int64_t> tokens(static_cast<std::size_t>(rows));
  std::vector<float> lp(static_cast<std::size_t>(rows));
  std::vector<std::uint64_t> seeds(static_cast<std::size_t>(rows));
  for (std::size_t r = 0; r < seeds.size(); ++r) seeds[r] = 17 + r;
  const va::sampling_options o{.temperature = 0.7, .top_k = with_top_k ? 50 : 0, .top_p = 0.9};
  std::uint64_t step = 0;
  for (auto _ : state) {
    va::decode_step(be, posttrain::tensor_view<const float, 2>(z.data(), rows, vocab), seeds, step++,
                    posttrain::tensor_view<std::int64_t, 1>(tokens.data(), rows),
                    posttrain::tensor_view<float, 1>(lp.data(), rows), o);
    benchmark::DoNotOptimize(tokens.data());
  }
  state.counters["rows_per_s"] = benchmark::Counter(double(rows) * double(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_ivl_loss)
    ->Args({2048, 32000, 1})
    ->Args({2048, 32000, 2})
    ->Args({512, 152064, 1})
    ->Args({512, 152064, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_decode_step)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
