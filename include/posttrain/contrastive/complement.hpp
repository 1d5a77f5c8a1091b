// SPDX-License-Identifier: Apache-2.0
#pragma once
// The complementary loss of GraphCoCo (arXiv 2203.12821): InfoNCE concentrates on a few
// "highlighted" dimensions; removing them from the second view makes the model learn from the
// others.
//
//   highlighted_dimensions(be, z1, z2, options, mask)  mask[i, d] = 1 for the top-k dimensions
//                                          of pair i: by contribution ẑ1_id·ẑ2_id (default) or
//                                          by anchor magnitude |ẑ1_id|
//   complementary_embedding(be, z2, mask, out)       z2c = z2 ⊙ (1 − mask)
//   complementary_loss_and_gradient(be, ...)         L = L(z1, z2) + λ·L(z1, z2c), the mask a
//                                                    constant for the gradient
//   representation(be, z1, z2, mask, out)            [z1 ‖ z2c], the downstream representation
//
// Mask scope: `per_sample` (default) masks each candidate z2_j with its own pair's mask, so z2c
// is one matrix; `anchor_row` masks every candidate with the anchor's mask: the similarity of
// anchor i and candidate j is ẑ1_i·(z2_j ⊙ m̄_i) / ‖z2_j ⊙ m̄_i‖, whose norms are a GEMM of the
// masks with the squared embeddings (‖z2_j ⊙ m̄_i‖² = Σ_d m̄_id z2_jd²), never an N×N×d loop.
//
// Everything runs on any backend: the highlighted dimensions are ops::topk of the scores, the
// losses the tiled GEMMs and row kernels of infonce.hpp.

#include <cmath>

#include "infonce.hpp"

namespace posttrain::contrastive {

enum class highlight_rule { contribution, anchor_magnitude };
enum class mask_scope { per_sample, anchor_row };

struct complement_options {
  loss_options base;  ///< the loss L (any form with per_sample; graphcl or one-way infonce with anchor_row)
  /// Highlighted dimensions per pair: k = ⌈ratio·d⌉, or `count` when it is ≥ 0.
  double ratio = 0.1;
  index_t count = -1;
  double weight = 1.0;  ///< λ
  highlight_rule rule = highlight_rule::contribution;
  mask_scope scope = mask_scope::per_sample;
};

/// The value of each term of the complementary loss.
struct complement_loss {
  double total = 0;          ///< plain + λ·complementary
  double plain = 0;          ///< L(z1, z2)
  double complementary = 0;  ///< L(z1, z2c)
};

namespace detail {

inline index_t highlighted_count(const complement_options& opt, index_t d, std::string_view who) {
  if (opt.count < 0 && !(opt.ratio >= 0 && opt.ratio <= 1))
    throw value_error(message("posttrain::contrastive::", who, ": ratio ρ = ", opt.ratio, " must lie in [0, 1]"));
  const index_t k = opt.count >= 0 ? opt.count : static_cast<index_t>(std::ceil(opt.ratio * double(d) - 1e-9));
  if (k >= d)
    throw value_error(message("posttrain::contrastive::", who, ": k = ", k, " highlighted dimensions of d = ", d,
                              " would remove every dimension of z2; k must be < d"));
  return k;
}

}  // namespace detail

namespace detail {

/// Sets row i of the mask to 1 at the columns chosen[i, ·] and to 0 elsewhere.
struct scatter_mask_kernel {
  template <class Team, class I, class M>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const I& chosen, const M& mask) const {
    using V = typename M::value_type;
    team.for_each(mask.extent(1), [&](index_t j) { mask(i, j) = V(0); });
    team.for_each(chosen.extent(1), [&](index_t r) { mask(i, index_t(chosen(i, r))) = V(1); });
  }
};

/// z, or 0 where the mask is set: z ⊙ (1 − mask).
struct masked_out {
  template <class Z, class M>
  POSTTRAIN_HOST_DEVICE Z operator()(Z z, M m) const {
    return m != M(0) ? Z(0) : z;
  }
};

/// 1 − [mask ≠ 0] in T.
template <class T>
struct kept {
  template <class M>
  POSTTRAIN_HOST_DEVICE T operator()(M m) const {
    return m != M(0) ? T(0) : T(1);
  }
};

/// a + b·c (an accumulation through a mask).
struct plus_product {
  template <class T>
  POSTTRAIN_HOST_DEVICE T operator()(T a, T b, T c) const {
    return a + b * c;
  }
};

/// a·b·w.
template <class T>
struct scaled_product {
  T w;
  POSTTRAIN_HOST_DEVICE T operator()(T a, T b) const { return a * b * w; }
};

/// a + 2·b·c: the norms' part of dL/dz2, Σ_i dL/dq_ij · m̄_id · 2 z2_jd, added to a.
struct plus_twice_product {
  template <class T>
  POSTTRAIN_HOST_DEVICE T operator()(T a, T b, T c) const {
    return a + T(2) * b * c;
  }
};

}  // namespace detail

