// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <string>
#include <vector>

#include <posttrain/backends/cuda.cuh>

// Softmax on the GPU, timed with events on the backend's stream (kernel time, no transfers).
bool cuda_softmax(const float* x, float* y, long rows, long cols, int repeats, double& median_seconds,
                  std::string& device) {
  using namespace posttrain;
  if (posttrain::cuda::device_count() == 0) return false;
  posttrain::cuda::context ctx;  // qualified: CUB brings a global namespace cuda (libcu++)
  cuda_backend be{ctx};
  cudaDeviceProp prop{};
  POSTTRAIN_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  device = prop.name;
  auto dx = allocate<float>(be, {rows, cols});
  auto dy = allocate<float>(be, {rows, cols});
  deep_copy(be, tensor_view<const float, 2>(x, rows, cols), dx.view());
  ops::softmax(be, dx.view(), dy.view());  // warm-up
  cudaEvent_t start, stop;
  POSTTRAIN_CUDA_CHECK(cudaEventCreate(&start));
  POSTTRAIN_CUDA_CHECK(cudaEventCreate(&stop));
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    POSTTRAIN_CUDA_CHECK(cudaEventRecord(start, be.stream));
    ops::softmax(be, dx.view(), dy.view());
    POSTTRAIN_CUDA_CHECK(cudaEventRecord(stop, be.stream));
    POSTTRAIN_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    POSTTRAIN_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    times.push_back(ms * 1e-3);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(times.begin(), times.end());
  median_seconds = times[times.size() / 2];
  deep_copy(be, dy.view(), tensor_view<float, 2>(y, rows, cols));
  return true;
}
