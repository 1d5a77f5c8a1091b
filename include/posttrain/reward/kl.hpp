// SPDX-License-Identifier: Apache-2.0
#pragma once
// Per-token KL penalties and the reward they shape, for a batch [B, T] with an action mask
// (≠ 0 on generated tokens):
//
//   Δ = logp − logp_ref     k1 = Δ      k2 = Δ²/2      k3 = e^{−Δ} − 1 + Δ      abs = |Δ|
//
// (Schulman's estimators; OpenRLHF clamps every estimator to [−10, 10], verl its k3
// "low_var_kl" likewise: `clamp`). The shaped reward is
//
//   r_t = clip(score_t, ±c) − β·KL_t,  score_t = token_score_t (+ sequence_score at the last
//                                                 position with mask ≠ 0)
//
// (OpenRLHF's compute_reward with c = reward_clip_range; the clip applies to the score at each
// position after the sequence score is added). Masked positions get 0 whatever they hold: a NaN
// or Inf in a masked slot of any input never reaches an output.
//
// adaptive_kl_controller is trl's and OpenRLHF's: e = clip(KL/target − 1, ±0.2),
// β ← β·(1 + e·n_steps/horizon).

#include <algorithm>
#include <cmath>
#include <optional>

#include "../core.hpp"
#include "mask.hpp"

namespace posttrain::reward {

enum class kl_estimator { k1, k2, k3, abs };

struct kl_options {
  kl_estimator estimator = kl_estimator::k1;
  /// Clamp every estimate to [−clamp, clamp] (OpenRLHF: 10); none by default.
  std::optional<double> clamp = std::nullopt;
};

namespace detail {

/// The estimator of Δ as plain values, for host and device code (k3 exact for large |Δ| too).
POSTTRAIN_HOST_DEVICE inline double kl_of(double delta, kl_estimator e, bool clamped, double clamp) {
  double k = delta;
  switch (e) {
    case kl_estimator::k1: break;
    case kl_estimator::k2: k = 0.5 * delta * delta; break;
    // e^{−Δ} − 1 + Δ = expm1(−Δ) + Δ, without the cancellation of exp(−Δ) − 1 near Δ = 0.
    case kl_estimator::k3: k = ::expm1(-delta) + delta; break;
    case kl_estimator::abs: k = ::fabs(delta); break;
  }
  if (clamped) k = k < -clamp ? -clamp : (k > clamp ? clamp : k);
  return k;
}

/// out = KL estimate of logp − logp_ref where mask ≠ 0, else 0 (an ops::map functor).
struct kl_fn {
  kl_estimator estimator;
  bool clamped;
  double clamp;
  template <class L, class R, class M>
  POSTTRAIN_HOST_DEVICE double operator()(L logp, R logp_ref, M m) const {
    return valid(m) ? kl_of(double(logp) - double(logp_ref), estimator, clamped, clamp) : 0.0;
  }
};

template <class A, class B, class M, class O>
void check_batch(std::string_view who, std::string_view a_name, const A& a, std::string_view b_name, const B& b,
                 const M& mask, const O& out) {
  posttrain::detail::check_same_shape(who, a_name, a, b_name, b);
  posttrain::detail::check_same_shape(who, a_name, a, "mask", mask);
  posttrain::detail::check_same_shape(who, a_name, a, "out", out);
}

}  // namespace detail

/// The estimator of Δ = logp − logp_ref (double precision).
inline double kl_estimate(double delta, const kl_options& o) {
  return detail::kl_of(delta, o.estimator, o.clamp.has_value(), o.clamp.value_or(0.0));
}

/// out[b, t] = KL estimate of logp − logp_ref where mask ≠ 0, 0 elsewhere.
template <backend B, tensor_of_rank<2> L, tensor_of_rank<2> R, tensor_of_rank<2> M, tensor_of_rank<2> O>
  requires accessible_by<L, B> && accessible_by<R, B> && accessible_by<M, B> && accessible_by<O, B> &&
           mutable_tensor<O>
void kl_penalty(const B& be, const L& logp, const R& logp_ref, const M& mask, const O& out,
                const kl_options& o = {}) {
  detail::check_batch("reward::kl_penalty", "logp", logp, "logp_ref", logp_ref, mask, out);
  if (o.clamp && !(*o.clamp >= 0))
    throw value_error(posttrain::detail::message("posttrain::reward::kl_penalty: clamp is ", *o.clamp,
                                                 "; it must be ≥ 0"));
  ops::map(be, detail::kl_fn{o.estimator, o.clamp.has_value(), o.clamp.value_or(0.0)}, logp, logp_ref, mask, out);
}

struct shaped_reward_options {
  /// β, the weight of the KL penalty.
  double kl_coef = 0.05;
  /// Clip the score at each position to [−clip, clip] (OpenRLHF's reward_clip_range).
  std::optional<double> clip = std::nullopt;
};

namespace detail {


template <bool with_token_scores>
struct shaped_rewards_kernel {
  double kl_coef;
  bool clipped;
  double clip;

