// SPDX-License-Identifier: Apache-2.0
// The arithmetic that makes sampling decisions identical on every backend: exact fixed-point
// sums, and an exp built from IEEE operations only (core/reproducible.hpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <posttrain/core/reproducible.hpp>

namespace pd = posttrain::detail;
using u128 = unsigned __int128;

namespace {
u128 as_u128(pd::fixed96 a) { return (u128(a.hi) << 64) | a.lo; }
double ulps_apart(double a, double b) { return std::abs(a - b) / (std::nextafter(b, INFINITY) - b); }
}  // namespace

TEST_CASE("exp_reproducible: within 2 ulp of libm's exp for −700 < x ≤ 0, 0 below, exactly 1 at 0") {
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> wide(-700, 0), narrow(-1, 0);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const double x = i % 2 ? wide(gen) : narrow(gen);
    const double got = pd::exp_reproducible(x), want = std::exp(x);
    worst = std::max(worst, ulps_apart(got, want));
  }
  CHECK(worst <= 2);
  CHECK(pd::exp_reproducible(0.0) == 1.0);
  CHECK(pd::exp_reproducible(-0.0) == 1.0);
  CHECK(pd::exp_reproducible(-std::numeric_limits<double>::infinity()) == 0.0);
  CHECK(pd::exp_reproducible(-700.5) == 0.0);
  CHECK(pd::exp_reproducible(-699.9) > 0.0);
  CHECK(pd::exp_reproducible(std::log(0.5)) == Approx(0.5).epsilon(1e-15));
}

TEST_CASE("to_fixed96: exact to 2^-96, truncates below, to_double rounds back") {
  std::mt19937_64 gen(5);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int i = 0; i < 100000; ++i) {
    const double p = i % 3 == 0 ? std::ldexp(unit(gen), -int(i % 90)) : unit(gen);
    const pd::fixed96 f = pd::to_fixed96(p);
    // The reference: ⌊p · 2^96⌋ from the exact binary expansion of p.
    int e;
    const double m = std::frexp(p, &e);  // p = m · 2^e, m in [0.5, 1)
    const auto mant = static_cast<std::uint64_t>(std::ldexp(m, 53));
    const int shift = e - 53 + 96;
    const u128 want = p == 0 ? 0 : (shift >= 0 ? u128(mant) << shift : u128(mant) >> -shift);
    REQUIRE(as_u128(f) == want);
    if (p >= 0x1p-43) CHECK(pd::to_double(f) == p);  // 53 bits all above 2^-96: exact
  }
  CHECK(as_u128(pd::to_fixed96(1.0)) == u128(1) << 96);
  CHECK(as_u128(pd::to_fixed96(0.0)) == 0);
  CHECK(as_u128(pd::to_fixed96(0x1p-97)) == 0);
}

TEST_CASE("fixed96 arithmetic agrees with 128-bit integers, sums do not depend on the order") {
  std::mt19937_64 gen(9);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t a = gen(), b = gen();
    const pd::fixed96 w = pd::wide_product(a, b);
    REQUIRE(as_u128(w) == u128(a) * b);
    const pd::fixed96 x{gen() >> 34, gen()}, y{gen() >> 34, gen()};
    REQUIRE(as_u128(x + y) == as_u128(x) + as_u128(y));
    const auto big = std::max(as_u128(x), as_u128(y)), small = std::min(as_u128(x), as_u128(y));
    const pd::fixed96 bx{std::uint64_t(big >> 64), std::uint64_t(big)}, sx{std::uint64_t(small >> 64), std::uint64_t(small)};
    REQUIRE(as_u128(bx - sx) == big - small);
    CHECK((sx < bx) == (small < big));
    const std::uint64_t n = gen() >> 34;  // products stay below 2^128
    REQUIRE(as_u128(x * n) == as_u128(x) * n);
    const std::uint64_t u = gen() >> 11;  // < 2^53
    // ⌊x · u / 2^53⌋ by splitting x, in 128-bit integers.
    const u128 xv = as_u128(x);
    const u128 want = (xv >> 53) * u + (((xv & ((u128(1) << 53) - 1)) * u) >> 53);
    REQUIRE(as_u128(pd::scaled_by_fraction(x, u)) == want);
  }
  std::vector<double> p(10000);
  std::uniform_real_distribution<double> unit(0, 1);
  for (auto& x : p) x = unit(gen) * unit(gen);
  pd::fixed96 forward{}, backward{};
  for (double x : p) forward = forward + pd::to_fixed96(x);
  for (auto it = p.rbegin(); it != p.rend(); ++it) backward = backward + pd::to_fixed96(*it);
  std::shuffle(p.begin(), p.end(), gen);
  pd::fixed96 shuffled{};
  for (double x : p) shuffled = shuffled + pd::to_fixed96(x);
  CHECK(forward == backward);
  CHECK(forward == shuffled);
}
