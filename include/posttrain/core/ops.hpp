// SPDX-License-Identifier: Apache-2.0
#pragma once
// The operations, as customization-point objects: posttrain::ops::softmax(be, x, out), ...
//
// Dispatch, for every op: (1) the backend's member of the same name, which it lists in its
// `overrides` (core/overrides.hpp: a listed member that does not fit the call, or a fitting
// member that is not listed, is a compile-time error, so dispatch cannot silently miss); (2) a
// generic fallback composed of other ops (softmax = row_logsumexp + map) or, for a backend
// whose memory the host can reach, the generic host loop; (3) otherwise a static_assert that
// names the missing member. So a host backend needs no member at all, and a device backend
// needs the primitives (allocate, deep_copy, fill, copy, map, transform_reduce, gemm) plus the
// ops that have no composition (topk, gather, reverse_scan).
//
// Conventions. Inputs come first, outputs last, as in the algorithms. Arguments are tensor
// views (anything satisfying posttrain::tensor) in the backend's memory space, of rank 1 or 2
// as each op says, with any strides (a stride of 0 broadcasts). An output may be the very same
// view as an input of the same shape (in place); partial overlap is undefined. Shapes are
// checked here and errors name the op, the argument and the shapes. Rank-2 ops work row-wise:
// rows are independent, columns are the reduced or scanned axis.

#include <algorithm>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "checks.hpp"
#include "concepts.hpp"
#include "detail/host_kernels.hpp"
#include "functors.hpp"
#include "memory.hpp"
#include "overrides.hpp"
#include "reductions.hpp"
#include "tensor_view.hpp"

