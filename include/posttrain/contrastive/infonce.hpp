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
// cross-entropy over a block of similarities, computed a tile of anchor rows at a time on any
// backend: a GEMM gives the tile, a row kernel takes each row's log-sum-exp with its maximum
// subtracted (stable for τ down to 0.01 and below) and turns the row into dL/ds in place, and
// two GEMMs multiply it back, so the N×N matrix is never held: memory is O(tile·N + N·d). Cost:
// three GEMMs of N²·d plus one exp per similarity; NT-Xent's blocks are 2N × 2N (four times the
// work); the symmetric InfoNCE makes two passes over the tiles (four GEMMs, see
// contrast_both_ways).

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../core.hpp"
#include "../core/detail/fast_exp.hpp"
#include "normalise.hpp"

namespace posttrain::contrastive {

enum class objective { graphcl, infonce, nt_xent };

struct loss_options {
  objective kind = objective::infonce;
  /// τ > 0. GraphCoCo and GraphCL use 0.2, GRACE 0.5, SimCLR 0.5 (0.1 at large batch).
  double temperature = 0.2;
  /// infonce only: the mean of the two directions (anchors from z1, then from z2).
  bool symmetric = false;
  /// Anchor rows per tile; 0 picks 512 (fewer when a tile of similarities would pass 2^24
  /// elements), and for the symmetric InfoNCE as many as 2^24 similarities hold.
  index_t tile_rows = 0;
};

namespace detail {

template <class T, class Be>
using matrix_in = tensor_view<T, 2, typename Be::memory_space>;
template <class T, class Be>
using vector_in = tensor_view<T, 1, typename Be::memory_space>;

/// e^x for x ≤ 0 (a softmax numerator): the vectorisable exp_nonpositive for float.
template <class T>
POSTTRAIN_HOST_DEVICE T numerator_exp(T x) {
  if constexpr (std::is_same_v<T, float>) return posttrain::detail::exp_nonpositive(x);
  else return ::exp(x);
}

/// Anchor rows per tile: the caller's choice, else 512 (large GEMM calls amortise the packing of
/// the candidates), fewer when a tile of `candidates` columns would pass `budget` elements.
inline index_t tile_rows_for(index_t requested, index_t candidates, index_t budget = index_t{1} << 24) {
  return requested > 0 ? requested : std::clamp<index_t>(budget / std::max<index_t>(candidates, 1), 16, 512);
}

/// Which candidate is each anchor's positive, and whether the anchor's own column leaves the
/// denominator: anchor i's positive is column i (half = 0) or i ± half (NT-Xent's [ẑ1; ẑ2]).
struct pairing {
  index_t half = 0;
  bool exclude_self = false;
  POSTTRAIN_HOST_DEVICE index_t positive(index_t i) const { return half == 0 ? i : (i < half ? i + half : i - half); }
  POSTTRAIN_HOST_DEVICE index_t excluded(index_t i) const { return exclude_self ? i : index_t(-1); }
};

/// A row's largest similarity (the excluded column left out) and its positive one.
template <class T>
struct top_and_positive {
  struct accumulator {
    T top, positive;
  };
  POSTTRAIN_HOST_DEVICE accumulator init() const { return {-posttrain::detail::infinity<T>(), T(0)}; }
  POSTTRAIN_HOST_DEVICE accumulator combine(accumulator a, accumulator x, index_t) const { return merge(a, x); }
  POSTTRAIN_HOST_DEVICE accumulator merge(accumulator a, accumulator b) const {
    return {b.top > a.top ? b.top : a.top, a.positive + b.positive};
  }
  POSTTRAIN_HOST_DEVICE accumulator result(accumulator a) const { return a; }
};

/// One row of a tile of similarities s [rows, C] (anchors first + r): writes ℓ_i to loss(i) and,
/// with the gradient, replaces the row by w·softmax (dL/ds but for the −w at the positive,
/// which positive_gradient_kernel adds once for all tiles).
template <class T, bool gradient>
struct contrast_tile_kernel {
  index_t first;
  pairing pair;
  T w;
  template <class Team, class S, class L>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t r, const S& s, const L& loss) const {
    const index_t i = first + r, c = s.extent(1), p = pair.positive(i), x = pair.excluded(i);
    const T inf = posttrain::detail::infinity<T>();
    const auto tp = team.reduce(c, top_and_positive<T>{}, [&](index_t j) {
      const T v = s(r, j);
      return typename top_and_positive<T>::accumulator{j == x ? -inf : v, j == p ? v : T(0)};
    });
    const T m = tp.top;
    const T sum = team.reduce(c, reduction::sum<T>{}, [&](index_t j) {
      const T e = j == x ? T(0) : numerator_exp(T(s(r, j) - m));
      if constexpr (gradient) s(r, j) = e;
      return e;
    });
    if constexpr (gradient) {
      const T scale = w / sum;
      team.for_each(c, [&](index_t j) { s(r, j) *= scale; });
    }
    team.single([&] { loss(i) = double(m) + ::log(double(sum)) - double(tp.positive); });
  }
};

/// The positive's part of the gradient, −c at s_{i,p(i)}: ga_i −= c·b_{p(i)} and gb_{p(i)} −= c·a_i,
/// written row by row as gb_i −= c·a_{p(i)} (p is its own inverse). ga and gb may be one buffer.
template <class T>
struct positive_gradient_kernel {
  pairing pair;
  T c;
  template <class Team, class A, class B, class GA, class GB>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const A& a, const B& b, const GA& ga,
                                        const GB& gb) const {
    const index_t p = pair.positive(i);
    team.for_each(a.extent(1), [&](index_t k) {
      ga(i, k) -= c * b(p, k);
      gb(i, k) -= c * a(p, k);
    });
  }
};

