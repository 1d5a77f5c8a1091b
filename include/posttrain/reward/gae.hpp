// SPDX-License-Identifier: Apache-2.0
#pragma once
// Generalised advantage estimation over a batch [B, T], one backward scan per row:
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
// Both semantics are one reverse scan (team.reverse_apply) of maps on the pair (A, V) carried
// from the right, (A, V) ↦ (γλ·A + γ·V + r_t − v_t, v_t) at a position that counts and the
// identity at a skipped one; composed maps keep the form (A, V) ↦ (p·A + q·V + s, u·V + w), so
// the scan is associative: a chain on a CPU thread, a block scan on a GPU. Each
// position reads only its own r, V and mask, so the outputs may be the inputs (in place).
// The scan runs in float when every tensor is float, otherwise in double.
//
// The same kernel returns the masked statistics of the advantages (whitening.hpp), taken while
// each row is in cache, so whitening costs one more read and write and no extra statistics pass.

#include <string_view>
#include <type_traits>
#include <utility>

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

/// The scan operator of GAE: maps (A, V) ↦ (p·A + q·V + s, u·V + w); combine(left, right) is
/// left ∘ right (right, the later columns, applies first).
template <class T>
struct gae_step {
  struct value_type {
    T p, q, s, u, w;
  };
  POSTTRAIN_HOST_DEVICE value_type identity() const { return {T(1), T(0), T(0), T(1), T(0)}; }
  POSTTRAIN_HOST_DEVICE value_type combine(value_type l, value_type r) const {
    return {flush(l.p * r.p), flush(l.p * r.q + l.q * r.u), l.p * r.s + l.q * r.w + l.s, flush(l.u * r.u),
            l.u * r.w + l.w};
  }
  // The coefficients of a long composition decay like (γλ)^k. Once below the smallest normal
  // number they are set to 0: what they would still scale lies far below the rounding of the
  // result, and arithmetic on subnormals is up to 100× slower on x86 (a 4096-long float row
  // reaches them after ~1700 steps at γλ = 0.95).
  /// As maps on the state (A, V) (team.reverse_apply), from (0, 0): on a host thread each
  /// position costs one dependent fma on A, not a composition of maps.
  struct state_type {
    T a, v;
  };
  POSTTRAIN_HOST_DEVICE state_type start() const { return {T(0), T(0)}; }
  POSTTRAIN_HOST_DEVICE state_type apply(value_type m, state_type x) const {
    // A map of this kernel has u = 0 (a position that counts: V becomes its v) or is the
    // identity; the select keeps 0·V (not foldable: V might be NaN) off the host's chain.
    return {m.p * x.a + (m.q * x.v + m.s), m.u == T(0) ? m.w : m.u * x.v + m.w};
  }
  POSTTRAIN_HOST_DEVICE static T flush(T x) {
    constexpr T smallest = sizeof(T) == 4 ? T(1.17549435e-38) : T(2.2250738585072014e-308);
    return (x < smallest && x > -smallest) ? T(0) : x;
  }
};

template <class T>
struct gae_kernel {
  T gamma, decay;  // γ, γλ
  bool skip;

  template <class Team, class R, class V, class M, class A, class G, class S>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const R& r, const V& v, const M& mask, const A& adv,
                                        const G& ret, const S& stats) const {
    using TA = typename A::value_type;
    using TG = typename G::value_type;
    const gae_step<T> op;
    // Locals, not members: the stores to adv and ret could alias *this, and would make the
    // host's chain reload them at every step.
    const T d = decay, g = gamma;
    const bool skipping = skip;
    // example-begin design-gae
    team.reverse_apply(
        r.extent(1), op,
        [&](index_t t) {
          const bool m = valid(mask(i, t));
          const T rt = keep(T(r(i, t)), m), vt = keep(T(v(i, t)), m);
          typename gae_step<T>::value_type e{d, g, rt - vt, T(0), vt};
          return (skipping && !m) ? op.identity() : e;
        },
        [&](index_t t, const typename gae_step<T>::state_type& y) {
          const T vt = keep(T(v(i, t)), valid(mask(i, t)));
          adv(i, t) = static_cast<TA>(y.a);
          ret(i, t) = static_cast<TG>(y.a + vt);
        });
    row_moments(team, i, adv, mask, stats);
    // example-end design-gae
  }
};

