// Words, sentences, lowercase and accents of UTF-8 text.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <posttrain/text/words.hpp>

namespace tx = posttrain::text;
using strings = std::vector<std::string>;

TEST_CASE("text: word tokens keep inner apostrophes, hyphens and numbers; punctuation is not a word", "[text]") {
  CHECK(tx::words("The cat sat on the mat.") == strings{"The", "cat", "sat", "on", "the", "mat"});
  CHECK(tx::words("Don't stop: well-known 3.14, 1,000 (ok) -- end") ==
        strings{"Don't", "stop", "well-known", "3.14", "1,000", "ok", "end"});
  CHECK(tx::words("Émile mangea l'été à Zürich; ¿Qué tal?") ==
        strings{"Émile", "mangea", "l'été", "à", "Zürich", "Qué", "tal"});
  CHECK(tx::words("").empty());
  CHECK(tx::words("... !!! ?").empty());
  CHECK(tx::words("line one\r\nline two") == strings{"line", "one", "line", "two"});
  CHECK(tx::words("bad \xff byte") == strings{"bad", "byte"});  // U+FFFD is not a letter
}

TEST_CASE("text: Punkt-style sentences: abbreviations, initials, decimals, ellipses, quotes", "[text]") {
  const auto s = tx::split_sentences(
      "Mr. Smith went to Washington. He arrived at 3.30 p.m. and left... Then J. R. Tolkien spoke! "
      "\"Really?\" she asked. Is it 4.5? Yes.");
  CHECK(s == strings{"Mr. Smith went to Washington.", "He arrived at 3.30 p.m. and left...",
                     "Then J. R. Tolkien spoke!", "\"Really?\" she asked.", "Is it 4.5?", "Yes."});
  CHECK(tx::split_sentences("He said \"Stop.\" Then he left.") == strings{"He said \"Stop.\"", "Then he left."});
  CHECK(tx::split_sentences("no final stop") == strings{"no final stop"});
  CHECK(tx::split_sentences("   ").empty());
  CHECK(tx::split_sentences("One.\r\nTwo.") == strings{"One.", "Two."});
}

TEST_CASE("text: runs of terminals are scanned once (a million dots, as code points and as ASCII bytes)", "[text]") {
  // Each position of a run used to rescan the run: 200 000 dots took 50 s, a million would take
  // 20 minutes. Both decoders of the sentence rules are checked: code points and ASCII bytes.
  const std::string dots(1'000'000, '.');
  const std::string bangs = std::string(500'000, '!') + std::string(500'000, '?');
  CHECK(tx::split_sentences("Wait" + dots + "x Then.") == strings{"Wait" + dots + "x Then."});
  CHECK(tx::split_sentences("Wait" + dots + " then more.") == strings{"Wait" + dots + " then more."});
  CHECK(tx::split_sentences("Wait" + dots + " Then.") == strings{"Wait" + dots, "Then."});
  CHECK(tx::split_sentences("Wait" + bangs + "\" Then \u00e9.") == strings{"Wait" + bangs + "\"", "Then \u00e9."});
  CHECK(tx::split_sentences(dots) == strings{dots});
  const auto sentences_of = [](const std::string& s) {
    std::size_t n = 0;
    tx::detail::for_each_sentence(std::string_view(s), tx::default_abbreviations(), [&](std::size_t, std::size_t) { ++n; });
    return n;
  };
  CHECK(sentences_of("Wait" + dots + "x Then.") == 1);
  CHECK(sentences_of("Wait" + dots + " Then.") == 2);
  CHECK(sentences_of("Wait" + bangs + " and" + dots + " Go! Now.") == 3);
}

TEST_CASE("text: lowercase and accent folding", "[text]") {
  CHECK(tx::lowercase("ÀÉÎÕÜ Ç ĀĞŁŽ ΑΒΓ ДЖЯ ß") == "àéîõü ç āğłž αβγ джя ß");
  CHECK(tx::lowercase("ABC\xff") == "abc\xEF\xBF\xBD");
  CHECK(tx::fold_accents(U'é') == U'e');
  CHECK(tx::fold_accents(U'Ü') == U'u');
  CHECK(tx::fold_accents(U'ł') == U'l');
  CHECK(tx::fold_accents(U'ß') == U'ß');
}
