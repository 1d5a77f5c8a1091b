// SPDX-License-Identifier: Apache-2.0
// Lexical simplification end to end: the CLS and TSAR-2022 readers (and their errors), the
// generators, selection, ranking by rank sum (each sum written out by hand), the choice, and the
// bad arguments.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include <posttrain/core/backend.hpp>
#include <posttrain/simplify/lexical_pipeline.hpp>

namespace sp = posttrain::simplify;
using strings = std::vector<std::string>;

namespace {

std::vector<sp::lexical_instance> cls(const std::string& text) {
  std::istringstream in(text);
  return sp::read_cls(in, "cls.tsv");
}
std::vector<sp::lexical_instance> tsar(const std::string& text) {
  std::istringstream in(text);
  return sp::read_tsar(in, "tsar.tsv");
}

posttrain::text::chinese_segmenter dictionary(const std::string& text) {
  std::istringstream in(text);
  return posttrain::text::chinese_segmenter::read(in, "dict.txt");
}

sp::cilin tree(const std::string& text) {
  std::istringstream in(text);
  return sp::cilin::read(in, "cilin.txt");
}

const std::string words = "鲜有 5 d\n少有 50 v\n很少 300 d\n罕见 20 a\n难得 80 a\n少见 40 v\n";
const std::string groups = "Ed03B01= 鲜有 少有 罕见 很少 未知词\nEd03B02# 难得 少见 鲜有\n";

}  // namespace

TEST_CASE("read_cls: the five columns, the offset of the word, and the gold with repeats", "[simplify]") {
  const auto x = cls("却 鲜有 自己 参加\t鲜有\td\t1\t很少 少有 很少\n由此可见 ， 截然\t截然\td\t2\t完全\n");
  REQUIRE(x.size() == 2);
  CHECK(x[0].sentence == "却鲜有自己参加");
  CHECK(x[0].word == "鲜有");
  CHECK(x[0].offset == std::string("却").size());
  CHECK(x[0].tokens == strings{"却", "鲜有", "自己", "参加"});
  CHECK(x[0].position == 1);
  CHECK(x[0].pos == "d");
  CHECK(x[0].gold == strings{"很少", "少有", "很少"});
  CHECK(x[1].offset == std::string("由此可见，").size());
  CHECK(cls("").empty());
}

TEST_CASE("read_cls: errors name the file, the line and the column", "[simplify]") {
  CHECK_THROWS_WITH(cls("a b\tb\td\t1\tc\na b\tb\td\n"), Catch::Contains("cls.tsv:2:1") && Catch::Contains("found 3"));
  CHECK_THROWS_WITH(cls("a b\tb\td\tone\tc\n"), Catch::Contains("cls.tsv:1:9") && Catch::Contains("'one'"));
  CHECK_THROWS_WITH(cls("a b\tb\td\t-1\tc\n"), Catch::Contains("cls.tsv:1:9"));
  CHECK_THROWS_WITH(cls("a b\tb\td\t0\tc\n"), Catch::Contains("cls.tsv:1:9") && Catch::Contains("word 0 of the sentence (of 2)"));
  CHECK_THROWS_WITH(cls("a b\tb\td\t2\tc\n"), Catch::Contains("cls.tsv:1:9"));
  CHECK_THROWS_WITH(cls("a b\t\td\t0\tc\n"), Catch::Contains("cls.tsv:1:5") && Catch::Contains("empty"));
  CHECK_THROWS_WITH(cls("\r\n\na\n"), Catch::Contains("cls.tsv:3:1") && Catch::Contains("found 1"));
  CHECK_THROWS_WITH(sp::read_cls("/nonexistent/cls.tsv"), Catch::Contains("no such file"));
}

