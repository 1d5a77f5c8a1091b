// SPDX-License-Identifier: Apache-2.0
// The collapse module's bindings: NC1–NC4 of a feature matrix, and the streaming class
// statistics (add batches, merge shards, pickle exactly) with the metrics they give alone.

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <sstream>
#include <variant>

#include <posttrain/collapse/nc_metrics.hpp>
#include <posttrain/io/collapse_statistics.hpp>

#include "arrays.hpp"

namespace posttrain_python {
namespace {

namespace nc = pt::collapse;

nc::scatter_route parse_route(const std::string& route) {
  if (route == "automatic") return nc::scatter_route::automatic;
  if (route == "gram") return nc::scatter_route::gram;
  if (route == "projected") return nc::scatter_route::projected;
  throw nb::value_error(("route must be 'automatic', 'gram' or 'projected', not '" + route + "'").c_str());
}

nc::global_mean parse_mean(const std::string& mean) {
  if (mean == "sample") return nc::global_mean::sample;
  if (mean == "class_means") return nc::global_mean::class_means;
  throw nb::value_error(("mean must be 'sample' (Li et al.) or 'class_means' (Papyan et al.), not '" + mean + "'").c_str());
}

nc::nc_options options_of(const std::string& mean, bool divide_by_classes, const std::string& route,
                          pt::index_t batch_rows) {
  nc::nc_options o;
  o.mean = parse_mean(mean);
  o.divide_by_classes = divide_by_classes;
  o.route = parse_route(route);
  o.batch_rows = batch_rows;
  return o;
}

/// The classifier W [K, d] and bias [K] (optional), copied to double.
std::optional<nc::linear_classifier> classifier_of(const std::optional<any_array>& weight,
                                                   const std::optional<any_array>& bias) {
  if (!weight) {
    if (bias) throw nb::value_error("bias without weight: give the classifier's weight [K, d] too");
    return std::nullopt;
  }
  check_2d_cpu(*weight, "weight");
  const bool f32 = kind_of(*weight, "weight", false) == kind::f32;
  std::vector<double> b;
  if (bias) b = doubles_of(*bias, "bias");
  const pt::tensor_view<const double, 1> bv(b.data(), pt::index_t(b.size()));
  return f32 ? nc::linear_classifier(view_of<float>(*weight), bv) : nc::linear_classifier(view_of<double>(*weight), bv);
}

nb::object optional_number(const std::optional<double>& v) { return v ? nb::cast(*v) : nb::none(); }

nb::dict geometry(const nc::simplex_geometry& g) {
  nb::dict d;
  d["equinorm"] = g.equinorm;
  d["equiangularity"] = g.equiangularity;
  d["cosine_std"] = g.cosine_std;
  d["etf_error"] = g.etf_error;
  return d;
}

nb::dict result_dict(const nc::nc_result& r) {
  nb::dict d;
  d["samples"] = r.samples;
  d["classes"] = r.classes;
  d["dim"] = r.dim;
  d["nc1"] = r.nc1;
  d["within_trace"] = r.within_trace;
  d["between_trace"] = r.between_trace;
  d["trace_ratio"] = r.trace_ratio;
  d["cdnv"] = r.cdnv;
  d["between_rank"] = r.between_rank;
  d["nc2_means"] = geometry(r.means);
  d["nc2_classifier"] = r.classifier ? nb::object(geometry(*r.classifier)) : nb::none();
  d["nc3_self_duality"] = optional_number(r.self_duality);
  d["nc3_classifier_means_etf_error"] = optional_number(r.classifier_means_etf_error);
  d["nc4_ncc_accuracy"] = optional_number(r.ncc_accuracy);
  d["nc4_ncc_mismatch"] = optional_number(r.ncc_mismatch);
  return d;
}

nb::dict nc_metrics(const any_array& features, const any_array& labels, pt::index_t classes,
                    const std::optional<any_array>& weight, const std::optional<any_array>& bias, const std::string& mean,
                    bool divide_by_classes, const std::string& route, pt::index_t batch_rows) {
  const kind k = common_kind({{&features, "features"}});
  const auto o = options_of(mean, divide_by_classes, route, batch_rows);
  const auto clf = classifier_of(weight, bias);
  nc::nc_result r;
  with_labels(labels, features.shape(0), "one label per feature row", [&](auto y) {
    nb::gil_scoped_release released;
    const nc::linear_classifier* c = clf ? &*clf : nullptr;
    r = k == kind::f32 ? nc::nc_metrics(backend, view_of<float>(features), y, classes, o, c)
                       : nc::nc_metrics(backend, view_of<double>(features), y, classes, o, c);
  });
  return result_dict(r);
}

/// class_statistics with Python's protocols: add, merge, pickling through the exact text form.
struct class_statistics_py {
  nc::class_statistics stats;

