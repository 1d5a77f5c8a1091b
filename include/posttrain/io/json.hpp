// SPDX-License-Identifier: Apache-2.0
#pragma once
// A small JSON reader (RFC 8259): a value tree and a parser that reports the line and column
// (in bytes) of the first error, invalid UTF-8 included, and a JSON Lines reader (one value per
// line; blank lines skipped). Strict where RFC 8259 leaves a choice: a member name that repeats
// in an object is an error (it would otherwise silently keep one of the values), and a number
// beyond double's range is an error. Numbers are read with std::from_chars, independent of the
// C locale; subnormals are kept. A number outside an array also keeps its literal text, so that
// ids such as 9007199254740993 can be passed through exactly.
//
//   posttrain::io::jsonl_reader in(stream, "responses.jsonl");
//   while (auto rec = in.next()) { const auto& text = rec->value.at("text").as_string(); }

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "../text/utf8.hpp"
#include "../core/error.hpp"
#include "numbers.hpp"

namespace posttrain::io::json {

class value;
using array = std::vector<value>;
using object = std::vector<std::pair<std::string, value>>;  // members in input order

/// A number: its value and, outside arrays, the literal as written ("" inside arrays, which hold
/// the bulk of the numbers and need not pay for the text).
struct number {
  double value = 0;
  std::string literal;
};

class value {
 public:
  using storage = std::variant<std::nullptr_t, bool, number, std::string, array, object>;
  value() : v_(nullptr) {}
  template <class T>
    requires std::is_constructible_v<storage, T&&>
  value(T&& x) : v_(std::forward<T>(x)) {}

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_number() const { return std::holds_alternative<number>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_array() const { return std::holds_alternative<array>(v_); }
  bool is_object() const { return std::holds_alternative<object>(v_); }

  bool as_bool() const { return get<bool>("a boolean"); }
  double as_number() const { return get<number>("a number").value; }
  /// The number's text as written; empty for a number inside an array, or one built in code.
  const std::string& number_literal() const { return get<number>("a number").literal; }
  const std::string& as_string() const { return get<std::string>("a string"); }
  const array& as_array() const { return get<array>("an array"); }
  const object& as_object() const { return get<object>("an object"); }

  /// The member named key of an object, or nullptr.
  const value* find(std::string_view key) const {
    for (const auto& [k, v] : as_object())
      if (k == key) return &v;
    return nullptr;
  }
  /// The member named key; error naming the key when it is missing.
  const value& at(std::string_view key) const {
    if (const value* v = find(key)) return *v;
    throw error("JSON object has no member \"" + std::string(key) + "\"");
  }
  const char* type_name() const {
    static constexpr const char* names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
    return names[v_.index()];
  }

 private:
  template <class T>
  const T& get(const char* what) const {
    if (const T* p = std::get_if<T>(&v_)) return *p;
    throw error(std::string("JSON value is ") + type_name() + ", not " + what);
  }
  storage v_;
};

/// Parses one JSON text; the whole input must be one value (whitespace around it allowed).
/// Errors are parse_error(file, line + (row within text), column).
class parser {
 public:
  parser(std::string_view text, std::string file, long first_line = 1)
      : s_(text), file_(std::move(file)), line_(first_line) {}

  value parse() {
    value v = parse_value(0);
    skip_ws();
    if (p_ < s_.size()) fail("unexpected characters after the JSON value");
    return v;
  }

 private:
  static constexpr int max_depth = 512;

