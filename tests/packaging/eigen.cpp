// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <vector>

#include <posttrain/backends/eigen.hpp>

#if !defined(_OPENMP)
#error "posttrain::openmp did not bring OpenMP"
#endif

int main() {
  std::vector<float> x = {1, 2, 3}, p(3);
  posttrain::ops::softmax(posttrain::eigen_backend{}, posttrain::tensor_view<const float, 1>(x.data(), 3),
                          posttrain::tensor_view<float, 1>(p.data(), 3));
  std::printf("consumer (eigen, openmp): softmax(1,2,3) = %.6f %.6f %.6f\n", p[0], p[1], p[2]);
  return (p[2] > 0.665f && p[2] < 0.666f) ? 0 : 1;
}
