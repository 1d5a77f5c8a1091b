// SPDX-License-Identifier: Apache-2.0
// ops::topk against a full stable sort: ties to the lower index, NaN first, k = 0 and k = C.
#include "../support/harness.hpp"

using namespace pt_test;
namespace ops = posttrain::ops;

namespace {
template <class T, class I>
void check_topk(const ref::matrix& x, std::int64_t k, layout l) {
  INFO(x.rows << "x" << x.cols << " k=" << k << " " << name(l));
  auto dx = upload<T>(x, l);
  auto values = output<T>(x.rows, k, l);
  auto indices = output<I>(x.rows, k);
  ops::topk(backend(), dx.view, values.view, indices.view);
  const auto [ev, ei] = ref::topk(x, k);
  require_close(download(values.view), ev, 0);
  ref::matrix idx(x.rows, k);
  for (std::size_t q = 0; q < ei.size(); ++q) idx.data[q] = static_cast<double>(ei[q]);
  require_close(download(indices.view), idx, 0);
}
}  // namespace

PT_TEMPLATE_TEST("topk matches a full sort, ties to the lower index", float, double) {
  for (auto [rows, cols] : {std::pair{1, 1}, {3, 10}, {8, 1000}, {2, 4099}})
    for (std::int64_t k : {std::int64_t{1}, std::int64_t{3}, std::int64_t{cols}})
      for (layout l : {layout::dense, layout::strided, layout::transposed}) {
        if (k > cols) continue;
        check_topk<TestType, std::int64_t>(as<TestType>(ref::random_matrix(rows, cols, 17 + k)), k, l);
        check_topk<TestType, std::int32_t>(ref::random_ties(rows, cols, 19 + k, 4), k, l);
      }
}

PT_TEST("topk ranks NaN first and +inf before finite values, k = 0 writes nothing") {
  ref::matrix x(2, 6, 0.0);
  x(0, 1) = ref::inf;
  x(0, 3) = ref::nan;
  x(0, 4) = -ref::inf;
  x(1, 0) = x(1, 5) = -ref::inf;
  check_topk<float, std::int64_t>(x, 6, layout::dense);
  check_topk<double, std::int32_t>(x, 2, layout::padded);
  auto dx = upload<float>(x);
  auto v = output<float>(2, 0);
  auto i = output<std::int64_t>(2, 0);
  ops::topk(backend(), dx.view, v.view, i.view);
}

PT_TEST("topk rejects k larger than the row and mismatched outputs") {
  auto x = upload<float>(ref::matrix(2, 3));
  auto v = output<float>(2, 4);
  auto i = output<std::int64_t>(2, 4);
  CHECK_THROWS_WITH(ops::topk(backend(), x.view, v.view, i.view),
                    Catch::Contains("k = 4") && Catch::Contains("f32[2,3]"));
  auto i3 = output<std::int64_t>(2, 3);
  CHECK_THROWS_AS(ops::topk(backend(), x.view, v.view, i3.view), posttrain::shape_error);
}
