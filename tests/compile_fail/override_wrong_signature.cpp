// SPDX-License-Identifier: Apache-2.0
// Must compile as is; must NOT compile with POSTTRAIN_EXPECT_FAIL: a backend lists softmax in its
// overrides but its member takes the wrong arguments (a rank-1 output), so the generic path
// would run in its place without a word.
#include <posttrain/core.hpp>

struct listed_backend {
  using memory_space = posttrain::host_space;
  static constexpr bool is_backend = true;
  using overrides = posttrain::ops::op_list<posttrain::ops::op::softmax>;
#if defined(POSTTRAIN_EXPECT_FAIL)
  template <class T>
  void softmax(posttrain::tensor_view<const T, 2> x, posttrain::tensor_view<T, 1> y) const;
#else
  template <class T>
  void softmax(posttrain::tensor_view<const T, 2> x, posttrain::tensor_view<T, 2> y) const {
    posttrain::ops::softmax(posttrain::sequential_backend{}, x, y);
  }
#endif
};

void call(float* p) {
  posttrain::tensor_view<float, 2> v(p, 2, 2);
  posttrain::ops::softmax(listed_backend{}, v, v);
}