/// mask [N, d] (any integer or floating type, written 0/1): the k dimensions of each pair with
/// the largest contribution ẑ1_id·ẑ2_id (or |ẑ1_id|), ties to the lower dimension; any backend
/// (the scores in double, then ops::topk).
template <backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2, mutable_tensor M>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be> && accessible_by<M, Be>
void highlighted_dimensions(const Be& be, const Z1& z1, const Z2& z2, const complement_options& options, const M& mask) {
  constexpr std::string_view who = "highlighted_dimensions";
  detail::check_views(who, z1, z2, options.base);
  posttrain::detail::check_same_shape("contrastive::highlighted_dimensions", "z1", z1, "mask", mask);
  const index_t n = z1.extent(0), d = z1.extent(1);
  const index_t k = detail::highlighted_count(options, d, who);
  const auto u = detail::normalise<double>(be, who, "z1", z1);
  const auto v = detail::normalise<double>(be, who, "z2", z2);
  auto score = allocate<double>(be, {n, d});
  if (options.rule == highlight_rule::contribution) ops::map(be, fn::multiplies{}, u.rows.view(), v.rows.view(), score.view());
  else ops::map(be, fn::abs{}, u.rows.view(), score.view());
  auto values = allocate<double>(be, {n, k});
  auto chosen = allocate<index_t>(be, {n, k});
  if (k > 0) ops::topk(be, score.view(), values.view(), chosen.view());
  ops::for_each_row(be, n, detail::scatter_mask_kernel{}, detail::matrix_in<const index_t, Be>(chosen.view()),
                    posttrain::detail::to_view(mask));
}

/// z2c = z2 ⊙ (1 − mask), out of z2's shape; any backend.
template <backend Be, tensor_of_rank<2> Z2, tensor_of_rank<2> M, mutable_tensor O>
  requires accessible_by<Z2, Be> && accessible_by<M, Be> && accessible_by<O, Be>
void complementary_embedding(const Be& be, const Z2& z2, const M& mask, const O& out) {
  posttrain::detail::check_same_shape("contrastive::complementary_embedding", "z2", z2, "mask", mask);
  posttrain::detail::check_same_shape("contrastive::complementary_embedding", "z2", z2, "out", out);
  ops::map(be, detail::masked_out{}, z2, mask, out);
}

/// [z1 ‖ z2c] into out [N, 2d]; any backend.
template <backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2, tensor_of_rank<2> M, mutable_tensor O>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be> && accessible_by<M, Be> && accessible_by<O, Be>
void representation(const Be& be, const Z1& z1, const Z2& z2, const M& mask, const O& out) {
  posttrain::detail::check_same_shape("contrastive::representation", "z1", z1, "z2", z2);
  const index_t n = z1.extent(0), d = z1.extent(1);
  if (out.extent(0) != n || out.extent(1) != 2 * d)
    throw shape_error(posttrain::detail::message("posttrain::contrastive::representation: out is ",
                                                 posttrain::detail::to_view(out), "; it must be [", n, ",", 2 * d, "]"));
  const auto o = posttrain::detail::to_view(out);
  ops::map(be, fn::identity{}, z1, o.cols(0, d));
  complementary_embedding(be, z2, mask, o.cols(d, d));
}

namespace detail {

/// One row of the anchor-masked tiles: dot [rows, n] (→ s → dL/ddot) and q [rows, n] (→ the
/// clamped norm → dL/dq), in place. Writes ℓ_i to loss(i).
template <class T, bool gradient>
struct anchor_masked_kernel {
  index_t first;
  bool graphcl;
  T inv_tau, per_anchor;
  template <class Team, class D, class Q, class L>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t r, const D& dot, const Q& q, const L& loss) const {
    const index_t i = first + r, n = dot.extent(1), x = graphcl ? i : index_t(-1);
    const T inf = posttrain::detail::infinity<T>(), eps = T(norm_floor);
    const auto tp = team.reduce(n, top_and_positive<T>{}, [&](index_t j) {
      const double q2 = double(q(r, j));
      const T root = static_cast<T>(::sqrt(q2 > 0 ? q2 : 0.0));
      const T norm = root > eps ? root : eps;
      const T s = dot(r, j) / norm * inv_tau;
      q(r, j) = norm;
      dot(r, j) = s;
      return typename top_and_positive<T>::accumulator{j == x ? -inf : s, j == i ? s : T(0)};
    });
    const T m = tp.top;
    const T sum = team.reduce(n, reduction::sum<T>{}, [&](index_t j) {
      return j == x ? T(0) : numerator_exp(T(dot(r, j) - m));
    });
    team.single([&] { loss(i) = double(m) + ::log(double(sum)) - double(tp.positive); });
    if constexpr (gradient) {
      team.for_each(n, [&](index_t j) {
        const T s = dot(r, j), norm = q(r, j);
        T g = j == x ? T(0) : per_anchor * numerator_exp(T(s - m)) / sum;
        if (j == i) g -= per_anchor;
        // s = dot / (‖·‖ τ): dL/ddot = g / (‖·‖ τ); dL/d‖·‖ = −g s / ‖·‖; d‖·‖/dq = 1/(2‖·‖) unless clamped.
        dot(r, j) = g * inv_tau / norm;
        q(r, j) = norm <= eps ? T(0) : -g * s / (norm * norm * T(2));
      });
    }
  }
};

