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
// The scan runs in double whatever the element type.

#include <cmath>

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
  const double gamma = o.gamma, decay = o.gamma * o.lambda;
  const index_t cols = rv.extent(1);
  return detail::merged_over_rows(be, rv.extent(0), [&](index_t i) {
    double next_value = 0, next_advantage = 0;
    if (o.masking == mask_semantics::zero) {
      for (index_t t = cols - 1; t >= 0; --t) {
        const bool m = detail::valid(mv(i, t));
        const double r = m ? double(rv(i, t)) : 0.0, v = m ? double(vv(i, t)) : 0.0;
        next_advantage = r + gamma * next_value - v + decay * next_advantage;
        next_value = v;
        av(i, t) = static_cast<TA>(next_advantage);
        gv(i, t) = static_cast<TG>(next_advantage + v);
      }
    } else {
      for (index_t t = cols - 1; t >= 0; --t) {
        if (detail::valid(mv(i, t))) {
          const double v = double(vv(i, t));
          next_advantage = double(rv(i, t)) + gamma * next_value - v + decay * next_advantage;
          next_value = v;
          gv(i, t) = static_cast<TG>(next_advantage + v);
        } else {
          gv(i, t) = static_cast<TG>(next_advantage);
        }
        av(i, t) = static_cast<TA>(next_advantage);
      }
    }
    return detail::row_statistics(
        cols, [&](index_t t) { return av(i, t); }, [&](index_t t) { return detail::valid(mv(i, t)); });
  });
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
