// SPDX-License-Identifier: Apache-2.0
#pragma once
// Syllable counts of words a pronouncing dictionary does not have, learned from the words it does
// have: the dictionary is the exception list, and the rules for everything else are letter
// contexts mined from it.
//
//   Each letter of a word carries 0 or 1 syllable nucleus (the a of "table" 1, its final e 1
//   for the syllabic "le"; the e of "wane" 0; the i of "piano" 1 and its a 1; the m of "prism" 1;
//   the c of "mcdonald" 1). A word's count is the sum over its letters.
//
//   Training (EM). The dictionary gives only each word's total, so the per-letter labels start
//   from the vowel-group rule (the first vowel of each group 1, a final silent e or -es/-ed 0)
//   and are re-estimated `iterations` times: each letter's label weights become its label
//   probabilities given that the word's labels sum to the dictionary's total, under the current
//   window counts (forward-backward over the running total). The final expected counts are kept
//   for every window of up to 3 letters on each side of a letter, word edges included ("^", "$").
//
//   Prediction. For each letter, the label probabilities are interpolated from the shortest
//   window to the longest, p ← (c + k·p) / (n + k) with the window's counts c (n in all) and
//   smoothing k; the letter's label is the most probable one (ties to the smaller). At least 1.
//
//   Letters are a–z and the apostrophe after lowercasing and folding accents; other characters
//   are skipped. A word with no such letter gets the English heuristic.
//
//   syllable_counter       the dictionary where it knows the word, else the model when given,
//                          else the heuristic of the language
//   split_for_evaluation   a deterministic train / held-out split of the dictionary's words
//                          (FNV-1a of the word, 1 in `modulus` held out)

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core/config.hpp"
#include "../core/detail/parallel.hpp"
#include "../core/error.hpp"
#include "../text/words.hpp"
#include "syllables.hpp"

namespace posttrain::simplify {

struct syllable_model_options {
  int iterations = 16;      // EM re-estimations of the per-letter label weights
  double smoothing = 5.0;   // k of the interpolation at prediction
};

class syllable_model {
 public:
  static constexpr int max_window = 3;  // letters on each side
  static constexpr int labels = 2;      // 0 or 1 nucleus on a letter

  syllable_model() = default;

  /// Learns from (word, syllables) pairs; words without a letter a–z are skipped. At least one
  /// usable word is required.
  static syllable_model train(std::vector<counted_word> words, const syllable_model_options& options = {}) {
    if (options.iterations < 0) throw value_error("posttrain::simplify::syllable_model::train: iterations < 0");
    if (!(options.smoothing > 0)) throw value_error("posttrain::simplify::syllable_model::train: smoothing must be > 0");
    std::sort(words.begin(), words.end());  // a fixed order, whatever the dictionary's
    std::vector<std::string> letters;
    std::vector<index_t> totals;
    for (const auto& [word, syllables] : words) {
      std::string w = normalise(word);
      if (w.empty() || syllables < 0) continue;
      letters.push_back(std::move(w));
      totals.push_back(syllables);
    }
    if (letters.empty()) throw value_error("posttrain::simplify::syllable_model::train: no word with a letter a-z");

    std::vector<std::vector<counts>> weights(letters.size());
    for (std::size_t i = 0; i < letters.size(); ++i) {
      const auto initial = initial_labels(letters[i]);
      weights[i].assign(initial.size(), counts{});
      for (std::size_t k = 0; k < initial.size(); ++k) weights[i][k][initial[k]] = 1;
    }
    // Re-estimation uses the windows up to 2 letters on each side, with k = 2.
    static constexpr std::array<std::pair<int, int>, 7> em_windows{
        {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 1}, {1, 2}, {2, 2}}};
    for (int iteration = 0; iteration < options.iterations; ++iteration) {
      syllable_model m;
      m.smoothing_ = 2.0;
      m.count_windows(letters, weights, em_windows);
      // Each word's E-step touches only its own weights: on all threads when OpenMP is on.
      posttrain::detail::openmp_for_rows(index_t(letters.size()), [&](index_t w0, index_t w1) {
        for (auto i = std::size_t(w0); i < std::size_t(w1); ++i) m.expected_labels(letters[i], totals[i], weights[i], em_windows);
      });
    }
    syllable_model model;
    model.smoothing_ = options.smoothing;
    model.count_windows(letters, weights, all_windows);
    return model;
  }

  /// Trains on all the dictionary's words.
  static syllable_model train(const pronouncing_dictionary& dictionary, const syllable_model_options& options = {}) {
    return train(std::vector<counted_word>(dictionary.entries().begin(), dictionary.entries().end()), options);
  }

