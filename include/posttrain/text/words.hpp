#pragma once
// Words and sentences of UTF-8 text, for readability and simplification:
//
//   lowercase(s)        ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals to small
//                       letters (other characters unchanged); invalid bytes become U+FFFD
//   fold_accents(c)     the base Latin letter of an accented one (é → e, ß unchanged), for the
//                       syllable heuristics
//   words(s)            word tokens: maximal runs of letters and digits (any script) with inner
//                       apostrophes, hyphens, and periods or commas between digits ("don't",
//                       "well-known", "3.14", "1,000" are one word each); punctuation is not a word
//   split_sentences(s)  Punkt-style: a sentence ends at . ! ? or an ellipsis followed by space and
//                       then a capital, a digit, a quote or an opening bracket, not after a known
//                       abbreviation (Mr., e.g., …) or a single capital initial; closing quotes
//                       and brackets stay with the sentence they end
//
// Letters are the code points iswalpha-like tests cannot see portably, so classes are explicit:
// ASCII, Latin-1 and Latin Extended-A/B, Greek, Cyrillic, and every code point ≥ U+3040 (CJK and
// beyond) count as letters.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <string>
#include <string_view>
#include <vector>

#include "utf8.hpp"

namespace posttrain::text {

namespace detail {

inline bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

inline bool space(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == U'\f' || c == U'\v' || c == 0x00A0 ||
         c == 0x2028 || c == 0x2029 || (c >= 0x2000 && c <= 0x200A) || c == 0x3000;
}

inline bool letter(char32_t c) {
  if (c < 0x80) return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
  if (c >= 0xC0 && c <= 0x24F) return c != 0xD7 && c != 0xF7;  // Latin-1 letters, Extended-A/B
  if (c >= 0x370 && c <= 0x3FF) return c != 0x37E && c != 0x387;  // Greek
  if (c >= 0x400 && c <= 0x52F) return true;                        // Cyrillic
  return c >= 0x3040 && c != 0xFFFD && !(c >= 0xFF00 && c <= 0xFF0F);
}

inline bool digit(char32_t c) { return c >= U'0' && c <= U'9'; }

inline char32_t to_lower(char32_t c) {
  if (c >= U'A' && c <= U'Z') return c + 32;
  if ((c >= 0xC0 && c <= 0xDE) && c != 0xD7) return c + 32;                   // À–Þ
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17F) {
    const bool odd_pairs = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    return odd_pairs ? (c % 2 == 1 ? c + 1 : c) : (c % 2 == 0 ? c + 1 : c);  // Latin Extended-A pairs
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;                  // Greek
  if (c >= 0x410 && c <= 0x42F) return c + 32;                                // Cyrillic А–Я
  if (c >= 0x400 && c <= 0x40F) return c + 80;                                // Ѐ–Џ
  return c;
}

}  // namespace detail

inline std::string lowercase(std::string_view s) {
  const auto d = decode_utf8(s);
  std::string out;
  out.reserve(s.size());
  for (const char32_t c : d.chars) append_utf8(out, detail::to_lower(c));
  return out;
}

/// The unaccented Latin letter of an accented one, lower-cased; other characters lower-cased.
inline char32_t fold_accents(char32_t c) {
  c = detail::to_lower(c);
  if (c < 0xE0 || c > 0x17F) return c;
  static constexpr std::string_view latin1 = "aaaaaaaceeeeiiiidnooooo/ouuuuyty";  // U+00E0..U+00FF
  if (c <= 0xFF) return char32_t(static_cast<unsigned char>(latin1[c - 0xE0]));
  static constexpr std::string_view extended =  // U+0100..U+017F, lower-cased
      "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
  return char32_t(static_cast<unsigned char>(extended[c - 0x100]));
}

namespace detail {

/// Classes of the ASCII characters, for the loops over ASCII text.
enum ascii_class : std::uint8_t { ascii_letter = 1, ascii_digit = 2, ascii_terminal = 4, ascii_vowel = 8 };
inline constexpr std::array<std::uint8_t, 128> ascii_classes = [] {
  std::array<std::uint8_t, 128> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[std::size_t(c)] = t[std::size_t(c - 32)] = ascii_letter;
  for (int c = '0'; c <= '9'; ++c) t[std::size_t(c)] = ascii_digit;
  for (const char c : {'.', '!', '?'}) t[std::size_t(c)] = ascii_terminal;
  for (const char c : {'a', 'e', 'i', 'o', 'u', 'y'}) t[std::size_t(c)] |= ascii_vowel, t[std::size_t(c - 32)] |= ascii_vowel;
  return t;
}();

/// Whether the character has one of the ASCII classes in `mask` (false for non-ASCII ones).
template <class CharT>
inline bool ascii_is(CharT c, std::uint8_t mask) {
  const auto u = static_cast<std::make_unsigned_t<CharT>>(c);
  return u < 128 && (ascii_classes[u] & mask) != 0;
}

/// The lowercase of an ASCII character (A–Z; everything else unchanged).
inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

/// Whether any of the 8 bytes at p is '.', '!' or '?' (a zero byte of x ^ that byte repeated).
inline bool any_terminal(const char* p) {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  const auto zero_byte = [&](std::uint64_t v) { return (v - ones) & ~v & highs; };
  return (zero_byte(x ^ (ones * '.')) | zero_byte(x ^ (ones * '!')) | zero_byte(x ^ (ones * '?'))) != 0;
}

/// Whether every byte of s is ASCII (8 bytes at a time).
inline bool all_ascii(std::string_view s) {
  std::size_t i = 0;
  std::uint64_t bits = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, s.data() + i, 8);
    bits |= chunk;
  }
  for (; i < s.size(); ++i) bits |= static_cast<unsigned char>(s[i]);
  return (bits & 0x8080808080808080ull) == 0;
}

