// SPDX-License-Identifier: Apache-2.0
// ops::softmax and ops::log_softmax against the double reference, on every layout and the
// nasty rows: all -inf, some -inf, huge values, NaN, one column, empty.
#include "../support/harness.hpp"

using namespace pt_test;
namespace ops = posttrain::ops;

namespace {
template <class T>
void check_softmax(const ref::matrix& x, layout in_layout, layout out_layout, bool in_place) {
  for (const bool log : {false, true}) {
    INFO((log ? "log_softmax " : "softmax ") << x.rows << "x" << x.cols << " in " << name(in_layout) << ", out "
                                             << name(out_layout) << (in_place ? ", in place" : ""));
    auto in = upload<T>(x, in_layout);
    auto out = output<T>(x.rows, x.cols, out_layout);
    auto target = in_place ? in.view : out.view;
    if (log) ops::log_softmax(backend(), in.view, target);
    else ops::softmax(backend(), in.view, target);
    require_close(download(target), ref::softmax(x, log), tolerance<T>() * (log ? 10 : 1));
  }
}
}  // namespace

PT_TEMPLATE_TEST("softmax matches the reference on every layout", float, double) {
  for (auto [rows, cols] : {std::pair{1, 1}, {3, 7}, {17, 1000}, {2, 5000}, {1, 33}})
    for (layout l : all_layouts) {
      const auto x = ref::random_matrix(rows, cols, 7 + rows * cols, -20, 20);
      check_softmax<TestType>(x, l, layout::dense, false);
      check_softmax<TestType>(x, layout::dense, l, false);
      check_softmax<TestType>(x, l, l, true);
    }
}

PT_TEMPLATE_TEST("softmax rows that are masked, huge or NaN", float, double) {
  ref::matrix x = ref::random_matrix(6, 40, 3);
  for (int j = 0; j < 40; ++j) x(0, j) = -ref::inf;          // all masked: zeros / -inf, never NaN
  for (int j = 0; j < 40; j += 3) x(1, j) = -ref::inf;       // some masked: exactly 0 there
  for (int j = 0; j < 40; ++j) x(2, j) = j == 5 ? 3e37 : -3e37;  // huge: one-hot, no overflow
  x(3, 17) = ref::nan;                                        // NaN: the row is NaN
  for (int j = 0; j < 40; ++j) x(4, j) = 1.0;                 // all ties: uniform
  for (layout l : {layout::dense, layout::strided}) check_softmax<TestType>(x, l, l, false);

  auto in = upload<TestType>(x);
  auto out = output<TestType>(6, 40);
  ops::softmax(backend(), in.view, out.view);
  const auto p = download(out.view);
  for (int j = 0; j < 40; ++j) {
    CHECK(p(0, j) == 0.0);
    if (j % 3 == 0) CHECK(p(1, j) == 0.0);
    CHECK(p(2, j) == (j == 5 ? 1.0 : 0.0));
    CHECK(std::isnan(p(3, j)));
    CHECK(p(4, j) == Approx(1.0 / 40).epsilon(1e-6));
  }
}

PT_TEST("softmax on empty shapes and on a vector") {
  for (auto [rows, cols] : {std::pair{0, 5}, {4, 0}, {0, 0}}) {
    auto in = upload<float>(ref::matrix(rows, cols));
    auto out = output<float>(rows, cols);
    ops::softmax(backend(), in.view, out.view);
    ops::log_softmax(backend(), in.view, out.view);
    CHECK(download(out.view).data.empty());
  }
  const auto x = ref::random_matrix(1, 9, 11);
  auto in = upload<double>(x);
  auto out = output<double>(1, 9);
  ops::softmax(backend(), in.view.row(0), out.view.row(0));
  require_close(download(out.view), ref::softmax(x, false), 1e-12);
}

PT_TEST("softmax rejects mismatched shapes, naming both") {
  auto in = upload<float>(ref::matrix(4, 8));
  auto out = output<float>(4, 7);
  CHECK_THROWS_AS(ops::softmax(backend(), in.view, out.view), posttrain::shape_error);
  CHECK_THROWS_WITH(ops::log_softmax(backend(), in.view, out.view),
                    Catch::Contains("out is f32[4,7]") && Catch::Contains("x is f32[4,8]"));
}