/// x as a double (a transform_reduce summing a float vector in double).
struct as_double {
  template <class T>
  POSTTRAIN_HOST_DEVICE double operator()(T x) const {
    return double(x);
  }
};

/// Σ of a vector on the backend, summed in double, to the host.
template <backend Be, class T>
double total(const Be& be, vector_in<const T, Be> v) {
  auto sum = allocate<double>(be, {index_t{1}});
  ops::transform_reduce(be, reduction::sum<double>{}, as_double{}, as_matrix(v), sum.view());
  return posttrain::detail::element_at(be, as_matrix(vector_in<const double, Be>(sum.view())), 0, 0);
}

/// One row-softmax contrast: anchors a [R, d] against candidates b [C, d], logits
/// s_ij = a_i·b_j / τ, under `pair`. Returns weight · Σ_i ℓ_i and, when ga is given (non-empty),
/// adds weight · dL/da into ga [R, d] and weight · dL/db into gb [C, d] (which may be ga).
template <backend Be, class T>
double contrast_rows(const Be& be, matrix_in<const T, Be> a, matrix_in<const T, Be> b, double tau, pairing pair,
                     double weight, matrix_in<T, Be> ga, matrix_in<T, Be> gb, index_t tile_rows) {
  const index_t rows_total = a.extent(0), c = b.extent(0);
  const bool gradient = ga.size() > 0;
  const index_t tile = std::min(tile_rows_for(tile_rows, c), rows_total);
  const T inv_tau = static_cast<T>(1 / tau), w = static_cast<T>(weight);
  auto s = allocate<T>(be, {tile, c});
  auto loss = allocate<double>(be, {rows_total});
  for (index_t t0 = 0; t0 < rows_total; t0 += tile) {
    const index_t rows = std::min(tile, rows_total - t0);
    const auto st = s.view().rows(0, rows);
    const auto at = a.rows(t0, rows);
    ops::gemm(be, at, b, st, {.alpha = inv_tau, .transpose_b = true});
    if (!gradient) {
      ops::for_each_row(be, rows, contrast_tile_kernel<T, false>{t0, pair, w}, st, loss.view());
      continue;
    }
    ops::for_each_row(be, rows, contrast_tile_kernel<T, true>{t0, pair, w}, st, loss.view());
    const matrix_in<const T, Be> p(st);
    ops::gemm(be, p, b, ga.rows(t0, rows), {.alpha = inv_tau, .beta = T(1)});
    ops::gemm(be, p, at, gb, {.alpha = inv_tau, .beta = T(1), .transpose_a = true});
  }
  if (gradient) ops::for_each_row(be, rows_total, positive_gradient_kernel<T>{pair, w * inv_tau}, a, b, ga, gb);
  return weight * total(be, vector_in<const double, Be>(loss.view()));
}

