// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <posttrain/backends/eigen.hpp>
using bench_backend = posttrain::eigen_backend;
