// SPDX-License-Identifier: Apache-2.0
#pragma once
// The character HMM that jieba uses for runs of characters its dictionary does not join
// (jieba.finalseg, jieba 0.42): four states, B(egin), M(iddle), E(nd) of a word and S(ingle),
// log start, transition and emission probabilities, and the Viterbi path. Host-only by nature:
// it walks text.
//
// The model is read from lines that scripts/export-zh-resources writes from jieba's own tables:
//   start STATE LOGP            (4 lines)
//   trans FROM TO LOGP          (the 8 allowed transitions)
//   emit STATE CHARACTER LOGP   (one per state and character seen in training)
// A missing entry is jieba's MIN_FLOAT, −3.14e100. '#' starts a comment line.
//
// cut(run, out) follows jieba exactly: a run of CJK characters (U+4E00–U+9FD5) gets the Viterbi
// path, each B…E becoming a word and each S a character (a trailing unfinished word is a word);
// any other stretch is split into ASCII letter-and-digit runs (with an optional ".digits" and
// "%": "3.14%") and what lies between them. Ties go as jieba's max over (score, state) does: to
// the later state letter.

#include <array>
#include <charconv>
#include <fstream>
#include <istream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/error.hpp"
#include "../io/files.hpp"
#include "utf8.hpp"

namespace posttrain::text {

class chinese_hmm {
 public:
  static constexpr double min_log = -3.14e100;  // jieba's MIN_FLOAT

  chinese_hmm() { reset(); }

  static chinese_hmm load(const std::string& path) {
    std::ifstream in = io::open_input_file(path);
    return read(in, path);
  }
  static chinese_hmm read(std::istream& in, const std::string& path) {
    chinese_hmm m;
    std::string line;
    long line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string_view> f;
      std::vector<long> column;
      for (std::size_t i = 0; i < line.size();) {
        const std::size_t j = std::min(line.find(' ', i), line.size());
        f.push_back(std::string_view(line).substr(i, j - i));
        column.push_back(long(i) + 1);
        i = j + 1;
      }
      const auto state = [&](std::size_t k) {
        const int s = state_index(f[k]);
        if (s < 0) throw parse_error(path, line_no, column[k], "'" + std::string(f[k]) + "' is not a state (B, E, M or S)");
        return s;
      };
      const auto number = [&](std::size_t k) {
        double v = 0;
        const auto r = std::from_chars(f[k].data(), f[k].data() + f[k].size(), v);
        if (r.ec != std::errc() || r.ptr != f[k].data() + f[k].size() || !(v <= 0))
          throw parse_error(path, line_no, column[k], "'" + std::string(f[k]) + "' is not a log-probability (a number <= 0)");
        return v;
      };
      const std::size_t want = f[0] == "start" ? 3 : f[0] == "trans" || f[0] == "emit" ? 4 : 0;
      if (want == 0) throw parse_error(path, line_no, 1, "expected 'start', 'trans' or 'emit'");
      if (f.size() != want)
        throw parse_error(path, line_no, 1,
                          "'" + std::string(f[0]) + "' takes " + std::to_string(want - 1) + " fields separated by single spaces, found " +
                              std::to_string(f.size() - 1));
      if (f[0] == "start") {
        m.start_[std::size_t(state(1))] = number(2);
      } else if (f[0] == "trans") {
        m.trans_[std::size_t(state(1))][std::size_t(state(2))] = number(3);
      } else {
        char32_t c = 0;
        if (f[2].empty() || detail::utf8_sequence(f[2], 0, c) != f[2].size())
          throw parse_error(path, line_no, column[2], "expected one character (in UTF-8)");
        const int st = state(1);
        m.set_emission("BEMS"[st], c, number(3));
      }
    }
    return m;
  }

  void set_start(char state, double log_p) { start_[checked(state)] = log_p; }
  void set_transition(char from, char to, double log_p) { trans_[checked(from)][checked(to)] = log_p; }
  void set_emission(char state, char32_t c, double log_p) {
    const std::size_t s = checked(state);
    auto [it, added] = emit_.try_emplace(c);
    if (added) it->second.fill(min_log);
    it->second[s] = log_p;
  }

  /// Appends the words of `run` (a stretch of jieba's block characters) to `out`, as views of it.
  void cut(std::string_view run, std::vector<std::string_view>& out) const {
    std::size_t i = 0;
    while (i < run.size()) {
      char32_t c = 0;
      std::size_t n = detail::utf8_sequence(run, i, c);
      if (n == 0) n = 1, c = replacement_character;
      std::size_t j = i + n;
      if (cjk(c)) {
        while (j < run.size() && (n = detail::utf8_sequence(run, j, c)) != 0 && cjk(c)) j += n;
        viterbi_cut(run.substr(i, j - i), out);
      } else {
        while (j < run.size() && ((n = detail::utf8_sequence(run, j, c)) == 0 || !cjk(c))) j += n == 0 ? 1 : n;
        split_latin(run.substr(i, j - i), out);
      }
      i = j;
    }
  }

