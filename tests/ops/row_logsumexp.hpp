// SPDX-License-Identifier: Apache-2.0
// ops::row_logsumexp against the double reference, with the edge rows.
#include "../support/harness.hpp"

using namespace pt_test;
namespace ops = posttrain::ops;

PT_TEMPLATE_TEST("row_logsumexp matches the reference", float, double) {
  for (auto [rows, cols] : {std::pair{1, 1}, {5, 3}, {9, 4097}, {300, 20}})
    for (layout l : all_layouts) {
      const auto x = ref::random_matrix(rows, cols, 5 + cols, -30, 30);
      auto in = upload<TestType>(x, l);
      auto out = output<TestType>(1, rows);
      ops::row_logsumexp(backend(), in.view, out.view.row(0));
      ref::matrix expected(1, rows);
      for (int i = 0; i < rows; ++i) expected(0, i) = ref::logsumexp(x, i);
      INFO(rows << "x" << cols << " " << name(l));
      require_close(download(out.view), expected, tolerance<TestType>());
    }
}

PT_TEMPLATE_TEST("row_logsumexp of -inf, +inf, NaN, huge and empty rows", float, double) {
  ref::matrix x(5, 6, -ref::inf);
  for (int j = 0; j < 6; ++j) x(1, j) = j == 2 ? ref::inf : 0.0;
  x(2, 4) = ref::nan;
  for (int j = 0; j < 6; ++j) x(3, j) = 1e37;
  x(4, 0) = 2.0;
  auto in = upload<TestType>(x);
  auto out = output<TestType>(1, 5);
  ops::row_logsumexp(backend(), in.view, out.view.row(0));
  const auto r = download(out.view);
  CHECK(r(0, 0) == -ref::inf);
  CHECK(r(0, 1) == ref::inf);
  CHECK(std::isnan(r(0, 2)));
  CHECK(r(0, 3) == Approx(1e37 + std::log(6.0)).epsilon(1e-6));
  CHECK(r(0, 4) == Approx(2.0));

  auto empty = upload<TestType>(ref::matrix(3, 0));
  auto out3 = output<TestType>(1, 3);
  ops::row_logsumexp(backend(), empty.view, out3.view.row(0));
  for (double v : download(out3.view).data) CHECK(v == -ref::inf);
}

PT_TEST("row_logsumexp rejects an output of the wrong length") {
  auto in = upload<float>(ref::matrix(4, 8));
  auto out = output<float>(1, 3);
  CHECK_THROWS_WITH(ops::row_logsumexp(backend(), in.view, out.view.row(0)),
                    Catch::Contains("row_logsumexp") && Catch::Contains("f32[3]"));
}
