// SPDX-License-Identifier: Apache-2.0
#pragma once
// Reward-model evaluation: accuracy measured several ways, best-of-N, rank correlations,
// bootstrap intervals, per-prompt batched metrics on the backends.
#include "rm_eval/accuracy.hpp"
#include "rm_eval/batched.hpp"
#include "rm_eval/best_of_n.hpp"
#include "rm_eval/bootstrap.hpp"
#include "rm_eval/correlation.hpp"
#include "rm_eval/pooled.hpp"
#include "rm_eval/prompt_correlation.hpp"