  /// The word's syllables (≥ 1).
  index_t operator()(std::string_view word) const {
    const std::string w = normalise(word);
    if (w.empty()) return heuristic_syllables(word);
    index_t total = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const auto p = probabilities(w, i, all_windows);
      total += static_cast<index_t>(std::max_element(p.begin(), p.end()) - p.begin());
    }
    return std::max<index_t>(total, 1);
  }

  /// Letter windows with counts: the model's size.
  std::size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }

  /// Lowercased, accents folded, only a–z and the apostrophe (’ counts as one).
  static std::string normalise(std::string_view word) {
    std::string out;
    for (const char32_t c : text::decode_utf8(word).chars) {
      if (c == U'\'' || c == U'\u2019') {
        out += '\'';
        continue;
      }
      const char32_t f = text::fold_accents(text::detail::to_lower(c));
      if (f >= U'a' && f <= U'z') out += static_cast<char>(f);
    }
    if (out.find_first_not_of('\'') == std::string::npos) out.clear();
    return out;
  }

 private:
  using counts = std::array<float, labels>;  // expected label counts
  // (left, right) letters around the letter, from the shortest window to the longest.
  static constexpr std::array<std::pair<int, int>, 10> all_windows{
      {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 1}, {1, 2}, {2, 2}, {3, 2}, {2, 3}, {3, 3}}};

  static bool vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; }

  static std::vector<std::uint8_t> initial_labels(const std::string& w) {
    const std::size_t n = w.size();
    std::vector<std::uint8_t> l(n, 0);
    int total = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (vowel(w[i]) && (i == 0 || !vowel(w[i - 1]))) l[i] = 1, ++total;
    const auto ends_with = [&](std::string_view s) { return n >= s.size() && std::string_view(w).substr(n - s.size()) == s; };
    if (total > 1 && ends_with("e") && !ends_with("le") && l[n - 1] == 1) l[n - 1] = 0, --total;
    if (total > 1 && n > 2 && (ends_with("es") || ends_with("ed")) && !vowel(w[n - 3]) && w[n - 3] != 't' &&
        w[n - 3] != 'd' && l[n - 2] == 1)
      l[n - 2] = 0;
    return l;
  }

  // 5 bits per symbol: 1–26 a–z, 27 the apostrophe, 28 before the word, 29 after it.
  static std::uint64_t symbol(const std::string& w, std::ptrdiff_t i) {
    if (i < 0) return 28;
    if (i >= static_cast<std::ptrdiff_t>(w.size())) return 29;
    return w[static_cast<std::size_t>(i)] == '\'' ? 27 : static_cast<std::uint64_t>(w[static_cast<std::size_t>(i)] - 'a' + 1);
  }
  static std::uint64_t key(const std::string& w, std::size_t i, int left, int right) {
    std::uint64_t k = static_cast<std::uint64_t>(left) | static_cast<std::uint64_t>(right) << 2;
    int shift = 4;
    for (std::ptrdiff_t j = std::ptrdiff_t(i) - left; j <= std::ptrdiff_t(i) + right; ++j, shift += 5)
      k |= symbol(w, j) << shift;
    return k;
  }

  // Sums each letter's label weights (one row of `labels` per letter) into its windows.
  template <std::size_t N>
  void count_windows(const std::vector<std::string>& letters, const std::vector<std::vector<counts>>& weights,
                     const std::array<std::pair<int, int>, N>& windows) {
    std::unordered_map<std::uint64_t, counts> map;
    map.reserve(table_.size() + letters.size() * N);
    for (std::size_t wi = 0; wi < letters.size(); ++wi)
      for (std::size_t i = 0; i < letters[wi].size(); ++i)
        for (const auto& [left, right] : windows) {
          counts& c = map.try_emplace(key(letters[wi], i, left, right), counts{}).first->second;
          for (int l = 0; l < labels; ++l) c[l] += weights[wi][i][l];
        }
    table_.assign(map.begin(), map.end());
    std::sort(table_.begin(), table_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }

  const counts* find(std::uint64_t k) const {
    const auto it = std::lower_bound(table_.begin(), table_.end(), k, [](const auto& e, std::uint64_t v) { return e.first < v; });
    return it != table_.end() && it->first == k ? &it->second : nullptr;
  }

  template <std::size_t N>
  std::array<double, labels> probabilities(const std::string& w, std::size_t i,
                                           const std::array<std::pair<int, int>, N>& windows) const {
    std::array<double, labels> p;
    p.fill(1.0 / labels);
    for (const auto& [left, right] : windows) {
      const counts* c = find(key(w, i, left, right));
      if (!c) continue;
      double n = 0;
      for (int l = 0; l < labels; ++l) n += double((*c)[l]);
      for (int l = 0; l < labels; ++l) p[l] = (double((*c)[l]) + smoothing_ * p[l]) / (n + smoothing_);
    }
    return p;
  }

  // Each letter's label probabilities given that the word's labels sum to `total` (forward-
  // backward over the running total, rescaled per letter); unchanged when no labelling can.
  template <std::size_t N>
  void expected_labels(const std::string& w, index_t total, std::vector<counts>& out,
                       const std::array<std::pair<int, int>, N>& windows) const {
    const std::size_t n = w.size();
    const auto t_max = static_cast<std::size_t>(total);
    if (t_max > (labels - 1) * n) return;
    const std::size_t width = t_max + 1;
    std::vector<std::array<double, labels>> p(n);
    for (std::size_t k = 0; k < n; ++k) p[k] = probabilities(w, k, windows);
    std::vector<double> forward((n + 1) * width, 0.0), backward((n + 1) * width, 0.0);
    const auto rescale = [&](double* row) {
      double sum = 0;
      for (std::size_t t = 0; t < width; ++t) sum += row[t];
      if (sum > 0)
        for (std::size_t t = 0; t < width; ++t) row[t] /= sum;
      return sum > 0;
    };
    forward[0] = 1;
    for (std::size_t k = 0; k < n; ++k) {
      for (std::size_t t = 0; t < width; ++t)
        for (std::size_t l = 0; l < labels && t + l < width; ++l)
          forward[(k + 1) * width + t + l] += forward[k * width + t] * p[k][l];
      if (!rescale(&forward[(k + 1) * width])) return;
    }
    if (forward[n * width + t_max] == 0) return;
    backward[n * width + t_max] = 1;
    for (std::size_t k = n; k-- > 0;) {
      for (std::size_t t = 0; t < width; ++t)
        for (std::size_t l = 0; l < labels && t + l < width; ++l)
          backward[k * width + t] += p[k][l] * backward[(k + 1) * width + t + l];
      rescale(&backward[k * width]);
    }
    for (std::size_t k = 0; k < n; ++k) {
      std::array<double, labels> posterior{};
      double sum = 0;
      for (std::size_t t = 0; t < width; ++t)
        for (std::size_t l = 0; l < labels && t + l < width; ++l) {
          const double v = forward[k * width + t] * p[k][l] * backward[(k + 1) * width + t + l];
          posterior[l] += v, sum += v;
        }
      if (sum > 0)
        for (int l = 0; l < labels; ++l) out[k][l] = static_cast<float>(posterior[l] / sum);
    }
  }

  std::vector<std::pair<std::uint64_t, counts>> table_;
  double smoothing_ = 5.0;
};

