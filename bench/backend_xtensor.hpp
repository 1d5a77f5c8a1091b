// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <posttrain/backends/xtensor.hpp>
using bench_backend = posttrain::xtensor_backend;
