// SPDX-License-Identifier: Apache-2.0
#pragma once
// The neural-collapse metrics the direct way, in double: d×d Σ_W and Σ_B, the pseudo-inverse
// by the Newton–Schulz iteration (independent of the library's eigen-solver), every pair of
// classes looped over. For small test sizes only.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "reference.hpp"

namespace ref {

using dmat = std::vector<std::vector<double>>;

inline dmat zeros(std::int64_t r, std::int64_t c) { return dmat(std::size_t(r), std::vector<double>(std::size_t(c), 0.0)); }

inline dmat matmul(const dmat& a, const dmat& b) {
  dmat c = zeros(std::int64_t(a.size()), std::int64_t(b[0].size()));
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t k = 0; k < b.size(); ++k)
      for (std::size_t j = 0; j < b[0].size(); ++j) c[i][j] += a[i][k] * b[k][j];
  return c;
}

inline dmat transpose(const dmat& a) {
  dmat t = zeros(std::int64_t(a[0].size()), std::int64_t(a.size()));
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < a[0].size(); ++j) t[j][i] = a[i][j];
  return t;
}

/// Inverse by Gauss–Jordan elimination with partial pivoting.
inline dmat inverse(dmat a) {
  const std::size_t n = a.size();
  dmat inv = zeros(std::int64_t(n), std::int64_t(n));
  for (std::size_t i = 0; i < n; ++i) inv[i][i] = 1;
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    std::swap(a[p], a[c]);
    std::swap(inv[p], inv[c]);
    const double d = a[c][c];
    for (std::size_t j = 0; j < n; ++j) a[c][j] /= d, inv[c][j] /= d;
    for (std::size_t r = 0; r < n; ++r)
      if (r != c) {
        const double f = a[r][c];
        for (std::size_t j = 0; j < n; ++j) a[r][j] -= f * a[c][j], inv[r][j] -= f * inv[c][j];
      }
  }
  return inv;
}

/// Pseudo-inverse of Σ_B = M̃M̃ᵀ/K without an eigen-solver: an orthonormal basis U of the
/// column span of M̃ (the columns are the rows of mt) by modified Gram–Schmidt, then
/// Σ_B⁺ = U (Uᵀ Σ_B U)⁻¹ Uᵀ.
inline dmat pinv_between(const dmat& sb, const dmat& mt) {
  std::vector<std::vector<double>> basis;
  double largest = 0;
  for (auto& v : mt) {
    double n = 0;
    for (double x : v) n += x * x;
    largest = std::max(largest, std::sqrt(n));
  }
  for (auto v : mt) {
    for (int twice = 0; twice < 2; ++twice)
      for (auto& u : basis) {
        double dot = 0;
        for (std::size_t j = 0; j < v.size(); ++j) dot += u[j] * v[j];
        for (std::size_t j = 0; j < v.size(); ++j) v[j] -= dot * u[j];
      }
    double n = 0;
    for (double x : v) n += x * x;
    n = std::sqrt(n);
    if (n > 1e-9 * largest) {
      for (double& x : v) x /= n;
      basis.push_back(v);
    }
  }
  if (basis.empty()) return zeros(std::int64_t(sb.size()), std::int64_t(sb.size()));
  const dmat ut = basis;  // r × d
  const dmat u = transpose(ut);
  return matmul(matmul(u, inverse(matmul(matmul(ut, sb), u))), ut);
}

struct nc_reference {
  double nc1_trace, within_trace, between_trace, cdnv;
  double equinorm, equiangularity, cosine_std, etf_error;
  double ncc_accuracy;
  std::vector<std::int64_t> ncc;  // nearest class centre per row
};

inline double std_dev(const std::vector<double>& v, int ddof) {
  double m = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / double(std::int64_t(v.size()) - ddof));
}

/// ‖VVᵀ/‖VVᵀ‖ − (I − 11ᵀ/K)/√(K−1)‖ for X·Yᵀ given as K×K.
inline double etf_distance(const dmat& g) {
  const auto K = std::int64_t(g.size());
  double f = 0;
  for (auto& row : g)
    for (double v : row) f += v * v;
  f = std::sqrt(f);
  double e = 0;
  for (std::int64_t i = 0; i < K; ++i)
    for (std::int64_t j = 0; j < K; ++j) {
      const double t = ((i == j) - 1.0 / double(K)) / std::sqrt(double(K - 1));
      e += (g[std::size_t(i)][std::size_t(j)] / f - t) * (g[std::size_t(i)][std::size_t(j)] / f - t);
    }
  return std::sqrt(e);
}

