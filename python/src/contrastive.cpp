// SPDX-License-Identifier: Apache-2.0
// The contrastive module's bindings: the InfoNCE family (PyGCL's InfoNCE, GraphCL, NT-Xent) and
// the complementary loss with their gradients, the highlighted dimensions, and the diagnostics
// (per-dimension contributions, effective rank).

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <posttrain/contrastive/complement.hpp>
#include <posttrain/contrastive/diagnostics.hpp>
#include <posttrain/contrastive/infonce.hpp>

#include "arrays.hpp"

namespace posttrain_python {
namespace {

namespace cl = pt::contrastive;

cl::loss_options loss_options(const std::string& objective, double temperature, bool symmetric) {
  cl::loss_options o;
  if (objective == "infonce") o.kind = cl::objective::infonce;
  else if (objective == "graphcl") o.kind = cl::objective::graphcl;
  else if (objective == "nt_xent") o.kind = cl::objective::nt_xent;
  else throw nb::value_error(("objective must be 'infonce', 'graphcl' or 'nt_xent', not '" + objective + "'").c_str());
  o.temperature = temperature;
  o.symmetric = symmetric;
  return o;
}

cl::complement_options complement(const std::string& objective, double temperature, bool symmetric, double ratio,
                                  std::optional<pt::index_t> count, double weight, const std::string& rule,
                                  const std::string& scope) {
  cl::complement_options o;
  o.base = loss_options(objective, temperature, symmetric);
  o.ratio = ratio;
  o.count = count.value_or(-1);
  o.weight = weight;
  if (rule == "contribution") o.rule = cl::highlight_rule::contribution;
  else if (rule == "anchor_magnitude") o.rule = cl::highlight_rule::anchor_magnitude;
  else throw nb::value_error(("rule must be 'contribution' or 'anchor_magnitude', not '" + rule + "'").c_str());
  if (scope == "per_sample") o.scope = cl::mask_scope::per_sample;
  else if (scope == "anchor_row") o.scope = cl::mask_scope::anchor_row;
  else throw nb::value_error(("scope must be 'per_sample' or 'anchor_row', not '" + scope + "'").c_str());
  return o;
}

nb::tuple contrastive_loss(const any_array& z1, const any_array& z2, const std::string& objective, double temperature,
                           bool symmetric) {
  const kind k = common_kind({{&z1, "z1"}, {&z2, "z2"}});
  const auto o = loss_options(objective, temperature, symmetric);
  const auto run = [&]<class T>(T) {
    auto [grad1, g1] = new_array<T>(z1.shape(0), z1.shape(1));
    auto [grad2, g2] = new_array<T>(z2.shape(0), z2.shape(1));
    double loss = 0;
    {
      nb::gil_scoped_release released;
      loss = cl::loss_and_gradient(backend, view_of<T>(z1), view_of<T>(z2), g1, g2, o);
    }
    return nb::make_tuple(loss, grad1, grad2);
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

nb::object highlighted_dimensions(const any_array& z1, const any_array& z2, double ratio,
                                  std::optional<pt::index_t> count, const std::string& rule) {
  const kind k = common_kind({{&z1, "z1"}, {&z2, "z2"}});
  const auto o = complement("infonce", 0.2, false, ratio, count, 1.0, rule, "per_sample");
  auto [mask, m] = new_array<std::uint8_t>(z1.shape(0), z1.shape(1));
  const auto run = [&]<class T>(T) {
    nb::gil_scoped_release released;
    cl::highlighted_dimensions(backend, view_of<T>(z1), view_of<T>(z2), o, m);
  };
  k == kind::f32 ? run(float{}) : run(double{});
  return nb::cast(mask);
}

nb::tuple complementary_loss(const any_array& z1, const any_array& z2, const std::optional<any_array>& mask,
                             const std::string& objective, double temperature, bool symmetric, double ratio,
                             std::optional<pt::index_t> count, double weight, const std::string& rule,
                             const std::string& scope) {
  const kind k = common_kind({{&z1, "z1"}, {&z2, "z2"}});
  const auto o = complement(objective, temperature, symmetric, ratio, count, weight, rule, scope);
  const auto run = [&]<class T>(T) {
    auto [grad1, g1] = new_array<T>(z1.shape(0), z1.shape(1));
    auto [grad2, g2] = new_array<T>(z2.shape(0), z2.shape(1));
    cl::complement_loss r;
    if (mask) {
      with_mask(mask, pt::index_t(z1.shape(0)), pt::index_t(z1.shape(1)), [&](auto m) {
        nb::gil_scoped_release released;
        r = cl::complementary_loss_and_gradient(backend, view_of<T>(z1), view_of<T>(z2), m, g1, g2, o);
      });
    } else {
      nb::gil_scoped_release released;
      std::vector<std::uint8_t> highlighted(z1.shape(0) * z1.shape(1));
      const pt::tensor_view<std::uint8_t, 2> m(highlighted.data(), pt::index_t(z1.shape(0)), pt::index_t(z1.shape(1)));
      cl::highlighted_dimensions(backend, view_of<T>(z1), view_of<T>(z2), o, m);
      r = cl::complementary_loss_and_gradient(backend, view_of<T>(z1), view_of<T>(z2), pt::tensor_view<const std::uint8_t, 2>(m),
                                              g1, g2, o);
    }
    nb::dict terms;
    terms["plain"] = r.plain;
    terms["complementary"] = r.complementary;
    return nb::make_tuple(r.total, grad1, grad2, terms);
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

nb::object dimension_contributions(const any_array& z1, const any_array& z2) {
  const kind k = common_kind({{&z1, "z1"}, {&z2, "z2"}});
  const auto run = [&]<class T>(T) {
    nb::gil_scoped_release released;
    return cl::dimension_contributions(backend, view_of<T>(z1), view_of<T>(z2));
  };
  return nb::cast(to_numpy(k == kind::f32 ? run(float{}) : run(double{})));
}

double effective_rank(const any_array& z) {
  const kind k = common_kind({{&z, "z"}});
  const auto run = [&]<class T>(T) {
    nb::gil_scoped_release released;
    return cl::effective_rank(backend, view_of<T>(z));
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

}  // namespace

void bind_contrastive(nb::module_& m) {
  m.def("contrastive_loss", &contrastive_loss, nb::arg("z1"), nb::arg("z2"), nb::arg("objective") = "infonce",
        nb::arg("temperature") = 0.2, nb::arg("symmetric") = false,
        "The contrastive loss of two views z1, z2 [N, d] (cosine similarities over temperature, the mean over "
        "anchors): 'infonce' (PyGCL's InfoNCE; symmetric: both directions, PyGCL's DualBranchContrast), 'graphcl' "
        "(the positive not in the denominator), 'nt_xent' (SimCLR, 2N anchors). (loss, d loss / d z1, d loss / d z2).");
  m.def("highlighted_dimensions", &highlighted_dimensions, nb::arg("z1"), nb::arg("z2"), nb::arg("ratio") = 0.1,
        nb::arg("count") = nb::none(), nb::arg("rule") = "contribution",
        "mask [N, d] (uint8): per pair, the k = ceil(ratio * d) (or count) dimensions with the largest "
        "contribution z1_hat * z2_hat ('contribution') or |z1_hat| ('anchor_magnitude'), ties to the lower dimension.");
  m.def("complementary_loss", &complementary_loss, nb::arg("z1"), nb::arg("z2"), nb::arg("mask") = nb::none(),
        nb::arg("objective") = "infonce", nb::arg("temperature") = 0.2, nb::arg("symmetric") = false,
        nb::arg("ratio") = 0.1, nb::arg("count") = nb::none(), nb::arg("weight") = 1.0,
        nb::arg("rule") = "contribution", nb::arg("scope") = "per_sample",
        "L(z1, z2) + weight * L(z1, z2 with the highlighted dimensions masked): (total, d/d z1, d/d z2, "
        "{plain, complementary}); the mask (given, or highlighted_dimensions') is held constant.");
  m.def("dimension_contributions", &dimension_contributions, nb::arg("z1"), nb::arg("z2"),
        "c[j] = mean over pairs of z1_hat[i, j] * z2_hat[i, j] (float64 [d]): their sum is the mean positive cosine.");
  m.def("effective_rank", &effective_rank, nb::arg("z"),
        "exp(entropy of the normalised singular values of z [N, d]); 0 for an all-zero matrix.");
}

}  // namespace posttrain_python
