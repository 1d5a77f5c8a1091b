// SPDX-License-Identifier: Apache-2.0
// ops::gemm against the double reference: transposes, alpha/beta, strided and transposed
// views, degenerate extents.
#include "../support/harness.hpp"

using namespace pt_test;
namespace ops = posttrain::ops;

PT_TEMPLATE_TEST("gemm matches the reference for every transpose, layout and scaling", float, double) {
  for (auto [m, k, n] : {std::tuple{1, 1, 1}, {3, 5, 4}, {17, 33, 9}, {64, 70, 65}})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (layout l : {layout::dense, layout::padded, layout::strided, layout::transposed}) {
          const auto a = ref::random_matrix(ta ? k : m, ta ? m : k, 1 + m, -1, 1);
          const auto b = ref::random_matrix(tb ? n : k, tb ? k : n, 2 + n, -1, 1);
          const auto c = ref::random_matrix(m, n, 3 + k, -1, 1);
          for (auto [alpha, beta] : {std::pair{1.0, 0.0}, {0.5, 2.0}}) {
            INFO(m << "x" << k << "x" << n << " ta=" << ta << " tb=" << tb << " " << name(l) << " alpha=" << alpha
                   << " beta=" << beta);
            auto da = upload<TestType>(a, l);
            auto db = upload<TestType>(b, l == layout::transposed ? layout::dense : l);
            auto dc = upload<TestType>(c, l);
            ops::gemm(backend(), da.view, db.view, dc.view,
                      {.alpha = TestType(alpha), .beta = TestType(beta), .transpose_a = ta, .transpose_b = tb});
            require_close(download(dc.view), ref::gemm(a, b, c, alpha, beta, ta, tb), 10 * k * tolerance<TestType>());
          }
        }
}

PT_TEST("gemm with beta = 0 ignores NaN in C, K = 0 scales C, empty M or N does nothing") {
  const auto a = ref::random_matrix(4, 3, 1), b = ref::random_matrix(3, 5, 2);
  auto da = upload<double>(a), db = upload<double>(b);
  auto dc = output<double>(4, 5);  // NaN-filled
  ops::gemm(backend(), da.view, db.view, dc.view);
  require_close(download(dc.view), ref::gemm(a, b, ref::matrix(4, 5), 1, 0, false, false), 1e-12);

  auto a0 = upload<double>(ref::matrix(4, 0)), b0 = upload<double>(ref::matrix(0, 5));
  auto c0 = upload<double>(ref::matrix(4, 5, 3.0));
  ops::gemm(backend(), a0.view, b0.view, c0.view, {.beta = 2.0});
  require_close(download(c0.view), ref::matrix(4, 5, 6.0), 0);
  ops::gemm(backend(), a0.view, b0.view, c0.view);
  require_close(download(c0.view), ref::matrix(4, 5, 0.0), 0);

  auto am = upload<double>(ref::matrix(0, 3)), cm = upload<double>(ref::matrix(0, 5));
  ops::gemm(backend(), am.view, db.view, cm.view);
  CHECK(download(cm.view).data.empty());
}

PT_TEST("gemm names the shapes that do not fit") {
  auto a = upload<float>(ref::matrix(4, 3)), b = upload<float>(ref::matrix(4, 5)), c = output<float>(4, 5);
  CHECK_THROWS_WITH(ops::gemm(backend(), a.view, b.view, c.view),
                    Catch::Contains("op(A) is f32[4,3]") && Catch::Contains("op(B) is f32[4,5]"));
  CHECK_NOTHROW(ops::gemm(backend(), b.view, b.view, output<float>(5, 5).view, {.transpose_a = true}));
}
