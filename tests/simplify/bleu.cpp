// SPDX-License-Identifier: Apache-2.0
// BLEU against sacrebleu 2.6's numbers on the same inputs (13a tokenisation, smoothing methods,
// effective order, lowercase, corpus BLEU), and the 13a tokenizer itself.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <posttrain/simplify/bleu.hpp>

namespace sp = posttrain::simplify;

TEST_CASE("simplify: the 13a tokenizer", "[simplify]") {
  CHECK(sp::tokenize_13a("Hello, world! It's 3.14 or 1,000-2 (test) &amp; \"quotes\".") ==
        "Hello , world ! It's 3.14 or 1,000 - 2 ( test ) & \" quotes \" .");
  CHECK(sp::tokenize_13a("a.b,c d. e, 5.5 x-y 7-8 $10 @home") == "a . b , c d . e , 5.5 x-y 7 - 8 $ 10 @ home");
  CHECK(sp::tokenize_13a("Émile's café... ok?") == "Émile's café . . . ok ?");
  CHECK(sp::tokenize_13a("") == "");
}

namespace {
struct sacrebleu_case {
  const char* hypothesis;
  const char* reference;
  double exp, exp_lc, floor, add_k, none, none_lc;
};
// sacrebleu.metrics.BLEU(smooth_method=..., effective_order=True, lowercase=...).sentence_score
const sacrebleu_case cases[] = {
    {"The cat sat on the mat.", "The cat sat on the mat.", 100.00000000000004, 100.00000000000004,
     100.00000000000004, 100.00000000000004, 100.00000000000004, 100.00000000000004},
    {"The cat is on the mat.", "There is a cat on the mat.", 39.44243648327556, 39.44243648327556, 39.44243648327556,
     48.49748534690111, 39.44243648327556, 39.44243648327556},
    {"completely different words here", "nothing in common at all", 0, 0, 0, 0, 0, 0},
    {"the the the the", "the cat", 15.97357760615681, 15.97357760615681, 8.034284189446518, 31.947155212313625, 0, 0},
    {"A B", "a b c d e", 0, 22.31301601484299, 0, 0, 0, 22.31301601484299},
    {"Hello, world!", "hello world", 15.97357760615681, 18.99589214128981, 8.034284189446518, 31.947155212313625, 0,
     0},
    {"I like green apples and red pears.", "I like red apples and green pears very much.", 14.466269715322012,
     14.466269715322012, 7.693590287109661, 23.939874747073365, 0, 0},
};
}  // namespace

TEST_CASE("simplify: sentence BLEU equals sacrebleu's to 1e-9", "[simplify]") {
  for (const auto& c : cases) {
    INFO(c.hypothesis << " | " << c.reference);
    CHECK(sp::sentence_bleu(c.hypothesis, c.reference).score == Approx(c.exp).margin(1e-9));
    CHECK(sp::sentence_bleu(c.hypothesis, c.reference, {.lowercase = true}).score == Approx(c.exp_lc).margin(1e-9));
    CHECK(sp::sentence_bleu(c.hypothesis, c.reference, {.smoothing = sp::bleu_smoothing::floor}).score ==
          Approx(c.floor).margin(1e-9));
    CHECK(sp::sentence_bleu(c.hypothesis, c.reference, {.smoothing = sp::bleu_smoothing::add_k}).score ==
          Approx(c.add_k).margin(1e-9));
    CHECK(sp::sentence_bleu(c.hypothesis, c.reference, {.smoothing = sp::bleu_smoothing::none}).score ==
          Approx(c.none).margin(1e-9));
    CHECK(sp::sentence_bleu(c.hypothesis, c.reference, {.smoothing = sp::bleu_smoothing::none, .lowercase = true})
              .score == Approx(c.none_lc).margin(1e-9));
  }
}

TEST_CASE("simplify: corpus BLEU equals sacrebleu's corpus_score", "[simplify]") {
  std::vector<std::string> hyps, refs;
  for (const auto& c : cases) hyps.push_back(c.hypothesis), refs.push_back(c.reference);
  CHECK(sp::corpus_bleu(hyps, refs).score == Approx(36.24892603346683).margin(1e-9));
  CHECK(sp::corpus_bleu(hyps, refs, {.effective_order = false, .lowercase = true}).score ==
        Approx(38.19914674975851).margin(1e-9));
  CHECK_THROWS_AS(sp::corpus_bleu(hyps, std::vector<std::string>{"x"}), posttrain::shape_error);
  // Identical → 100, empty hypothesis → 0.
  CHECK(sp::sentence_bleu("", "a b c").score == 0);
  const auto r = sp::sentence_bleu("one two three four five", "one two three four five");
  CHECK(r.score == Approx(100));
  CHECK(r.brevity_penalty == 1);
}

