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
// Per row: one pass for the maximum of s = z_B + z_V and Σ|z_V|, one for the numerators
// e^{s − max} (written into the gradient row) and their sum, one for the gradient; the row is
// read from memory once and stays in cache for the other two, and no softmax matrix is held.
//
// Inputs: z_B may hold −inf (a masked vocabulary entry gets probability 0 and gradient exactly
// 0); a labelled row whose scores are all −inf, a NaN or +inf anywhere, and a non-finite z_V
// are errors naming the row and column; a label outside [0, V) is an error naming the position,
// checked before any work. |M| = 0 gives cross-entropy 0 and no CE gradient, never NaN.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

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
T numerator(T x) {
  T e;
  if constexpr (std::is_same_v<T, float>) e = posttrain::detail::exp_nonpositive(x);
  else e = std::exp(x);
  return x == -std::numeric_limits<T>::infinity() ? T(0) : e;
}

template <class T>
T sign(T x) {
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}

struct row_terms {
  double cross_entropy = 0, abs_sum = 0;
};

/// Names the first bad element of a row whose validity check failed.
template <bool with_base, class Tb, class Tv>
[[noreturn]] void report_bad_row(std::string_view who, index_t row, index_t n, const Tb* zb, const Tv* zv) {
  for (index_t u = 0; u < n; ++u) {
    const double a = double(zv[u]);
    if (!std::isfinite(a))
      throw value_error(message("posttrain::", who, ": z_value row ", row, " column ", u, " is ", a,
                                "; value logits must be finite"));
    if constexpr (with_base)
      if (!(double(zb[u]) < std::numeric_limits<double>::infinity()))
        throw value_error(message("posttrain::", who, ": z_base row ", row, " column ", u, " is ", double(zb[u]),
                                  "; base logits must be finite or −inf"));
  }
  throw value_error(message("posttrain::", who, ": row ", row, " has a non-finite score"));
}

/// One dense row (zb unused without a base): writes the gradient row g and returns the row's
/// cross-entropy (when labelled) and Σ|z_V|. Loops are branch-free (selects, `&` not `&&`) with
/// 8 partial results, so the compiler vectorises all three passes.
template <bool with_base, class T, class Tb, class Tv>
row_terms ivl_row(std::string_view who, index_t row, index_t n, std::int64_t label, bool labelled, double ce_scale,
                  double norm_scale, const Tb* __restrict zb, const Tv* __restrict zv, T* __restrict g) {
  constexpr T inf = std::numeric_limits<T>::infinity();
  const auto score = [&](index_t v) -> T {
    if constexpr (with_base) return T(zb[v]) + T(zv[v]);
    else return T(zv[v]);
  };
  // Pass 1: the maximum score, Σ|z_V| and the validity checks. `check` stays 0 unless some z_V is
  // non-finite or some z_B is NaN or +inf (x·0 is NaN exactly for those; −inf z_B is allowed).
  constexpr index_t w = 16;
  T top[w], check[w], abs_sum[w];
  for (index_t k = 0; k < w; ++k) top[k] = -inf, check[k] = T(0), abs_sum[k] = T(0);
  const index_t full = n / w * w;
  const auto check_of = [](T b, T a) {
    if constexpr (with_base) return a * T(0) + (b > -inf ? b : T(0)) * T(0);
    else return a * T(0);
  };
  for (index_t v = 0; v < full; v += w)
    for (index_t k = 0; k < w; ++k) {
      const T b = with_base ? T(zb[v + k]) : T(0), a = T(zv[v + k]), s = b + a;
      top[k] = s > top[k] ? s : top[k];
      check[k] += check_of(b, a);
      abs_sum[k] += std::abs(a);
    }
  for (index_t v = full; v < n; ++v) {
    const T b = with_base ? T(zb[v]) : T(0), a = T(zv[v]), s = b + a;
    top[0] = s > top[0] ? s : top[0];
    check[0] += check_of(b, a);
    abs_sum[0] += std::abs(a);
  }
  T m = -inf, checks = 0;
  row_terms out;
  for (index_t k = 0; k < w; ++k) m = top[k] > m ? top[k] : m, checks += check[k], out.abs_sum += double(abs_sum[k]);
  if (checks != T(0)) report_bad_row<with_base>(who, row, n, zb, zv);
  const T reg = static_cast<T>(norm_scale);
  if (!labelled) {
    for (index_t v = 0; v < n; ++v) g[v] = reg * sign(T(zv[v]));
    return out;
  }
  if (m == -inf)
    throw value_error(message("posttrain::", who, ": row ", row, " is labelled (", label,
                              ") but every score is −inf"));
  // Pass 2: the numerators into the gradient row (in cache), and their sum.
  T sum[w] = {};
  for (index_t v = 0; v < full; v += w)
    for (index_t k = 0; k < w; ++k) {
      const T e = numerator(T(score(v + k) - m));
      g[v + k] = e;
      sum[k] += e;
    }
  for (index_t v = full; v < n; ++v) {
    const T e = numerator(T(score(v) - m));
    g[v] = e;
    sum[0] += e;
  }
  double total = 0;
  for (index_t k = 0; k < w; ++k) total += double(sum[k]);
  out.cross_entropy = double(m) + std::log(total) - double(score(index_t(label)));
  // Pass 3: softmax/|M| + λ·sign/(T·V), then −1/|M| at the label.
  const T scale = static_cast<T>(ce_scale / total);
  for (index_t v = 0; v < n; ++v) g[v] = g[v] * scale + reg * sign(T(zv[v]));
  g[label] -= static_cast<T>(ce_scale);
  return out;
}

