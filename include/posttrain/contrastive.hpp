// SPDX-License-Identifier: Apache-2.0
#pragma once
// Contrastive losses with gradients: GraphCL, InfoNCE, NT-Xent; GraphCoCo's complementary loss
// over highlighted dimensions; the per-dimension and effective-rank diagnostics.
#include "contrastive/complement.hpp"
#include "contrastive/diagnostics.hpp"
#include "contrastive/infonce.hpp"
#include "contrastive/normalise.hpp"
