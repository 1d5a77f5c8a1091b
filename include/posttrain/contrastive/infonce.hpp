// SPDX-License-Identifier: Apache-2.0
#pragma once
// Contrastive losses of two views z1, z2 [N, d] and their gradients with respect to the raw
// embeddings, through the L2 normalisation ẑ = z / max(‖z‖, 1e-12) (torch's F.normalize):
//
//   graphcl  ℓ_i = −s_ii + log Σ_{j≠i} e^{s_ij}            positive excluded from the
//            denominator, one direction (GraphCL, the GraphCoCo baseline)
//   infonce  ℓ_i = −s_ii + log Σ_j e^{s_ij}                positive included, cross-view
//            negatives (PyGCL's InfoNCE); `symmetric` averages both directions (PyGCL's
//            DualBranchContrast, CLIP)
//   nt_xent  2N anchors z = [ẑ1; ẑ2]: ℓ_a = −s_{a,a±N} + log Σ_{b≠a} e^{s_ab}  (SimCLR, GRACE)
//
// with s_ij = ẑ1_i·ẑ2_j / τ, the mean over anchors. Every loss is a row-wise softmax
// cross-entropy over a block of similarities; the kernel below computes a tile of rows at a time
// (a GEMM), takes the row's log-sum-exp with its maximum subtracted (stable for τ down to 0.01
// and below), turns the tile into dL/ds in place and multiplies it back (two GEMMs), so the
// N×N matrix is never held: memory is O(tile·N + N·d) per thread. Cost: three GEMMs of N²·d
// plus one exp per similarity; NT-Xent's blocks are 2N × 2N (four times the work); the
// symmetric InfoNCE makes two passes over the tiles (four GEMMs, see contrast_both_ways).

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <vector>

#include "../core.hpp"
#include "../core/detail/fast_exp.hpp"

