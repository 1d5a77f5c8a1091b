// SPDX-License-Identifier: Apache-2.0
#pragma once
// Everything in posttrain/core: views, concepts, errors, RNG, functors, reductions, ops.
#include "core/backend.hpp"
#include "core/checks.hpp"
#include "core/concepts.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/functors.hpp"
#include "core/host_buffer.hpp"
#include "core/memory.hpp"
#include "core/ops.hpp"
#include "core/reductions.hpp"
#include "core/rng.hpp"
#include "core/row_kernel.hpp"
#include "core/spaces.hpp"
#include "core/symmetric_eigen.hpp"
#include "core/tensor_view.hpp"
