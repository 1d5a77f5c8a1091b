// SPDX-License-Identifier: Apache-2.0
// The 13a tokenizer and sentence BLEU on arbitrary bytes (hypothesis, a newline, reference):
// a score in [0, 100], 100 against itself when it has a 4-gram, lowercase or not.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include <posttrain/simplify/bleu.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto cut = text.find('\n');
  const std::string_view hypothesis = text.substr(0, cut), reference = cut == text.npos ? "" : text.substr(cut + 1);
  (void)posttrain::simplify::tokenize_13a(hypothesis);
  for (const bool lowercase : {false, true}) {
    posttrain::simplify::bleu_options o;
    o.lowercase = lowercase;
    const double score = posttrain::simplify::sentence_bleu(hypothesis, reference, o).score;
    POSTTRAIN_FUZZ_CHECK(std::isfinite(score) && score >= 0 && score <= 100 + 1e-9);
    const auto self = posttrain::simplify::sentence_bleu(hypothesis, hypothesis, o);
    if (self.total[3] > 0) POSTTRAIN_FUZZ_CHECK(std::abs(self.score - 100) < 1e-9);
  }
  return 0;
}
