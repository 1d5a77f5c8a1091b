// SPDX-License-Identifier: Apache-2.0
#pragma once
// The action mask of a [B, T] batch: any element type, a position is valid where mask ≠ 0.
// Masked positions are selected away, never multiplied by zero, so a NaN or Inf stored there
// (padding, observation tokens) cannot reach a valid position.

#include <bit>
#include <cstdint>
#include <type_traits>

#include "../core.hpp"

namespace posttrain::reward::detail {

template <class M>
POSTTRAIN_HOST_DEVICE bool valid(M m) {
  return m != M(0);
}

/// x where the position is valid, +0 otherwise: a select, not a product, so NaN never leaks.
/// On the host by masking the bits, which (unlike a branch or a conditional) GCC vectorises.
template <class T>
POSTTRAIN_HOST_DEVICE T keep(T x, bool m) {
#if defined(__CUDA_ARCH__)
  return m ? x : T(0);
#else
  if constexpr (std::is_floating_point_v<T> && (sizeof(T) == 4 || sizeof(T) == 8)) {
    using bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
    return std::bit_cast<T>(std::bit_cast<bits>(x) & (bits(0) - bits(m)));
  } else {
    return m ? x : T(0);
  }
#endif
}

}  // namespace posttrain::reward::detail
