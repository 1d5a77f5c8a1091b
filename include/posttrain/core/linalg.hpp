#pragma once
// Small dense linear algebra on the host, in double: the symmetric eigen-decomposition that the
// pseudo-inverses of the collapse metrics (and effective ranks) are built on. Standard library
// only; meant for matrices of a few hundred rows (the K×K or d×d side that is the small one).

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
/// mirrored from the upper one, so a nearly symmetric input is read as symmetric). Cyclic
/// Jacobi rotations (Rutishauser's update): accurate to rounding even for the tiny eigenvalues
/// a pseudo-inverse must reject, O(m³) per sweep, about 6–10 sweeps. Non-finite input is a
/// value_error.
inline symmetric_eigen_result symmetric_eigen(std::span<const double> a, index_t m) {
  if (m < 0 || a.size() != static_cast<std::size_t>(m * m))
    throw shape_error(detail::message("posttrain::linalg::symmetric_eigen: the matrix has ", a.size(),
                                      " elements, not m·m for m = ", m));
  const auto at = [m](index_t i, index_t j) { return static_cast<std::size_t>(i * m + j); };
  std::vector<double> s(a.begin(), a.end());
  double norm2 = 0;
  for (index_t i = 0; i < m; ++i)
    for (index_t j = i; j < m; ++j) {
      const double v = s[at(i, j)];
      if (!std::isfinite(v))
        throw value_error(detail::message("posttrain::linalg::symmetric_eigen: element (", i, ",", j, ") is ", v));
      s[at(j, i)] = v;
      norm2 += (i == j ? 1.0 : 2.0) * v * v;
    }
  symmetric_eigen_result r;
  r.size = m;
  r.vectors.assign(static_cast<std::size_t>(m * m), 0.0);
  for (index_t i = 0; i < m; ++i) r.vectors[at(i, i)] = 1.0;

  const double eps = std::numeric_limits<double>::epsilon();
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (index_t p = 0; p < m; ++p)
      for (index_t q = p + 1; q < m; ++q) off += s[at(p, q)] * s[at(p, q)];
    if (off <= 0.01 * eps * eps * norm2 || off == 0) break;
    for (index_t p = 0; p < m; ++p)
      for (index_t q = p + 1; q < m; ++q) {
        const double apq = s[at(p, q)];
        if (apq == 0) continue;
        const double theta = (s[at(q, q)] - s[at(p, p)]) / (2 * apq);
        // t = tan of the rotation angle, the smaller root of t² + 2θt − 1 = 0.
        const double t = std::abs(theta) > 1e150 ? 0.5 / theta
                                                 : std::copysign(1.0, theta) / (std::abs(theta) + std::hypot(theta, 1.0));
        const double c = 1 / std::sqrt(t * t + 1), sn = t * c, tau = sn / (1 + c);
        s[at(p, p)] -= t * apq;
        s[at(q, q)] += t * apq;
        s[at(p, q)] = s[at(q, p)] = 0;
        for (index_t k = 0; k < m; ++k) {
          if (k != p && k != q) {
            const double g = s[at(k, p)], h = s[at(k, q)];
            s[at(k, p)] = s[at(p, k)] = g - sn * (h + g * tau);
            s[at(k, q)] = s[at(q, k)] = h + sn * (g - h * tau);
          }
          const double g = r.vectors[at(k, p)], h = r.vectors[at(k, q)];
          r.vectors[at(k, p)] = g - sn * (h + g * tau);
          r.vectors[at(k, q)] = h + sn * (g - h * tau);
        }
      }
  }
  // Sort descending, carrying the vectors along.
  std::vector<index_t> order(static_cast<std::size_t>(m));
  std::iota(order.begin(), order.end(), index_t{0});
  std::stable_sort(order.begin(), order.end(), [&](index_t x, index_t y) { return s[at(x, x)] > s[at(y, y)]; });
  r.values.resize(static_cast<std::size_t>(m));
  std::vector<double> sorted(r.vectors.size());
  for (index_t k = 0; k < m; ++k) {
    r.values[static_cast<std::size_t>(k)] = s[at(order[static_cast<std::size_t>(k)], order[static_cast<std::size_t>(k)])];
    for (index_t i = 0; i < m; ++i) sorted[at(i, k)] = r.vectors[at(i, order[static_cast<std::size_t>(k)])];
  }
  r.vectors = std::move(sorted);
  return r;
}

}  // namespace posttrain::linalg
