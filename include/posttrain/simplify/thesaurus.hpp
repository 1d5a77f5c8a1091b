// SPDX-License-Identifier: Apache-2.0
#pragma once
// A synonym thesaurus in the MyThes format (OpenOffice/LibreOffice; Debian: mythes-en-us,
// /usr/share/mythes/th_en_US_v2.dat):
//
//   UTF-8                        the encoding line
//   word|n                       an entry with n meanings, then n lines
//   (pos)|syn|syn (generic term)|...
//
// The encoding line may be UTF-8, ISO8859-1 (most of Debian's mythes-* thesauri: Spanish,
// Portuguese, German…) or ISO8859-15; the others are read as UTF-8 is, byte for byte, and
// encoding() says which it was. Words are kept in UTF-8 either way.
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
    if (!line.empty() && line.back() == '\r') line.pop_back();
    t.encoding_ = line;
    const bool latin1 = line == "ISO8859-1" || line == "ISO-8859-1";
    const bool latin9 = line == "ISO8859-15" || line == "ISO-8859-15";
    const auto next_line = [&](std::string& l) {
      if (!std::getline(in, l)) return false;
      if (!l.empty() && l.back() == '\r') l.pop_back();  // CRLF files
      if (latin1 || latin9) l = to_utf8(l, latin9);
      return true;
    };
    while (next_line(line)) {
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
        if (!next_line(line)) throw parse_error(path, line_no + 1, 1, "the file ends inside an entry");
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
  /// The file's encoding line ("UTF-8", "ISO8859-1", …).
  const std::string& encoding() const { return encoding_; }

 private:
  /// A line of ISO 8859-1 (or -15, which differs in eight places) in UTF-8.
  static std::string to_utf8(std::string_view l, bool latin9) {
    std::string out;
    out.reserve(l.size() + l.size() / 8);
    for (const char ch : l) {
      char32_t c = static_cast<unsigned char>(ch);
      if (latin9) {
        switch (c) {
          case 0xA4: c = 0x20AC; break;  // €
          case 0xA6: c = 0x0160; break;  // Š
          case 0xA8: c = 0x0161; break;  // š
          case 0xB4: c = 0x017D; break;  // Ž
          case 0xB8: c = 0x017E; break;  // ž
          case 0xBC: c = 0x0152; break;  // Œ
          case 0xBD: c = 0x0153; break;  // œ
          case 0xBE: c = 0x0178; break;  // Ÿ
          default: break;
        }
      }
      posttrain::text::append_utf8(out, c);
    }
    return out;
  }

  std::string encoding_;
  std::unordered_map<std::string, std::vector<std::string>> synonyms_;
};

}  // namespace posttrain::simplify
