// SPDX-License-Identifier: Apache-2.0
#pragma once
// PPO's clipped losses over a batch [B, T] and their gradients, in one pass:
//
//   policy   ρ = exp(logp − logp_old),  ℓ_t = max(−A·ρ, −A·clip(ρ, 1 − ε_low, 1 + ε_high))
//            with dual clip (verl's clip_ratio_c = c > 1): ℓ_t = min(ℓ_t, −A·c) where A < 0
//   value    ℓ_t = ½·max((v − R)², (clip(v, v_old ± ε_v) − R)²)
//
// aggregated over the positions with mask ≠ 0 (loss_aggregation, verl's loss_agg_mode):
//   token_mean            Σ ℓ / Σ m over the whole batch (trl, OpenRLHF, verl's default)
//   sequence_mean         each row's token mean, then the mean over rows that have a valid token
//   sequence_sum          each row's sum, then the mean over all rows (Dr. GRPO)
// The gradient ∂loss/∂logp (∂loss/∂v) is written for every position, 0 where masked. Where the
// two branches of the max tie, the unclipped one is taken (equal gradients unless ρ sits exactly
// on a clip boundary). With no valid position the loss is 0 and the gradient 0 (never NaN).

#include <cmath>
#include <optional>
#include <utility>

#include "../core.hpp"
#include "mask.hpp"

