// SPDX-License-Identifier: Apache-2.0
#pragma once
// The measurements GraphCoCo's argument rests on: how the positive similarity ẑ1_i·ẑ2_i splits
// over the embedding dimensions, and how many dimensions the embeddings really use.
//
//   dimension_contributions(be, z1, z2) c_d = (1/N) Σ_i ẑ1_id ẑ2_id, [d]; Σ_d c_d is the mean
//                                       positive cosine
//   dimensions_for_share(c, share)      the fewest dimensions (largest c_d first) whose
//                                       contributions reach `share` of Σ_d c_d
//   effective_rank(be, z)               exp(entropy of σ/Σσ), σ the singular values of z [N, d]
//                                       (Roy & Vetterli 2007): between 1 and min(N, d)

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "../core.hpp"
#include "../core/linalg.hpp"
#include "infonce.hpp"

namespace posttrain::contrastive {

template <host_backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be>
std::vector<double> dimension_contributions(const Be&, const Z1& z1, const Z2& z2) {
  detail::check_views("dimension_contributions", z1, z2, {});
  const index_t n = z1.extent(0), d = z1.extent(1);
  std::vector<double> u, v, nu, nv, c(static_cast<std::size_t>(d), 0.0);
  detail::normalise_rows("dimension_contributions", "z1", posttrain::detail::to_const_view(z1), u, nu);
  detail::normalise_rows("dimension_contributions", "z2", posttrain::detail::to_const_view(z2), v, nv);
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) c[std::size_t(j)] += u[std::size_t(i * d + j)] * v[std::size_t(i * d + j)] / double(n);
  return c;
}

/// The fewest dimensions, taken by decreasing contribution, whose sum reaches share·Σ_d c_d
/// (share in (0, 1]); 0 when Σ_d c_d ≤ 0 (no positive similarity to share out).
inline index_t dimensions_for_share(std::vector<double> c, double share = 0.5) {
  if (!(share > 0 && share <= 1))
    throw value_error(posttrain::detail::message("posttrain::contrastive::dimensions_for_share: share = ", share,
                                                 " must lie in (0, 1]"));
  double total = 0;
  for (double x : c) total += x;
  if (!(total > 0)) return 0;
  std::sort(c.begin(), c.end(), std::greater<>());
  double running = 0;
  for (std::size_t k = 0; k < c.size(); ++k) {
    running += c[k];
    if (running >= share * total) return static_cast<index_t>(k + 1);
  }
  return static_cast<index_t>(c.size());
}

/// exp(−Σ p_k log p_k) with p = σ/Σσ over the singular values σ of z [N, d], from the
/// eigenvalues of zᵀz (d×d, in double on the backend). 0 for an all-zero matrix.
template <host_backend Be, tensor_of_rank<2> Z>
  requires accessible_by<Z, Be>
double effective_rank(const Be& be, const Z& z) {
  const index_t n = z.extent(0), d = z.extent(1);
  std::vector<double> zd(static_cast<std::size_t>(n * d)), gram(static_cast<std::size_t>(d * d));
  for (index_t i = 0; i < n; ++i)
    for (index_t j = 0; j < d; ++j) {
      zd[std::size_t(i * d + j)] = static_cast<double>(z(i, j));
      if (!std::isfinite(zd[std::size_t(i * d + j)]))
        throw value_error(posttrain::detail::message("posttrain::contrastive::effective_rank: z(", i, ",", j, ") is ",
                                                     zd[std::size_t(i * d + j)]));
    }
  const tensor_view<const double, 2> zv(zd.data(), n, d);
  ops::gemm(be, zv, zv, tensor_view<double, 2>(gram.data(), d, d), {.transpose_a = true});
  const auto eig = linalg::symmetric_eigen(gram, d);
  std::vector<double> sigma;
  double total = 0;
  for (double lambda : eig.values) {
    sigma.push_back(std::sqrt(std::max(lambda, 0.0)));
    total += sigma.back();
  }
  if (!(total > 0)) return 0;
  double entropy = 0;
  for (double s : sigma)
    if (s > 0) entropy -= s / total * std::log(s / total);
  return std::exp(entropy);
}

}  // namespace posttrain::contrastive
