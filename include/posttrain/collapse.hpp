// SPDX-License-Identifier: Apache-2.0
#pragma once
// Neural-collapse metrics NC1–NC4: streaming, mergeable statistics and the metrics computed
// from them, per layer.
#include "collapse/nc_metrics.hpp"
#include "collapse/stats.hpp"
#include "io/collapse_statistics.hpp"
