#pragma once
// The action mask of a [B, T] batch: any element type, a position is valid where mask ≠ 0.
// Masked positions are selected away, never multiplied by zero, so a NaN or Inf stored there
// (padding, observation tokens) cannot reach a valid position.

#include "../core.hpp"

namespace posttrain::reward::detail {

template <class M>
bool valid(M m) {
  return m != M(0);
}

/// The last column of row i with mask ≠ 0, or −1.
template <class MV>
index_t last_valid(const MV& mask, index_t i) {
  for (index_t j = mask.extent(1) - 1; j >= 0; --j)
    if (valid(mask(i, j))) return j;
  return -1;
}

}  // namespace posttrain::reward::detail
