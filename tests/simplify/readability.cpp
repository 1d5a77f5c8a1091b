// SPDX-License-Identifier: Apache-2.0
// Readability counts and scores, the syllable heuristics and the pronouncing dictionary.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <posttrain/simplify/readability.hpp>

namespace sp = posttrain::simplify;

TEST_CASE("simplify: FRE and FKGL known answers", "[simplify]") {
  const auto c = sp::count_text("The cat sat on the mat.");
  CHECK(c.words == 6);
  CHECK(c.sentences == 1);
  CHECK(c.syllables == 6);
  CHECK(sp::flesch_reading_ease(c) == Approx(116.145).epsilon(1e-12));
  CHECK(sp::flesch_kincaid_grade(c) == Approx(-1.45).epsilon(1e-12));
  const auto d = sp::count_text("Cool dogs wear da sunglasses.");
  CHECK(d.syllables == 7);
  CHECK(sp::flesch_kincaid_grade(d) == Approx(2.88).epsilon(1e-12));
  // The other languages' formulas on the same counts.
  const sp::text_counts k{10, 2, 15, 0};
  CHECK(sp::flesch_reading_ease(k, sp::language::french) == Approx(207 - 1.015 * 5 - 73.6 * 1.5));
  CHECK(sp::flesch_reading_ease(k, sp::language::spanish) == Approx(206.835 - 1.02 * 5 - 60 * 1.5));
  CHECK(sp::flesch_reading_ease(k, sp::language::german) == Approx(180 - 5 - 58.5 * 1.5));
}

TEST_CASE("simplify: empty text, punctuation only, CRLF, invalid UTF-8", "[simplify]") {
  const auto e = sp::count_text("");
  CHECK(e.words == 0);
  CHECK(e.sentences == 0);
  CHECK(sp::flesch_reading_ease(e) == Approx(206.835));
  CHECK(std::isfinite(sp::flesch_kincaid_grade(e)));
  const auto p = sp::count_text("?!... ---");
  CHECK(p.words == 0);
  CHECK(std::isfinite(sp::flesch_reading_ease(p)));
  const auto crlf = sp::count_text("The cat sat.\r\nThe dog ran.\r\n");
  CHECK(crlf.words == 6);
  CHECK(crlf.sentences == 2);
  const auto bad = sp::count_text("The cat \xff\xfe sat.");
  CHECK(bad.invalid_bytes == 2);
  CHECK(bad.words == 3);
}

TEST_CASE("simplify: the syllable heuristics", "[simplify]") {
  CHECK(sp::heuristic_syllables("sunglasses") == 3);
  CHECK(sp::heuristic_syllables("table") == 2);  // final le
  CHECK(sp::heuristic_syllables("the") == 1);    // at least one
  CHECK(sp::heuristic_syllables("yesterday") == 3);
  CHECK(sp::heuristic_syllables("Café") == 1);  // é folds to e, and a final e is taken as silent
  CHECK(sp::heuristic_syllables("rhythm") == 1);
  // French: diphthongs merged, mute final e.
  CHECK(sp::heuristic_syllables("maison", sp::language::french) == 2);
  CHECK(sp::heuristic_syllables("oiseau", sp::language::french) == 2);
  CHECK(sp::heuristic_syllables("table", sp::language::french) == 1);
  CHECK(sp::heuristic_syllables("été", sp::language::french) == 2);
  // Spanish: strong vowels split (hiatus), accented weak vowels are strong.
  CHECK(sp::heuristic_syllables("leer", sp::language::spanish) == 2);
  CHECK(sp::heuristic_syllables("día", sp::language::spanish) == 2);
  CHECK(sp::heuristic_syllables("ciudad", sp::language::spanish) == 2);
  CHECK(sp::heuristic_syllables("poeta", sp::language::spanish) == 3);
  // German: ä ö ü are vowels, ei/au merge.
  CHECK(sp::heuristic_syllables("Mädchen", sp::language::german) == 2);
  CHECK(sp::heuristic_syllables("Haus", sp::language::german) == 1);
}

TEST_CASE("simplify: a CMU pronouncing dictionary, with the heuristic as fallback", "[simplify]") {
  const std::string path = "simplify_test_dict.txt";
  {
    std::ofstream f(path);
    f << ";;; a comment\nwhole HH OW1 L\nfire F AY1 ER0\nfire(2) F AY1 R\nTABLE T EY B AH L\n";
  }
  const auto d = sp::pronouncing_dictionary::load(path);
  CHECK(d.size() == 3);
  CHECK(d.syllables("Whole") == 1);
  CHECK(d.syllables("fire") == 2);  // the first pronunciation
  CHECK(!d.syllables("sunglasses"));
  const sp::syllable_counter counter{&d};
  CHECK(counter("whole") == 1);        // the heuristic says 2
  CHECK(counter("sunglasses") == 3);   // not in the dictionary: the heuristic
  const auto a = sp::agreement_with(d);
  CHECK(a.words == 3);
  // The heuristic: whole 2 (final le), fire 1 (final e), table 2; the dictionary 1, 2, 2.
  CHECK(a.exact == Approx(1.0 / 3));
  CHECK(a.mean_absolute_error == Approx(2.0 / 3));
  std::remove(path.c_str());
  CHECK_THROWS_AS(sp::pronouncing_dictionary::load("/nonexistent/dict"), posttrain::runtime_error);
}

