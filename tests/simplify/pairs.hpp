// SPDX-License-Identifier: Apache-2.0
// The batched readability of sentence pairs on every backend, against the host formulas.
#include "../support/harness.hpp"

#include <posttrain/simplify/readability.hpp>

using namespace pt_test;
namespace sp = posttrain::simplify;

PT_TEMPLATE_TEST("simplify: readability of pairs from counts", float, double) {
  const std::int64_t n = 37;
  ref::matrix src(n, 3), tgt(n, 3);
  for (std::int64_t i = 0; i < n; ++i) {
    src(i, 0) = double(i % 7 * 3), src(i, 1) = double(i % 3), src(i, 2) = double(i % 7 * 3 + i % 5 * 2);
    tgt(i, 0) = double(5 + i % 11), tgt(i, 1) = 1, tgt(i, 2) = double(5 + i % 11 + i % 4);
  }
  for (layout l : {layout::dense, layout::strided}) {
    auto ds = upload<TestType>(src, l), dt = upload<TestType>(tgt, l);
    auto out = output<TestType>(n, 4, l);
    sp::readability_of_pairs(backend(), ds.view, dt.view, out.view, 10.0);
    ref::matrix e(n, 4);
    for (std::int64_t i = 0; i < n; ++i) {
      const double a = sp::flesch_reading_ease({std::int64_t(src(i, 0)), std::int64_t(src(i, 1)), std::int64_t(src(i, 2))});
      const double b = sp::flesch_reading_ease({std::int64_t(tgt(i, 0)), std::int64_t(tgt(i, 1)), std::int64_t(tgt(i, 2))});
      e(i, 0) = a, e(i, 1) = b, e(i, 2) = b - a, e(i, 3) = std::abs(b - a) > 10 ? 1 : 0;
    }
    const auto got = download(out.view);
    for (std::int64_t i = 0; i < n; ++i)
      if (std::abs(std::abs(e(i, 2)) - 10) < 1e-3) e(i, 3) = got(i, 3);  // too close to the threshold to call
    require_close(got, e, tolerance<TestType>() * 100);
  }
  auto bad = output<TestType>(n, 3);
  auto ds = upload<TestType>(src);
  CHECK_THROWS_AS(sp::readability_of_pairs(backend(), ds.view, ds.view, bad.view), posttrain::shape_error);
}
