// SPDX-License-Identifier: Apache-2.0
#pragma once
// Named element-wise functors. CPU loops and CUDA kernels instantiate the same types (no device
// lambdas). Each takes its operands by value and returns the result; the arity is the number of
// input tensors it is mapped over (ops::map, ops::transform_reduce).

#include <cmath>

#include "config.hpp"

namespace posttrain {
namespace detail {
template <class T>
POSTTRAIN_HOST_DEVICE constexpr T infinity() noexcept {
  if constexpr (sizeof(T) == sizeof(float)) return static_cast<T>(__builtin_huge_valf());
  else return static_cast<T>(__builtin_huge_val());
}
template <class T>
POSTTRAIN_HOST_DEVICE constexpr bool is_nan(T x) noexcept { return x != x; }
template <class T>
POSTTRAIN_HOST_DEVICE T quiet_nan() noexcept {
  return infinity<T>() - infinity<T>();
}
}  // namespace detail

namespace fn {

struct identity {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x) const { return x; }
};
struct negate {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x) const { return -x; }
};
struct abs {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x) const { return x < T(0) ? -x : x; }
};
struct square {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x) const { return x * x; }
};
struct exp {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x) const { return std::exp(x); }
};
struct log {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x) const { return std::log(x); }
};
/// x * factor
template <class S>
struct scale {
  S factor;
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x) const { return static_cast<T>(x * factor); }
};
/// x + offset
template <class S>
struct shift {
  S offset;
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x) const { return static_cast<T>(x + offset); }
};
/// clamp(x, lo, hi)
template <class S>
struct clamp {
  S lo, hi;
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x) const { return x < lo ? T(lo) : (x > hi ? T(hi) : x); }
};
struct plus {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T a, T b) const { return a + b; }
};
struct minus {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T a, T b) const { return a - b; }
};
struct multiplies {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T a, T b) const { return a * b; }
};
struct divides {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T a, T b) const { return a / b; }
};
/// a + w * b (an axpy)
template <class S>
struct add_scaled {
  S weight;
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a + weight * b); }
};
/// exp(x - m): softmax numerator given the row maximum or log-normaliser m.
struct exp_minus {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x, T m) const {
    // An all -inf row has m = -inf; its probabilities are 0, not exp(NaN).
    return m == -detail::infinity<T>() ? T(0) : std::exp(x - m);
  }
};
/// x - m, with -inf kept for an all -inf row (log_softmax given the log-normaliser m).
struct minus_normaliser {
  template <class T> POSTTRAIN_HOST_DEVICE T operator()(T x, T m) const {
    return m == -detail::infinity<T>() ? -detail::infinity<T>() : x - m;
  }
};

}  // namespace fn
}  // namespace posttrain
