// SPDX-License-Identifier: Apache-2.0
// The host backends' row-parallel loop: a body that throws does not terminate the program; the
// exception of the lowest rows reaches the caller, as in a sequential loop.
#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <string>

#include <posttrain/backends/eigen.hpp>

TEST_CASE("core: an exception thrown in a parallel row loop reaches the caller", "[core]") {
  const posttrain::eigen_backend be;
  std::atomic<long> rows_seen{0};
  auto body = [&](posttrain::index_t r0, posttrain::index_t r1) {
    for (auto r = r0; r < r1; ++r) {
      if (r == 700 || r == 300) throw std::runtime_error("row " + std::to_string(r));
      ++rows_seen;
    }
  };
  CHECK_THROWS_WITH(be.parallel_for(1000, body), "row 300");
  CHECK(rows_seen.load() < 1000);
  rows_seen = 0;
  CHECK_NOTHROW(be.parallel_for(1000, [&](posttrain::index_t r0, posttrain::index_t r1) { rows_seen += r1 - r0; }));
  CHECK(rows_seen.load() == 1000);
}
