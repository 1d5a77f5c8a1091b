// SPDX-License-Identifier: Apache-2.0
// An Eigen translation unit (this one) and a CUDA one (cuda_part.cu) in one program: the
// softmax of the same rows on both backends must agree.
#include <cmath>
#include <cstdio>
#include <vector>

#include <posttrain/backends/cuda/runtime.hpp>
#include <posttrain/backends/eigen.hpp>

void cuda_softmax(const std::vector<float>& x, std::vector<float>& y, long rows, long cols);

int main() {
  if (posttrain::cuda::device_count() == 0) {
    std::puts("no CUDA device: nothing to compare");
    return 1;
  }
  const long rows = 8, cols = 1000;
  std::vector<float> x(rows * cols), cpu(x.size()), gpu(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i)) * 5;
  posttrain::ops::softmax(posttrain::eigen_backend{}, posttrain::tensor_view<const float, 2>(x.data(), rows, cols),
                          posttrain::tensor_view<float, 2>(cpu.data(), rows, cols));
  cuda_softmax(x, gpu, rows, cols);
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) worst = std::fmax(worst, std::fabs(cpu[i] - gpu[i]));
  std::printf("max |eigen - cuda| = %g\n", worst);
  return worst < 1e-6 ? 0 : 1;
}
