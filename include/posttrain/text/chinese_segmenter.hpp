// SPDX-License-Identifier: Apache-2.0
#pragma once
// Chinese word segmentation in the manner of jieba's precise mode (jieba.cut, jieba 0.42), from
// a dictionary of `word frequency [pos]` lines (jieba's dict.txt: 349 046 words;
// scripts/export-zh-resources copies it out of PyPI's jieba): without jieba's HMM (HMM=False) by
// default, with it once use_hmm has the model (jieba's default, HMM=True).
// Host-only by nature: it walks text.
//
//   1. The sentence is split into runs of "block" characters (CJK U+4E00–U+9FD5, ASCII letters
//      and digits, and + # & . _ % -) and everything else. Outside a run, "\r\n" and every other
//      whitespace character (Python's str.isspace) are tokens, and so is each other character.
//   2. In a run, the DAG holds, for each position k, the end of every dictionary word with a
//      frequency > 0 that starts at k (the prefix dictionary stops the search), or k itself when
//      there is none.
//   3. The route maximises Σ log(freq(word) or 1) − log(total) from the right; a tie goes to the
//      longer word, as Python's max over (score, end) does.
//   4. Without the HMM, single ASCII letters and digits that the route leaves alone are joined
//      ("abc", "2024"). With it, every stretch of characters that the route leaves alone is
//      given to the HMM (chinese_hmm.hpp) when it is longer than one character and not itself a
//      word of the dictionary, else cut into characters: jieba's way of finding new words.
//
// Tokens are views of the input's bytes: joined, they give the input back exactly. A byte that is
// not valid UTF-8 is a token of its own. Lookups are exact (no case folding), as in jieba.
//
//   auto seg = text::chinese_segmenter::load("jieba-dict.txt");
//   for (std::string_view w : seg.cut("我来到北京清华大学")) ...      我 来到 北京 清华大学

#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/error.hpp"
#include "../io/files.hpp"
#include "chinese_hmm.hpp"
#include "utf8.hpp"

namespace posttrain::text {

class chinese_segmenter {
 public:
  chinese_segmenter() = default;

  /// Reads `word frequency [pos]` lines (single spaces or tabs between fields; blank lines are
  /// skipped); errors name the file and the line.
  static chinese_segmenter load(const std::string& path) {
    std::ifstream in = io::open_input_file(path);
    return read(in, path);
  }
  static chinese_segmenter read(std::istream& in, const std::string& path) {
    chinese_segmenter s;
    std::string line;
    long line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      io::strip_line_end(line, line_no);
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      const std::string_view l = line;
      const std::size_t a = l.find_first_of(" \t");
      if (a == 0) throw parse_error(path, line_no, 1, "the line starts with a space (expected 'word frequency [pos]')");
      if (a == std::string_view::npos) throw parse_error(path, line_no, long(l.size()) + 1, "expected 'word frequency [pos]'");
      const std::size_t b = l.find_first_of(" \t", a + 1);
      const std::string_view count = l.substr(a + 1, b == std::string_view::npos ? std::string_view::npos : b - a - 1);
      long long f = -1;
      const auto r = std::from_chars(count.data(), count.data() + count.size(), f);
      if (r.ec != std::errc() || r.ptr != count.data() + count.size() || f < 0)
        throw parse_error(path, line_no, long(a) + 2, "the frequency '" + std::string(count) + "' is not a whole number >= 0");
      std::string_view pos = b == std::string_view::npos ? std::string_view() : l.substr(b + 1);
      if (const auto c = pos.find_first_of(" \t"); c != std::string_view::npos) pos = pos.substr(0, c);
      s.add_word(l.substr(0, a), f, pos);
    }
    return s;
  }

