// SPDX-License-Identifier: Apache-2.0
#pragma once
// Word vectors from raw text, for when no pretrained ones are at hand: positive PMI of word /
// context co-occurrence (context counts smoothed by the power 0.75), factored to d dimensions by
// a randomized SVD (Halko, Martinsson & Tropp 2011), W = U_d Σ_d^½ (Levy, Goldberg & Dagan 2015).
//
//   PPMI(w, c) = max(0, log(#(w,c) · Σ_c' #c'^0.75 / (#w · #c^0.75)))     window ±`window` words
//
// The randomized SVD: Y = A Ω with Ω Gaussian [V, d + 10], two power iterations Y ← A Aᵀ Y,
// Q = orth(Y) (Cholesky-QR through the eigen-decomposition of YᵀY, twice), then the eigen-
// decomposition of (QᵀA)(QᵀA)ᵀ gives U = Q U_B and σ².

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <posttrain/core/linalg.hpp>
#include <posttrain/simplify/neighbours.hpp>

namespace examples {

using posttrain::index_t;

struct ppmi_options {
  index_t min_count = 5;    // rarer words get no vector
  index_t window = 4;       // words on each side
  index_t dimensions = 64;
  unsigned seed = 1;
};

namespace detail {

/// A sparse V×V matrix, rows compressed.
struct sparse_matrix {
  index_t size = 0;
  std::vector<std::size_t> start;  // size + 1
  std::vector<index_t> column;
  std::vector<double> value;
};

/// out [V, l] = A x (or Aᵀ x), x [V, l], row-major.
inline void multiply(const sparse_matrix& a, const std::vector<double>& x, index_t l, bool transpose,
                     std::vector<double>& out) {
  out.assign(x.size(), 0.0);
  for (index_t r = 0; r < a.size; ++r)
    for (std::size_t e = a.start[std::size_t(r)]; e < a.start[std::size_t(r) + 1]; ++e) {
      const index_t c = a.column[e];
      const double v = a.value[e];
      double* dst = &out[std::size_t(transpose ? c : r) * std::size_t(l)];
      const double* src = &x[std::size_t(transpose ? r : c) * std::size_t(l)];
      for (index_t j = 0; j < l; ++j) dst[j] += v * src[j];
    }
}

/// Orthonormal columns spanning those of y [V, l] (Cholesky-QR by YᵀY's eigen-decomposition;
/// directions with a negligible eigenvalue are dropped to zero).
inline void orthonormalise(std::vector<double>& y, index_t rows, index_t l) {
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<double> gram(std::size_t(l * l), 0.0);
    for (index_t r = 0; r < rows; ++r) {
      const double* row = &y[std::size_t(r * l)];
      for (index_t i = 0; i < l; ++i)
        for (index_t j = i; j < l; ++j) gram[std::size_t(i * l + j)] += row[i] * row[j];
    }
    for (index_t i = 0; i < l; ++i)
      for (index_t j = 0; j < i; ++j) gram[std::size_t(i * l + j)] = gram[std::size_t(j * l + i)];
    const auto eig = posttrain::linalg::symmetric_eigen(gram, l);
    // Y ← Y V Λ^{-½}
    std::vector<double> t(std::size_t(l * l), 0.0);
    const double floor = std::max(eig.values[0], 1e-300) * 1e-12;
    for (index_t i = 0; i < l; ++i)
      for (index_t k = 0; k < l; ++k)
        t[std::size_t(i * l + k)] = eig.values[std::size_t(k)] > floor ? eig.vector(i, k) / std::sqrt(eig.values[std::size_t(k)]) : 0.0;
    std::vector<double> row(static_cast<std::size_t>(l));
    for (index_t r = 0; r < rows; ++r) {
      double* yr = &y[std::size_t(r * l)];
      std::fill(row.begin(), row.end(), 0.0);
      for (index_t i = 0; i < l; ++i)
        for (index_t k = 0; k < l; ++k) row[std::size_t(k)] += yr[i] * t[std::size_t(i * l + k)];
      std::copy(row.begin(), row.end(), yr);
    }
  }
}

}  // namespace detail

