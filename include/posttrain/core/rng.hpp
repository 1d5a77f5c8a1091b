// SPDX-License-Identifier: Apache-2.0
#pragma once
// Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as
// easy as 1, 2, 3", SC 2011). A draw is a pure function of (key, counter), so the same
// (seed, stream, index) gives the same number on every backend, thread count and batch layout.
// Known-answer vectors of the Random123 distribution are in tests/core/rng.cpp.

#include <cstdint>

#include "config.hpp"

namespace posttrain {

struct philox4x32_10 {
  struct counter {
    std::uint32_t v[4];
  };
  struct key {
    std::uint32_t v[2];
  };

  /// The 4×32-bit block for `ctr` under `k` (ten rounds).
  POSTTRAIN_HOST_DEVICE static constexpr counter block(counter ctr, key k) noexcept {
    constexpr std::uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
    constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
      const std::uint64_t p0 = static_cast<std::uint64_t>(m0) * ctr.v[0];
      const std::uint64_t p1 = static_cast<std::uint64_t>(m1) * ctr.v[2];
      const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
      const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
      ctr = counter{{hi1 ^ ctr.v[1] ^ k.v[0], lo1, hi0 ^ ctr.v[3] ^ k.v[1], lo0}};
      k.v[0] += w0;
      k.v[1] += w1;
    }
    return ctr;
  }
};

/// A stream of random numbers keyed by (seed, stream): draw number n of the stream is
/// block(counter = {n_lo, n_hi, stream_lo, stream_hi}, key = seed). Use one stream per
/// independent consumer (a row, a step), so that draws never depend on scheduling.
class counter_rng {
 public:
  POSTTRAIN_HOST_DEVICE constexpr counter_rng(std::uint64_t seed, std::uint64_t stream) noexcept
      : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}},
        stream_lo_(static_cast<std::uint32_t>(stream)), stream_hi_(static_cast<std::uint32_t>(stream >> 32)) {}

  /// Four independent 32-bit words for draw number n.
  POSTTRAIN_HOST_DEVICE constexpr philox4x32_10::counter bits(std::uint64_t n) const noexcept {
    return philox4x32_10::block(
        {{static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(n >> 32), stream_lo_, stream_hi_}}, key_);
  }

  /// A float uniform in [0, 1) with 24 random bits, from the first word of draw n.
  POSTTRAIN_HOST_DEVICE constexpr float uniform(std::uint64_t n) const noexcept {
    return static_cast<float>(bits(n).v[0] >> 8) * 0x1.0p-24f;
  }

  /// 53 random bits, from the first two words of draw n: the integer u of uniform_double's u · 2^-53.
  POSTTRAIN_HOST_DEVICE constexpr std::uint64_t uniform_bits53(std::uint64_t n) const noexcept {
    const auto b = bits(n);
    const std::uint64_t x = (static_cast<std::uint64_t>(b.v[0]) << 21) ^ (b.v[1] >> 11);
    return x & ((1ull << 53) - 1);
  }

  /// A double uniform in [0, 1) with 53 random bits, from the first two words of draw n.
  POSTTRAIN_HOST_DEVICE constexpr double uniform_double(std::uint64_t n) const noexcept {
    return static_cast<double>(uniform_bits53(n)) * 0x1.0p-53;
  }

 private:
  philox4x32_10::key key_;
  std::uint32_t stream_lo_, stream_hi_;
};

}  // namespace posttrain
