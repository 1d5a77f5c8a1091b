// SPDX-License-Identifier: Apache-2.0
// The overloads without a backend argument; built only where a host default backend is
// configured (tests/CMakeLists.txt).
#include <catch2/catch.hpp>

#include <vector>

#include <posttrain/default_backend.hpp>

TEST_CASE("default backend: ops without a backend argument use it") {
  std::vector<float> x = {0, 0, 1, 1}, p(4);
  posttrain::tensor_view<const float, 2> xv(x.data(), 2, 2);
  posttrain::tensor_view<float, 2> pv(p.data(), 2, 2);
  posttrain::softmax(xv, pv);
  CHECK(p[0] == Approx(0.5));
  std::vector<std::int64_t> best(2);
  posttrain::argmax(xv, posttrain::tensor_view<std::int64_t, 1>(best.data(), 2));
  CHECK(best[1] == 0);
  CHECK(std::string(posttrain::default_backend::name) == POSTTRAIN_EXPECTED_DEFAULT);
}
