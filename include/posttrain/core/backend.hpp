// SPDX-License-Identifier: Apache-2.0
#pragma once
// The smallest backend there is: host memory, one thread, every op from the generic host
// fallbacks in core. It needs nothing beyond the standard library, serves as the reference
// that other backends are compared with, and shows that a backend is only a policy type.

#include "concepts.hpp"
#include "spaces.hpp"

namespace posttrain {

struct sequential_backend {
  using memory_space = host_space;
  static constexpr bool is_backend = true;
  static constexpr const char* name = "sequential";
};

}  // namespace posttrain
