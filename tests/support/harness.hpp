// SPDX-License-Identifier: Apache-2.0
#pragma once
// Moves test data to and from the backend under test (defined by the backend header that the
// generated translation unit includes first: test_backend, test_env, POSTTRAIN_TEST_BACKEND)
// and compares results with the double references. Every test is written once against this.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <posttrain/core.hpp>

#include "reference.hpp"

namespace pt_test {

using posttrain::index_t;
using space = typename test_backend::memory_space;

inline test_backend backend() {
  static test_env env;
  return env.backend();
}

/// How a matrix is laid out in memory: the strided layouts make every op face views that are
/// not dense (row padding, a column stride of 2, a transposed view).
enum class layout { dense, padded, strided, transposed };
inline const char* name(layout l) {
  switch (l) {
    case layout::dense: return "dense";
    case layout::padded: return "padded";
    case layout::strided: return "strided";
    default: return "transposed";
  }
}
inline constexpr layout all_layouts[] = {layout::dense, layout::padded, layout::strided, layout::transposed};

/// A reference value as an element of type T. Integers go through int64, so that -1 (the poison
/// of `output`) wraps to the largest value of an unsigned type: converting a negative double to
/// an unsigned type directly is undefined.
template <class T>
T element(double v) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(static_cast<std::int64_t>(v));
  } else {
    return static_cast<T>(v);
  }
}

/// A matrix living in the backend's memory, in a given layout; gaps hold a poison value.
template <class T>
struct device_matrix {
  decltype(posttrain::allocate<T>(std::declval<test_backend>(), {index_t{}})) storage;
  posttrain::tensor_view<T, 2, space> view;
};

template <class T>
device_matrix<T> upload(const ref::matrix& m, layout l = layout::dense) {
  const index_t r = m.rows, c = m.cols;
  index_t s0 = c, s1 = 1, size = r * c;
  if (l == layout::padded) s0 = c + 3, size = r * s0;
  if (l == layout::strided) s0 = 2 * c + 1, s1 = 2, size = r * s0;
  if (l == layout::transposed) s0 = 1, s1 = r, size = r * c;
  const T poison = std::is_floating_point_v<T> ? T(-777.25) : T(-77);
  std::vector<T> host(static_cast<std::size_t>(size), poison);
  for (index_t i = 0; i < r; ++i)
    for (index_t j = 0; j < c; ++j) host[static_cast<std::size_t>(i * s0 + j * s1)] = element<T>(m(i, j));
  auto buf = posttrain::allocate<T>(backend(), {size});
  posttrain::deep_copy(backend(), posttrain::tensor_view<const T, 1>(host.data(), size), buf.view());
  posttrain::tensor_view<T, 2, space> v(buf.view().data(), {r, c}, {s0, s1});
  return {std::move(buf), v};
}

/// An output matrix filled with NaN (or -1 for integers), so unwritten elements show.
template <class T>
device_matrix<T> output(index_t rows, index_t cols, layout l = layout::dense) {
  const double poison = std::is_floating_point_v<T> ? ref::nan : -1.0;
  return upload<T>(ref::matrix(rows, cols, poison), l);
}

template <class T>
ref::matrix download(posttrain::tensor_view<T, 2, space> v) {
  using U = std::remove_const_t<T>;
  std::vector<U> host(static_cast<std::size_t>(v.size()));
  posttrain::deep_copy(backend(), v, posttrain::tensor_view<U, 2>(host.data(), v.extent(0), v.extent(1)));
  ref::matrix m(v.extent(0), v.extent(1));
  for (std::size_t k = 0; k < host.size(); ++k) m.data[k] = static_cast<double>(host[k]);
  return m;
}

template <class T>
ref::matrix download(posttrain::tensor_view<T, 1, space> v) {
  return download(posttrain::as_matrix(v));
}

/// Relative tolerance of a float type for O(1)-conditioned results.
template <class T>
constexpr double tolerance() {
  return std::is_same_v<T, float> ? 2e-5 : 1e-12;
}

/// Element-wise |a - e| <= tol · max(1, |e|), with equal infinities and NaN matching NaN.
inline void require_close(const ref::matrix& actual, const ref::matrix& expected, double tol) {
  REQUIRE(actual.rows == expected.rows);
  REQUIRE(actual.cols == expected.cols);
  for (std::int64_t i = 0; i < actual.rows; ++i)
    for (std::int64_t j = 0; j < actual.cols; ++j) {
      const double a = actual(i, j), e = expected(i, j);
      const bool ok = (std::isnan(a) && std::isnan(e)) || a == e ||
                      (std::isfinite(e) && std::abs(a - e) <= tol * std::max(1.0, std::abs(e)));
      if (!ok) {
        INFO("at (" << i << "," << j << "): got " << a << ", expected " << e << ", tolerance " << tol);
        REQUIRE(ok);
      }
    }
}

/// m with every value rounded to T, for exact comparisons of ops that only move values.
template <class T>
ref::matrix as(ref::matrix m) {
  for (auto& v : m.data) v = static_cast<double>(static_cast<T>(v));
  return m;
}

inline ref::matrix column(const std::vector<std::int64_t>& v) {
  ref::matrix m(1, static_cast<std::int64_t>(v.size()));
  for (std::size_t k = 0; k < v.size(); ++k) m.data[k] = static_cast<double>(v[k]);
  return m;
}

}  // namespace pt_test

#define PT_TEST(name) TEST_CASE(POSTTRAIN_TEST_BACKEND ": " name, "[" POSTTRAIN_TEST_BACKEND "]")
#define PT_TEMPLATE_TEST(name, ...) \
  TEMPLATE_TEST_CASE(POSTTRAIN_TEST_BACKEND ": " name, "[" POSTTRAIN_TEST_BACKEND "]", __VA_ARGS__)