  template <class Team, class S, class Q, class K, class M, class O>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const S& token_scores, const Q& sequence_scores,
                                        const K& kl, const M& mask, const O& out) const {
    using T = typename O::value_type;
    const index_t n = kl.extent(1);
    const index_t last = team.reduce(n, reduction::last_index{}, [&](index_t j) { return valid(mask(i, j)) ? j : index_t(-1); });
    team.for_each(n, [&](index_t j) {
      double score = 0;
      if constexpr (with_token_scores) score = double(token_scores(i, j));
      if (j == last) score += double(sequence_scores(i));
      if (clipped) score = score < -clip ? -clip : (score > clip ? clip : score);
      out(i, j) = valid(mask(i, j)) ? static_cast<T>(score - kl_coef * double(kl(i, j))) : T(0);
    });
  }
};

template <bool with_token_scores, class B, class S, class Q, class K, class M, class O>
void shape_rewards(const B& be, const S& token_scores, const Q& sequence_scores, const K& kl, const M& mask,
                   const O& out, const shaped_reward_options& o) {
  constexpr std::string_view who = "reward::shaped_rewards";
  posttrain::detail::check_same_shape(who, "kl", kl, "mask", mask);
  posttrain::detail::check_same_shape(who, "kl", kl, "out", out);
  if constexpr (with_token_scores) posttrain::detail::check_same_shape(who, "kl", kl, "token_scores", token_scores);
  posttrain::detail::check_extent(who, "sequence_scores", sequence_scores, 0, kl.extent(0), "one score per row of kl");
  if (!std::isfinite(o.kl_coef))
    throw value_error(posttrain::detail::message("posttrain::", who, ": kl_coef is ", o.kl_coef, "; it must be finite"));
  if (o.clip && !(*o.clip >= 0))
    throw value_error(posttrain::detail::message("posttrain::", who, ": clip is ", *o.clip, "; it must be ≥ 0"));
  ops::for_each_row(be, kl.extent(0),
                    shaped_rewards_kernel<with_token_scores>{o.kl_coef, o.clip.has_value(), o.clip.value_or(0.0)},
                    posttrain::detail::to_const_view(token_scores), posttrain::detail::to_const_view(sequence_scores),
                    posttrain::detail::to_const_view(kl), posttrain::detail::to_const_view(mask),
                    posttrain::detail::to_view(out));
}

}  // namespace detail

/// out = clip(score) − β·kl at positions with mask ≠ 0 (0 elsewhere), where score is
/// token_scores [B, T] plus sequence_scores [B] at each row's last valid position. A row with
/// no valid position gets zeros (its sequence score has nowhere to go).
template <backend B, tensor_of_rank<2> S, tensor_of_rank<1> Q, tensor_of_rank<2> K, tensor_of_rank<2> M,
          tensor_of_rank<2> O>
  requires accessible_by<S, B> && accessible_by<Q, B> && accessible_by<K, B> && accessible_by<M, B> &&
           accessible_by<O, B> && mutable_tensor<O>
void shaped_rewards(const B& be, const S& token_scores, const Q& sequence_scores, const K& kl, const M& mask,
                    const O& out, const shaped_reward_options& o = {}) {
  detail::shape_rewards<true>(be, token_scores, sequence_scores, kl, mask, out, o);
}

/// The same with sequence scores only (OpenRLHF, trl: one reward-model score per response).
template <backend B, tensor_of_rank<1> Q, tensor_of_rank<2> K, tensor_of_rank<2> M, tensor_of_rank<2> O>
  requires accessible_by<Q, B> && accessible_by<K, B> && accessible_by<M, B> && accessible_by<O, B> &&
           mutable_tensor<O>
void shaped_rewards(const B& be, const Q& sequence_scores, const K& kl, const M& mask, const O& out,
                    const shaped_reward_options& o = {}) {
  detail::shape_rewards<false>(be, kl, sequence_scores, kl, mask, out, o);
}

/// trl's AdaptiveKLController (OpenRLHF's too): β follows the measured KL towards a target.
class adaptive_kl_controller {
 public:
  adaptive_kl_controller(double initial_coef, double target, double horizon)
      : coef_(initial_coef), target_(target), horizon_(horizon) {
    if (!(initial_coef >= 0) || !(target > 0) || !(horizon > 0))
      throw value_error(posttrain::detail::message(
          "posttrain::reward::adaptive_kl_controller: initial_coef ", initial_coef, ", target ", target, ", horizon ",
          horizon, "; need initial_coef ≥ 0, target > 0, horizon > 0"));
  }
  /// After a step of n_steps samples with mean KL `current`; returns the new β.
  double update(double current, double n_steps) {
    if (!std::isfinite(current))
      throw value_error(posttrain::detail::message("posttrain::reward::adaptive_kl_controller::update: current KL is ",
                                                   current, "; it must be finite"));
    const double error = std::clamp(current / target_ - 1.0, -0.2, 0.2);
    coef_ *= 1.0 + error * n_steps / horizon_;
    return coef_;
  }
  double value() const { return coef_; }

 private:
  double coef_, target_, horizon_;
};

}  // namespace posttrain::reward
