// SPDX-License-Identifier: Apache-2.0
#pragma once
// Arrays from Python (numpy, torch, anything with DLPack) as the library's views, read in place
// through their strides, and new numpy arrays for results. Errors: a wrong dtype or device is a
// TypeError, a wrong shape a ValueError, each naming the argument.

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <posttrain/backends/eigen.hpp>

namespace posttrain_python {

namespace nb = nanobind;
namespace pt = posttrain;

using any_array = nb::ndarray<nb::ro>;

/// The element types the bindings take: float32 and float64 for values; those, bool, uint8,
/// int32 and int64 for masks.
enum class kind { f32, f64, boolean, u8, i32, i64 };

template <class A>
std::string describe_shape(const A& a) {
  std::string s = "(";
  for (std::size_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

inline kind kind_of(const any_array& a, const char* name, bool mask) {
  const nb::dlpack::dtype d = a.dtype();
  if (d == nb::dtype<float>()) return kind::f32;
  if (d == nb::dtype<double>()) return kind::f64;
  if (mask) {
    if (d == nb::dtype<bool>()) return kind::boolean;
    if (d == nb::dtype<std::uint8_t>()) return kind::u8;
    if (d == nb::dtype<std::int32_t>()) return kind::i32;
    if (d == nb::dtype<std::int64_t>()) return kind::i64;
  }
  const char* code = d.code == uint8_t(nb::dlpack::dtype_code::Int)      ? "int"
                     : d.code == uint8_t(nb::dlpack::dtype_code::UInt)     ? "uint"
                     : d.code == uint8_t(nb::dlpack::dtype_code::Float)    ? "float"
                     : d.code == uint8_t(nb::dlpack::dtype_code::Bfloat)   ? "bfloat"
                     : d.code == uint8_t(nb::dlpack::dtype_code::Complex)  ? "complex"
                     : d.code == uint8_t(nb::dlpack::dtype_code::Bool)     ? "bool"
                                                                            : "code ";
  throw nb::type_error((std::string(name) + " must be float32 or float64" +
                        (mask ? " (or bool, uint8, int32, int64 for a mask)" : "") + ", not " + code +
                        std::to_string(int(d.bits)))
                           .c_str());
}

inline void check_2d_cpu(const any_array& a, const char* name) {
  if (a.device_type() != nb::device::cpu::value)
    throw nb::type_error((std::string(name) + " is not in host memory; this build has the Eigen (CPU) backend only").c_str());
  if (a.ndim() != 2)
    throw nb::value_error((std::string(name) + " must be 2-D [batch, tokens], not of shape " + describe_shape(a)).c_str());
}

template <class T>
pt::tensor_view<const T, 2> view_of(const any_array& a) {
  return {static_cast<const T*>(a.data()), {pt::index_t(a.shape(0)), pt::index_t(a.shape(1))},
          {pt::index_t(a.stride(0)), pt::index_t(a.stride(1))}};
}

/// Where a function writes its [rows, cols] result of T: a new numpy array, or the caller's `out`
/// (any writable array on the host with DLPack: numpy, torch; any strides), which is returned
/// as it was given. A wrong dtype, device or read-only array is a TypeError, a wrong shape a
/// ValueError, each naming `out`.
template <class T>
std::pair<nb::object, pt::tensor_view<T, 2>> output_2d(const std::optional<nb::object>& out, std::size_t rows,
                                                        std::size_t cols);

/// A new C-ordered numpy array [rows, cols] of T, owned by Python.
template <class T>
std::pair<nb::ndarray<nb::numpy, T, nb::ndim<2>>, pt::tensor_view<T, 2>> new_array(std::size_t rows, std::size_t cols) {
  T* data = new T[rows * cols > 0 ? rows * cols : 1];
  nb::capsule owner(data, [](void* p) noexcept { delete[] static_cast<T*>(p); });
  nb::ndarray<nb::numpy, T, nb::ndim<2>> array(data, {rows, cols}, owner);
  return {array, pt::tensor_view<T, 2>(data, pt::index_t(rows), pt::index_t(cols))};
}

template <class T>
std::pair<nb::object, pt::tensor_view<T, 2>> output_2d(const std::optional<nb::object>& out, std::size_t rows,
                                                        std::size_t cols) {
  if (!out || out->is_none()) {
    auto [array, view] = new_array<T>(rows, cols);
    return {nb::cast(array), view};
  }
  nb::ndarray<> a;
  if (!nb::try_cast(*out, a))
    throw nb::type_error("out must be a writable array (numpy, torch, DLPack); a read-only array cannot be written");
  const char* type = std::is_same_v<T, float> ? "float32" : "float64";
  if (a.device_type() != nb::device::cpu::value) throw nb::type_error("out is not in host memory");
  if (a.dtype() != nb::dtype<T>())
    throw nb::type_error((std::string("out must be ") + type + ", the dtype of the inputs").c_str());
  if (a.ndim() != 2 || a.shape(0) != rows || a.shape(1) != cols)
    throw nb::value_error(("out has shape " + describe_shape(a) + "; the result is (" + std::to_string(rows) + ", " +
                           std::to_string(cols) + ")").c_str());
  return {*out, pt::tensor_view<T, 2>(static_cast<T*>(a.data()), {pt::index_t(rows), pt::index_t(cols)},
                                      {pt::index_t(a.stride(0)), pt::index_t(a.stride(1))})};
}

/// A new numpy array [n] of T, owned by Python.
template <class T>
std::pair<nb::ndarray<nb::numpy, T, nb::ndim<1>>, pt::tensor_view<T, 1>> new_vector(std::size_t n) {
  T* data = new T[n > 0 ? n : 1];
  nb::capsule owner(data, [](void* p) noexcept { delete[] static_cast<T*>(p); });
  nb::ndarray<nb::numpy, T, nb::ndim<1>> array(data, {n}, owner);
  return {array, pt::tensor_view<T, 1>(data, pt::index_t(n))};
}

/// Calls f(view) with the mask's view in its own element type; no mask: ones, without memory
/// (a stride-0 view of one element).
template <class F>
void with_mask(const std::optional<any_array>& mask, pt::index_t rows, pt::index_t cols, const F& f) {
  static const unsigned char one = 1;
  if (!mask) return f(pt::tensor_view<const unsigned char, 2>(&one, {rows, cols}, {0, 0}));
  check_2d_cpu(*mask, "mask");
  switch (kind_of(*mask, "mask", true)) {
    case kind::f32: return f(view_of<float>(*mask));
    case kind::f64: return f(view_of<double>(*mask));
    case kind::boolean: return f(view_of<bool>(*mask));
    case kind::u8: return f(view_of<std::uint8_t>(*mask));
    case kind::i32: return f(view_of<std::int32_t>(*mask));
    case kind::i64: return f(view_of<std::int64_t>(*mask));
  }
}

/// The values' common float type: float32 when all are, else an error (no silent conversion).
inline kind common_kind(std::initializer_list<std::pair<const any_array*, const char*>> arrays) {
  std::optional<kind> k;
  const char* first = nullptr;
  for (const auto& [a, name] : arrays) {
    check_2d_cpu(*a, name);
    const kind ak = kind_of(*a, name, false);
    if (k && *k != ak)
      throw nb::type_error((std::string(name) + " is " + (ak == kind::f32 ? "float32" : "float64") + " but " + first +
                            " is " + (*k == kind::f32 ? "float32" : "float64") + "; give them one dtype")
                               .c_str());
    k = ak;
    first = first ? first : name;
  }
  return *k;
}

/// The backend every binding runs on (all cores).
inline const pt::eigen_backend backend{};

/// A 1-D array in host memory, of n elements when n is given; `what` ends the shape error.
inline void check_1d_cpu(const any_array& a, const char* name, const std::string& what,
                         std::optional<std::size_t> n = std::nullopt) {
  if (a.device_type() != nb::device::cpu::value)
    throw nb::type_error((std::string(name) + " is not in host memory").c_str());
  if (a.ndim() != 1 || (n && a.shape(0) != *n))
    throw nb::value_error((std::string(name) + " must be 1-D " + what + ", not of shape " + describe_shape(a)).c_str());
}

/// Calls f(view) with labels [rows] (int32 or int64) read in place through their stride; `what`
/// says what they label, for the shape error.
template <class F>
void with_labels(const any_array& labels, std::size_t rows, const std::string& what, const F& f) {
  check_1d_cpu(labels, "labels", "with " + what + " (" + std::to_string(rows) + ")", rows);
  const auto n = pt::index_t(rows), s = pt::index_t(labels.stride(0));
  const nb::dlpack::dtype d = labels.dtype();
  if (d == nb::dtype<std::int64_t>())
    return f(pt::tensor_view<const std::int64_t, 1>(static_cast<const std::int64_t*>(labels.data()), {n}, {s}));
  if (d == nb::dtype<std::int32_t>())
    return f(pt::tensor_view<const std::int32_t, 1>(static_cast<const std::int32_t*>(labels.data()), {n}, {s}));
  throw nb::type_error("labels must be int32 or int64");
}

/// out[i] = convert(a[i]) for a 1-D array of T, through its stride (the dtype dispatched once).
template <class T, class Out, class Convert>
void copy_1d(const any_array& a, std::vector<Out>& out, const Convert& convert) {
  const T* data = static_cast<const T*>(a.data());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = convert(data[i * a.stride(0)]);
}

/// One number per response, as the host-side group estimators take it: a 1-D float array read
/// into doubles (the estimators compute in double whatever the input).
inline std::vector<double> doubles_of(const any_array& a, const char* name) {
  check_1d_cpu(a, name, "[responses]");
  std::vector<double> out(a.shape(0));
  const auto to_double = [](auto v) { return double(v); };
  if (kind_of(a, name, false) == kind::f32) copy_1d<float>(a, out, to_double);
  else copy_1d<double>(a, out, to_double);
  return out;
}

/// Group ids: a 1-D integer array (int32 or int64) of the same length as the scores.
inline std::vector<std::int64_t> ids_of(const any_array& a, std::size_t n) {
  check_1d_cpu(a, "group", "with one id per score (" + std::to_string(n) + ")", n);
  std::vector<std::int64_t> out(n);
  if (n == 0) return out;
  const auto to_id = [](auto v) { return std::int64_t(v); };
  const nb::dlpack::dtype d = a.dtype();
  if (d == nb::dtype<std::int64_t>()) copy_1d<std::int64_t>(a, out, to_id);
  else if (d == nb::dtype<std::int32_t>()) copy_1d<std::int32_t>(a, out, to_id);
  else throw nb::type_error("group must be int32 or int64 (one prompt id per response)");
  return out;
}

/// counted: None (every response counts) or one bool/int flag per response.
inline std::vector<std::uint8_t> flags_of(const std::optional<any_array>& a, std::size_t n) {
  std::vector<std::uint8_t> out;
  if (!a) return out;
  check_1d_cpu(*a, "counted", "with one flag per score (" + std::to_string(n) + ")", n);
  out.resize(n);
  const auto nonzero = [](auto v) { return std::uint8_t(v != decltype(v)(0)); };
  switch (kind_of(*a, "counted", true)) {
    case kind::f32: copy_1d<float>(*a, out, nonzero); break;
    case kind::f64: copy_1d<double>(*a, out, nonzero); break;
    case kind::boolean: copy_1d<bool>(*a, out, nonzero); break;
    case kind::u8: copy_1d<std::uint8_t>(*a, out, nonzero); break;
    case kind::i32: copy_1d<std::int32_t>(*a, out, nonzero); break;
    case kind::i64: copy_1d<std::int64_t>(*a, out, nonzero); break;
  }
  return out;
}

inline nb::ndarray<nb::numpy, double, nb::ndim<1>> to_numpy(std::vector<double>&& v) {
  auto* heap = new std::vector<double>(std::move(v));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<double>*>(p); });
  return {heap->data(), {heap->size()}, owner};
}

}  // namespace posttrain_python