  void add(const any_array& features, const any_array& labels) {
    const kind k = common_kind({{&features, "features"}});
    with_labels(labels, features.shape(0), "one label per feature row", [&](auto y) {
      nb::gil_scoped_release released;
      if (k == kind::f32) stats.add(backend, view_of<float>(features), y);
      else stats.add(backend, view_of<double>(features), y);
    });
  }

  std::string state() const {
    std::ostringstream out;
    posttrain::io::save(out, stats);
    return out.str();
  }
};

/// second_pass_statistics with Python's protocols. It keeps what built it (the pass-1 statistics,
/// the convention and the classifier), so that it alone gives the metrics and can be pickled: the
/// state is those, then the pass's own sums, each in the library's exact text form.
struct second_pass_py {
  using pass_f32 = nc::second_pass_statistics<float>;
  using pass_f64 = nc::second_pass_statistics<double>;

  nc::class_statistics stats;
  std::optional<nc::linear_classifier> classifier;
  std::string mean;
  std::variant<pass_f32, pass_f64> pass;

  static std::variant<pass_f32, pass_f64> make(const nc::class_statistics& stats, const std::string& mean,
                                               const std::string& dtype, const nc::linear_classifier* clf) {
    const nc::global_mean convention = parse_mean(mean);
    if (dtype != "float32" && dtype != "float64")
      throw nb::value_error(("dtype must be 'float32' or 'float64' (the features' type), not '" + dtype + "'").c_str());
    nb::gil_scoped_release released;
    if (dtype == "float32") return pass_f32(backend, stats, convention, clf);
    return pass_f64(backend, stats, convention, clf);
  }

  second_pass_py(const nc::class_statistics& s, std::optional<nc::linear_classifier> clf, const std::string& mean_,
                 const std::string& dtype)
      : stats(s), classifier(std::move(clf)), mean(mean_), pass(make(s, mean_, dtype, classifier ? &*classifier : nullptr)) {}

  std::string dtype() const { return pass.index() == 0 ? "float32" : "float64"; }

  void add(const any_array& features, const any_array& labels) {
    const kind k = common_kind({{&features, "features"}});
    if ((k == kind::f32) != (pass.index() == 0))
      throw nb::type_error(("features are " + std::string(k == kind::f32 ? "float32" : "float64") +
                            " but this second pass was built for " + dtype() +
                            " features (SecondPassStatistics(..., dtype=...) sets it)").c_str());
    with_labels(labels, features.shape(0), "one label per feature row", [&](auto y) {
      nb::gil_scoped_release released;
      std::visit([&]<class T>(nc::second_pass_statistics<T>& p) { p.add(backend, view_of<T>(features), y); }, pass);
    });
  }

  void merge(const second_pass_py& other) {
    if (other.pass.index() != pass.index())
      throw nb::value_error(("merging a second pass of " + other.dtype() + " features into one of " + dtype() +
                             " features").c_str());
    nb::gil_scoped_release released;
    std::visit([&]<class T>(nc::second_pass_statistics<T>& p) { p.merge(std::get<nc::second_pass_statistics<T>>(other.pass)); },
               pass);
  }