TEST_CASE("simplify: BLEU with several references, the one-reference path equals the general one", "[simplify]") {
  // sacrebleu.sentence_bleu(h, [r1, r2]) = 45.613878879582224, counts 13 8 5 2 of 14 13 12 11.
  const std::string h = "The quick brown fox jumped over the lazy dog near the river bank.";
  const std::vector<std::string> two = {"A quick brown fox jumps over the lazy dog by the river.",
                                        "The fast brown fox leaped over a lazy dog near the bank of the river."};
  sp::bleu_statistics s;
  s.add(h, two);
  const auto r = s.score();
  CHECK(r.score == Approx(45.613878879582224).margin(1e-9));
  CHECK(r.correct == std::array<double, 4>{13, 8, 5, 2});
  CHECK(r.total == std::array<double, 4>{14, 13, 12, 11});
  CHECK(r.reference_length == 13);
  // A reference given twice changes nothing: the general path (three sides) against the
  // one-reference path, on sentences with repeated words.
  const std::vector<std::string> words = {"the", "a", "cat", "dog", "sat", "on", "mat", ",", "."};
  unsigned state = 7;
  const auto next = [&] { return (state = state * 1103515245u + 12345u) >> 16; };
  for (int trial = 0; trial < 200; ++trial) {
    std::string hyp, ref;
    for (unsigned k = 0, n = 1 + next() % 12; k < n; ++k) hyp += words[next() % words.size()] + " ";
    for (unsigned k = 0, n = next() % 12; k < n; ++k) ref += words[next() % words.size()] + " ";
    for (const auto smoothing : {sp::bleu_smoothing::exp, sp::bleu_smoothing::none}) {
      sp::bleu_statistics one({.smoothing = smoothing}), twice({.smoothing = smoothing});
      const std::vector<std::string> r1 = {ref}, r2 = {ref, ref};
      one.add(hyp, r1);
      twice.add(hyp, r2);
      INFO(hyp << " | " << ref);
      CHECK(one.score().correct == twice.score().correct);
      CHECK(one.score().total == twice.score().total);
      CHECK(one.score().score == twice.score().score);
    }
  }
}

TEST_CASE("simplify: long lines stay linear: hash slots reach the whole table, entities replaced in one pass",
          "[simplify]") {
  // Every slot of a 2^26 table is reachable: the start slot used a fixed 24 bits, so tables past
  // 2^24 slots (references of over 2 million tokens) filled only their first quarter.
  std::size_t highest = 0;
  for (std::uint64_t key = 1; key < 100'000; ++key) {
    const std::size_t slot = sp::detail::fibonacci_slot(key, 26);
    REQUIRE(slot < (std::size_t(1) << 26));
    highest = std::max(highest, slot);
  }
  CHECK(highest >= (std::size_t(1) << 25));
  CHECK(sp::detail::fibonacci_slot(~std::uint64_t(0), 4) < 16);

  // 200 000 entities: replacing them in place moved the rest of the line each time.
  std::string entities;
  for (int i = 0; i < 200'000; ++i) entities += "a&amp;";
  std::string expected;
  for (int i = 0; i < 200'000; ++i) expected += i ? " a &" : "a &";
  CHECK(sp::tokenize_13a(entities) == expected);
  std::string s = "x&lt;&lt;y&lt;";
  sp::detail::replace_all(s, "&lt;", "<");
  CHECK(s == "x<<y<");
  s = "&&amp;amp;";
  sp::detail::replace_all(s, "&amp;", "&");
  CHECK(s == "&&amp;");  // left to right, the replacement not rescanned
}

TEST_CASE("simplify: lowercase BLEU lowercases as sacrebleu (Python's str.lower)", "[simplify]") {
  sp::bleu_options lower;
  lower.lowercase = true;
  // sacrebleu gives 100 for both: the final sigma and the dotted capital I lowercase as Python's.
  CHECK(sp::sentence_bleu("\u039F\u0394\u039F\u03A3 \u039A\u0391\u039B\u0397 \u0395\u0399\u039D\u0391\u0399 \u0391\u03A5\u03A4\u0397",
                          "\u03BF\u03B4\u03BF\u03C2 \u03BA\u03B1\u03BB\u03B7 \u03B5\u03B9\u03BD\u03B1\u03B9 \u03B1\u03C5\u03C4\u03B7", lower)
            .score == Approx(100.0));
  CHECK(sp::sentence_bleu("\u0130K\u0130 G\u00DCZEL \u0130NSAN VAR", "i\u0307ki\u0307 g\u00FCzel i\u0307nsan var", lower).score ==
        Approx(100.0));
}
