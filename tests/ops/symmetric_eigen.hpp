// SPDX-License-Identifier: Apache-2.0
// ops::symmetric_eigen: the backend's solver against the definition (A q = λ q, QᵀQ = I,
// Q diag(λ) Qᵀ = A) and against the plain host solver's eigenvalues, descending; the upper triangle
// read, repeated eigenvalues, m = 0 and 1, bad input.
#include "../support/harness.hpp"

#include <posttrain/core/linalg.hpp>

using namespace pt_test;
namespace ops = posttrain::ops;

namespace {

/// A symmetric m×m matrix with a spread of eigenvalues (B Bᵀ / m − 2 I: some negative).
ref::matrix random_symmetric(index_t m, std::uint64_t seed) {
  const auto b = ref::random_matrix(m, m, seed, -1, 1);
  ref::matrix a(m, m);
  for (index_t i = 0; i < m; ++i)
    for (index_t j = 0; j < m; ++j) {
      double s = 0;
      for (index_t k = 0; k < m; ++k) s += b(i, k) * b(j, k);
      a(i, j) = s / double(m) - (i == j ? 0.2 : 0.0);
    }
  return a;
}

/// Checks values (descending, equal to the reference's within tol·scale) and that the columns of
/// q are orthonormal eigenvectors of a.
void check_decomposition(const ref::matrix& a, const ref::matrix& values, const ref::matrix& q, double tol) {
  const index_t m = a.rows;
  std::vector<double> dense(a.data.begin(), a.data.end());
  const auto expected = posttrain::linalg::symmetric_eigen(dense, m);
  double scale = 1;
  for (double v : expected.values) scale = std::max(scale, std::abs(v));
  for (index_t k = 0; k < m; ++k) {
    INFO("eigenvalue " << k << " of " << m);
    CHECK(values(0, k) == Approx(expected.values[std::size_t(k)]).margin(tol * scale));
    if (k > 0) CHECK(values(0, k) <= values(0, k - 1));
    for (index_t l = 0; l < m; ++l) {
      double dot = 0;
      for (index_t i = 0; i < m; ++i) dot += q(i, k) * q(i, l);
      CHECK(dot == Approx(k == l ? 1.0 : 0.0).margin(tol * 10));
    }
    for (index_t i = 0; i < m; ++i) {
      double aq = 0;
      for (index_t j = 0; j < m; ++j) aq += a(i, j) * q(j, k);
      CHECK(aq == Approx(values(0, k) * q(i, k)).margin(tol * 10 * scale));
    }
  }
}

}  // namespace

PT_TEMPLATE_TEST("symmetric_eigen: eigenpairs of random symmetric matrices, any layout", float, double) {
  const double tol = std::is_same_v<TestType, float> ? 2e-5 : 1e-11;
  for (index_t m : {1, 2, 7, 40})
    for (layout l : {layout::dense, layout::transposed, layout::strided}) {
      INFO("m = " << m << ", " << name(l));
      const auto a = random_symmetric(m, 10 + std::uint64_t(m));
      auto da = upload<TestType>(as<TestType>(a), l);
      auto values = output<TestType>(1, m), q = output<TestType>(m, m, l);
      ops::symmetric_eigen(backend(), da.view, values.view.row(0), q.view);
      check_decomposition(as<TestType>(a), download(values.view), download(q.view), tol);
    }
}

PT_TEST("symmetric_eigen: known answers, repeated eigenvalues, the upper triangle read") {
  ref::matrix a(2, 2);
  a(0, 0) = a(1, 1) = 2, a(0, 1) = a(1, 0) = 1;  // eigenvalues 3 and 1, vectors (1, ±1)/√2
  auto da = upload<double>(a);
  auto values = output<double>(1, 2), q = output<double>(2, 2);
  ops::symmetric_eigen(backend(), da.view, values.view.row(0), q.view);
  const auto v = download(values.view), qv = download(q.view);
  CHECK(v(0, 0) == Approx(3.0));
  CHECK(v(0, 1) == Approx(1.0));
  CHECK(std::abs(qv(0, 0)) == Approx(std::sqrt(0.5)));
  CHECK(qv(0, 0) * qv(1, 0) == Approx(0.5));
  CHECK(qv(0, 1) * qv(1, 1) == Approx(-0.5));

  // 3·I: every vector is an eigenvector; the solver's basis must still be orthonormal.
  ref::matrix three(4, 4);
  for (index_t i = 0; i < 4; ++i) three(i, i) = 3;
  auto d3 = upload<double>(three);
  auto v3 = output<double>(1, 4), q3 = output<double>(4, 4);
  ops::symmetric_eigen(backend(), d3.view, v3.view.row(0), q3.view);
  check_decomposition(three, download(v3.view), download(q3.view), 1e-11);

  // Only the upper triangle is read: garbage (even NaN) below the diagonal changes nothing.
  const auto sym = random_symmetric(6, 3);
  auto garbled = sym;
  for (index_t i = 0; i < 6; ++i)
    for (index_t j = 0; j < i; ++j) garbled(i, j) = (i + j) % 2 ? ref::nan : 1e6;
  auto dg = upload<double>(garbled);
  auto vg = output<double>(1, 6), qg = output<double>(6, 6);
  ops::symmetric_eigen(backend(), dg.view, vg.view.row(0), qg.view);
  check_decomposition(sym, download(vg.view), download(qg.view), 1e-11);
}

PT_TEST("symmetric_eigen: m = 0, and bad input named") {
  auto empty = upload<double>(ref::matrix(0, 0));
  auto v0 = output<double>(1, 0), q0 = output<double>(0, 0);
  ops::symmetric_eigen(backend(), empty.view, v0.view.row(0), q0.view);

  auto a = random_symmetric(5, 4);
  a(1, 3) = ref::inf;
  auto da = upload<double>(a);
  auto values = output<double>(1, 5), q = output<double>(5, 5);
  CHECK_THROWS_WITH(ops::symmetric_eigen(backend(), da.view, values.view.row(0), q.view),
                    Catch::Contains("a(1,3) is inf"));
  auto wide = upload<double>(ref::matrix(3, 4));
  auto v3 = output<double>(1, 3), v4 = output<double>(1, 4), q34 = output<double>(3, 4);
  CHECK_THROWS_AS(ops::symmetric_eigen(backend(), wide.view, v3.view.row(0), q34.view), posttrain::shape_error);
  auto ok = upload<double>(random_symmetric(5, 5));
  CHECK_THROWS_AS(ops::symmetric_eigen(backend(), ok.view, v4.view.row(0), q.view), posttrain::shape_error);
}
