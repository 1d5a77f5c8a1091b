// SPDX-License-Identifier: Apache-2.0
#pragma once
// host_buffer<T, Rank>: an owning, 64-byte aligned, row-major host array that hands out views.
// What allocate() returns for host backends.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>

#include "error.hpp"
#include "tensor_view.hpp"

namespace posttrain {

template <class T, std::size_t Rank>
class host_buffer {
  struct aligned_delete {
    void operator()(T* p) const noexcept { ::operator delete[](p, std::align_val_t{64}); }
  };

 public:
  using value_type = T;
  using view_type = tensor_view<T, Rank, host_space>;

  host_buffer() = default;

  /// Uninitialised storage for the given extents (all >= 0).
  explicit host_buffer(const index_t (&extents)[Rank]) {
    index_t n = 1;
    for (std::size_t r = 0; r < Rank; ++r) {
      if (extents[r] < 0) throw shape_error(detail::message("host_buffer: extent ", r, " is negative (", extents[r], ")"));
      extents_[r] = extents[r];
      n *= extents[r];
    }
    size_ = n;
    if (n > 0) data_.reset(static_cast<T*>(::operator new[](sizeof(T) * static_cast<std::size_t>(n), std::align_val_t{64})));
  }

  index_t size() const noexcept { return size_; }
  T* data() noexcept { return data_.get(); }
  const T* data() const noexcept { return data_.get(); }

  view_type view() noexcept { return make_view<T>(data_.get()); }
  tensor_view<const T, Rank, host_space> view() const noexcept { return make_view<const T>(data_.get()); }

 private:
  template <class U>
  tensor_view<U, Rank, host_space> make_view(U* p) const noexcept {
    index_t strides[Rank];
    index_t s = 1;
    for (std::size_t r = Rank; r-- > 0;) {
      strides[r] = s;
      s *= extents_[r];
    }
    return tensor_view<U, Rank, host_space>(p, extents_, strides);
  }

  std::unique_ptr<T[], aligned_delete> data_;
  index_t extents_[Rank] = {};
  index_t size_ = 0;
};

}  // namespace posttrain
