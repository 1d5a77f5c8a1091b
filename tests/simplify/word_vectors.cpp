// SPDX-License-Identifier: Apache-2.0
// Reading word vectors in the word2vec and GloVe text formats, and their errors.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include <posttrain/simplify/neighbours.hpp>

namespace sp = posttrain::simplify;

namespace {
std::string write(const std::string& name, const std::string& text) {
  std::ofstream(name) << text;
  return name;
}
}  // namespace

TEST_CASE("simplify: word vectors in the word2vec and GloVe text formats", "[simplify]") {
  const auto w2v = write("wv_word2vec.txt", "3 2\nbig 1 0.5\r\nlarge 0.9 0.4\n\nsmall -1 2e-1\n");
  const auto v = sp::word_vectors::load_text(w2v);
  CHECK(v.size() == 3);
  CHECK(v.width() == 2);
  CHECK(v.words()[2] == "small");
  CHECK(v.matrix()(2, 1) == Approx(0.2f));
  CHECK(v.find("large") == 1);
  const auto glove = write("wv_glove.txt", "the 0.1 0.2 0.3\nof\t-0.1 +0 1\n");
  const auto g = sp::word_vectors::load_text(glove);
  CHECK(g.size() == 2);
  CHECK(g.width() == 3);
  CHECK(g.matrix()(1, 0) == Approx(-0.1f));
  CHECK(g.matrix()(1, 2) == 1);
  // Two integers on the first line are word2vec's header; a word and one number are a vector.
  const auto one = write("wv_one.txt", "a 1\nb 2\n");
  CHECK(sp::word_vectors::load_text(one).size() == 2);
  std::remove(w2v.c_str()), std::remove(glove.c_str()), std::remove(one.c_str());
}

TEST_CASE("simplify: word vector errors name the line and column", "[simplify]") {
  const auto ragged = write("wv_ragged.txt", "big 1 0.5\nlarge 0.9\n");
  CHECK_THROWS_WITH(sp::word_vectors::load_text(ragged), Catch::Contains(":2:") && Catch::Contains("found 1"));
  const auto nan = write("wv_nan.txt", "big 1 nan\n");
  CHECK_THROWS_WITH(sp::word_vectors::load_text(nan), Catch::Contains(":1:7") && Catch::Contains("'nan'"));
  const auto text = write("wv_text.txt", "big 1 1e999\n");  // beyond float: not finite
  CHECK_THROWS_AS(sp::word_vectors::load_text(text), posttrain::parse_error);
  const auto repeated = write("wv_repeated.txt", "big 1 2\nbig 3 4\n");
  CHECK_THROWS_WITH(sp::word_vectors::load_text(repeated), Catch::Contains("repeated"));
  const auto empty = write("wv_empty.txt", "");
  CHECK_THROWS_AS(sp::word_vectors::load_text(empty), posttrain::parse_error);
  CHECK_THROWS_AS(sp::word_vectors::load_text("/nonexistent/vectors.txt"), posttrain::runtime_error);
  CHECK_THROWS_AS(sp::word_vectors({"a", "b"}, {1.0f, 2.0f, 3.0f}, 2), posttrain::shape_error);
  CHECK_THROWS_AS(sp::word_vectors({"a"}, {}, 0), posttrain::value_error);
  for (const auto& f : {ragged, nan, text, repeated, empty}) std::remove(f.c_str());
}
