// SPDX-License-Identifier: Apache-2.0
#pragma once
// Unsigned integer keys with the order of floating-point values, for radix sorts and radix
// selection: key(a) < key(b) iff a < b; -0 and +0 share one key; every NaN maps to the
// largest key (ranked above +inf, as topk ranks it). Host and device.

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../config.hpp"

namespace posttrain::detail {

template <class T>
struct order_key {
  static_assert(std::is_floating_point_v<T> && (sizeof(T) == 4 || sizeof(T) == 8));
  using type = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;

  POSTTRAIN_HOST_DEVICE static type of(T v) {
    if (v != v) return ~type(0);
    if (v == T(0)) v = T(0);
    type bits;
    memcpy(&bits, &v, sizeof bits);
    constexpr type sign = type(1) << (8 * sizeof(type) - 1);
    return (bits & sign) ? ~bits : (bits | sign);
  }
};

}  // namespace posttrain::detail
