// SPDX-License-Identifier: Apache-2.0
// CUDA backend benchmark (a GPU machine has no Google Benchmark: this is a plain program).
// Times each op with CUDA events (median of many runs after a warm-up) and prints, per op,
// the time, the achieved bandwidth or FLOP rate, and its ratio to the same run's reference: a
// device-to-device copy of the same bytes for memory-bound ops, cuBLAS SGEMM for GEMM.
//
//   bench_ops_cuda [--quick]

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include <posttrain/backends/cuda.cuh>

namespace {

using namespace posttrain;

template <class F>
double median_ms(cudaStream_t stream, F&& f, int repeats) {
  cudaEvent_t a, b;
  POSTTRAIN_CUDA_CHECK(cudaEventCreate(&a));
  POSTTRAIN_CUDA_CHECK(cudaEventCreate(&b));
  for (int i = 0; i < 3; ++i) f();  // warm-up
  std::vector<float> t;
  for (int r = 0; r < repeats; ++r) {
    POSTTRAIN_CUDA_CHECK(cudaEventRecord(a, stream));
    f();
    POSTTRAIN_CUDA_CHECK(cudaEventRecord(b, stream));
    POSTTRAIN_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    POSTTRAIN_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

/// Fills a device matrix with values in [-5, 5) from the counter RNG (never zeros).
void fill_random(const cuda_backend& be, tensor_view<float, 2, cuda_space> v, std::uint64_t seed) {
  std::vector<float> host(static_cast<std::size_t>(v.size()));
  const counter_rng rng(seed, 0);
  for (std::size_t i = 0; i < host.size(); ++i) host[i] = 10.0f * (rng.uniform(i) - 0.5f);
  deep_copy(be, tensor_view<const float, 2>(host.data(), v.extent(0), v.extent(1)), v);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && !std::strcmp(argv[1], "--quick");
  if (posttrain::cuda::device_count() == 0) {
    std::puts("bench_ops_cuda: no CUDA device");
    return 1;
  }
  cudaDeviceProp prop{};
  POSTTRAIN_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, %d SMs, %.0f MB L2\n", prop.name, prop.multiProcessorCount, prop.l2CacheSize / 1048576.0);
  posttrain::cuda::context ctx;  // qualified: CUB brings a global namespace cuda (libcu++)
  cuda_backend be{ctx};
  const int repeats = quick ? 5 : 30;

  const index_t rows = 4096, cols = 32000;
  auto x = allocate<float>(be, {rows, cols}), y = allocate<float>(be, {rows, cols});
  fill_random(be, x.view(), 1);
  const double bytes_rw = 2.0 * 4 * rows * cols;
  const double t_copy = median_ms(be.stream, [&] {
    POSTTRAIN_CUDA_CHECK(cudaMemcpyAsync(y.data(), x.data(), 4ull * rows * cols, cudaMemcpyDeviceToDevice, be.stream));
  }, repeats);
  std::printf("%-34s %9s %12s %10s\n", "op", "ms", "rate", "ratio");
  std::printf("%-34s %9.3f %9.0f GB/s %10s\n", "copy f32[4096,32000] (reference)", t_copy, bytes_rw / t_copy * 1e-6, "1.00");
  auto row = [&](const char* name, double ms, double bytes) {
    std::printf("%-34s %9.3f %9.0f GB/s %10.2f\n", name, ms, bytes / ms * 1e-6, (bytes / ms) / (bytes_rw / t_copy));
  };
  row("softmax f32[4096,32000]", median_ms(be.stream, [&] { ops::softmax(be, x.view(), y.view()); }, repeats), bytes_rw);
  row("log_softmax f32[4096,32000]", median_ms(be.stream, [&] { ops::log_softmax(be, x.view(), y.view()); }, repeats),
      bytes_rw);
  auto lse = allocate<float>(be, {rows});
  row("row_logsumexp f32[4096,32000]",
      median_ms(be.stream, [&] { ops::row_logsumexp(be, x.view(), lse.view()); }, repeats), bytes_rw / 2);
  auto am = allocate<std::int64_t>(be, {rows});
  row("argmax f32[4096,32000]", median_ms(be.stream, [&] { ops::argmax(be, x.view(), am.view()); }, repeats),
      bytes_rw / 2);
  row("map exp f32[4096,32000]",
      median_ms(be.stream, [&] { ops::map(be, fn::exp{}, x.view(), y.view()); }, repeats), bytes_rw);
  auto tv = allocate<float>(be, {512, 50});
  auto ti = allocate<std::int64_t>(be, {512, 50});
  row("topk k=50 f32[512,32000]",
      median_ms(be.stream, [&] { ops::topk(be, x.view().rows(0, 512), tv.view(), ti.view()); }, quick ? 2 : 5),
      4.0 * 512 * cols);
  auto rs = allocate<float>(be, {rows});
  row("reduce sum f32[4096,32000]",
      median_ms(be.stream, [&] { ops::reduce(be, reduction::sum<float>{}, x.view(), rs.view()); }, repeats),
      bytes_rw / 2);
  row("fill f32[4096,32000]", median_ms(be.stream, [&] { ops::fill(be, y.view(), 1.0f); }, repeats), bytes_rw / 2);
  const auto xs = x.view().cols(0, 1024).rows(0, 4096);
  row("reverse_scan f32[4096,1024]",
      median_ms(be.stream, [&] { ops::reverse_scan(be, xs, 0.95f, y.view().cols(0, 1024)); }, repeats),
      2.0 * 4 * 4096 * 1024);

  const index_t n = 4096;
  auto a = allocate<float>(be, {n, n}), b = allocate<float>(be, {n, n}), c = allocate<float>(be, {n, n});
  fill_random(be, a.view(), 2);
  fill_random(be, b.view(), 3);
  const double t_gemm = median_ms(be.stream, [&] { ops::gemm(be, a.view(), b.view(), c.view()); }, quick ? 3 : 10);
  std::printf("%-34s %9.3f %7.1f TFLOP/s\n", "gemm f32 4096^3 (cuBLAS)", t_gemm, 2.0 * n * n * n / t_gemm * 1e-9);
  return 0;
}