TEST_CASE("read_tsar: with and without substitutes, and its errors", "[simplify]") {
  const auto x = tsar("It is compulsory.\tcompulsory\tmandatory\tmandatory\trequired\r\n\nA b c.\tb\n");
  REQUIRE(x.size() == 2);
  CHECK(x[0].sentence == "It is compulsory.");
  CHECK(x[0].offset == 6);
  CHECK(x[0].gold == strings{"mandatory", "mandatory", "required"});
  CHECK(x[0].pos.empty());
  CHECK(x[1].gold.empty());
  CHECK(x[0].line == 1);
  CHECK(x[1].line == 3);  // a blank line is skipped
  CHECK(tsar("A b.\tz\n")[0].offset == std::string::npos);
  CHECK_THROWS_WITH(tsar("ok\tok\nno tab here\n"), Catch::Contains("tsar.tsv:2:12") && Catch::Contains("no tab"));
  CHECK_THROWS_WITH(tsar("\tw\n"), Catch::Contains("tsar.tsv:1:1") && Catch::Contains("sentence is empty"));
  CHECK_THROWS_WITH(tsar("s w\t\n"), Catch::Contains("tsar.tsv:1:5") && Catch::Contains("word is empty"));
  CHECK_THROWS_WITH(tsar("s w\tw\ta\t\tb\n"), Catch::Contains("tsar.tsv:1:9") && Catch::Contains("substitute 2"));
  std::ostringstream out;
  sp::write_tsar_line(out, x[0], {"required", "mandatory"});
  CHECK(out.str() == "It is compulsory.\tcompulsory\trequired\tmandatory\n");
}

TEST_CASE("lexical_simplifier: Cilin candidates, selection, the rank sum and the choice", "[simplify]") {
  const auto dict = dictionary(words);
  const auto t = tree(groups);
  const auto x = cls("却 鲜有 自己 参加\t鲜有\td\t1\t很少 少有\n");
  const sp::lexical_simplifier s(sp::cilin_substitutes(t), sp::chinese_lexicon(dict));
  const auto r = s.run(x);
  REQUIRE(r.size() == 1);
  CHECK(r[0].generated == strings{"少有", "罕见", "很少", "未知词", "难得", "少见"});  // '=' first, then '#'
  // 未知词 is not in the dictionary. Ranks (frequency · length difference · order · shared characters):
  //   少有 3+1+1+1 = 6   罕见 5+1+2+2 = 10   很少 1+1+3+2 = 7   难得 2+1+4+2 = 9   少见 4+1+5+2 = 12
  CHECK(r[0].ranked == strings{"少有", "很少", "难得", "罕见", "少见"});
  CHECK(r[0].choice == "少有");

  sp::ranking_options only_frequency;
  only_frequency.length_difference = only_frequency.generator_order = only_frequency.shared_characters = false;
  CHECK(sp::lexical_simplifier(sp::cilin_substitutes(t), sp::chinese_lexicon(dict), only_frequency).run(x)[0].ranked ==
        strings{"很少", "难得", "少有", "少见", "罕见"});

  // The word more frequent than every candidate: only_if_more_frequent keeps it.
  const auto common = dictionary(words + "鲜有 1000 d\n");
  sp::ranking_options keep;
  keep.only_if_more_frequent = true;
  CHECK(sp::lexical_simplifier(sp::cilin_substitutes(t), sp::chinese_lexicon(common), keep).run(x)[0].choice == "鲜有");
  CHECK(sp::lexical_simplifier(sp::cilin_substitutes(t), sp::chinese_lexicon(dict), keep).run(x)[0].choice == "少有");

  // A word Cilin lacks: nothing generated, the word stays.
  const auto unknown = cls("给力\t给力\ta\t0\t强\n");
  const auto u = s.run(unknown);
  CHECK(u[0].generated.empty());
  CHECK(u[0].ranked.empty());
  CHECK(u[0].choice == "给力");
  CHECK(s.run(std::vector<sp::lexical_instance>{}).empty());
}

