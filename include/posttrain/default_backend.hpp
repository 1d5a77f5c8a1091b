// SPDX-License-Identifier: Apache-2.0
#pragma once
// posttrain::default_backend and the op overloads without a backend argument, for programs that
// link posttrain::default (CMake: -DPOSTTRAIN_DEFAULT_BACKEND=Eigen|Xtensor|CUDA), which defines
// one of POSTTRAIN_DEFAULT_BACKEND_EIGEN / _XTENSOR / _CUDA. They live in an inline namespace
// named after the backend, so two programs built with different defaults do not clash at link.
//
//   posttrain::softmax(logits, probs);   // = posttrain::ops::softmax(posttrain::default_backend{}, ...)

#if defined(POSTTRAIN_DEFAULT_BACKEND_EIGEN)
#include <posttrain/backends/eigen.hpp>
#define POSTTRAIN_DEFAULT_NAMESPACE default_eigen
namespace posttrain::inline POSTTRAIN_DEFAULT_NAMESPACE {
using default_backend = eigen_backend;
}
#elif defined(POSTTRAIN_DEFAULT_BACKEND_XTENSOR)
#include <posttrain/backends/xtensor.hpp>
#define POSTTRAIN_DEFAULT_NAMESPACE default_xtensor
namespace posttrain::inline POSTTRAIN_DEFAULT_NAMESPACE {
using default_backend = xtensor_backend;
}
#elif defined(POSTTRAIN_DEFAULT_BACKEND_CUDA)
#include <posttrain/backends/cuda.cuh>
#define POSTTRAIN_DEFAULT_NAMESPACE default_cuda
namespace posttrain::inline POSTTRAIN_DEFAULT_NAMESPACE {
/// The CUDA backend on a per-thread context (device 0) created at first use.
struct default_backend : cuda_backend {
  default_backend() : cuda_backend(context()) {}
  static const cuda::context& context() {
    thread_local cuda::context ctx;
    return ctx;
  }
};
}
#else
#error "posttrain/default_backend.hpp: link posttrain::default (CMake option POSTTRAIN_DEFAULT_BACKEND) or define POSTTRAIN_DEFAULT_BACKEND_EIGEN, _XTENSOR or _CUDA"
#endif

namespace posttrain::inline POSTTRAIN_DEFAULT_NAMESPACE {

#define POSTTRAIN_DEFAULT_OVERLOAD(op)                                             \
  template <class... Args>                                                         \
  auto op(Args&&... args)->decltype(ops::op(default_backend{}, std::forward<Args>(args)...)) { \
    return ops::op(default_backend{}, std::forward<Args>(args)...);                \
  }
POSTTRAIN_DEFAULT_OVERLOAD(fill)
POSTTRAIN_DEFAULT_OVERLOAD(copy)
POSTTRAIN_DEFAULT_OVERLOAD(map)
POSTTRAIN_DEFAULT_OVERLOAD(transform_reduce)
POSTTRAIN_DEFAULT_OVERLOAD(reduce)
POSTTRAIN_DEFAULT_OVERLOAD(gemm)
POSTTRAIN_DEFAULT_OVERLOAD(row_logsumexp)
POSTTRAIN_DEFAULT_OVERLOAD(softmax)
POSTTRAIN_DEFAULT_OVERLOAD(log_softmax)
POSTTRAIN_DEFAULT_OVERLOAD(topk)
POSTTRAIN_DEFAULT_OVERLOAD(argmax)
POSTTRAIN_DEFAULT_OVERLOAD(gather)
POSTTRAIN_DEFAULT_OVERLOAD(reverse_scan)
#undef POSTTRAIN_DEFAULT_OVERLOAD

}  // namespace posttrain::inline POSTTRAIN_DEFAULT_NAMESPACE
