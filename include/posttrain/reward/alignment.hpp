// SPDX-License-Identifier: Apache-2.0
#pragma once
// Character alignment of a needle (a sentence, a statement) inside a haystack (the response):
//
//   longest_common_substring    O(n + m) with a suffix automaton of the haystack (the RLFH
//                               reference fills an O(n·m) table). Tie rule: among the common
//                               substrings of maximal length, the one that starts leftmost in
//                               the haystack; among its occurrences in the needle, the leftmost.
//   longest_common_subsequence  O(n·m) table, then the backtrack from the ends: equal characters
//                               are paired, otherwise the haystack character is dropped when that
//                               keeps the length (table[i][j−1] ≥ table[i−1][j]), else the
//                               needle's. Among the alignments of maximal length this pairs each
//                               needle character as far right in the haystack as possible,
//                               taking the needle from its end.
//
// Both return, for each needle character, the index of its partner in the haystack or −1. They
// work on any character type: bytes (std::string_view) give byte positions; the code points of
// text::decode_utf8 give code-point positions, and byte_positions() turns those into byte offsets.

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/config.hpp"
#include "../core/error.hpp"
#include "../text/utf8.hpp"

namespace posttrain::reward {

struct substring_match {
  index_t needle_begin = 0;
  index_t haystack_begin = 0;
  index_t length = 0;  // 0: no character in common
};

/// A suffix automaton of one text: the minimal automaton that accepts its substrings, with each
/// state's first end position (the end of the leftmost occurrence of its substrings).
template <class Char>
class suffix_automaton {
 public:
  explicit suffix_automaton(std::basic_string_view<Char> text) {
    states_.reserve(2 * text.size() + 1);
    edges_.reserve(3 * text.size() + 1);
    states_.push_back({});
    index_t last = 0;
    for (std::size_t i = 0; i < text.size(); ++i) last = extend(last, text[i], index_t(i));
  }

  /// The longest common substring with `needle` under the tie rule above.
  substring_match longest_common_substring(std::basic_string_view<Char> needle) const {
    substring_match best;
    index_t state = 0, length = 0;
    for (std::size_t j = 0; j < needle.size(); ++j) {
      const Char c = needle[j];
      while (state != 0 && next(state, c) < 0) {
        state = states_[std::size_t(state)].link;
        length = states_[std::size_t(state)].length;
      }
      if (const index_t to = next(state, c); to >= 0) {
        state = to;
        ++length;
      }
      if (length == 0) continue;
      const index_t haystack_begin = states_[std::size_t(state)].first_end - length + 1;
      const index_t needle_begin = index_t(j) - length + 1;
      if (length > best.length || (length == best.length && haystack_begin < best.haystack_begin))
        best = {needle_begin, haystack_begin, length};
    }
    return best;
  }

  std::size_t states() const { return states_.size(); }

 private:
  // Transitions are singly linked lists in one flat array: no allocation per state, and a state
  // has few of them, so a linear search is fastest.
  struct state {
    index_t length = 0, link = -1, first_end = -1, first_edge = -1;
  };
  struct edge {
    Char label;
    index_t to, next;
  };

  index_t next(index_t s, Char c) const {
    for (index_t e = states_[std::size_t(s)].first_edge; e >= 0; e = edges_[std::size_t(e)].next)
      if (edges_[std::size_t(e)].label == c) return edges_[std::size_t(e)].to;
    return -1;
  }
  void set_next(index_t s, Char c, index_t to) {
    for (index_t e = states_[std::size_t(s)].first_edge; e >= 0; e = edges_[std::size_t(e)].next)
      if (edges_[std::size_t(e)].label == c) {
        edges_[std::size_t(e)].to = to;
        return;
      }
    edges_.push_back({c, to, states_[std::size_t(s)].first_edge});
    states_[std::size_t(s)].first_edge = index_t(edges_.size()) - 1;
  }

