// SPDX-License-Identifier: Apache-2.0
// reward::trace_rewards on Python objects: a response, its tokens' offsets (as a Hugging Face
// tokenizer's return_offsets_mapping gives them) and statement-level feedback become one reward
// per token (RLFH). Host code in the library (text alignment).

#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <posttrain/reward/tracing.hpp>

#include "arrays.hpp"

namespace posttrain_python {
namespace {

namespace rw = pt::reward;

/// An entry of a dict by key, with an error that names where it is missing.
template <class T>
T field(const nb::dict& d, const char* key, const std::string& where) {
  if (!d.contains(key)) throw nb::value_error((where + " has no '" + key + "'").c_str());
  try {
    return nb::cast<T>(d[key]);
  } catch (const nb::cast_error&) {
    throw nb::type_error((where + "['" + key + "'] has the wrong type").c_str());
  }
}

std::vector<rw::sentence_feedback> feedback_of(const nb::list& sentences) {
  std::vector<rw::sentence_feedback> out;
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    const std::string where = "sentences[" + std::to_string(i) + "]";
    if (!nb::isinstance<nb::dict>(sentences[i]))
      throw nb::type_error((where + " must be a dict {'text': str, 'statements': [...]}").c_str());
    const auto s = nb::borrow<nb::dict>(sentences[i]);
    rw::sentence_feedback f;
    f.text = field<std::string>(s, "text", where);
    const auto statements = field<nb::list>(s, "statements", where);
    for (std::size_t j = 0; j < statements.size(); ++j) {
      const std::string at = where + "['statements'][" + std::to_string(j) + "]";
      if (!nb::isinstance<nb::dict>(statements[j]))
        throw nb::type_error((at + " must be a dict {'text': str, 'truth': str, 'helpfulness': int}").c_str());
      const auto st = nb::borrow<nb::dict>(statements[j]);
      f.statements.push_back({field<std::string>(st, "text", at), field<std::string>(st, "truth", at),
                              field<int>(st, "helpfulness", at)});
    }
    out.push_back(std::move(f));
  }
  return out;
}

nb::tuple trace_rewards(const std::string& response, const std::vector<std::pair<pt::index_t, pt::index_t>>& offsets,
                        const nb::list& sentences, bool ends_with_eos, const std::string& granularity,
                        const std::string& offset_unit, std::optional<std::map<std::string, double>> truth_values,
                        std::optional<std::map<int, double>> helpfulness_values, double truth_weight,
                        double informativeness_weight, double missing_eos_penalty, double min_sentence_match) {
  rw::tracing_config c;
  if (granularity == "token") c.granularity = rw::reward_granularity::token;
  else if (granularity == "sentence") c.granularity = rw::reward_granularity::sentence;
  else if (granularity == "response") c.granularity = rw::reward_granularity::response;
  else throw nb::value_error(("granularity must be 'token', 'sentence' or 'response', not '" + granularity + "'").c_str());
  if (offset_unit == "code_points") c.offsets = rw::offset_unit::code_points;
  else if (offset_unit == "bytes") c.offsets = rw::offset_unit::bytes;
  else throw nb::value_error(("offset_unit must be 'code_points' (Python str offsets) or 'bytes', not '" + offset_unit +
                              "'").c_str());
  if (truth_values) c.truth_values = {truth_values->begin(), truth_values->end()};
  if (helpfulness_values) c.helpfulness_values = *helpfulness_values;
  c.truth_weight = truth_weight;
  c.informativeness_weight = informativeness_weight;
  c.missing_eos_penalty = missing_eos_penalty;
  c.min_sentence_match = min_sentence_match;
  std::vector<rw::token_span> tokens;
  tokens.reserve(offsets.size());
  for (const auto& [begin, end] : offsets) tokens.push_back({begin, end});
  const auto feedback = feedback_of(sentences);
  rw::traced_rewards r;
  {
    nb::gil_scoped_release released;
    r = rw::trace_rewards(response, tokens, feedback, ends_with_eos, c);
  }
  auto [out, view] = new_vector<double>(r.token_rewards.size());
  for (std::size_t t = 0; t < r.token_rewards.size(); ++t) view(pt::index_t(t)) = r.token_rewards[t];
  nb::dict info;
  info["unmatched_statements"] = r.unmatched_statements;
  info["unmatched_sentences"] = r.unmatched_sentences;
  info["filtered_sentences"] = r.filtered_sentences;
  return nb::make_tuple(out, info);
}

}  // namespace

void bind_reward_tracing(nb::module_& m) {
  m.def("trace_rewards", &trace_rewards, nb::arg("response"), nb::arg("offsets"), nb::arg("sentences"),
        nb::arg("ends_with_eos") = true, nb::arg("granularity") = "token", nb::arg("offset_unit") = "code_points",
        nb::arg("truth_values") = nb::none(), nb::arg("helpfulness_values") = nb::none(),
        nb::arg("truth_weight") = 1.0, nb::arg("informativeness_weight") = 1.0,
        nb::arg("missing_eos_penalty") = -1.0, nb::arg("min_sentence_match") = 0.5,
        "RLFH's fine-grained rewards: statement-level feedback (sentences: [{'text', 'statements': [{'text', "
        "'truth', 'helpfulness'}]}]) traced to the response's tokens, given as [begin, end) offsets. Returns "
        "(float64 rewards [T], {unmatched_statements, unmatched_sentences, filtered_sentences}).");
}

}  // namespace posttrain_python
