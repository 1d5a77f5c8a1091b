// SPDX-License-Identifier: Apache-2.0
// Pearson, Spearman and Kendall's τ against scipy's published values and a naive O(n²)
// reference, with ties in x, in y and in both, tiny and constant inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include <posttrain/rm_eval/correlation.hpp>

namespace re = posttrain::rm_eval;
using re::kendall_variant;

namespace {

/// Kendall's τ from the definitions, pair by pair.
double naive_tau(const std::vector<double>& x, const std::vector<double>& y, kendall_variant v) {
  const std::size_t n = x.size();
  double c = 0, d = 0, tx = 0, ty = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const double s = (x[i] - x[j]) * (y[i] - y[j]);
      if (s > 0) ++c;
      if (s < 0) ++d;
      if (x[i] == x[j] && y[i] != y[j]) ++tx;
      if (y[i] == y[j] && x[i] != x[j]) ++ty;
    }
  if (v == kendall_variant::a) return (c - d) / (n * (n - 1) / 2.0);
  if (v == kendall_variant::b) return (c - d) / std::sqrt((c + d + tx) * (c + d + ty));
  auto classes = [](std::vector<double> z) {
    std::sort(z.begin(), z.end());
    return static_cast<double>(std::unique(z.begin(), z.end()) - z.begin());
  };
  const double m = std::min(classes(x), classes(y));
  return 2 * (c - d) / (static_cast<double>(n * n) * (m - 1) / m);
}

std::vector<double> random_levels(std::size_t n, int levels, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, levels - 1);
  std::vector<double> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

}  // namespace

TEST_CASE("rm_eval: scipy's published examples") {
  // scipy.stats.kendalltau docs
  const std::vector<double> x = {12, 2, 1, 12, 2}, y = {1, 4, 7, 1, 0};
  CHECK(re::kendall_tau(x, y) == Approx(-0.4714045208).epsilon(1e-9));
  CHECK(re::kendall_tau(x, y, kendall_variant::c) == Approx(naive_tau(x, y, kendall_variant::c)).epsilon(1e-12));
  // scipy.stats.spearmanr and pearsonr docs
  CHECK(re::spearman(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{5, 6, 7, 8, 7}) ==
        Approx(0.8207826816681233).epsilon(1e-12));
  CHECK(re::pearson(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{10, 9, 2.5, 6, 4}) ==
        Approx(-0.7426106572325056).epsilon(1e-12));
}

TEST_CASE("rm_eval: Kendall's τ a, b, c equal the pairwise definitions with ties anywhere") {
  for (std::size_t n : {2u, 3u, 17u, 200u})
    for (int levels : {2, 5, 1000}) {
      const auto x = random_levels(n, levels, 1 + n), y = random_levels(n, levels, 2 + n);
      const auto x_unique = random_levels(n, 1 << 30, 3 + n);
      INFO("n=" << n << " levels=" << levels);
      for (auto v : {kendall_variant::a, kendall_variant::b, kendall_variant::c}) {
        for (const auto& [a, b] : {std::pair{x, y}, {x_unique, y}, {x, x_unique}}) {
          const double expected = naive_tau(a, b, v);
          const double got = re::kendall_tau(a, b, v);
          if (std::isnan(expected)) CHECK(std::isnan(got));
          else CHECK(got == Approx(expected).epsilon(1e-12).margin(1e-15));
        }
      }
    }
}

TEST_CASE("rm_eval: τ of a vector with itself is 1, with its reverse -1, Spearman is Pearson of ranks") {
  const auto x = random_levels(500, 40, 9);
  std::vector<double> reversed(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) reversed[i] = -x[i];
  CHECK(re::kendall_tau(x, x) == Approx(1.0));
  CHECK(re::kendall_tau(x, reversed) == Approx(-1.0));
  CHECK(re::spearman(x, x) == Approx(1.0));
  const auto y = random_levels(500, 7, 10);
  CHECK(re::spearman(x, y) == Approx(re::pearson(re::average_ranks(x), re::average_ranks(y))).epsilon(1e-14));
  CHECK(re::average_ranks(std::vector<double>{3, 1, 3, 2}) == std::vector<double>{3.5, 1, 3.5, 2});
}