TEST_CASE("lexical_simplifier: the optional features", "[simplify]") {
  const auto dict = dictionary(words);
  const auto t = tree(groups);
  const auto x = cls("却 鲜有 自己 参加\t鲜有\td\t1\t很少\n");
  sp::ranking_options o;
  o.frequency = o.length_difference = o.generator_order = o.shared_characters = false;
  SECTION("POS agreement with the instance's POS letter (d): 很少, then the others in order") {
    o.pos_agreement = true;
    CHECK(sp::lexical_simplifier(sp::cilin_substitutes(t), sp::chinese_lexicon(dict), o).run(x)[0].ranked ==
          strings{"很少", "少有", "罕见", "难得", "少见"});
  }
  SECTION("Cilin distance: same group 0, level 5 apart 1, level 2 apart 4, missing 6") {
    o.cilin_distance = true;
    const auto far = tree("Ed03B01= 鲜有 少有 罕见\nEd03B02= 很少\nEe01A01= 难得\n");
    const sp::substitute_generator reversed = [](std::span<const sp::lexical_instance> b) {
      return std::vector<strings>(b.size(), strings{"少见", "难得", "很少", "罕见", "少有"});
    };
    CHECK(sp::lexical_simplifier(reversed, sp::chinese_lexicon(dict), o, &far).run(x)[0].ranked ==
          strings{"罕见", "少有", "很少", "难得", "少见"});
  }
  SECTION("the rarest character: 少 (50 + 300 + 40 = 390) beats 有 (5 + 50 = 55)") {
    const auto lex = sp::chinese_lexicon(dict);
    CHECK(lex.character_frequency(U'少') == 390);
    CHECK(lex.character_frequency(U'有') == 55);
    CHECK(lex.character_frequency(U'无') == 0);
    o.rarest_character = true;
    // rarest: 少有 min(390, 55) = 55; 罕见 min(20, 20+40) = 20; 很少 min(300, 390) = 300;
    // 难得 80; 少见 min(390, 60) = 60
    CHECK(sp::lexical_simplifier(sp::cilin_substitutes(t), lex, o).run(x)[0].ranked ==
          strings{"很少", "难得", "少见", "少有", "罕见"});
  }
  SECTION("embedding similarity, and the embedding generator with its cosine floor") {
    const sp::word_vectors v({"鲜有", "少有", "罕见", "很少"}, {1, 0, 0.8f, 0.6f, 0, 1, 0.6f, 0.8f}, 2);
    o.embedding_similarity = true;
    // cosines with 鲜有: 少有 0.8, 罕见 0, 很少 0.6; 难得 and 少见 have no vector (−1)
    CHECK(sp::lexical_simplifier(sp::cilin_substitutes(t), sp::chinese_lexicon(dict), o, nullptr, &v).run(x)[0].ranked ==
          strings{"少有", "很少", "罕见", "难得", "少见"});
    const posttrain::sequential_backend be;
    const sp::embedding_generator<posttrain::sequential_backend, float> near(be, v);
    const auto r = sp::lexical_simplifier(sp::embedding_substitutes(near, 3, 0.5), sp::chinese_lexicon(dict)).run(x);
    CHECK(r[0].generated == strings{"少有", "很少"});  // 罕见 (0) is under the floor
  }
}

TEST_CASE("hybrid_substitutes: the first generator with candidates, or all of them merged", "[simplify]") {
  const sp::substitute_generator a = [](std::span<const sp::lexical_instance> b) {
    return std::vector<strings>(b.size() == 2 ? std::vector<strings>{{}, {"x", "y"}} : std::vector<strings>(b.size()));
  };
  const sp::substitute_generator b = [](std::span<const sp::lexical_instance> b) {
    return std::vector<strings>(b.size(), strings{"y", "z"});
  };
  const auto x = tsar("s w\tw\ns v\tv\n");
  CHECK(sp::hybrid_substitutes({a, b})(x) == std::vector<strings>{{"y", "z"}, {"x", "y"}});
  CHECK(sp::hybrid_substitutes({a, b}, sp::hybrid_mode::merge)(x) == std::vector<strings>{{"y", "z"}, {"x", "y", "z"}});
  CHECK(sp::hybrid_substitutes({b}, sp::hybrid_mode::merge)(x) == b(x));  // one generator: itself
  // The later generators see only the instances that no earlier one served.
  strings asked;
  const sp::substitute_generator recording = [&asked](std::span<const sp::lexical_instance> b) {
    for (const auto& in : b) asked.push_back(in.word);
    return std::vector<strings>(b.size(), strings{"r"});
  };
  CHECK(sp::hybrid_substitutes({a, recording})(x) == std::vector<strings>{{"r"}, {"x", "y"}});
  CHECK(asked == strings{"w"});
  asked.clear();
  CHECK(sp::hybrid_substitutes({b, recording})(x) == std::vector<strings>{{"y", "z"}, {"y", "z"}});
  CHECK(asked.empty());
  CHECK(sp::hybrid_substitutes({a, recording}, sp::hybrid_mode::merge)(x) == std::vector<strings>{{"r"}, {"x", "y", "r"}});
  CHECK(asked == strings{"w", "v"});
  CHECK_THROWS_WITH(sp::hybrid_substitutes({}), Catch::Contains("no generators"));
  CHECK_THROWS_WITH(sp::hybrid_substitutes({a, nullptr}), Catch::Contains("generator 1 is empty"));
}