namespace posttrain::reward {

enum class loss_aggregation { token_mean, sequence_mean, sequence_sum };

struct policy_loss_options {
  double clip_low = 0.2;
  double clip_high = 0.2;  // DAPO's "clip higher" uses 0.28
  /// verl's dual clip c (> 1, e.g. 3): bounds the loss of negative advantages by −A·c.
  std::optional<double> dual_clip = std::nullopt;
  loss_aggregation aggregation = loss_aggregation::token_mean;
};

struct value_loss_options {
  /// ε_v of the clipped value loss (trl 0.2, verl 0.5); none gives the plain ½(v − R)².
  std::optional<double> clip = 0.2;
  loss_aggregation aggregation = loss_aggregation::token_mean;
};

struct ppo_loss_result {
  double loss = 0;
  /// Fraction of valid positions where the clipped branch was taken (the gradient is 0 there).
  double clip_fraction = 0;
  /// Policy only: the mean of logp_old − logp over valid positions (verl's ppo_kl).
  double approx_kl = 0;
  double valid_positions = 0;
};

namespace detail {

/// A position's loss, gradient of the unaggregated loss, whether the clip was active, and
/// logp − logp_old (policy; summed for approx_kl).
struct position_loss {
  double loss, grad, clipped, log_ratio;
};

/// Σ over a row's valid positions of loss, clipped and log_ratio (a reduction).
struct loss_sums {
  using accumulator = position_loss;
  POSTTRAIN_HOST_DEVICE position_loss init() const { return {0.0, 0.0, 0.0, 0.0}; }
  POSTTRAIN_HOST_DEVICE position_loss combine(position_loss a, position_loss x, index_t) const { return merge(a, x); }
  POSTTRAIN_HOST_DEVICE position_loss merge(position_loss a, position_loss b) const {
    return {a.loss + b.loss, 0.0, a.clipped + b.clipped, a.log_ratio + b.log_ratio};
  }
  POSTTRAIN_HOST_DEVICE position_loss result(position_loss a) const { return a; }
};

/// 1 where the mask is set (a map functor for the per-row counts).
struct valid_count {
  template <class M>
  POSTTRAIN_HOST_DEVICE double operator()(M m) const {
    return valid(m) ? 1.0 : 0.0;
  }
};

/// The clipped surrogate at one position (see the top of this file).
struct policy_position {
  double lo, hi, dual;  // dual ≤ 0: no dual clip
  template <class L, class O, class A>
  POSTTRAIN_HOST_DEVICE position_loss operator()(L logp, O logp_old, A advantage) const {
    const double a = double(advantage), log_ratio = double(logp) - double(logp_old);
    const double ratio = ::exp(log_ratio);
    const double bounded = ratio < lo ? lo : (ratio > hi ? hi : ratio);
    const double unclipped = -a * ratio, clipped = -a * bounded;
    // ∂(−A·ρ)/∂logp = −A·ρ; the clipped branch is flat in logp.
    position_loss p{unclipped, -a * ratio, 0.0, log_ratio};
    if (clipped > unclipped) p = {clipped, 0.0, 1.0, log_ratio};
    if (dual > 0 && a < 0 && p.loss > -a * dual) p = {-a * dual, 0.0, 1.0, log_ratio};
    return p;
  }
};

/// The (clipped) value loss at one position.
struct value_position {
  bool clipped;
  double clip;
  template <class V, class O, class R>
  POSTTRAIN_HOST_DEVICE position_loss operator()(V value, O old_value, R ret) const {
    const double v = double(value), r = double(ret);
    const double plain = 0.5 * (v - r) * (v - r);
    position_loss p{plain, v - r, 0.0, 0.0};
    if (clipped) {
      const double old = double(old_value);
      const double vc = v < old - clip ? old - clip : (v > old + clip ? old + clip : v);
      const double c = 0.5 * (vc - r) * (vc - r);
      if (c > plain) p = {c, 0.0, 1.0, 0.0};  // v outside the clip range: flat in v
    }
    return p;
  }
};

/// Per row: writes weight(i)·grad (0 where masked) and the row's sums to sums(i, 0..2).
template <class Position>
struct loss_kernel {
  Position position;
  template <class Team, class X, class Y, class Z, class M, class W, class G, class S>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const X& x, const Y& y, const Z& z, const M& mask,
                                        const W& weight, const G& grad, const S& sums) const {
    using TG = typename G::value_type;
    const double w = weight(i);
    const position_loss s = team.reduce(x.extent(1), loss_sums{}, [&](index_t t) {
      const bool m = valid(mask(i, t));
      position_loss p = m ? position(x(i, t), y(i, t), z(i, t)) : position_loss{0.0, 0.0, 0.0, 0.0};
      grad(i, t) = m ? static_cast<TG>(w * p.grad) : TG(0);
      return p;
    });
    team.single([&] {
      sums(i, 0) = w * s.loss;
      sums(i, 1) = s.clipped;
      sums(i, 2) = s.log_ratio;
    });
  }
};

/// Aggregates position(x, y, z) over the valid positions: the per-row counts give each row's
/// weight under the aggregation (on the host: one number per row), then one row-kernel pass
/// writes weight·grad and the rows' sums, added up in row order.
template <class B, class Position, class XV, class YV, class ZV, class MV, class GV>
ppo_loss_result aggregate_loss(const B& be, const Position& position, loss_aggregation agg, const XV& x, const YV& y,
                               const ZV& z, const MV& mask, const GV& grad) {
  const index_t rows = mask.extent(0);
  auto counts = allocate<double>(be, {rows});
  ops::transform_reduce(be, reduction::sum<double>{}, valid_count{}, mask, counts.view());
  host_buffer<double, 1> count({rows}), weight({rows});
  deep_copy(be, std::as_const(counts).view(), count.view());
  double valid_total = 0, rows_with_tokens = 0;
  for (index_t i = 0; i < rows; ++i) valid_total += count.view()(i), rows_with_tokens += count.view()(i) > 0;
  for (index_t i = 0; i < rows; ++i) {
    const double c = count.view()(i);
    double w = 0;
    if (c > 0) switch (agg) {
        case loss_aggregation::token_mean: w = 1.0 / valid_total; break;
        case loss_aggregation::sequence_mean: w = 1.0 / (c * rows_with_tokens); break;
        case loss_aggregation::sequence_sum: w = 1.0 / double(rows); break;
      }
    weight.view()(i) = w;
  }
  auto weights = allocate<double>(be, {rows});
  deep_copy(be, std::as_const(weight).view(), weights.view());
  auto sums = allocate<double>(be, {rows, index_t{3}});
  ops::for_each_row(be, rows, loss_kernel<Position>{position}, x, y, z, mask, std::as_const(weights).view(), grad,
                    sums.view());
  const auto h = posttrain::detail::to_host(be, std::as_const(sums).view());
  ppo_loss_result r;
  for (index_t i = 0; i < rows; ++i) {
    r.loss += h.view()(i, 0);
    r.clip_fraction += h.view()(i, 1);
    r.approx_kl -= h.view()(i, 2);
  }
  r.valid_positions = valid_total;
  r.clip_fraction = valid_total > 0 ? r.clip_fraction / valid_total : 0.0;
  r.approx_kl = valid_total > 0 ? r.approx_kl / valid_total : 0.0;  // mean of logp_old − logp
  return r;
}

}  // namespace detail

