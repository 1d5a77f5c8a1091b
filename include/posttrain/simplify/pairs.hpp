// SPDX-License-Identifier: Apache-2.0
#pragma once
// The Trans-SS rule that turns translation pairs into simplification pairs (Lu et al. 2021):
// for a reference sentence ts and a machine translation ds of the same source, keep the pair iff
//
//   lowercase(ts) ≠ lowercase(ds); both have more than 3 words; "<unk>" is not in ds;
//   sentence BLEU(ds, ts) > 15 (13a, lowercase, exp smoothing, effective order);
//   |R(ts) − R(ds)| > 10, R = FRE
//
// and the easier side (the higher FRE, or the lower FKGL) becomes the simple side. Thresholds,
// the score and its language are options. judge_pair reports the first rule a pair fails, in
// the order above, so a run can count its drops by reason.

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

#include "bleu.hpp"
#include "readability.hpp"

namespace posttrain::simplify {

struct pair_filter_options {
  /// Each side needs more than this many words.
  index_t min_words = 3;
  double min_bleu = 15.0;
  double min_difference = 10.0;
  readability_score score = readability_score::flesch_reading_ease;
  language lang = language::english;
  /// A translation containing this token is dropped (empty: no check).
  std::string unknown_token = "<unk>";
};

enum class pair_verdict { kept, identical, too_short, unknown_token, low_bleu, small_difference };

inline const char* name(pair_verdict v) {
  switch (v) {
    case pair_verdict::kept: return "kept";
    case pair_verdict::identical: return "identical";
    case pair_verdict::too_short: return "too_short";
    case pair_verdict::unknown_token: return "unknown_token";
    case pair_verdict::low_bleu: return "low_bleu";
    default: return "small_difference";
  }
}

struct pair_decision {
  pair_verdict verdict = pair_verdict::kept;
  double reference_score = 0, translation_score = 0, bleu = 0;
  /// Which side is the simple one (when kept).
  bool reference_is_simple = false;
};

inline pair_decision judge_pair(std::string_view reference, std::string_view translation,
                                const pair_filter_options& o = {}, const syllable_counter& syllables = {}) {
  pair_decision d;
  const bool identical =
      posttrain::text::detail::all_ascii(reference) && posttrain::text::detail::all_ascii(translation)
          ? std::equal(reference.begin(), reference.end(), translation.begin(), translation.end(),
                       [](char x, char y) { return text::detail::ascii_lower(x) == text::detail::ascii_lower(y); })
          : posttrain::text::lowercase(reference) == posttrain::text::lowercase(translation);
  if (identical) {
    d.verdict = pair_verdict::identical;
    return d;
  }
  const text_counts rc = count_text(reference, syllables), tc = count_text(translation, syllables);
  if (rc.words <= o.min_words || tc.words <= o.min_words) {
    d.verdict = pair_verdict::too_short;
    return d;
  }
  if (!o.unknown_token.empty() && translation.find(o.unknown_token) != std::string_view::npos) {
    d.verdict = pair_verdict::unknown_token;
    return d;
  }
  d.bleu = sentence_bleu(translation, reference, {.lowercase = true}).score;
  const readability_formula f{o.score, o.lang};
  d.reference_score = f(double(rc.words), double(rc.sentences), double(rc.syllables));
  d.translation_score = f(double(tc.words), double(tc.sentences), double(tc.syllables));
  const bool higher_is_easier = o.score == readability_score::flesch_reading_ease;
  d.reference_is_simple = higher_is_easier ? d.reference_score > d.translation_score
                                           : d.reference_score < d.translation_score;
  if (!(d.bleu > o.min_bleu)) d.verdict = pair_verdict::low_bleu;
  else if (!(std::abs(d.reference_score - d.translation_score) > o.min_difference))
    d.verdict = pair_verdict::small_difference;
  return d;
}

}  // namespace posttrain::simplify