TEST_CASE("lexical_simplifier: bad arguments", "[simplify]") {
  const auto dict = dictionary(words);
  CHECK_THROWS_WITH(sp::lexical_simplifier(nullptr, sp::chinese_lexicon(dict)), Catch::Contains("generator is empty"));
  const sp::substitute_generator wrong = [](std::span<const sp::lexical_instance>) { return std::vector<strings>(3); };
  const sp::lexical_simplifier s(wrong, sp::chinese_lexicon(dict));
  CHECK_THROWS_WITH(s.run(tsar("s w\tw\n")), Catch::Contains("3 lists for 1 instances"));
  CHECK_THROWS_WITH(sp::lexical_simplifier(wrong, sp::lexicon{}), Catch::Contains("no frequencies"));
}

TEST_CASE("lexical_simplifier: a filter, a context feature, and the feature columns of the result", "[simplify]") {
  const auto dict = dictionary(words);
  const auto t = tree(groups);
  const auto x = cls("却 鲜有 自己 参加\t鲜有\td\t1\t很少\n");
  sp::ranking_options o;
  o.length_difference = o.shared_characters = false;  // frequency and order
  sp::lexical_simplifier s(sp::cilin_substitutes(t), sp::chinese_lexicon(dict), o);
  s.set_filter([](const sp::lexical_instance& in, const std::string& c) { return in.word == "鲜有" && c != "很少"; });
  // A context feature (it checks that it sees the instance's tokens): 1 for 难得, else 0.
  s.add_feature("next-word", [](const sp::lexical_instance& in, const std::vector<std::string>& cs) {
    std::vector<double> v;
    for (const auto& c : cs) v.push_back(c == "难得" ? 1.0 : 0.0);
    CHECK(in.tokens.at(in.position + 1) == "自己");
    return v;
  });
  const auto r = s.run(x)[0];
  CHECK(r.selected == strings{"少有", "罕见", "难得", "少见"});  // 很少 filtered out, 未知词 unknown
  REQUIRE(r.features.size() == 3);
  CHECK(r.features[0].name == "frequency");
  CHECK(r.features[0].values == std::vector<double>{50, 20, 80, 40});
  CHECK(r.features[0].ranks == std::vector<posttrain::index_t>{2, 4, 1, 3});
  CHECK(r.features[1].name == "order");
  CHECK(r.features[1].ranks == std::vector<posttrain::index_t>{1, 2, 3, 4});
  CHECK(r.features[2].name == "next-word");
  CHECK(r.features[2].ranks == std::vector<posttrain::index_t>{2, 2, 1, 2});
  // sums: 少有 2+1+2 = 5, 罕见 4+2+2 = 8, 难得 1+3+1 = 5, 少见 3+4+2 = 9
  CHECK(r.ranked == strings{"少有", "难得", "罕见", "少见"});
  CHECK(r.choice == "少有");

  sp::lexical_simplifier wrong(sp::cilin_substitutes(t), sp::chinese_lexicon(dict));
  wrong.add_feature("short", [](const sp::lexical_instance&, const std::vector<std::string>&) { return std::vector<double>{1}; });
  CHECK_THROWS_WITH(wrong.run(x), Catch::Contains("'short' gave 1 values for 5 candidates"));
  CHECK_THROWS_WITH(wrong.add_feature("none", nullptr), Catch::Contains("'none' is empty"));
}