  /// Adds a word (or replaces its frequency and POS), and adds `frequency` to the total, as
  /// jieba's loader does for every line. A frequency of 0 keeps the word out of the DAG.
  void add_word(std::string_view word, long long frequency, std::string_view pos = {}) {
    if (word.empty()) throw value_error("chinese_segmenter::add_word: the word is empty");
    if (frequency < 0)
      throw value_error("chinese_segmenter::add_word: the frequency of '" + std::string(word) + "' is " +
                             std::to_string(frequency) + " (must be >= 0)");
    entry& e = entries_[std::string(word)];
    if (!e.is_word) ++words_;
    e.is_word = true;
    e.frequency = frequency;
    e.pos = intern_pos(pos);
    total_ += frequency;
    // Every prefix goes in too (frequency 0 unless it is a word): the DAG search stops at the
    // first prefix the dictionary lacks.
    for (std::size_t i = 1; i < word.size(); ++i)
      if (!continuation_byte(word[i])) entries_.try_emplace(std::string(word.substr(0, i)));
  }

  /// Segments the runs the dictionary leaves alone with this HMM from now on (jieba's default,
  /// HMM=True).
  void use_hmm(chinese_hmm model) { hmm_ = std::make_shared<const chinese_hmm>(std::move(model)); }
  bool has_hmm() const { return hmm_ != nullptr; }

  /// The dictionary frequency of a word (0 when it is not a word of the dictionary).
  long long frequency(std::string_view word) const {
    const auto it = entries_.find(word);
    return it == entries_.end() ? 0 : it->second.frequency;
  }
  /// Whether the dictionary has the word (any frequency).
  bool contains(std::string_view word) const {
    const auto it = entries_.find(word);
    return it != entries_.end() && it->second.is_word;
  }
  /// The word's part of speech as the dictionary gives it ("" when it gives none or lacks the word).
  std::string_view pos(std::string_view word) const {
    const auto it = entries_.find(word);
    return it == entries_.end() || !it->second.is_word ? std::string_view() : std::string_view(pos_names_[it->second.pos]);
  }
  /// The sum of every line's frequency.
  long long total() const { return total_; }
  /// The number of distinct words.
  std::size_t size() const { return words_; }

  /// Calls f(word, frequency, pos) for every word of the dictionary, in no particular order.
  template <class F>
  void for_each_word(F&& f) const {
    for (const auto& [word, e] : entries_)
      if (e.is_word) f(std::string_view(word), e.frequency, std::string_view(pos_names_[e.pos]));
  }

  /// The tokens of a sentence, as views of it (see the header comment).
  std::vector<std::string_view> cut(std::string_view sentence) const {
    std::vector<std::string_view> out;
    cut(sentence, out);
    return out;
  }
  /// The same, appended to `out` (which is not cleared), reusing `out`'s storage.
  void cut(std::string_view sentence, std::vector<std::string_view>& out) const {
    std::vector<std::size_t> offsets;  // the code-point boundaries of the current block run
    route scratch;
    std::size_t i = 0;
    while (i < sentence.size()) {
      char32_t cp = 0;
      std::size_t n = detail::utf8_sequence(sentence, i, cp);
      if (n == 0) {  // an invalid byte: a token of its own
        out.push_back(sentence.substr(i, 1));
        ++i;
        continue;
      }
      if (block_char(cp)) {
        offsets.clear();
        std::size_t j = i;
        while (j < sentence.size() && (n = detail::utf8_sequence(sentence, j, cp)) != 0 && block_char(cp)) {
          offsets.push_back(j);
          j += n;
        }
        offsets.push_back(j);
        cut_block(sentence, offsets, scratch, out);
        i = j;
        continue;
      }
      if (cp == U'\r' && i + 1 < sentence.size() && sentence[i + 1] == '\n') n = 2;  // "\r\n" is one token
      out.push_back(sentence.substr(i, n));
      i += n;
    }
  }

 private:
  struct entry {
    long long frequency = 0;
    std::uint32_t pos = 0;  // index into pos_names_
    bool is_word = false;   // false: only a prefix of words
  };
  struct route {
    std::vector<double> score;     // score[k]: the best score of the run's code points [k, n)
    std::vector<std::size_t> end;  // end[k]: where the first word of that best split ends
  };
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  static bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

