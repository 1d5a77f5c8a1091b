// SPDX-License-Identifier: Apache-2.0
#pragma once
// Syllable counts of words:
//
//   heuristic_syllables(word, language)
//     english  the reference heuristic (Trans-SS): vowel groups over aeiouy, −1 for a final e,
//              +1 for a final le, at least 1
//     french   vowel groups over aeiouy and the accented vowels, diphthongs merged, a final mute
//              e or es (after a consonant) not counted, at least 1
//     spanish  vowel groups over aeiouáéíóúü, split between two strong vowels (a e o and the
//              accented á é í ó ú: "le-er", "dí-a"), at least 1
//     german   vowel groups over aeiouyäöü (ei, ie, au, eu, äu merged), at least 1
//   Accented letters are letters: they are folded to their base letter for English and German.
//
//   pronouncing_dictionary   a CMU-format dictionary (word, then ARPAbet phones; alternates as
//                            word(2)) read from a file at run time; syllables = vowel phones.
//                            Debian: pocketsphinx-en-us's cmudict-en-us.dict.
//   (syllable_counter, in syllable_model.hpp, combines the dictionary, a model learned from it
//   and the heuristic.)
//   agreement_with           how often the heuristic equals the dictionary, over its words
//   agreement_on             how often any counter equals the counts of a word list

#include <algorithm>
#include <cmath>
#include <fstream>
#include <istream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core/config.hpp"
#include "../core/error.hpp"
#include "../io/files.hpp"
#include "../text/words.hpp"

namespace posttrain::simplify {

enum class language { english, french, spanish, german };

namespace detail {

inline bool in(char32_t c, std::u32string_view set) { return set.find(c) != std::u32string_view::npos; }

}  // namespace detail

namespace detail {

inline bool vowel_of(char32_t c, language lang) {
  if (c < 0x80) return c == U'a' || c == U'e' || c == U'i' || c == U'o' || c == U'u' || (c == U'y' && lang != language::spanish);
  switch (lang) {
    case language::french: return in(c, U"àâäéèêëîïôöùûüÿæœ");
    case language::spanish: return in(c, U"áéíóúü");
    default: return false;  // English and German fold accents first
  }
}

/// The English heuristic over the letters of one ASCII word, a letter at a time: vowel groups,
/// −1 for a final e, +1 for a final le, at least 1.
struct ascii_english_syllables {
  index_t groups = 0, letters = 0;
  char last = 0, second = 0;  // the last two letters, lowercase
  bool previous_vowel = false;

  void add(char letter) {
    const bool v = text::detail::ascii_is(letter, text::detail::ascii_vowel);
    groups += v & !previous_vowel;
    previous_vowel = v;
    second = last, last = static_cast<char>(letter | 0x20), ++letters;
  }
  index_t total() const {
    if (letters == 0) return 1;
    const index_t g = groups - (last == 'e') + (letters >= 2 && second == 'l' && last == 'e');
    return std::max<index_t>(g, 1);
  }
};

/// The heuristic count of a word given as characters: code points, or ASCII bytes (non-letters
/// are skipped).
template <class CharT>
index_t heuristic_syllables_of_chars(std::basic_string_view<CharT> word, language lang) {
  if constexpr (sizeof(CharT) == 1) {
    if (lang == language::english) {  // ASCII English, by table
      ascii_english_syllables count;
      for (const CharT ch : word)
        if (text::detail::ascii_is(ch, text::detail::ascii_letter)) count.add(ch);
      return count.total();
    }
  }
  const bool fold = lang == language::english || lang == language::german;
  const auto strong = [](char32_t c) { return in(c, U"aeoáéíóú"); };
  index_t groups = 0;
  std::size_t n = 0;
  char32_t last = 0, second = 0, third = 0;  // the last three letters
  bool previous_vowel = false;
  for (const CharT ch : word) {
    char32_t c = static_cast<char32_t>(ch);
    if (!text::detail::letter(c)) continue;
    c = text::detail::to_lower(c);
    if (fold) c = text::fold_accents(c);
    const bool v = vowel_of(c, lang);
    if (v && !previous_vowel) ++groups;
    else if (v && lang == language::spanish && strong(c) && strong(last)) ++groups;  // hiatus
    previous_vowel = v;
    third = second, second = last, last = c, ++n;
  }
  if (n == 0) return 1;
  if (lang == language::english) {
    if (last == U'e') --groups;
    if (n >= 2 && second == U'l' && last == U'e') ++groups;
  } else if (lang == language::french && groups > 1) {
    const bool mute_e = n >= 2 && last == U'e' && !vowel_of(second, lang);
    const bool mute_es = n >= 3 && second == U'e' && last == U's' && !vowel_of(third, lang);
    if (mute_e || mute_es) --groups;
  }
  return std::max<index_t>(groups, 1);
}

}  // namespace detail

/// The heuristic count of a word given as decoded code points.
inline index_t heuristic_syllables(std::u32string_view word, language lang = language::english) {
  return detail::heuristic_syllables_of_chars(word, lang);
}

inline index_t heuristic_syllables(std::string_view word, language lang = language::english) {
  return heuristic_syllables(std::u32string_view(text::decode_utf8(word).chars), lang);
}

class pronouncing_dictionary {
 public:
  pronouncing_dictionary() = default;

