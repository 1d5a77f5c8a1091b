// SPDX-License-Identifier: Apache-2.0
#pragma once
// How a strided matrix view enters a BLAS call that is told "row-major": a view with unit
// column stride is the matrix itself with leading dimension stride(0); a view with unit row
// stride (a transposed view, column-major storage) is the transpose of a row-major matrix
// with leading dimension stride(1). Any other view has no BLAS form (nullopt).

#include <algorithm>
#include <optional>

#include "../tensor_view.hpp"

namespace posttrain::detail {

struct blas_layout {
  bool transposed;  // pass op = T for this operand
  index_t ld;       // leading dimension, at least max(1, the stored row length)
};

template <class T, class Space>
std::optional<blas_layout> blas_layout_of(tensor_view<T, 2, Space> v) {
  const index_t rows = v.extent(0), cols = v.extent(1);
  // A single row or column has a free stride along its length-1 axis.
  if (v.stride(1) == 1 || cols <= 1) {
    const index_t ld = rows <= 1 ? std::max<index_t>(1, cols) : v.stride(0);
    if (ld >= std::max<index_t>(1, cols)) return blas_layout{false, ld};
  }
  if (v.stride(0) == 1 || rows <= 1) {
    const index_t ld = cols <= 1 ? std::max<index_t>(1, rows) : v.stride(1);
    if (ld >= std::max<index_t>(1, rows)) return blas_layout{true, ld};
  }
  return std::nullopt;
}

}  // namespace posttrain::detail
