// SPDX-License-Identifier: Apache-2.0
#pragma once
// The value network's training loss (Inverse Value Learning, arXiv 2410.21027) and its gradient
// with respect to the value logits, in one fused call:
//
//   L = (1/|M|) Σ_{t∈M} CE(z_B[t] + z_V[t], y_t)  +  λ · (1/(T·V)) Σ_t ‖z_V[t]‖₁
//   ∂L/∂z_V[t] = 1[t∈M] · (softmax(z_B[t] + z_V[t]) − onehot(y_t)) / |M|  +  λ · sign(z_V[t]) / (T·V)
//
// M = the positions whose label is not ignore_index (−100); the norm term averages over all T
// positions (prompt and padding included), as the reference code does; λ = 1 there, 0 turns the
// term off. The base model is frozen: no gradient for z_B. token_cross_entropy is the plain masked
// cross-entropy (no base, λ = 0).
//
// Per row, one row kernel (ops::for_each_row, any backend): a reduction for the maximum of
// s = z_B + z_V, Σ|z_V| and the validity checks; a reduction that writes the numerators
// e^{s − max} into the gradient row and sums them; a pass that turns them into the gradient.
// The row is read from memory once and stays in cache (a GPU block's) for the other two, and no
// softmax matrix is held.
//
// Inputs: z_B may hold −inf (a masked vocabulary entry gets probability 0 and gradient exactly
// 0); a labelled row whose scores are all −inf, a NaN or +inf anywhere, and a non-finite z_V
// are errors naming the row and column; a label outside [0, V) is an error naming the position,
// checked before any work. |M| = 0 gives cross-entropy 0 and no CE gradient, never NaN.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include "../core.hpp"
#include "../core/detail/fast_exp.hpp"

namespace posttrain::value {

struct ivl_options {
  /// λ, the weight of the mean L1 norm of z_V.
  double lambda = 1.0;
  std::int64_t ignore_index = -100;
};

struct ivl_result {
  double loss = 0;           // cross_entropy + λ·norm
  double cross_entropy = 0;  // mean over the labelled positions
  double norm = 0;           // Σ|z_V| / (T·V)
  index_t labelled = 0;      // |M|
};

namespace detail {

using posttrain::detail::message;

/// e^x for x ≤ 0, exactly 0 at −inf (the vectorised float exp gives ~1e−38 there).
template <class T>
POSTTRAIN_HOST_DEVICE T numerator(T x) {
  T e;
  if constexpr (std::is_same_v<T, float>) e = posttrain::detail::exp_nonpositive(x);
  else e = ::exp(x);
  return x == -posttrain::detail::infinity<T>() ? T(0) : e;
}

template <class T>
POSTTRAIN_HOST_DEVICE T sign(T x) {
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}

/// The first pass over a row: the maximum score, Σ|z_V| and a check that stays 0 unless some z_V
/// is non-finite or some z_B is NaN or +inf (x·0 is NaN exactly for those; −inf z_B is allowed).
template <class T>
struct row_scan {
  struct accumulator {
    T top, abs_sum, check;
  };
  POSTTRAIN_HOST_DEVICE accumulator init() const { return {-posttrain::detail::infinity<T>(), T(0), T(0)}; }
  POSTTRAIN_HOST_DEVICE accumulator combine(accumulator a, accumulator x, index_t) const { return merge(a, x); }
  POSTTRAIN_HOST_DEVICE accumulator merge(accumulator a, accumulator b) const {
    return {b.top > a.top ? b.top : a.top, a.abs_sum + b.abs_sum, a.check + b.check};
  }
  POSTTRAIN_HOST_DEVICE accumulator result(accumulator a) const { return a; }
};


/// Codes of team.fail in the IVL kernel.
enum ivl_fault { bad_value_logit = 1, bad_base_logit = 2, all_minus_infinity = 3 };

/// The IVL loss of one row (zb unused without a base): writes the gradient row and
/// terms(r, 0..1) = (the row's cross-entropy when labelled, Σ|z_V|).
template <bool with_base, class T>
struct ivl_kernel {
  std::int64_t ignore_index;
  T ce_scale, norm_scale;  // 1/|M|, λ/(T·V)

