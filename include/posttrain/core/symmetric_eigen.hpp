// SPDX-License-Identifier: Apache-2.0
#pragma once
// ops::symmetric_eigen(be, a, values, vectors): the eigen-decomposition of a symmetric matrix on
// the backend that holds it, dispatched like every op (core/ops.hpp): the backend's member
// symmetric_eigen when it lists op::symmetric_eigen (Eigen's SelfAdjointEigenSolver, LAPACK's
// syevd through OpenBLAS for xtensor, cuSOLVER's syevd for CUDA), else, on a host backend, the
// plain tred2 + tql2 of core/linalg.hpp (the sequential backend's, and the reference the others
// are tested against).
//
// a [m, m], values [m], vectors [m, m], one floating type. The upper triangle of a is read (a
// nearly symmetric input is read as symmetric). values come out in descending order and column k
// of vectors is a unit eigenvector of values[k]; an eigenvector's sign, and the basis of a
// repeated eigenvalue's eigenspace, are the solver's. A non-finite element of the upper triangle
// is a value_error naming it.

#include <vector>

#include "checks.hpp"
#include "concepts.hpp"
#include "error.hpp"
#include "linalg.hpp"
#include "memory.hpp"
#include "overrides.hpp"
#include "reductions.hpp"
#include "row_kernel.hpp"

namespace posttrain {
namespace detail {

/// Fails at the first non-finite element of row i's part of the upper triangle, columns [i, m).
struct upper_triangle_finite_kernel {
  template <class Team, class A>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const A& a) const {
    const index_t bad = team.reduce(a.extent(1), reduction::first_index{}, [&](index_t j) {
      const double x = double(a(i, j));
      return j >= i && !(x - x == 0.0) ? j : index_t(-1);
    });
    if (bad >= 0) team.fail(bad, 1);
  }
};

/// From a solver's ascending output to the descending convention: vectors(i, k) =
/// rows(m − 1 − k, i), values(k) = ascending(m − 1 − k), for `rows` whose row j is the
/// eigenvector of ascending(j) (a column-major eigenvector matrix read row-major, as LAPACK and
/// cuSOLVER leave it).
struct descending_eigen_kernel {
  template <class Team, class R, class W, class V, class Q>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const R& rows, const W& ascending,
                                        const V& values, const Q& vectors) const {
    const index_t m = rows.extent(0);
    team.for_each(m, [&](index_t k) { vectors(i, k) = rows(m - 1 - k, i); });
    team.single([&] { values(i) = ascending(m - 1 - i); });
  }
};

}  // namespace detail

namespace ops {
namespace cpo {

struct symmetric_eigen_fn {
  template <backend B, tensor_of_rank<2> A, mutable_tensor V, mutable_tensor Q>
    requires accessible_by<A, B> && accessible_by<V, B> && accessible_by<Q, B> && (V::rank == 1) &&
             (Q::rank == 2) && std::is_floating_point_v<typename A::value_type> &&
             std::same_as<typename A::value_type, typename V::value_type> &&
             std::same_as<typename A::value_type, typename Q::value_type>
  void operator()(const B& be, const A& a, const V& values, const Q& vectors) const {
    using T = typename A::value_type;
    const index_t m = a.extent(0);
    if (a.extent(1) != m)
      throw shape_error(detail::message("posttrain::ops::symmetric_eigen: a is ", detail::to_view(a),
                                        "; it must be square [m, m]"));
    detail::check_extent("ops::symmetric_eigen", "values", values, 0, m, "one eigenvalue per row of a");
    detail::check_same_shape("ops::symmetric_eigen", "a", a, "vectors", vectors);
    auto av = detail::to_const_view(a);
    auto vv = detail::to_view(values);
    auto qv = detail::to_view(vectors);
    if (const row_error e = ops::for_each_row(be, m, detail::upper_triangle_finite_kernel{}, av))
      throw value_error(detail::message("posttrain::ops::symmetric_eigen: a(", e.row, ",", e.column, ") is ",
                                        double(detail::element_at(be, av, e.row, e.column))));
    if (m == 0) return;
    constexpr bool member = requires { be.symmetric_eigen(av, vv, qv); };
    POSTTRAIN_CHECK_OVERRIDE(B, symmetric_eigen, member);
    if constexpr (member) {
      be.symmetric_eigen(av, vv, qv);
    } else if constexpr (host_backend<B>) {
      std::vector<double> dense(static_cast<std::size_t>(m * m));
      for (index_t i = 0; i < m; ++i)
        for (index_t j = i; j < m; ++j) dense[std::size_t(i * m + j)] = double(av(i, j));
      const auto r = linalg::symmetric_eigen(dense, m);
      for (index_t k = 0; k < m; ++k) {
        vv(k) = static_cast<T>(r.values[std::size_t(k)]);
        for (index_t i = 0; i < m; ++i) qv(i, k) = static_cast<T>(r.vector(i, k));
      }
    } else {
      static_assert(detail::dependent_false<B>,
                    "posttrain::ops::symmetric_eigen: this backend's memory is not host-accessible and it has no "
                    "member symmetric_eigen(a, values, vectors)");
    }
  }
};

}  // namespace cpo

inline constexpr cpo::symmetric_eigen_fn symmetric_eigen{};

}  // namespace ops
}  // namespace posttrain