namespace posttrain::contrastive {

enum class objective { graphcl, infonce, nt_xent };

struct loss_options {
  objective kind = objective::infonce;
  /// τ > 0. GraphCoCo and GraphCL use 0.2, GRACE 0.5, SimCLR 0.5 (0.1 at large batch).
  double temperature = 0.2;
  /// infonce only: the mean of the two directions (anchors from z1, then from z2).
  bool symmetric = false;
  /// Anchor rows per tile; 0 picks 256 (fewer when a tile of similarities would pass 64 MiB).
  index_t tile_rows = 0;
};

namespace detail {

using posttrain::detail::message;

/// Normalised rows of z [N, d] into out (dense [N, d]) and the norms max(‖z_i‖, ε); a
/// non-finite element is a value_error naming `who`, the row and the column.
template <class Z, class T>
void normalise_rows(std::string_view who, std::string_view name, const Z& z, std::vector<T>& out,
                    std::vector<T>& norms) {
  constexpr double eps = 1e-12;
  const index_t n = z.extent(0), d = z.extent(1);
  out.resize(static_cast<std::size_t>(n * d));
  norms.resize(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    double s = 0;
    for (index_t j = 0; j < d; ++j) s += double(z(i, j)) * double(z(i, j));
    if (!std::isfinite(s)) {
      for (index_t j = 0; j < d; ++j)
        if (!std::isfinite(double(z(i, j))))
          throw value_error(message("posttrain::contrastive::", who, ": ", name, "(", i, ",", j, ") is ",
                                    double(z(i, j)), "; embeddings must be finite"));
      throw value_error(message("posttrain::contrastive::", who, ": the norm of ", name, " row ", i,
                                " overflows; scale the embeddings down"));
    }
    const double norm = std::max(std::sqrt(s), eps);
    norms[std::size_t(i)] = static_cast<T>(norm);
    for (index_t j = 0; j < d; ++j) out[std::size_t(i * d + j)] = static_cast<T>(double(z(i, j)) / norm);
  }
}

/// dL/dz into grad from dL/dẑ (g, dense [N, d]): (g − ẑ(ẑ·g))/‖z‖ for ‖z‖ > ε, else g/ε (the
/// derivative of z/ε).
template <class T, class G>
void normalise_backward(const std::vector<T>& zhat, const std::vector<T>& norms, const std::vector<T>& g,
                        const G& grad, index_t n, index_t d) {
  for (index_t i = 0; i < n; ++i) {
    const T* u = zhat.data() + i * d;
    const T* gi = g.data() + i * d;
    double dot = 0;
    for (index_t j = 0; j < d; ++j) dot += double(u[j]) * double(gi[j]);
    const double norm = double(norms[std::size_t(i)]);
    const bool clamped = norm <= 1e-12;
    for (index_t j = 0; j < d; ++j)
      grad(i, j) = static_cast<typename G::value_type>((double(gi[j]) - (clamped ? 0.0 : double(u[j]) * dot)) / norm);
  }
}

/// e^x for x ≤ 0 (a softmax numerator): the vectorisable exp_nonpositive for float.
template <class T>
T numerator_exp(T x) {
  if constexpr (std::is_same_v<T, float>) return posttrain::detail::exp_nonpositive(x);
  else return std::exp(x);
}

/// Anchor rows per tile: the caller's choice, else 256 (large GEMM calls amortise the packing of
/// the candidates), fewer when a tile of `candidates` columns would pass `budget` elements.
inline index_t tile_rows_for(index_t requested, index_t candidates, index_t budget = index_t{1} << 24) {
  return requested > 0 ? requested : std::clamp<index_t>(budget / std::max<index_t>(candidates, 1), 16, 256);
}

/// Replaces row[0..C) by e^{row_j − m} (0 at the excluded column x, when x ≥ 0) and returns
/// (m, Σ_j e^{row_j − m}), m the largest non-excluded value. Branch-free loops with partial
/// results, so they vectorise; float takes exp_nonpositive.
template <class T>
std::pair<T, T> softmax_numerators(T* row, index_t C, index_t x) {
  if (x >= 0) row[x] = -std::numeric_limits<T>::infinity();
  T top[16];
  for (auto& v : top) v = -std::numeric_limits<T>::infinity();
  index_t j = 0;
  for (; j + 16 <= C; j += 16)
    for (int k = 0; k < 16; ++k) top[k] = row[j + k] > top[k] ? row[j + k] : top[k];
  for (; j < C; ++j) top[0] = row[j] > top[0] ? row[j] : top[0];
  T m = top[0];
  for (int k = 1; k < 16; ++k) m = top[k] > m ? top[k] : m;
  T part[8];
  for (j = 0; j < C; ++j) row[j] = numerator_exp(row[j] - m);
  if (x >= 0) row[x] = T(0);
  for (auto& v : part) v = T(0);
  for (j = 0; j + 8 <= C; j += 8)
    for (int k = 0; k < 8; ++k) part[k] += row[j + k];
  for (; j < C; ++j) part[0] += row[j];
  const T sum = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  return {m, sum};
}

/// One row-softmax contrast: anchors a [R, d] against candidates b [C, d] (dense, T), logits
/// s_ij = a_i·b_j / τ, positive column pos(i), an excluded column excl(i) (−1: none) left out of
/// the denominator. Adds weight · Σ_i ℓ_i to the returned loss and, when ga is given,
/// weight · dL/da into ga [R, d] and weight · dL/db into gb [C, d] (both dense, accumulated).
template <host_backend Be, class T, class Pos, class Excl>
double contrast_rows(const Be& be, const T* a, index_t R, const T* b, index_t C, index_t d, double tau, Pos pos,
                     Excl excl, double weight, T* ga, T* gb, index_t tile_rows) {
  const index_t tile = tile_rows_for(tile_rows, C);
  const T inv_tau = static_cast<T>(1 / tau);
  double loss = 0;
  std::mutex merge;
  const tensor_view<const T, 2> bv(b, C, d);
  posttrain::detail::host::for_rows(be, R, [&](index_t r0, index_t r1) {
    const index_t cap = std::min(tile, r1 - r0);
    std::vector<T> s(static_cast<std::size_t>(cap * C)), scale(static_cast<std::size_t>(cap));
    std::vector<T> gb_local(ga ? static_cast<std::size_t>(C * d) : 0, T(0));
    std::vector<T> small(ga ? static_cast<std::size_t>(cap * d) : 0);  // E b, then the scaled anchors
    double loss_local = 0;
    const T w = static_cast<T>(weight);
    for (index_t t0 = r0; t0 < r1; t0 += tile) {
      const index_t rows = std::min(tile, r1 - t0);
      const tensor_view<const T, 2> at(a + t0 * d, rows, d);
      const tensor_view<T, 2> st(s.data(), rows, C);
      ops::gemm(be, at, bv, st, {.alpha = inv_tau, .transpose_b = true});
      for (index_t r = 0; r < rows; ++r) {
        const index_t i = t0 + r;
        T* row = s.data() + r * C;
        const T positive = row[pos(i)];
        const auto [m, sum] = softmax_numerators(row, C, excl(i));
        loss_local += double(m) + std::log(double(sum)) - double(positive);
        scale[std::size_t(r)] = w / sum;
      }
      if (!ga) continue;
      // With E the tile of numerators and σ_i = w / Σ_j E_ij, dL/ds = diag(σ) E − w·[j = pos(i)],
      // so (never scaling the wide tile itself):
      //   dL/da_i = (σ_i (E b)_i − w b_pos(i)) / τ,   dL/db += (Eᵀ (σ ⊙ a) − w·a_i at pos(i)) / τ.
      const tensor_view<T, 2> sm(small.data(), rows, d);
      ops::gemm(be, tensor_view<const T, 2>(st), bv, sm);
      for (index_t r = 0; r < rows; ++r) {
        const index_t i = t0 + r;
        const T* eb = small.data() + r * d;
        const T* bp = b + pos(i) * d;
        T* out = ga + i * d;
        for (index_t k = 0; k < d; ++k) out[k] += (scale[std::size_t(r)] * eb[k] - w * bp[k]) * inv_tau;
      }
      for (index_t r = 0; r < rows; ++r)
        for (index_t k = 0; k < d; ++k) small[std::size_t(r * d + k)] = scale[std::size_t(r)] * a[(t0 + r) * d + k];
      ops::gemm(be, tensor_view<const T, 2>(st), tensor_view<const T, 2>(sm), tensor_view<T, 2>(gb_local.data(), C, d),
                {.alpha = inv_tau, .beta = T(1), .transpose_a = true});
      for (index_t r = 0; r < rows; ++r) {
        T* out = gb_local.data() + pos(t0 + r) * d;
        const T* ai = a + (t0 + r) * d;
        for (index_t k = 0; k < d; ++k) out[k] -= w * ai[k] * inv_tau;
      }
    }
    std::lock_guard lock(merge);
    loss += loss_local;
    for (std::size_t k = 0; k < gb_local.size(); ++k) gb[k] += gb_local[k];
  });
  return weight * loss;
}

/// Symmetric InfoNCE, ½·(rows of S) + ½·(columns of S) with S = u vᵀ/τ, computing each tile of S
/// twice rather than S and Sᵀ: pass 1 takes every row's log-sum-exp and, online over the tiles,
/// every column's; pass 2 recomputes the tile and forms dL/ds = ½/N·(P_row + P_col) − 1/N on
/// the diagonal. Four N²d GEMMs, against six for the two directions computed separately.
template <host_backend Be, class T>
double contrast_both_ways(const Be& be, const T* u, const T* v, index_t n, index_t d, double tau, T* gu, T* gv,
                          index_t tile_rows) {
  const index_t tile = tile_rows_for(tile_rows, n);
  const T inv_tau = static_cast<T>(1 / tau);
  const auto exp_of = [](T x) { return numerator_exp(x); };
  const tensor_view<const T, 2> vv(v, n, d);
  std::vector<T> row_lse(static_cast<std::size_t>(n));
  std::vector<T> col_max(static_cast<std::size_t>(n), -std::numeric_limits<T>::infinity()), col_sum(col_max.size(), T(0));
  std::mutex merge;
  double positives = 0;
  // Pass 1: row log-sum-exps, and per thread an online (max, sum) per column, merged at the end.
  posttrain::detail::host::for_rows(be, n, [&](index_t r0, index_t r1) {
    std::vector<T> s(static_cast<std::size_t>(std::min(tile, r1 - r0) * n));
    std::vector<T> cmax(static_cast<std::size_t>(n), -std::numeric_limits<T>::infinity()), csum(cmax.size(), T(0)),
        tmax(cmax.size());
    double pos_local = 0;
    for (index_t t0 = r0; t0 < r1; t0 += tile) {
      const index_t rows = std::min(tile, r1 - t0);
      ops::gemm(be, tensor_view<const T, 2>(u + t0 * d, rows, d), vv, tensor_view<T, 2>(s.data(), rows, n),
                {.alpha = inv_tau, .transpose_b = true});
      // Columns first, while the tile still holds the similarities; then the rows, in place.
      std::copy(cmax.begin(), cmax.end(), tmax.begin());
      for (index_t r = 0; r < rows; ++r) {
        const T* row = s.data() + r * n;
        for (index_t j = 0; j < n; ++j) tmax[std::size_t(j)] = row[j] > tmax[std::size_t(j)] ? row[j] : tmax[std::size_t(j)];
      }
      for (index_t j = 0; j < n; ++j) csum[std::size_t(j)] *= exp_of(cmax[std::size_t(j)] - tmax[std::size_t(j)]);
      for (index_t r = 0; r < rows; ++r) {
        const T* row = s.data() + r * n;
        for (index_t j = 0; j < n; ++j) csum[std::size_t(j)] += exp_of(row[j] - tmax[std::size_t(j)]);
      }
      cmax.swap(tmax);
      for (index_t r = 0; r < rows; ++r) {
        T* row = s.data() + r * n;
        pos_local += double(row[t0 + r]);
        const auto [m, sum] = softmax_numerators(row, n, index_t{-1});
        row_lse[std::size_t(t0 + r)] = m + std::log(sum);
      }
    }
    std::lock_guard lock(merge);
    positives += pos_local;
    for (std::size_t j = 0; j < cmax.size(); ++j) {
      const T m = std::max(col_max[j], cmax[j]);
      if (m == -std::numeric_limits<T>::infinity()) continue;
      col_sum[j] = col_sum[j] * exp_of(col_max[j] - m) + csum[j] * exp_of(cmax[j] - m);
      col_max[j] = m;
    }
  });
  std::vector<T> col_lse(static_cast<std::size_t>(n));
  double lse_total = 0;
  for (index_t k = 0; k < n; ++k) {
    col_lse[std::size_t(k)] = col_max[std::size_t(k)] + std::log(col_sum[std::size_t(k)]);
    lse_total += double(row_lse[std::size_t(k)]) + double(col_lse[std::size_t(k)]);
  }
  const double loss = (lse_total - 2 * positives) * 0.5 / double(n);
  if (!gu) return loss;
  // Pass 2: recompute each tile, dL/ds, and back through two GEMMs.
  const T w = static_cast<T>(0.5 / double(n));
  posttrain::detail::host::for_rows(be, n, [&](index_t r0, index_t r1) {
    std::vector<T> s(static_cast<std::size_t>(std::min(tile, r1 - r0) * n));
    std::vector<T> gv_local(static_cast<std::size_t>(n * d), T(0));
    for (index_t t0 = r0; t0 < r1; t0 += tile) {
      const index_t rows = std::min(tile, r1 - t0);
      const tensor_view<const T, 2> ut(u + t0 * d, rows, d);
      const tensor_view<T, 2> st(s.data(), rows, n);
      ops::gemm(be, ut, vv, st, {.alpha = inv_tau, .transpose_b = true});
      for (index_t r = 0; r < rows; ++r) {
        T* row = s.data() + r * n;
        const T lse = row_lse[std::size_t(t0 + r)];
        for (index_t j = 0; j < n; ++j) row[j] = w * (exp_of(row[j] - lse) + exp_of(row[j] - col_lse[std::size_t(j)]));
        row[t0 + r] -= 2 * w;
      }
      ops::gemm(be, tensor_view<const T, 2>(st), vv, tensor_view<T, 2>(gu + t0 * d, rows, d),
                {.alpha = inv_tau, .beta = T(1)});
      ops::gemm(be, tensor_view<const T, 2>(st), ut, tensor_view<T, 2>(gv_local.data(), n, d),
                {.alpha = inv_tau, .beta = T(1), .transpose_a = true});
    }
    std::lock_guard lock(merge);
    for (std::size_t k = 0; k < gv_local.size(); ++k) gv[k] += gv_local[k];
  });
  return loss;
}

template <class Z1, class Z2>
void check_views(std::string_view who, const Z1& z1, const Z2& z2, const loss_options& opt) {
  if (z1.extent(0) != z2.extent(0) || z1.extent(1) != z2.extent(1))
    throw shape_error(message("posttrain::contrastive::", who, ": z2 is ", posttrain::detail::to_view(z2), " but z1 is ",
                              posttrain::detail::to_view(z1), "; the two views must have the same shape [N, d]"));
  if (!(opt.temperature > 0) || !std::isfinite(opt.temperature))
    throw value_error(message("posttrain::contrastive::", who, ": temperature τ = ", opt.temperature, "; it must be > 0"));
  if (opt.tile_rows < 0) throw value_error(message("posttrain::contrastive::", who, ": tile_rows = ", opt.tile_rows));
  if (opt.kind == objective::graphcl && z1.extent(0) == 1)
    throw value_error(message("posttrain::contrastive::", who, ": the GraphCL form with N = 1 has no negative in its "
                              "denominator (log 0); it needs N ≥ 2"));
  if (opt.symmetric && opt.kind != objective::infonce)
    throw value_error(message("posttrain::contrastive::", who, ": `symmetric` applies to the InfoNCE form only"));
}

/// The loss of normalised views u, v [N, d] (dense, T); gradients with respect to u and v
/// (accumulated into gu, gv, dense, when given). The mean over anchors.
template <host_backend Be, class T>
double loss_of_normalised(const Be& be, const std::vector<T>& u, const std::vector<T>& v, index_t n, index_t d,
                          const loss_options& opt, T* gu, T* gv) {
  const auto same = [](index_t i) { return i; };
  const auto none = [](index_t) { return index_t{-1}; };
  switch (opt.kind) {
    case objective::graphcl:
      return contrast_rows(be, u.data(), n, v.data(), n, d, opt.temperature, same, same, 1.0 / double(n), gu, gv,
                           opt.tile_rows);
    case objective::infonce:
      if (!opt.symmetric)
        return contrast_rows(be, u.data(), n, v.data(), n, d, opt.temperature, same, none, 1.0 / double(n), gu, gv,
                             opt.tile_rows);
      return contrast_both_ways(be, u.data(), v.data(), n, d, opt.temperature, gu, gv, opt.tile_rows);
    case objective::nt_xent: {
      // Rows of [u; v] against themselves: the positive of row a is a ± N, the excluded one a.
      std::vector<T> zz(u);
      zz.insert(zz.end(), v.begin(), v.end());
      // The anchor and the candidate gradients go to separate buffers (the kernel writes the
      // first by rows from each thread and adds the second under a lock) and are summed after.
      std::vector<T> ga(gu ? zz.size() : 0, T(0)), gb(ga.size(), T(0));
      const double loss = contrast_rows(
          be, zz.data(), 2 * n, zz.data(), 2 * n, d, opt.temperature, [n](index_t a) { return a < n ? a + n : a - n; },
          same, 0.5 / double(n), gu ? ga.data() : nullptr, gu ? gb.data() : nullptr, opt.tile_rows);
      if (gu)
        for (index_t k = 0; k < n * d; ++k) {
          gu[k] += ga[std::size_t(k)] + gb[std::size_t(k)];
          gv[k] += ga[std::size_t(n * d + k)] + gb[std::size_t(n * d + k)];
        }
      return loss;
    }
  }
  return 0;
}

}  // namespace detail

/// The loss (mean over anchors) of the two views z1, z2 [N, d] (float or double, any strides).
template <host_backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be> &&
           std::same_as<typename Z1::value_type, typename Z2::value_type>
double loss(const Be& be, const Z1& z1, const Z2& z2, const loss_options& options = {}) {
  using T = typename Z1::value_type;
  detail::check_views("loss", z1, z2, options);
  const index_t n = z1.extent(0), d = z1.extent(1);
  if (n == 0) return 0;
  std::vector<T> u, v, nu, nv;
  detail::normalise_rows("loss", "z1", posttrain::detail::to_const_view(z1), u, nu);
  detail::normalise_rows("loss", "z2", posttrain::detail::to_const_view(z2), v, nv);
  return detail::loss_of_normalised<Be, T>(be, u, v, n, d, options, nullptr, nullptr);
}

/// The loss and its gradients with respect to the raw z1 and z2, written to grad1, grad2 (same
/// shapes). An empty batch has loss 0.
template <host_backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2, mutable_tensor G1, mutable_tensor G2>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be> && accessible_by<G1, Be> && accessible_by<G2, Be> &&
           std::same_as<typename Z1::value_type, typename Z2::value_type>
double loss_and_gradient(const Be& be, const Z1& z1, const Z2& z2, const G1& grad1, const G2& grad2,
                         const loss_options& options = {}) {
  using T = typename Z1::value_type;
  detail::check_views("loss_and_gradient", z1, z2, options);
  posttrain::detail::check_same_shape("contrastive::loss_and_gradient", "z1", z1, "grad1", grad1);
  posttrain::detail::check_same_shape("contrastive::loss_and_gradient", "z2", z2, "grad2", grad2);
  const index_t n = z1.extent(0), d = z1.extent(1);
  if (n == 0) return 0;
  std::vector<T> u, v, nu, nv;
  detail::normalise_rows("loss_and_gradient", "z1", posttrain::detail::to_const_view(z1), u, nu);
  detail::normalise_rows("loss_and_gradient", "z2", posttrain::detail::to_const_view(z2), v, nv);
  std::vector<T> gu(u.size(), T(0)), gv(v.size(), T(0));
  const double l = detail::loss_of_normalised<Be, T>(be, u, v, n, d, options, gu.data(), gv.data());
  detail::normalise_backward(u, nu, gu, posttrain::detail::to_view(grad1), n, d);
  detail::normalise_backward(v, nv, gv, posttrain::detail::to_view(grad2), n, d);
  return l;
}

}  // namespace posttrain::contrastive
