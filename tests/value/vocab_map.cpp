// SPDX-License-Identifier: Apache-2.0
// Vocabulary maps: normalisation, the one-to-one builder's rules, the DTW alignment builder,
// save/load, apply with both fills.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <posttrain/core/backend.hpp>
#include <posttrain/value/vocab_map.hpp>

namespace va = posttrain::value;
using posttrain::index_t;

TEST_CASE("value: token normalisation and edit distance", "[value]") {
  CHECK(va::normalise_token("\xE2\x96\x81the") == " the");  // ▁the
  CHECK(va::normalise_token("\xC4\xA0the") == " the");      // Ġthe
  CHECK(va::normalise_token("a\xC4\x8A") == "a\n");          // aĊ
  CHECK(va::normalise_token("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(va::edit_distance("kitten", "sitting") == 3);
  CHECK(va::edit_distance("", "abc") == 3);
  CHECK(va::edit_distance("caf\xC3\xA9", "cafe") == 1);  // one code point, not two bytes
}

TEST_CASE("value: the one-to-one map: exact, then prefix candidates by Levenshtein, ties to the lowest id",
          "[value]") {
  const std::vector<std::string> base = {
      "\xE2\x96\x81the",  // 0  ▁the → " the" exact (value 1)
      "cat",              // 1  exact (value 0)
      "cats",             // 2  prefixes in the value vocabulary: "cat" (d 1), "ca" (d 2) → "cat"
      "do",               // 3  value tokens it prefixes: "dog" (d 1), "door" (d 2) → "dog"
      "\xE2\x96\x81",     // 4  a lone marker: only an all-space token (value 6)
      "zebra",            // 5  nothing related → unmapped
      "ab",               // 6  "abc" (4) and "abd" (5), both d 1 → the lower id 4
  };
  const std::vector<std::string> value = {"cat", "\xC4\xA0the", "ca", "dog", "abc", "abd", " ", "door", "the"};
  const auto m = va::build_one_to_one_map(base, value);
  CHECK(m.base_size() == 7);
  CHECK(m.value_size() == 9);
  CHECK(m.source(0) == 1);
  CHECK(m.source(1) == 0);
  CHECK(m.source(2) == 0);
  CHECK(m.source(3) == 3);
  CHECK(m.source(4) == 6);
  CHECK(m.source(5) == -1);
  CHECK(m.source(6) == 4);
  CHECK(m.mapped() == 6);
}

TEST_CASE("value: save and load a map exactly, load errors name the line", "[value]") {
  va::vocabulary_map m(5, 3);
  m.set(0, 2, 0.1);
  m.set(3, 0, 1.0 / 3.0);
  std::stringstream s;
  m.save(s);
  const auto back = va::vocabulary_map::load(s, "map.txt");
  CHECK(back.base_size() == 5);
  CHECK(back.value_size() == 3);
  CHECK(back.source(0) == 2);
  CHECK(back.weight(0) == 0.1);
  CHECK(back.weight(3) == 1.0 / 3.0);
  CHECK(back.source(1) == -1);
  std::stringstream bad("posttrain-vocabulary-map 1\nbase 5 value 3\n0 2 0x1p-1\n4 3 1\n");
  CHECK_THROWS_WITH(va::vocabulary_map::load(bad, "map.txt"), Catch::Contains("map.txt:4") && Catch::Contains("out of range"));
  std::stringstream junk("hello\n");
  CHECK_THROWS_WITH(va::vocabulary_map::load(junk, "map.txt"), Catch::Contains("map.txt:1"));
  CHECK_THROWS_AS(m.set(5, 0), posttrain::value_error);
}

TEST_CASE("value: the alignment map from DTW-aligned tokenisations", "[value]") {
  // "the cats sat" as base [the][▁cat][s][▁sat] and as value [the][▁ca][ts][▁sat].
  const std::vector<std::string> base = {"the", "\xE2\x96\x81" "cat", "s", "\xE2\x96\x81sat", "dog"};
  const std::vector<std::string> value = {"the", "\xC4\xA0" "ca", "ts", "\xC4\xA0sat", "xyz"};
  va::alignment_map_builder builder(base, value);
  const std::vector<index_t> b = {0, 1, 2, 3}, v = {0, 1, 2, 3};
  const auto path = builder.dtw_path(b, v);
  REQUIRE(path.size() == 4);  // the diagonal: the–the, ▁cat–Ġca, s–ts, ▁sat–Ġsat
  for (std::size_t k = 0; k < 4; ++k) CHECK((path[k] == std::pair{k, k}));
  builder.add(b, v);
  builder.add(b, v);
  // A second text where "▁cat" is one value token short: [▁cat] against [Ġca][ts] aligns twice.
  const std::vector<index_t> b2 = {1}, v2 = {1, 2};
  builder.add(b2, v2);
  CHECK(builder.count(1, 1) == 3);
  CHECK(builder.count(1, 2) == 1);
  const auto m = builder.build();
  CHECK(m.source(0) == 0);
  CHECK(m.source(1) == 1);
  CHECK(m.source(2) == 2);
  CHECK(m.source(3) == 3);
  CHECK(m.source(4) == -1);  // never aligned
  CHECK_THROWS_WITH(builder.add(std::vector<index_t>{9}, v2), Catch::Contains("base_ids[0] is 9"));
}

TEST_CASE("value: applying a map, unmapped tokens 0 or −inf", "[value]") {
  va::vocabulary_map m(4, 3);
  m.set(0, 2);
  m.set(1, 0, 0.5);
  m.set(3, 2);
  std::vector<double> z = {1, 2, 3, -4, -5, -6};
  std::vector<double> out(8);
  const posttrain::sequential_backend be;
  va::apply_map(be, m, posttrain::tensor_view<const double, 2>(z.data(), 2, 3),
                posttrain::tensor_view<double, 2>(out.data(), 2, 4));
  CHECK(out == std::vector<double>{3, 0.5, 0, 3, -6, -2, 0, -6});
  va::apply_map(be, m, posttrain::tensor_view<const double, 2>(z.data(), 2, 3),
                posttrain::tensor_view<double, 2>(out.data(), 2, 4), va::unmapped_fill::negative_infinity);
  CHECK(out[2] == -INFINITY);
  CHECK_THROWS_AS(va::apply_map(be, m, posttrain::tensor_view<const double, 2>(z.data(), 3, 2),
                                posttrain::tensor_view<double, 2>(out.data(), 2, 4)),
                  posttrain::shape_error);
}