  /// jieba's re_han_default: [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]
  static bool block_char(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FD5) || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') ||
           (c >= U'0' && c <= U'9') || c == U'+' || c == U'#' || c == U'&' || c == U'.' || c == U'_' || c == U'%' ||
           c == U'-';
  }
  static bool ascii_alnum(std::string_view s) {
    const char c = s[0];
    return s.size() == 1 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
  }

  std::uint32_t intern_pos(std::string_view pos) {
    for (std::size_t k = 0; k < pos_names_.size(); ++k)
      if (pos_names_[k] == pos) return static_cast<std::uint32_t>(k);
    pos_names_.emplace_back(pos);
    return static_cast<std::uint32_t>(pos_names_.size() - 1);
  }

  /// Segments the run whose code points start at offsets[0..n) (offsets[n] is its end).
  void cut_block(std::string_view s, const std::vector<std::size_t>& offsets, route& r,
                 std::vector<std::string_view>& out) const {
    const std::size_t n = offsets.size() - 1;
    const double log_total = std::log(total_ > 0 ? double(total_) : 1.0);
    r.score.assign(n + 1, 0.0);
    r.end.assign(n + 1, 0);
    for (std::size_t k = n; k-- > 0;) {
      double best = 0;
      std::size_t best_end = 0;
      bool any = false;
      const auto consider = [&](std::size_t end, long long freq) {
        const double score = (std::log(freq > 0 ? double(freq) : 1.0) - log_total) + r.score[end];
        if (!any || score > best || (score == best && end > best_end)) best = score, best_end = end, any = true;
      };
      for (std::size_t e = k + 1; e <= n; ++e) {
        const auto it = entries_.find(s.substr(offsets[k], offsets[e] - offsets[k]));
        if (it == entries_.end()) break;
        if (it->second.frequency > 0) consider(e, it->second.frequency);
      }
      if (!any) consider(k + 1, frequency(s.substr(offsets[k], offsets[k + 1] - offsets[k])));
      r.score[k] = best;
      r.end[k] = best_end;
    }
    if (hmm_) {
      emit_with_hmm(s, offsets, r, out);
      return;
    }
    std::size_t run_start = n;  // the start of the pending run of single ASCII letters and digits
    for (std::size_t k = 0; k < n;) {
      const std::size_t e = r.end[k];
      const std::string_view word = s.substr(offsets[k], offsets[e] - offsets[k]);
      if (ascii_alnum(word)) {
        if (run_start == n) run_start = k;
      } else {
        if (run_start != n) out.push_back(s.substr(offsets[run_start], offsets[k] - offsets[run_start]));
        run_start = n;
        out.push_back(word);
      }
      k = e;
    }
    if (run_start != n) out.push_back(s.substr(offsets[run_start], offsets[n] - offsets[run_start]));
  }

  /// jieba's __cut_DAG: the single characters the route leaves alone, gathered into stretches.
  void emit_with_hmm(std::string_view s, const std::vector<std::size_t>& offsets, const route& r,
                     std::vector<std::string_view>& out) const {
    const std::size_t n = offsets.size() - 1;
    std::size_t start = n;  // the start of the pending stretch of single characters
    const auto flush = [&](std::size_t end) {
      if (start == n) return;
      const std::string_view stretch = s.substr(offsets[start], offsets[end] - offsets[start]);
      if (end - start == 1) {
        out.push_back(stretch);
      } else if (frequency(stretch) == 0) {
        hmm_->cut(stretch, out);
      } else {
        for (std::size_t k = start; k < end; ++k) out.push_back(s.substr(offsets[k], offsets[k + 1] - offsets[k]));
      }
      start = n;
    };
    for (std::size_t k = 0; k < n;) {
      const std::size_t e = r.end[k];
      if (e - k == 1) {
        if (start == n) start = k;
      } else {
        flush(k);
        out.push_back(s.substr(offsets[k], offsets[e] - offsets[k]));
      }
      k = e;
    }
    flush(n);
  }

  std::unordered_map<std::string, entry, string_hash, std::equal_to<>> entries_;
  std::vector<std::string> pos_names_{std::string()};
  long long total_ = 0;
  std::size_t words_ = 0;
  std::shared_ptr<const chinese_hmm> hmm_;
};

}  // namespace posttrain::text
