// SPDX-License-Identifier: Apache-2.0
// ops::map (1 to 3 inputs, broadcasting through stride-0 views), ops::fill and ops::copy.
#include "../support/harness.hpp"

using namespace pt_test;
namespace ops = posttrain::ops;
namespace fn = posttrain::fn;

namespace {
struct fma3 {  // a named three-input functor, as a user would write one
  template <class T>
  POSTTRAIN_HOST_DEVICE T operator()(T a, T b, T c) const { return a * b + c; }
};
}  // namespace

PT_TEMPLATE_TEST("map with one, two and three inputs on every layout", float, double) {
  const auto a = ref::random_matrix(7, 13, 1), b = ref::random_matrix(7, 13, 2), c = ref::random_matrix(7, 13, 3);
  for (layout l : all_layouts) {
    INFO(name(l));
    auto da = upload<TestType>(a, l), db = upload<TestType>(b, l), dc = upload<TestType>(c, l);
    auto out = output<TestType>(7, 13, l);
    ref::matrix e1(7, 13), e2(7, 13), e3(7, 13);
    for (std::size_t k = 0; k < e1.data.size(); ++k) {
      e1.data[k] = std::exp(a.data[k]);
      e2.data[k] = a.data[k] - b.data[k];
      e3.data[k] = a.data[k] * b.data[k] + c.data[k];
    }
    ops::map(backend(), fn::exp{}, da.view, out.view);
    require_close(download(out.view), e1, tolerance<TestType>());
    ops::map(backend(), fn::minus{}, da.view, db.view, out.view);
    require_close(download(out.view), e2, tolerance<TestType>());
    ops::map(backend(), fma3{}, da.view, db.view, dc.view, out.view);
    require_close(download(out.view), e3, tolerance<TestType>());
    ops::map(backend(), fn::scale<TestType>{2}, da.view, da.view);  // in place
    for (std::size_t k = 0; k < e1.data.size(); ++k) e1.data[k] = 2 * a.data[k];
    require_close(download(da.view), e1, tolerance<TestType>());
  }
}

PT_TEST("map broadcasts a per-row vector through a stride-0 view") {
  const auto x = ref::random_matrix(5, 6, 4), v = ref::random_matrix(1, 5, 5);
  auto dx = upload<double>(x), dv = upload<double>(v);
  auto out = output<double>(5, 6);
  ops::map(backend(), fn::minus{}, dx.view, posttrain::broadcast_columns(dv.view.row(0), 6), out.view);
  ref::matrix e(5, 6);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 6; ++j) e(i, j) = x(i, j) - v(0, i);
  require_close(download(out.view), e, 1e-15);
}

PT_TEMPLATE_TEST("fill and copy on every layout and on empty views", float, double, std::int32_t) {
  const auto x = ref::random_ties(6, 9, 3, 50);
  for (layout l : all_layouts) {
    auto src = upload<TestType>(x, l);
    auto dst = output<TestType>(6, 9, l == layout::transposed ? layout::dense : layout::transposed);
    ops::copy(backend(), src.view, dst.view);
    require_close(download(dst.view), x, 0);
    ops::fill(backend(), dst.view, TestType(3));
    require_close(download(dst.view), ref::matrix(6, 9, 3), 0);
    ops::fill(backend(), dst.view.row(2), TestType(1));
    auto e = ref::matrix(6, 9, 3);
    for (int j = 0; j < 9; ++j) e(2, j) = 1;
    require_close(download(dst.view), e, 0);
  }
  auto empty = output<TestType>(0, 4);
  ops::fill(backend(), empty.view, TestType(1));
  ops::copy(backend(), empty.view, empty.view);
}

PT_TEST("map and copy reject mismatched shapes") {
  auto a = upload<float>(ref::matrix(3, 4)), b = output<float>(4, 3);
  CHECK_THROWS_AS(ops::map(backend(), fn::negate{}, a.view, b.view), posttrain::shape_error);
  CHECK_THROWS_WITH(ops::copy(backend(), a.view, b.view), Catch::Contains("ops::copy") && Catch::Contains("f32[4,3]"));
}