 private:
  // States in letter order, so that a tie going to the larger index goes to the later letter.
  enum : int { B = 0, E = 1, M = 2, S = 3 };

  static int state_index(std::string_view s) {
    return s == "B" ? B : s == "E" ? E : s == "M" ? M : s == "S" ? S : -1;
  }
  static std::size_t checked(char state) {
    const int s = state_index(std::string_view(&state, 1));
    if (s < 0) throw value_error(std::string("chinese_hmm: '") + state + "' is not a state (B, E, M or S)");
    return std::size_t(s);
  }
  static bool cjk(char32_t c) { return c >= 0x4E00 && c <= 0x9FD5; }
  static bool ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
  static bool ascii_digit(char c) { return c >= '0' && c <= '9'; }

  void reset() {
    start_.fill(min_log);
    for (auto& row : trans_) row.fill(min_log);
  }

  /// The four states' log emission probabilities of c.
  const std::array<double, 4>& emissions(char32_t c) const {
    static constexpr std::array<double, 4> none = {min_log, min_log, min_log, min_log};
    const auto it = emit_.find(c);
    return it == emit_.end() ? none : it->second;
  }

  /// jieba's finalseg viterbi + __cut on a run of CJK characters.
  void viterbi_cut(std::string_view run, std::vector<std::string_view>& out) const {
    const auto d = decode_utf8(run);
    const std::size_t n = d.chars.size();
    static constexpr int previous[4][2] = {{E, S}, {B, M}, {M, B}, {S, E}};  // B←E,S  E←B,M  M←M,B  S←S,E
    std::vector<std::array<double, 4>> v(n);
    std::vector<std::array<int, 4>> from(n);
    const auto& first = emissions(d.chars[0]);
    for (int y = 0; y < 4; ++y) v[0][std::size_t(y)] = start_[std::size_t(y)] + first[std::size_t(y)];
    for (std::size_t t = 1; t < n; ++t) {
      const auto& emitted = emissions(d.chars[t]);
      for (int y = 0; y < 4; ++y) {
        const double em = emitted[std::size_t(y)];
        double best = 0;
        int arg = -1;
        for (const int y0 : previous[y]) {
          const double p = v[t - 1][std::size_t(y0)] + trans_[std::size_t(y0)][std::size_t(y)] + em;
          if (arg < 0 || p > best || (p == best && y0 > arg)) best = p, arg = y0;
        }
        v[t][std::size_t(y)] = best;
        from[t][std::size_t(y)] = arg;
      }
    }
    int state = v[n - 1][S] >= v[n - 1][E] ? S : E;  // max over (score, state) for E and S
    std::vector<int> path(n);
    for (std::size_t t = n; t-- > 0;) {
      path[t] = state;
      if (t > 0) state = from[t][std::size_t(state)];
    }
    std::size_t begin = 0, next = 0;
    const auto piece = [&](std::size_t a, std::size_t b) { return run.substr(d.byte_offset[a], d.byte_offset[b] - d.byte_offset[a]); };
    for (std::size_t t = 0; t < n; ++t) {
      if (path[t] == B) {
        begin = t;
      } else if (path[t] == E) {
        out.push_back(piece(begin, t + 1));
        next = t + 1;
      } else if (path[t] == S) {
        out.push_back(piece(t, t + 1));
        next = t + 1;
      }
    }
    if (next < n) out.push_back(piece(next, n));
  }

  /// jieba's finalseg re_skip split: ([a-zA-Z0-9]+(?:\.\d+)?%?) and the stretches between.
  static void split_latin(std::string_view s, std::vector<std::string_view>& out) {
    std::size_t gap = 0, i = 0;
    while (i < s.size()) {
      if (!ascii_alnum(s[i])) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < s.size() && ascii_alnum(s[j])) ++j;
      if (j + 1 < s.size() && s[j] == '.' && ascii_digit(s[j + 1])) {
        j += 2;
        while (j < s.size() && ascii_digit(s[j])) ++j;
      }
      if (j < s.size() && s[j] == '%') ++j;
      if (i > gap) out.push_back(s.substr(gap, i - gap));
      out.push_back(s.substr(i, j - i));
      gap = i = j;
    }
    if (s.size() > gap) out.push_back(s.substr(gap));
  }

  std::array<double, 4> start_{};
  std::array<std::array<double, 4>, 4> trans_{};
  std::unordered_map<char32_t, std::array<double, 4>> emit_;  // by character, the four states'
};

}  // namespace posttrain::text
