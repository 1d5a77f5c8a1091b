// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include <posttrain/io/json.hpp>

#include "../support/comma_locale.hpp"

namespace json = posttrain::io::json;

TEST_CASE("json: every kind of value, escapes and surrogate pairs") {
  const auto v = json::parse(R"({"s": "a\"b\\c\n\u00e9\ud83d\ude00", "n": -1.5e2, "t": true, "f": false,
                                "z": null, "a": [1, [2], {}], "o": {"k": "v"}})");
  CHECK(v.at("s").as_string() == "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(v.at("n").as_number() == -150.0);
  CHECK(v.at("t").as_bool());
  CHECK_FALSE(v.at("f").as_bool());
  CHECK(v.at("z").is_null());
  CHECK(v.at("a").as_array().size() == 3);
  CHECK(v.at("o").at("k").as_string() == "v");
  CHECK(v.as_object().front().first == "s");  // input order kept
  CHECK_THROWS_WITH(v.at("missing"), Catch::Contains("\"missing\""));
  CHECK_THROWS_WITH(v.at("n").as_string(), "JSON value is a number, not a string");
}

TEST_CASE("json: errors give line and column") {
  auto error_of = [](const std::string& text) {
    try {
      json::parse(text, "x.json");
    } catch (const posttrain::parse_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of("{\"a\": 1,}") == "x.json:1:9: expected a member name in double quotes");
  CHECK(error_of("[1, 2\n, tru]") == "x.json:2:3: unexpected character 't', expected a value");
  CHECK(error_of("\"abc") == "x.json:1:5: unterminated string");
  CHECK(error_of("01") == "x.json:1:2: unexpected characters after the JSON value");
  CHECK(error_of("1e999") == "x.json:1:1: number out of range (beyond double's largest, 1.8e308)");
  CHECK(error_of("[1, -1" + std::string(400, '0') + "]") == "x.json:1:5: number out of range (beyond double's largest, 1.8e308)");
  CHECK(error_of("{\"a\": 1, \"b\": 2, \"a\": 3}") == "x.json:1:18: the member name \"a\" repeats in this object");
  CHECK(error_of("\"\\ud800x\"") == "x.json:1:8: a high surrogate must be followed by \\u and a low surrogate");
  CHECK(error_of(std::string(600, '[')) == "x.json:1:514: nesting deeper than 512 levels");
  CHECK(error_of("") == "x.json:1:1: unexpected end of input, expected a value");
  CHECK(error_of("\"ab\xff\"") == "x.json:1:4: invalid UTF-8 (byte 0xFF)");
  CHECK(error_of("\"\xc3\"") == "x.json:1:3: invalid UTF-8 (byte 0x22)");          // truncated sequence
  CHECK(error_of("\"\xc0\xaf\"") == "x.json:1:2: invalid UTF-8 (byte 0xC0)");      // overlong '/'
  CHECK(error_of("\"\xed\xa0\x80\"") == "x.json:1:3: invalid UTF-8 (byte 0xA0)");  // a surrogate
  CHECK(error_of("\"\xf4\x90\x80\x80\"") == "x.json:1:3: invalid UTF-8 (byte 0x90)");  // above U+10FFFF
  CHECK(json::parse("\"\xe2\x96\x81\xc4\xa0\xf0\x9f\x98\x80\"").as_string() == "\xe2\x96\x81\xc4\xa0\xf0\x9f\x98\x80");
}

TEST_CASE("jsonl: one value per line, blank lines skipped, errors name the line") {
  std::istringstream in("{\"text\": \"a\"}\n\n  \n{\"text\": \"b\"}\n{\"text\": }\n");
  posttrain::io::jsonl_reader r(in, "r.jsonl");
  auto a = r.next();
  REQUIRE(a);
  CHECK(a->line == 1);
  auto b = r.next();
  REQUIRE(b);
  CHECK(b->line == 4);
  CHECK(b->value.at("text").as_string() == "b");
  CHECK_THROWS_WITH(r.next(), "r.jsonl:5:10: unexpected character '}', expected a value");
}

TEST_CASE("json: numbers are read exactly and without the C locale, and literals outside arrays are kept") {
  // Under a comma-decimal locale strtod read 0.5 as 0; from_chars ignores the locale.
  json::value v;
  {
    posttrain::testing::comma_decimal_locale german;
    v = json::parse(R"({"half": 0.5, "tiny": 1e-310, "under": 1e-400, "neg_under": -2.5e-999, "big": 1.7976931348623157e308,
                        "id": 9007199254740993, "list": [0.25, 9007199254740993]})");
  }
  CHECK(v.at("half").as_number() == 0.5);
  CHECK(v.at("tiny").as_number() == 1e-310);  // a subnormal, rejected before
  CHECK(v.at("tiny").as_number() > 0);
  CHECK(v.at("under").as_number() == 0);
  CHECK(std::signbit(v.at("neg_under").as_number()));
  CHECK(v.at("big").as_number() == std::numeric_limits<double>::max());
  CHECK(v.at("id").as_number() == 9007199254740992.0);  // the nearest double
  CHECK(v.at("id").number_literal() == "9007199254740993");
  CHECK(v.at("half").number_literal() == "0.5");
  CHECK(v.at("list").as_array()[0].as_number() == 0.25);
  CHECK(v.at("list").as_array()[1].number_literal().empty());  // arrays keep values only

  // A repeated name is found in large objects too (past the linear scan).
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ", ";
  CHECK(json::parse(many + "\"last\": 0}").as_object().size() == 41);
  CHECK_THROWS_WITH(json::parse(many + "\"k7\": 0}"), Catch::Contains("the member name \"k7\" repeats"));
}
