// SPDX-License-Identifier: Apache-2.0
// The word-list readers on arbitrary text, the first byte choosing one: a MyThes thesaurus, word
// vectors (word2vec/GloVe text), a CMU pronouncing dictionary, a frequency list. A value or a
// parse_error naming a line (or the library's error for a repeated word); vectors finite,
// frequencies finite and ≥ 0.
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>

#include <posttrain/simplify/lexical.hpp>
#include <posttrain/simplify/neighbours.hpp>
#include <posttrain/simplify/syllables.hpp>
#include <posttrain/simplify/thesaurus.hpp>

#include "fuzz_check.hpp"

namespace sp = posttrain::simplify;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    switch (data[0] % 4) {
      case 0: {
        const auto t = sp::thesaurus::read(in, "fuzz.dat");
        (void)t.synonyms("a");
        break;
      }
      case 1: {
        const auto v = sp::word_vectors::read_text(in, "fuzz.vec");
        const auto m = v.matrix();
        for (posttrain::index_t i = 0; i < m.extent(0); ++i)
          for (posttrain::index_t j = 0; j < m.extent(1); ++j) POSTTRAIN_FUZZ_CHECK(std::isfinite(m(i, j)));
        break;
      }
      case 2: {
        const auto d = sp::pronouncing_dictionary::read(in, "fuzz.dict");
        for (const auto& [word, syllables] : d.entries()) POSTTRAIN_FUZZ_CHECK(syllables >= 0);
        break;
      }
      default: {
        const auto f = sp::frequency_list::read(in, "fuzz.tsv");
        const double r = f.relative("a");
        POSTTRAIN_FUZZ_CHECK(std::isfinite(r) && r >= 0);
      }
    }
  } catch (const posttrain::parse_error& e) {
    POSTTRAIN_FUZZ_CHECK(e.line() >= 0);  // 0: about the whole file ("no vectors")
  } catch (const posttrain::error&) {  // a repeated word in the vectors, named by the constructor
  }
  return 0;
}