  template <class Team, class ZB, class ZV, class Y, class G, class S>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t r, const ZB& zb, const ZV& zv, const Y& labels,
                                        const G& g, const S& terms) const {
    const index_t n = zv.extent(1);
    const T inf = posttrain::detail::infinity<T>();
    const auto base = [&](index_t v) {
      if constexpr (with_base) return T(zb(r, v));
      else return T(0);
    };
    // example-begin design-ivl
    const auto pass1 = team.reduce(n, row_scan<T>{}, [&](index_t v) {
      const T b = base(v), a = T(zv(r, v));
      // −inf z_B counts as 0 in the check; NaN and +inf make it NaN.
      return typename row_scan<T>::accumulator{b + a, a < T(0) ? -a : a, a * T(0) + (b == -inf ? T(0) : b) * T(0)};
    });
    if (pass1.check != T(0)) {
      const index_t bad = team.reduce(n, reduction::first_index{}, [&](index_t v) {
        const T b = base(v), a = T(zv(r, v));
        return a * T(0) + (b == -inf ? T(0) : b) * T(0) != T(0) ? v : index_t(-1);
      });
      const T a = T(zv(r, bad));
      team.fail(bad, a * T(0) == T(0) ? bad_base_logit : bad_value_logit);
      return;
    }
    const auto y = static_cast<std::int64_t>(labels(r));
    const T reg = norm_scale;
    if (y == ignore_index) {
      team.for_each(n, [&](index_t v) { g(r, v) = reg * sign(T(zv(r, v))); });
      team.single([&] {
        terms(r, 0) = 0.0;
        terms(r, 1) = double(pass1.abs_sum);
      });
      return;
    }
    const T m = pass1.top;
    if (m == -inf) {
      team.fail(index_t(y), all_minus_infinity);
      return;
    }
    const T total = team.reduce(n, reduction::sum<T>{}, [&](index_t v) {
      const T e = numerator(T(base(v) + T(zv(r, v)) - m));
      g(r, v) = e;
      return e;
    });
    const T scale = ce_scale / total;
    team.for_each(n, [&](index_t v) { g(r, v) = g(r, v) * scale + reg * sign(T(zv(r, v))); });
    team.single([&] {
      g(r, index_t(y)) -= ce_scale;
      terms(r, 0) = double(m) + ::log(double(total)) - double(base(index_t(y)) + T(zv(r, index_t(y))));
      terms(r, 1) = double(pass1.abs_sum);
    });
    // example-end design-ivl
  }
};

/// Counts the labelled positions; a label outside [0, V) that is not ignore_index is an error
/// naming its position. Host code over the labels brought to the host (one integer per row).
template <class B, class Y>
index_t check_labels(std::string_view who, const B& be, const Y& labels, index_t vocab, std::int64_t ignore_index) {
  host_buffer<typename Y::value_type, 1> h({labels.extent(0)});
  deep_copy(be, labels, h.view());
  index_t labelled = 0;
  for (index_t t = 0; t < labels.extent(0); ++t) {
    const auto y = static_cast<std::int64_t>(h.view()(t));
    if (y == ignore_index) continue;
    if (y < 0 || y >= vocab)
      throw value_error(message("posttrain::", who, ": labels[", t, "] is ", y, ", outside [0, ", vocab,
                                ") and not ignore_index (", ignore_index, ")"));
    ++labelled;
  }
  return labelled;
}

template <bool with_base, class B, class ZBV, class ZVV, class YV, class GV>
ivl_result ivl_impl(std::string_view who, const B& be, const ZBV& zb, const ZVV& zv, const YV& yv, const GV& gv,
                    const ivl_options& o) {
  using T = typename GV::value_type;
  const index_t rows = zv.extent(0), n = zv.extent(1);
  if (!(o.lambda >= 0) || !std::isfinite(o.lambda))
    throw value_error(message("posttrain::", who, ": lambda is ", o.lambda, "; it must be finite and ≥ 0"));
  const index_t labelled = check_labels(who, be, yv, n, o.ignore_index);
  const double ce_scale = labelled > 0 ? 1.0 / double(labelled) : 0.0;
  const double cells = double(rows) * double(n);
  const double norm_scale = cells > 0 ? o.lambda / cells : 0.0;
  auto terms = allocate<double>(be, {rows, index_t{2}});
  const auto error = ops::for_each_row(be, rows,
                                       ivl_kernel<with_base, T>{o.ignore_index, T(ce_scale), T(norm_scale)}, zb, zv,
                                       yv, gv, terms.view());
  if (error) {
    const index_t r = error.row, c = error.column;
    switch (error.code) {
      case bad_value_logit:
        throw value_error(message("posttrain::", who, ": z_value row ", r, " column ", c, " is ",
                                  double(posttrain::detail::element_at(be, zv, r, c)), "; value logits must be finite"));
      case bad_base_logit:
        throw value_error(message("posttrain::", who, ": z_base row ", r, " column ", c, " is ",
                                  double(posttrain::detail::element_at(be, zb, r, c)),
                                  "; base logits must be finite or −inf"));
      default:
        throw value_error(message("posttrain::", who, ": row ", r, " is labelled (", c, ") but every score is −inf"));
    }
  }
  const auto h = posttrain::detail::to_host(be, std::as_const(terms).view());
  ivl_result result;
  result.labelled = labelled;
  double abs_total = 0;
  for (index_t r = 0; r < rows; ++r) result.cross_entropy += h.view()(r, 0), abs_total += h.view()(r, 1);
  result.cross_entropy *= ce_scale;
  result.norm = cells > 0 ? abs_total / cells : 0.0;
  result.loss = result.cross_entropy + o.lambda * result.norm;
  return result;
}

}  // namespace detail

