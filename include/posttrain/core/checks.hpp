// SPDX-License-Identifier: Apache-2.0
#pragma once
// Argument checks shared by the ops (host side, at the API boundary, never in inner loops).

#include <string_view>

#include "concepts.hpp"
#include "error.hpp"
#include "tensor_view.hpp"

namespace posttrain::detail {

/// Any tensor as a tensor_view of the same element type, rank and space.
template <tensor V>
constexpr auto to_view(const V& v) {
  using view = tensor_view<typename V::element_type, V::rank, typename V::space>;
  if constexpr (std::is_same_v<V, view>) {
    return v;
  } else {
    index_t e[V::rank], s[V::rank];
    for (std::size_t r = 0; r < V::rank; ++r) {
      e[r] = v.extent(r);
      s[r] = v.stride(r);
    }
    return view(v.data(), e, s);
  }
}

template <tensor V>
constexpr auto to_const_view(const V& v) {
  return tensor_view<const typename V::value_type, V::rank, typename V::space>(to_view(v));
}

template <tensor A, tensor B>
bool same_shape(const A& a, const B& b) {
  if constexpr (A::rank != B::rank) {
    return false;
  } else {
    for (std::size_t r = 0; r < A::rank; ++r)
      if (a.extent(r) != b.extent(r)) return false;
    return true;
  }
}

template <tensor A, tensor B>
void check_same_shape(std::string_view op, std::string_view a_name, const A& a, std::string_view b_name, const B& b) {
  if (!same_shape(a, b))
    throw shape_error(message("posttrain::", op, ": ", b_name, " is ", to_view(b), " but ", a_name, " is ",
                              to_view(a), "; they must have the same shape"));
}

template <tensor A>
void check_extent(std::string_view op, std::string_view name, const A& a, std::size_t axis, index_t expected,
                  std::string_view why) {
  if (a.extent(axis) != expected)
    throw shape_error(message("posttrain::", op, ": ", name, " is ", to_view(a), "; extent ", axis, " must be ",
                              expected, " (", why, ")"));
}

template <tensor A>
void check_nonnegative_extents(std::string_view op, std::string_view name, const A& a) {
  for (std::size_t r = 0; r < A::rank; ++r)
    if (a.extent(r) < 0)
      throw shape_error(message("posttrain::", op, ": ", name, " has a negative extent ", a.extent(r), " on axis ", r));
}

template <class>
inline constexpr bool dependent_false = false;

}  // namespace posttrain::detail
