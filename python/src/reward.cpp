// SPDX-License-Identifier: Apache-2.0
// The reward module's bindings: GAE, whitening, the KL estimators, PPO's losses with their
// gradients, and the critic-free advantages (GRPO, RLOO, REINFORCE++).

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <posttrain/reward/gae.hpp>
#include <posttrain/reward/group.hpp>
#include <posttrain/reward/kl.hpp>
#include <posttrain/reward/losses.hpp>
#include <posttrain/reward/whitening.hpp>

#include "arrays.hpp"

namespace posttrain_python {
namespace {

pt::reward::mask_semantics parse_masking(const std::string& m) {
  if (m == "zero") return pt::reward::mask_semantics::zero;
  if (m == "skip") return pt::reward::mask_semantics::skip;
  throw nb::value_error(("masking must be 'zero' (trl, OpenRLHF) or 'skip' (verl, multi-turn), not '" + m + "'").c_str());
}

nb::tuple compute_gae(const any_array& rewards, const any_array& values, const std::optional<any_array>& mask,
                      double gamma, double lam, const std::string& masking) {
  const kind k = common_kind({{&rewards, "rewards"}, {&values, "values"}});
  pt::reward::gae_options o;
  o.gamma = gamma;
  o.lambda = lam;
  o.masking = parse_masking(masking);
  const auto rows = rewards.shape(0), cols = rewards.shape(1);
  const auto run = [&]<class T>(T) {
    auto [advantages, a] = new_array<T>(rows, cols);
    auto [returns, r] = new_array<T>(rows, cols);
    with_mask(mask, pt::index_t(rows), pt::index_t(cols), [&](auto m) {
      nb::gil_scoped_release released;
      pt::reward::gae(backend, view_of<T>(rewards), view_of<T>(values), m, a, r, o);
    });
    return nb::make_tuple(advantages, returns);
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

pt::reward::whiten_options whiten_preset(const std::optional<std::string>& preset, std::optional<bool> shift_mean,
                                         std::optional<bool> unbiased, std::optional<double> eps) {
  pt::reward::whiten_options o;
  if (preset) {
    if (*preset == "trl") o = pt::reward::whiten_options::trl();
    else if (*preset == "verl") o = pt::reward::whiten_options::verl();
    else if (*preset == "openrlhf") o = pt::reward::whiten_options::openrlhf();
    else throw nb::value_error(("preset must be 'trl', 'verl' or 'openrlhf', not '" + *preset + "'").c_str());
  }
  if (shift_mean) o.shift_mean = *shift_mean;
  if (unbiased) o.unbiased = *unbiased;
  if (eps) o.epsilon = *eps;
  return o;
}

nb::object masked_whiten(const any_array& x, const std::optional<any_array>& mask, bool shift_mean,
                         const std::optional<std::string>& preset, std::optional<bool> unbiased, std::optional<double> eps,
                         const std::optional<nb::object>& out_array) {
  const kind k = common_kind({{&x, "x"}});
  const auto o = whiten_preset(preset, shift_mean, unbiased, eps);
  const auto run = [&]<class T>(T) -> nb::object {
    // out may be x itself: the statistics are taken before anything is written.
    auto [out, view] = output_2d<T>(out_array, x.shape(0), x.shape(1));
    with_mask(mask, pt::index_t(x.shape(0)), pt::index_t(x.shape(1)), [&](auto m) {
      nb::gil_scoped_release released;
      pt::reward::masked_whiten(backend, view_of<T>(x), m, view, o);
    });
    return out;
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

nb::object kl_penalty(const any_array& logp, const any_array& ref_logp, const std::optional<any_array>& mask,
                      const std::string& kind_name, std::optional<double> clamp, const std::optional<nb::object>& out_array) {
  const kind k = common_kind({{&logp, "logp"}, {&ref_logp, "ref_logp"}});
  pt::reward::kl_options o;
  if (kind_name == "k1") o.estimator = pt::reward::kl_estimator::k1;
  else if (kind_name == "k2") o.estimator = pt::reward::kl_estimator::k2;
  else if (kind_name == "k3") o.estimator = pt::reward::kl_estimator::k3;
  else if (kind_name == "abs") o.estimator = pt::reward::kl_estimator::abs;
  else throw nb::value_error(("kind must be 'k1', 'k2', 'k3' or 'abs', not '" + kind_name + "'").c_str());
  o.clamp = clamp;
  const auto run = [&]<class T>(T) -> nb::object {
    // Element-wise: out may be logp or ref_logp.
    auto [out, view] = output_2d<T>(out_array, logp.shape(0), logp.shape(1));
    with_mask(mask, pt::index_t(logp.shape(0)), pt::index_t(logp.shape(1)), [&](auto m) {
      nb::gil_scoped_release released;
      pt::reward::kl_penalty(backend, view_of<T>(logp), view_of<T>(ref_logp), m, view, o);
    });
    return out;
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

/// clip(score) − β·kl at valid positions, the score being token_scores (optional) plus each row's
/// sequence score at its last valid position: trl's and OpenRLHF's per-token PPO reward.
nb::object shaped_rewards(const any_array& kl, const any_array& sequence_scores, const std::optional<any_array>& mask,
                          const std::optional<any_array>& token_scores, double kl_coef, std::optional<double> clip,
                          const std::optional<nb::object>& out_array) {
  const kind k = token_scores ? common_kind({{&kl, "kl"}, {&*token_scores, "token_scores"}}) : common_kind({{&kl, "kl"}});
  const auto scores = doubles_of(sequence_scores, "sequence_scores");
  const pt::reward::shaped_reward_options o{kl_coef, clip};
  const auto run = [&]<class T>(T) -> nb::object {
    // Each position is read before it is written: out may be kl.
    auto [out, view] = output_2d<T>(out_array, kl.shape(0), kl.shape(1));
    const pt::tensor_view<const double, 1> seq(scores.data(), pt::index_t(scores.size()));
    with_mask(mask, pt::index_t(kl.shape(0)), pt::index_t(kl.shape(1)), [&](auto m) {
      nb::gil_scoped_release released;
      if (token_scores) pt::reward::shaped_rewards(backend, view_of<T>(*token_scores), seq, view_of<T>(kl), m, view, o);
      else pt::reward::shaped_rewards(backend, seq, view_of<T>(kl), m, view, o);
    });
    return out;
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

/// verl's loss_agg_mode names, and the library's own.
pt::reward::loss_aggregation parse_aggregation(const std::string& m) {
  if (m == "token-mean" || m == "token_mean") return pt::reward::loss_aggregation::token_mean;
  if (m == "seq-mean-token-mean" || m == "sequence_mean") return pt::reward::loss_aggregation::sequence_mean;
  if (m == "seq-mean-token-sum" || m == "sequence_sum") return pt::reward::loss_aggregation::sequence_sum;
  throw nb::value_error(("loss_agg_mode must be 'token-mean', 'seq-mean-token-mean' or 'seq-mean-token-sum', not '" +
                         m + "'")
                            .c_str());
}

nb::dict loss_info(const pt::reward::ppo_loss_result& r, bool policy) {
  nb::dict d;
  d["clip_fraction"] = r.clip_fraction;
  if (policy) d["approx_kl"] = r.approx_kl;
  d["valid_positions"] = r.valid_positions;
  return d;
}

nb::tuple policy_loss(const any_array& logp, const any_array& logp_old, const any_array& advantages,
                      const std::optional<any_array>& mask, double clip_low, std::optional<double> clip_high,
                      std::optional<double> dual_clip, const std::string& loss_agg_mode) {
  const kind k = common_kind({{&logp, "logp"}, {&logp_old, "logp_old"}, {&advantages, "advantages"}});
  pt::reward::policy_loss_options o;
  o.clip_low = clip_low;
  o.clip_high = clip_high.value_or(clip_low);
  o.dual_clip = dual_clip;
  o.aggregation = parse_aggregation(loss_agg_mode);
  const auto run = [&]<class T>(T) {
    auto [grad, g] = new_array<T>(logp.shape(0), logp.shape(1));
    pt::reward::ppo_loss_result r;
    with_mask(mask, pt::index_t(logp.shape(0)), pt::index_t(logp.shape(1)), [&](auto m) {
      nb::gil_scoped_release released;
      r = pt::reward::policy_loss_and_gradient(backend, view_of<T>(logp), view_of<T>(logp_old), view_of<T>(advantages),
                                               m, g, o);
    });
    return nb::make_tuple(r.loss, grad, loss_info(r, true));
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

nb::tuple value_loss(const any_array& values, const any_array& old_values, const any_array& returns,
                     const std::optional<any_array>& mask, std::optional<double> clip, const std::string& loss_agg_mode) {
  const kind k = common_kind({{&values, "values"}, {&old_values, "old_values"}, {&returns, "returns"}});
  pt::reward::value_loss_options o;
  o.clip = clip;
  o.aggregation = parse_aggregation(loss_agg_mode);
  const auto run = [&]<class T>(T) {
    auto [grad, g] = new_array<T>(values.shape(0), values.shape(1));
    pt::reward::ppo_loss_result r;
    with_mask(mask, pt::index_t(values.shape(0)), pt::index_t(values.shape(1)), [&](auto m) {
      nb::gil_scoped_release released;
      r = pt::reward::value_loss_and_gradient(backend, view_of<T>(values), view_of<T>(old_values), view_of<T>(returns),
                                              m, g, o);
    });
    return nb::make_tuple(r.loss, grad, loss_info(r, false));
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

nb::ndarray<nb::numpy, double, nb::ndim<1>> grpo_advantages(const any_array& scores, const any_array& group,
                                                             double eps, bool scale_by_std, double std_floor,
                                                             const std::optional<any_array>& counted) {
  const auto s = doubles_of(scores, "scores");
  const auto g = ids_of(group, s.size());
  const auto c = flags_of(counted, s.size());
  pt::reward::grpo_options o;
  o.epsilon = eps;
  o.scale_by_std = scale_by_std;
  o.std_floor = std_floor;
  return to_numpy(pt::reward::grpo_advantages(s, g, o, c));
}

nb::ndarray<nb::numpy, double, nb::ndim<1>> rloo_advantages(const any_array& scores, const any_array& group,
                                                             const std::optional<any_array>& counted) {
  const auto s = doubles_of(scores, "scores");
  const auto g = ids_of(group, s.size());
  const auto c = flags_of(counted, s.size());
  return to_numpy(pt::reward::rloo_advantages(s, g, c));
}

nb::object reinforce_plus_plus_advantages(const any_array& rewards, const std::optional<any_array>& mask, double gamma,
                                          const std::string& masking, const std::optional<std::string>& preset) {
  const kind k = common_kind({{&rewards, "rewards"}});
  const auto w = whiten_preset(preset.value_or("verl"), std::nullopt, std::nullopt, std::nullopt);
  const auto semantics = parse_masking(masking);
  const auto run = [&]<class T>(T) -> nb::object {
    auto [out, view] = new_array<T>(rewards.shape(0), rewards.shape(1));
    with_mask(mask, pt::index_t(rewards.shape(0)), pt::index_t(rewards.shape(1)), [&](auto m) {
      nb::gil_scoped_release released;
      pt::reward::reinforce_plus_plus_advantages(backend, view_of<T>(rewards), m, view, gamma, w, semantics);
    });
    return nb::cast(out);
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

}  // namespace

void bind_reward(nb::module_& m) {
  m.def("compute_gae", &compute_gae, nb::arg("rewards"), nb::arg("values"), nb::arg("mask") = nb::none(),
        nb::arg("gamma") = 1.0, nb::arg("lam") = 0.95, nb::arg("masking") = "zero",
        "Advantages and returns [B, T] of rewards and values [B, T] (GAE), no bootstrap past the end.");
  m.def("masked_whiten", &masked_whiten, nb::arg("x"), nb::arg("mask") = nb::none(), nb::arg("shift_mean") = true,
        nb::arg("preset") = nb::none(), nb::arg("unbiased") = nb::none(), nb::arg("eps") = nb::none(),
        nb::arg("out") = nb::none(),
        "(x - mean) * rsqrt(var + eps), the statistics over mask != 0; written into out when given (x itself "
        "whitens in place).");
  m.def("kl_penalty", &kl_penalty, nb::arg("logp"), nb::arg("ref_logp"), nb::arg("mask") = nb::none(),
        nb::arg("kind") = "k1", nb::arg("clamp") = nb::none(), nb::arg("out") = nb::none(),
        "The per-token KL estimate of logp - ref_logp where mask != 0, 0 elsewhere; written into out when given.");
  m.def("shaped_rewards", &shaped_rewards, nb::arg("kl"), nb::arg("sequence_scores"), nb::arg("mask") = nb::none(),
        nb::arg("token_scores") = nb::none(), nb::arg("kl_coef") = 0.05, nb::arg("clip") = nb::none(),
        nb::arg("out") = nb::none(),
        "The per-token PPO reward [B, T]: clip(score) - kl_coef * kl where mask != 0 (0 elsewhere), score = "
        "token_scores (optional) plus sequence_scores[b] at row b's last valid position.");
  m.def("policy_loss", &policy_loss, nb::arg("logp"), nb::arg("logp_old"), nb::arg("advantages"),
        nb::arg("mask") = nb::none(), nb::arg("clip_low") = 0.2, nb::arg("clip_high") = nb::none(),
        nb::arg("dual_clip") = nb::none(), nb::arg("loss_agg_mode") = "token-mean",
        "PPO's clipped surrogate loss: (loss, d loss / d logp [B, T], {clip_fraction, approx_kl, valid_positions}).");
  m.def("value_loss", &value_loss, nb::arg("values"), nb::arg("old_values"), nb::arg("returns"),
        nb::arg("mask") = nb::none(), nb::arg("clip") = 0.2, nb::arg("loss_agg_mode") = "token-mean",
        "PPO's (clipped) value loss: (loss, d loss / d values [B, T], {clip_fraction, valid_positions}).");
  m.def("grpo_advantages", &grpo_advantages, nb::arg("scores"), nb::arg("group"), nb::arg("eps") = 1e-6,
        nb::arg("scale_by_std") = true, nb::arg("std_floor") = 0.0, nb::arg("counted") = nb::none(),
        "GRPO's (r - group mean) / (group std + eps) per response (float64).");
  m.def("rloo_advantages", &rloo_advantages, nb::arg("scores"), nb::arg("group"), nb::arg("counted") = nb::none(),
        "RLOO's leave-one-out advantage per response (float64).");
  m.def("reinforce_plus_plus_advantages", &reinforce_plus_plus_advantages, nb::arg("rewards"),
        nb::arg("mask") = nb::none(), nb::arg("gamma") = 1.0, nb::arg("masking") = "zero",
        nb::arg("preset") = nb::none(),
        "REINFORCE++: discounted returns of token rewards [B, T], whitened over the batch (verl's preset), times the mask.");
}

}  // namespace posttrain_python