/// Pass 1 of the symmetric InfoNCE over the columns of a tile s [rows, n]: each column's running
/// maximum and Σ e^{s − max} over the tiles so far, rescaled when the maximum grows (the online
/// softmax). A kernel row is a block of `width` adjacent columns, and the team reduces over the
/// tile's rows with one accumulator per column of the block: every load is a contiguous run of
/// the tile, which a host team vectorises (one column at a time, the loads would be strided).
template <class T>
struct column_statistics_kernel {
  static constexpr int width = 8;
  struct block {
    T v[width];
  };
  template <bool is_max>
  struct blockwise {
    using accumulator = block;
    POSTTRAIN_HOST_DEVICE block init() const {
      block b;
      for (int w = 0; w < width; ++w) b.v[w] = is_max ? -posttrain::detail::infinity<T>() : T(0);
      return b;
    }
    POSTTRAIN_HOST_DEVICE block combine(block a, block x, index_t) const { return merge(a, x); }
    POSTTRAIN_HOST_DEVICE block merge(block a, block b) const {
      for (int w = 0; w < width; ++w) a.v[w] = is_max ? (b.v[w] > a.v[w] ? b.v[w] : a.v[w]) : a.v[w] + b.v[w];
      return a;
    }
    POSTTRAIN_HOST_DEVICE block result(block a) const { return a; }
  };

  template <class Team, class S, class M, class Sum>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t b, const S& s, const M& col_max,
                                        const Sum& col_sum) const {
    // A full block (every block but the last) is read without a per-element test, so that the
    // loads and the block's arithmetic vectorise; the last block pads with −inf (max) and 0 (sum).
    if (s.extent(1) - b * width >= width) update<true>(team, b, s, col_max, col_sum);
    else update<false>(team, b, s, col_max, col_sum);
  }

 private:
  template <bool full, class Team, class S, class M, class Sum>
  POSTTRAIN_HOST_DEVICE void update(const Team& team, index_t b, const S& s, const M& col_max, const Sum& col_sum) const {
    const T inf = posttrain::detail::infinity<T>();
    const index_t rows = s.extent(0), j0 = b * width;
    const index_t used = full ? width : s.extent(1) - j0;
    const block top = team.reduce(rows, blockwise<true>{}, [&](index_t r) {
      block x;
      for (int w = 0; w < width; ++w) x.v[w] = full || w < used ? T(s(r, j0 + w)) : -inf;
      return x;
    });
    block m, seen;
    for (int w = 0; w < width; ++w) {
      seen.v[w] = w < used ? T(col_max(j0 + w)) : -inf;
      m.v[w] = top.v[w] > seen.v[w] ? top.v[w] : seen.v[w];
    }
    const block sum = team.reduce(rows, blockwise<false>{}, [&](index_t r) {
      block x;
      for (int w = 0; w < width; ++w) x.v[w] = full || w < used ? numerator_exp(T(s(r, j0 + w) - m.v[w])) : T(0);
      return x;
    });
    team.single([&] {
      for (int w = 0; w < used; ++w) {
        const T rescale = seen.v[w] == -inf ? T(0) : numerator_exp(T(seen.v[w] - m.v[w]));
        col_sum(j0 + w) = col_sum(j0 + w) * rescale + sum.v[w];
        col_max(j0 + w) = m.v[w];
      }
    });
  }
};

/// Pass 1 over the rows of a tile: row_lse(i) (for pass 2) and, in double, row_lse − 2·s_ii
/// (the row's part of the loss).
template <class T>
struct row_statistics_kernel {
  index_t first;
  template <class Team, class S, class L, class P>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t r, const S& s, const L& row_lse,
                                        const P& term) const {
    const index_t i = first + r, n = s.extent(1);
    const auto tp = team.reduce(n, top_and_positive<T>{}, [&](index_t j) {
      const T v = s(r, j);
      return typename top_and_positive<T>::accumulator{v, j == i ? v : T(0)};
    });
    const T sum = team.reduce(n, reduction::sum<T>{}, [&](index_t j) { return numerator_exp(T(s(r, j) - tp.top)); });
    team.single([&] {
      const double lse = double(tp.top) + ::log(double(sum));
      row_lse(i) = static_cast<T>(lse);
      term(i) = lse - 2 * double(tp.positive);
    });
  }
};

