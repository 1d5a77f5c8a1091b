// SPDX-License-Identifier: Apache-2.0
// ops::reverse_scan: y[t] = x[t] + c[t]·y[t+1], with tensor and scalar coefficients.
#include "../support/harness.hpp"

using namespace pt_test;
namespace ops = posttrain::ops;

PT_TEMPLATE_TEST("reverse_scan matches the reference on every layout", float, double) {
  for (auto [rows, cols] : {std::pair{1, 1}, {4, 9}, {300, 64}, {2, 2049}})
    for (layout l : all_layouts) {
      INFO(rows << "x" << cols << " " << name(l));
      const auto x = ref::random_matrix(rows, cols, 1, -1, 1);
      const auto c = ref::random_matrix(rows, cols, 2, 0, 1);
      auto dx = upload<TestType>(x, l), dc = upload<TestType>(c, l);
      auto out = output<TestType>(rows, cols, l);
      ops::reverse_scan(backend(), dx.view, dc.view, out.view);
      require_close(download(out.view), ref::reverse_scan(x, c), 20 * tolerance<TestType>());

      const double gamma_lambda = 0.95 * 0.99;
      ops::reverse_scan(backend(), dx.view, gamma_lambda, dx.view);  // in place, scalar coefficient
      require_close(download(dx.view), ref::reverse_scan(x, ref::matrix(rows, cols, gamma_lambda)),
                    50 * tolerance<TestType>());
    }
}

PT_TEST("reverse_scan on a vector, on empty rows, and a zero coefficient cuts the sum") {
  ref::matrix x(1, 5, 1.0), c(1, 5, 1.0);
  c(0, 2) = 0;  // the recursion restarts after t = 2 (an episode boundary)
  auto dx = upload<double>(x), dc = upload<double>(c);
  auto out = output<double>(1, 5);
  ops::reverse_scan(backend(), dx.view.row(0), dc.view.row(0), out.view.row(0));
  ref::matrix e(1, 5);
  e.data = {3, 2, 1, 2, 1};
  require_close(download(out.view), e, 0);
  auto empty = output<double>(3, 0);
  ops::reverse_scan(backend(), empty.view, 0.5, empty.view);
  CHECK_THROWS_AS(ops::reverse_scan(backend(), dx.view, 0.5, output<double>(1, 4).view), posttrain::shape_error);
}