template <class Y>
index_t check_labels(std::string_view who, const Y& labels, index_t vocab, std::int64_t ignore_index) {
  index_t labelled = 0;
  for (index_t t = 0; t < labels.extent(0); ++t) {
    const auto y = static_cast<std::int64_t>(labels(t));
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
  const index_t labelled = check_labels(who, yv, n, o.ignore_index);
  const double ce_scale = labelled > 0 ? 1.0 / double(labelled) : 0.0;
  const double cells = double(rows) * double(n);
  const double norm_scale = cells > 0 ? o.lambda / cells : 0.0;
  std::vector<row_terms> terms(static_cast<std::size_t>(rows));
  const bool dense = zv.stride(1) == 1 && gv.stride(1) == 1 && (!with_base || zb.stride(1) == 1);
  using TB = typename ZBV::value_type;
  using TV = typename ZVV::value_type;
  posttrain::detail::host::for_rows(be, rows, [&](index_t r0, index_t r1) {
    // Strided rows go through dense copies (the kernel wants contiguous rows).
    std::vector<TB> base_row(dense ? 0 : std::size_t(n));
    std::vector<TV> value_row(dense ? 0 : std::size_t(n));
    std::vector<T> grad_row(dense ? 0 : std::size_t(n));
    for (index_t r = r0; r < r1; ++r) {
      const auto y = static_cast<std::int64_t>(yv(r));
      const bool is_labelled = y != o.ignore_index;
      if (dense) {
        terms[std::size_t(r)] = ivl_row<with_base, T>(who, r, n, y, is_labelled, ce_scale, norm_scale,
                                                      with_base ? &zb(r, 0) : nullptr, &zv(r, 0), &gv(r, 0));
        continue;
      }
      for (index_t v = 0; v < n; ++v) {
        if constexpr (with_base) base_row[std::size_t(v)] = zb(r, v);
        value_row[std::size_t(v)] = zv(r, v);
      }
      terms[std::size_t(r)] = ivl_row<with_base, T>(who, r, n, y, is_labelled, ce_scale, norm_scale,
                                                    base_row.data(), value_row.data(), grad_row.data());
      for (index_t v = 0; v < n; ++v) gv(r, v) = grad_row[std::size_t(v)];
    }
  });
  ivl_result result;
  result.labelled = labelled;
  double abs_total = 0;
  for (const auto& t : terms) result.cross_entropy += t.cross_entropy, abs_total += t.abs_sum;
  result.cross_entropy *= ce_scale;
  result.norm = cells > 0 ? abs_total / cells : 0.0;
  result.loss = result.cross_entropy + o.lambda * result.norm;
  return result;
}

}  // namespace detail

/// The IVL loss of z_base + z_value against labels [T] and grad = ∂L/∂z_value, all [T, V].
template <host_backend B, tensor_of_rank<2> ZB, tensor_of_rank<2> ZV, tensor_of_rank<1> Y, tensor_of_rank<2> G>
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
template <host_backend B, tensor_of_rank<2> Z, tensor_of_rank<1> Y, tensor_of_rank<2> G>
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
