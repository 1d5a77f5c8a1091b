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

TEST_CASE("a minimal backend is a policy type, ops reach it through the generic fallbacks") {
  std::vector<float> x = {1, 2, 3, 3}, p(4);
  ops::softmax(my_backend{}, tensor_view<const float, 2>(x.data(), 2, 2), tensor_view<float, 2>(p.data(), 2, 2));
  CHECK(p[0] == Approx(1 / (1 + std::exp(1.0f))));
  CHECK(p[2] == Approx(0.5f));
}
