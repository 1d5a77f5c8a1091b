// SPDX-License-Identifier: Apache-2.0
// posttrain._core: the library's kernels on arrays from Python (numpy, torch, anything with
// DLPack), read in place through their strides, on the Eigen backend (all cores). The GIL is
// released around every kernel. The library's errors (posttrain::error, a std::invalid_argument)
// become ValueError with the library's message; a wrong dtype or device is a TypeError; a failure
// underneath (posttrain::runtime_error: a file that cannot be opened or read) is an OSError.

#include <nanobind/nanobind.h>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/core/config.hpp>
#include <posttrain/core/error.hpp>

namespace posttrain_python {
void bind_reward(nanobind::module_& m);
void bind_reward_tracing(nanobind::module_& m);
void bind_rm_eval(nanobind::module_& m);
void bind_value(nanobind::module_& m);
void bind_contrastive(nanobind::module_& m);
void bind_collapse(nanobind::module_& m);
void bind_simplify(nanobind::module_& m);
void bind_lexical(nanobind::module_& m);
}  // namespace posttrain_python

NB_MODULE(_core, m) {
  m.doc() = "posttrain's kernels (Eigen backend); see posttrain/__init__.py";
  m.attr("__version__") = POSTTRAIN_VERSION_STRING;
  m.attr("backend") = posttrain::eigen_backend::name;
  nanobind::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const posttrain::runtime_error& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    }
  });
  posttrain_python::bind_reward(m);
  posttrain_python::bind_reward_tracing(m);
  posttrain_python::bind_rm_eval(m);
  posttrain_python::bind_value(m);
  posttrain_python::bind_contrastive(m);
  posttrain_python::bind_collapse(m);
  posttrain_python::bind_simplify(m);
  posttrain_python::bind_lexical(m);
}
