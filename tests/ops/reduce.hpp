// SPDX-License-Identifier: Apache-2.0
// ops::reduce and ops::transform_reduce with the library's reductions and a user reduction.
#include "../support/harness.hpp"

using namespace pt_test;
namespace ops = posttrain::ops;
namespace fn = posttrain::fn;
namespace red = posttrain::reduction;

namespace {
/// Sum of squares, the user-defined way (accumulates in double).
struct sum_of_squares {
  using accumulator = double;
  POSTTRAIN_HOST_DEVICE double init() const { return 0; }
  template <class T>
  POSTTRAIN_HOST_DEVICE double combine(double acc, T x, posttrain::index_t) const { return acc + double(x) * x; }
  POSTTRAIN_HOST_DEVICE double merge(double a, double b) const { return a + b; }
  POSTTRAIN_HOST_DEVICE double result(double acc) const { return acc; }
};
}  // namespace

PT_TEMPLATE_TEST("sum, max, min and a user reduction per row on every layout", float, double) {
  for (auto [rows, cols] : {std::pair{1, 1}, {4, 7}, {33, 1000}, {3, 0}})
    for (layout l : all_layouts) {
      INFO(rows << "x" << cols << " " << name(l));
      const auto x = as<TestType>(ref::random_matrix(rows, cols, 9));
      auto dx = upload<TestType>(x, l);
      auto out = output<TestType>(1, rows);
      ref::matrix s(1, rows), mx(1, rows, -ref::inf), mn(1, rows, ref::inf), sq(1, rows);
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) {
          s(0, i) += x(i, j);
          sq(0, i) += x(i, j) * x(i, j);
          mx(0, i) = std::max(mx(0, i), x(i, j));
          mn(0, i) = std::min(mn(0, i), x(i, j));
        }
      ops::reduce(backend(), red::sum<TestType>{}, dx.view, out.view.row(0));
      require_close(download(out.view), s, cols * tolerance<TestType>());
      ops::reduce(backend(), red::max<TestType>{}, dx.view, out.view.row(0));
      require_close(download(out.view), mx, 0);
      ops::reduce(backend(), red::min<TestType>{}, dx.view, out.view.row(0));
      require_close(download(out.view), mn, 0);
      ops::reduce(backend(), sum_of_squares{}, dx.view, out.view.row(0));
      require_close(download(out.view), sq, tolerance<TestType>());
    }
}

PT_TEST("transform_reduce computes row dot products, max lets NaN win") {
  const auto a = ref::random_matrix(5, 300, 1), b = ref::random_matrix(5, 300, 2);
  auto da = upload<double>(a), db = upload<double>(b, layout::strided);
  auto out = output<double>(1, 5);
  ops::transform_reduce(backend(), red::sum<double>{}, fn::multiplies{}, da.view, db.view, out.view.row(0));
  ref::matrix e(1, 5);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 300; ++j) e(0, i) += a(i, j) * b(i, j);
  require_close(download(out.view), e, 1e-12);

  ref::matrix x(1, 4, 1.0);
  x(0, 2) = ref::nan;
  auto dx = upload<float>(x);
  auto o = output<float>(1, 1);
  ops::reduce(backend(), red::max<float>{}, dx.view, o.view.row(0));
  CHECK(std::isnan(download(o.view)(0, 0)));
}

PT_TEST("reduce rejects an output of the wrong length") {
  auto x = upload<float>(ref::matrix(4, 3));
  auto o = output<float>(1, 5);
  CHECK_THROWS_WITH(ops::reduce(backend(), red::sum<float>{}, x.view, o.view.row(0)),
                    Catch::Contains("transform_reduce") && Catch::Contains("f32[5]"));
}
