// SPDX-License-Identifier: Apache-2.0
#pragma once
// What produced a result, in sacrebleu's manner: a signature "name:value|name:value|…" of every
// setting in effect (given or default), the route taken and the conventions, ending with the
// version. JSON results carry it as "settings" beside "version"; the JSON Lines and TSV commands,
// whose records stay one schema, print it in their summary on stderr.

#include <charconv>
#include <string>
#include <string_view>

#include <posttrain/core/config.hpp>

namespace posttrain::cli {

/// x in its shortest round-trip form.
inline std::string shortest_text(double x) {
  char buffer[32];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, r.ptr);
}

class settings {
 public:
  settings& add(std::string_view name, std::string_view value) {
    if (!text_.empty()) text_ += '|';
    text_.append(name).append(":").append(value);
    return *this;
  }
  settings& add(std::string_view name, const char* value) { return add(name, std::string_view(value)); }
  settings& add(std::string_view name, const std::string& value) { return add(name, std::string_view(value)); }
  /// Numbers in their shortest round-trip form (1, 0.95, 1e-06), as the options were given.
  settings& add(std::string_view name, double value) { return add(name, shortest_text(value)); }
  settings& add(std::string_view name, long long value) { return add(name, std::to_string(value)); }
  settings& add(std::string_view name, bool value) { return add(name, value ? "yes" : "no"); }

  /// The signature, ending with "version:X.Y.Z".
  std::string signature() const { return text_ + (text_.empty() ? "" : "|") + "version:" POSTTRAIN_VERSION_STRING; }

 private:
  std::string text_;
};

}  // namespace posttrain::cli
