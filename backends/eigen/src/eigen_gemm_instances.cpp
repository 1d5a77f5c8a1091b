// SPDX-License-Identifier: Apache-2.0
// The float and double instantiations of eigen_backend::gemm and symmetric_eigen, compiled once for
// a whole program:
// every other translation unit sees them as extern (POSTTRAIN_EIGEN_EXTERN_GEMM, defined by the
// target posttrain::eigen_gemm, in posttrain/backends/eigen.hpp).
#include <posttrain/backends/eigen.hpp>

namespace posttrain {

template void eigen_backend::gemm<float>(tensor_view<const float, 2>, tensor_view<const float, 2>,
                                         tensor_view<float, 2>, float, float) const;
template void eigen_backend::gemm<double>(tensor_view<const double, 2>, tensor_view<const double, 2>,
                                          tensor_view<double, 2>, double, double) const;
template void eigen_backend::symmetric_eigen<float>(tensor_view<const float, 2>, tensor_view<float, 1>,
                                                    tensor_view<float, 2>) const;
template void eigen_backend::symmetric_eigen<double>(tensor_view<const double, 2>, tensor_view<double, 1>,
                                                     tensor_view<double, 2>) const;

}  // namespace posttrain
