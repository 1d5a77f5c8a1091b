// SPDX-License-Identifier: Apache-2.0
// The simplify module's bindings: readability (Flesch reading ease, Flesch–Kincaid grade, the
// counts behind them), sentence and corpus BLEU (sacrebleu's 13a conventions), and the Trans-SS
// rule that keeps or drops a translation pair. Text is host code in the library: the strings are
// copied out of Python once, then the GIL is released while they are scored.

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <posttrain/core/detail/host_kernels.hpp>
#include <posttrain/simplify/bleu.hpp>
#include <posttrain/simplify/pairs.hpp>
#include <posttrain/simplify/readability.hpp>

#include "arrays.hpp"

namespace posttrain_python {
namespace {

namespace sp = pt::simplify;

sp::language parse_language(const std::string& lang) {
  if (lang == "en") return sp::language::english;
  if (lang == "fr") return sp::language::french;
  if (lang == "es") return sp::language::spanish;
  if (lang == "de") return sp::language::german;
  throw nb::value_error(("lang must be 'en', 'fr', 'es' or 'de', not '" + lang + "'").c_str());
}

sp::readability_score parse_score(const std::string& score) {
  if (score == "fre") return sp::readability_score::flesch_reading_ease;
  if (score == "fkgl") return sp::readability_score::flesch_kincaid_grade;
  throw nb::value_error(("score must be 'fre' (Flesch reading ease) or 'fkgl' (Flesch-Kincaid grade), not '" + score +
                         "'")
                            .c_str());
}

sp::bleu_options parse_bleu(const std::string& smoothing, std::optional<double> smooth_value, bool effective_order,
                            bool lowercase) {
  sp::bleu_options o;
  if (smoothing == "exp") o.smoothing = sp::bleu_smoothing::exp;
  else if (smoothing == "floor") o.smoothing = sp::bleu_smoothing::floor;
  else if (smoothing == "add-k") o.smoothing = sp::bleu_smoothing::add_k;
  else if (smoothing == "none") o.smoothing = sp::bleu_smoothing::none;
  else
    throw nb::value_error(
        ("smooth_method must be 'exp', 'floor', 'add-k' or 'none' (sacrebleu's names), not '" + smoothing + "'").c_str());
  if (smooth_value) o.smooth_value = *smooth_value;
  o.effective_order = effective_order;
  o.lowercase = lowercase;
  return o;
}

nb::dict counts_of(const std::string& text, const std::string& lang) {
  const sp::syllable_counter syllables{nullptr, parse_language(lang), nullptr};
  sp::text_counts c;
  {
    nb::gil_scoped_release released;
    c = sp::count_text(text, syllables);
  }
  nb::dict d;
  d["words"] = c.words;
  d["sentences"] = c.sentences;
  d["syllables"] = c.syllables;
  d["invalid_bytes"] = c.invalid_bytes;
  return d;
}

/// The score of each text, in parallel over the texts (the Eigen backend's threads).
nb::ndarray<nb::numpy, double, nb::ndim<1>> readability(const std::vector<std::string>& texts, const std::string& score,
                                                        const std::string& lang) {
  const sp::readability_formula formula{parse_score(score), parse_language(lang)};
  const sp::syllable_counter syllables{nullptr, formula.lang, nullptr};
  auto [out, view] = new_vector<double>(texts.size());
  {
    nb::gil_scoped_release released;
    pt::detail::host::for_rows(backend, pt::index_t(texts.size()), [&](pt::index_t i0, pt::index_t i1) {
      for (pt::index_t i = i0; i < i1; ++i) {
        const auto c = sp::count_text(texts[std::size_t(i)], syllables);
        view(i) = formula(double(c.words), double(c.sentences), double(c.syllables));
      }
    });
  }
  return out;
}

nb::dict as_dict(const sp::bleu_result& r) {
  nb::dict d;
  d["score"] = r.score;
  d["precisions"] = std::vector<double>(r.precisions.begin(), r.precisions.end());
  d["counts"] = std::vector<double>(r.correct.begin(), r.correct.end());
  d["totals"] = std::vector<double>(r.total.begin(), r.total.end());
  d["bp"] = r.brevity_penalty;
  d["sys_len"] = r.hypothesis_length;
  d["ref_len"] = r.reference_length;
  return d;
}

nb::dict sentence_bleu(const std::string& hypothesis, const std::string& reference, const std::string& smooth_method,
                       std::optional<double> smooth_value, bool use_effective_order, bool lowercase) {
  const auto o = parse_bleu(smooth_method, smooth_value, use_effective_order, lowercase);
  sp::bleu_result r;
  {
    nb::gil_scoped_release released;
    r = sp::sentence_bleu(hypothesis, reference, o);
  }
  return as_dict(r);
}

nb::dict corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references,
                     const std::string& smooth_method, std::optional<double> smooth_value, bool use_effective_order,
                     bool lowercase) {
  const auto o = parse_bleu(smooth_method, smooth_value, use_effective_order, lowercase);
  sp::bleu_result r;
  {
    nb::gil_scoped_release released;
    r = sp::corpus_bleu(hypotheses, references, o);
  }
  return as_dict(r);
}

sp::pair_filter_options filter_options(pt::index_t min_words, double min_bleu, double min_difference,
                                       const std::string& score, const std::string& lang,
                                       const std::string& unknown_token) {
  if (min_words < 0) throw nb::value_error(("min_words is " + std::to_string(min_words) + "; it must be ≥ 0").c_str());
  if (!std::isfinite(min_bleu) || !std::isfinite(min_difference))
    throw nb::value_error("min_bleu and min_difference must be finite");
  sp::pair_filter_options o;
  o.min_words = min_words;
  o.min_bleu = min_bleu;
  o.min_difference = min_difference;
  o.score = parse_score(score);
  o.lang = parse_language(lang);
  o.unknown_token = unknown_token;
  return o;
}

nb::dict judge_pair(const std::string& reference, const std::string& translation, pt::index_t min_words,
                    double min_bleu, double min_difference, const std::string& score, const std::string& lang,
                    const std::string& unknown_token) {
  const auto o = filter_options(min_words, min_bleu, min_difference, score, lang, unknown_token);
  const sp::syllable_counter syllables{nullptr, o.lang, nullptr};
  sp::pair_decision r;
  {
    nb::gil_scoped_release released;
    r = sp::judge_pair(reference, translation, o, syllables);
  }
  nb::dict d;
  d["verdict"] = sp::name(r.verdict);
  d["kept"] = r.verdict == sp::pair_verdict::kept;
  d["reference_score"] = r.reference_score;
  d["translation_score"] = r.translation_score;
  d["bleu"] = r.bleu;
  d["reference_is_simple"] = r.reference_is_simple;
  return d;
}

/// judge_pair over lists, in parallel: the verdicts as names, the scores and BLEU as arrays.
nb::dict judge_pairs(const std::vector<std::string>& references, const std::vector<std::string>& translations,
                     pt::index_t min_words, double min_bleu, double min_difference, const std::string& score,
                     const std::string& lang, const std::string& unknown_token) {
  if (references.size() != translations.size())
    throw nb::value_error(("references has " + std::to_string(references.size()) + " sentences but translations has " +
                           std::to_string(translations.size()) + "; one translation per reference")
                              .c_str());
  const auto o = filter_options(min_words, min_bleu, min_difference, score, lang, unknown_token);
  const sp::syllable_counter syllables{nullptr, o.lang, nullptr};
  const std::size_t n = references.size();
  std::vector<sp::pair_decision> decisions(n);
  {
    nb::gil_scoped_release released;
    pt::detail::host::for_rows(backend, pt::index_t(n), [&](pt::index_t i0, pt::index_t i1) {
      for (pt::index_t i = i0; i < i1; ++i)
        decisions[std::size_t(i)] = sp::judge_pair(references[std::size_t(i)], translations[std::size_t(i)], o, syllables);
    });
  }
  auto [ref_scores, rv] = new_vector<double>(n);
  auto [tr_scores, tv] = new_vector<double>(n);
  auto [bleu, bv] = new_vector<double>(n);
  auto [simple, sv] = new_vector<bool>(n);
  nb::list verdicts;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = decisions[i];
    verdicts.append(nb::str(sp::name(r.verdict)));
    rv(pt::index_t(i)) = r.reference_score;
    tv(pt::index_t(i)) = r.translation_score;
    bv(pt::index_t(i)) = r.bleu;
    sv(pt::index_t(i)) = r.reference_is_simple;
  }
  nb::dict d;
  d["verdict"] = verdicts;
  d["reference_score"] = ref_scores;
  d["translation_score"] = tr_scores;
  d["bleu"] = bleu;
  d["reference_is_simple"] = simple;
  return d;
}

}  // namespace

