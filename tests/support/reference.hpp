// SPDX-License-Identifier: Apache-2.0
#pragma once
// Naive double-precision references for the ops, written from the definitions (no shared code
// with the library), and the matrices the tests feed them.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace ref {

inline constexpr double inf = std::numeric_limits<double>::infinity();
inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// A dense row-major matrix of doubles.
struct matrix {
  std::int64_t rows = 0, cols = 0;
  std::vector<double> data;
  matrix() = default;
  matrix(std::int64_t r, std::int64_t c, double fill = 0) : rows(r), cols(c), data(static_cast<std::size_t>(r * c), fill) {}
  double& operator()(std::int64_t i, std::int64_t j) { return data[static_cast<std::size_t>(i * cols + j)]; }
  double operator()(std::int64_t i, std::int64_t j) const { return data[static_cast<std::size_t>(i * cols + j)]; }
};

/// Uniform values in [lo, hi), reproducible from the seed.
inline matrix random_matrix(std::int64_t rows, std::int64_t cols, std::uint64_t seed, double lo = -4, double hi = 4) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  matrix m(rows, cols);
  for (auto& v : m.data) v = dist(gen);
  return m;
}

/// Small integers: many exact ties.
inline matrix random_ties(std::int64_t rows, std::int64_t cols, std::uint64_t seed, int levels = 3) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int> dist(0, levels - 1);
  matrix m(rows, cols);
  for (auto& v : m.data) v = dist(gen);
  return m;
}

inline double logsumexp(const matrix& x, std::int64_t i) {
  double m = -inf;
  for (std::int64_t j = 0; j < x.cols; ++j) {
    if (std::isnan(x(i, j))) return nan;
    m = std::max(m, x(i, j));
  }
  if (m == -inf || m == inf) return m;
  double s = 0;
  for (std::int64_t j = 0; j < x.cols; ++j) s += std::exp(x(i, j) - m);
  return m + std::log(s);
}

inline matrix softmax(const matrix& x, bool log) {
  matrix y(x.rows, x.cols);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    const double lse = logsumexp(x, i);
    for (std::int64_t j = 0; j < x.cols; ++j) {
      if (lse == -inf) y(i, j) = log ? -inf : 0.0;  // all -inf row: no mass anywhere
      else y(i, j) = log ? x(i, j) - lse : std::exp(x(i, j) - lse);
    }
  }
  return y;
}

/// C = alpha * op(A) * op(B) + beta * C (beta = 0: C not read).
inline matrix gemm(const matrix& a, const matrix& b, const matrix& c, double alpha, double beta, bool ta, bool tb) {
  const auto A = [&](std::int64_t i, std::int64_t k) { return ta ? a(k, i) : a(i, k); };
  const auto B = [&](std::int64_t k, std::int64_t j) { return tb ? b(j, k) : b(k, j); };
  const std::int64_t m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols, n = tb ? b.rows : b.cols;
  matrix out(m, n);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (std::int64_t p = 0; p < k; ++p) s += A(i, p) * B(p, j);
      out(i, j) = alpha * s + (beta == 0 ? 0.0 : beta * c(i, j));
    }
  return out;
}

/// True when (a, ia) comes before (b, ib): larger first, NaN first of all, ties by lower index.
inline bool ranks_before(double a, std::int64_t ia, double b, std::int64_t ib) {
  if (std::isnan(a) != std::isnan(b)) return std::isnan(a);
  if (std::isnan(a) || a == b) return ia < ib;
  return a > b;
}

/// The k best (value, column) of each row, by a full stable sort.
inline std::pair<matrix, std::vector<std::int64_t>> topk(const matrix& x, std::int64_t k) {
  matrix values(x.rows, k);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(x.rows * k));
  for (std::int64_t i = 0; i < x.rows; ++i) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(x.cols));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return ranks_before(x(i, a), a, x(i, b), b); });
    for (std::int64_t j = 0; j < k; ++j) {
      values(i, j) = x(i, order[j]);
      idx[i * k + j] = order[j];
    }
  }
  return {values, idx};
}

inline std::vector<std::int64_t> argmax(const matrix& x) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < x.rows; ++i) {
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < x.cols; ++j)
      if (ranks_before(x(i, j), j, x(i, best), best)) best = j;
    out.push_back(best);
  }
  return out;
}

/// y[t] = x[t] + c[t] * y[t+1], y[T] = 0.
inline matrix reverse_scan(const matrix& x, const matrix& c) {
  matrix y(x.rows, x.cols);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    double next = 0;
    for (std::int64_t t = x.cols - 1; t >= 0; --t) y(i, t) = next = x(i, t) + c(i, t) * next;
  }
  return y;
}

}  // namespace ref
