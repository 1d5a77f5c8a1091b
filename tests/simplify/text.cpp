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

TEST_CASE("text: lowercase and accent folding", "[text]") {
  CHECK(tx::lowercase("ÀÉÎÕÜ Ç ĀĞŁŽ ΑΒΓ ДЖЯ ß") == "àéîõü ç āğłž αβγ джя ß");
  CHECK(tx::lowercase("ABC\xff") == "abc\xEF\xBF\xBD");
  CHECK(tx::fold_accents(U'é') == U'e');
  CHECK(tx::fold_accents(U'Ü') == U'u');
  CHECK(tx::fold_accents(U'ł') == U'l');
  CHECK(tx::fold_accents(U'ß') == U'ß');
}