/// L(z1, z2c) with the anchor's mask on every candidate (one-way graphcl or infonce): per tile
/// of anchors I, dot = (u ⊙ m̄)_I z2ᵀ and q = m̄_I (z2 ⊙ z2)ᵀ (two GEMMs), s = dot / (max(√q, ε) τ);
/// the gradients go back through the same GEMMs. u = ẑ1 (normalised), z2 raw. Returns the mean
/// loss; adds weight · dL/du into gu and weight · dL/dz2 into gz2 when gu is non-empty.
template <backend Be, class T>
double anchor_masked_loss(const Be& be, matrix_in<const T, Be> u, matrix_in<const T, Be> keep,
                          matrix_in<const T, Be> z2, const loss_options& opt, double weight, matrix_in<T, Be> gu,
                          matrix_in<T, Be> gz2) {
  const index_t n = u.extent(0), d = u.extent(1);
  const bool gradient = gu.size() > 0;
  const bool graphcl = opt.kind == objective::graphcl;
  const T inv_tau = static_cast<T>(1 / opt.temperature);
  const T per_anchor = static_cast<T>(weight / double(n));  // the loss is the mean over anchors
  // Two tiles: dot products and norms.
  const index_t tile = std::min(tile_rows_for(opt.tile_rows, n, index_t{1} << 23), n);
  auto z2sq = allocate<T>(be, {n, d});
  ops::map(be, fn::square{}, z2, z2sq.view());
  const matrix_in<const T, Be> z2sqv(z2sq.view());
  auto dot = allocate<T>(be, {tile, n}), q = allocate<T>(be, {tile, n});
  auto ua = allocate<T>(be, {tile, d}), gua = allocate<T>(be, {gradient ? tile : 0, d});
  auto w_total = allocate<T>(be, {gradient ? n : 0, d});  // Σ_i Gq_iᵀ m̄_i, for the norms' gradient
  if (gradient) ops::fill(be, w_total.view(), T(0));
  auto loss = allocate<double>(be, {n});
  for (index_t t0 = 0; t0 < n; t0 += tile) {
    const index_t rows = std::min(tile, n - t0);
    const auto keep_t = keep.rows(t0, rows);
    const auto uat = ua.view().rows(0, rows);
    ops::map(be, fn::multiplies{}, u.rows(t0, rows), keep_t, uat);
    const auto dotv = dot.view().rows(0, rows), qv = q.view().rows(0, rows);
    ops::gemm(be, matrix_in<const T, Be>(uat), z2, dotv, {.transpose_b = true});
    ops::gemm(be, keep_t, z2sqv, qv, {.transpose_b = true});
    if (!gradient) {
      ops::for_each_row(be, rows, anchor_masked_kernel<T, false>{t0, graphcl, inv_tau, per_anchor}, dotv, qv, loss.view());
      continue;
    }
    ops::for_each_row(be, rows, anchor_masked_kernel<T, true>{t0, graphcl, inv_tau, per_anchor}, dotv, qv, loss.view());
    // dL/du_I += m̄_I ⊙ (Gdot z2);  dL/dz2 += Gdotᵀ (u ⊙ m̄)_I;  W += Gqᵀ m̄_I.
    const matrix_in<const T, Be> gdot(dotv), gq(qv);
    const auto guat = gua.view().rows(0, rows);
    ops::gemm(be, gdot, z2, guat);
    ops::map(be, plus_product{}, matrix_in<const T, Be>(gu.rows(t0, rows)), matrix_in<const T, Be>(guat), keep_t,
             gu.rows(t0, rows));
    ops::gemm(be, gdot, matrix_in<const T, Be>(uat), gz2, {.beta = T(1), .transpose_a = true});
    ops::gemm(be, gq, keep_t, w_total.view(), {.beta = T(1), .transpose_a = true});
  }
  if (gradient)
    ops::map(be, plus_twice_product{}, matrix_in<const T, Be>(gz2), z2, matrix_in<const T, Be>(w_total.view()), gz2);
  return total(be, vector_in<const double, Be>(loss.view())) / double(n);
}

}  // namespace detail