  /// Reads a CMU-format file; errors (unreadable file, a line without phones) name the line.
  static pronouncing_dictionary load(const std::string& path) {
    std::ifstream in = io::open_input_file(path);
    return read(in, path);
  }
  /// The same from a stream (text in memory, a pipe); errors name `path`.
  static pronouncing_dictionary read(std::istream& in, const std::string& path) {
    pronouncing_dictionary d;
    std::string line;
    long line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty() || line.rfind(";;;", 0) == 0) continue;
      const auto space = line.find_first_of(" \t");
      if (space == std::string::npos) throw parse_error(path, line_no, 1, "a word without phones");
      std::string word = text::lowercase(std::string_view(line).substr(0, space));
      if (const auto paren = word.find('('); paren != std::string::npos && word.back() == ')') word.resize(paren);
      index_t vowels = 0;
      for (std::size_t i = space; i < line.size();) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const std::size_t j = std::min(line.find_first_of(" \t", i), line.size());
        if (j > i && is_vowel_phone(std::string_view(line).substr(i, j - i))) ++vowels;
        i = j;
      }
      d.syllables_.try_emplace(word, vowels);  // the first pronunciation wins
    }
    return d;
  }

  /// The syllables of the word's first pronunciation, if the dictionary has it (any case).
  std::optional<index_t> syllables(std::string_view word) const {
    const auto it = syllables_.find(text::lowercase(word));
    if (it == syllables_.end()) return std::nullopt;
    return it->second;
  }
  /// The same for a word already lowercased (as text::lowercase gives it): no allocation.
  std::optional<index_t> syllables_of_lowercase(const std::string& lowercase_word) const {
    const auto it = syllables_.find(lowercase_word);
    if (it == syllables_.end()) return std::nullopt;
    return it->second;
  }
  std::size_t size() const { return syllables_.size(); }
  const std::unordered_map<std::string, index_t>& entries() const { return syllables_; }

  /// An ARPAbet vowel, with or without its stress digit.
  static bool is_vowel_phone(std::string_view phone) {
    while (!phone.empty() && phone.back() >= '0' && phone.back() <= '9') phone.remove_suffix(1);
    static constexpr std::string_view vowels[] = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER",
                                                   "EY", "IH", "IY", "OW", "OY", "UH", "UW"};
    return std::find(std::begin(vowels), std::end(vowels), phone) != std::end(vowels);
  }

 private:
  std::unordered_map<std::string, index_t> syllables_;
};

struct heuristic_agreement {
  std::size_t words = 0;
  double exact = 0;                // fraction of words where the heuristic equals the dictionary
  double mean_absolute_error = 0;  // syllables per word
};

/// A word and its syllable count, as a dictionary gives it.
using counted_word = std::pair<std::string, index_t>;

/// How often `count(word)` equals the listed count, and the mean absolute error.
inline heuristic_agreement agreement_on(const std::vector<counted_word>& words,
                                        const std::function<index_t(std::string_view)>& count) {
  heuristic_agreement a;
  double exact = 0, error = 0;
  for (const auto& [word, syllables] : words) {
    const index_t c = count(word);
    ++a.words;
    exact += c == syllables;
    error += std::abs(double(c - syllables));
  }
  if (a.words > 0) a.exact = exact / double(a.words), a.mean_absolute_error = error / double(a.words);
  return a;
}

/// The English heuristic against the dictionary, over the dictionary's alphabetic words.
inline heuristic_agreement agreement_with(const pronouncing_dictionary& d) {
  std::vector<counted_word> words;
  for (const auto& [word, syllables] : d.entries())
    if (!word.empty() && std::all_of(word.begin(), word.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '\''; }))
      words.emplace_back(word, syllables);
  return agreement_on(words, [](std::string_view w) { return heuristic_syllables(w); });
}

}  // namespace posttrain::simplify