/// The IVL loss of z_base + z_value against labels [T] and grad = ∂L/∂z_value, all [T, V].
template <backend B, tensor_of_rank<2> ZB, tensor_of_rank<2> ZV, tensor_of_rank<1> Y, tensor_of_rank<2> G>
  requires accessible_by<ZB, B> && accessible_by<ZV, B> && accessible_by<Y, B> && accessible_by<G, B> &&
           mutable_tensor<G> && std::is_integral_v<typename Y::value_type> &&
           std::is_floating_point_v<typename G::value_type>
ivl_result ivl_loss_and_gradient(const B& be, const ZB& z_base, const ZV& z_value, const Y& labels, const G& grad,
                                 const ivl_options& o = {}) {
  constexpr std::string_view who = "value::ivl_loss_and_gradient";
  posttrain::detail::check_same_shape(who, "z_base", z_base, "z_value", z_value);
  posttrain::detail::check_same_shape(who, "z_base", z_base, "grad", grad);
  posttrain::detail::check_extent(who, "labels", labels, 0, z_base.extent(0), "one label per row of z_base");
  return detail::ivl_impl<true>(who, be, posttrain::detail::to_const_view(z_base),
                                posttrain::detail::to_const_view(z_value), posttrain::detail::to_const_view(labels),
                                posttrain::detail::to_view(grad), o);
}

/// The masked token cross-entropy of logits [T, V] against labels [T] (mean over the labelled
/// positions) and grad = ∂L/∂logits: the IVL loss with no base and λ = 0.
template <backend B, tensor_of_rank<2> Z, tensor_of_rank<1> Y, tensor_of_rank<2> G>
  requires accessible_by<Z, B> && accessible_by<Y, B> && accessible_by<G, B> && mutable_tensor<G> &&
           std::is_integral_v<typename Y::value_type> && std::is_floating_point_v<typename G::value_type>
ivl_result token_cross_entropy(const B& be, const Z& logits, const Y& labels, const G& grad,
                               std::int64_t ignore_index = -100) {
  constexpr std::string_view who = "value::token_cross_entropy";
  posttrain::detail::check_same_shape(who, "logits", logits, "grad", grad);
  posttrain::detail::check_extent(who, "labels", labels, 0, logits.extent(0), "one label per row of logits");
  const auto zv = posttrain::detail::to_const_view(logits);
  return detail::ivl_impl<false>(who, be, zv, zv, posttrain::detail::to_const_view(labels),
                                 posttrain::detail::to_view(grad), {.lambda = 0.0, .ignore_index = ignore_index});
}

}  // namespace posttrain::value
