// SPDX-License-Identifier: Apache-2.0
// Contrastive losses forward + backward on the Eigen backend (N = 8192, d = 256, float32), beside
// the GEMMs they need, in the same run: three of N×N×d for InfoNCE, GraphCL and the symmetric
// InfoNCE (the similarities, dL/dz1 = G z2, dL/dz2 = Gᵀ z1; the symmetric form computes the
// similarities twice to avoid holding them, four in all); NT-Xent twelve (its blocks are
// 2N × 2N). The counter `ratio_to_gemms` is the loss's time over the time of its GEMMs.
// BM_large_batch runs N = 65536 (an N×N float matrix would be 16 GiB; the tiles keep the memory
// at O(tile·N + N·d)) and reports the peak resident memory.
//
//   bench_contrastive [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/contrastive.hpp>

#include "memory.hpp"

namespace {

namespace cl = posttrain::contrastive;
using posttrain::index_t;

std::vector<float> random_embeddings(index_t n, index_t d, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  std::vector<float> z(static_cast<std::size_t>(n * d));
  for (auto& v : z) v = normal(gen);
  return z;
}

/// The time of `count` GEMMs of [n, d]·[d, n] and [n, n]·[n, d] shapes, alternating, per call.
double gemm_seconds(index_t n, index_t d, int count) {
  const posttrain::eigen_backend be;
  const auto a = random_embeddings(n, d, 1), b = random_embeddings(n, d, 2);
  std::vector<float> s(static_cast<std::size_t>(n * n), 0.01f), out(static_cast<std::size_t>(n * d));
  const posttrain::tensor_view<const float, 2> av(a.data(), n, d), bv(b.data(), n, d), sv(s.data(), n, n);
  double best = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < count; ++k) {
      if (k % 3 == 0)
        posttrain::ops::gemm(be, av, bv, posttrain::tensor_view<float, 2>(s.data(), n, n), {.transpose_b = true});
      else
        posttrain::ops::gemm(be, sv, bv, posttrain::tensor_view<float, 2>(out.data(), n, d),
                             {.transpose_a = k % 3 == 2});
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

void BM_loss_and_gradient(benchmark::State& state, cl::objective kind, bool symmetric, int gemms) {
  const index_t n = state.range(0), d = state.range(1);
  const posttrain::eigen_backend be;
  const auto z1 = random_embeddings(n, d, 3), z2 = random_embeddings(n, d, 4);
  std::vector<float> g1(z1.size()), g2(z2.size());
  cl::loss_options o;
  o.kind = kind, o.symmetric = symmetric, o.temperature = 0.2;
  double loss = 0, seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(loss = cl::loss_and_gradient(be, posttrain::tensor_view<const float, 2>(z1.data(), n, d),
                                                          posttrain::tensor_view<const float, 2>(z2.data(), n, d),
                                                          posttrain::tensor_view<float, 2>(g1.data(), n, d),
                                                          posttrain::tensor_view<float, 2>(g2.data(), n, d), o));
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double gemms_s = gemm_seconds(n, d, gemms);
  state.counters["loss"] = loss;
  state.counters["gemm_ms"] = gemms_s * 1e3;
  state.counters["ratio_to_gemms"] = seconds / double(state.iterations()) / gemms_s;
}

using bench::reset_peak;
using bench::status_mib;

void BM_large_batch(benchmark::State& state) {
  const index_t n = state.range(0), d = state.range(1);
  const posttrain::eigen_backend be;
  const auto z1 = random_embeddings(n, d, 5), z2 = random_embeddings(n, d, 6);
  std::vector<float> g1(z1.size()), g2(z2.size());
  reset_peak();
  const double before = status_mib("VmRSS");
  double loss = 0;
  for (auto _ : state)
    loss = cl::loss_and_gradient(be, posttrain::tensor_view<const float, 2>(z1.data(), n, d),
                                 posttrain::tensor_view<const float, 2>(z2.data(), n, d),
                                 posttrain::tensor_view<float, 2>(g1.data(), n, d),
                                 posttrain::tensor_view<float, 2>(g2.data(), n, d), {});
  state.counters["loss"] = loss;
  state.counters["extra_peak_MiB"] = status_mib("VmHWM") - before;
  state.counters["NxN_float_MiB"] = double(n) * double(n) * 4 / (1 << 20);
}

}  // namespace

BENCHMARK_CAPTURE(BM_loss_and_gradient, infonce, cl::objective::infonce, false, 3)
    ->Args({8192, 256})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_loss_and_gradient, graphcl, cl::objective::graphcl, false, 3)
    ->Args({8192, 256})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_loss_and_gradient, infonce_symmetric, cl::objective::infonce, true, 3)
    ->Args({8192, 256})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_loss_and_gradient, nt_xent, cl::objective::nt_xent, false, 12)
    ->Args({8192, 256})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_large_batch)->Args({65536, 256})->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
