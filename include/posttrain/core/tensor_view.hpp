// SPDX-License-Identifier: Apache-2.0
#pragma once
// tensor_view<T, Rank, Space>: a non-owning, trivially copyable view of a strided array: a
// pointer, Rank extents, Rank strides (in elements, row-major by default) and a memory-space tag.
// Shaped like std::mdspan (extent(r), stride(r), operator()), so it can become an alias of it
// once the standard library has one; usable in device code.

#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>

#include "config.hpp"
#include "spaces.hpp"

namespace posttrain {

/// Short dtype name used when printing views ("f32", "i64", ...).
template <class T>
constexpr const char* dtype_name() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>) return "f32";
  else if constexpr (std::is_same_v<U, double>) return "f64";
  else if constexpr (std::is_same_v<U, std::int8_t>) return "i8";
  else if constexpr (std::is_same_v<U, std::int16_t>) return "i16";
  else if constexpr (std::is_same_v<U, std::int32_t>) return "i32";
  else if constexpr (std::is_same_v<U, std::int64_t>) return "i64";
  else if constexpr (std::is_same_v<U, std::uint8_t>) return "u8";
  else if constexpr (std::is_same_v<U, std::uint32_t>) return "u32";
  else if constexpr (std::is_same_v<U, std::uint64_t>) return "u64";
  else if constexpr (std::is_same_v<U, bool>) return "bool";
  else return "?";
}

template <class T, std::size_t Rank, class Space = host_space>
class tensor_view {
  static_assert(Rank >= 1 && Rank <= 4, "tensor_view supports ranks 1 to 4");

 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;
  using space = Space;
  static constexpr std::size_t rank = Rank;

  constexpr tensor_view() = default;

  /// Row-major contiguous view of `data` with the given extents.
  template <class... I>
    requires(sizeof...(I) == Rank && (std::is_integral_v<I> && ...))
  POSTTRAIN_HOST_DEVICE constexpr tensor_view(T* data, I... extents) : data_(data) {
    const index_t e[] = {static_cast<index_t>(extents)...};
    for (std::size_t r = 0; r < Rank; ++r) extents_[r] = e[r];
    index_t s = 1;
    for (std::size_t r = Rank; r-- > 0;) {
      strides_[r] = s;
      s *= extents_[r];
    }
  }

  /// Strided view: `extents[r]` elements along axis r, `strides[r]` elements apart.
  /// A stride of 0 repeats one element along that axis (a broadcast).
  POSTTRAIN_HOST_DEVICE constexpr tensor_view(T* data, const index_t (&extents)[Rank],
                                              const index_t (&strides)[Rank])
      : data_(data) {
    for (std::size_t r = 0; r < Rank; ++r) {
      extents_[r] = extents[r];
      strides_[r] = strides[r];
    }
  }

  /// A view of mutable elements converts to a view of const elements.
  template <class U>
    requires(std::is_same_v<const U, T> && !std::is_same_v<U, T>)
  POSTTRAIN_HOST_DEVICE constexpr tensor_view(const tensor_view<U, Rank, Space>& other)
      : data_(other.data()) {
    for (std::size_t r = 0; r < Rank; ++r) {
      extents_[r] = other.extent(r);
      strides_[r] = other.stride(r);
    }
  }

  POSTTRAIN_HOST_DEVICE constexpr T* data() const noexcept { return data_; }
  POSTTRAIN_HOST_DEVICE constexpr index_t extent(std::size_t r) const noexcept { return extents_[r]; }
  POSTTRAIN_HOST_DEVICE constexpr index_t stride(std::size_t r) const noexcept { return strides_[r]; }

  /// Number of elements (the product of the extents).
  POSTTRAIN_HOST_DEVICE constexpr index_t size() const noexcept {
    index_t n = 1;
    for (std::size_t r = 0; r < Rank; ++r) n *= extents_[r];
    return n;
  }
  POSTTRAIN_HOST_DEVICE constexpr bool empty() const noexcept { return size() == 0; }

  /// True when the elements are dense and row-major (strides of a freshly made view).
  POSTTRAIN_HOST_DEVICE constexpr bool is_contiguous() const noexcept {
    index_t s = 1;
    for (std::size_t r = Rank; r-- > 0;) {
      if (extents_[r] != 1 && strides_[r] != s) return false;
      s *= extents_[r];
    }
    return true;
  }

