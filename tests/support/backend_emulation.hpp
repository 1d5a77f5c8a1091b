// SPDX-License-Identifier: Apache-2.0
#pragma once
// The team-emulation backend; POSTTRAIN_EMULATION_LANES sets the lanes (ctest runs 1, 7, 32, 256).
#include <cstdlib>
#include <string>

#include "support/team_emulation.hpp"
#define POSTTRAIN_TEST_BACKEND "emulation"
using test_backend = posttrain::testing::team_emulation_backend;
struct test_env {
  test_backend backend() const {
    const char* lanes = std::getenv("POSTTRAIN_EMULATION_LANES");
    return {lanes ? std::stoi(lanes) : 32};
  }
};
