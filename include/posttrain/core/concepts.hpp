// SPDX-License-Identifier: Apache-2.0
#pragma once
// The concepts that constrain every host entry point.
//
// tensor<V>: V is a tensor view: it names value_type, element_type, space and rank, and has
//   data(), extent(r), stride(r) (element pointer, extents, strides in elements). Semantics:
//   element (i0, ..., iR-1) lives at data() + sum(i_r * stride(r)); the view does not own it.
// tensor_of_rank<V, R>: a tensor of rank R.
// backend<B>: B is a cheap, copyable policy object naming its memory_space, and opts in with
//   `static constexpr bool is_backend = true` (so an unrelated type with a memory_space member
//   is not mistaken for one). Ops dispatch to B's members when it has them.
// accessible_by<V, B>: V's memory space is B's (a host view cannot reach a CUDA backend).

#include <concepts>
#include <cstddef>
#include <type_traits>

#include "config.hpp"

namespace posttrain {

template <class V>
concept tensor = requires(const V& v) {
  typename V::value_type;
  typename V::element_type;
  typename V::space;
  { V::rank } -> std::convertible_to<std::size_t>;
  { v.data() } -> std::same_as<typename V::element_type*>;
  { v.extent(0) } -> std::convertible_to<index_t>;
  { v.stride(0) } -> std::convertible_to<index_t>;
};

template <class V, std::size_t R>
concept tensor_of_rank = tensor<V> && V::rank == R;

/// A tensor whose elements may be written.
template <class V>
concept mutable_tensor = tensor<V> && !std::is_const_v<typename V::element_type>;

template <class B>
concept backend = std::copy_constructible<B> && requires {
  typename B::memory_space;
  requires B::is_backend;
};

template <class V, class B>
concept accessible_by = tensor<V> && backend<B> && std::same_as<typename V::space, typename B::memory_space>;

/// A backend whose memory the host can dereference: the generic host fallbacks apply to it.
template <class B>
concept host_backend = backend<B> && B::memory_space::host_accessible;

}  // namespace posttrain