  template <class... I>
    requires(sizeof...(I) == Rank)
  POSTTRAIN_HOST_DEVICE constexpr T& operator()(I... idx) const noexcept {
    const index_t i[] = {static_cast<index_t>(idx)...};
    index_t off = 0;
    for (std::size_t r = 0; r < Rank; ++r) off += i[r] * strides_[r];
    return data_[off];
  }

  /// Row i of a matrix as a rank-1 view.
  POSTTRAIN_HOST_DEVICE constexpr tensor_view<T, 1, Space> row(index_t i) const noexcept
    requires(Rank == 2)
  {
    return tensor_view<T, 1, Space>(data_ + i * strides_[0], {extents_[1]}, {strides_[1]});
  }

  /// Rows [first, first + count) of a matrix.
  POSTTRAIN_HOST_DEVICE constexpr tensor_view rows(index_t first, index_t count) const noexcept
    requires(Rank == 2)
  {
    return tensor_view(data_ + first * strides_[0], {count, extents_[1]}, {strides_[0], strides_[1]});
  }

  /// Elements [first, first + count) of a vector.
  POSTTRAIN_HOST_DEVICE constexpr tensor_view slice(index_t first, index_t count) const noexcept
    requires(Rank == 1)
  {
    return tensor_view(data_ + first * strides_[0], {count}, {strides_[0]});
  }

  /// Columns [first, first + count) of a matrix (a strided view when count < extent(1)).
  POSTTRAIN_HOST_DEVICE constexpr tensor_view cols(index_t first, index_t count) const noexcept
    requires(Rank == 2)
  {
    return tensor_view(data_ + first * strides_[1], {extents_[0], count}, {strides_[0], strides_[1]});
  }

  /// The transpose of a matrix (no copy: the strides swap).
  POSTTRAIN_HOST_DEVICE constexpr tensor_view transposed() const noexcept
    requires(Rank == 2)
  {
    return tensor_view(data_, {extents_[1], extents_[0]}, {strides_[1], strides_[0]});
  }

 private:
  T* data_ = nullptr;
  index_t extents_[Rank] = {};
  index_t strides_[Rank] = {};
};

template <class T, class Space = host_space>
using vector_view = tensor_view<T, 1, Space>;
template <class T, class Space = host_space>
using matrix_view = tensor_view<T, 2, Space>;

/// A rank-1 view v of length R seen as an R×cols matrix whose row i repeats v(i)
/// (column stride 0): how per-row scalars enter element-wise functors.
template <class T, class Space>
POSTTRAIN_HOST_DEVICE constexpr tensor_view<T, 2, Space> broadcast_columns(tensor_view<T, 1, Space> v,
                                                                           index_t cols) noexcept {
  return tensor_view<T, 2, Space>(v.data(), {v.extent(0), cols}, {v.stride(0), 0});
}

/// A vector as a 1×n matrix; a matrix as itself. Ops work on this canonical rank-2 form.
template <class T, std::size_t Rank, class Space>
POSTTRAIN_HOST_DEVICE constexpr tensor_view<T, 2, Space> as_matrix(tensor_view<T, Rank, Space> v) noexcept {
  static_assert(Rank <= 2, "as_matrix takes a vector or a matrix");
  if constexpr (Rank == 1)
    return tensor_view<T, 2, Space>(v.data(), {1, v.extent(0)}, {v.extent(0) * v.stride(0), v.stride(0)});
  else
    return v;
}

/// Prints shape and space, e.g. "f32[4,32000]@host", plus " stride (a,b)" when not contiguous.
template <class T, std::size_t Rank, class Space>
std::string to_string(const tensor_view<T, Rank, Space>& v) {
  std::ostringstream os;
  os << dtype_name<T>() << '[';
  for (std::size_t r = 0; r < Rank; ++r) os << (r ? "," : "") << v.extent(r);
  os << "]@" << Space::name;
  if (!v.is_contiguous()) {
    os << " stride (";
    for (std::size_t r = 0; r < Rank; ++r) os << (r ? "," : "") << v.stride(r);
    os << ')';
  }
  return os.str();
}

template <class T, std::size_t Rank, class Space>
std::ostream& operator<<(std::ostream& os, const tensor_view<T, Rank, Space>& v) {
  return os << to_string(v);
}

}  // namespace posttrain