void bind_simplify(nb::module_& m) {
  m.def("text_counts", &counts_of, nb::arg("text"), nb::arg("lang") = "en",
        "Words, sentences and heuristic syllables of a text (the counts the readability formulas use), and "
        "the invalid UTF-8 bytes skipped.");
  m.def("readability", &readability, nb::arg("texts"), nb::arg("score") = "fre", nb::arg("lang") = "en",
        "The readability of each text: 'fre' (Flesch reading ease; the English, French, Spanish or German "
        "constants) or 'fkgl' (Flesch-Kincaid grade), as a float64 array.");
  m.def("sentence_bleu", &sentence_bleu, nb::arg("hypothesis"), nb::arg("reference"), nb::arg("smooth_method") = "exp",
        nb::arg("smooth_value") = nb::none(), nb::arg("use_effective_order") = true, nb::arg("lowercase") = false,
        "sacrebleu's sentence_bleu(hypothesis, [reference]) with the 13a tokenizer: a dict with score (0-100), "
        "precisions, counts, totals, bp, sys_len, ref_len.");
  m.def("corpus_bleu", &corpus_bleu, nb::arg("hypotheses"), nb::arg("references"), nb::arg("smooth_method") = "exp",
        nb::arg("smooth_value") = nb::none(), nb::arg("use_effective_order") = false, nb::arg("lowercase") = false,
        "sacrebleu's corpus_bleu(hypotheses, [references]): one reference per hypothesis.");
  m.def("judge_pair", &judge_pair, nb::arg("reference"), nb::arg("translation"), nb::arg("min_words") = 3,
        nb::arg("min_bleu") = 15.0, nb::arg("min_difference") = 10.0, nb::arg("score") = "fre",
        nb::arg("lang") = "en", nb::arg("unknown_token") = "<unk>",
        "The Trans-SS rule for one (reference, machine translation) pair: the verdict ('kept' or the first rule "
        "it fails), both readability scores, the sentence BLEU and which side is the simple one.");
  m.def("judge_pairs", &judge_pairs, nb::arg("references"), nb::arg("translations"), nb::arg("min_words") = 3,
        nb::arg("min_bleu") = 15.0, nb::arg("min_difference") = 10.0, nb::arg("score") = "fre",
        nb::arg("lang") = "en", nb::arg("unknown_token") = "<unk>",
        "judge_pair over two lists, in parallel: verdicts (a list of names) and float64/bool arrays.");
}

}  // namespace posttrain_python
