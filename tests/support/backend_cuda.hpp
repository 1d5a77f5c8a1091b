// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <posttrain/backends/cuda.cuh>
#define POSTTRAIN_TEST_BACKEND "cuda"
using test_backend = posttrain::cuda_backend;
struct test_env {
  posttrain::cuda::context ctx;
  test_backend backend() const { return test_backend{ctx}; }
};
