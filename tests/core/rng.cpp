// SPDX-License-Identifier: Apache-2.0
// Philox4x32-10 against the Random123 known-answer vectors, and the counter_rng contract.
#include <catch2/catch.hpp>

#include <set>

#include <posttrain/core/rng.hpp>

using posttrain::philox4x32_10;

TEST_CASE("philox4x32-10 gives the Random123 known answers") {
  struct kat {
    philox4x32_10::counter ctr;
    philox4x32_10::key key;
    std::uint32_t expected[4];
  };
  const kat cases[] = {
      {{{0, 0, 0, 0}}, {{0, 0}}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, {{0xffffffff, 0xffffffff}},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, {{0xa4093822, 0x299f31d0}},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const auto& c : cases) {
    const auto out = philox4x32_10::block(c.ctr, c.key);
    for (int i = 0; i < 4; ++i) CHECK(out.v[i] == c.expected[i]);
  }
  static_assert(philox4x32_10::block({{0, 0, 0, 0}}, {{0, 0}}).v[0] == 0x6627e8d5, "usable in constant expressions");
}

TEST_CASE("counter_rng: draws depend only on (seed, stream, n), lie in 0 ≤ u < 1 and are spread out") {
  const posttrain::counter_rng a(42, 7), b(42, 7), other_stream(42, 8), other_seed(43, 7);
  std::set<float> seen;
  double sum = 0;
  for (std::uint64_t n = 0; n < 10000; ++n) {
    const float u = a.uniform(n);
    CHECK(u == b.uniform(n));
    REQUIRE(u >= 0.0f);
    REQUIRE(u < 1.0f);
    const double d = a.uniform_double(n);
    REQUIRE(d >= 0.0);
    REQUIRE(d < 1.0);
    seen.insert(u);
    sum += u;
  }
  CHECK(seen.size() > 9990);
  CHECK(sum / 10000 == Approx(0.5).margin(0.01));
  CHECK(a.uniform(0) != other_stream.uniform(0));
  CHECK(a.uniform(0) != other_seed.uniform(0));
  CHECK(a.bits(1ull << 40).v[0] != a.bits(0).v[0]);  // the counter's high word is used
}