/// Vectors for the words of `sentences` (token lists, already lowercased) seen ≥ min_count times.
inline posttrain::simplify::word_vectors ppmi_vectors(const std::vector<std::vector<std::string>>& sentences,
                                                      const ppmi_options& o = {}) {
  // The vocabulary, most frequent first.
  std::unordered_map<std::string, index_t> counts;
  for (const auto& s : sentences)
    for (const auto& w : s) ++counts[w];
  std::vector<std::pair<std::string, index_t>> kept;
  for (const auto& [w, c] : counts)
    if (c >= o.min_count) kept.emplace_back(w, c);
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  const index_t v = index_t(kept.size());
  std::unordered_map<std::string, index_t> id;
  for (index_t i = 0; i < v; ++i) id.emplace(kept[std::size_t(i)].first, i);

  // Co-occurrence counts, symmetric.
  std::unordered_map<std::uint64_t, double> pairs;
  std::vector<index_t> ids;
  for (const auto& s : sentences) {
    ids.clear();
    for (const auto& w : s) {
      const auto it = id.find(w);
      ids.push_back(it == id.end() ? -1 : it->second);
    }
    for (std::size_t i = 0; i < ids.size(); ++i)
      for (std::size_t j = i + 1; j < ids.size() && j <= i + std::size_t(o.window); ++j)
        if (ids[i] >= 0 && ids[j] >= 0) {
          pairs[std::uint64_t(ids[i]) << 32 | std::uint64_t(ids[j])] += 1;
          pairs[std::uint64_t(ids[j]) << 32 | std::uint64_t(ids[i])] += 1;
        }
  }
  std::vector<double> row_sum(std::size_t(v), 0.0), context(std::size_t(v), 0.0);
  for (const auto& [key, n] : pairs) row_sum[std::size_t(key >> 32)] += n, context[std::size_t(key & 0xffffffffu)] += n;
  // PMI = log(P(w, c) / (P(w) P_0.75(c))): the total count cancels, the smoothed one stays.
  double smoothed_total = 0;
  for (index_t c = 0; c < v; ++c) smoothed_total += std::pow(context[std::size_t(c)], 0.75);

  // PPMI as a sparse matrix.
  std::vector<std::pair<std::uint64_t, double>> entries;
  for (const auto& [key, n] : pairs) {
    const auto w = std::size_t(key >> 32), c = std::size_t(key & 0xffffffffu);
    const double pmi = std::log(n * smoothed_total / (row_sum[w] * std::pow(context[c], 0.75)));
    if (pmi > 0) entries.emplace_back(key, pmi);
  }
  std::sort(entries.begin(), entries.end());
  detail::sparse_matrix a;
  a.size = v;
  a.start.assign(std::size_t(v) + 1, 0);
  for (const auto& [key, x] : entries) {
    ++a.start[std::size_t(key >> 32) + 1];
    a.column.push_back(index_t(key & 0xffffffffu));
    a.value.push_back(x);
  }
  for (index_t r = 0; r < v; ++r) a.start[std::size_t(r) + 1] += a.start[std::size_t(r)];

  // The randomized SVD.
  const index_t d = std::min(o.dimensions, v), l = std::min(d + 10, v);
  std::mt19937_64 gen(o.seed);
  std::normal_distribution<double> normal;
  std::vector<double> omega(std::size_t(v * l)), y, z;
  for (auto& x : omega) x = normal(gen);
  detail::multiply(a, omega, l, false, y);
  for (int iteration = 0; iteration < 2; ++iteration) {
    detail::orthonormalise(y, v, l);
    detail::multiply(a, y, l, true, z);
    detail::orthonormalise(z, v, l);
    detail::multiply(a, z, l, false, y);
  }
  detail::orthonormalise(y, v, l);  // Q [V, l]
  detail::multiply(a, y, l, true, z);  // Bᵀ = Aᵀ Q [V, l]
  std::vector<double> bbt(std::size_t(l * l), 0.0);
  for (index_t r = 0; r < v; ++r)
    for (index_t i = 0; i < l; ++i)
      for (index_t j = i; j < l; ++j) bbt[std::size_t(i * l + j)] += z[std::size_t(r * l + i)] * z[std::size_t(r * l + j)];
  for (index_t i = 0; i < l; ++i)
    for (index_t j = 0; j < i; ++j) bbt[std::size_t(i * l + j)] = bbt[std::size_t(j * l + i)];
  const auto eig = posttrain::linalg::symmetric_eigen(bbt, l);
  // W = Q U_B[:, :d] · (σ²)^¼
  std::vector<float> values(std::size_t(v * d));
  for (index_t r = 0; r < v; ++r)
    for (index_t k = 0; k < d; ++k) {
      double x = 0;
      for (index_t i = 0; i < l; ++i) x += y[std::size_t(r * l + i)] * eig.vector(i, k);
      values[std::size_t(r * d + k)] = float(x * std::pow(std::max(eig.values[std::size_t(k)], 0.0), 0.25));
    }
  std::vector<std::string> words;
  for (auto& [w, c] : kept) words.push_back(w);
  return posttrain::simplify::word_vectors(std::move(words), std::move(values), d);
}

}  // namespace examples
