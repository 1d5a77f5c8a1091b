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

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <vector>

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

/// mask [N, d] (any integer or floating type, written 0/1): the k dimensions of each pair with
/// the largest contribution ẑ1_id·ẑ2_id (or |ẑ1_id|), ties to the lower dimension.
template <host_backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2, mutable_tensor M>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be> && accessible_by<M, Be>
void highlighted_dimensions(const Be&, const Z1& z1, const Z2& z2, const complement_options& options, const M& mask) {
  detail::check_views("highlighted_dimensions", z1, z2, options.base);
  posttrain::detail::check_same_shape("contrastive::highlighted_dimensions", "z1", z1, "mask", mask);
  const index_t n = z1.extent(0), d = z1.extent(1);
  const index_t k = detail::highlighted_count(options, d, "highlighted_dimensions");
  std::vector<double> u, v, nu, nv, score(static_cast<std::size_t>(d));
  detail::normalise_rows("highlighted_dimensions", "z1", posttrain::detail::to_const_view(z1), u, nu);
  detail::normalise_rows("highlighted_dimensions", "z2", posttrain::detail::to_const_view(z2), v, nv);
  std::vector<index_t> order(static_cast<std::size_t>(d));
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < d; ++j) {
      const double a = u[std::size_t(i * d + j)];
      score[std::size_t(j)] = options.rule == highlight_rule::contribution ? a * v[std::size_t(i * d + j)] : std::abs(a);
    }
    std::iota(order.begin(), order.end(), index_t{0});
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](index_t x, index_t y) {
      return score[std::size_t(x)] > score[std::size_t(y)] || (score[std::size_t(x)] == score[std::size_t(y)] && x < y);
    });
    for (index_t j = 0; j < d; ++j) mask(i, j) = 0;
    for (index_t r = 0; r < k; ++r) mask(i, order[std::size_t(r)]) = 1;
  }
}

/// z2c = z2 ⊙ (1 − mask), out of z2's shape.
template <host_backend Be, tensor_of_rank<2> Z2, tensor_of_rank<2> M, mutable_tensor O>
  requires accessible_by<Z2, Be> && accessible_by<M, Be> && accessible_by<O, Be>
void complementary_embedding(const Be&, const Z2& z2, const M& mask, const O& out) {
  posttrain::detail::check_same_shape("contrastive::complementary_embedding", "z2", z2, "mask", mask);
  posttrain::detail::check_same_shape("contrastive::complementary_embedding", "z2", z2, "out", out);
  for (index_t i = 0; i < z2.extent(0); ++i)
    for (index_t j = 0; j < z2.extent(1); ++j) out(i, j) = mask(i, j) != 0 ? 0 : z2(i, j);
}

/// [z1 ‖ z2c] into out [N, 2d].
template <host_backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2, tensor_of_rank<2> M, mutable_tensor O>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be> && accessible_by<M, Be> && accessible_by<O, Be>
void representation(const Be& be, const Z1& z1, const Z2& z2, const M& mask, const O& out) {
  posttrain::detail::check_same_shape("contrastive::representation", "z1", z1, "z2", z2);
  const index_t n = z1.extent(0), d = z1.extent(1);
  if (out.extent(0) != n || out.extent(1) != 2 * d)
    throw shape_error(posttrain::detail::message("posttrain::contrastive::representation: out is ",
                                                 posttrain::detail::to_view(out), "; it must be [", n, ",", 2 * d, "]"));
  const auto o = posttrain::detail::to_view(out);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) o(i, j) = z1(i, j);
  complementary_embedding(be, z2, mask, o.cols(d, d));
}