TEST_CASE("rm_eval: rank correlations are invariant to strictly increasing transforms") {
  const auto x = random_levels(300, 25, 4), y = random_levels(300, 30, 5);
  std::vector<double> fx(x.size()), fy(y.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    fx[i] = std::exp(x[i] / 5);
    fy[i] = y[i] * y[i] * y[i] - 7;
  }
  CHECK(re::spearman(fx, fy) == Approx(re::spearman(x, y)).epsilon(1e-12));
  for (auto v : {kendall_variant::a, kendall_variant::b, kendall_variant::c})
    CHECK(re::kendall_tau(fx, fy, v) == Approx(re::kendall_tau(x, y, v)).epsilon(1e-12));
  CHECK(re::pearson(fx, fy) != Approx(re::pearson(x, y)).epsilon(1e-6));  // Pearson is not
}

TEST_CASE("rm_eval: n < 2 and constant input give NaN, NaN and size mismatch are errors") {
  const std::vector<double> one = {1}, c = {2, 2, 2}, v = {1, 2, 3};
  CHECK(std::isnan(re::pearson(one, one)));
  CHECK(std::isnan(re::kendall_tau(one, one)));
  CHECK(std::isnan(re::pearson(c, v)));
  CHECK(std::isnan(re::spearman(v, c)));
  CHECK(std::isnan(re::kendall_tau(c, v)));
  CHECK(std::isnan(re::kendall_tau(c, v, kendall_variant::c)));
  CHECK(re::kendall_tau(c, v, kendall_variant::a) == 0.0);  // τ_a is defined: no concordance
  CHECK(re::kendall_tau(std::vector<double>{1, 2}, std::vector<double>{3, 1}) == -1.0);
  CHECK(std::isnan(re::kendall_tau(std::vector<double>{}, std::vector<double>{})));
  CHECK_THROWS_WITH(re::pearson(v, std::vector<double>{1, 2}), Catch::Contains("x has 3 values but y has 2"));
  CHECK_THROWS_WITH(re::kendall_tau(v, std::vector<double>{1, NAN, 3}), Catch::Contains("y[1] is NaN"));
}

TEST_CASE("correlation: Spearman at n = 10^6 within 1e-14 of exact arithmetic (compensated sums)") {
  // Distinct values: ρ = 1 − 6 Σ d² / (n (n² − 1)) with integer rank differences, exactly.
  const std::size_t n = 1'000'000;
  std::mt19937_64 gen(7);
  std::vector<double> x(n), y(n);
  std::normal_distribution<double> normal;
  for (std::size_t i = 0; i < n; ++i) x[i] = double(i) + 0.25, y[i] = double(i) + 3e5 * normal(gen);
  const auto rx = re::average_ranks(x), ry = re::average_ranks(y);
  long long sum_d2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    REQUIRE(rx[i] == std::floor(rx[i]));  // no ties
    REQUIRE(ry[i] == std::floor(ry[i]));
    const long long d = static_cast<long long>(rx[i]) - static_cast<long long>(ry[i]);
    sum_d2 += d * d;
  }
  const long double nn = n;
  const double exact = static_cast<double>(1.0L - 6.0L * static_cast<long double>(sum_d2) / (nn * (nn * nn - 1.0L)));
  CHECK(std::abs(re::spearman(x, y) - exact) <= 1e-14);
}

TEST_CASE("correlation: one prompt's few responses (the insertion-sort path) agree with the definitions") {
  for (unsigned seed = 0; seed < 200; ++seed) {
    const std::size_t n = 2 + seed % 40;  // both sides of the 32-element switch
    const auto x = random_levels(n, 4, seed), y = random_levels(n, 5, seed + 1000);
    const double got = re::kendall_tau(x, y), want = naive_tau(x, y, kendall_variant::b);
    if (std::isnan(want)) CHECK(std::isnan(got));
    else CHECK(got == Approx(want).epsilon(1e-12).margin(1e-15));
  }
}
