// SPDX-License-Identifier: Apache-2.0
// Google Benchmark of the ops on one host backend (bench_backend, from the header included
// before this one). Memory-bound ops report bytes/s; GEMM reports FLOP/s. Row softmax also
// measures a plain memory copy of the same bytes in the same loop (alternating), and reports
// their ratio as copy_ratio: 1.0 means softmax runs at copy speed.
//
//   bench_ops_eigen --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <vector>

#include <posttrain/core.hpp>
#include <posttrain/core/linalg.hpp>

namespace {

using posttrain::index_t;
using posttrain::tensor_view;
namespace ops = posttrain::ops;

/// A [rows, cols] float matrix of logits-like values.
struct matrix {
  posttrain::host_buffer<float, 2> buf;
  matrix(index_t rows, index_t cols) : buf({rows, cols}) {
    const posttrain::counter_rng rng(1, static_cast<std::uint64_t>(rows * 131 + cols));
    float* p = buf.data();
    for (index_t i = 0; i < rows * cols; ++i) p[i] = 10.0f * (rng.uniform(static_cast<std::uint64_t>(i)) - 0.5f);
  }
  tensor_view<float, 2> view() { return buf.view(); }
};

/// The reference: copying the same bytes, row chunks on the backend's threads.
void parallel_copy(tensor_view<const float, 2> x, tensor_view<float, 2> y) {
  bench_backend{}.parallel_for(x.extent(0), [&](index_t r0, index_t r1) {
    std::memcpy(&y(r0, 0), &x(r0, 0), sizeof(float) * static_cast<std::size_t>((r1 - r0) * x.extent(1)));
  });
}

template <class Op>
void row_op_vs_copy(benchmark::State& state, Op op) {
  const index_t rows = state.range(0), cols = state.range(1);
  matrix x(rows, cols), y(rows, cols);
  double op_seconds = 0, copy_seconds = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    parallel_copy(x.view(), y.view());
    auto t1 = std::chrono::steady_clock::now();
    op(x.view(), y.view());
    auto t2 = std::chrono::steady_clock::now();
    benchmark::ClobberMemory();
    copy_seconds += std::chrono::duration<double>(t1 - t0).count();
    const double s = std::chrono::duration<double>(t2 - t1).count();
    op_seconds += s;
    state.SetIterationTime(s);
  }
  const double bytes = 2.0 * sizeof(float) * static_cast<double>(rows * cols);  // one read, one write
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
  state.counters["copy_ratio"] = copy_seconds / op_seconds;
  state.counters["copy_GBps"] = bytes * static_cast<double>(state.iterations()) / copy_seconds * 1e-9;
}

void BM_copy(benchmark::State& state) {
  row_op_vs_copy(state, [](auto x, auto y) { parallel_copy(x, y); });
}
void BM_softmax(benchmark::State& state) {
  row_op_vs_copy(state, [](auto x, auto y) { ops::softmax(bench_backend{}, x, y); });
}
void BM_log_softmax(benchmark::State& state) {
  row_op_vs_copy(state, [](auto x, auto y) { ops::log_softmax(bench_backend{}, x, y); });
}
void BM_map_exp(benchmark::State& state) {
  row_op_vs_copy(state, [](auto x, auto y) { ops::map(bench_backend{}, posttrain::fn::exp{}, x, y); });
}

void BM_row_logsumexp(benchmark::State& state) {
  const index_t rows = state.range(0), cols = state.range(1);
  matrix x(rows, cols);
  std::vector<float> out(static_cast<std::size_t>(rows));
  for (auto _ : state) {
    ops::row_logsumexp(bench_backend{}, x.view(), tensor_view<float, 1>(out.data(), rows));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(sizeof(float) * rows * cols) * state.iterations());
}

void BM_argmax(benchmark::State& state) {
  const index_t rows = state.range(0), cols = state.range(1);
  matrix x(rows, cols);
  std::vector<std::int64_t> out(static_cast<std::size_t>(rows));
  for (auto _ : state) {
    ops::argmax(bench_backend{}, x.view(), tensor_view<std::int64_t, 1>(out.data(), rows));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(sizeof(float) * rows * cols) * state.iterations());
}