/// Calls f(i, j) for each word token, the characters [i, j) of c (rules above). c holds code
/// points (char32_t), or ASCII bytes (char) when the text is all ASCII.
template <class CharT, class F>
void for_each_word(std::basic_string_view<CharT> c, F&& f) {
  const auto word_char = [&](std::size_t i) {
    if constexpr (sizeof(CharT) == 1) return ascii_is(c[i], ascii_letter | ascii_digit);  // ASCII text
    else return letter(c[i]) || digit(c[i]);
  };
  for (std::size_t i = 0; i < c.size();) {
    if (!word_char(i)) {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < c.size()) {
      if (word_char(j)) {
        ++j;
        continue;
      }
      // Inner joiners: an apostrophe or hyphen between word characters; . or , between digits.
      const bool between = j + 1 < c.size() && word_char(j + 1);
      const bool joiner = c[j] == U'\'' || c[j] == 0x2019 || c[j] == U'-';
      const bool numeric = (c[j] == U'.' || c[j] == U',') && digit(c[j - 1]) && j + 1 < c.size() && digit(c[j + 1]);
      if (between && (joiner || numeric)) {
        j += 2;
        continue;
      }
      break;
    }
    f(i, j);
    i = j;
  }
}

}  // namespace detail

/// Word tokens (rules above), as UTF-8 strings.
inline std::vector<std::string> words(std::string_view s) {
  const auto d = decode_utf8(s);
  std::vector<std::string> out;
  detail::for_each_word(std::u32string_view(d.chars), [&](std::size_t i, std::size_t j) {
    out.emplace_back(s.substr(d.byte_offset[i], d.byte_offset[j] - d.byte_offset[i]));
  });
  return out;
}

/// Abbreviations after which a period does not end a sentence (lower-case, without the final
/// period); extend with your own list.
inline const std::vector<std::string>& default_abbreviations() {
  static const std::vector<std::string> list = {
      "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "al", "inc", "ltd", "co",
      "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vol",
      "fig", "p", "pp", "ed", "eds", "approx", "dept", "est", "gen", "gov", "lt", "mt", "rev", "u.s", "u.k", "a.m",
      "p.m", "ph.d", "b.a", "m.a", "mme", "mlle", "sra", "sr", "dra", "bzw", "z.b", "usw", "ca", "nr"};
  return list;
}