  nb::dict metrics(bool divide_by_classes) const {
    const auto o = options_of(mean, divide_by_classes, "automatic", 8192);
    nc::nc_result r;
    {
      nb::gil_scoped_release released;
      r = std::visit([&](const auto& p) { return nc::nc_metrics(backend, stats, p, o, classifier ? &*classifier : nullptr); },
                     pass);
    }
    return result_dict(r);
  }

  nb::tuple state() const {
    std::ostringstream first, second;
    posttrain::io::save(first, stats);
    std::visit([&](const auto& p) { posttrain::io::save(second, p); }, pass);
    nb::object weight = nb::none(), bias = nb::none();
    if (classifier) {
      auto [w, view] = new_array<double>(std::size_t(classifier->classes), std::size_t(classifier->dim));
      std::copy(classifier->weight.begin(), classifier->weight.end(), view.data());
      weight = nb::cast(w);
      if (!classifier->bias.empty()) bias = nb::cast(to_numpy(std::vector<double>(classifier->bias)));
    }
    return nb::make_tuple(first.str(), weight, bias, mean, dtype(), second.str());
  }

  static void restore(second_pass_py* self, const nb::tuple& t) {
    if (t.size() != 6) throw nb::value_error("SecondPassStatistics: a pickled state has 6 parts");
    std::istringstream first(nb::cast<std::string>(t[0])), second(nb::cast<std::string>(t[5]));
    const auto weight = t[1].is_none() ? std::nullopt : std::optional(nb::cast<any_array>(t[1]));
    const auto bias = t[2].is_none() ? std::nullopt : std::optional(nb::cast<any_array>(t[2]));
    new (self) second_pass_py(posttrain::io::load_class_statistics(first, "<pickle>"), classifier_of(weight, bias),
                              nb::cast<std::string>(t[3]), nb::cast<std::string>(t[4]));
    std::visit([&](auto& p) { posttrain::io::merge_saved(p, second, "<pickle>"); }, self->pass);
  }
};

}  // namespace

void bind_collapse(nb::module_& m) {
  m.def("nc_metrics", &nc_metrics, nb::arg("features"), nb::arg("labels"), nb::arg("classes"),
        nb::arg("weight") = nb::none(), nb::arg("bias") = nb::none(), nb::arg("mean") = "sample",
        nb::arg("divide_by_classes") = true, nb::arg("route") = "automatic", nb::arg("batch_rows") = 8192,
        "NC1–NC4 of features [N, d] with labels [N] in 0..classes-1 (two passes, in batches): a dict like "
        "`posttrain nc-metrics`'s JSON. weight [K, d] (and bias [K]) add the classifier's NC2, NC3 and the NCC "
        "mismatch.");

  nb::class_<class_statistics_py>(m, "ClassStatistics",
                                  "Per-class counts, sums and within-class scatter in double: add batches, merge "
                                  "shards (exact in any order up to rounding), pickle exactly (hexadecimal floats).")
      .def(
          "__init__",
          [](class_statistics_py* self, pt::index_t classes, pt::index_t dim, const std::string& route) {
            new (self) class_statistics_py{nc::class_statistics(classes, dim, parse_route(route))};
          },
          nb::arg("classes"), nb::arg("dim"), nb::arg("route") = "automatic",
          "route: 'gram' keeps the d×d scatter (metrics from this pass alone), 'projected' needs nc_metrics' "
          "second pass; 'automatic' is gram when d <= classes.")
      .def("add", &class_statistics_py::add, nb::arg("features"), nb::arg("labels"),
           "Adds a batch: features [n, d] (float32 or float64, any strides), labels [n] (int32 or int64).")
      .def(
          "merge",
          [](class_statistics_py& self, const class_statistics_py& other) {
            nb::gil_scoped_release released;
            self.stats.merge(backend, other.stats);
          },
          nb::arg("other"), "Adds another shard's statistics (same classes, dim and route).")
      .def(
          "metrics",
          [](const class_statistics_py& self, const std::optional<any_array>& weight,
             const std::optional<any_array>& bias, const std::string& mean, bool divide_by_classes) {
            const auto o = options_of(mean, divide_by_classes, "automatic", 8192);
            const auto clf = classifier_of(weight, bias);
            nc::nc_result r;
            {
              nb::gil_scoped_release released;
              r = nc::nc_metrics(backend, self.stats, o, clf ? &*clf : nullptr);
            }
            return result_dict(r);
          },
          nb::arg("weight") = nb::none(), nb::arg("bias") = nb::none(), nb::arg("mean") = "sample",
          nb::arg("divide_by_classes") = true,
          "NC1–NC3 from these statistics alone (the gram route); NC4, and NC1 on the projected route, need "
          "a SecondPassStatistics over the same features.")
      .def_prop_ro("classes", [](const class_statistics_py& s) { return s.stats.classes(); })
      .def_prop_ro("dim", [](const class_statistics_py& s) { return s.stats.dim(); })
      .def_prop_ro("samples", [](const class_statistics_py& s) { return s.stats.samples(); })
      .def_prop_ro("route", [](const class_statistics_py& s) {
        return std::string(s.stats.route() == nc::scatter_route::gram ? "gram" : "projected");
      })
      .def("counts",
           [](const class_statistics_py& s) {
             const auto c = s.stats.counts();
             return to_numpy(std::vector<double>(c.begin(), c.end()));
           },
           "Samples per class (float64 [K]).")
      .def("class_means",
           [](const class_statistics_py& s) {
             auto means = s.stats.class_means();
             auto [out, view] = new_array<double>(std::size_t(s.stats.classes()), std::size_t(s.stats.dim()));
             std::copy(means.begin(), means.end(), view.data());
             return out;
           },
           "The class means [K, d] (float64); a class with no sample is a ValueError naming it.")
      .def("__getstate__", &class_statistics_py::state)
      .def("__setstate__", [](class_statistics_py& self, const std::string& state) {
        std::istringstream in(state);
        new (&self) class_statistics_py{posttrain::io::load_class_statistics(in, "<pickle>")};
      });

  nb::class_<second_pass_py>(m, "SecondPassStatistics",
                             "The second pass over the same features, once their ClassStatistics are complete: the "
                             "nearest-class-centre counts (NC4) and, on the projected route, the K×K scatter NC1 "
                             "needs. Add batches, merge shards built from the same statistics, pickle.")
      .def(
          "__init__",
          [](second_pass_py* self, const class_statistics_py& stats, const std::optional<any_array>& weight,
             const std::optional<any_array>& bias, const std::string& mean, const std::string& dtype) {
            new (self) second_pass_py(stats.stats, classifier_of(weight, bias), mean, dtype);
          },
          nb::arg("stats"), nb::arg("weight") = nb::none(), nb::arg("bias") = nb::none(), nb::arg("mean") = "sample",
          nb::arg("dtype") = "float32",
          "From the finished pass-1 statistics (copied), optionally the classifier (weight [K, d], bias [K]: its "
          "NCC mismatch), the global-mean convention, and the dtype of the features it will be given.")
      .def("add", &second_pass_py::add, nb::arg("features"), nb::arg("labels"),
           "Adds a batch: features [n, d] of the dtype given at construction (any strides), labels [n].")
      .def("merge", &second_pass_py::merge, nb::arg("other"),
           "Adds another shard's second pass, built from the same statistics, convention, classifier and dtype.")
      .def("metrics", &second_pass_py::metrics, nb::arg("divide_by_classes") = true,
           "NC1–NC4 (with the classifier's NC2, NC3 and NCC mismatch when it was given): nc_metrics' dict.")
      .def_prop_ro("samples",
                   [](const second_pass_py& s) { return std::visit([](const auto& p) { return p.samples(); }, s.pass); })
      .def_prop_ro("dtype", &second_pass_py::dtype)
      .def_prop_ro("fingerprint",
                   [](const second_pass_py& s) { return std::visit([](const auto& p) { return p.fingerprint(); }, s.pass); },
                   "A hash of what the sums depend on (statistics, convention, classifier, dtype): shards merge "
                   "when theirs agree.")
      .def("__getstate__", &second_pass_py::state)
      .def("__setstate__", &second_pass_py::restore);
}

}  // namespace posttrain_python
