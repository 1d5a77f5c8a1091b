// SPDX-License-Identifier: Apache-2.0
#pragma once
// The text of the Debian package fortunes (/usr/share/games/fortunes/, one file per topic,
// entries separated by a line "%"), as sentences.

#include <fstream>
#include <string>
#include <vector>

#include <posttrain/text/words.hpp>

namespace examples {

inline const char* const fortunes_dir = "/usr/share/games/fortunes/";

/// The sentences of the entries of one fortunes file (an entry's lines joined by spaces); none
/// when the file cannot be read.
inline std::vector<std::string> fortune_sentences(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line, entry;
  const auto flush = [&] {
    for (auto& s : posttrain::text::split_sentences(entry)) out.push_back(std::move(s));
    entry.clear();
  };
  while (std::getline(in, line)) {
    if (line == "%") flush();
    else entry += (entry.empty() ? "" : " ") + line;
  }
  flush();
  return out;
}

}  // namespace examples
