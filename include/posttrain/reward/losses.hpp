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

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

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

/// Per-position loss and gradient of the unaggregated loss, and whether the clip was active.
struct position_loss {
  double loss, grad;
  bool clipped;
  double log_ratio = 0;  // logp − logp_old (policy), summed for approx_kl
};

/// Aggregation weights: the loss and gradient of position (i, t) are multiplied by weight(i).
/// Two passes: count valid positions per row, then the weights.
template <class MV>
std::vector<double> aggregation_weights(const MV& mask, loss_aggregation agg, double& valid_total) {
  const index_t rows = mask.extent(0), cols = mask.extent(1);
  std::vector<double> count(static_cast<std::size_t>(rows), 0.0);
  valid_total = 0;
  index_t rows_with_tokens = 0;
  for (index_t i = 0; i < rows; ++i) {
    for (index_t t = 0; t < cols; ++t) count[std::size_t(i)] += valid(mask(i, t)) ? 1.0 : 0.0;
    valid_total += count[std::size_t(i)];
    rows_with_tokens += count[std::size_t(i)] > 0;
  }
  std::vector<double> w(static_cast<std::size_t>(rows), 0.0);
  for (index_t i = 0; i < rows; ++i) {
    const double c = count[std::size_t(i)];
    if (c == 0) continue;
    switch (agg) {
      case loss_aggregation::token_mean: w[std::size_t(i)] = 1.0 / valid_total; break;
      case loss_aggregation::sequence_mean: w[std::size_t(i)] = 1.0 / (c * double(rows_with_tokens)); break;
      case loss_aggregation::sequence_sum: w[std::size_t(i)] = 1.0 / double(rows); break;
    }
  }
  return w;
}

/// Runs position(i, t) -> position_loss over the valid positions, writes weight·grad (0 where
/// masked) and returns Σ weight·loss, the clip fraction and the mean of −log_ratio (approx_kl).
template <class B, class MV, class GV, class Position>
ppo_loss_result accumulate_loss(const B& be, const MV& mv, const GV& gv, const std::vector<double>& weight,
                                double valid_total, const Position& position) {
  using TG = typename GV::value_type;
  const index_t rows = mv.extent(0), cols = mv.extent(1);
  std::vector<double> loss(std::size_t(rows), 0.0), clipped(std::size_t(rows), 0.0), log_ratio(std::size_t(rows), 0.0);
  posttrain::detail::host::for_rows(be, rows, [&](index_t r0, index_t r1) {
    for (index_t i = r0; i < r1; ++i) {
      const double w = weight[std::size_t(i)];
      double l = 0, c = 0, k = 0;
      for (index_t t = 0; t < cols; ++t) {
        if (!valid(mv(i, t))) {
          gv(i, t) = TG(0);
          continue;
        }
        const position_loss p = position(i, t);
        l += p.loss;
        c += p.clipped ? 1.0 : 0.0;
        k += p.log_ratio;
        gv(i, t) = static_cast<TG>(w * p.grad);
      }
      loss[std::size_t(i)] = w * l;
      clipped[std::size_t(i)] = c;
      log_ratio[std::size_t(i)] = k;
    }
  });
  ppo_loss_result r;
  for (index_t i = 0; i < rows; ++i) {
    r.loss += loss[std::size_t(i)];
    r.clip_fraction += clipped[std::size_t(i)];
    r.approx_kl -= log_ratio[std::size_t(i)];
  }
  r.valid_positions = valid_total;
  r.clip_fraction = valid_total > 0 ? r.clip_fraction / valid_total : 0.0;
  r.approx_kl = valid_total > 0 ? r.approx_kl / valid_total : 0.0;  // mean of logp_old − logp
  return r;
}

}  // namespace detail

/// The clipped surrogate loss of logp against logp_old with advantages (all [B, T]), and
/// grad = ∂loss/∂logp.
template <host_backend B, tensor_of_rank<2> L, tensor_of_rank<2> O, tensor_of_rank<2> A, tensor_of_rank<2> M,
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
  const auto lv = posttrain::detail::to_const_view(logp);
  const auto ov = posttrain::detail::to_const_view(logp_old);
  const auto av = posttrain::detail::to_const_view(advantages);
  const auto mv = posttrain::detail::to_const_view(mask);
  const auto gv = posttrain::detail::to_view(grad);
  double valid_total = 0;
  const auto weight = detail::aggregation_weights(mv, o.aggregation, valid_total);
  const double lo = 1 - o.clip_low, hi = 1 + o.clip_high;
  return detail::accumulate_loss(be, mv, gv, weight, valid_total, [&](index_t i, index_t t) {
    const double a = double(av(i, t)), log_ratio = double(lv(i, t)) - double(ov(i, t));
    const double ratio = std::exp(log_ratio);
    const double unclipped = -a * ratio, clipped = -a * std::clamp(ratio, lo, hi);
    // ∂(−A·ρ)/∂logp = −A·ρ; the clipped branch is flat in logp.
    detail::position_loss p{unclipped, -a * ratio, false, log_ratio};
    if (clipped > unclipped) p = {clipped, 0.0, true, log_ratio};
    if (o.dual_clip && a < 0 && p.loss > -a * *o.dual_clip) p = {-a * *o.dual_clip, 0.0, true, log_ratio};
    return p;
  });
}

/// The (clipped) value loss of predictions v against returns with the old values (all
/// [B, T]), and grad = ∂loss/∂v.
template <host_backend B, tensor_of_rank<2> V, tensor_of_rank<2> O, tensor_of_rank<2> R, tensor_of_rank<2> M,
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
  const auto vv = posttrain::detail::to_const_view(values);
  const auto ov = posttrain::detail::to_const_view(old_values);
  const auto rv = posttrain::detail::to_const_view(returns);
  const auto mv = posttrain::detail::to_const_view(mask);
  const auto gv = posttrain::detail::to_view(grad);
  double valid_total = 0;
  const auto weight = detail::aggregation_weights(mv, o.aggregation, valid_total);
  return detail::accumulate_loss(be, mv, gv, weight, valid_total, [&](index_t i, index_t t) {
    const double v = double(vv(i, t)), ret = double(rv(i, t));
    const double plain = 0.5 * (v - ret) * (v - ret);
    detail::position_loss p{plain, v - ret, false};
    if (o.clip) {
      const double old = double(ov(i, t));
      const double vc = std::clamp(v, old - *o.clip, old + *o.clip);
      const double clipped = 0.5 * (vc - ret) * (vc - ret);
      if (clipped > plain) p = {clipped, 0.0, true};  // v outside the clip range: flat in v
    }
    return p;
  });
}

}  // namespace posttrain::reward