  // The standard online construction (Blumer et al. 1985).
  index_t extend(index_t last, Char c, index_t position) {
    const index_t cur = index_t(states_.size());
    states_.push_back({states_[std::size_t(last)].length + 1, -1, position, -1});
    index_t p = last;
    while (p != -1 && next(p, c) < 0) {
      set_next(p, c, cur);
      p = states_[std::size_t(p)].link;
    }
    if (p == -1) {
      states_[std::size_t(cur)].link = 0;
      return cur;
    }
    const index_t q = next(p, c);
    if (states_[std::size_t(p)].length + 1 == states_[std::size_t(q)].length) {
      states_[std::size_t(cur)].link = q;
      return cur;
    }
    const index_t clone = index_t(states_.size());
    states_.push_back({states_[std::size_t(p)].length + 1, states_[std::size_t(q)].link,
                       states_[std::size_t(q)].first_end, -1});
    for (index_t e = states_[std::size_t(q)].first_edge; e >= 0; e = edges_[std::size_t(e)].next) {
      const edge copy = edges_[std::size_t(e)];
      edges_.push_back({copy.label, copy.to, states_[std::size_t(clone)].first_edge});
      states_[std::size_t(clone)].first_edge = index_t(edges_.size()) - 1;
    }
    while (p != -1 && next(p, c) == q) {
      set_next(p, c, clone);
      p = states_[std::size_t(p)].link;
    }
    states_[std::size_t(q)].link = clone;
    states_[std::size_t(cur)].link = clone;
    return cur;
  }

  std::vector<state> states_;
  std::vector<edge> edges_;
};

/// The longest common substring of needle and haystack (tie rule above), as a match.
template <class Char>
substring_match find_longest_common_substring(std::basic_string_view<Char> needle,
                                              std::basic_string_view<Char> haystack) {
  return suffix_automaton<Char>(haystack).longest_common_substring(needle);
}

/// Needle positions of a match: partner index in the haystack or −1, one per needle character.
inline std::vector<index_t> match_positions(const substring_match& m, std::size_t needle_size) {
  std::vector<index_t> pos(needle_size, -1);
  for (index_t k = 0; k < m.length; ++k) pos[std::size_t(m.needle_begin + k)] = m.haystack_begin + k;
  return pos;
}

template <class Char>
std::vector<index_t> longest_common_substring(std::basic_string_view<Char> needle,
                                              std::basic_string_view<Char> haystack) {
  return match_positions(find_longest_common_substring(needle, haystack), needle.size());
}

/// Largest table longest_common_subsequence fills (needle × haystack cells of 4 bytes).
inline constexpr std::int64_t max_subsequence_cells = std::int64_t(1) << 26;

template <class Char>
std::vector<index_t> longest_common_subsequence(std::basic_string_view<Char> needle,
                                                std::basic_string_view<Char> haystack) {
  const std::size_t n = needle.size(), m = haystack.size();
  std::vector<index_t> pos(n, -1);
  if (n == 0 || m == 0) return pos;
  if (std::int64_t(n + 1) * std::int64_t(m + 1) > max_subsequence_cells)
    throw value_error(posttrain::detail::message(
        "posttrain::reward::longest_common_subsequence: needle of ", n, " and haystack of ", m,
        " characters need a table of ", std::int64_t(n + 1) * std::int64_t(m + 1), " cells, more than ",
        max_subsequence_cells, "; align shorter pieces (a statement within its sentence)"));
  // table[i][j] = LCS length of needle[0, i) and haystack[0, j).
  std::vector<std::int32_t> table((n + 1) * (m + 1), 0);
  const auto at = [&](std::size_t i, std::size_t j) -> std::int32_t& { return table[i * (m + 1) + j]; };
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j)
      at(i, j) = needle[i - 1] == haystack[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
  for (std::size_t i = n, j = m; i > 0 && j > 0;) {
    if (needle[i - 1] == haystack[j - 1]) {
      pos[i - 1] = index_t(j - 1);
      --i, --j;
    } else if (at(i, j - 1) >= at(i - 1, j)) {
      --j;
    } else {
      --i;
    }
  }
  return pos;
}

/// Code-point positions (from an alignment against decode_utf8(text).chars) as byte offsets
/// of those characters in text; −1 stays −1.
inline std::vector<index_t> byte_positions(const std::vector<index_t>& code_point_positions,
                                           const text::decoded_text& text) {
  std::vector<index_t> out(code_point_positions.size(), -1);
  for (std::size_t k = 0; k < out.size(); ++k)
    if (code_point_positions[k] >= 0) out[k] = index_t(text.byte_offset[std::size_t(code_point_positions[k])]);
  return out;
}

}  // namespace posttrain::reward
