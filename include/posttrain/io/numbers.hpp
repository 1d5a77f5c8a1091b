// SPDX-License-Identifier: Apache-2.0
#pragma once
// Numbers read from text the same way everywhere: files (CSV, JSON, word lists, statistics) and
// command-line options. std::from_chars does the conversion, so the C locale never matters (under
// a comma-decimal locale strtod reads "0.5" as 0) and subnormals are kept.
//   read_number("  2.5e-3 ")   2.5e-3: spaces and tabs around the number are allowed
//   read_number("+1")          1: a leading '+' is allowed
//   read_number("0x10")        nullopt: hexadecimal is not a decimal number
//   read_number("1e-400")      0 (too small for a subnormal: underflow, as strtod reads it)
//   read_number("1e400")       nullopt, with *overflow set: beyond double's range
//   read_number("nan"), "inf"  NaN and infinity: a caller that needs a finite value checks
//   read_integer("42")         42; "25.7", "1e3" and "0x10" are not integers
// The whole text must be the number.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <system_error>

namespace posttrain::io {

namespace detail {

/// The power of ten of the leading digit of a decimal literal (digits, '.', an exponent), the
/// exponent saturated; 0 for a zero.
inline long decimal_magnitude(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  long magnitude = 0, exponent = 0;
  bool found = false, fraction = false;
  std::size_t i = 0;
  for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
    if (s[i] == '.') {
      fraction = true;
    } else if (!found && s[i] != '0') {
      found = true;
      magnitude = fraction ? magnitude - 1 : 0;
    } else if (found && !fraction) {
      ++magnitude;
    } else if (!found && fraction) {
      --magnitude;
    }
  }
  if (!found) return 0;
  if (i < s.size()) {
    const bool negative = i + 1 < s.size() && s[i + 1] == '-';
    for (std::size_t k = i + 1; k < s.size(); ++k)
      if (s[k] >= '0' && s[k] <= '9') exponent = std::min(exponent * 10 + (s[k] - '0'), 1L << 40);
    if (negative) exponent = -exponent;
  }
  return magnitude + exponent;
}

/// text without the spaces and tabs around it.
inline std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace detail

/// The decimal number that `text` is (rules above), or nullopt; *overflow (when given) says
/// whether the reason was a value beyond double's range.
inline std::optional<double> read_number(std::string_view text, bool* overflow = nullptr) {
  if (overflow) *overflow = false;
  text = detail::trim_blanks(text);
  const bool plus = text.size() > 1 && text[0] == '+' && text[1] != '-' && text[1] != '+';
  const std::string_view body = plus ? text.substr(1) : text;
  if (body.empty()) return std::nullopt;
  double v = 0;
  const auto r = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (r.ptr != body.data() + body.size()) return std::nullopt;
  if (r.ec == std::errc::result_out_of_range) {
    // libstdc++ reports underflow as out of range too: a literal too small for a subnormal is 0.
    if (detail::decimal_magnitude(body) > 0) {
      if (overflow) *overflow = true;
      return std::nullopt;
    }
    return body[0] == '-' ? -0.0 : 0.0;
  }
  if (r.ec != std::errc()) return std::nullopt;
  return v;
}

/// The whole decimal integer that `text` is (spaces around it and a leading '+' allowed), or
/// nullopt: "25.7", "1e3", "0x10" and values beyond 64 bits are not integers.
inline std::optional<long long> read_integer(std::string_view text) {
  text = detail::trim_blanks(text);
  if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
  long long v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v, 10);
  if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

/// A number as std::hexfloat and printf's %a write it ("0x1.8p+3", "-0x0p+0"), exactly; or a
/// decimal number as read_number reads it. For files that store doubles bit for bit.
inline std::optional<double> read_hex_or_decimal_number(std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  const std::string_view body = negative ? text.substr(1) : text;
  if (body.size() < 2 || body[0] != '0' || (body[1] != 'x' && body[1] != 'X')) return read_number(text);
  double v = 0;
  const auto r = std::from_chars(body.data() + 2, body.data() + body.size(), v, std::chars_format::hex);
  if (r.ec != std::errc() || r.ptr != body.data() + body.size() || body.size() == 2 || body[2] == '-' ||
      body[2] == '+')
    return std::nullopt;
  return negative ? -v : v;
}

}  // namespace posttrain::io
