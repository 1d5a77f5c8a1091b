// SPDX-License-Identifier: Apache-2.0
#pragma once
// The contrastive losses the direct way, in double: every similarity of every pair, the masked
// candidates built explicitly. Gradients are checked against central differences of these.

#include <algorithm>
#include <cmath>
#include <vector>

#include "reference.hpp"

namespace ref {

inline std::vector<double> normalised(const matrix& z, std::int64_t i, const std::vector<double>* keep = nullptr) {
  std::vector<double> r(std::size_t(z.cols));
  double s = 0;
  for (std::int64_t j = 0; j < z.cols; ++j) {
    r[std::size_t(j)] = z(i, j) * (keep ? (*keep)[std::size_t(j)] : 1.0);
    s += r[std::size_t(j)] * r[std::size_t(j)];
  }
  const double n = std::max(std::sqrt(s), 1e-12);
  for (double& x : r) x /= n;
  return r;
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

/// −log(e^{pos} / Σ_{candidates} e^{c}), in plain double.
inline double nce_term(double pos, const std::vector<double>& candidates) {
  double m = -inf;
  for (double c : candidates) m = std::max(m, c);
  double s = 0;
  for (double c : candidates) s += std::exp(c - m);
  return m + std::log(s) - pos;
}

/// kind: 0 graphcl, 1 infonce, 2 nt_xent. masks (optional, 1 = highlighted): with per_sample,
/// the candidates of view 2 are z2_j ⊙ (1 − mask_j); with anchor_row, z2_j ⊙ (1 − mask_i).
inline double contrastive_loss(const matrix& z1, const matrix& z2, int kind, double tau, bool symmetric,
                               const matrix* mask = nullptr, bool anchor_row = false) {
  const std::int64_t n = z1.rows, d = z1.cols;
  auto keep_of = [&](std::int64_t r) {
    std::vector<double> k(std::size_t(d), 1.0);
    if (mask)
      for (std::int64_t j = 0; j < d; ++j) k[std::size_t(j)] = mask->operator()(r, j) != 0 ? 0.0 : 1.0;
    return k;
  };
  std::vector<std::vector<double>> u, v;
  for (std::int64_t i = 0; i < n; ++i) {
    u.push_back(normalised(z1, i));
    const auto k = keep_of(i);
    v.push_back(normalised(z2, i, &k));
  }
  double total = 0;
  if (kind == 2) {
    std::vector<std::vector<double>> all(u);
    all.insert(all.end(), v.begin(), v.end());
    for (std::int64_t a = 0; a < 2 * n; ++a) {
      std::vector<double> c;
      for (std::int64_t b = 0; b < 2 * n; ++b)
        if (b != a) c.push_back(dot(all[std::size_t(a)], all[std::size_t(b)]) / tau);
      const std::int64_t p = a < n ? a + n : a - n;
      total += nce_term(dot(all[std::size_t(a)], all[std::size_t(p)]) / tau, c);
    }
    return total / double(2 * n);
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const auto ki = keep_of(i);
    std::vector<double> c;
    double pos = 0;
    for (std::int64_t j = 0; j < n; ++j) {
      const auto vj = anchor_row ? normalised(z2, j, &ki) : v[std::size_t(j)];
      const double s = dot(u[std::size_t(i)], vj) / tau;
      if (j == i) pos = s;
      if (!(kind == 0 && j == i)) c.push_back(s);
    }
    total += nce_term(pos, c);
  }
  double loss = total / double(n);
  if (symmetric) loss = 0.5 * loss + 0.5 * contrastive_loss(z2, z1, kind, tau, false);
  return loss;
}

}  // namespace ref
