// SPDX-License-Identifier: Apache-2.0
#pragma once
// The two formats of lexical-simplification benchmarks, read into one instance type. Host-only
// by nature: file I/O.
//
//   CLS (Chinese lexical simplification benchmark), five tab-separated columns:
//     the sentence segmented into words with spaces · the complex word · its POS (n, v, a, d)
//     · the word's 0-based position among the sentence's words · the gold substitutes,
//     separated by spaces (they may repeat)
//   TSAR-2022 (multilingual lexical simplification shared task):
//     sentence <TAB> complex word [<TAB> substitute]…   (no substitutes in the "none" files;
//     a substitute given by several annotators is repeated)
//
// Both are read in the project's TSV dialect (io::tsv_dialect): fields split at every tab, no
// quoting, the CR of a CRLF dropped, blank lines skipped. Errors name the file, the line and the
// column; a CLS position that does not hold the complex word is one.

#include <charconv>
#include <fstream>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../io/files.hpp"

namespace posttrain::simplify {

/// A complex word in its sentence.
struct lexical_instance {
  std::string sentence;  // as written (CLS: the words joined without spaces)
  std::string word;      // the complex word
  std::size_t offset = std::string::npos;  // where the word starts in `sentence` (bytes); npos: not found
  std::string pos;                          // its part of speech when the data gives one, else ""
  std::vector<std::string> tokens;          // the sentence's words when the data gives them (CLS)
  std::size_t position = 0;                 // the word's index in `tokens`
  std::vector<std::string> gold;            // the gold substitutes, repeats kept (may be empty)
  long line = 0;                            // the line of the file it was read from (1-based)
};

namespace detail {

inline std::vector<std::string_view> split_fields(std::string_view line, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(separator, start);
    out.push_back(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

/// Column (1-based, in bytes) of field k of a tab-separated line.
inline long field_column(const std::vector<std::string_view>& fields, std::size_t k) {
  long column = 1;
  for (std::size_t i = 0; i < k; ++i) column += long(fields[i].size()) + 1;
  return column;
}

}  // namespace detail

/// Reads a CLS benchmark file (see the header comment).
inline std::vector<lexical_instance> read_cls(std::istream& in, const std::string& path) {
  std::vector<lexical_instance> out;
  std::string line;
  long line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    io::strip_line_end(line, line_no);
    if (line.empty()) continue;
    const auto f = detail::split_fields(line, '\t');
    if (f.size() != 5)
      throw parse_error(path, line_no, 1,
                        "expected 5 tab-separated columns (segmented sentence, word, POS, position, gold "
                        "substitutes), found " + std::to_string(f.size()));
    lexical_instance x;
    x.line = line_no;
    for (const auto t : detail::split_fields(f[0], ' '))
      if (!t.empty()) x.tokens.emplace_back(t);
    x.word = std::string(f[1]);
    x.pos = std::string(f[2]);
    if (x.word.empty()) throw parse_error(path, line_no, detail::field_column(f, 1), "the complex word is empty");
    long position = -1;
    const auto r = std::from_chars(f[3].data(), f[3].data() + f[3].size(), position);
    if (r.ec != std::errc() || r.ptr != f[3].data() + f[3].size() || position < 0)
      throw parse_error(path, line_no, detail::field_column(f, 3),
                        "the position '" + std::string(f[3]) + "' is not a whole number >= 0");
    if (std::size_t(position) >= x.tokens.size() || x.tokens[std::size_t(position)] != x.word)
      throw parse_error(path, line_no, detail::field_column(f, 3),
                        "word " + std::to_string(position) + " of the sentence (of " + std::to_string(x.tokens.size()) +
                            ") is not the complex word '" + x.word + "'");
    x.position = std::size_t(position);
    for (std::size_t i = 0; i < x.tokens.size(); ++i) {
      if (i == x.position) x.offset = x.sentence.size();
      x.sentence += x.tokens[i];
    }
    for (const auto g : detail::split_fields(f[4], ' '))
      if (!g.empty()) x.gold.emplace_back(g);
    out.push_back(std::move(x));
  }
  return out;
}

inline std::vector<lexical_instance> read_cls(const std::string& path) {
  std::ifstream in = io::open_input_file(path);
  return read_cls(in, path);
}

/// Reads a TSAR-2022 file, with or without substitutes (see the header comment).
inline std::vector<lexical_instance> read_tsar(std::istream& in, const std::string& path) {
  std::vector<lexical_instance> out;
  std::string line;
  long line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    io::strip_line_end(line, line_no);
    if (line.empty()) continue;
    const auto f = detail::split_fields(line, '\t');
    if (f.size() < 2)
      throw parse_error(path, line_no, long(line.size()) + 1,
                        "expected 'sentence<TAB>complex word[<TAB>substitute]...', found no tab");
    if (f[0].empty()) throw parse_error(path, line_no, 1, "the sentence is empty");
    if (f[1].empty()) throw parse_error(path, line_no, detail::field_column(f, 1), "the complex word is empty");
    lexical_instance x;
    x.line = line_no;
    x.sentence = std::string(f[0]);
    x.word = std::string(f[1]);
    x.offset = x.sentence.find(x.word);
    for (std::size_t k = 2; k < f.size(); ++k) {
      if (f[k].empty())
        throw parse_error(path, line_no, detail::field_column(f, k), "substitute " + std::to_string(k - 1) + " is empty");
      x.gold.emplace_back(f[k]);
    }
    out.push_back(std::move(x));
  }
  return out;
}

inline std::vector<lexical_instance> read_tsar(const std::string& path) {
  std::ifstream in = io::open_input_file(path);
  return read_tsar(in, path);
}

/// Writes one TSAR-2022 line: the sentence, the word, then the substitutes, best first.
inline void write_tsar_line(std::ostream& out, const lexical_instance& x, const std::vector<std::string>& ranked) {
  out << x.sentence << '\t' << x.word;
  for (const auto& s : ranked) out << '\t' << s;
  out << '\n';
}

}  // namespace posttrain::simplify
