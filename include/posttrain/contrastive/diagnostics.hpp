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
//
// Everything but dimensions_for_share (a sort of d numbers, on the host) runs on the backend; the
// d×d eigenvalue problem of effective_rank is the backend's solver (ops::symmetric_eigen).

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "../core.hpp"
#include "infonce.hpp"

namespace posttrain::contrastive {

namespace detail {

/// Row i of z in double into zd; a non-finite element fails at its column.
struct to_double_checked_kernel {
  template <class Team, class Z, class D>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const Z& z, const D& zd) const {
    const index_t bad = team.reduce(z.extent(1), reduction::first_index{}, [&](index_t j) {
      const double x = double(z(i, j));
      zd(i, j) = x;
      return x - x == 0.0 ? index_t(-1) : j;
    });
    if (bad >= 0) team.fail(bad, 1);
  }
};

}  // namespace detail

/// c_d = (1/N) Σ_i ẑ1_id ẑ2_id for z1, z2 [N, d] on any backend (in double), to the host.
template <backend Be, tensor_of_rank<2> Z1, tensor_of_rank<2> Z2>
  requires accessible_by<Z1, Be> && accessible_by<Z2, Be>
std::vector<double> dimension_contributions(const Be& be, const Z1& z1, const Z2& z2) {
  constexpr std::string_view who = "dimension_contributions";
  detail::check_views(who, z1, z2, {});
  const index_t n = z1.extent(0), d = z1.extent(1);
  std::vector<double> c(static_cast<std::size_t>(d), 0.0);
  if (n == 0) return c;
  const auto u = detail::normalise<double>(be, who, "z1", z1);
  const auto v = detail::normalise<double>(be, who, "z2", z2);
  auto product = allocate<double>(be, {n, d});
  auto sums = allocate<double>(be, {d});
  ops::map(be, fn::multiplies{}, u.rows.view(), v.rows.view(), product.view());
  ops::reduce(be, reduction::sum<double>{}, product.view().transposed(), sums.view());  // over the rows
  deep_copy(be, sums.view(), tensor_view<double, 1>(c.data(), d));
  for (double& x : c) x /= double(n);
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
/// eigenvalues of zᵀz (d×d, a GEMM and the eigen-solver in double on the backend). 0 for an
/// all-zero matrix.
template <backend Be, tensor_of_rank<2> Z>
  requires accessible_by<Z, Be>
double effective_rank(const Be& be, const Z& z) {
  const index_t n = z.extent(0), d = z.extent(1);
  auto zd = allocate<double>(be, {n, d});
  const auto zv = posttrain::detail::to_const_view(z);
  if (const row_error e = ops::for_each_row(be, n, detail::to_double_checked_kernel{}, zv, zd.view()))
    throw value_error(posttrain::detail::message("posttrain::contrastive::effective_rank: z(", e.row, ",", e.column,
                                                 ") is ", double(posttrain::detail::element_at(be, zv, e.row, e.column))));
  auto gram = allocate<double>(be, {d, d});
  const detail::matrix_in<const double, Be> zdv(zd.view());
  ops::gemm(be, zdv, zdv, gram.view(), {.transpose_a = true});
  auto eigenvalues = allocate<double>(be, {d});
  auto eigenvectors = allocate<double>(be, {d, d});
  ops::symmetric_eigen(be, detail::matrix_in<const double, Be>(gram.view()), eigenvalues.view(), eigenvectors.view());
  std::vector<double> lambdas(static_cast<std::size_t>(d));
  deep_copy(be, eigenvalues.view(), tensor_view<double, 1>(lambdas.data(), d));
  std::vector<double> sigma;
  double total = 0;
  for (double lambda : lambdas) {
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