/// L = L(z1, z2) + λ·L(z1, z2c) and its gradients with respect to the raw z1, z2 (the mask is
/// held constant), for a mask from highlighted_dimensions (or any 0/1 mask [N, d]); any backend.
template <backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2, tensor_of_rank<2> M, mutable_tensor G1,
          mutable_tensor G2>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be> && accessible_by<M, Be> && accessible_by<G1, Be> &&
           accessible_by<G2, Be> && std::same_as<typename Z1::value_type, typename Z2::value_type>
complement_loss complementary_loss_and_gradient(const Be& be, const Z1& z1, const Z2& z2, const M& mask,
                                                const G1& grad1, const G2& grad2, const complement_options& options = {}) {
  using T = typename Z1::value_type;
  constexpr std::string_view who = "complementary_loss_and_gradient";
  detail::check_views(who, z1, z2, options.base);
  posttrain::detail::check_same_shape("contrastive::complementary_loss_and_gradient", "z1", z1, "mask", mask);
  posttrain::detail::check_same_shape("contrastive::complementary_loss_and_gradient", "z1", z1, "grad1", grad1);
  posttrain::detail::check_same_shape("contrastive::complementary_loss_and_gradient", "z2", z2, "grad2", grad2);
  if (!std::isfinite(options.weight))
    throw value_error(posttrain::detail::message("posttrain::contrastive::complementary_loss_and_gradient: λ = ",
                                                 options.weight));
  if (options.scope == mask_scope::anchor_row && (options.base.kind == objective::nt_xent || options.base.symmetric))
    throw value_error("posttrain::contrastive::complementary_loss_and_gradient: the anchor_row mask scope needs "
                      "one-way anchors from z1 (graphcl or infonce without `symmetric`)");
  const index_t n = z1.extent(0), d = z1.extent(1);
  complement_loss out;
  if (n == 0) return out;
  using view = detail::matrix_in<const T, Be>;
  const T weight = static_cast<T>(options.weight);
  // keep = 1 − mask; z2x = z2 ⊙ keep (per_sample) or the raw z2, masked per anchor (anchor_row).
  const bool per_sample = options.scope == mask_scope::per_sample;
  auto keep = allocate<T>(be, {n, d}), z2x = allocate<T>(be, {n, d});
  ops::map(be, detail::kept<T>{}, mask, keep.view());
  if (per_sample) ops::map(be, detail::masked_out{}, z2, mask, z2x.view());
  else ops::copy(be, z2, z2x.view());
  const auto u = detail::normalise<T>(be, who, "z1", z1);
  const auto v = detail::normalise<T>(be, who, "z2", z2);
  auto gu = allocate<T>(be, {n, d}), gv = allocate<T>(be, {n, d}), gz2 = allocate<T>(be, {n, d});
  for (auto* g : {&gu, &gv, &gz2}) ops::fill(be, g->view(), T(0));
  out.plain = detail::loss_of_normalised<Be, T>(be, u.rows.view(), v.rows.view(), options.base, gu.view(), gv.view());
  if (per_sample) {
    const auto vc = detail::normalise<T>(be, who, "z2c", z2x.view());
    auto gu_c = allocate<T>(be, {n, d}), gvc = allocate<T>(be, {n, d});
    ops::fill(be, gu_c.view(), T(0));
    ops::fill(be, gvc.view(), T(0));
    out.complementary =
        detail::loss_of_normalised<Be, T>(be, u.rows.view(), vc.rows.view(), options.base, gu_c.view(), gvc.view());
    ops::map(be, fn::add_scaled<T>{weight}, view(gu.view()), view(gu_c.view()), gu.view());
    // Through z2c's own normalisation, then the (constant) mask.
    detail::normalise_backward(be, vc.rows.view(), vc.norms.view(), gvc.view(), gz2.view());
    ops::map(be, detail::scaled_product<T>{weight}, view(gz2.view()), view(keep.view()), gz2.view());
  } else {
    out.complementary = detail::anchor_masked_loss<Be, T>(be, u.rows.view(), keep.view(), z2x.view(), options.base,
                                                          options.weight, gu.view(), gz2.view());
  }
  out.total = out.plain + options.weight * out.complementary;
  detail::normalise_backward(be, u.rows.view(), u.norms.view(), gu.view(), grad1);
  ops::map(be, fn::identity{}, view(gz2.view()), posttrain::detail::to_view(grad2));
  detail::normalise_backward<true>(be, v.rows.view(), v.norms.view(), gv.view(), grad2);
  return out;
}

}  // namespace posttrain::contrastive
