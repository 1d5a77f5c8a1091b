// SPDX-License-Identifier: Apache-2.0
#pragma once
// BLEU with sacrebleu's conventions (Post 2018), on a 0–100 scale:
//
//   tokenisation  13a (mteval-v13a): unescape &quot; &amp; &lt; &gt;, split the ASCII symbols
//                 {|}~ [\]^_` space !"#$%& ()*+ :;<=>? @ /, split . and , except between
//                 digits, split - after a digit, collapse spaces
//   n-grams       orders 1..4, hypothesis counts clipped by the largest count in any reference;
//                 the reference length is the one closest to the hypothesis (ties: shorter)
//   smoothing     exp (sacrebleu's sentence default: the k-th order with no match gets
//                 100 / (2^k · total)), floor (100·0.1/total), add-k (k = 1 added to orders ≥ 2),
//                 none; effective order (the mean over the orders that have n-grams)
//   score         BP · exp(mean log p_n), BP = exp(1 − r/c) when c < r; 0 when nothing matches
//
// sentence_bleu uses sacrebleu's sentence defaults (exp smoothing, effective order). Lowercasing
// (lowercase = true) covers ASCII and the Latin, Greek and Cyrillic letters of text::lowercase.

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <cstdint>
#include <iterator>
#include <unordered_map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../text/words.hpp"