/// The dictionary's count where it knows the word, else the model's, else the heuristic of `lang`.
struct syllable_counter {
  const pronouncing_dictionary* dictionary = nullptr;
  language lang = language::english;
  const syllable_model* model = nullptr;  // for the words the dictionary lacks
  index_t operator()(std::string_view word) const {
    if (dictionary)
      if (const auto s = dictionary->syllables(word)) return std::max<index_t>(*s, 1);
    if (model) return (*model)(word);
    return heuristic_syllables(word, lang);
  }
  /// The same for a word already decoded (its code points, or its bytes when they are all
  /// ASCII, and its UTF-8 bytes): what count_text calls, without decoding again or allocating.
  template <class CharT>
  index_t operator()(std::basic_string_view<CharT> chars, std::string_view bytes) const {
    if (dictionary) {
      thread_local std::string lower;
      lower.clear();
      for (const CharT c : chars) text::append_utf8(lower, text::detail::to_lower(static_cast<char32_t>(c)));
      if (const auto s = dictionary->syllables_of_lowercase(lower)) return std::max<index_t>(*s, 1);
    }
    if (model) return (*model)(bytes);
    return detail::heuristic_syllables_of_chars(chars, lang);
  }
};

/// A deterministic split of the dictionary's alphabetic words (a–z and the apostrophe): a word
/// is held out when the FNV-1a hash of its bytes is 0 modulo `modulus` (≥ 2).
struct dictionary_split {
  std::vector<counted_word> train, held_out;
};
inline dictionary_split split_for_evaluation(const pronouncing_dictionary& dictionary, std::uint32_t modulus = 10) {
  if (modulus < 2) throw value_error("posttrain::simplify::split_for_evaluation: modulus must be >= 2");
  dictionary_split s;
  for (const auto& [word, syllables] : dictionary.entries()) {
    if (word.empty() || !std::all_of(word.begin(), word.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '\''; }))
      continue;
    std::uint32_t h = 2166136261u;
    for (const char c : word) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    (h % modulus == 0 ? s.held_out : s.train).emplace_back(word, syllables);
  }
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.held_out.begin(), s.held_out.end());
  return s;
}

}  // namespace posttrain::simplify
