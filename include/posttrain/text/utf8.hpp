// SPDX-License-Identifier: Apache-2.0
#pragma once
// UTF-8 decoding with replacement: every well-formed sequence becomes its code point, and every
// byte that does not start one (a stray continuation byte, a truncated or overlong sequence, a
// surrogate, a value above U+10FFFF) becomes U+FFFD on its own, so no input is rejected and
// code-point positions map back to byte offsets exactly.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace posttrain::text {

inline constexpr char32_t replacement_character = U'\uFFFD';

struct decoded_text {
  std::u32string chars;
  /// byte_offset[k] is where chars[k] starts in the input; byte_offset[size] = input size.
  std::vector<std::size_t> byte_offset;
  /// Bytes that were not part of a well-formed sequence (each became one U+FFFD).
  std::size_t invalid_bytes = 0;
};

namespace detail {

/// Length and code point of the well-formed sequence at s[i], or length 0.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned c = b(i);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t n = 0;
  char32_t lo = 0;
  if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F, lo = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F, lo = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07, lo = 0x10000;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < lo || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace detail

/// Decodes s into out, reusing its storage (for loops over many texts).
inline void decode_utf8(std::string_view s, decoded_text& out) {
  out.chars.clear();
  out.byte_offset.clear();
  out.invalid_bytes = 0;
  out.chars.reserve(s.size());
  out.byte_offset.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {  // ASCII
      out.chars.push_back(static_cast<char32_t>(s[i]));
      out.byte_offset.push_back(i++);
      continue;
    }
    char32_t cp = 0;
    std::size_t n = detail::utf8_sequence(s, i, cp);
    if (n == 0) {
      cp = replacement_character;
      n = 1;
      ++out.invalid_bytes;
    }
    out.chars.push_back(cp);
    out.byte_offset.push_back(i);
    i += n;
  }
  out.byte_offset.push_back(s.size());
}

inline decoded_text decode_utf8(std::string_view s) {
  decoded_text out;
  decode_utf8(s, out);
  return out;
}

/// Appends the UTF-8 encoding of cp (U+FFFD for a value that is not a scalar value).
inline void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = replacement_character;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace posttrain::text
