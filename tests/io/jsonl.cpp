#include <catch2/catch.hpp>

#include <sstream>

#include <posttrain/io/json.hpp>

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
  CHECK(error_of("1e999") == "x.json:1:1: number out of range");
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