/// Discounted returns: the affine reverse scan y_t = r_t + γ·y_{t+1} at valid positions; at a
/// masked one the return is reset to 0 (zero) or carried through unchanged (skip); then the
/// row's statistics of the returns.
struct returns_kernel {
  double gamma;
  bool skip;

  template <class Team, class R, class M, class G, class S>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const R& r, const M& mask, const G& ret,
                                        const S& stats) const {
    using TG = typename G::value_type;
    using op = scan_op::affine<double>;
    team.reverse_apply(
        r.extent(1), op{},
        [&](index_t t) {
          const bool m = valid(mask(i, t));
          return op::value_type{m ? gamma : (skip ? 1.0 : 0.0), keep(double(r(i, t)), m)};
        },
        [&](index_t t, double y) { ret(i, t) = static_cast<TG>(y); });
    row_moments(team, i, ret, mask, stats);
  }
};

}  // namespace detail

/// advantages and returns [B, T] from rewards, values and mask [B, T]; returns the statistics
/// of the advantages where mask ≠ 0 (feed them to whiten(), merged across shards if sharded).
template <backend B, tensor_of_rank<2> R, tensor_of_rank<2> V, tensor_of_rank<2> M, tensor_of_rank<2> A,
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
  using TA = typename A::value_type;
  constexpr bool all_float = std::is_same_v<TA, float> && std::is_same_v<typename R::value_type, float> &&
                             std::is_same_v<typename V::value_type, float> &&
                             std::is_same_v<typename G::value_type, float>;
  using T = std::conditional_t<all_float, float, double>;
  const index_t rows = rewards.extent(0);
  auto stats = allocate<double>(be, {rows, index_t{3}});
  ops::for_each_row(be, rows,
                    detail::gae_kernel<T>{T(o.gamma), T(o.gamma * o.lambda), o.masking == mask_semantics::skip},
                    posttrain::detail::to_const_view(rewards), posttrain::detail::to_const_view(values),
                    posttrain::detail::to_const_view(mask), posttrain::detail::to_view(advantages),
                    posttrain::detail::to_view(returns), stats.view());
  return detail::merge_rows(be, std::as_const(stats).view());
}

/// Discounted returns G_t = r_t + γ·G_{t+1} where mask ≠ 0; returns their masked statistics.
/// At a masked position:
///   zero (default, verl's REINFORCE++: the running return is multiplied by the mask) the return
///        is 0 and the recursion restarts there, so in a multi-turn row (mask 1 1 0 0 1 1, the
///        reward at the end) the first turn gets no return;
///   skip the return is carried through unchanged (the masked position holds it), so every turn
///        gets the final reward, as GAE's skip semantics give (verl#7278).
template <backend B, tensor_of_rank<2> R, tensor_of_rank<2> M, tensor_of_rank<2> G>
  requires accessible_by<R, B> && accessible_by<M, B> && accessible_by<G, B> && mutable_tensor<G>
whitening_statistics discounted_returns(const B& be, const R& rewards, const M& mask, const G& returns,
                                        double gamma = 1.0, mask_semantics masking = mask_semantics::zero) {
  constexpr std::string_view who = "reward::discounted_returns";
  posttrain::detail::check_same_shape(who, "rewards", rewards, "mask", mask);
  posttrain::detail::check_same_shape(who, "rewards", rewards, "returns", returns);
  detail::check_discount(who, "gamma", gamma);
  const index_t rows = rewards.extent(0);
  auto stats = allocate<double>(be, {rows, index_t{3}});
  ops::for_each_row(be, rows, detail::returns_kernel{gamma, masking == mask_semantics::skip},
                    posttrain::detail::to_const_view(rewards),
                    posttrain::detail::to_const_view(mask), posttrain::detail::to_view(returns), stats.view());
  return detail::merge_rows(be, std::as_const(stats).view());
}

}  // namespace posttrain::reward
