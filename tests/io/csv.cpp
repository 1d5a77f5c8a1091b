// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <sstream>

#include <posttrain/io/csv.hpp>

using posttrain::io::csv_reader;

TEST_CASE("csv: header, quoted fields, doubled quotes, CRLF, fields spanning lines") {
  std::istringstream in("a,b,c\r\n1,\"x, y\",\"he said \"\"hi\"\"\"\r\n\n2,,\"two\nlines\"\n");
  csv_reader r(in, "t.csv");
  CHECK(r.read_header() == std::vector<std::string>{"a", "b", "c"});
  auto r1 = r.next();
  REQUIRE(r1);
  CHECK(r1->fields == std::vector<std::string>{"1", "x, y", "he said \"hi\""});
  CHECK(r1->line == 2);
  CHECK(r1->columns == std::vector<long>{1, 3, 10});
  auto r2 = r.next();
  REQUIRE(r2);
  CHECK(r2->fields == std::vector<std::string>{"2", "", "two\nlines"});
  CHECK(r2->line == 4);
  CHECK_FALSE(r.next());
}

TEST_CASE("csv: malformed records name the file, line and column") {
  auto error_of = [](const std::string& text) {
    std::istringstream in(text);
    csv_reader r(in, "bad.csv");
    try {
      while (r.next()) {
      }
    } catch (const posttrain::parse_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of("a,b\n1,2,3\n") == "bad.csv:2:1: expected 2 fields, found 3");
  CHECK(error_of("a,b\n1,\"x\"y\n") == "bad.csv:2:6: unexpected 'y' after a closing quote");
  CHECK(error_of("a,b\n1,x\"y\n") == "bad.csv:2:4: a quote inside an unquoted field");
  CHECK(error_of("a,b\n1,\"open\n") == "bad.csv:2:3: unterminated quoted field (the input ends inside it)");
}

TEST_CASE("tsv: tab delimiter without quoting, trailing empty field, numbers") {
  std::istringstream in("x\ty\n\"q\t2.5\n3\t\n");
  csv_reader r(in, "t.tsv", {.delimiter = '\t', .quote = '\0'});
  r.read_header();
  auto a = r.next();
  REQUIRE(a);
  CHECK(a->fields[0] == "\"q");
  CHECK(posttrain::io::parse_number(*a, 1, "t.tsv") == 2.5);
  auto b = r.next();
  REQUIRE(b);
  CHECK(b->fields == std::vector<std::string>{"3", ""});
  CHECK_THROWS_WITH(posttrain::io::parse_number(*b, 1, "t.tsv"), "t.tsv:3:3: field 2 is not a number: ''");
  CHECK_THROWS_WITH(posttrain::io::parse_number(*a, 0, "t.tsv"), Catch::Contains("t.tsv:2:1"));
}

TEST_CASE("csv: an empty input has no header") {
  std::istringstream in("");
  csv_reader r(in, "empty.csv");
  CHECK_THROWS_WITH(r.read_header(), "empty.csv:1:1: empty input: a header line is required");
}

TEST_CASE("csv: bytes pass through unchanged, invalid UTF-8 included") {
  std::istringstream in("a,b\n\xff\xfe,\xe2\x96\x81x\n");
  csv_reader r(in, "bytes.csv");
  r.read_header();
  auto rec = r.next();
  REQUIRE(rec);
  CHECK(rec->fields == std::vector<std::string>{"\xff\xfe", "\xe2\x96\x81x"});
}
