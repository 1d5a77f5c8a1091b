#pragma once
// Generalised advantage estimation over a batch [B, T], one backward pass per row:
//
//   δ_t = r_t + γ·V_{t+1} − V_t,   A_t = δ_t + γλ·A_{t+1},   returns_t = A_t + V_t
//
// with no bootstrap past the last column (V_T = 0, A_T = 0). Two mask semantics:
//   zero  (trl, OpenRLHF)  r and V are taken as 0 where mask = 0, and the recursion runs
//                          through those positions.
//   skip  (verl, multi-turn) positions with mask = 0 are skipped: they carry the next valid
//                          position's value and advantage through unchanged, so observation
//                          tokens inside a response do not break the recursion.
// Either way a masked position's reward and value are never read into a valid position's
// result (they are selected away, not multiplied by 0), so NaN padding is harmless; at masked
// positions, returns_t = A_t (their value counts as 0).
//
// The pass also returns the masked statistics of the advantages (whitening.hpp), taken while
// each row is in cache, so whitening costs one more read and write and no extra statistics pass.
// Dense float or double rows with the zero semantics take a vectorised blocked scan in their own
// type (gae_dense_row); other layouts, element types and the skip semantics scan in double.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core.hpp"
#include "mask.hpp"
#include "whitening.hpp"

