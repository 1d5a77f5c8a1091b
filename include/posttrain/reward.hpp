// SPDX-License-Identifier: Apache-2.0
#pragma once
// The reward module: fine-grained reward tracing (RLFH) and the PPO maths it feeds.
//   reward/alignment.hpp   longest common substring (suffix automaton) and subsequence
//   reward/tracing.hpp     statement feedback → token rewards
//   reward/kl.hpp          KL estimators, shaped rewards, the adaptive KL controller
//   reward/gae.hpp         GAE (trl's and verl's mask semantics), discounted returns
//   reward/whitening.hpp   masked, mergeable whitening
//   reward/losses.hpp      PPO's clipped policy and value losses with gradients
//   reward/group.hpp       GRPO, RLOO, REINFORCE++
#include "reward/alignment.hpp"
#include "reward/gae.hpp"
#include "reward/group.hpp"
#include "reward/kl.hpp"
#include "reward/losses.hpp"
#include "reward/tracing.hpp"
#include "reward/whitening.hpp"