#include <posttrain/simplify/pairs.hpp>

TEST_CASE("simplify: the Trans-SS pair rule, each reason in order", "[simplify]") {
  const std::string complex = "The committee postponed the deliberation regarding the municipal expenditure.";
  const std::string simple = "The committee delayed the talk about the city spending.";
  auto d = sp::judge_pair(complex, simple, {.min_bleu = 5});
  CHECK(d.verdict == sp::pair_verdict::kept);
  CHECK(d.bleu == Approx(sp::sentence_bleu(simple, complex, {.lowercase = true}).score));
  CHECK(d.reference_score == Approx(sp::flesch_reading_ease(sp::count_text(complex))));
  CHECK(!d.reference_is_simple);  // the translation reads easier
  CHECK(sp::judge_pair(complex, simple).verdict == sp::pair_verdict::low_bleu);  // BLEU 10.6 ≤ 15
  CHECK(sp::judge_pair(simple, complex, {.min_bleu = 5, .score = sp::readability_score::flesch_kincaid_grade})
            .reference_is_simple);
  CHECK(sp::judge_pair("The Cat sat on the mat.", "the cat sat on the mat.").verdict == sp::pair_verdict::identical);
  CHECK(sp::judge_pair("Three words only.", "A longer sentence than that one.").verdict ==
        sp::pair_verdict::too_short);
  CHECK(sp::judge_pair("A dog barked at the moon tonight.", "A dog barked at the <unk> tonight.").verdict ==
        sp::pair_verdict::unknown_token);
  CHECK(sp::judge_pair("A dog barked at the moon tonight.", "A dog barked at the sun tonight.").verdict ==
        sp::pair_verdict::small_difference);
  CHECK(std::string(sp::name(sp::pair_verdict::low_bleu)) == "low_bleu");
}

#include <posttrain/simplify/thesaurus.hpp>

TEST_CASE("simplify: a MyThes thesaurus: synonyms without generic terms, antonyms or the word", "[simplify]") {
  const std::string path = "simplify_test_thesaurus.dat";
  {
    std::ofstream f(path);
    f << "UTF-8\nbig|2\n(adj)|large|Big|huge|great (similar term)\n(adj)|large|bad|small (antonym)\n"
         "purchase|1\n(verb)|buy|acquire (generic term)\n";
  }
  const auto t = sp::thesaurus::load(path);
  CHECK(t.size() == 2);
  CHECK(t.synonyms("Big") == std::vector<std::string>{"large", "huge", "bad"});
  CHECK(t.synonyms("purchase") == std::vector<std::string>{"buy"});
  CHECK(t.synonyms("missing").empty());
  {
    std::ofstream f(path);
    f << "UTF-8\nbig|2\n(adj)|large\n";
  }
  CHECK_THROWS_WITH(sp::thesaurus::load(path), Catch::Contains(path + ":4"));
  std::remove(path.c_str());
}

TEST_CASE("simplify: a MyThes thesaurus in ISO 8859-1 or -15 is read into UTF-8", "[simplify]") {
  // "alá|1 / -|Dios|Jehová|Altísimo" in Latin-1 bytes (á = E1, í = ED); ¤ in -1 is € in -15.
  std::istringstream latin1("ISO8859-1\r\nal\xE1|1\r\n-|Dios|Jehov\xE1|Alt\xEDsimo|\xA4\r\n");
  const auto t = sp::thesaurus::read(latin1, "es.dat");
  CHECK(t.encoding() == "ISO8859-1");
  CHECK(t.synonyms("alá") == std::vector<std::string>{"Dios", "Jehová", "Altísimo", "¤"});
  CHECK(t.synonyms("ALÁ").size() == 4);
  std::istringstream latin9("ISO8859-15\nx|1\n-|\xA4|\xBD\xE9\n");
  CHECK(sp::thesaurus::read(latin9, "x.dat").synonyms("x") == std::vector<std::string>{"€", "œé"});
  std::istringstream utf8("UTF-8\nal\xC3\xA1|1\n-|Dios\n");
  CHECK(sp::thesaurus::read(utf8, "u.dat").synonyms("alá") == std::vector<std::string>{"Dios"});
}

#include <posttrain/simplify/lexical.hpp>

