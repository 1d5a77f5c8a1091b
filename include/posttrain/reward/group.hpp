// SPDX-License-Identifier: Apache-2.0
#pragma once
// Critic-free advantage estimators of RL for LLMs. Outcome estimators take one score per
// response and the id of the prompt (group) each response answers:
//
//   GRPO        A_i = (r_i − mean_g) / (std_g + ε)      std unbiased (torch.std), ε = 1e-6;
//               scale_by_std = false gives Dr. GRPO's r_i − mean_g
//   RLOO        A_i = r_i − mean of the other members = (n·r_i − Σ_g r) / (n − 1)
//
// A group with one member gets A = r_i (GRPO: mean 0, std 1 as verl does, so r_i/(1 + ε);
// RLOO: no baseline). A group whose rewards are all equal gets 0 (GRPO divides 0 by ε).
// outcome_advantages() then broadcasts each response's advantage over its valid tokens (on any
// backend). The group statistics themselves are host code: groups are keyed by arbitrary ids in a
// hash map, over one number per response.
//
//   REINFORCE++ the discounted returns of the token rewards (reset at masked positions, or with
//               mask_semantics::skip carried through them), whitened over the batch, times the
//               mask (verl's reinforce_plus_plus).
//
// A response with no valid token (counted[i] = 0) is left out of its group's mean and standard
// deviation and gets advantage 0: an empty or truncated-away response must not move the baseline
// of the others. GRPO's std_floor (default 0, verl's and trl's formula) bounds the divisor from
// below: with near-equal rewards the group std is rounding noise, and dividing by it turns that
// noise into advantages of order 1 (NeMo-RL#4161, OpenRLHF#1239); a floor of about 1e-3 of the
// reward scale keeps such groups near 0.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core.hpp"
#include "gae.hpp"
#include "mask.hpp"
#include "whitening.hpp"

namespace posttrain::reward {

struct grpo_options {
  double epsilon = 1e-6;
  /// false: Dr. GRPO (no division by the group's standard deviation).
  bool scale_by_std = true;
  /// The divisor is max(std, std_floor) + epsilon; 0 keeps the peers' formula.
  double std_floor = 0;
};

namespace detail {

struct group_moments {
  double n = 0, sum = 0, mean = 0, m2 = 0;
};

/// Per-group count, sum, mean and M2 (two passes, exact), groups keyed by id.
/// Per-group count, sum, mean and M2 (two passes, exact) of the counted responses, groups keyed
/// by id. counted empty: every response counts; else one flag per score.
inline std::unordered_map<std::int64_t, group_moments> group_statistics(std::string_view who,
                                                                        std::span<const double> scores,
                                                                        std::span<const std::int64_t> group,
                                                                        std::span<const std::uint8_t> counted) {
  if (scores.size() != group.size())
    throw shape_error(posttrain::detail::message("posttrain::", who, ": scores has ", scores.size(),
                                                 " elements but group has ", group.size(), "; one id per score"));
  if (!counted.empty() && counted.size() != scores.size())
    throw shape_error(posttrain::detail::message("posttrain::", who, ": counted has ", counted.size(),
                                                 " elements but scores has ", scores.size(), "; one flag per score"));
  const auto counts = [&](std::size_t i) { return counted.empty() || counted[i] != 0; };
  std::unordered_map<std::int64_t, group_moments> g;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    auto& m = g[group[i]];
    if (!counts(i)) continue;
    if (!std::isfinite(scores[i]))
      throw value_error(posttrain::detail::message("posttrain::", who, ": scores[", i, "] is ", scores[i],
                                                   "; scores must be finite"));
    m.n += 1;
    m.sum += scores[i];
  }
  for (auto& [id, m] : g) m.mean = m.n > 0 ? m.sum / m.n : 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (counts(i)) {
      auto& m = g[group[i]];
      m.m2 += (scores[i] - m.mean) * (scores[i] - m.mean);
    }
  return g;
}

}  // namespace detail

