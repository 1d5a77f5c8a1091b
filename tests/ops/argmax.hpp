// SPDX-License-Identifier: Apache-2.0
// ops::argmax: ties to the lower column, NaN counts as the largest, empty rows rejected.
#include "../support/harness.hpp"

using namespace pt_test;
namespace ops = posttrain::ops;

PT_TEMPLATE_TEST("argmax matches the reference with ties and NaN", float, double) {
  for (auto [rows, cols] : {std::pair{1, 1}, {5, 7}, {40, 3000}})
    for (layout l : all_layouts) {
      INFO(rows << "x" << cols << " " << name(l));
      for (const auto& x : {ref::random_matrix(rows, cols, 3), ref::random_ties(rows, cols, 4, 3)}) {
        auto dx = upload<TestType>(x, l);
        auto out = output<std::int64_t>(1, rows);
        ops::argmax(backend(), dx.view, out.view.row(0));
        require_close(download(out.view), column(ref::argmax(x)), 0);
      }
    }
  ref::matrix x(3, 5, 1.0);
  x(0, 3) = ref::nan;
  x(0, 4) = ref::nan;
  x(1, 2) = ref::inf;
  for (int j = 0; j < 5; ++j) x(2, j) = -ref::inf;
  auto dx = upload<TestType>(x);
  auto out = output<std::int32_t>(1, 3);
  ops::argmax(backend(), dx.view, out.view.row(0));
  require_close(download(out.view), column({3, 2, 0}), 0);
}

PT_TEST("argmax of zero rows is fine, of empty rows an error") {
  auto none = upload<float>(ref::matrix(0, 4));
  auto out0 = output<std::int64_t>(1, 0);
  ops::argmax(backend(), none.view, out0.view.row(0));
  auto empty = upload<float>(ref::matrix(2, 0));
  auto out = output<std::int64_t>(1, 2);
  CHECK_THROWS_WITH(ops::argmax(backend(), empty.view, out.view.row(0)), Catch::Contains("empty row"));
}
