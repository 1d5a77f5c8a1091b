// SPDX-License-Identifier: Apache-2.0
#pragma once
// Arithmetic whose result is the same bits on every backend, whatever the partition of a row
// among lanes: what a decision needs (which token is sampled) when it must not depend on the
// hardware.
//
//   fixed96            an unsigned 128-bit integer read as a number with 96 fraction bits.
//                      Sums of them are exact, so associative and commutative: any reduction
//                      tree gives the same bits. Probabilities (≤ 1) are added this way; a row
//                      of up to 2^31 of them cannot overflow, and each is truncated to a
//                      multiple of 2^-96 (≈ 1.3e-29), so a sum's error is below V · 2^-96.
//   exp_reproducible   e^x for x ≤ 0 from IEEE operations only: a Cody–Waite reduction and a
//                      Taylor polynomial, every multiply-add an explicit fma. The host's libm and
//                      CUDA's exp agree to an ulp, not to the bit; this agrees to the bit, and
//                      to about 2 ulp with the true value. Below e^-700 it returns 0.
//
// Compilers may fuse a*b + c into one fma (GCC's default in GNU mode, nvcc's --fmad), which
// changes roundings; here every product that meets an addition is either an explicit fma or
// exact (a scaling by a power of two), so fusing cannot change a result.

#include <bit>
#include <cmath>
#include <cstdint>

#include "config.hpp"

namespace posttrain::detail {

struct fixed96 {
  std::uint64_t hi = 0, lo = 0;  // value = (hi · 2^64 + lo) · 2^-96

  POSTTRAIN_HOST_DEVICE friend constexpr fixed96 operator+(fixed96 a, fixed96 b) {
    const std::uint64_t lo = a.lo + b.lo;
    return {a.hi + b.hi + (lo < a.lo ? 1u : 0u), lo};
  }
  /// a − b for a ≥ b.
  POSTTRAIN_HOST_DEVICE friend constexpr fixed96 operator-(fixed96 a, fixed96 b) {
    return {a.hi - b.hi - (a.lo < b.lo ? 1u : 0u), a.lo - b.lo};
  }
  POSTTRAIN_HOST_DEVICE friend constexpr bool operator<(fixed96 a, fixed96 b) {
    return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
  }
  POSTTRAIN_HOST_DEVICE friend constexpr bool operator<=(fixed96 a, fixed96 b) { return !(b < a); }
  POSTTRAIN_HOST_DEVICE friend constexpr bool operator==(fixed96 a, fixed96 b) { return a.hi == b.hi && a.lo == b.lo; }
};

/// The 128-bit product of two 64-bit integers, as {high word, low word}.
POSTTRAIN_HOST_DEVICE constexpr fixed96 wide_product(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
  const std::uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const std::uint64_t middle = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
  return {p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32), (middle << 32) | (p00 & 0xffffffffu)};
}

/// a · n, for products below 2^32 (in value).
POSTTRAIN_HOST_DEVICE constexpr fixed96 operator*(fixed96 a, std::uint64_t n) {
  const fixed96 low = wide_product(a.lo, n);
  return {a.hi * n + low.hi, low.lo};
}

/// ⌊a · u / 2^53⌋ for u < 2^53: a fraction u · 2^-53 of a, rounded down, so below a when u < 2^53.
POSTTRAIN_HOST_DEVICE constexpr fixed96 scaled_by_fraction(fixed96 a, std::uint64_t u) {
  const fixed96 high = wide_product(a.hi, u), low = wide_product(a.lo, u);
  // The 192-bit product is w2·2^128 + w1·2^64 + w0.
  const std::uint64_t w0 = low.lo, w1 = low.hi + high.lo, w2 = high.hi + (w1 < low.hi ? 1u : 0u);
  return {(w1 >> 53) | (w2 << 11), (w0 >> 53) | (w1 << 11)};
}

/// The integer value of a double that holds an integer in [0, 2^52), from its bits (a conversion
/// instruction would do the same, but x86 has no vector form of it before AVX-512).
POSTTRAIN_HOST_DEVICE inline std::uint64_t small_integer(double x);

