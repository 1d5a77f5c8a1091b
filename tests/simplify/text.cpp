// SPDX-License-Identifier: Apache-2.0
// Words, sentences, lowercase and accents of UTF-8 text.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <posttrain/text/words.hpp>

namespace tx = posttrain::text;
using strings = std::vector<std::string>;

TEST_CASE("text: word tokens keep inner apostrophes, hyphens and numbers, punctuation is not a word", "[text]") {
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

TEST_CASE("text: Unicode's categories decide words and sentence starts, at every code point", "[text]") {
  // Symbols (So) are not words, below U+10000 or above it; letters and numbers of every script are.
  CHECK(tx::words("I \u2764 \U0001F3B5 music \U0001F600!") == strings{"I", "music"});
  CHECK(tx::words("\u0645\u0631\u062D\u0628\u0627 \u0663 \u0915\u093F\u0924\u093E\u092C") ==
        strings{"\u0645\u0631\u062D\u0628\u0627", "\u0663", "\u0915\u093F\u0924\u093E\u092C"});  // Arabic, a digit, Devanagari with its marks
  CHECK(tx::words("\u65E5\u672C\uFF1A\u8A9E") == strings{"\u65E5\u672C", "\u8A9E"});  // a fullwidth colon splits
  CHECK(tx::words("\U00010428\U00010429 x") == strings{"\U00010428\U00010429", "x"});  // Deseret letters
  // An emoji after a full stop does not start a sentence; a letter of a script without case does.
  CHECK(tx::split_sentences("Great. \U0001F600 see you.") == strings{"Great. \U0001F600 see you."});
  CHECK(tx::split_sentences("Done. \u65E5\u672C\u8A9E.") == strings{"Done.", "\u65E5\u672C\u8A9E."});
  CHECK(tx::split_sentences("Done. \u0645\u0631\u062D\u0628\u0627.") == strings{"Done.", "\u0645\u0631\u062D\u0628\u0627."});
}

TEST_CASE("text: lowercase equals Python's str.lower (final sigma, dotted capital I, every script)", "[text]") {
  // The expected strings are Python 3.11's str.lower of the inputs.
  CHECK(tx::lowercase("\u039F\u0394\u039F\u03A3 \u039F\u0394\u039F\u03A3. \u03A3 \u0391\u03A3'\u03A3") ==
        "\u03BF\u03B4\u03BF\u03C2 \u03BF\u03B4\u03BF\u03C2. \u03C3 \u03B1\u03C3'\u03C2");
  CHECK(tx::lowercase("\u0130K\u0130") == "i\u0307ki\u0307");
  CHECK(tx::lowercase("\u038C\u03A3\u039F\u03A3\u0384") == "\u03CC\u03C3\u03BF\u03C2\u0384");
  CHECK(tx::lowercase("\u00C0\u00C9\u00CE \u0100\u011E\u0141\u017D \u0391\u0392\u0393 \u0414\u0416\u042F \u00DF "
                      "\u216B \u24B6 \U00010400 \u01C4 \u01C7 \u13A0 \u210C \u212A \u212B") ==
        "\u00E0\u00E9\u00EE \u0101\u011F\u0142\u017E \u03B1\u03B2\u03B3 \u0434\u0436\u044F \u00DF "
        "\u217B \u24D0 \U00010428 \u01C6 \u01C9 \uAB70 \u210C k \u00E5");
}

TEST_CASE("text: lowercase and accent folding", "[text]") {
  CHECK(tx::lowercase("ÀÉÎÕÜ Ç ĀĞŁŽ ΑΒΓ ДЖЯ ß") == "àéîõü ç āğłž αβγ джя ß");
  CHECK(tx::lowercase("ABC\xff") == "abc\xEF\xBF\xBD");
  CHECK(tx::fold_accents(U'é') == U'e');
  CHECK(tx::fold_accents(U'Ü') == U'u');
  CHECK(tx::fold_accents(U'ł') == U'l');
  CHECK(tx::fold_accents(U'ß') == U'ß');
}
