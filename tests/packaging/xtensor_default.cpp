// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <type_traits>
#include <vector>

#include <posttrain/default_backend.hpp>

static_assert(std::is_same_v<posttrain::default_backend, posttrain::xtensor_backend>,
              "with only the xtensor component found, posttrain::default is the xtensor backend");

int main() {
  std::vector<float> x = {1, 2, 3}, p(3);
  posttrain::softmax(posttrain::tensor_view<const float, 1>(x.data(), 3), posttrain::tensor_view<float, 1>(p.data(), 3));
  std::printf("consumer (xtensor through posttrain::default): softmax(1,2,3) = %.6f %.6f %.6f\n", p[0], p[1], p[2]);
  return (p[2] > 0.665f && p[2] < 0.666f) ? 0 : 1;
}
