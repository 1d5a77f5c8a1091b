// SPDX-License-Identifier: Apache-2.0
#pragma once
// Generic host implementations of the ops on canonical rank-2 views, written per row so that a
// backend with a parallel_for(rows, body) member runs them on all its threads. These are what
// a host backend gets when it does not provide an op itself; they are also what the Eigen and
// xtensor backends use for the ops they do not specialise.

#include <algorithm>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../functors.hpp"
#include "../tensor_view.hpp"

namespace posttrain::detail::host {

/// Runs body(first_row, end_row) over [0, rows), in parallel when the backend can.
template <class Backend, class Body>
void for_rows(const Backend& be, index_t rows, Body&& body) {
  if (rows <= 0) return;
  if constexpr (requires { be.parallel_for(rows, body); }) {
    be.parallel_for(rows, body);
  } else {
    body(index_t{0}, rows);
  }
}

template <class T, class Space>
void fill(tensor_view<T, 2, Space> out, T value, index_t r0, index_t r1) {
  for (index_t i = r0; i < r1; ++i)
    for (index_t j = 0; j < out.extent(1); ++j) out(i, j) = value;
}

template <class F, class T, class Space, class... In>
void map(const F& f, tensor_view<T, 2, Space> out, index_t r0, index_t r1, const In&... in) {
  const index_t cols = out.extent(1);
  const bool unit = out.stride(1) == 1 && ((in.stride(1) == 1) && ...);
  for (index_t i = r0; i < r1; ++i) {
    if (unit) {
      T* o = &out(i, 0);
      const auto rows = std::make_tuple(&in(i, 0)...);
      std::apply([&](auto... p) { for (index_t j = 0; j < cols; ++j) o[j] = static_cast<T>(f(p[j]...)); }, rows);
    } else {
      for (index_t j = 0; j < cols; ++j) out(i, j) = static_cast<T>(f(in(i, j)...));
    }
  }
}

template <class R, class F, class O, class Space, class... In>
void transform_reduce(const R& red, const F& f, tensor_view<O, 1, Space> out, index_t r0, index_t r1,
                      const In&... in) {
  const index_t cols = (in.extent(1), ...);
  for (index_t i = r0; i < r1; ++i) {
    auto acc = red.init();
    for (index_t j = 0; j < cols; ++j) acc = red.combine(acc, f(in(i, j)...), j);
    out(i) = static_cast<O>(red.result(acc));
  }
}

/// C = alpha * op(A) * op(B) + beta * C, naive but cache-friendly (i-k-j order); beta = 0
/// does not read C. a, b are already transposed views when the caller asked for op = T.
template <class T, class Space>
void gemm(tensor_view<const T, 2, Space> a, tensor_view<const T, 2, Space> b, tensor_view<T, 2, Space> c, T alpha,
          T beta, index_t r0, index_t r1) {
  const index_t n = c.extent(1), k = a.extent(1);
  std::vector<T> acc(static_cast<std::size_t>(n));
  for (index_t i = r0; i < r1; ++i) {
    std::fill(acc.begin(), acc.end(), T(0));
    for (index_t p = 0; p < k; ++p) {
      const T aip = a(i, p);
      for (index_t j = 0; j < n; ++j) acc[j] += aip * b(p, j);
    }
    for (index_t j = 0; j < n; ++j) c(i, j) = beta == T(0) ? alpha * acc[j] : alpha * acc[j] + beta * c(i, j);
  }
}

/// (value, index) order of topk: larger value first, NaN before everything, ties to the lower index.
template <class T>
bool ranks_before(T a, index_t ia, T b, index_t ib) {
  const bool an = is_nan(a), bn = is_nan(b);
  if (an != bn) return an;
  if (an || a == b) return ia < ib;
  return a > b;
}

/// One pass per row with a heap of the k best so far (its top is the worst of them): most
/// elements of a row cost one comparison with the top. O(C log k) in the worst case.
template <class T, class I, class Space>
void topk(tensor_view<const T, 2, Space> x, tensor_view<T, 2, Space> values, tensor_view<I, 2, Space> indices,
          index_t r0, index_t r1) {
  const index_t cols = x.extent(1), k = values.extent(1);
  if (k == 0) return;
  struct entry {
    T value;
    index_t column;
  };
  const auto before = [](const entry& a, const entry& b) { return ranks_before(a.value, a.column, b.value, b.column); };
  std::vector<entry> heap;
  heap.reserve(static_cast<std::size_t>(k));
  for (index_t i = r0; i < r1; ++i) {
    heap.clear();
    for (index_t j = 0; j < cols; ++j) {
      const entry e{x(i, j), j};
      if (static_cast<index_t>(heap.size()) < k) {
        heap.push_back(e);
        std::push_heap(heap.begin(), heap.end(), before);
      } else if (before(e, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), before);
        heap.back() = e;
        std::push_heap(heap.begin(), heap.end(), before);
      }
    }
    std::sort_heap(heap.begin(), heap.end(), before);
    for (index_t j = 0; j < k; ++j) {
      values(i, j) = heap[static_cast<std::size_t>(j)].value;
      indices(i, j) = static_cast<I>(heap[static_cast<std::size_t>(j)].column);
    }
  }
}

/// out[i, j] = x[i, idx[i, j]]; the indices were checked by the caller.
template <class T, class I, class Space>
void gather(tensor_view<const T, 2, Space> x, tensor_view<const I, 2, Space> idx, tensor_view<T, 2, Space> out,
            index_t r0, index_t r1) {
  for (index_t i = r0; i < r1; ++i)
    for (index_t j = 0; j < out.extent(1); ++j) out(i, j) = x(i, static_cast<index_t>(idx(i, j)));
}

/// y[t] = x[t] + c[t] * y[t+1], from the last column back, y[T] = 0. y may be x.
template <class T, class Coeff, class Space>
void reverse_scan(tensor_view<const T, 2, Space> x, const Coeff& c, tensor_view<T, 2, Space> y, index_t r0,
                  index_t r1) {
  const index_t cols = x.extent(1);
  for (index_t i = r0; i < r1; ++i) {
    T next = T(0);
    for (index_t t = cols; t-- > 0;) {
      T coeff;
      if constexpr (std::is_arithmetic_v<Coeff>) coeff = static_cast<T>(c);
      else coeff = c(i, t);
      next = x(i, t) + coeff * next;
      y(i, t) = next;
    }
  }
}

}  // namespace posttrain::detail::host