namespace posttrain::reward {

enum class mask_semantics { zero, skip };

struct gae_options {
  double gamma = 1.0;
  /// trl and OpenRLHF use 0.95, verl 1.0.
  double lambda = 0.95;
  mask_semantics masking = mask_semantics::zero;
};

namespace detail {

inline void check_discount(std::string_view who, std::string_view name, double v) {
  if (!(v >= 0 && v <= 1))
    throw value_error(posttrain::detail::message("posttrain::", who, ": ", name, " is ", v, "; it must be in [0, 1]"));
}

/// Whether the memory spans of two views (first to last element) intersect.
template <class X, class Y>
bool overlap(const X& x, const Y& y) {
  if (x.size() == 0 || y.size() == 0) return false;
  const auto span = [](const auto& v) {
    const auto* lo = reinterpret_cast<const char*>(v.data());
    const auto* hi = reinterpret_cast<const char*>(&v(v.extent(0) - 1, v.extent(1) - 1) + 1);
    return std::pair{lo, hi};
  };
  const auto [a0, a1] = span(x);
  const auto [b0, b1] = span(y);
  return std::less<>{}(a0, b1) && std::less<>{}(b0, a1);
}

/// GAE of row i, one element at a time (any layout and element types, both semantics).
template <bool skip, class RV, class VV, class MV, class AV, class GV>
whitening_statistics gae_row(const RV& rv, const VV& vv, const MV& mv, const AV& av, const GV& gv, index_t i,
                             const gae_options& o) {
  using TA = typename AV::value_type;
  using TG = typename GV::value_type;
  const double gamma = o.gamma, decay = o.gamma * o.lambda;
  const index_t cols = rv.extent(1);
  double next_value = 0, next_advantage = 0;
  for (index_t t = cols - 1; t >= 0; --t) {
    const bool m = valid(mv(i, t));
    const double r = m ? double(rv(i, t)) : 0.0, v = m ? double(vv(i, t)) : 0.0;
    const double a = r + gamma * next_value - v + decay * next_advantage;
    if (!skip || m) next_advantage = a, next_value = v;
    av(i, t) = static_cast<TA>(next_advantage);
    gv(i, t) = static_cast<TG>(next_advantage + v);
  }
  return row_statistics(
      cols, [&](index_t t) { return av(i, t); }, [&](index_t t) { return valid(mv(i, t)); });
}

/// x where m, +0 otherwise, by masking the bits: a NaN or Inf in x never leaks, and unlike a
/// branch or a conditional load it vectorises.
template <class T>
T keep(T x, bool m) {
  using bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
  return std::bit_cast<T>(std::bit_cast<bits>(x) & (bits(0) - bits(m)));
}

/// GAE of one dense row with the zero semantics, vectorised. The recursion A_t = δ_t + c·A_{t+1}
/// (c = γλ) is a linear scan; it is split into blocks of 8. Within a block, three doubling steps
/// (x_j += c·x_{j+1}, then c²·x_{j+2}, then c⁴·x_{j+4}, zero past the block's end) give each
/// element its discounted sum to the block's end, and one multiply-add carries the advantage that
/// follows the block in (A_j = x_j + c^{8−j}·A_next), so the sequential chain is one step per 8
/// elements and every other pass is a loop the compiler vectorises. Runs in T; scratch holds
/// gae_scratch_size(cols) elements. The outputs must not overlap the inputs (gae() takes the
/// element-at-a-time scan when they do).
inline constexpr index_t gae_width = 8;
inline index_t gae_scratch_size(index_t cols) { return (cols + gae_width - 1) / gae_width * gae_width + gae_width; }

template <class T, class M>
whitening_statistics gae_dense_row(const T* __restrict r, const T* __restrict v, const M* __restrict mask,
                                   T* __restrict adv, T* __restrict ret, index_t cols, T gamma, T c,
                                   T* __restrict scratch) {
  constexpr index_t w = gae_width;
  const index_t padded = (cols + w - 1) / w * w;
  T* __restrict x = scratch;
  // δ_t = r_t + γ·v_{t+1} − v_t with r and v kept only where the mask is set.
  for (index_t t = 0; t + 1 < cols; ++t)
    x[t] = keep(r[t], valid(mask[t])) + gamma * keep(v[t + 1], valid(mask[t + 1])) - keep(v[t], valid(mask[t]));
  if (cols > 0) x[cols - 1] = keep(r[cols - 1], valid(mask[cols - 1])) - keep(v[cols - 1], valid(mask[cols - 1]));
  for (index_t t = cols; t < padded + w; ++t) x[t] = T(0);
  const T c2 = c * c, c4 = c2 * c2;
  const T step1[w] = {c, c, c, c, c, c, c, 0}, step2[w] = {c2, c2, c2, c2, c2, c2, 0, 0};
  const T step4[w] = {c4, c4, c4, c4, 0, 0, 0, 0};
  const T carry[w] = {c4 * c4, c4 * c2 * c, c4 * c2, c4 * c, c4, c2 * c, c2, c};  // c^{8−j}
  // Blocks from the last, the three steps written out: this form is what GCC turns into a few
  // vector shuffles and multiply-adds (a loop over the steps is twice as slow).
  T next = 0;  // the advantage after the current block
  for (index_t b = padded - w; b >= 0; b -= w) {
    T* __restrict blk = x + b;
    T s1[w], s2[w];
    for (index_t j = 0; j < w; ++j) s1[j] = blk[j] + step1[j] * (j + 1 < w ? blk[j + 1] : T(0));
    for (index_t j = 0; j < w; ++j) s2[j] = s1[j] + step2[j] * (j + 2 < w ? s1[j + 2] : T(0));
    for (index_t j = 0; j < w; ++j) blk[j] = s2[j] + step4[j] * (j + 4 < w ? s2[j + 4] : T(0)) + carry[j] * next;
    next = blk[0];
  }
  // Outputs, and the masked count and sum in double (8 partial sums, so the loop vectorises;
  // the tail after the last full block goes to the first partial).
  const index_t full = cols / w * w;
  double count[w] = {}, sum[w] = {};
  for (index_t b = 0; b < full; b += w) {
    for (index_t j = 0; j < w; ++j) {
      const bool m = valid(mask[b + j]);
      const T a = x[b + j];
      adv[b + j] = a;
      ret[b + j] = a + keep(v[b + j], m);
      count[j] += keep(1.0, m);
      sum[j] += keep(double(a), m);
    }
  }
  for (index_t t = full; t < cols; ++t) {
    const bool m = valid(mask[t]);
    const T a = x[t];
    adv[t] = a;
    ret[t] = a + keep(v[t], m);
    count[0] += keep(1.0, m);
    sum[0] += keep(double(a), m);
  }
  double n = 0, total = 0;
  for (index_t j = 0; j < w; ++j) n += count[j], total += sum[j];
  if (n == 0) return {};
  const double mean = total / n;
  double m2[w] = {};
  for (index_t b = 0; b < full; b += w)
    for (index_t j = 0; j < w; ++j) {
      const double d = double(adv[b + j]) - mean;
      m2[j] += keep(d * d, valid(mask[b + j]));
    }
  for (index_t t = full; t < cols; ++t) {
    const double d = double(adv[t]) - mean;
    m2[0] += keep(d * d, valid(mask[t]));
  }
  double q = 0;
  for (index_t j = 0; j < w; ++j) q += m2[j];
  return {n, mean, q};
}

}  // namespace detail

/// advantages and returns [B, T] from rewards, values and mask [B, T]; returns the statistics
/// of the advantages where mask ≠ 0 (feed them to whiten(), merged across shards if sharded).
template <host_backend B, tensor_of_rank<2> R, tensor_of_rank<2> V, tensor_of_rank<2> M, tensor_of_rank<2> A,
          tensor_of_rank<2> G>
  requires accessible_by<R, B> && accessible_by<V, B> && accessible_by<M, B> && accessible_by<A, B> &&
           accessible_by<G, B> && mutable_tensor<A> && mutable_tensor<G>
whitening_statistics gae(const B& be, const R& rewards, const V& values, const M& mask, const A& advantages,
                         const G& returns, const gae_options& o = {}) {
  constexpr std::string_view who = "reward::gae";
  posttrain::detail::check_same_shape(who, "rewards", rewards, "values", values);
  posttrain::detail::check_same_shape(who, "rewards", rewards, "mask", mask);
  posttrain::detail::check_same_shape(who, "rewards", rewards, "advantages", advantages);
  posttrain::detail::check_same_shape(who, "rewards", rewards, "returns", returns);
  detail::check_discount(who, "gamma", o.gamma);
  detail::check_discount(who, "lambda", o.lambda);
  const auto rv = posttrain::detail::to_const_view(rewards);
  const auto vv = posttrain::detail::to_const_view(values);
  const auto mv = posttrain::detail::to_const_view(mask);
  const auto av = posttrain::detail::to_view(advantages);
  const auto gv = posttrain::detail::to_view(returns);
  using TA = typename A::value_type;
  using TG = typename G::value_type;
  const index_t rows = rv.extent(0), cols = rv.extent(1);
  constexpr bool same_type = std::is_same_v<TA, typename R::value_type> && std::is_same_v<TA, typename V::value_type> &&
                             std::is_same_v<TA, TG> && std::is_floating_point_v<TA>;
  const bool dense = rv.stride(1) == 1 && vv.stride(1) == 1 && mv.stride(1) == 1 && av.stride(1) == 1 &&
                     gv.stride(1) == 1 && rv.stride(0) >= 0 && vv.stride(0) >= 0 && mv.stride(0) >= 0 &&
                     av.stride(0) >= 0 && gv.stride(0) >= 0;
  // In place (an output over an input) is allowed; it takes the element-at-a-time scan.
  const bool separate = !detail::overlap(av, rv) && !detail::overlap(av, vv) && !detail::overlap(av, mv) &&
                        !detail::overlap(gv, rv) && !detail::overlap(gv, vv) && !detail::overlap(gv, mv) &&
                        !detail::overlap(av, gv);
  std::vector<whitening_statistics> partial(static_cast<std::size_t>(rows));
  posttrain::detail::host::for_rows(be, rows, [&](index_t r0, index_t r1) {
    if constexpr (same_type) {
      if (dense && separate && o.masking == mask_semantics::zero) {
        std::vector<TA> scratch(static_cast<std::size_t>(detail::gae_scratch_size(cols)));
        for (index_t i = r0; i < r1; ++i)
          partial[std::size_t(i)] = detail::gae_dense_row(&rv(i, 0), &vv(i, 0), &mv(i, 0), &av(i, 0), &gv(i, 0), cols,
                                                          TA(o.gamma), TA(o.gamma * o.lambda), scratch.data());
        return;
      }
    }
    for (index_t i = r0; i < r1; ++i)
      partial[std::size_t(i)] = o.masking == mask_semantics::zero ? detail::gae_row<false>(rv, vv, mv, av, gv, i, o)
                                                                  : detail::gae_row<true>(rv, vv, mv, av, gv, i, o);
  });
  whitening_statistics all;
  for (const auto& p : partial) all.merge(p);
  return all;
}

/// Discounted returns G_t = r_t + γ·G_{t+1} where mask ≠ 0, reset to 0 after each masked
/// position (verl's REINFORCE++ returns: the running return is multiplied by the mask), 0 at
/// masked positions; returns their masked statistics.
template <host_backend B, tensor_of_rank<2> R, tensor_of_rank<2> M, tensor_of_rank<2> G>
  requires accessible_by<R, B> && accessible_by<M, B> && accessible_by<G, B> && mutable_tensor<G>
whitening_statistics discounted_returns(const B& be, const R& rewards, const M& mask, const G& returns,
                                        double gamma = 1.0) {
  constexpr std::string_view who = "reward::discounted_returns";
  posttrain::detail::check_same_shape(who, "rewards", rewards, "mask", mask);
  posttrain::detail::check_same_shape(who, "rewards", rewards, "returns", returns);
  detail::check_discount(who, "gamma", gamma);
  const auto rv = posttrain::detail::to_const_view(rewards);
  const auto mv = posttrain::detail::to_const_view(mask);
  const auto gv = posttrain::detail::to_view(returns);
  using TG = typename G::value_type;
  const index_t cols = rv.extent(1);
  return detail::merged_over_rows(be, rv.extent(0), [&](index_t i) {
    double running = 0;
    for (index_t t = cols - 1; t >= 0; --t) {
      if (detail::valid(mv(i, t))) {
        running = double(rv(i, t)) + gamma * running;
        gv(i, t) = static_cast<TG>(running);
      } else {
        running = 0;
        gv(i, t) = TG(0);
      }
    }
    return detail::row_statistics(
        cols, [&](index_t t) { return gv(i, t); }, [&](index_t t) { return detail::valid(mv(i, t)); });
  });
}

}  // namespace posttrain::reward
