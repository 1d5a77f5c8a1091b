// SPDX-License-Identifier: Apache-2.0
// The value module's bindings: the IVL loss and the token cross-entropy with their gradients, the
// logit combinations (residual, proxy tuning, EFT, CMC, contrastive decoding), and decoding
// (the processed log-probabilities, and one seeded decoding step).

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <posttrain/value/combine.hpp>
#include <posttrain/value/decode.hpp>
#include <posttrain/value/ivl_loss.hpp>

#include "arrays.hpp"

namespace posttrain_python {
namespace {

namespace va = pt::value;

nb::dict ivl_info(const va::ivl_result& r) {
  nb::dict d;
  d["cross_entropy"] = r.cross_entropy;
  d["norm"] = r.norm;
  d["labelled"] = r.labelled;
  return d;
}

nb::tuple ivl_loss(const any_array& z_base, const any_array& z_value, const any_array& labels, double lam,
                   std::int64_t ignore_index) {
  const kind k = common_kind({{&z_base, "z_base"}, {&z_value, "z_value"}});
  const va::ivl_options o{.lambda = lam, .ignore_index = ignore_index};
  const auto run = [&]<class T>(T) {
    auto [grad, g] = new_array<T>(z_value.shape(0), z_value.shape(1));
    va::ivl_result r;
    with_labels(labels, z_base.shape(0), "one label per row of the logits", [&](auto y) {
      nb::gil_scoped_release released;
      r = va::ivl_loss_and_gradient(backend, view_of<T>(z_base), view_of<T>(z_value), y, g, o);
    });
    return nb::make_tuple(r.loss, grad, ivl_info(r));
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

nb::tuple cross_entropy(const any_array& logits, const any_array& labels, std::int64_t ignore_index) {
  const kind k = common_kind({{&logits, "logits"}});
  const auto run = [&]<class T>(T) {
    auto [grad, g] = new_array<T>(logits.shape(0), logits.shape(1));
    va::ivl_result r;
    with_labels(labels, logits.shape(0), "one label per row of the logits", [&](auto y) {
      nb::gil_scoped_release released;
      r = va::token_cross_entropy(backend, view_of<T>(logits), y, g, ignore_index);
    });
    return nb::make_tuple(r.loss, grad, r.labelled);
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

/// A combination of arrays of one dtype into a new array shaped like the first.
template <class Combine>
nb::object combination(std::initializer_list<std::pair<const any_array*, const char*>> inputs, const Combine& c) {
  const kind k = common_kind(inputs);
  const any_array& first = *inputs.begin()->first;
  const auto run = [&]<class T>(T) -> nb::object {
    auto [out, view] = new_array<T>(first.shape(0), first.shape(1));
    std::vector<pt::tensor_view<const T, 2>> views;
    for (const auto& [a, name] : inputs) views.push_back(view_of<T>(*a));
    {
      nb::gil_scoped_release released;
      c(views, view);
    }
    return nb::cast(out);
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

va::cmc_mode parse_cmc(const std::string& mode) {
  if (mode == "add") return va::cmc_mode::add;
  if (mode == "normalization") return va::cmc_mode::normalization;
  if (mode == "basenormalization") return va::cmc_mode::basenormalization;
  throw nb::value_error(("mode must be 'add', 'normalization' or 'basenormalization', not '" + mode + "'").c_str());
}

va::sampling_options sampling(double temperature, pt::index_t top_k, double top_p, double min_p,
                              pt::index_t min_tokens_to_keep, bool greedy) {
  va::sampling_options o;
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  o.min_p = min_p;
  o.min_tokens_to_keep = min_tokens_to_keep;
  o.greedy = greedy;
  return o;
}

nb::object processed_log_probs(const any_array& logits, double temperature, pt::index_t top_k, double top_p,
                               double min_p, pt::index_t min_tokens_to_keep) {
  const auto o = sampling(temperature, top_k, top_p, min_p, min_tokens_to_keep, false);
  return combination({{&logits, "logits"}}, [&](const auto& in, const auto& out) {
    va::processed_log_probs(backend, in[0], out, o);
  });
}

/// Seeds: one per row, int64 or uint64 (the bits of an int64 are taken as they are).
std::vector<std::uint64_t> seeds_of(const std::optional<any_array>& seeds, std::size_t rows, bool greedy) {
  std::vector<std::uint64_t> out;
  if (!seeds) {
    if (!greedy) throw nb::value_error("seeds is required when sampling (one per row of logits); only greedy decoding may omit it");
    return out;
  }
  check_1d_cpu(*seeds, "seeds", "with one seed per row of logits (" + std::to_string(rows) + ")", rows);
  out.resize(rows);
  const auto bits = [](auto v) { return std::uint64_t(v); };
  const nb::dlpack::dtype d = seeds->dtype();
  if (d == nb::dtype<std::uint64_t>()) copy_1d<std::uint64_t>(*seeds, out, bits);
  else if (d == nb::dtype<std::int64_t>()) copy_1d<std::int64_t>(*seeds, out, bits);
  else throw nb::type_error("seeds must be uint64 or int64");
  return out;
}

nb::tuple decode_step(const any_array& logits, const std::optional<any_array>& seeds, std::uint64_t step,
                      double temperature, pt::index_t top_k, double top_p, double min_p, pt::index_t min_tokens_to_keep,
                      bool greedy) {
  const kind k = common_kind({{&logits, "logits"}});
  const auto o = sampling(temperature, top_k, top_p, min_p, min_tokens_to_keep, greedy);
  const std::size_t rows = logits.shape(0);
  const auto s = seeds_of(seeds, rows, greedy);
  const auto run = [&]<class T>(T) {
    auto [tokens, t] = new_vector<std::int64_t>(rows);
    auto [log_probs, lp] = new_vector<T>(rows);
    {
      nb::gil_scoped_release released;
      va::decode_step(backend, view_of<T>(logits), std::span<const std::uint64_t>(s), step, t, lp, o);
    }
    return nb::make_tuple(tokens, log_probs);
  };
  return k == kind::f32 ? run(float{}) : run(double{});
}

}  // namespace

void bind_value(nb::module_& m) {
  m.def("ivl_loss", &ivl_loss, nb::arg("z_base"), nb::arg("z_value"), nb::arg("labels"), nb::arg("lam") = 1.0,
        nb::arg("ignore_index") = -100,
        "The IVL loss of z_base + z_value [T, V] against labels [T]: the mean cross-entropy over the labelled "
        "rows plus lam * mean |z_value|. (loss, d loss / d z_value [T, V], {cross_entropy, norm, labelled}).");
  m.def("cross_entropy", &cross_entropy, nb::arg("logits"), nb::arg("labels"), nb::arg("ignore_index") = -100,
        "The token cross-entropy of logits [T, V] against labels [T], the mean over the rows whose label is not "
        "ignore_index (F.cross_entropy's default): (loss, d loss / d logits [T, V], labelled rows).");
  m.def(
      "residual",
      [](const any_array& z_base, const any_array& z_value, double alpha) {
        return combination({{&z_base, "z_base"}, {&z_value, "z_value"}},
                           [&](const auto& in, const auto& out) { va::residual(backend, in[0], in[1], out, alpha); });
      },
      nb::arg("z_base"), nb::arg("z_value"), nb::arg("alpha") = 1.0, "z_base + alpha * z_value.");
  m.def(
      "proxy_tuning",
      [](const any_array& z_base, const any_array& z_expert, const any_array& z_antiexpert, double alpha) {
        return combination({{&z_base, "z_base"}, {&z_expert, "z_expert"}, {&z_antiexpert, "z_antiexpert"}},
                           [&](const auto& in, const auto& out) {
                             va::proxy_tuning(backend, in[0], in[1], in[2], out, alpha);
                           });
      },
      nb::arg("z_base"), nb::arg("z_expert"), nb::arg("z_antiexpert"), nb::arg("alpha") = 1.0,
      "z_base + alpha * (z_expert - z_antiexpert); the experts may have a longer vocabulary (truncated).");
  m.def(
      "emulated_fine_tuning",
      [](const any_array& z_base_large, const any_array& z_tuned_small, const any_array& z_base_small, double beta) {
        return combination(
            {{&z_base_large, "z_base_large"}, {&z_tuned_small, "z_tuned_small"}, {&z_base_small, "z_base_small"}},
            [&](const auto& in, const auto& out) {
              va::emulated_fine_tuning(backend, in[0], in[1], in[2], out, beta);
            });
      },
      nb::arg("z_base_large"), nb::arg("z_tuned_small"), nb::arg("z_base_small"), nb::arg("beta") = 1.0,
      "EFT up-scaling: log_softmax(z_base_large) + beta * (log_softmax(z_tuned_small) - log_softmax(z_base_small)).");
  m.def(
      "cmc",
      [](const any_array& z_base, const any_array& delta, const std::string& mode) {
        const auto cm = parse_cmc(mode);
        return combination({{&z_base, "z_base"}, {&delta, "delta"}},
                           [&](const auto& in, const auto& out) { va::cmc(backend, in[0], in[1], out, cm); });
      },
      nb::arg("z_base"), nb::arg("delta"), nb::arg("mode") = "add",
      "CMC: z_base + delta ('add'), log_softmax of both ('normalization'), or of the base only ('basenormalization').");
  m.def(
      "contrastive_decoding",
      [](const any_array& z_expert, const any_array& z_amateur, double alpha) {
        return combination({{&z_expert, "z_expert"}, {&z_amateur, "z_amateur"}}, [&](const auto& in, const auto& out) {
          va::contrastive_decoding(backend, in[0], in[1], out, alpha);
        });
      },
      nb::arg("z_expert"), nb::arg("z_amateur"), nb::arg("alpha") = 0.1,
      "log_softmax(z_expert) - log_softmax(z_amateur) on the tokens with p_expert >= alpha * max p_expert, -inf elsewhere.");
  m.def("processed_log_probs", &processed_log_probs, nb::arg("logits"), nb::arg("temperature") = 1.0,
        nb::arg("top_k") = 0, nb::arg("top_p") = 1.0, nb::arg("min_p") = 0.0, nb::arg("min_tokens_to_keep") = 1,
        "The log-probabilities [B, V] that decode_step samples from: temperature, then top-k, top-p and min-p "
        "(transformers' warpers, in generate's order); -inf for the tokens they remove.");
  m.def("decode_step", &decode_step, nb::arg("logits"), nb::arg("seeds") = nb::none(), nb::arg("step") = 0,
        nb::arg("temperature") = 1.0, nb::arg("top_k") = 0, nb::arg("top_p") = 1.0, nb::arg("min_p") = 0.0,
        nb::arg("min_tokens_to_keep") = 1, nb::arg("greedy") = false,
        "One decoding step: per row b, the token drawn from its processed distribution with the Philox stream "
        "(seeds[b], step), and its processed log-probability: (tokens int64 [B], log_probs [B]). The same seeds "
        "and step draw the same tokens on every backend and thread count. greedy: argmax, ties to the lowest id.");
}

}  // namespace posttrain_python
