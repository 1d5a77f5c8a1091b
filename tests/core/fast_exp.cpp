// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include <posttrain/core/detail/fast_exp.hpp>

TEST_CASE("exp_nonpositive: within 2 ulp of std::exp for -87.3 ≤ x ≤ 0, clamped below") {
  double worst = 0;
  for (int k = 0; k <= 2'000'000; ++k) {
    const float x = -87.3f * float(k) / 2'000'000.0f;
    const double exact = std::exp(double(x));
    const double ulp = double(std::nextafter(float(exact), std::numeric_limits<float>::infinity())) - double(float(exact));
    worst = std::max(worst, std::abs(double(posttrain::detail::exp_nonpositive(x)) - exact) / ulp);
  }
  CHECK(worst <= 2.0);
  CHECK(posttrain::detail::exp_nonpositive(0.0f) == 1.0f);
  CHECK(posttrain::detail::exp_nonpositive(-1000.0f) > 0.0f);
  CHECK(posttrain::detail::exp_nonpositive(-1000.0f) < 2e-38f);
  CHECK(posttrain::detail::exp_nonpositive(-std::numeric_limits<float>::infinity()) < 2e-38f);
}