namespace detail {

/// Calls f(from, to) for each sentence, the characters [from, to) of c trimmed of spaces (rules
/// above). c holds code points, or ASCII bytes.
template <class CharT, class F>
void for_each_sentence(std::basic_string_view<CharT> c, const std::vector<std::string>& abbreviations, F&& f) {
  const auto emit = [&](std::size_t from, std::size_t to) {
    while (from < to && space(c[from])) ++from;
    while (to > from && space(c[to - 1])) --to;
    if (to > from) f(from, to);
  };
  const auto closing = [](char32_t x) {
    return x == U'"' || x == U'\'' || x == U')' || x == U']' || x == 0x201D || x == 0x2019 || x == 0xBB;
  };
  const auto opening = [](char32_t x) {
    return x == U'"' || x == U'\'' || x == U'(' || x == U'[' || x == 0x201C || x == 0x2018 || x == 0xAB ||
           x == 0xBF || x == 0xA1;
  };
  const auto terminal = [](char32_t x) { return x == U'.' || x == U'!' || x == U'?' || x == 0x2026; };
  std::size_t start = 0;
  std::string token;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if constexpr (sizeof(CharT) == 1) {
      while (i + 8 <= c.size() && !any_terminal(c.data() + i)) i += 8;  // 8 bytes at a time
      if (i >= c.size()) break;
      if (!ascii_is(c[i], ascii_terminal)) continue;
    } else if (!terminal(c[i])) {
      continue;
    }
    // [i, end): a run of terminals, then closing marks. Every later position of the run would
    // reach the same end and the same decision, so a run that ends no sentence is skipped whole
    // (scanning it from each of its positions made 200 000 dots take a minute).
    std::size_t end = i + 1;
    while (end < c.size() && terminal(c[end])) ++end;
    while (end < c.size() && closing(c[end])) ++end;
    if (end < c.size() && !space(c[end])) {  // "3.14", "e.g.x", "U.S.A"
      i = end - 1;
      continue;
    }
    std::size_t next = end;
    while (next < c.size() && space(c[next])) ++next;
    if (next < c.size()) {
      const char32_t n = c[next];
      const bool starts = to_lower(n) != n || digit(n) || opening(n) || (n >= 0x3040);
      if (!starts) {  // a lower-case continuation: "... and then"
        i = end - 1;
        continue;
      }
    }
    // A single period after an abbreviation or a single capital initial does not end a sentence.
    if (c[i] == U'.') {
      std::size_t w = i;
      while (w > start && !space(c[w - 1]) && !opening(c[w - 1])) --w;
      token.clear();
      for (std::size_t k = w; k < i; ++k) append_utf8(token, to_lower(c[k]));
      const bool initial = i - w == 1 && letter(c[w]) && to_lower(char32_t(c[w])) != char32_t(c[w]);
      const bool abbreviation = std::find(abbreviations.begin(), abbreviations.end(), token) != abbreviations.end();
      if ((initial || abbreviation) && end == i + 1 && next < c.size()) continue;
    }
    emit(start, end);
    start = end;
    i = end - 1;
  }
  emit(start, c.size());
}

}  // namespace detail

/// Sentences of s (rules above), trimmed, as UTF-8 strings.
inline std::vector<std::string> split_sentences(std::string_view s,
                                                const std::vector<std::string>& abbreviations = default_abbreviations()) {
  const auto d = decode_utf8(s);
  std::vector<std::string> out;
  detail::for_each_sentence(std::u32string_view(d.chars), abbreviations, [&](std::size_t from, std::size_t to) {
    out.emplace_back(s.substr(d.byte_offset[from], d.byte_offset[to] - d.byte_offset[from]));
  });
  return out;
}

}  // namespace posttrain::text