/// GRPO's group-normalised advantage of each response; counted (optional, one flag per response:
/// does it have a valid token?) leaves the others out of the group statistics, with advantage 0.
inline std::vector<double> grpo_advantages(std::span<const double> scores, std::span<const std::int64_t> group,
                                           const grpo_options& o = {}, std::span<const std::uint8_t> counted = {}) {
  if (!(o.std_floor >= 0) || !std::isfinite(o.std_floor) || !(o.epsilon >= 0))
    throw value_error(posttrain::detail::message("posttrain::reward::grpo_advantages: std_floor ", o.std_floor,
                                                 " and epsilon ", o.epsilon, " must be finite and ≥ 0"));
  const auto g = detail::group_statistics("reward::grpo_advantages", scores, group, counted);
  std::vector<double> a(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!counted.empty() && counted[i] == 0) continue;
    const auto& m = g.at(group[i]);
    const double mean = m.n > 1 ? m.mean : 0.0, std = m.n > 1 ? std::sqrt(m.m2 / (m.n - 1)) : 1.0;
    a[i] = o.scale_by_std ? (scores[i] - mean) / (std::max(std, o.std_floor) + o.epsilon) : scores[i] - mean;
  }
  return a;
}

/// RLOO's leave-one-out advantage of each response; counted as for grpo_advantages.
inline std::vector<double> rloo_advantages(std::span<const double> scores, std::span<const std::int64_t> group,
                                           std::span<const std::uint8_t> counted = {}) {
  const auto g = detail::group_statistics("reward::rloo_advantages", scores, group, counted);
  std::vector<double> a(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!counted.empty() && counted[i] == 0) continue;
    const auto& m = g.at(group[i]);
    a[i] = m.n > 1 ? scores[i] - (m.sum - scores[i]) / (m.n - 1) : scores[i];
  }
  return a;
}

namespace detail {

/// advantage where the mask is set, else 0 (an ops::map functor).
struct where_valid {
  template <class A, class M>
  POSTTRAIN_HOST_DEVICE double operator()(A advantage, M m) const {
    return valid(m) ? double(advantage) : 0.0;
  }
};

}  // namespace detail

/// out[b, t] = advantage[b] where mask ≠ 0, 0 elsewhere; advantage [B] on the backend.
template <backend B, tensor_of_rank<1> D, tensor_of_rank<2> M, tensor_of_rank<2> O>
  requires accessible_by<D, B> && accessible_by<M, B> && accessible_by<O, B> && mutable_tensor<O>
void outcome_advantages(const B& be, const D& advantage, const M& mask, const O& out) {
  constexpr std::string_view who = "reward::outcome_advantages";
  posttrain::detail::check_same_shape(who, "mask", mask, "out", out);
  posttrain::detail::check_extent(who, "advantage", advantage, 0, mask.extent(0), "one advantage per row of mask");
  const auto per_row = broadcast_columns(posttrain::detail::to_const_view(advantage), mask.extent(1));
  ops::map(be, detail::where_valid{}, per_row, mask, out);
}

/// The same with the advantages in host memory (grpo_advantages' and rloo_advantages' result):
/// they are copied to the backend first.
template <backend B, tensor_of_rank<2> M, tensor_of_rank<2> O>
  requires accessible_by<M, B> && accessible_by<O, B> && mutable_tensor<O>
void outcome_advantages(const B& be, std::span<const double> advantage, const M& mask, const O& out) {
  if (index_t(advantage.size()) != mask.extent(0))
    throw shape_error(posttrain::detail::message("posttrain::reward::outcome_advantages: advantage has ",
                                                 advantage.size(), " elements but mask is ",
                                                 posttrain::detail::to_view(mask), "; one advantage per row"));
  auto a = allocate<double>(be, {index_t(advantage.size())});
  deep_copy(be, tensor_view<const double, 1>(advantage.data(), index_t(advantage.size())), a.view());
  outcome_advantages(be, std::as_const(a).view(), mask, out);
}

/// REINFORCE++ advantages [B, T] of token rewards [B, T]; returns the statistics used.
template <backend B, tensor_of_rank<2> R, tensor_of_rank<2> M, tensor_of_rank<2> O>
  requires accessible_by<R, B> && accessible_by<M, B> && accessible_by<O, B> && mutable_tensor<O>
whitening_statistics reinforce_plus_plus_advantages(const B& be, const R& rewards, const M& mask, const O& out,
                                                    double gamma = 1.0, const whiten_options& w = {},
                                                    mask_semantics masking = mask_semantics::zero) {
  const auto stats = discounted_returns(be, rewards, mask, out, gamma, masking);
  whiten(be, out, stats, out, w);
  ops::map(be, detail::where_valid{}, out, mask, out);
  return stats;
}

}  // namespace posttrain::reward
