// SPDX-License-Identifier: Apache-2.0
// Must compile as is; must NOT compile with POSTTRAIN_EXPECT_FAIL: a std::vector is not a tensor.
#include <vector>

#include <posttrain/core.hpp>

void call(std::vector<float>& v) {
  posttrain::tensor_view<float, 2> view(v.data(), 2, 2);
#if defined(POSTTRAIN_EXPECT_FAIL)
  posttrain::ops::softmax(posttrain::sequential_backend{}, v, view);
#else
  posttrain::ops::softmax(posttrain::sequential_backend{}, view, view);
#endif
}
