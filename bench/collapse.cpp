// SPDX-License-Identifier: Apache-2.0
// Neural-collapse metrics NC1–NC4 on the Eigen backend, both passes over an in-memory feature
// matrix (N = 60000, d = 2048, K = 100, float32 by default), beside the GEMM that dominates
// them (the [N, d]·[d, K] projection), in the same run. Prints the metrics as JSON and the
// peak memory the metrics add on top of the input.
//
//   bench_collapse                          synthetic clusters
//   POSTTRAIN_NC_DATA=DIR bench_collapse    DIR/{features,labels,weight,bias}.npy, as written
//                                           by bench/peers/collapse_numpy.py
//   POSTTRAIN_NC_SHAPE=N,d,K bench_collapse synthetic clusters of another shape
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/collapse.hpp>
#include <posttrain/io/npy.hpp>

#include "memory.hpp"

namespace {

namespace nc = posttrain::collapse;
using posttrain::index_t;

struct dataset {
  index_t n = 0, d = 0, k = 0;
  std::vector<float> h;
  std::vector<std::int64_t> y;
  std::vector<double> w, b;
};

using bench::reset_peak;
using bench::status_mib;

template <class T>
std::vector<T> load(const std::string& path, index_t& rows, index_t& cols) {
  posttrain::io::npy_reader r(path);
  std::vector<T> out;
  r.read_rows(r.rows(), out);
  rows = r.rows(), cols = r.cols();
  return out;
}

const dataset& data() {
  static const dataset ds = [] {
    dataset s;
    if (const char* dir = std::getenv("POSTTRAIN_NC_DATA")) {
      const std::string base(dir);
      index_t r = 0, c = 0;
      s.h = load<float>(base + "/features.npy", s.n, s.d);
      s.y = load<std::int64_t>(base + "/labels.npy", r, c);
      s.w = load<double>(base + "/weight.npy", s.k, c);
      s.b = load<double>(base + "/bias.npy", r, c);
      return s;
    }
    s.n = 60000, s.d = 2048, s.k = 100;
    if (const char* shape = std::getenv("POSTTRAIN_NC_SHAPE")) {  // "N,d,K"
      long long n = 0, d = 0, k = 0;
      if (std::sscanf(shape, "%lld,%lld,%lld", &n, &d, &k) != 3 || n < 1 || d < 1 || k < 2) {
        std::fprintf(stderr, "POSTTRAIN_NC_SHAPE must be N,d,K (N, d ≥ 1, K ≥ 2), not '%s'\n", shape);
        std::exit(2);
      }
      s.n = n, s.d = d, s.k = k;
    }
    std::mt19937_64 gen(1);
    std::normal_distribution<float> normal;
    std::vector<float> centres(static_cast<std::size_t>(s.k * s.d));
    for (auto& v : centres) v = normal(gen);
    s.h.resize(static_cast<std::size_t>(s.n * s.d));
    s.y.resize(static_cast<std::size_t>(s.n));
    for (index_t i = 0; i < s.n; ++i) {
      const index_t c = i % s.k;
      s.y[std::size_t(i)] = c;
      for (index_t j = 0; j < s.d; ++j)
        s.h[std::size_t(i * s.d + j)] = centres[std::size_t(c * s.d + j)] + 2 * normal(gen);
    }
    s.w.resize(centres.size());
    for (std::size_t k = 0; k < centres.size(); ++k) s.w[k] = centres[k];
    s.b.assign(static_cast<std::size_t>(s.k), 0.0);
    return s;
  }();
  return ds;
}

void BM_nc_metrics(benchmark::State& state) {
  const auto& s = data();
  const posttrain::eigen_backend be;
  const posttrain::tensor_view<const float, 2> h(s.h.data(), s.n, s.d);
  const posttrain::tensor_view<const std::int64_t, 1> y(s.y.data(), s.n);
  const nc::linear_classifier clf(posttrain::tensor_view<const double, 2>(s.w.data(), s.k, s.d),
                                  posttrain::tensor_view<const double, 1>(s.b.data(), s.k));
  reset_peak();
  const double before = status_mib("VmRSS");  // the input and the classifier are loaded
  nc::nc_result r;
  for (auto _ : state) r = nc::nc_metrics(be, h, y, s.k, {}, &clf);
  state.counters["extra_peak_MiB"] = status_mib("VmHWM") - before;
  // What O(K·d + batch·d) predicts: the statistics (a few K×d doubles) and one batch's products.
  const nc::nc_options defaults;
  state.counters["Kd_plus_batch_d_MiB"] = double(s.k * s.d * 8 + defaults.batch_rows * s.d * 4) / (1 << 20);
  state.counters["input_MiB"] = double(s.h.size() * sizeof(float)) / (1 << 20);
  state.counters["nc1"] = r.nc1;
  static bool printed = false;
  if (!printed) std::fprintf(stderr, "metrics: %s\n", r.to_json().c_str()), printed = true;
}

/// The projection GEMM alone: [N, d]·[d, K] in float, batch by batch as the second pass does.
void BM_projection_gemm(benchmark::State& state) {
  const auto& s = data();
  const posttrain::eigen_backend be;
  std::vector<float> m(static_cast<std::size_t>(s.d * s.k), 0.5f), out(static_cast<std::size_t>(8192 * s.k));
  for (auto _ : state)
    for (index_t r0 = 0; r0 < s.n; r0 += 8192) {
      const index_t rows = std::min<index_t>(8192, s.n - r0);
      posttrain::ops::gemm(be, posttrain::tensor_view<const float, 2>(s.h.data() + r0 * s.d, rows, s.d),
                           posttrain::tensor_view<const float, 2>(m.data(), s.d, s.k),
                           posttrain::tensor_view<float, 2>(out.data(), rows, s.k));
      benchmark::DoNotOptimize(out.data());
    }
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * double(s.n) * double(s.d) * double(s.k) * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

/// Every GEMM nc_metrics runs with a classifier, alone, on the same shapes: the second pass's
/// [N, d]·[d, 2K] in float and, on the projected route (d > K), its K×K scatter of the projections
/// in double; on the gram route (d ≤ K) the first pass's d×d scatter in double instead. The
/// denominator of "nc_metrics within 1.5× of its GEMMs".
void BM_all_gemms(benchmark::State& state) {
  const auto& s = data();
  const posttrain::eigen_backend be;
  const bool gram = s.d <= s.k;
  const index_t rows_max = 8192, cols = 2 * s.k, side = gram ? s.d : s.k;
  std::vector<float> m(static_cast<std::size_t>(s.d * cols), 0.5f), out(static_cast<std::size_t>(rows_max * cols));
  std::vector<double> wide(static_cast<std::size_t>(rows_max * side), 0.25), scatter(static_cast<std::size_t>(side * side));
  for (auto _ : state)
    for (index_t r0 = 0; r0 < s.n; r0 += rows_max) {
      const index_t rows = std::min<index_t>(rows_max, s.n - r0);
      posttrain::ops::gemm(be, posttrain::tensor_view<const float, 2>(s.h.data() + r0 * s.d, rows, s.d),
                           posttrain::tensor_view<const float, 2>(m.data(), s.d, cols),
                           posttrain::tensor_view<float, 2>(out.data(), rows, cols));
      const posttrain::tensor_view<const double, 2> w(wide.data(), rows, side);
      posttrain::ops::gemm(be, w, w, posttrain::tensor_view<double, 2>(scatter.data(), side, side),
                           {.beta = 1.0, .transpose_a = true});
      benchmark::DoNotOptimize(out.data());
      benchmark::DoNotOptimize(scatter.data());
    }
}

}  // namespace

BENCHMARK(BM_nc_metrics)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_projection_gemm)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_all_gemms)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
