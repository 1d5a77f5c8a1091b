// SPDX-License-Identifier: Apache-2.0
// The syllable model learned from a pronouncing dictionary: synthetic words with known rules,
// held-out words, and pocketsphinx's CMU dictionary when it is installed.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <posttrain/simplify/syllable_model.hpp>

namespace sp = posttrain::simplify;

namespace {

// Words of a small grammar whose counts the vowel-group heuristic gets wrong: "ia" and "io" are
// two syllables, a final "ism" adds two (i and the syllabic m), a final e after a consonant is
// silent, and "mc" at the start is a syllable of its own.
std::vector<sp::counted_word> grammar_words(unsigned seed, int n) {
  const std::vector<std::string> onsets{"b", "d", "k", "m", "p", "t", "s", "l", "tr", "st"};
  const std::vector<std::pair<std::string, int>> nuclei{{"a", 1}, {"o", 1}, {"i", 1}, {"u", 1}, {"ia", 2}, {"io", 2}, {"ee", 1}};
  std::mt19937 rng(seed);
  std::vector<sp::counted_word> out;
  for (int w = 0; w < n; ++w) {
    std::string word;
    int syllables = 0;
    if (rng() % 5 == 0) word += "mc", ++syllables;
    const int units = 1 + int(rng() % 3);
    for (int u = 0; u < units; ++u) {
      word += onsets[rng() % onsets.size()];
      const auto& [nucleus, count] = nuclei[rng() % nuclei.size()];
      word += nucleus, syllables += count;
    }
    switch (rng() % 4) {
      case 0: word += "ism", syllables += 2; break;
      case 1: word += onsets[rng() % 8] + "e"; break;  // a silent final e
      case 2: word += onsets[rng() % 8]; break;
      default: break;
    }
    out.emplace_back(word, syllables);
  }
  return out;
}

}  // namespace

TEST_CASE("simplify: the syllable model learns a grammar's rules and generalises", "[simplify]") {
  const auto train = grammar_words(1, 4000);
  const auto held_out = grammar_words(2, 1000);
  const auto model = sp::syllable_model::train(train);
  CHECK(!model.empty());
  const auto on_train = sp::agreement_on(train, [&](std::string_view w) { return model(w); });
  const auto on_held_out = sp::agreement_on(held_out, [&](std::string_view w) { return model(w); });
  const auto heuristic = sp::agreement_on(held_out, [](std::string_view w) { return sp::heuristic_syllables(w); });
  INFO("train exact " << on_train.exact << "; held out exact " << on_held_out.exact << " MAE "
                       << on_held_out.mean_absolute_error << "; heuristic MAE " << heuristic.mean_absolute_error);
  CHECK(on_train.exact > 0.98);
  CHECK(on_held_out.exact > 0.9);
  CHECK(heuristic.mean_absolute_error > 0.3);  // the grammar defeats the heuristic
  CHECK(on_held_out.mean_absolute_error < heuristic.mean_absolute_error / 4);
  CHECK(model("mcstiaism") == 5);
  CHECK(model("bokate") == 2);
  CHECK(model("Trio") == 2);  // case is folded
}

TEST_CASE("simplify: the syllable model's input handling and errors", "[simplify]") {
  CHECK(sp::syllable_model::normalise("Café’s") == "cafe's");
  CHECK(sp::syllable_model::normalise("x-ray 3") == "xray");
  CHECK(sp::syllable_model::normalise("''").empty());
  CHECK(sp::syllable_model::normalise("\xff\xfe").empty());
  const auto model = sp::syllable_model::train({{"cat", 1}, {"table", 2}, {"the", 1}});
  CHECK(model("table") == 2);
  CHECK(model("123") == 1);  // no letter: the heuristic, at least one
  CHECK(model("") == 1);
  CHECK_THROWS_AS(sp::syllable_model::train(std::vector<sp::counted_word>{}), posttrain::value_error);
  CHECK_THROWS_AS(sp::syllable_model::train({{"123", 1}}), posttrain::value_error);
  CHECK_THROWS_AS(sp::syllable_model::train({{"cat", 1}}, {.smoothing = 0}), posttrain::value_error);
  CHECK_THROWS_AS(sp::syllable_model::train({{"cat", 1}}, {.iterations = -1}), posttrain::value_error);
  // A count no labelling of the letters can reach keeps the initial labels; no crash.
  CHECK(sp::syllable_model::train({{"a", 9}})("a") >= 1);
}

TEST_CASE("simplify: the syllable counter's order: dictionary, model, heuristic", "[simplify]") {
  const auto model = sp::syllable_model::train(grammar_words(3, 2000));
  sp::pronouncing_dictionary empty;
  const sp::syllable_counter with_model{&empty, sp::language::english, &model};
  const sp::syllable_counter heuristic_only{};
  CHECK(with_model("tria") == 2);
  CHECK(heuristic_only("tria") == 1);
}

TEST_CASE("simplify: the syllable model on held-out words of the CMU dictionary", "[simplify]") {
  const std::string path = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
  // pocketsphinx-en-us is one of the packages scripts/test installs: its absence is a failure.
  REQUIRE(std::filesystem::exists(path));
  const auto split = sp::split_for_evaluation(sp::pronouncing_dictionary::load(path));
  REQUIRE(split.held_out.size() > 10000);
  const auto model = sp::syllable_model::train(split.train);
  const auto learned = sp::agreement_on(split.held_out, [&](std::string_view w) { return model(w); });
  const auto heuristic = sp::agreement_on(split.held_out, [](std::string_view w) { return sp::heuristic_syllables(w); });
  INFO("model exact " << learned.exact << " MAE " << learned.mean_absolute_error << "; heuristic exact "
                      << heuristic.exact << " MAE " << heuristic.mean_absolute_error);
  CHECK(learned.mean_absolute_error < 0.08);
  CHECK(learned.mean_absolute_error < heuristic.mean_absolute_error / 2);
}
