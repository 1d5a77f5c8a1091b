// SPDX-License-Identifier: Apache-2.0
// Must compile as is; must NOT compile with POSTTRAIN_EXPECT_FAIL: a backend has a gemm member
// that fits the call but does not list it in its overrides.
#include <posttrain/core.hpp>

struct unlisted_backend {
  using memory_space = posttrain::host_space;
  static constexpr bool is_backend = true;
#if !defined(POSTTRAIN_EXPECT_FAIL)
  using overrides = posttrain::ops::op_list<posttrain::ops::op::gemm>;
#endif
  template <class T>
  void gemm(posttrain::tensor_view<const T, 2> a, posttrain::tensor_view<const T, 2> b, posttrain::tensor_view<T, 2> c,
            T alpha, T beta) const {
    posttrain::ops::gemm(posttrain::sequential_backend{}, a, b, c, {.alpha = alpha, .beta = beta});
  }
};

void call(float* p) {
  posttrain::tensor_view<float, 2> v(p, 2, 2);
  posttrain::ops::gemm(unlisted_backend{}, v, v, v);
}