/// Pass 2: the tile becomes dL/ds = w·(P_row + P_col) (the −2w on the diagonal added once by
/// positive_gradient_kernel).
template <class T>
struct both_ways_gradient_kernel {
  index_t first;
  T w;
  template <class Team, class S, class L, class C>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t r, const S& s, const L& row_lse,
                                        const C& col_lse) const {
    const T lse = row_lse(first + r);
    team.for_each(s.extent(1), [&](index_t j) {
      const T v = s(r, j);
      s(r, j) = w * (numerator_exp(T(v - lse)) + numerator_exp(T(v - col_lse(j))));
    });
  }
};

/// A column's log-sum-exp from its online statistics: max + log(sum).
struct log_sum_plus_max {
  template <class T>
  POSTTRAIN_HOST_DEVICE T operator()(T top, T sum) const {
    return static_cast<T>(double(top) + ::log(double(sum)));
  }
};

/// Symmetric InfoNCE, ½·(rows of S) + ½·(columns of S) with S = u vᵀ/τ, computing each tile of S
/// twice rather than S and Sᵀ: pass 1 takes every row's log-sum-exp and, online over the tiles,
/// every column's; pass 2 recomputes the tile and forms dL/ds = ½/N·(P_row + P_col) − 1/N on
/// the diagonal. Four N²d GEMMs, against six for the two directions computed separately; three
/// when S fits in one tile (N ≤ 4096 by default), since the last tile is not recomputed.
template <backend Be, class T>
double contrast_both_ways(const Be& be, matrix_in<const T, Be> u, matrix_in<const T, Be> v, double tau,
                          matrix_in<T, Be> gu, matrix_in<T, Be> gv, index_t tile_rows) {
  const index_t n = u.extent(0);
  // As many rows as 2^24 similarities hold (the whole of S up to N = 4096): pass 2 recomputes
  // every tile but the last, so taller tiles save GEMM work (at N = 8192, d = 256: 2048 rows
  // took 4–6% less time than 512).
  const index_t budget = index_t{1} << 24;
  const index_t tile = tile_rows > 0 ? std::min(tile_rows, n) : std::clamp<index_t>(budget / n, 1, n);
  const T inv_tau = static_cast<T>(1 / tau);
  auto s = allocate<T>(be, {tile, n});
  auto row_lse = allocate<T>(be, {n}), col_lse = allocate<T>(be, {n});
  auto col_max = allocate<T>(be, {n}), col_sum = allocate<T>(be, {n});
  auto row_terms = allocate<double>(be, {n});
  ops::fill(be, col_max.view(), -posttrain::detail::infinity<T>());
  ops::fill(be, col_sum.view(), T(0));
  for (index_t t0 = 0; t0 < n; t0 += tile) {
    const index_t rows = std::min(tile, n - t0);
    const matrix_in<const T, Be> st(s.view().rows(0, rows));
    ops::gemm(be, u.rows(t0, rows), v, s.view().rows(0, rows), {.alpha = inv_tau, .transpose_b = true});
    constexpr index_t width = column_statistics_kernel<T>::width;
    ops::for_each_row(be, (n + width - 1) / width, column_statistics_kernel<T>{}, st, col_max.view(), col_sum.view());
    ops::for_each_row(be, rows, row_statistics_kernel<T>{t0}, st, row_lse.view(), row_terms.view());
  }
  ops::map(be, log_sum_plus_max{}, as_matrix(vector_in<const T, Be>(col_max.view())),
           as_matrix(vector_in<const T, Be>(col_sum.view())), as_matrix(col_lse.view()));
  const double loss = (total(be, vector_in<const double, Be>(row_terms.view())) +
                       total(be, vector_in<const T, Be>(col_lse.view()))) * 0.5 / double(n);
  if (gu.size() == 0) return loss;
  const T w = static_cast<T>(0.5 / double(n));
  // Pass 2 runs over the tiles backwards: the last tile of pass 1 is still in s, so its GEMM is
  // not repeated.
  const index_t last = (n - 1) / tile * tile;
  for (index_t t0 = last; t0 >= 0; t0 -= tile) {
    const index_t rows = std::min(tile, n - t0);
    const auto st = s.view().rows(0, rows);
    const auto ut = u.rows(t0, rows);
    if (t0 != last) ops::gemm(be, ut, v, st, {.alpha = inv_tau, .transpose_b = true});
    ops::for_each_row(be, rows, both_ways_gradient_kernel<T>{t0, w}, st, vector_in<const T, Be>(row_lse.view()),
                      vector_in<const T, Be>(col_lse.view()));
    const matrix_in<const T, Be> p(st);
    ops::gemm(be, p, v, gu.rows(t0, rows), {.alpha = inv_tau, .beta = T(1)});
    ops::gemm(be, p, ut, gv, {.alpha = inv_tau, .beta = T(1), .transpose_a = true});
  }
  ops::for_each_row(be, n, positive_gradient_kernel<T>{pairing{}, 2 * w * inv_tau}, u, v, gu, gv);
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

/// The loss of normalised views u, v [N, d] (dense); with gradient buffers gu, gv (non-empty),
/// adds dL/du and dL/dv into them. The mean over anchors.
template <backend Be, class T>
double loss_of_normalised(const Be& be, matrix_in<const T, Be> u, matrix_in<const T, Be> v, const loss_options& opt,
                          matrix_in<T, Be> gu, matrix_in<T, Be> gv) {
  const index_t n = u.extent(0), d = u.extent(1);
  const double tau = opt.temperature;
  switch (opt.kind) {
    case objective::graphcl:
      return contrast_rows<Be, T>(be, u, v, tau, {0, true}, 1.0 / double(n), gu, gv, opt.tile_rows);
    case objective::infonce:
      if (!opt.symmetric) return contrast_rows<Be, T>(be, u, v, tau, {0, false}, 1.0 / double(n), gu, gv, opt.tile_rows);
      return contrast_both_ways<Be, T>(be, u, v, tau, gu, gv, opt.tile_rows);
    case objective::nt_xent: {
      // Rows of [u; v] against themselves: the positive of row a is a ± N, the excluded one a.
      auto zz = allocate<T>(be, {2 * n, d});
      ops::copy(be, u, zz.view().rows(0, n));
      ops::copy(be, v, zz.view().rows(n, n));
      auto g = allocate<T>(be, {gu.size() > 0 ? 2 * n : 0, d});
      if (gu.size() > 0) ops::fill(be, g.view(), T(0));
      const matrix_in<const T, Be> z(zz.view());
      const double loss = contrast_rows<Be, T>(be, z, z, tau, {n, true}, 0.5 / double(n), g.view(), g.view(), opt.tile_rows);
      if (gu.size() > 0) {
        const matrix_in<const T, Be> gz(g.view());
        ops::map(be, fn::plus{}, matrix_in<const T, Be>(gu), gz.rows(0, n), gu);
        ops::map(be, fn::plus{}, matrix_in<const T, Be>(gv), gz.rows(n, n), gv);
      }
      return loss;
    }
  }
  return 0;
}

}  // namespace detail

