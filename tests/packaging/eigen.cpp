// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <vector>

#include <posttrain/backends/eigen.hpp>

#if !defined(_OPENMP)
#error "posttrain::openmp did not bring OpenMP"
#endif
#if !defined(POSTTRAIN_EIGEN_EXTERN_GEMM)
#error "posttrain::eigen_gemm did not define POSTTRAIN_EIGEN_EXTERN_GEMM"
#endif

int main() {
  std::vector<float> x = {1, 2, 3}, p(3);
  posttrain::ops::softmax(posttrain::eigen_backend{}, posttrain::tensor_view<const float, 1>(x.data(), 3),
                          posttrain::tensor_view<float, 1>(p.data(), 3));
  std::printf("consumer (eigen, openmp): softmax(1,2,3) = %.6f %.6f %.6f\n", p[0], p[1], p[2]);
  // [1 2; 3 4] x [5 6; 7 8], through the GEMM that posttrain::eigen_gemm compiled in its own unit.
  std::vector<double> a = {1, 2, 3, 4}, b = {5, 6, 7, 8}, c(4);
  posttrain::ops::gemm(posttrain::eigen_backend{}, posttrain::tensor_view<const double, 2>(a.data(), 2, 2),
                       posttrain::tensor_view<const double, 2>(b.data(), 2, 2),
                       posttrain::tensor_view<double, 2>(c.data(), 2, 2));
  std::printf("consumer (eigen_gemm): %g %g %g %g\n", c[0], c[1], c[2], c[3]);
  const bool gemm_ok = c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50;
  return (p[2] > 0.665f && p[2] < 0.666f && gemm_ok) ? 0 : 1;
}