namespace detail {

/// L(z1, z2c) with the anchor's mask on every candidate (one-way graphcl or infonce): per tile
/// of anchors I, dot = (u ⊙ m̄)_I z2ᵀ and q = m̄_I (z2 ⊙ z2)ᵀ (two GEMMs), s = dot / (max(√q, ε) τ);
/// the gradients go back through the same GEMMs. u = ẑ1 (normalised), z2 raw. Returns the mean
/// loss; adds weight · dL/du into gu and weight · dL/dz2 into gz2 when gu is given.
template <host_backend Be, class T>
double anchor_masked_loss(const Be& be, const std::vector<T>& u, const std::vector<T>& keep, const std::vector<T>& z2,
                          index_t n, index_t d, const loss_options& opt, double weight, T* gu, T* gz2) {
  const bool graphcl = opt.kind == objective::graphcl;
  const T inv_tau = static_cast<T>(1 / opt.temperature), eps = static_cast<T>(1e-12);
  const T per_anchor = static_cast<T>(weight / double(n));  // the loss is the mean over anchors
  const index_t tile = tile_rows_for(opt.tile_rows, n, index_t{1} << 23);  // two tiles: dot products and norms
  std::vector<T> z2sq(z2.size());
  for (std::size_t k = 0; k < z2.size(); ++k) z2sq[k] = z2[k] * z2[k];
  const tensor_view<const T, 2> z2v(z2.data(), n, d), z2sqv(z2sq.data(), n, d);
  std::vector<T> w_total(gu ? z2.size() : 0, T(0));  // Σ_i Gq_iᵀ m̄_i, for the norms' gradient
  double loss = 0;
  std::mutex merge;
  posttrain::detail::host::for_rows(be, n, [&](index_t r0, index_t r1) {
    const index_t cap = std::min(tile, r1 - r0);
    std::vector<T> dot(static_cast<std::size_t>(cap * n)), q(dot.size()), ua(static_cast<std::size_t>(cap * d));
    std::vector<T> gz_local(gu ? z2.size() : 0, T(0)), w_local(gz_local.size(), T(0)), gua(ua.size());
    double loss_local = 0;
    for (index_t t0 = r0; t0 < r1; t0 += tile) {
      const index_t rows = std::min(tile, r1 - t0);
      for (index_t k = 0; k < rows * d; ++k) ua[std::size_t(k)] = u[std::size_t(t0 * d + k)] * keep[std::size_t(t0 * d + k)];
      const tensor_view<const T, 2> uav(ua.data(), rows, d), keepv(keep.data() + t0 * d, rows, d);
      const tensor_view<T, 2> dotv(dot.data(), rows, n), qv(q.data(), rows, n);
      ops::gemm(be, uav, z2v, dotv, {.transpose_b = true});
      ops::gemm(be, keepv, z2sqv, qv, {.transpose_b = true});
      for (index_t r = 0; r < rows; ++r) {
        const index_t i = t0 + r;
        T* s = dot.data() + r * n;  // dot → s → dL/ddot
        T* nrm = q.data() + r * n;  // q → the clamped norm → dL/dq
        T m = -std::numeric_limits<T>::infinity();
        for (index_t j = 0; j < n; ++j) {
          nrm[j] = std::max(std::sqrt(std::max(nrm[j], T(0))), eps);
          s[j] = s[j] / nrm[j] * inv_tau;
          if (!(graphcl && j == i)) m = std::max(m, s[j]);
        }
        const T positive = s[i];
        T sum = 0;
        for (index_t j = 0; j < n; ++j)
          if (!(graphcl && j == i)) sum += std::exp(s[j] - m);
        loss_local += double(m) + std::log(double(sum)) - double(positive);
        if (!gu) continue;
        for (index_t j = 0; j < n; ++j) {
          T g = (graphcl && j == i) ? T(0) : per_anchor * std::exp(s[j] - m) / sum;
          if (j == i) g -= per_anchor;
          // s = dot / (n τ): dL/ddot = g / (n τ); dL/dn = −g s / n; dn/dq = 1/(2n) unless clamped.
          const bool clamped = nrm[j] <= eps;
          const T gdot = g * inv_tau / nrm[j];
          const T gq = clamped ? T(0) : -g * s[j] / (nrm[j] * nrm[j] * 2);
          s[j] = gdot;
          nrm[j] = gq;
        }
      }
      if (!gu) continue;
      const tensor_view<const T, 2> gdot(dot.data(), rows, n), gq(q.data(), rows, n);
      // dL/du_I = m̄_I ⊙ (Gdot z2);  dL/dz2 += Gdotᵀ (u ⊙ m̄)_I;  W += Gqᵀ m̄_I.
      ops::gemm(be, gdot, z2v, tensor_view<T, 2>(gua.data(), rows, d));
      for (index_t k = 0; k < rows * d; ++k) gu[t0 * d + k] += gua[std::size_t(k)] * keep[std::size_t(t0 * d + k)];
      ops::gemm(be, gdot, uav, tensor_view<T, 2>(gz_local.data(), n, d), {.beta = T(1), .transpose_a = true});
      ops::gemm(be, gq, keepv, tensor_view<T, 2>(w_local.data(), n, d), {.beta = T(1), .transpose_a = true});
    }
    std::lock_guard lock(merge);
    loss += loss_local;
    for (std::size_t k = 0; k < gz_local.size(); ++k) gz2[k] += gz_local[k], w_total[k] += w_local[k];
  });
  // dL/dz2_jd from the norms: Σ_i dL/dq_ij · m̄_id · 2 z2_jd.
  for (std::size_t k = 0; k < w_total.size(); ++k) gz2[k] += 2 * z2[k] * w_total[k];
  return loss / double(n);
}

}  // namespace detail