/// The loss (mean over anchors) of the two views z1, z2 [N, d] (float or double, any strides),
/// on any backend.
template <backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be> &&
           std::same_as<typename Z1::value_type, typename Z2::value_type>
double loss(const Be& be, const Z1& z1, const Z2& z2, const loss_options& options = {}) {
  using T = typename Z1::value_type;
  detail::check_views("loss", z1, z2, options);
  const index_t n = z1.extent(0);
  if (n == 0) return 0;
  const auto u = detail::normalise<T>(be, "loss", "z1", z1);
  const auto v = detail::normalise<T>(be, "loss", "z2", z2);
  return detail::loss_of_normalised<Be, T>(be, u.rows.view(), v.rows.view(), options, {}, {});
}

/// The loss and its gradients with respect to the raw z1 and z2, written to grad1, grad2 (same
/// shapes), on any backend. An empty batch has loss 0.
template <backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2, mutable_tensor G1, mutable_tensor G2>
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
  const auto u = detail::normalise<T>(be, "loss_and_gradient", "z1", z1);
  const auto v = detail::normalise<T>(be, "loss_and_gradient", "z2", z2);
  auto gu = allocate<T>(be, {n, d}), gv = allocate<T>(be, {n, d});
  ops::fill(be, gu.view(), T(0));
  ops::fill(be, gv.view(), T(0));
  const double l = detail::loss_of_normalised<Be, T>(be, u.rows.view(), v.rows.view(), options, gu.view(), gv.view());
  detail::normalise_backward(be, u.rows.view(), u.norms.view(), gu.view(), grad1);
  detail::normalise_backward(be, v.rows.view(), v.norms.view(), gv.view(), grad2);
  return l;
}

}  // namespace posttrain::contrastive
