// SPDX-License-Identifier: Apache-2.0
// ops::gather: out[i, j] = x[i, index[i, j]], with the out-of-range index named.
#include "../support/harness.hpp"

using namespace pt_test;
namespace ops = posttrain::ops;

PT_TEMPLATE_TEST("gather picks the indexed columns on every layout", float, double) {
  const auto x = as<TestType>(ref::random_matrix(6, 50, 2));
  const auto idx = ref::random_ties(6, 9, 3, 50);
  for (layout l : all_layouts) {
    INFO(name(l));
    auto dx = upload<TestType>(x, l);
    auto di = upload<std::int64_t>(idx, l);
    auto out = output<TestType>(6, 9, l);
    ops::gather(backend(), dx.view, di.view, out.view);
    ref::matrix e(6, 9);
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 9; ++j) e(i, j) = x(i, static_cast<int>(idx(i, j)));
    require_close(download(out.view), e, 0);
  }
  auto di32 = upload<std::int32_t>(idx);
  auto out = output<TestType>(6, 9);
  ops::gather(backend(), upload<TestType>(x).view, di32.view, out.view);
  CHECK(download(out.view)(5, 8) == static_cast<double>(static_cast<TestType>(x(5, static_cast<int>(idx(5, 8))))));
}

PT_TEST("gather names the first index outside the row") {
  auto x = upload<float>(ref::matrix(3, 4, 1.0));
  ref::matrix idx(3, 2, 0.0);
  idx(1, 1) = 4;
  idx(2, 0) = -1;
  auto di = upload<std::int64_t>(idx);
  auto out = output<float>(3, 2);
  CHECK_THROWS_WITH(ops::gather(backend(), x.view, di.view, out.view),
                    Catch::Contains("index(1,1) = 4") && Catch::Contains("[0, 4)"));
  auto empty = output<float>(3, 0);
  ops::gather(backend(), x.view, upload<std::int64_t>(ref::matrix(3, 0)).view, empty.view);
}