namespace posttrain::simplify {

enum class bleu_smoothing { exp, floor, add_k, none };

struct bleu_options {
  bleu_smoothing smoothing = bleu_smoothing::exp;
  /// floor's and add-k's value; NaN picks sacrebleu's defaults (0.1 and 1).
  double smooth_value = std::numeric_limits<double>::quiet_NaN();
  bool effective_order = true;
  bool lowercase = false;
};

struct bleu_result {
  double score = 0;  // 0..100
  std::array<double, 4> precisions{};
  std::array<double, 4> correct{}, total{};
  double brevity_penalty = 0;
  double hypothesis_length = 0, reference_length = 0;
};

namespace detail {

/// The 13a ASCII symbols that become tokens of their own.
inline bool symbol_13a(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 0x7B && u <= 0x7E) || (u >= 0x5B && u <= 0x60) || (u >= 0x20 && u <= 0x26) ||
         (u >= 0x28 && u <= 0x2B) || (u >= 0x3A && u <= 0x40) || c == '/';
}

inline bool digit(char c) { return c >= '0' && c <= '9'; }

/// The slot of a key in an open-addressing table of 2^bits slots: the top bits of a Fibonacci
/// product, so that every slot is reachable whatever the table's size (a fixed 24-bit start left
/// the slots past 2^24 unused, and a reference of millions of tokens took minutes), and keys that
/// differ only in their high bits spread too (FNV-1a's low bits depend on low bits alone).
inline std::size_t fibonacci_slot(std::uint64_t key, int bits) {
  return std::size_t((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

/// Every occurrence of `from`, left to right, replaced: one pass into a new string (replacing in
/// place moves the tail each time, quadratic on a line full of "&amp;").
inline void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::size_t at = s.find(from);
  if (at == std::string::npos) return;
  std::string out;
  out.reserve(s.size());
  std::size_t done = 0;
  for (; at != std::string::npos; at = s.find(from, done)) {
    out.append(s, done, at - done).append(to);
    done = at + from.size();
  }
  out.append(s, done, std::string::npos);
  s.swap(out);
}

}  // namespace detail

namespace detail {

/// The working strings of tokenize_13a, reused across calls.
struct tokenizer_buffers {
  std::string s, a, b, c, d;
};

/// The 13a rules applied to line; the text, whose runs of non-space characters are the tokens,
/// is left in t.d.
inline void apply_13a(std::string_view line, tokenizer_buffers& t) {
  std::string& s = t.s;
  s.assign(1, ' ');
  s.append(line);
  s += ' ';
  if (s.find('<') != std::string::npos) replace_all(s, "<skipped>", "");
  if (s.find('\n') != std::string::npos) {
    replace_all(s, "-\n", "");
    std::replace(s.begin(), s.end(), '\n', ' ');
  }
  if (s.find('&') != std::string::npos) {
    replace_all(s, "&quot;", "\"");
    replace_all(s, "&amp;", "&");
    replace_all(s, "&lt;", "<");
    replace_all(s, "&gt;", ">");
  }
  // Each rule is one left-to-right pass with non-overlapping matches, as re.sub makes them;
  // a pass at most doubles its input, so it writes through a pointer into a buffer that size.
  const auto pass = [](const std::string& in, std::string& out, auto&& rule) {
    out.resize(2 * in.size() + 2);
    char* o = out.data();
    const char* p = in.data();
    const std::size_t n = in.size();
    for (std::size_t i = 0; i < n;) i = rule(p, n, i, o);
    out.resize(std::size_t(o - out.data()));
  };
  std::string& a = t.a;  // a symbol → " symbol "
  a.resize(3 * s.size());
  {
    char* o = a.data();
    for (const char c : s) {
      if (symbol_13a(c)) *o++ = ' ', *o++ = c, *o++ = ' ';
      else *o++ = c;
    }
    a.resize(std::size_t(o - a.data()));
  }
  std::string& b = t.b;  // ([^0-9])([.,]) → "\1 \2 "
  std::string& c = t.c;  // ([.,])([^0-9]) → " \1 \2"
  if (a.find_first_of(".,") != std::string::npos) {
    pass(a, b, [](const char* p, std::size_t n, std::size_t i, char*& o) {
      if (i + 1 < n && !digit(p[i]) && (p[i + 1] == '.' || p[i + 1] == ',')) {
        *o++ = p[i], *o++ = ' ', *o++ = p[i + 1], *o++ = ' ';
        return i + 2;
      }
      *o++ = p[i];
      return i + 1;
    });
    pass(b, c, [](const char* p, std::size_t n, std::size_t i, char*& o) {
      if (i + 1 < n && (p[i] == '.' || p[i] == ',') && !digit(p[i + 1])) {
        *o++ = ' ', *o++ = p[i], *o++ = ' ', *o++ = p[i + 1];
        return i + 2;
      }
      *o++ = p[i];
      return i + 1;
    });
  } else {
    std::swap(a, c);  // neither rule applies
  }
  std::string& d = t.d;  // ([0-9])(-) → "\1 \2 "
  if (c.find('-') != std::string::npos) {
    pass(c, d, [](const char* p, std::size_t n, std::size_t i, char*& o) {
      if (i + 1 < n && digit(p[i]) && p[i + 1] == '-') {
        *o++ = p[i], *o++ = ' ', *o++ = '-', *o++ = ' ';
        return i + 2;
      }
      *o++ = p[i];
      return i + 1;
    });
  } else {
    std::swap(c, d);
  }
}

/// Calls f(start, length) for each run of non-space characters of s.
template <class F>
void for_each_token(std::string_view s, F&& f) {
  for (std::size_t i = 0; i < s.size();) {
    while (i < s.size() && text::detail::ascii_space(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !text::detail::ascii_space(s[i])) ++i;
    if (i > start) f(start, i - start);
  }
}

/// Lowercase (text::lowercase's letters) into out; ASCII text without decoding.
inline void lowercase_into(std::string_view line, std::string& out) {
  if (!text::detail::all_ascii(line)) {
    out = text::lowercase(line);
    return;
  }
  out.resize(line.size());
  std::transform(line.begin(), line.end(), out.begin(), text::detail::ascii_lower);
}

}  // namespace detail

/// The 13a tokens of a line, joined by single spaces (sacrebleu's Tokenizer13a).
inline std::string tokenize_13a(std::string_view line) {
  detail::tokenizer_buffers t;
  detail::apply_13a(line, t);
  std::string out;
  detail::for_each_token(t.d, [&](std::size_t start, std::size_t length) {
    if (!out.empty()) out += ' ';
    out.append(t.d, start, length);
  });
  return out;
}

/// Running n-gram statistics of hypotheses against their references (add, then score).
class bleu_statistics {
 public:
  explicit bleu_statistics(const bleu_options& o = {}) : options_(o) {}

  void add(std::string_view hypothesis, std::span<const std::string> references) {
    // Every side (the hypothesis, then each reference) is tokenised into per-thread buffers;
    // tokens become small integers through a hash table, an n-gram a pair of 64-bit words, and
    // the clipped matches of each order come from one sort of all sides' n-grams tagged by side
    // (one reference: a hash table of its n-grams); no map of strings and, once the buffers
    // have grown, no allocation.
    thread_local workspace w;
    const std::size_t sides = references.size() + 1;
    if (w.text.size() < sides) w.text.resize(sides);
    w.tokens.clear();
    w.side_start.assign(1, 0);
    for (std::size_t k = 0; k < sides; ++k) {
      const std::string_view line = k == 0 ? hypothesis : std::string_view(references[k - 1]);
      if (options_.lowercase) {
        detail::lowercase_into(line, w.lowered);
        detail::apply_13a(w.lowered, w.buffers);
      } else {
        detail::apply_13a(line, w.buffers);
      }
      std::swap(w.text[k], w.buffers.d);  // the side's text outlives the next side's tokenising
      const std::string_view t = w.text[k];
      detail::for_each_token(t, [&](std::size_t start, std::size_t length) { w.tokens.push_back(t.substr(start, length)); });
      w.side_start.push_back(w.tokens.size());
    }
    // Ids: equal tokens, equal ids (an open-addressing table of token indices, FNV-1a hashes).
    std::size_t slots = 16;
    int slot_bits = 4;
    while (slots < 2 * w.tokens.size()) slots *= 2, ++slot_bits;
    w.table.assign(slots, std::uint32_t(-1));
    w.ids.resize(w.tokens.size());
    std::uint32_t distinct = 0;
    for (std::size_t i = 0; i < w.tokens.size(); ++i) {
      std::uint64_t h = 14695981039346656037ull;
      for (const char c : w.tokens[i]) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      for (std::size_t slot = detail::fibonacci_slot(h, slot_bits);;
           slot = (slot + 1) & (slots - 1)) {
        if (w.table[slot] == std::uint32_t(-1)) {
          w.table[slot] = std::uint32_t(i);
          w.ids[i] = distinct++;
          break;
        }
        if (w.tokens[w.table[slot]] == w.tokens[i]) {
          w.ids[i] = w.ids[w.table[slot]];
          break;
        }
      }
    }
    const auto length = [&](std::size_t k) { return w.side_start[k + 1] - w.side_start[k]; };
    const double hyp_size = double(length(0));
    double closest = -1;
    for (std::size_t k = 1; k < sides; ++k) {
      const double len = double(length(k));
      const double d = std::abs(len - hyp_size), best = std::abs(closest - hyp_size);
      if (closest < 0 || d < best || (d == best && len < closest)) closest = len;
    }
    if (sides == 2 && distinct < 0xFFFF) {
      // One reference: an n-gram is one 64-bit key (16 bits an id + 1; the unused ones 0, so
      // orders never collide). The reference's n-grams of every order are counted in one
      // open-addressing table; each hypothesis n-gram takes one of its occurrences while any
      // is left, which sums min(count_h, count_r).
      const auto key_at = [&](std::size_t i, int n) {
        std::uint64_t key = 0;
        for (int q = 0; q < n; ++q) key |= std::uint64_t(w.ids[i + std::size_t(q)] + 1) << (16 * (3 - q));
        return key;
      };
      const std::size_t ref_begin = w.side_start[1], ref_end = w.side_start[2];
      std::size_t size = 16;
      int bits = 4;
      while (size < 8 * (ref_end - ref_begin)) size *= 2, ++bits;
      w.gram_table.assign(size, {0, 0});
      const auto slot_of = [&](std::uint64_t key) {
        std::size_t slot = detail::fibonacci_slot(key, bits);
        while (w.gram_table[slot].first != 0 && w.gram_table[slot].first != key) slot = (slot + 1) & (size - 1);
        return slot;
      };
      for (int n = 1; n <= 4; ++n)
        for (std::size_t i = ref_begin; i + std::size_t(n) <= ref_end; ++i) {
          const std::uint64_t key = key_at(i, n);
          auto& e = w.gram_table[slot_of(key)];
          e.first = key, ++e.second;
        }
      for (int n = 1; n <= 4; ++n) {
        double matches = 0;
        for (std::size_t i = 0; i + std::size_t(n) <= w.side_start[1]; ++i) {
          const std::uint64_t key = key_at(i, n);
          auto& e = w.gram_table[slot_of(key)];
          if (e.first == key && e.second > 0) --e.second, ++matches;
        }
        correct_[std::size_t(n - 1)] += matches;
        total_[std::size_t(n - 1)] += std::max(0.0, hyp_size - n + 1);
      }
      hyp_len_ += hyp_size;
      ref_len_ += std::max(closest, 0.0);
      return;
    }
    for (int n = 1; n <= 4; ++n) {
      // Every n-gram of every side, tagged by its side; sorted, equal n-grams are one run in
      // which the hypothesis comes first, then each reference's count in turn.
      w.grams.clear();
      for (std::size_t k = 0; k < sides; ++k)
        for (std::size_t i = w.side_start[k]; i + std::size_t(n) <= w.side_start[k + 1]; ++i) {
          std::uint64_t hi = 0, lo = 0;  // ids + 1 (0 is an unused position), 32 bits each
          for (int q = 0; q < n; ++q) {
            const std::uint64_t v = std::uint64_t(w.ids[i + std::size_t(q)]) + 1;
            if (q < 2) hi |= v << (32 * (1 - q));
            else lo |= v << (32 * (3 - q));
          }
          w.grams.push_back({hi, lo, std::uint32_t(k)});
        }
      std::sort(w.grams.begin(), w.grams.end());
      for (std::size_t i = 0; i < w.grams.size();) {
        std::size_t j = i;
        double hyp = 0, ref_max = 0, ref = 0;
        std::uint32_t side = 0;
        for (; j < w.grams.size() && w.grams[j].hi == w.grams[i].hi && w.grams[j].lo == w.grams[i].lo; ++j) {
          if (w.grams[j].side == 0) {
            ++hyp;
            continue;
          }
          if (w.grams[j].side != side) side = w.grams[j].side, ref = 0;
          ref_max = std::max(ref_max, ++ref);
        }
        correct_[std::size_t(n - 1)] += std::min(hyp, ref_max);
        i = j;
      }
      total_[std::size_t(n - 1)] += std::max(0.0, hyp_size - n + 1);
    }
    hyp_len_ += hyp_size;
    ref_len_ += std::max(closest, 0.0);
  }

  bleu_result score() const {
    bleu_result r;
    r.correct = correct_, r.total = total_;
    r.hypothesis_length = hyp_len_, r.reference_length = ref_len_;
    const bleu_options& o = options_;
    const bool floor = o.smoothing == bleu_smoothing::floor, add_k = o.smoothing == bleu_smoothing::add_k;
    const double value = std::isnan(o.smooth_value) ? (floor ? 0.1 : 1.0) : o.smooth_value;
    r.brevity_penalty = hyp_len_ < ref_len_ ? (hyp_len_ > 0 ? std::exp(1 - ref_len_ / hyp_len_) : 0.0) : 1.0;
    if (std::all_of(r.correct.begin(), r.correct.end(), [](double c) { return c == 0; })) return r;
    double smooth_mteval = 1;
    int order = 4;
    for (int n = 1; n <= 4; ++n) {
      auto& c = r.correct[std::size_t(n - 1)];
      auto& t = r.total[std::size_t(n - 1)];
      if (add_k && n > 1) c += value, t += value;
      if (t == 0) break;
      if (o.effective_order) order = n;
      auto& p = r.precisions[std::size_t(n - 1)];
      if (c == 0) {
        if (o.smoothing == bleu_smoothing::exp) smooth_mteval *= 2, p = 100.0 / (smooth_mteval * t);
        else if (floor) p = 100.0 * value / t;
      } else {
        p = 100.0 * c / t;
      }
    }
    double log_sum = 0;
    for (int n = 0; n < order; ++n) {
      const double p = r.precisions[std::size_t(n)];
      log_sum += p == 0 ? -9999999999.0 : std::log(p);
    }
    r.score = r.brevity_penalty * std::exp(log_sum / order);
    return r;
  }

 private:
  struct tagged_gram {
    std::uint64_t hi, lo;
    std::uint32_t side;
    bool operator<(const tagged_gram& o) const {
      if (hi != o.hi) return hi < o.hi;
      if (lo != o.lo) return lo < o.lo;
      return side < o.side;
    }
  };
  struct workspace {
    std::vector<std::string> text;
    std::string lowered;
    detail::tokenizer_buffers buffers;
    std::vector<std::string_view> tokens;
    std::vector<std::size_t> side_start;
    std::vector<std::uint32_t> table, ids;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> gram_table;  // key (never 0), count
    std::vector<tagged_gram> grams;
  };

  bleu_options options_;
  std::array<double, 4> correct_{}, total_{};
  double hyp_len_ = 0, ref_len_ = 0;
};

/// sacrebleu's sentence_bleu(hypothesis, [reference]) (exp smoothing, effective order).
inline bleu_result sentence_bleu(std::string_view hypothesis, std::string_view reference, const bleu_options& o = {}) {
  bleu_statistics s(o);
  const std::string refs[] = {std::string(reference)};
  s.add(hypothesis, refs);
  return s.score();
}

/// sacrebleu's corpus_score over hypothesis i and reference i (no smoothing, no effective order
/// by default, as sacrebleu's corpus BLEU).
inline bleu_result corpus_bleu(std::span<const std::string> hypotheses, std::span<const std::string> references,
                               bleu_options o = {.smoothing = bleu_smoothing::exp, .effective_order = false}) {
  if (hypotheses.size() != references.size())
    throw shape_error(posttrain::detail::message("posttrain::simplify::corpus_bleu: ", hypotheses.size(),
                                                 " hypotheses but ", references.size(), " references"));
  bleu_statistics s(o);
  for (std::size_t i = 0; i < hypotheses.size(); ++i) s.add(hypotheses[i], references.subspan(i, 1));
  return s.score();
}

}  // namespace posttrain::simplify