namespace posttrain {

/// Options of ops::gemm: C = alpha · op(A) · op(B) + beta · C, op = transpose when asked.
/// beta = 0 means C is not read (NaN in C is ignored), as in BLAS.
template <class T>
struct gemm_options {
  T alpha = T(1);
  T beta = T(0);
  bool transpose_a = false;
  bool transpose_b = false;
};

namespace detail {

template <class V>
constexpr auto canonical(const V& v) {
  return as_matrix(to_view(v));
}
template <class V>
constexpr auto canonical_const(const V& v) {
  return as_matrix(to_const_view(v));
}

#define POSTTRAIN_MISSING_MEMBER(op, member)                                                             \
  static_assert(::posttrain::detail::dependent_false<B>, "posttrain::ops::" op                           \
                ": this backend's memory is not host-accessible and it has no member " member)

template <class F, class T, class Space, class... In, class B>
void dispatch_map(const B& be, const F& f, tensor_view<T, 2, Space> out, const In&... in) {
  constexpr bool member = requires { be.map(f, out, in...); };
  POSTTRAIN_CHECK_OVERRIDE(B, map, member);
  if constexpr (member) {
    be.map(f, out, in...);
  } else if constexpr (host_backend<B>) {
    host::for_rows(be, out.extent(0), [&](index_t r0, index_t r1) { host::map(f, out, r0, r1, in...); });
  } else {
    POSTTRAIN_MISSING_MEMBER("map", "map(f, out, inputs...)");
  }
}

template <class R, class F, class O, class Space, class... In, class B>
void dispatch_reduce(const B& be, const R& red, const F& f, tensor_view<O, 1, Space> out, const In&... in) {
  constexpr bool member = requires { be.transform_reduce(red, f, out, in...); };
  POSTTRAIN_CHECK_OVERRIDE(B, transform_reduce, member);
  if constexpr (member) {
    be.transform_reduce(red, f, out, in...);
  } else if constexpr (host_backend<B>) {
    host::for_rows(be, out.extent(0),
                   [&](index_t r0, index_t r1) { host::transform_reduce(red, f, out, r0, r1, in...); });
  } else {
    POSTTRAIN_MISSING_MEMBER("transform_reduce", "transform_reduce(reduction, f, out, inputs...)");
  }
}

template <class Tuple, std::size_t... I>
constexpr auto drop_last(const Tuple& t, std::index_sequence<I...>) {
  return std::forward_as_tuple(std::get<I>(t)...);
}

}  // namespace detail

namespace ops {
namespace cpo {

struct fill_fn {
  /// Sets every element of out (rank 1 or 2) to value.
  template <backend B, mutable_tensor Out>
    requires accessible_by<Out, B> && (Out::rank <= 2)
  void operator()(const B& be, const Out& out, typename Out::value_type value) const {
    auto o = detail::canonical(out);
    constexpr bool member = requires { be.fill(o, value); };
    POSTTRAIN_CHECK_OVERRIDE(B, fill, member);
    if constexpr (member) be.fill(o, value);
    else if constexpr (host_backend<B>)
      detail::host::for_rows(be, o.extent(0), [&](index_t r0, index_t r1) { detail::host::fill(o, value, r0, r1); });
    else POSTTRAIN_MISSING_MEMBER("fill", "fill(out, value)");
  }
};

struct copy_fn {
  /// dst = src, same shape (rank 1 or 2), any strides, one memory space.
  template <backend B, tensor Src, mutable_tensor Dst>
    requires accessible_by<Src, B> && accessible_by<Dst, B> && (Src::rank <= 2) &&
             std::same_as<typename Src::value_type, typename Dst::value_type>
  void operator()(const B& be, const Src& src, const Dst& dst) const {
    detail::check_same_shape("ops::copy", "src", src, "dst", dst);
    auto s = detail::canonical_const(src);
    auto d = detail::canonical(dst);
    constexpr bool member = requires { be.copy(s, d); };
    POSTTRAIN_CHECK_OVERRIDE(B, copy, member);
    if constexpr (member) be.copy(s, d);
    else detail::dispatch_map(be, fn::identity{}, d, s);
  }
};

struct map_fn {
  /// out = f(in0, in1, ...) element-wise; 1 to 4 inputs, all of out's shape (rank 1 or 2).
  /// Called as map(be, f, in0, ..., out).
  template <backend B, class F, class... Args>
    requires(sizeof...(Args) >= 2 && sizeof...(Args) <= 5 && (accessible_by<std::remove_cvref_t<Args>, B> && ...))
  void operator()(const B& be, const F& f, const Args&... args) const {
    const auto all = std::forward_as_tuple(args...);
    const auto& out = std::get<sizeof...(Args) - 1>(all);
    using Out = std::remove_cvref_t<decltype(out)>;
    static_assert(mutable_tensor<Out>, "posttrain::ops::map: the last argument (the output) must be writable");
    static_assert(Out::rank <= 2, "posttrain::ops::map: tensors of rank 1 or 2");
    auto inputs = detail::drop_last(all, std::make_index_sequence<sizeof...(Args) - 1>{});
    std::apply([&](const auto&... in) { (detail::check_same_shape("ops::map", "input", in, "out", out), ...); }, inputs);
    std::apply([&](const auto&... in) { detail::dispatch_map(be, f, detail::canonical(out), detail::canonical_const(in)...); },
               inputs);
  }
};

struct transform_reduce_fn {
  /// out[i] = red over j of f(in0[i, j], in1[i, j], ...); inputs [R, C], out [R].
  /// Called as transform_reduce(be, red, f, in0, ..., out), 1 to 4 inputs.
  template <backend B, class R, class F, class... Args>
    requires(sizeof...(Args) >= 2 && sizeof...(Args) <= 5 && (accessible_by<std::remove_cvref_t<Args>, B> && ...))
  void operator()(const B& be, const R& red, const F& f, const Args&... args) const {
    const auto all = std::forward_as_tuple(args...);
    const auto& out = std::get<sizeof...(Args) - 1>(all);
    using Out = std::remove_cvref_t<decltype(out)>;
    static_assert(mutable_tensor<Out> && Out::rank == 1,
                  "posttrain::ops::transform_reduce: the last argument (the output) must be a writable vector");
    auto inputs = detail::drop_last(all, std::make_index_sequence<sizeof...(Args) - 1>{});
    std::apply(
        [&](const auto& first, const auto&... rest) {
          static_assert(std::remove_cvref_t<decltype(first)>::rank == 2,
                        "posttrain::ops::transform_reduce: inputs are matrices [rows, cols]");
          detail::check_extent("ops::transform_reduce", "out", out, 0, first.extent(0), "one value per input row");
          (detail::check_same_shape("ops::transform_reduce", "input 0", first, "another input", rest), ...);
        },
        inputs);
    std::apply([&](const auto&... in) { detail::dispatch_reduce(be, red, f, detail::to_view(out), detail::to_const_view(in)...); },
               inputs);
  }
};

struct reduce_fn {
  /// out[i] = red over j of x[i, j]; x [R, C], out [R]. E.g. reduce(be, reduction::sum<float>{}, x, out).
  template <backend B, class R, tensor_of_rank<2> X, mutable_tensor Out>
    requires accessible_by<X, B> && accessible_by<Out, B> && (Out::rank == 1)
  void operator()(const B& be, const R& red, const X& x, const Out& out) const {
    transform_reduce_fn{}(be, red, fn::identity{}, x, out);
  }
};

struct gemm_fn {
  /// C = alpha · op(A) · op(B) + beta · C with op(A) [M, K], op(B) [K, N], C [M, N].
  template <backend B, tensor_of_rank<2> A, tensor_of_rank<2> Bm, mutable_tensor C>
    requires accessible_by<A, B> && accessible_by<Bm, B> && accessible_by<C, B> && (C::rank == 2) &&
             std::same_as<typename A::value_type, typename C::value_type> &&
             std::same_as<typename Bm::value_type, typename C::value_type>
  void operator()(const B& be, const A& a, const Bm& b, const C& c,
                  const gemm_options<typename C::value_type>& opt = {}) const {
    using T = typename C::value_type;
    auto av = detail::to_const_view(a), bv = detail::to_const_view(b);
    if (opt.transpose_a) av = av.transposed();
    if (opt.transpose_b) bv = bv.transposed();
    auto cv = detail::to_view(c);
    if (av.extent(1) != bv.extent(0) || av.extent(0) != cv.extent(0) || bv.extent(1) != cv.extent(1))
      throw shape_error(detail::message("posttrain::ops::gemm: op(A) is ", av, ", op(B) is ", bv, ", C is ", cv,
                                        "; need op(A) [M,K], op(B) [K,N], C [M,N]"));
    if (cv.empty()) return;
    if (av.extent(1) == 0) {  // an empty sum: C = beta · C
      if (opt.beta == T(0)) fill_fn{}(be, cv, T(0));
      else detail::dispatch_map(be, fn::scale<T>{opt.beta}, cv, tensor_view<const T, 2, typename C::space>(cv));
      return;
    }
    constexpr bool member = requires { be.gemm(av, bv, cv, opt.alpha, opt.beta); };
    POSTTRAIN_CHECK_OVERRIDE(B, gemm, member);
    if constexpr (member) {
      be.gemm(av, bv, cv, opt.alpha, opt.beta);
    } else if constexpr (host_backend<B>) {
      detail::host::for_rows(be, cv.extent(0), [&](index_t r0, index_t r1) {
        detail::host::gemm(av, bv, cv, opt.alpha, opt.beta, r0, r1);
      });
    } else {
      POSTTRAIN_MISSING_MEMBER("gemm", "gemm(a, b, c, alpha, beta)");
    }
  }
};

struct row_logsumexp_fn {
  /// out[i] = log Σ_j exp(x[i, j]), stable; x [R, C], out [R]. Empty or all -inf row: -inf;
  /// a NaN in the row: NaN; a +inf: +inf.
  template <backend B, tensor_of_rank<2> X, mutable_tensor Out>
    requires accessible_by<X, B> && accessible_by<Out, B> && (Out::rank == 1)
  void operator()(const B& be, const X& x, const Out& out) const {
    detail::check_extent("ops::row_logsumexp", "out", out, 0, x.extent(0), "one value per row of x");
    auto xv = detail::to_const_view(x);
    auto ov = detail::to_view(out);
    constexpr bool member = requires { be.row_logsumexp(xv, ov); };
    POSTTRAIN_CHECK_OVERRIDE(B, row_logsumexp, member);
    if constexpr (member) be.row_logsumexp(xv, ov);
    else detail::dispatch_reduce(be, reduction::logsumexp<typename X::value_type>{}, fn::identity{}, ov, xv);
  }
};

template <bool Log>
struct softmax_fn {
  /// Row-wise (log-)softmax of x (rank 1 or 2) into out of the same shape; stable (max
  /// subtracted). An all -inf row gives probabilities 0 (log-probabilities -inf), not NaN.
  template <backend B, tensor X, mutable_tensor Out>
    requires accessible_by<X, B> && accessible_by<Out, B> && (X::rank <= 2)
  void operator()(const B& be, const X& x, const Out& out) const {
    detail::check_same_shape(Log ? "ops::log_softmax" : "ops::softmax", "x", x, "out", out);
    using T = typename X::value_type;
    auto xv = detail::canonical_const(x);
    auto ov = detail::canonical(out);
    constexpr bool member = Log ? requires { be.log_softmax(xv, ov); } : requires { be.softmax(xv, ov); };
    if constexpr (Log) {
      POSTTRAIN_CHECK_OVERRIDE(B, log_softmax, member);
    } else {
      POSTTRAIN_CHECK_OVERRIDE(B, softmax, member);
    }
    if constexpr (!Log && member) {
      be.softmax(xv, ov);
    } else if constexpr (Log && member) {
      be.log_softmax(xv, ov);
    } else {
      auto lse = allocate<T>(be, {xv.extent(0)});
      row_logsumexp_fn{}(be, xv, lse.view());
      auto lse_cols = broadcast_columns(tensor_view<const T, 1, typename B::memory_space>(lse.view()), xv.extent(1));
      if constexpr (Log) detail::dispatch_map(be, fn::minus_normaliser{}, ov, xv, lse_cols);
      else detail::dispatch_map(be, fn::exp_minus{}, ov, xv, lse_cols);
    }
  }
};

struct topk_fn {
  /// The k = values.extent(1) largest elements of each row of x [R, C], in descending order,
  /// with their column indices: ties go to the lower index first, NaN ranks above +inf (as
  /// torch.topk). k ≤ C, else value_error.
  template <backend B, tensor_of_rank<2> X, mutable_tensor V, mutable_tensor I>
    requires accessible_by<X, B> && accessible_by<V, B> && accessible_by<I, B> && (V::rank == 2) &&
             (I::rank == 2) && std::same_as<typename X::value_type, typename V::value_type> &&
             std::is_integral_v<typename I::value_type>
  void operator()(const B& be, const X& x, const V& values, const I& indices) const {
    detail::check_same_shape("ops::topk", "values", values, "indices", indices);
    detail::check_extent("ops::topk", "values", values, 0, x.extent(0), "one row per row of x");
    if (values.extent(1) > x.extent(1))
      throw value_error(detail::message("posttrain::ops::topk: k = ", values.extent(1), " (values is ",
                                        detail::to_view(values), ") exceeds the row length of x ", detail::to_view(x)));
    auto xv = detail::to_const_view(x);
    auto vv = detail::to_view(values);
    auto iv = detail::to_view(indices);
    constexpr bool member = requires { be.topk(xv, vv, iv); };
    POSTTRAIN_CHECK_OVERRIDE(B, topk, member);
    if constexpr (member) be.topk(xv, vv, iv);
    else if constexpr (host_backend<B>)
      detail::host::for_rows(be, xv.extent(0), [&](index_t r0, index_t r1) { detail::host::topk(xv, vv, iv, r0, r1); });
    else POSTTRAIN_MISSING_MEMBER("topk", "topk(x, values, indices)");
  }
};

struct argmax_fn {
  /// out[i] = the column of row i's largest element; ties to the lower column, NaN counts as
  /// the largest (as torch/numpy). x [R, C] with C ≥ 1 (else shape_error when R > 0).
  template <backend B, tensor_of_rank<2> X, mutable_tensor Out>
    requires accessible_by<X, B> && accessible_by<Out, B> && (Out::rank == 1) &&
             std::is_integral_v<typename Out::value_type>
  void operator()(const B& be, const X& x, const Out& out) const {
    detail::check_extent("ops::argmax", "out", out, 0, x.extent(0), "one index per row of x");
    if (x.extent(1) == 0 && x.extent(0) > 0)
      throw shape_error(detail::message("posttrain::ops::argmax: x is ", detail::to_view(x),
                                        "; an empty row has no maximum"));
    auto xv = detail::to_const_view(x);
    auto ov = detail::to_view(out);
    constexpr bool member = requires { be.argmax(xv, ov); };
    POSTTRAIN_CHECK_OVERRIDE(B, argmax, member);
    if constexpr (member) be.argmax(xv, ov);
    else
      detail::dispatch_reduce(be, reduction::argmax<typename X::value_type, typename Out::value_type>{},
                              fn::identity{}, ov, xv);
  }
};

struct gather_fn {
  /// out[i, j] = x[i, index[i, j]]; x [R, C], index and out [R, K]. An index outside [0, C)
  /// is a value_error naming its position.
  template <backend B, tensor_of_rank<2> X, tensor_of_rank<2> Idx, mutable_tensor Out>
    requires accessible_by<X, B> && accessible_by<Idx, B> && accessible_by<Out, B> && (Out::rank == 2) &&
             std::is_integral_v<typename Idx::value_type> &&
             std::same_as<typename X::value_type, typename Out::value_type>
  void operator()(const B& be, const X& x, const Idx& index, const Out& out) const {
    detail::check_same_shape("ops::gather", "index", index, "out", out);
    detail::check_extent("ops::gather", "index", index, 0, x.extent(0), "one row of indices per row of x");
    auto xv = detail::to_const_view(x);
    auto iv = detail::to_const_view(index);
    auto ov = detail::to_view(out);
    if constexpr (B::memory_space::host_accessible) {
      for (index_t i = 0; i < iv.extent(0); ++i)
        for (index_t j = 0; j < iv.extent(1); ++j)
          if (const auto v = iv(i, j); v < 0 || static_cast<index_t>(v) >= xv.extent(1))
            throw value_error(detail::message("posttrain::ops::gather: index(", i, ",", j, ") = ", v,
                                              " is outside [0, ", xv.extent(1), ") of x ", xv));
    }
    constexpr bool member = requires { be.gather(xv, iv, ov); };
    POSTTRAIN_CHECK_OVERRIDE(B, gather, member);
    if constexpr (member) be.gather(xv, iv, ov);
    else if constexpr (host_backend<B>)
      detail::host::for_rows(be, ov.extent(0), [&](index_t r0, index_t r1) { detail::host::gather(xv, iv, ov, r0, r1); });
    else POSTTRAIN_MISSING_MEMBER("gather", "gather(x, index, out)");
  }
};

struct reverse_scan_fn {
  /// Discounted reverse scan along each row: y[t] = x[t] + c[t] · y[t+1], y[T] = 0, for x and y
  /// of rank 1 or 2 (rows independent) and c a tensor of x's shape or a scalar. GAE is one
  /// (x = δ, c = γλ, or γλ·mask). y may be x.
  template <backend B, tensor X, class Coeff, mutable_tensor Y>
    requires accessible_by<X, B> && accessible_by<Y, B> && (X::rank <= 2) &&
             (std::is_arithmetic_v<Coeff> || accessible_by<Coeff, B>)
  void operator()(const B& be, const X& x, const Coeff& c, const Y& y) const {
    detail::check_same_shape("ops::reverse_scan", "x", x, "y", y);
    auto xv = detail::canonical_const(x);
    auto yv = detail::canonical(y);
    auto cv = [&] {
      if constexpr (std::is_arithmetic_v<Coeff>) {
        return static_cast<typename X::value_type>(c);
      } else {
        detail::check_same_shape("ops::reverse_scan", "x", x, "c", c);
        return detail::canonical_const(c);
      }
    }();
    constexpr bool member = requires { be.reverse_scan(xv, cv, yv); };
    POSTTRAIN_CHECK_OVERRIDE(B, reverse_scan, member);
    if constexpr (member) be.reverse_scan(xv, cv, yv);
    else if constexpr (host_backend<B>)
      detail::host::for_rows(be, xv.extent(0),
                             [&](index_t r0, index_t r1) { detail::host::reverse_scan(xv, cv, yv, r0, r1); });
    else POSTTRAIN_MISSING_MEMBER("reverse_scan", "reverse_scan(x, c, y)");
  }
};

}  // namespace cpo

inline constexpr cpo::fill_fn fill{};
inline constexpr cpo::copy_fn copy{};
inline constexpr cpo::map_fn map{};
inline constexpr cpo::transform_reduce_fn transform_reduce{};
inline constexpr cpo::reduce_fn reduce{};
inline constexpr cpo::gemm_fn gemm{};
inline constexpr cpo::row_logsumexp_fn row_logsumexp{};
inline constexpr cpo::softmax_fn<false> softmax{};
inline constexpr cpo::softmax_fn<true> log_softmax{};
inline constexpr cpo::topk_fn topk{};
inline constexpr cpo::argmax_fn argmax{};
inline constexpr cpo::gather_fn gather{};
inline constexpr cpo::reverse_scan_fn reverse_scan{};

}  // namespace ops
}  // namespace posttrain

#undef POSTTRAIN_MISSING_MEMBER
