// SPDX-License-Identifier: Apache-2.0
#pragma once
// Readability of text (Trans-SS, Lu et al. 2021), from counts of words W, sentences S and
// syllables Y:
//
//   FRE  english  206.835 − 1.015·W/S − 84.6·Y/W      FKGL  0.39·W/S + 11.8·Y/W − 15.59
//        french   207 − 1.015·W/S − 73.6·Y/W  (Kandel–Moles)
//        spanish  206.835 − 1.02·W/S − 60·Y/W
//        german   180 − W/S − 58.5·Y/W        (Amstad)
//
// count_text() counts with text::words (single punctuation characters are not words),
// text::split_sentences and a syllable_counter. An empty text has W = S = Y = 0; the ratios take
// max(S, 1) and max(W, 1), so every score is defined (FRE of nothing is its intercept).
// Invalid UTF-8 is replaced and counted in invalid_bytes, never an error.
//
// readability_of_pairs() is the batched form, on any backend: count matrices [N, 3] (W, S, Y) of
// the source and target sides in, the two scores, their difference (target − source) and the
// keep mask |difference| > threshold out.

#include <cmath>
#include <string_view>

#include "../core.hpp"
#include "../text/words.hpp"
#include "syllable_model.hpp"

namespace posttrain::simplify {

struct text_counts {
  index_t words = 0, sentences = 0, syllables = 0;
  std::size_t invalid_bytes = 0;
};

namespace detail {

/// Words and English heuristic syllables of ASCII text in one pass: the word rules of
/// text::words and the rules of heuristic_syllables, fused (tests hold them equal).
inline void count_ascii_english_words(std::string_view text, text_counts& c) {
  namespace tx = posttrain::text::detail;
  const std::size_t n = text.size();
  const char* p = text.data();
  const auto word_char = [&](std::size_t k) { return tx::ascii_is(p[k], tx::ascii_letter | tx::ascii_digit); };
  const auto digit = [&](std::size_t k) { return p[k] >= '0' && p[k] <= '9'; };
  for (std::size_t i = 0; i < n;) {
    if (!word_char(i)) {
      ++i;
      continue;
    }
    ascii_english_syllables syllables;
    std::size_t j = i;
    while (true) {  // p[j] is a word character
      if (tx::ascii_is(p[j], tx::ascii_letter)) syllables.add(p[j]);
      ++j;
      if (j < n && word_char(j)) continue;
      // An apostrophe or hyphen between word characters, or . or , between digits, joins.
      if (j + 1 < n && word_char(j + 1) &&
          (p[j] == '\'' || p[j] == '-' || ((p[j] == '.' || p[j] == ',') && digit(j - 1) && digit(j + 1)))) {
        ++j;
        continue;
      }
      break;
    }
    ++c.words;
    c.syllables += syllables.total();
    i = j;
  }
}

}  // namespace detail

inline text_counts count_text(std::string_view text, const syllable_counter& syllables = {}) {
  text_counts c;
  const auto& abbreviations = posttrain::text::default_abbreviations();
  if (posttrain::text::detail::all_ascii(text)) {  // the bytes are the characters
    if (!syllables.dictionary && !syllables.model && syllables.lang == language::english) {
      detail::count_ascii_english_words(text, c);
      posttrain::text::detail::for_each_sentence(text, abbreviations, [&](std::size_t, std::size_t) { ++c.sentences; });
      return c;
    }
    posttrain::text::detail::for_each_word(text, [&](std::size_t i, std::size_t j) {
      ++c.words;
      c.syllables += syllables(text.substr(i, j - i), text.substr(i, j - i));
    });
    posttrain::text::detail::for_each_sentence(text, abbreviations, [&](std::size_t, std::size_t) { ++c.sentences; });
    return c;
  }
  // One decoding into a per-thread buffer; words and sentences are counted on it, in place.
  thread_local posttrain::text::decoded_text decoded;
  posttrain::text::decode_utf8(text, decoded);
  const std::u32string_view chars(decoded.chars);
  const auto& offset = decoded.byte_offset;
  c.invalid_bytes = decoded.invalid_bytes;
  posttrain::text::detail::for_each_word(chars, [&](std::size_t i, std::size_t j) {
    ++c.words;
    c.syllables += syllables(chars.substr(i, j - i), text.substr(offset[i], offset[j] - offset[i]));
  });
  posttrain::text::detail::for_each_sentence(chars, abbreviations, [&](std::size_t, std::size_t) { ++c.sentences; });
  return c;
}

enum class readability_score { flesch_reading_ease, flesch_kincaid_grade };

/// The score of (W, S, Y) counts; a functor so that it runs on every backend.
struct readability_formula {
  readability_score score = readability_score::flesch_reading_ease;
  language lang = language::english;
  template <class T>
  POSTTRAIN_HOST_DEVICE T operator()(T words, T sentences, T syllables) const {
    const T per_sentence = words / (sentences > T(1) ? sentences : T(1));
    const T per_word = syllables / (words > T(1) ? words : T(1));
    if (score == readability_score::flesch_kincaid_grade) return T(0.39) * per_sentence + T(11.8) * per_word - T(15.59);
    switch (lang) {
      case language::french: return T(207) - T(1.015) * per_sentence - T(73.6) * per_word;
      case language::spanish: return T(206.835) - T(1.02) * per_sentence - T(60) * per_word;
      case language::german: return T(180) - per_sentence - T(58.5) * per_word;
      default: return T(206.835) - T(1.015) * per_sentence - T(84.6) * per_word;
    }
  }
};

inline double flesch_reading_ease(const text_counts& c, language lang = language::english) {
  return readability_formula{readability_score::flesch_reading_ease, lang}(double(c.words), double(c.sentences),
                                                                           double(c.syllables));
}
inline double flesch_kincaid_grade(const text_counts& c) {
  return readability_formula{readability_score::flesch_kincaid_grade}(double(c.words), double(c.sentences),
                                                                      double(c.syllables));
}

namespace detail {
struct difference {
  template <class T>
  POSTTRAIN_HOST_DEVICE T operator()(T source, T target) const {
    return target - source;
  }
};
struct beyond {
  double threshold;
  template <class T>
  POSTTRAIN_HOST_DEVICE T operator()(T d) const {
    return (d > T(threshold) || d < T(-threshold)) ? T(1) : T(0);
  }
};
}  // namespace detail

/// out [N, 4] = (score of source, score of target, target − source, |difference| > threshold)
/// for source and target counts [N, 3] of (words, sentences, syllables).
template <backend B, tensor_of_rank<2> C, tensor_of_rank<2> O>
  requires accessible_by<C, B> && accessible_by<O, B> && mutable_tensor<O>
void readability_of_pairs(const B& be, const C& source, const C& target, const O& out, double threshold = 10.0,
                          const readability_formula& formula = {}) {
  constexpr std::string_view who = "simplify::readability_of_pairs";
  posttrain::detail::check_same_shape(who, "source", source, "target", target);
  posttrain::detail::check_extent(who, "source", source, 1, 3, "columns words, sentences, syllables");
  posttrain::detail::check_extent(who, "out", out, 0, source.extent(0), "one row per pair");
  posttrain::detail::check_extent(who, "out", out, 1, 4, "columns source score, target score, difference, keep");
  const auto s = posttrain::detail::to_const_view(source), t = posttrain::detail::to_const_view(target);
  const auto o = posttrain::detail::to_view(out);
  ops::map(be, formula, s.cols(0, 1), s.cols(1, 1), s.cols(2, 1), o.cols(0, 1));
  ops::map(be, formula, t.cols(0, 1), t.cols(1, 1), t.cols(2, 1), o.cols(1, 1));
  ops::map(be, detail::difference{}, o.cols(0, 1), o.cols(1, 1), o.cols(2, 1));
  ops::map(be, detail::beyond{threshold}, o.cols(2, 1), o.cols(3, 1));
}

}  // namespace posttrain::simplify
