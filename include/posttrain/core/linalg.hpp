// SPDX-License-Identifier: Apache-2.0
#pragma once
// Small dense linear algebra on the host, in double: the symmetric eigen-decomposition that the
// pseudo-inverses of the collapse metrics (and effective ranks) are built on. Standard library
// only; for the K×K or d×d side that is the small one (up to a few thousand rows).

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "config.hpp"
#include "error.hpp"

namespace posttrain::linalg {

/// Eigenvalues in descending order and, column k of the row-major m×m `vectors`, the unit
/// eigenvector of values[k].
struct symmetric_eigen_result {
  index_t size = 0;
  std::vector<double> values;
  std::vector<double> vectors;
  double vector(index_t row, index_t k) const { return vectors[static_cast<std::size_t>(row * size + k)]; }
};

/// Eigen-decomposition of the symmetric m×m matrix a (row-major; its lower triangle is
/// mirrored from the upper one, so a nearly symmetric input is read as symmetric).
/// Householder reduction to tridiagonal form, then the implicit QL algorithm with Wilkinson
/// shifts (tred2 and tql2 of EISPACK, as in JAMA): about 9m³ flops, a second for m = 1000.
/// Eigenvalues are accurate to ε·‖a‖ (enough to tell the null space of a pseudo-inverse from
/// its range). Non-finite input is a value_error.
inline symmetric_eigen_result symmetric_eigen(std::span<const double> a, index_t m) {
  if (m < 0 || a.size() != static_cast<std::size_t>(m * m))
    throw shape_error(detail::message("posttrain::linalg::symmetric_eigen: the matrix has ", a.size(),
                                      " elements, not m·m for m = ", m));
  const std::size_t n = static_cast<std::size_t>(m);
  // V, row-major: V[i][j] = v[i * n + j].
  std::vector<double> v(n * n), d(n), e(n);
  const auto V = [&](std::size_t i, std::size_t j) -> double& { return v[i * n + j]; };
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i; j < n; ++j) {
      const double x = a[i * n + j];
      if (!std::isfinite(x))
        throw value_error(detail::message("posttrain::linalg::symmetric_eigen: element (", i, ",", j, ") is ", x));
      V(i, j) = V(j, i) = x;
    }
  symmetric_eigen_result r;
  r.size = m;
  if (n == 0) return r;

  // tred2: Householder reduction to tridiagonal form (d diagonal, e sub-diagonal), V the
  // accumulated orthogonal transformation.
  for (std::size_t j = 0; j < n; ++j) d[j] = V(n - 1, j);
  for (std::size_t i = n - 1; i > 0; --i) {
    double scale = 0, h = 0;
    for (std::size_t k = 0; k < i; ++k) scale += std::abs(d[k]);
    if (scale == 0) {
      e[i] = d[i - 1];
      for (std::size_t j = 0; j < i; ++j) {
        d[j] = V(i - 1, j);
        V(i, j) = 0;
        V(j, i) = 0;
      }
    } else {
      for (std::size_t k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1], g = std::sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (std::size_t j = 0; j < i; ++j) e[j] = 0;
      for (std::size_t j = 0; j < i; ++j) {
        f = d[j];
        V(j, i) = f;
        g = e[j] + V(j, j) * f;
        for (std::size_t k = j + 1; k <= i - 1; ++k) {
          g += V(k, j) * d[k];
          e[k] += V(k, j) * f;
        }
        e[j] = g;
      }
      f = 0;
      for (std::size_t j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const double hh = f / (h + h);
      for (std::size_t j = 0; j < i; ++j) e[j] -= hh * d[j];
      for (std::size_t j = 0; j < i; ++j) {
        f = d[j];
        g = e[j];
        for (std::size_t k = j; k <= i - 1; ++k) V(k, j) -= f * e[k] + g * d[k];
        d[j] = V(i - 1, j);
        V(i, j) = 0;
      }
    }
    d[i] = h;
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    V(n - 1, i) = V(i, i);
    V(i, i) = 1;
    const double h = d[i + 1];
    if (h != 0) {
      for (std::size_t k = 0; k <= i; ++k) d[k] = V(k, i + 1) / h;
      for (std::size_t j = 0; j <= i; ++j) {
        double g = 0;
        for (std::size_t k = 0; k <= i; ++k) g += V(k, i + 1) * V(k, j);
        for (std::size_t k = 0; k <= i; ++k) V(k, j) -= g * d[k];
      }
    }
    for (std::size_t k = 0; k <= i; ++k) V(k, i + 1) = 0;
  }
  for (std::size_t j = 0; j < n; ++j) {
    d[j] = V(n - 1, j);
    V(n - 1, j) = 0;
  }
  V(n - 1, n - 1) = 1;
  e[0] = 0;

  // tql2 on the transpose (rows of w are the eigenvectors), so the rotations touch two
  // contiguous rows rather than two strided columns.
  std::vector<double> w(n * n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) w[j * n + i] = V(i, j);
  for (std::size_t i = 1; i < n; ++i) e[i - 1] = e[i];
  e[n - 1] = 0;
  double f = 0, tst1 = 0;
  const double eps = std::numeric_limits<double>::epsilon();
  for (std::size_t l = 0; l < n; ++l) {
    tst1 = std::max(tst1, std::abs(d[l]) + std::abs(e[l]));
    std::size_t mm = l;
    while (mm < n && std::abs(e[mm]) > eps * tst1) ++mm;
    if (mm > l) {
      for (int iteration = 0; iteration < 300; ++iteration) {
        double g = d[l];
        double p = (d[l + 1] - g) / (2 * e[l]);
        double r = std::hypot(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const double dl1 = d[l + 1];
        double h = g - d[l];
        for (std::size_t i = l + 2; i < n; ++i) d[i] -= h;
        f += h;
        p = d[mm];
        double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const double el1 = e[l + 1];
        for (std::size_t i = mm; i-- > l;) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = std::hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          double* wi = w.data() + i * n;
          double* wi1 = wi + n;
          for (std::size_t k = 0; k < n; ++k) {
            const double t = wi1[k];
            wi1[k] = s * wi[k] + c * t;
            wi[k] = c * wi[k] - s * t;
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(std::abs(e[l]) > eps * tst1)) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }

  // Descending order; column k of `vectors` is row order[k] of w.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return d[x] > d[y]; });
  r.values.resize(n);
  r.vectors.resize(n * n);
  for (std::size_t k = 0; k < n; ++k) {
    r.values[k] = d[order[k]];
    for (std::size_t i = 0; i < n; ++i) r.vectors[i * n + k] = w[order[k] * n + i];
  }
  return r;
}

}  // namespace posttrain::linalg
