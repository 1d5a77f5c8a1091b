// SPDX-License-Identifier: Apache-2.0
// Words, sentences, lowercase and readability counts of arbitrary bytes: words are non-empty
// substrings, sentences trimmed substrings, lowercase valid UTF-8, counts consistent.
#include <cstdint>
#include <string>
#include <string_view>

#include <posttrain/simplify/readability.hpp>
#include <posttrain/text/words.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto words = posttrain::text::words(text);
  for (const auto& w : words) POSTTRAIN_FUZZ_CHECK(!w.empty() && text.find(w) != std::string_view::npos);
  for (const auto& s : posttrain::text::split_sentences(text)) {
    POSTTRAIN_FUZZ_CHECK(!s.empty() && text.find(s) != std::string_view::npos);
    POSTTRAIN_FUZZ_CHECK(s.front() != ' ' && s.back() != ' ');
  }
  POSTTRAIN_FUZZ_CHECK(valid_utf8(posttrain::text::lowercase(text)));
  const auto counts = posttrain::simplify::count_text(text);
  POSTTRAIN_FUZZ_CHECK(counts.words == posttrain::index_t(words.size()));
  POSTTRAIN_FUZZ_CHECK(counts.words == 0 || counts.sentences >= 1);
  POSTTRAIN_FUZZ_CHECK(counts.invalid_bytes <= size);
  return 0;
}
