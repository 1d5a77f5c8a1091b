// SPDX-License-Identifier: Apache-2.0
#pragma once
// The value module: logit-level value adaptation (Inverse Value Learning) and the decoding it
// plugs into.
//   value/combine.hpp    residual, proxy tuning, EFT, CMC, contrastive decoding
//   value/ivl_loss.hpp   the value network's loss and gradient; masked token cross-entropy
//   value/cascade.hpp    the expected embedding softmax(z_B)·E and its backward
//   value/vocab_map.hpp  cross-vocabulary maps: one-to-one, DTW alignment, apply, save/load
//   value/decode.hpp     temperature, top-k, top-p, min-p, greedy, seeded sampling
#include "value/cascade.hpp"
#include "value/combine.hpp"
#include "value/decode.hpp"
#include "value/ivl_loss.hpp"
#include "value/vocab_map.hpp"