TEST_CASE("simplify: candidate selection, rank-sum ranking and the evaluation metrics", "[simplify]") {
  sp::frequency_list f;
  CHECK(f.relative("big") == 0);  // an empty list
  f.add("big", 900), f.add("large", 500), f.add("huge", 80), f.add("Vast", 10);
  CHECK(f.total() == 1490);
  CHECK(f.relative("vast") == Approx(10.0 / 1490));
  CHECK(f.relative("absent") == 0);
  const std::vector<std::string> candidates = {"Large", "enormous", "big", "large", "huge", "vast", "Big"};
  CHECK(sp::select_candidates("Big", candidates, f) == std::vector<std::string>{"Large", "huge", "vast"});
  CHECK(sp::select_candidates("gigantic", std::vector<std::string>{"colossal"}, f) ==
        std::vector<std::string>{"gigantic"});
  // Ranks: equal values share the lowest rank.
  const std::vector<double> v = {0.5, 0.9, 0.5, 0.1};
  CHECK(sp::competition_ranks(v) == std::vector<posttrain::index_t>{2, 1, 2, 4});
  CHECK(sp::competition_ranks(v, false) == std::vector<posttrain::index_t>{2, 4, 2, 1});
  // Frequency (higher better) ranks 1 2 3; LM loss (lower better) ranks 3 1 2: sums 4 3 5.
  const std::vector<sp::ranking_feature> features = {{{500, 80, 10}, true}, {{3.0, 1.0, 2.0}, false}};
  CHECK(sp::rank_by_rank_sum(features, 3) == std::vector<posttrain::index_t>{1, 0, 2});
  CHECK_THROWS_AS(sp::rank_by_rank_sum(features, 4), posttrain::shape_error);
  // Metrics on hand-built instances.
  const std::vector<std::vector<std::string>> generated = {{"large", "huge"}, {"quick"}, {"a", "b", "c"}};
  const std::vector<std::vector<std::string>> gold = {{"Large", "vast"}, {"fast", "rapid"}, {"c"}};
  const auto g = sp::evaluate_generation(generated, gold);
  CHECK(g.potential == Approx(2.0 / 3));
  CHECK(g.precision == Approx(2.0 / 6));
  CHECK(g.recall == Approx(2.0 / 5));
  CHECK(g.f1 == Approx(2 * (1.0 / 3) * 0.4 / (1.0 / 3 + 0.4)));
  const std::vector<std::string> words = {"big", "speedy", "d"}, chosen = {"vast", "speedy", "e"};
  const auto p = sp::evaluate_pipeline(words, chosen, gold);
  CHECK(p.precision == Approx(2.0 / 3));  // vast ∈ gold; speedy unchanged; e wrong
  CHECK(p.accuracy == Approx(1.0 / 3));
  CHECK(p.changed == Approx(2.0 / 3));
  CHECK_THROWS_AS(sp::evaluate_pipeline(words, std::vector<std::string>{"x"}, gold), posttrain::shape_error);
  const std::string path = "simplify_test_freq.tsv";
  {
    std::ofstream out(path);
    out << "the\t100\nCat\t7\r\n";
  }
  const auto loaded = sp::frequency_list::load(path);
  CHECK(loaded.count("cat") == 7);
  CHECK(loaded.size() == 2);
  {
    std::ofstream out(path);
    out << "the\t100\nbroken line\n";
  }
  CHECK_THROWS_WITH(sp::frequency_list::load(path), Catch::Contains(path + ":2"));
  std::remove(path.c_str());
}

TEST_CASE("simplify: count_text's ASCII paths equal the general rules", "[simplify]") {
  // The fused ASCII pass (words and English syllables at once), the ASCII path with a
  // dictionary (empty: every word falls back to the heuristic) and the other languages' ASCII
  // path, against words(), split_sentences() and heuristic_syllables() on decoded text.
  const std::string alphabet = "aeiouyAEIOUYbcdlmnstLE '-.,!?0123456789\t\"()";
  unsigned state = 11;
  const auto next = [&] { return (state = state * 1103515245u + 12345u) >> 16; };
  const sp::pronouncing_dictionary empty;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text;
    for (unsigned k = 0, n = next() % 60; k < n; ++k) text += alphabet[next() % alphabet.size()];
    INFO("'" << text << "'");
    for (const auto lang : {sp::language::english, sp::language::french, sp::language::spanish, sp::language::german}) {
      posttrain::index_t syllables = 0;
      const auto words = posttrain::text::words(text);
      for (const auto& w : words) syllables += sp::heuristic_syllables(w, lang);
      const auto sentences = posttrain::index_t(posttrain::text::split_sentences(text).size());
      for (const sp::syllable_counter counter : {sp::syllable_counter{nullptr, lang}, sp::syllable_counter{&empty, lang}}) {
        const auto c = sp::count_text(text, counter);
        CHECK(c.words == posttrain::index_t(words.size()));
        CHECK(c.syllables == syllables);
        CHECK(c.sentences == sentences);
      }
    }
  }
}
