// SPDX-License-Identifier: Apache-2.0
#pragma once
// A tiny JSON writer for the tool's reports: objects, arrays, strings, numbers (NaN and
// infinities become null, since JSON has no such numbers), with two-space indentation.

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <posttrain/core/config.hpp>

namespace posttrain::cli {

/// s as a JSON string literal: quotes, backslashes and control characters escaped.
inline void write_json_string(std::ostream& os, std::string_view s) {
  os << '"';
  for (const char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') os << '\\' << ch;
    else if (ch == '\n') os << "\\n";
    else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      os << buf;
    } else os << ch;
  }
  os << '"';
}

class json_writer {
 public:
  explicit json_writer(std::ostream& os) : os_(os) {}

  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  json_writer& key(std::string_view k) {
    separate();
    string(k);
    os_ << ": ";
    after_key_ = true;
    return *this;
  }
  json_writer& value(double v) {
    separate();
    if (!std::isfinite(v)) {
      os_ << "null";
    } else {
      // The shortest text that reads back as the same double, and no "-0".
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, v == 0 ? 0.0 : v);
      os_.write(buf, r.ptr - buf);
    }
    return *this;
  }
  json_writer& value(long long v) {
    separate();
    os_ << v;
    return *this;
  }
  json_writer& null() {
    separate();
    os_ << "null";
    return *this;
  }
  json_writer& value(std::string_view s) {
    separate();
    string(s);
    return *this;
  }
  template <class T>
  json_writer& field(std::string_view k, const T& v) {
    key(k);
    if constexpr (std::is_integral_v<T>) return value(static_cast<long long>(v));
    else if constexpr (std::is_floating_point_v<T>) return value(static_cast<double>(v));
    else return value(std::string_view(v));
  }
  /// "version" and "settings" (settings.hpp): what every JSON result records.
  template <class Settings>
  json_writer& provenance(const Settings& s) {
    field("version", POSTTRAIN_VERSION_STRING);
    return field("settings", s.signature());
  }
  void finish() { os_ << '\n'; }

 private:
  json_writer& open(char c) {
    separate();
    os_ << c;
    first_.push_back(true);
    return *this;
  }
  json_writer& close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) newline();
    os_ << c;
    return *this;
  }
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) os_ << ',';
    first_.back() = false;
    newline();
  }
  void newline() {
    os_ << '\n';
    for (std::size_t i = 0; i < first_.size(); ++i) os_ << "  ";
  }
  void string(std::string_view s) { write_json_string(os_, s); }
  std::ostream& os_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace posttrain::cli
