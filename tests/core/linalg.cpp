// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include <posttrain/core/linalg.hpp>

namespace {

using posttrain::index_t;

/// max |A v_k − λ_k v_k|, max |VᵀV − I| and whether the values descend.
struct check_result {
  double residual = 0, orthogonality = 0;
  bool descending = true;
};

check_result check(const std::vector<double>& a, index_t m) {
  const auto r = posttrain::linalg::symmetric_eigen(a, m);
  check_result c;
  for (index_t k = 0; k < m; ++k) {
    if (k > 0 && r.values[std::size_t(k)] > r.values[std::size_t(k - 1)]) c.descending = false;
    for (index_t i = 0; i < m; ++i) {
      double av = 0;
      for (index_t j = 0; j < m; ++j) av += a[std::size_t(i * m + j)] * r.vector(j, k);
      c.residual = std::max(c.residual, std::abs(av - r.values[std::size_t(k)] * r.vector(i, k)));
    }
    for (index_t l = 0; l < m; ++l) {
      double dot = 0;
      for (index_t i = 0; i < m; ++i) dot += r.vector(i, k) * r.vector(i, l);
      c.orthogonality = std::max(c.orthogonality, std::abs(dot - (k == l ? 1.0 : 0.0)));
    }
  }
  return c;
}

}  // namespace

TEST_CASE("symmetric_eigen: random symmetric and rank-deficient matrices") {
  std::mt19937_64 gen(3);
  std::normal_distribution<double> normal;
  for (index_t m : {1, 2, 3, 10, 60, 150}) {
    std::vector<double> a(std::size_t(m * m));
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j <= i; ++j) a[std::size_t(i * m + j)] = a[std::size_t(j * m + i)] = normal(gen);
    const auto c = check(a, m);
    INFO("m = " << m);
    CHECK(c.residual < 1e-10 * double(m));
    CHECK(c.orthogonality < 1e-12 * double(m));
    CHECK(c.descending);
    // A Gram matrix of rank 3: the other eigenvalues are zero to rounding.
    std::vector<double> b(std::size_t(3 * m)), g(std::size_t(m * m), 0.0);
    for (auto& x : b) x = normal(gen);
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j < m; ++j)
        for (index_t k = 0; k < 3; ++k) g[std::size_t(i * m + j)] += b[std::size_t(k * m + i)] * b[std::size_t(k * m + j)];
    const auto r = posttrain::linalg::symmetric_eigen(g, m);
    for (index_t k = 3; k < m; ++k) CHECK(std::abs(r.values[std::size_t(k)]) < 1e-12 * r.values[0] * double(m));
    if (m >= 3) CHECK(r.values[2] > 1e-3);
    const auto cg = check(g, m);
    CHECK(cg.residual < 1e-9 * double(m));
  }
}

TEST_CASE("symmetric_eigen: diagonal, repeated, zero, 2×2 by hand, bad input") {
  const auto id = posttrain::linalg::symmetric_eigen(std::vector<double>{2, 0, 0, 0, 2, 0, 0, 0, 2}, 3);
  for (double v : id.values) CHECK(v == Approx(2));
  CHECK(check({2, 0, 0, 0, 2, 0, 0, 0, 2}, 3).orthogonality < 1e-15);
  const auto zero = posttrain::linalg::symmetric_eigen(std::vector<double>(16, 0.0), 4);
  for (double v : zero.values) CHECK(v == 0);
  const auto two = posttrain::linalg::symmetric_eigen(std::vector<double>{2, 1, 1, 2}, 2);  // eigenvalues 3 and 1
  CHECK(two.values[0] == Approx(3));
  CHECK(two.values[1] == Approx(1));
  CHECK(std::abs(two.vector(0, 0)) == Approx(std::sqrt(0.5)));
  CHECK(posttrain::linalg::symmetric_eigen(std::vector<double>{}, 0).values.empty());
  CHECK_THROWS_AS(posttrain::linalg::symmetric_eigen(std::vector<double>{1, 2, 3}, 2), posttrain::shape_error);
  CHECK_THROWS_AS(posttrain::linalg::symmetric_eigen(std::vector<double>{1, NAN, NAN, 1}, 2), posttrain::value_error);
}
