// SPDX-License-Identifier: Apache-2.0
// Must compile as is; must NOT compile with POSTTRAIN_EXPECT_FAIL: a host view handed to a
// backend whose memory space is the device's.
#include <posttrain/core.hpp>

struct device_backend {
  using memory_space = posttrain::cuda_space;
  static constexpr bool is_backend = true;
};

void call(float* p) {
  posttrain::tensor_view<float, 2> host(p, 2, 2);
#if defined(POSTTRAIN_EXPECT_FAIL)
  posttrain::ops::softmax(device_backend{}, host, host);
#else
  posttrain::ops::softmax(posttrain::sequential_backend{}, host, host);
#endif
}
