// SPDX-License-Identifier: Apache-2.0
#pragma once
// The whole library (backends are included separately: posttrain/backends/<name>.hpp).
#include "core.hpp"
#include "collapse.hpp"
#include "contrastive.hpp"
#include "io.hpp"
#include "reward.hpp"
#include "value.hpp"
#include "rm_eval.hpp"
#include "simplify.hpp"
