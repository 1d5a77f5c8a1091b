// SPDX-License-Identifier: Apache-2.0
#pragma once
// Readers for the command-line tools and data pipelines: CSV/TSV, JSON Lines, NumPy .npy.
#include "io/csv.hpp"
#include "io/files.hpp"
#include "io/json.hpp"
#include "io/npy.hpp"