/// L = L(z1, z2) + λ·L(z1, z2c) and its gradients with respect to the raw z1, z2 (the mask is
/// held constant), for a mask from highlighted_dimensions (or any 0/1 mask [N, d]).
template <host_backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2, tensor_of_rank<2> M, mutable_tensor G1,
          mutable_tensor G2>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be> && accessible_by<M, Be> && accessible_by<G1, Be> &&
           accessible_by<G2, Be> && std::same_as<typename Z1::value_type, typename Z2::value_type>
complement_loss complementary_loss_and_gradient(const Be& be, const Z1& z1, const Z2& z2, const M& mask,
                                                const G1& grad1, const G2& grad2, const complement_options& options = {}) {
  using T = typename Z1::value_type;
  detail::check_views("complementary_loss_and_gradient", z1, z2, options.base);
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
  // keep = 1 − mask; z2c = z2 ⊙ keep (per_sample) or the raw z2, masked per anchor (anchor_row).
  std::vector<T> keep(static_cast<std::size_t>(n * d)), z2x(keep.size());
  const bool per_sample = options.scope == mask_scope::per_sample;
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) {
      const bool m = mask(i, j) != 0;
      keep[std::size_t(i * d + j)] = m ? T(0) : T(1);
      z2x[std::size_t(i * d + j)] = m && per_sample ? T(0) : static_cast<T>(z2(i, j));
    }
  std::vector<T> u, v, vc, nu, nv, nvc;
  detail::normalise_rows("complementary_loss_and_gradient", "z1", posttrain::detail::to_const_view(z1), u, nu);
  detail::normalise_rows("complementary_loss_and_gradient", "z2", posttrain::detail::to_const_view(z2), v, nv);
  std::vector<T> gu(u.size(), T(0)), gv(v.size(), T(0)), gz2(v.size(), T(0));
  out.plain = detail::loss_of_normalised<Be, T>(be, u, v, n, d, options.base, gu.data(), gv.data());
  if (per_sample) {
    detail::normalise_rows("complementary_loss_and_gradient", "z2c", tensor_view<const T, 2>(z2x.data(), n, d), vc, nvc);
    std::vector<T> gu_c(u.size(), T(0)), gvc(v.size(), T(0));
    out.complementary = detail::loss_of_normalised<Be, T>(be, u, vc, n, d, options.base, gu_c.data(), gvc.data());
    for (std::size_t k = 0; k < gu.size(); ++k) gu[k] += static_cast<T>(options.weight) * gu_c[k];
    // Through z2c's own normalisation, then the (constant) mask.
    detail::normalise_backward(vc, nvc, gvc, tensor_view<T, 2>(gz2.data(), n, d), n, d);
    for (std::size_t k = 0; k < gz2.size(); ++k) gz2[k] *= static_cast<T>(options.weight) * keep[k];
  } else {
    out.complementary =
        detail::anchor_masked_loss<Be, T>(be, u, keep, z2x, n, d, options.base, options.weight, gu.data(), gz2.data());
  }
  out.total = out.plain + options.weight * out.complementary;
  detail::normalise_backward(u, nu, gu, posttrain::detail::to_view(grad1), n, d);
  std::vector<T> g2(v.size());
  detail::normalise_backward(v, nv, gv, tensor_view<T, 2>(g2.data(), n, d), n, d);
  const auto g2v = posttrain::detail::to_view(grad2);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j)
      g2v(i, j) = static_cast<typename G2::value_type>(g2[std::size_t(i * d + j)] + gz2[std::size_t(i * d + j)]);
  return out;
}

}  // namespace posttrain::contrastive
