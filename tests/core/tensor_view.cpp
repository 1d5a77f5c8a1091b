// SPDX-License-Identifier: Apache-2.0
// tensor_view: construction, strides, printing, sub-views, conversions, concepts.
#include <catch2/catch.hpp>

#include <array>
#include <type_traits>
#include <vector>

#include <posttrain/core.hpp>

using namespace posttrain;

static_assert(std::is_trivially_copyable_v<tensor_view<float, 2>>);
static_assert(tensor<tensor_view<const float, 1, cuda_space>>);
static_assert(tensor_of_rank<tensor_view<float, 2>, 2> && !tensor_of_rank<tensor_view<float, 2>, 1>);
static_assert(!tensor<std::vector<float>> && !tensor<float*>);
static_assert(backend<sequential_backend> && host_backend<sequential_backend>);
static_assert(accessible_by<tensor_view<float, 2>, sequential_backend>);
static_assert(!accessible_by<tensor_view<float, 2, cuda_space>, sequential_backend>);
static_assert(std::is_convertible_v<tensor_view<float, 2>, tensor_view<const float, 2>>);
static_assert(!std::is_convertible_v<tensor_view<const float, 2>, tensor_view<float, 2>>);

namespace {
struct not_a_backend {  // has a memory space but never opted in
  using memory_space = host_space;
};
}  // namespace
static_assert(!backend<not_a_backend>);

TEST_CASE("tensor_view: row-major strides, element access, printing") {
  std::vector<float> data(4 * 6);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i);
  tensor_view<float, 2> m(data.data(), 4, 6);
  CHECK(m.extent(0) == 4);
  CHECK(m.stride(0) == 6);
  CHECK(m.stride(1) == 1);
  CHECK(m.size() == 24);
  CHECK(m.is_contiguous());
  CHECK(m(2, 3) == 15.0f);
  CHECK(to_string(m) == "f32[4,6]@host");
  CHECK(to_string(m.cols(1, 3)) == "f32[4,3]@host stride (6,1)");
  CHECK(m.cols(1, 3)(2, 0) == 13.0f);
  CHECK(m.rows(1, 2)(0, 0) == 6.0f);
  CHECK(m.row(3)(5) == 23.0f);
  CHECK(m.row(3).slice(2, 3)(0) == 20.0f);
  CHECK(to_string(m.transposed().row(1).slice(1, 2)) == "f32[2]@host stride (6)");
  CHECK(m.transposed().row(1).slice(1, 2)(1) == 13.0f);
  CHECK(to_string(m.transposed()) == "f32[6,4]@host stride (1,6)");
  CHECK(m.transposed()(3, 2) == 15.0f);

  std::vector<double> v(5);
  tensor_view<double, 1> vec(v.data(), 5);
  const auto b = broadcast_columns(vec, 3);
  CHECK(to_string(b) == "f64[5,3]@host stride (1,0)");
  CHECK(&b(4, 2) == &v[4]);
  CHECK(as_matrix(vec).extent(0) == 1);
  CHECK(as_matrix(vec).extent(1) == 5);

  std::vector<std::int64_t> ids(3);
  CHECK(to_string(tensor_view<std::int64_t, 1, cuda_space>(ids.data(), 3)) == "i64[3]@cuda");
  CHECK(to_string(tensor_view<const std::uint8_t, 3>(nullptr, 2, 0, 5)) == "u8[2,0,5]@host");
  CHECK(tensor_view<float, 2>(nullptr, 0, 7).empty());
}

TEST_CASE("host_buffer: aligned storage and views, negative extents are an error") {
  host_buffer<float, 2> buf({3, 5});
  CHECK(reinterpret_cast<std::uintptr_t>(buf.data()) % 64 == 0);
  CHECK(buf.view().extent(1) == 5);
  CHECK(buf.view().is_contiguous());
  CHECK_THROWS_WITH((host_buffer<float, 2>({3, -1})), Catch::Contains("extent 1 is negative"));
  host_buffer<float, 1> empty({0});
  CHECK(empty.view().empty());
}

// example-begin minimal-backend
struct my_backend {
  using memory_space = posttrain::host_space;
  static constexpr bool is_backend = true;
};
// example-end minimal-backend

// The member signatures docs/backends.md lists, compiled as declarations on host views.
namespace documented {
using posttrain::index_t;
using posttrain::row_error;
using posttrain::tensor_view;
template <class T>
using view = tensor_view<T, 2>;
template <class T>
using vector_view = tensor_view<T, 1>;
struct backend_members {
  // example-begin backend-members
  template <class Body> void parallel_for(index_t rows, const Body& body) const;  // body(r0, r1)
  template <class T> void gemm(view<const T> a, view<const T> b, view<T> c, T alpha, T beta) const;
      // a and b arrive already transposed when the caller asked (a transposed view is just strides)
  template <class F, class T, class... In> void map(const F& f, view<T> out, const In&... in) const;
  template <class R, class F, class O, class... In>
  void transform_reduce(const R& red, const F& f, vector_view<O> out, const In&... in) const;
  template <class T> void fill(view<T> out, T value) const;
  template <class T> void copy(view<const T> src, view<T> dst) const;
  template <class T> void softmax(view<const T> x, view<T> y) const;       // and log_softmax
  template <class T, class O> void row_logsumexp(view<const T> x, vector_view<O> out) const;
  template <class T, class I> void topk(view<const T> x, view<T> values, view<I> indices) const;
  template <class T, class I> void argmax(view<const T> x, vector_view<I> out) const;
  template <class T, class I> void gather(view<const T> x, view<const I> index, view<T> out) const;
  template <class T, class C> void reverse_scan(view<const T> x, const C& c, view<T> y) const;
      // C is a view or an arithmetic scalar
  template <class T> void symmetric_eigen(view<const T> a, vector_view<T> values, view<T> vectors) const;
      // read a's upper triangle; values descending; finiteness already checked
  template <class T, std::size_t Rank> auto allocate(const index_t (&extents)[Rank]) const;  // .view()
  template <class T, std::size_t R, class S, class D>
  void deep_copy(tensor_view<const T, R, S> src, tensor_view<T, R, D> dst) const;
  template <class Kernel, class... Args>
  row_error for_each_row(index_t rows, const Kernel& kernel, const Args&... args) const;
      // runs kernel(team, row, args...) on its own teams (core/row_kernel.hpp lists what a team offers)
  // example-end backend-members
};
}  // namespace documented

TEST_CASE("a minimal backend is a policy type, ops reach it through the generic fallbacks") {
  std::vector<float> x = {1, 2, 3, 3}, p(4);
  ops::softmax(my_backend{}, tensor_view<const float, 2>(x.data(), 2, 2), tensor_view<float, 2>(p.data(), 2, 2));
  CHECK(p[0] == Approx(1 / (1 + std::exp(1.0f))));
  CHECK(p[2] == Approx(0.5f));
}
