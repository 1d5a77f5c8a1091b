// SPDX-License-Identifier: Apache-2.0
#pragma once
// The L2 normalisation of embedding rows, ẑ = z / max(‖z‖, 1e-12) (torch's F.normalize), and its
// backward pass, as row kernels on any backend. The squared norms are summed in double.
//
//   normalise(be, who, name, z)            {ẑ [N, d] (dense, T), the norms max(‖z_i‖, ε) [N]}
//   normalise_backward(be, u, norms, g, out, accumulate)
//                                          out (+)= dL/dz from g = dL/dẑ: (g − ẑ(ẑ·g))/‖z‖,
//                                          or g/ε for a row whose norm was clamped

#include <string_view>

#include "../core.hpp"

namespace posttrain::contrastive::detail {

using posttrain::detail::message;

inline constexpr double norm_floor = 1e-12;

/// Codes of team.fail in the normalisation kernel.
enum normalise_fault { non_finite_element = 1, norm_overflow = 2 };

template <class T>
struct normalise_kernel {
  template <class Team, class Z, class U, class N>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const Z& z, const U& u, const N& norms) const {
    const index_t d = z.extent(1);
    const double s = team.reduce(d, reduction::sum<double>{}, [&](index_t j) {
      const double x = double(z(i, j));
      return x * x;
    });
    if (!(s - s == 0.0)) {  // an infinite or NaN element, or a sum of squares that overflows
      const index_t bad = team.reduce(d, reduction::first_index{}, [&](index_t j) {
        const double x = double(z(i, j));
        return x - x == 0.0 ? index_t(-1) : j;
      });
      team.fail(bad < 0 ? 0 : bad, bad < 0 ? norm_overflow : non_finite_element);
      return;
    }
    const double root = ::sqrt(s);
    const double norm = root > norm_floor ? root : norm_floor;
    team.for_each(d, [&](index_t j) { u(i, j) = static_cast<T>(double(z(i, j)) / norm); });
    team.single([&] { norms(i) = static_cast<T>(norm); });
  }
};

template <bool accumulate>
struct normalise_backward_kernel {
  template <class Team, class U, class N, class G, class O>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const U& u, const N& norms, const G& g,
                                        const O& out) const {
    using R = typename O::value_type;
    const index_t d = u.extent(1);
    const double dot = team.reduce(d, reduction::sum<double>{}, [&](index_t j) { return double(u(i, j)) * double(g(i, j)); });
    const double norm = double(norms(i));
    const double projection = norm <= norm_floor ? 0.0 : dot;  // z/ε is linear: no projection
    team.for_each(d, [&](index_t j) {
      const R v = static_cast<R>((double(g(i, j)) - double(u(i, j)) * projection) / norm);
      if constexpr (accumulate) out(i, j) += v;
      else out(i, j) = v;
    });
  }
};

/// Normalised rows and their norms, in the backend's memory.
template <class T, class Be>
struct normalised_rows {
  decltype(allocate<T>(std::declval<const Be&>(), {index_t{}, index_t{}})) rows;
  decltype(allocate<T>(std::declval<const Be&>(), {index_t{}})) norms;
};

/// ẑ and the norms of z [N, d] (any strides); a non-finite element is a value_error naming
/// `who`, the argument `name`, the row and the column.
template <class T, backend Be, tensor_of_rank<2> Z>
normalised_rows<T, Be> normalise(const Be& be, std::string_view who, std::string_view name, const Z& z) {
  const index_t n = z.extent(0), d = z.extent(1);
  normalised_rows<T, Be> out{allocate<T>(be, {n, d}), allocate<T>(be, {n})};
  const auto zv = posttrain::detail::to_const_view(z);
  if (const row_error e = ops::for_each_row(be, n, normalise_kernel<T>{}, zv, out.rows.view(), out.norms.view())) {
    if (e.code == norm_overflow)
      throw value_error(message("posttrain::contrastive::", who, ": the norm of ", name, " row ", e.row,
                                " overflows; scale the embeddings down"));
    throw value_error(message("posttrain::contrastive::", who, ": ", name, "(", e.row, ",", e.column, ") is ",
                              double(posttrain::detail::element_at(be, zv, e.row, e.column)),
                              "; embeddings must be finite"));
  }
  return out;
}

/// out (+)= dL/dz given g = dL/dẑ, for ẑ = u and the norms of normalise().
template <bool accumulate = false, backend Be, class U, class N, class G, class O>
void normalise_backward(const Be& be, const U& u, const N& norms, const G& g, const O& out) {
  ops::for_each_row(be, u.extent(0), normalise_backward_kernel<accumulate>{}, posttrain::detail::to_const_view(u),
                    posttrain::detail::to_const_view(norms), posttrain::detail::to_const_view(g),
                    posttrain::detail::to_view(out));
}

}  // namespace posttrain::contrastive::detail
