// SPDX-License-Identifier: Apache-2.0
#pragma once
// Owning storage and copies between memory spaces.
//   allocate<T>(be, {extents...})  an owning buffer in be's memory space (.view() gives a view)
//   deep_copy(be, src, dst)        copies between any two spaces be can reach (same shape)

#include "checks.hpp"
#include "concepts.hpp"
#include "host_buffer.hpp"
#include "overrides.hpp"

namespace posttrain {

/// An uninitialised owning buffer of the given extents in be's memory space: the backend's own
/// allocate<T, Rank>() when it has one, a host_buffer for host backends.
template <class T, backend B, std::size_t Rank>
auto allocate(const B& be, const index_t (&extents)[Rank]) {
  constexpr bool member = requires { be.template allocate<T, Rank>(extents); };
  POSTTRAIN_CHECK_OVERRIDE(B, allocate, member);
  if constexpr (member) {
    return be.template allocate<T, Rank>(extents);
  } else if constexpr (host_backend<B>) {
    (void)be;
    return host_buffer<T, Rank>(extents);
  } else {
    static_assert(detail::dependent_false<B>,
                  "posttrain::allocate: this backend's memory is not host-accessible and it has no member "
                  "allocate<T, Rank>(extents)");
  }
}

/// Copies src into dst (same shape and element type, any strides), across memory spaces when
/// they differ: a host backend copies host to host; a device backend provides deep_copy().
template <backend B, tensor Src, mutable_tensor Dst>
void deep_copy(const B& be, const Src& src, const Dst& dst) {
  static_assert(std::is_same_v<typename Src::value_type, typename Dst::value_type>,
                "posttrain::deep_copy: source and destination element types differ");
  detail::check_same_shape("deep_copy", "src", src, "dst", dst);
  auto s = detail::to_const_view(src);
  auto d = detail::to_view(dst);
  constexpr bool member = requires { be.deep_copy(s, d); };
  POSTTRAIN_CHECK_OVERRIDE(B, deep_copy, member);
  if constexpr (member) {
    be.deep_copy(s, d);
  } else if constexpr (Src::space::host_accessible && Dst::space::host_accessible) {
    (void)be;
    auto sm = as_matrix(s);
    auto dm = as_matrix(d);
    for (index_t i = 0; i < sm.extent(0); ++i)
      for (index_t j = 0; j < sm.extent(1); ++j) dm(i, j) = sm(i, j);
  } else {
    static_assert(detail::dependent_false<B>,
                  "posttrain::deep_copy: this backend has no member deep_copy(src, dst) for these memory spaces");
  }
}

namespace detail {

/// A matrix view in any memory space, copied into a host buffer (for results of one number or
/// a few per row that the host finishes, and error reports).
template <backend B, tensor_of_rank<2> V>
host_buffer<typename V::value_type, 2> to_host(const B& be, const V& v) {
  host_buffer<typename V::value_type, 2> h({v.extent(0), v.extent(1)});
  deep_copy(be, to_const_view(v), h.view());
  return h;
}

/// Element (i, j) of a matrix view in any memory space, copied to the host (for error messages
/// about bad input found by a kernel).
template <backend B, tensor_of_rank<2> V>
typename V::value_type element_at(const B& be, const V& v, index_t i, index_t j) {
  typename V::value_type x{};
  deep_copy(be, to_const_view(v).rows(i, 1).cols(j, 1), tensor_view<typename V::value_type, 2>(&x, 1, 1));
  return x;
}

}  // namespace detail

}  // namespace posttrain