/// The metrics of the rows of h [N, d] with labels y, global mean of samples or of class means.
inline nc_reference nc_direct(const matrix& h, const std::vector<std::int64_t>& y, std::int64_t K, bool class_mean_global) {
  const std::int64_t N = h.rows, d = h.cols;
  dmat mu = zeros(K, d);
  std::vector<double> n(std::size_t(K), 0.0), g(std::size_t(d), 0.0);
  for (std::int64_t i = 0; i < N; ++i) {
    n[std::size_t(y[std::size_t(i)])] += 1;
    for (std::int64_t j = 0; j < d; ++j) mu[std::size_t(y[std::size_t(i)])][std::size_t(j)] += h(i, j);
  }
  for (std::int64_t c = 0; c < K; ++c)
    for (std::int64_t j = 0; j < d; ++j) mu[std::size_t(c)][std::size_t(j)] /= n[std::size_t(c)];
  for (std::int64_t j = 0; j < d; ++j) {
    if (class_mean_global) {
      for (std::int64_t c = 0; c < K; ++c) g[std::size_t(j)] += mu[std::size_t(c)][std::size_t(j)] / double(K);
    } else {
      for (std::int64_t i = 0; i < N; ++i) g[std::size_t(j)] += h(i, j) / double(N);
    }
  }
  dmat sw = zeros(d, d), sb = zeros(d, d), mt = zeros(K, d);
  std::vector<double> var(std::size_t(K), 0.0);
  for (std::int64_t i = 0; i < N; ++i) {
    const auto c = std::size_t(y[std::size_t(i)]);
    for (std::int64_t a = 0; a < d; ++a) {
      const double da = h(i, a) - mu[c][std::size_t(a)];
      var[c] += da * da / n[c];
      for (std::int64_t b = 0; b < d; ++b) sw[std::size_t(a)][std::size_t(b)] += da * (h(i, b) - mu[c][std::size_t(b)]) / double(N);
    }
  }
  for (std::int64_t c = 0; c < K; ++c)
    for (std::int64_t j = 0; j < d; ++j) mt[std::size_t(c)][std::size_t(j)] = mu[std::size_t(c)][std::size_t(j)] - g[std::size_t(j)];
  for (std::int64_t a = 0; a < d; ++a)
    for (std::int64_t b = 0; b < d; ++b)
      for (std::int64_t c = 0; c < K; ++c)
        sb[std::size_t(a)][std::size_t(b)] += mt[std::size_t(c)][std::size_t(a)] * mt[std::size_t(c)][std::size_t(b)] / double(K);
  nc_reference r{};
  const dmat prod = matmul(sw, pinv_between(sb, mt));
  for (std::int64_t a = 0; a < d; ++a) {
    r.nc1_trace += prod[std::size_t(a)][std::size_t(a)];
    r.within_trace += sw[std::size_t(a)][std::size_t(a)];
    r.between_trace += sb[std::size_t(a)][std::size_t(a)];
  }
  // CDNV and NC2 of the centred means.
  dmat gm = zeros(K, K);
  for (std::int64_t a = 0; a < K; ++a)
    for (std::int64_t b = 0; b < K; ++b)
      for (std::int64_t j = 0; j < d; ++j) gm[std::size_t(a)][std::size_t(b)] += mt[std::size_t(a)][std::size_t(j)] * mt[std::size_t(b)][std::size_t(j)];
  std::vector<double> norms, cosines;
  for (std::int64_t a = 0; a < K; ++a) norms.push_back(std::sqrt(gm[std::size_t(a)][std::size_t(a)]));
  double pairs = 0;
  for (std::int64_t a = 0; a < K; ++a)
    for (std::int64_t b = a + 1; b < K; ++b) {
      double dist2 = 0;
      for (std::int64_t j = 0; j < d; ++j) dist2 += std::pow(mu[std::size_t(a)][std::size_t(j)] - mu[std::size_t(b)][std::size_t(j)], 2);
      r.cdnv += (var[std::size_t(a)] + var[std::size_t(b)]) / (2 * dist2);
      const double cosine = gm[std::size_t(a)][std::size_t(b)] / (norms[std::size_t(a)] * norms[std::size_t(b)]);
      cosines.push_back(cosine);
      r.equiangularity += std::abs(cosine + 1.0 / double(K - 1));
      pairs += 1;
    }
  r.cdnv /= pairs;
  r.equiangularity /= pairs;
  double mean_norm = 0;
  for (double x : norms) mean_norm += x / double(K);
  r.equinorm = std_dev(norms, 1) / mean_norm;
  r.cosine_std = std_dev(cosines, 0);
  r.etf_error = etf_distance(gm);
  // Nearest class centre.
  double correct = 0;
  for (std::int64_t i = 0; i < N; ++i) {
    std::int64_t best = 0;
    double best_d = 0;
    for (std::int64_t c = 0; c < K; ++c) {
      double dist = 0;
      for (std::int64_t j = 0; j < d; ++j) dist += std::pow(h(i, j) - mu[std::size_t(c)][std::size_t(j)], 2);
      if (c == 0 || dist < best_d) best = c, best_d = dist;
    }
    r.ncc.push_back(best);
    correct += best == y[std::size_t(i)];
  }
  r.ncc_accuracy = correct / double(N);
  return r;
}

}  // namespace ref