  [[noreturn]] void fail(const std::string& what) const {
    throw parse_error(file_, line_, static_cast<long>(p_ - line_start_) + 1, what);
  }
  void skip_ws() {
    while (p_ < s_.size()) {
      const char c = s_[p_];
      if (c == '\n') {
        ++line_;
        line_start_ = ++p_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++p_;
      } else {
        break;
      }
    }
  }
  bool consume(std::string_view word) {
    if (s_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  value parse_value(int depth, bool in_array = false) {
    if (depth > max_depth) fail("nesting deeper than 512 levels");
    skip_ws();
    if (p_ >= s_.size()) fail("unexpected end of input, expected a value");
    switch (s_[p_]) {
      case '{': return parse_object(depth);
      case '[': return parse_array(depth);
      case '"': return parse_string();
      case 't': if (consume("true")) return true; break;
      case 'f': if (consume("false")) return false; break;
      case 'n': if (consume("null")) return nullptr; break;
      default:
        if (s_[p_] == '-' || (s_[p_] >= '0' && s_[p_] <= '9')) return parse_number(!in_array);
    }
    fail(std::string("unexpected character '") + s_[p_] + "', expected a value");
  }

  value parse_object(int depth) {
    ++p_;
    object members;
    skip_ws();
    if (p_ < s_.size() && s_[p_] == '}') { ++p_; return members; }
    std::unordered_set<std::string> seen;  // used past 16 members; a scan before
    while (true) {
      skip_ws();
      if (p_ >= s_.size() || s_[p_] != '"') fail("expected a member name in double quotes");
      const std::size_t key_at = p_;
      std::string key = parse_string();
      bool repeated = false;
      if (members.size() < 16) {
        for (const auto& m : members) repeated = repeated || m.first == key;
      } else {
        if (seen.empty())
          for (const auto& m : members) seen.insert(m.first);
        repeated = !seen.insert(key).second;
      }
      if (repeated) {
        p_ = key_at;
        fail("the member name \"" + key + "\" repeats in this object");
      }
      skip_ws();
      if (p_ >= s_.size() || s_[p_] != ':') fail("expected ':' after a member name");
      ++p_;
      members.emplace_back(std::move(key), parse_value(depth + 1));
      skip_ws();
      if (p_ < s_.size() && s_[p_] == ',') { ++p_; continue; }
      if (p_ < s_.size() && s_[p_] == '}') { ++p_; return members; }
      fail("expected ',' or '}' in an object");
    }
  }

  value parse_array(int depth) {
    ++p_;
    array items;
    skip_ws();
    if (p_ < s_.size() && s_[p_] == ']') { ++p_; return items; }
    while (true) {
      items.push_back(parse_value(depth + 1, true));
      skip_ws();
      if (p_ < s_.size() && s_[p_] == ',') { ++p_; continue; }
      if (p_ < s_.size() && s_[p_] == ']') { ++p_; return items; }
      fail("expected ',' or ']' in an array");
    }
  }

  value parse_number(bool keep_literal) {
    const std::size_t start = p_;
    auto digits = [&] {
      const std::size_t d = p_;
      while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
      return p_ - d;
    };
    if (s_[p_] == '-') ++p_;
    if (p_ < s_.size() && s_[p_] == '0') ++p_;
    else if (digits() == 0) fail("a number needs digits");
    if (p_ < s_.size() && s_[p_] == '.') {
      ++p_;
      if (digits() == 0) fail("a number needs digits after '.'");
    }
    if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
      ++p_;
      if (p_ < s_.size() && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
      if (digits() == 0) fail("a number needs digits in its exponent");
    }
    // The grammar is checked above; read_number converts (and tells overflow from underflow).
    number n;
    bool overflow = false;
    const std::string_view literal = s_.substr(start, p_ - start);
    const auto v = read_number(literal, &overflow);
    if (!v) {
      p_ = start;
      fail(overflow ? "number out of range (beyond double's largest, 1.8e308)" : "malformed number");
    }
    n.value = *v;
    if (keep_literal) n.literal.assign(literal);
    return n;
  }

  std::uint32_t hex4() {
    if (p_ + 4 > s_.size()) fail("\\u needs four hex digits");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[p_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else { --p_; fail("\\u needs four hex digits"); }
    }
    return v;
  }

  /// Length of the well-formed UTF-8 sequence at p_ (RFC 3629: no overlong forms, no
  /// surrogates, nothing above U+10FFFF); a parse error at the offending byte otherwise.
  std::size_t utf8_sequence_length() {
    const auto byte = [&](std::size_t i) { return p_ + i < s_.size() ? static_cast<unsigned char>(s_[p_ + i]) : 0u; };
    const unsigned b0 = byte(0);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF) n = 3, lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
    else if (b0 >= 0xF0 && b0 <= 0xF4) n = 4, lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
    auto bad = [&](std::size_t at) {
      p_ += at;
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", byte(0));
      fail(std::string("invalid UTF-8 (byte ") + hex + ")");
    };
    if (n == 0) bad(0);
    for (std::size_t i = 1; i < n; ++i) {
      const unsigned b = byte(i);
      if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) bad(i);
    }
    return n;
  }

  std::string parse_string() {
    ++p_;
    std::string out;
    while (true) {
      if (p_ >= s_.size()) fail("unterminated string");
      const char c = s_[p_];
      if (c == '"') { ++p_; return out; }
      if (static_cast<unsigned char>(c) < 0x20) fail("control character inside a string (escape it)");
      if (static_cast<unsigned char>(c) >= 0x80) {
        const std::size_t n = utf8_sequence_length();
        out.append(s_.substr(p_, n));
        p_ += n;
        continue;
      }
      if (c != '\\') { out += c; ++p_; continue; }
      if (++p_ >= s_.size()) fail("unterminated escape");
      const char e = s_[p_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair
            if (!consume("\\u")) fail("a high surrogate must be followed by \\u and a low surrogate");
            const std::uint32_t lo = hex4();
            if (lo < 0xDC00 || lo >= 0xE000) fail("invalid low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            fail("a lone low surrogate");
          }
          text::append_utf8(out, char32_t(cp));
          break;
        }
        default: --p_; fail(std::string("invalid escape '\\") + e + "'");
      }
    }
  }

  std::string_view s_;
  std::string file_;
  std::size_t p_ = 0, line_start_ = 0;
  long line_;
};

inline value parse(std::string_view text, const std::string& file = "<string>") { return parser(text, file).parse(); }

}  // namespace posttrain::io::json

namespace posttrain::io {

struct jsonl_record {
  json::value value;
  long line = 0;
};

class jsonl_reader {
 public:
  jsonl_reader(std::istream& in, std::string file_name) : in_(in), file_(std::move(file_name)) {}

  /// The next non-blank line's value, or nullopt at the end of the input.
  std::optional<jsonl_record> next() {
    std::string line;
    while (std::getline(in_, line)) {
      ++line_no_;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      return jsonl_record{json::parser(line, file_, line_no_).parse(), line_no_};
    }
    return std::nullopt;
  }

 private:
  std::istream& in_;
  std::string file_;
  long line_no_ = 0;
};

}  // namespace posttrain::io
