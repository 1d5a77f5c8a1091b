// SPDX-License-Identifier: Apache-2.0
#pragma once
// A synonym thesaurus in the MyThes format (OpenOffice/LibreOffice; Debian: mythes-en-us,
// /usr/share/mythes/th_en_US_v2.dat):
//
//   UTF-8                        the encoding line
//   word|n                       an entry with n meanings, then n lines
//   (pos)|syn|syn (generic term)|...
//
// synonyms(word) gives the distinct synonyms of every meaning in file order, without the
// "(generic term)" / "(related term)" / "(similar term)" / "(antonym)" entries (not synonyms)
// and without the word itself. Lookup is case-insensitive for the key.

#include <algorithm>
#include <charconv>
#include <fstream>
#include <istream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/error.hpp"
#include "../io/files.hpp"
#include "../text/words.hpp"

namespace posttrain::simplify {

class thesaurus {
 public:
  thesaurus() = default;

  /// Reads the .dat file; errors name the file and the line.
  static thesaurus load(const std::string& path) {
    std::ifstream in = io::open_input_file(path);
    return read(in, path);
  }
  /// The same from a stream (text in memory, a pipe); errors name `path`.
  static thesaurus read(std::istream& in, const std::string& path) {
    thesaurus t;
    std::string line;
    long line_no = 1;
    if (!std::getline(in, line)) throw parse_error(path, 1, 1, "empty file (expected the encoding line)");
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto bar = line.rfind('|');
      if (bar == std::string::npos) throw parse_error(path, line_no, 1, "expected 'word|meanings'");
      const std::string word = posttrain::text::lowercase(std::string_view(line).substr(0, bar));
      long meanings = -1;
      const std::string_view count = std::string_view(line).substr(bar + 1);
      const auto r = std::from_chars(count.data(), count.data() + count.size(), meanings);
      if (r.ec != std::errc() || r.ptr != count.data() + count.size() || meanings < 0)
        throw parse_error(path, line_no, long(bar) + 2, "the meaning count is not a whole number ≥ 0");
      auto& list = t.synonyms_[word];
      for (long m = 0; m < meanings; ++m) {
        if (!std::getline(in, line)) throw parse_error(path, line_no + 1, 1, "the file ends inside an entry");
        ++line_no;
        std::size_t i = line.find('|');  // skip "(pos)"
        while (i != std::string::npos) {
          const std::size_t j = line.find('|', i + 1);
          std::string s = line.substr(i + 1, j == std::string::npos ? std::string::npos : j - i - 1);
          i = j;
          if (s.empty() || s.find(" term)") != std::string::npos || s.find("(antonym)") != std::string::npos) continue;
          if (posttrain::text::lowercase(s) == word) continue;
          if (std::find(list.begin(), list.end(), s) == list.end()) list.push_back(std::move(s));
        }
      }
    }
    return t;
  }

  /// Adds synonyms of a word (lookup is case-insensitive), after any it has, without repeats.
  void add(std::string_view word, const std::vector<std::string>& synonyms) {
    auto& list = synonyms_[posttrain::text::lowercase(word)];
    for (const auto& s : synonyms)
      if (std::find(list.begin(), list.end(), s) == list.end()) list.push_back(s);
  }

  /// The word's synonyms (empty when the thesaurus does not have it).
  const std::vector<std::string>& synonyms(std::string_view word) const {
    static const std::vector<std::string> none;
    const auto it = synonyms_.find(posttrain::text::lowercase(word));
    return it == synonyms_.end() ? none : it->second;
  }
  std::size_t size() const { return synonyms_.size(); }

 private:
  std::unordered_map<std::string, std::vector<std::string>> synonyms_;
};

}  // namespace posttrain::simplify
