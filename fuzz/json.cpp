// SPDX-License-Identifier: Apache-2.0
// The JSON and JSON Lines readers on arbitrary bytes: a value or a parse_error naming a line and
// a column inside the input; every string of a value is valid UTF-8, every number finite.
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>

#include <posttrain/io/json.hpp>

#include "fuzz_check.hpp"

namespace json = posttrain::io::json;

static void check_value(const json::value& v) {
  if (v.is_string()) POSTTRAIN_FUZZ_CHECK(valid_utf8(v.as_string()));
  if (v.is_number()) POSTTRAIN_FUZZ_CHECK(std::isfinite(v.as_number()));
  if (v.is_array())
    for (const auto& x : v.as_array()) check_value(x);
  if (v.is_object())
    for (const auto& [k, x] : v.as_object()) {
      POSTTRAIN_FUZZ_CHECK(valid_utf8(k));
      check_value(x);
    }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    check_value(json::parse(text, "fuzz.json"));
  } catch (const posttrain::parse_error& e) {
    POSTTRAIN_FUZZ_CHECK(e.line() >= 1 && e.column() >= 1);
  }
  std::istringstream in(text);
  posttrain::io::jsonl_reader lines(in, "fuzz.jsonl");
  try {
    while (auto rec = lines.next()) check_value(rec->value);
  } catch (const posttrain::parse_error&) {
  }
  return 0;
}