void BM_topk(benchmark::State& state) {
  const index_t rows = state.range(0), cols = state.range(1), k = state.range(2);
  matrix x(rows, cols);
  posttrain::host_buffer<float, 2> values({rows, k});
  posttrain::host_buffer<std::int64_t, 2> indices({rows, k});
  for (auto _ : state) {
    ops::topk(bench_backend{}, x.view(), values.view(), indices.view());
    benchmark::DoNotOptimize(values.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(sizeof(float) * rows * cols) * state.iterations());
}

void BM_reduce_sum(benchmark::State& state) {
  const index_t rows = state.range(0), cols = state.range(1);
  matrix x(rows, cols);
  std::vector<float> out(static_cast<std::size_t>(rows));
  for (auto _ : state) {
    ops::reduce(bench_backend{}, posttrain::reduction::sum<float>{}, x.view(), tensor_view<float, 1>(out.data(), rows));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(sizeof(float) * rows * cols) * state.iterations());
}

void BM_fill(benchmark::State& state) {
  const index_t rows = state.range(0), cols = state.range(1);
  matrix x(rows, cols);
  for (auto _ : state) {
    ops::fill(bench_backend{}, x.view(), 1.0f);
    benchmark::DoNotOptimize(x.buf.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(sizeof(float) * rows * cols) * state.iterations());
}

/// Gathers k columns per row (the log-probabilities of chosen tokens, say).
void BM_gather(benchmark::State& state) {
  const index_t rows = state.range(0), cols = state.range(1), k = state.range(2);
  matrix x(rows, cols);
  posttrain::host_buffer<std::int64_t, 2> index({rows, k});
  posttrain::host_buffer<float, 2> out({rows, k});
  const posttrain::counter_rng rng(5, 0);
  for (index_t i = 0; i < rows * k; ++i)
    index.data()[i] = static_cast<std::int64_t>(rng.uniform(static_cast<std::uint64_t>(i)) * static_cast<float>(cols));
  for (auto _ : state) {
    ops::gather(bench_backend{}, x.view(), index.view(), out.view());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(rows * k * state.iterations());
}

void BM_reverse_scan(benchmark::State& state) {
  const index_t rows = state.range(0), cols = state.range(1);
  matrix x(rows, cols), c(rows, cols), y(rows, cols);
  for (auto _ : state) {
    ops::reverse_scan(bench_backend{}, x.view(), c.view(), y.view());
    benchmark::DoNotOptimize(y.buf.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(3 * sizeof(float) * rows * cols) * state.iterations());
}

void BM_gemm(benchmark::State& state) {
  const index_t n = state.range(0);
  matrix a(n, n), b(n, n), c(n, n);
  for (auto _ : state) {
    ops::gemm(bench_backend{}, a.view(), b.view(), c.view());
    benchmark::DoNotOptimize(c.buf.data());
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * n * n * n * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

/// A symmetric n×n double matrix (a Gram matrix B Bᵀ/n, positive semi-definite as NC1's are).
std::vector<double> gram_matrix(index_t n) {
  const posttrain::counter_rng rng(7, static_cast<std::uint64_t>(n));
  std::vector<double> b(static_cast<std::size_t>(n * n)), a(b.size());
  for (std::size_t k = 0; k < b.size(); ++k) b[k] = rng.uniform(k) - 0.5;
  const tensor_view<const double, 2> bv(b.data(), n, n);
  ops::gemm(bench_backend{}, bv, bv, tensor_view<double, 2>(a.data(), n, n), {.alpha = 1.0 / double(n), .transpose_b = true});
  return a;
}

/// ops::symmetric_eigen on this backend (double), with counters for the GEMM of the same size
/// timed in the same run (gemm_ratio = eigen time / GEMM time).
void BM_symmetric_eigen(benchmark::State& state) {
  const index_t n = state.range(0);
  const auto a = gram_matrix(n);
  std::vector<double> values(static_cast<std::size_t>(n)), vectors(a.size()), c(a.size());
  const tensor_view<const double, 2> av(a.data(), n, n);
  double eigen_s = 0, gemm_s = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    ops::symmetric_eigen(bench_backend{}, av, tensor_view<double, 1>(values.data(), n),
                         tensor_view<double, 2>(vectors.data(), n, n));
    auto t1 = std::chrono::steady_clock::now();
    ops::gemm(bench_backend{}, av, av, tensor_view<double, 2>(c.data(), n, n));
    auto t2 = std::chrono::steady_clock::now();
    eigen_s += std::chrono::duration<double>(t1 - t0).count();
    gemm_s += std::chrono::duration<double>(t2 - t1).count();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  state.counters["gemm_ratio"] = eigen_s / gemm_s;
}

/// The plain host solver (tred2 + tql2, core/linalg.hpp) on the same matrices: the sequential
/// backend's, and what every backend used before the op existed.
void BM_symmetric_eigen_plain(benchmark::State& state) {
  const index_t n = state.range(0);
  const auto a = gram_matrix(n);
  for (auto _ : state) benchmark::DoNotOptimize(posttrain::linalg::symmetric_eigen(a, n).values.data());
}

}  // namespace

BENCHMARK(BM_copy)->Args({4096, 32000})->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_softmax)->Args({4096, 32000})->Args({64, 152064})->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_log_softmax)->Args({4096, 32000})->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_map_exp)->Args({4096, 32000})->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_row_logsumexp)->Args({4096, 32000})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_argmax)->Args({4096, 32000})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_topk)->Args({512, 32000, 50})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_reduce_sum)->Args({4096, 32000})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_fill)->Args({4096, 32000})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_gather)->Args({4096, 32000, 8})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_reverse_scan)->Args({4096, 1024})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_gemm)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_symmetric_eigen)->Arg(256)->Arg(1024)->Arg(2048)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_symmetric_eigen_plain)->Arg(256)->Arg(1024)->Arg(2048)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
