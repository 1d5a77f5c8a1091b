// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <posttrain/core.hpp>
#define POSTTRAIN_TEST_BACKEND "sequential"
using test_backend = posttrain::sequential_backend;
struct test_env {
  test_backend backend() const { return {}; }
};