/// p ∈ [0, 1] as a fixed96, truncated to a multiple of 2^-96. Every step is exact.
POSTTRAIN_HOST_DEVICE inline fixed96 to_fixed96(double p) {
  const double x = p * 0x1p32;             // ≤ 2^32: the integer part is the high word
  const double whole = std::floor(x);
  const double fraction = x - whole;       // in [0, 1)
  const double upper = std::floor(fraction * 0x1p32);
  const double lower = std::floor((fraction * 0x1p32 - upper) * 0x1p32);
  return {small_integer(whole), (small_integer(upper) << 32) | small_integer(lower)};
}

/// The nearest double to a fixed96 (within an ulp; the same bits everywhere).
POSTTRAIN_HOST_DEVICE inline double to_double(fixed96 a) {
  return static_cast<double>(a.hi) * 0x1p-32 + static_cast<double>(a.lo) * 0x1p-96;
}

/// The bits of a float or double, and back (std::bit_cast on the host, CUDA's intrinsics on a device).
POSTTRAIN_HOST_DEVICE inline std::uint32_t bits_of(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  return std::bit_cast<std::uint32_t>(x);
#endif
}
POSTTRAIN_HOST_DEVICE inline std::uint64_t bits_of(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
  return std::bit_cast<std::uint64_t>(x);
#endif
}
POSTTRAIN_HOST_DEVICE inline float from_bits(std::uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(b);
#else
  return std::bit_cast<float>(b);
#endif
}
POSTTRAIN_HOST_DEVICE inline double from_bits(std::uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(b));
#else
  return std::bit_cast<double>(b);
#endif
}

POSTTRAIN_HOST_DEVICE inline std::uint64_t small_integer(double x) {
  return bits_of(x + 0x1p52) - bits_of(0x1p52);
}

/// e^x for x ≤ 0, the same bits on every backend (see the top of this file).
POSTTRAIN_HOST_DEVICE inline double exp_reproducible(double x) {
  // Written without branches or integer conversions, so that host compilers vectorise it; the
  // result is selected at the end (for x = −inf the arithmetic gives NaN, replaced by 0).
  constexpr double log2e = 0x1.71547652b82fep0;
  constexpr double ln2_hi = 0x1.62e42fefa39efp-1, ln2_lo = 0x1.abc9e3b39803fp-56;
  const double k = std::rint(x * log2e);  // in [−1010, 0] for x in (−700, 0]
  double r = std::fma(-k, ln2_hi, x);
  r = std::fma(-k, ln2_lo, r);  // x − k·ln 2, |r| ≤ 0.35
  // e^r by Taylor's series to r^13 / 13! (the first term left out is below 2^-62 here).
  double p = 1.0 / 6227020800.0;
  p = std::fma(p, r, 1.0 / 479001600.0);
  p = std::fma(p, r, 1.0 / 39916800.0);
  p = std::fma(p, r, 1.0 / 3628800.0);
  p = std::fma(p, r, 1.0 / 362880.0);
  p = std::fma(p, r, 1.0 / 40320.0);
  p = std::fma(p, r, 1.0 / 5040.0);
  p = std::fma(p, r, 1.0 / 720.0);
  p = std::fma(p, r, 1.0 / 120.0);
  p = std::fma(p, r, 1.0 / 24.0);
  p = std::fma(p, r, 1.0 / 6.0);
  p = std::fma(p, r, 0.5);
  p = std::fma(p, r, 1.0);
  p = std::fma(p, r, 1.0);
  // 2^k from its exponent field: k + 1023 is the low word of k + 1023 + 2^52 (exact). The product
  // is exact, and a normal number for k ≥ −1010.
  const double two_k = from_bits(bits_of(k + (1023.0 + 0x1p52)) << 52);
  return x > -700.0 ? p * two_k : 0.0;  // −inf, and values whose e^x is below 1e-304
}

}  // namespace posttrain::detail
