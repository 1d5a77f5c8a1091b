// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <posttrain/backends/eigen.hpp>
#define POSTTRAIN_TEST_BACKEND "eigen"
using test_backend = posttrain::eigen_backend;
struct test_env {
  test_backend backend() const { return {}; }
};
