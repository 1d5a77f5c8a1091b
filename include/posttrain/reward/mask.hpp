#pragma once
// The action mask of a [B, T] batch: any element type, a position is valid where mask ≠ 0.
// Masked positions are selected away, never multiplied by zero, so a NaN or Inf stored there
// (padding, observation tokens) cannot reach a valid position.

#include "../core.hpp"

namespace posttrain::reward::detail {

template <class M>
POSTTRAIN_HOST_DEVICE bool valid(M m) {
  return m != M(0);
}

/// x where the position is valid, +0 otherwise (a select, not a product: NaN never leaks).
template <class T>
POSTTRAIN_HOST_DEVICE T keep(T x, bool m) {
  return m ? x : T(0);
}

/// The per-row results of a row kernel ([rows, K] on the backend) brought to the host.
template <class B, class T>
host_buffer<T, 2> to_host(const B& be, tensor_view<const T, 2, typename B::memory_space> v) {
  host_buffer<T, 2> h({v.extent(0), v.extent(1)});
  deep_copy(be, v, h.view());
  return h;
}

}  // namespace posttrain::reward::detail
