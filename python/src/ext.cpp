// SPDX-License-Identifier: Apache-2.0
// posttrain._core: the library's kernels on arrays from Python (numpy, torch, anything with
// DLPack), read in place through their strides, on the Eigen backend (all cores). The GIL is
// released around every kernel. The library's errors (posttrain::error, a std::invalid_argument)
// become ValueError with the library's message; a wrong dtype or device is a TypeError.

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/core/config.hpp>
#include <posttrain/reward/gae.hpp>
#include <posttrain/reward/kl.hpp>
#include <posttrain/reward/whitening.hpp>

namespace nb = nanobind;
namespace pt = posttrain;

namespace {

using any_array = nb::ndarray<nb::ro>;

/// The element types the bindings take: float32 and float64 for values; those, bool, uint8,
/// int32 and int64 for masks.
enum class kind { f32, f64, boolean, u8, i32, i64 };

std::string describe_shape(const any_array& a) {
  std::string s = "(";
  for (std::size_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

kind kind_of(const any_array& a, const char* name, bool mask) {
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

void check_2d_cpu(const any_array& a, const char* name) {
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

/// A new C-ordered numpy array [rows, cols] of T, owned by Python.
template <class T>
std::pair<nb::ndarray<nb::numpy, T, nb::ndim<2>>, pt::tensor_view<T, 2>> new_array(std::size_t rows, std::size_t cols) {
  T* data = new T[rows * cols > 0 ? rows * cols : 1];
  nb::capsule owner(data, [](void* p) noexcept { delete[] static_cast<T*>(p); });
  nb::ndarray<nb::numpy, T, nb::ndim<2>> array(data, {rows, cols}, owner);
  return {array, pt::tensor_view<T, 2>(data, pt::index_t(rows), pt::index_t(cols))};
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
kind common_kind(std::initializer_list<std::pair<const any_array*, const char*>> arrays) {
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

const pt::eigen_backend backend{};

pt::reward::mask_semantics parse_masking(const std::string& m) {
  if (m == "zero") return pt::reward::mask_semantics::zero;
  if (m == "skip") return pt::reward::mask_semantics::skip;
  throw nb::value_error(("masking must be 'zero' (trl, OpenRLHF) or 'skip' (verl, multi-turn), not '" + m + "'").c_str());
}

nb::tuple compute_gae(const any_array& rewards, const any_array& values, const std::optional<any_array>& mask,
                      double gamma, double lam, const std::string& masking) {
  const kind k = common_kind({{&rewards, "rewards"}, {&values, "values"}});
  pt::reward::gae_options o;
  o.gamma = gamma;
  o.lambda = lam;
  o.masking = parse_masking(masking);
  const auto rows = rewards.shape(0), cols = rewards.shape(1);
  const auto run = [&]<class T>(T) {
    auto [advantages, a] = new_array<T>(rows, cols);
    auto [returns, r] = new_array<T>(rows, cols);
    with_mask(mask, pt::index_t(rows), pt::index_t(cols), [&](auto m) {
      nb::gil_scoped_release released;
      pt::reward::gae(backend, view_of<T>(rewards), view_of<T>(values), m, a, r, o);
    });
    return nb::make_tuple(advantages, returns);
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

pt::reward::whiten_options whiten_preset(const std::optional<std::string>& preset, std::optional<bool> shift_mean,
                                         std::optional<bool> unbiased, std::optional<double> eps) {
  pt::reward::whiten_options o;
  if (preset) {
    if (*preset == "trl") o = pt::reward::whiten_options::trl();
    else if (*preset == "verl") o = pt::reward::whiten_options::verl();
    else if (*preset == "openrlhf") o = pt::reward::whiten_options::openrlhf();
    else throw nb::value_error(("preset must be 'trl', 'verl' or 'openrlhf', not '" + *preset + "'").c_str());
  }
  if (shift_mean) o.shift_mean = *shift_mean;
  if (unbiased) o.unbiased = *unbiased;
  if (eps) o.epsilon = *eps;
  return o;
}

nb::object masked_whiten(const any_array& x, const std::optional<any_array>& mask, bool shift_mean,
                         const std::optional<std::string>& preset, std::optional<bool> unbiased, std::optional<double> eps) {
  const kind k = common_kind({{&x, "x"}});
  const auto o = whiten_preset(preset, shift_mean, unbiased, eps);
  const auto run = [&]<class T>(T) -> nb::object {
    auto [out, view] = new_array<T>(x.shape(0), x.shape(1));
    with_mask(mask, pt::index_t(x.shape(0)), pt::index_t(x.shape(1)), [&](auto m) {
      nb::gil_scoped_release released;
      pt::reward::masked_whiten(backend, view_of<T>(x), m, view, o);
    });
    return nb::cast(out);
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

nb::object kl_penalty(const any_array& logp, const any_array& ref_logp, const std::optional<any_array>& mask,
                      const std::string& kind_name, std::optional<double> clamp) {
  const kind k = common_kind({{&logp, "logp"}, {&ref_logp, "ref_logp"}});
  pt::reward::kl_options o;
  if (kind_name == "k1") o.estimator = pt::reward::kl_estimator::k1;
  else if (kind_name == "k2") o.estimator = pt::reward::kl_estimator::k2;
  else if (kind_name == "k3") o.estimator = pt::reward::kl_estimator::k3;
  else if (kind_name == "abs") o.estimator = pt::reward::kl_estimator::abs;
  else throw nb::value_error(("kind must be 'k1', 'k2', 'k3' or 'abs', not '" + kind_name + "'").c_str());
  o.clamp = clamp;
  const auto run = [&]<class T>(T) -> nb::object {
    auto [out, view] = new_array<T>(logp.shape(0), logp.shape(1));
    with_mask(mask, pt::index_t(logp.shape(0)), pt::index_t(logp.shape(1)), [&](auto m) {
      nb::gil_scoped_release released;
      pt::reward::kl_penalty(backend, view_of<T>(logp), view_of<T>(ref_logp), m, view, o);
    });
    return nb::cast(out);
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "posttrain's kernels (Eigen backend); see posttrain/__init__.py";
  m.attr("__version__") = POSTTRAIN_VERSION_STRING;
  m.attr("backend") = pt::eigen_backend::name;
  m.def("compute_gae", &compute_gae, nb::arg("rewards"), nb::arg("values"), nb::arg("mask") = nb::none(),
        nb::arg("gamma") = 1.0, nb::arg("lam") = 0.95, nb::arg("masking") = "zero",
        "Advantages and returns [B, T] of rewards and values [B, T] (GAE), no bootstrap past the end.");
  m.def("masked_whiten", &masked_whiten, nb::arg("x"), nb::arg("mask") = nb::none(), nb::arg("shift_mean") = true,
        nb::arg("preset") = nb::none(), nb::arg("unbiased") = nb::none(), nb::arg("eps") = nb::none(),
        "(x - mean) * rsqrt(var + eps), the statistics over mask != 0.");
  m.def("kl_penalty", &kl_penalty, nb::arg("logp"), nb::arg("ref_logp"), nb::arg("mask") = nb::none(),
        nb::arg("kind") = "k1", nb::arg("clamp") = nb::none(),
        "The per-token KL estimate of logp - ref_logp where mask != 0, 0 elsewhere.");
}
