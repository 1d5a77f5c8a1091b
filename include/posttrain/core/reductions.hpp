// SPDX-License-Identifier: Apache-2.0
#pragma once
// Row reductions for ops::reduce / ops::transform_reduce. A reduction is a functor type with
//   accumulator                          the running state (a value, or a small struct)
//   init()                               the state of an empty row
//   combine(acc, value, column)          one more element (its column index, for arg-reductions)
//   merge(a, b)                          two partial states of disjoint sets of columns
//   result(acc)                          the row's value (its type is the output's)
// merge must be associative and commutative (up to rounding) and agree with combine (merging
// partials = combining all): that lets a backend split a row across threads in any way and
// merge in any order. Arg-reductions break ties by the column index itself, so the split
// does not change which column wins.

#include <cmath>

#include "config.hpp"
#include "functors.hpp"

namespace posttrain::reduction {

template <class T>
struct sum {
  using accumulator = T;
  POSTTRAIN_HOST_DEVICE T init() const { return T(0); }
  POSTTRAIN_HOST_DEVICE T combine(T acc, T x, index_t) const { return acc + x; }
  POSTTRAIN_HOST_DEVICE T merge(T a, T b) const { return a + b; }
  POSTTRAIN_HOST_DEVICE T result(T acc) const { return acc; }
};

/// Maximum; NaN wins (as torch.max and numpy.max), an empty row gives -inf.
template <class T>
struct max {
  using accumulator = T;
  POSTTRAIN_HOST_DEVICE T init() const { return -detail::infinity<T>(); }
  POSTTRAIN_HOST_DEVICE T combine(T acc, T x, index_t) const { return merge(acc, x); }
  POSTTRAIN_HOST_DEVICE T merge(T a, T b) const { return (detail::is_nan(a) || a >= b) ? a : b; }
  POSTTRAIN_HOST_DEVICE T result(T acc) const { return acc; }
};

/// Minimum; NaN wins, an empty row gives +inf.
template <class T>
struct min {
  using accumulator = T;
  POSTTRAIN_HOST_DEVICE T init() const { return detail::infinity<T>(); }
  POSTTRAIN_HOST_DEVICE T combine(T acc, T x, index_t) const { return merge(acc, x); }
  POSTTRAIN_HOST_DEVICE T merge(T a, T b) const { return (detail::is_nan(a) || a <= b) ? a : b; }
  POSTTRAIN_HOST_DEVICE T result(T acc) const { return acc; }
};

/// log(sum(exp(x))) in one pass (the running maximum and the sum scaled by it).
/// Empty or all -inf row: -inf. Any NaN: NaN. A +inf element: +inf.
template <class T>
struct logsumexp {
  struct accumulator {
    T max;
    T sum;  // sum of exp(x - max)
  };
  POSTTRAIN_HOST_DEVICE accumulator init() const { return {-detail::infinity<T>(), T(0)}; }
  POSTTRAIN_HOST_DEVICE accumulator combine(accumulator acc, T x, index_t) const {
    if (x == -detail::infinity<T>()) return acc;  // contributes exp(-inf) = 0
    if (detail::is_nan(x)) return {x, x};
    if (x > acc.max) return {x, acc.sum * std::exp(acc.max - x) + T(1)};
    return {acc.max, acc.sum + std::exp(x - acc.max)};
  }
  POSTTRAIN_HOST_DEVICE accumulator merge(accumulator a, accumulator b) const {
    if (detail::is_nan(a.max) || b.max == -detail::infinity<T>()) return a;
    if (detail::is_nan(b.max) || a.max == -detail::infinity<T>()) return b;
    if (a.max >= b.max) return {a.max, a.sum + (b.max == a.max ? b.sum : b.sum * std::exp(b.max - a.max))};
    return {b.max, b.sum + a.sum * std::exp(a.max - b.max)};
  }
  POSTTRAIN_HOST_DEVICE T result(accumulator acc) const {
    if (acc.max == -detail::infinity<T>() || detail::is_nan(acc.max)) return acc.max;
    if (acc.max == detail::infinity<T>()) return acc.max;
    return acc.max + std::log(acc.sum);
  }
};

/// Column of the maximum, ties to the lower column, NaN counts as the largest value (as
/// torch.argmax and numpy.argmax). An empty row gives -1.
template <class T, class Index = index_t>
struct argmax {
  struct accumulator {
    T value;
    index_t column;
  };
  POSTTRAIN_HOST_DEVICE accumulator init() const { return {-detail::infinity<T>(), -1}; }
  POSTTRAIN_HOST_DEVICE accumulator combine(accumulator acc, T x, index_t j) const { return merge(acc, {x, j}); }
  POSTTRAIN_HOST_DEVICE accumulator merge(accumulator a, accumulator b) const {
    if (a.column < 0) return b;
    if (b.column < 0) return a;
    const bool a_nan = detail::is_nan(a.value), b_nan = detail::is_nan(b.value);
    if (a_nan != b_nan) return a_nan ? a : b;
    if (a_nan || a.value == b.value) return a.column <= b.column ? a : b;
    return a.value > b.value ? a : b;
  }
  POSTTRAIN_HOST_DEVICE Index result(accumulator acc) const { return static_cast<Index>(acc.column); }
};

/// The smallest value ≥ 0 among f's, or −1: with f(j) = (cond ? j : −1), the first column where
/// cond holds (row kernels use it to find the first bad element of a row).
struct first_index {
  using accumulator = index_t;
  POSTTRAIN_HOST_DEVICE index_t init() const { return -1; }
  POSTTRAIN_HOST_DEVICE index_t combine(index_t a, index_t x, index_t) const { return merge(a, x); }
  POSTTRAIN_HOST_DEVICE index_t merge(index_t a, index_t b) const {
    return a < 0 ? b : (b < 0 ? a : (a < b ? a : b));
  }
  POSTTRAIN_HOST_DEVICE index_t result(index_t a) const { return a; }
};

/// The largest of f's values, −1 for none: with f(j) = (cond ? j : −1), the last column where
/// cond holds.
struct last_index {
  using accumulator = index_t;
  POSTTRAIN_HOST_DEVICE index_t init() const { return -1; }
  POSTTRAIN_HOST_DEVICE index_t combine(index_t a, index_t x, index_t) const { return merge(a, x); }
  POSTTRAIN_HOST_DEVICE index_t merge(index_t a, index_t b) const { return a > b ? a : b; }
  POSTTRAIN_HOST_DEVICE index_t result(index_t a) const { return a; }
};

}  // namespace posttrain::reduction