/// The clipped surrogate loss of logp against logp_old with advantages (all [B, T]), and
/// grad = ∂loss/∂logp.
template <backend B, tensor_of_rank<2> L, tensor_of_rank<2> O, tensor_of_rank<2> A, tensor_of_rank<2> M,
          tensor_of_rank<2> G>
  requires accessible_by<L, B> && accessible_by<O, B> && accessible_by<A, B> && accessible_by<M, B> &&
           accessible_by<G, B> && mutable_tensor<G>
ppo_loss_result policy_loss_and_gradient(const B& be, const L& logp, const O& logp_old, const A& advantages,
                                         const M& mask, const G& grad, const policy_loss_options& o = {}) {
  constexpr std::string_view who = "reward::policy_loss_and_gradient";
  posttrain::detail::check_same_shape(who, "logp", logp, "logp_old", logp_old);
  posttrain::detail::check_same_shape(who, "logp", logp, "advantages", advantages);
  posttrain::detail::check_same_shape(who, "logp", logp, "mask", mask);
  posttrain::detail::check_same_shape(who, "logp", logp, "grad", grad);
  if (!(o.clip_low >= 0 && o.clip_low < 1) || !(o.clip_high >= 0))
    throw value_error(posttrain::detail::message("posttrain::", who, ": clip_low ", o.clip_low, ", clip_high ",
                                                 o.clip_high, "; need 0 ≤ clip_low < 1 and clip_high ≥ 0"));
  if (o.dual_clip && !(*o.dual_clip > 1))
    throw value_error(
        posttrain::detail::message("posttrain::", who, ": dual_clip is ", *o.dual_clip, "; it must be > 1"));
  const detail::policy_position position{1 - o.clip_low, 1 + o.clip_high, o.dual_clip.value_or(0.0)};
  return detail::aggregate_loss(be, position, o.aggregation, posttrain::detail::to_const_view(logp),
                                posttrain::detail::to_const_view(logp_old), posttrain::detail::to_const_view(advantages),
                                posttrain::detail::to_const_view(mask), posttrain::detail::to_view(grad));
}

/// The (clipped) value loss of predictions v against returns with the old values (all
/// [B, T]), and grad = ∂loss/∂v.
template <backend B, tensor_of_rank<2> V, tensor_of_rank<2> O, tensor_of_rank<2> R, tensor_of_rank<2> M,
          tensor_of_rank<2> G>
  requires accessible_by<V, B> && accessible_by<O, B> && accessible_by<R, B> && accessible_by<M, B> &&
           accessible_by<G, B> && mutable_tensor<G>
ppo_loss_result value_loss_and_gradient(const B& be, const V& values, const O& old_values, const R& returns,
                                        const M& mask, const G& grad, const value_loss_options& o = {}) {
  constexpr std::string_view who = "reward::value_loss_and_gradient";
  posttrain::detail::check_same_shape(who, "values", values, "old_values", old_values);
  posttrain::detail::check_same_shape(who, "values", values, "returns", returns);
  posttrain::detail::check_same_shape(who, "values", values, "mask", mask);
  posttrain::detail::check_same_shape(who, "values", values, "grad", grad);
  if (o.clip && !(*o.clip >= 0))
    throw value_error(posttrain::detail::message("posttrain::", who, ": clip is ", *o.clip, "; it must be ≥ 0"));
  const detail::value_position position{o.clip.has_value(), o.clip.value_or(0.0)};
  return detail::aggregate_loss(be, position, o.aggregation, posttrain::detail::to_const_view(values),
                                posttrain::detail::to_const_view(old_values), posttrain::detail::to_const_view(returns),
                                posttrain::detail::to_const_view(mask), posttrain::detail::to_view(grad));
}

}  // namespace posttrain::reward
