// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <posttrain/backends/xtensor.hpp>
#define POSTTRAIN_TEST_BACKEND "xtensor"
using test_backend = posttrain::xtensor_backend;
struct test_env {
  test_backend backend() const { return {}; }
};
