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

inline void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

}  // namespace detail

/// The 13a tokens of a line, joined by single spaces (sacrebleu's Tokenizer13a).
inline std::string tokenize_13a(std::string_view line) {
  std::string s(line);
  detail::replace_all(s, "<skipped>", "");
  detail::replace_all(s, "-\n", "");
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.find('&') != std::string::npos) {
    detail::replace_all(s, "&quot;", "\"");
    detail::replace_all(s, "&amp;", "&");
    detail::replace_all(s, "&lt;", "<");
    detail::replace_all(s, "&gt;", ">");
  }
  s = " " + s + " ";
  // Each rule is one left-to-right pass with non-overlapping matches, as re.sub makes them.
  std::string a;
  for (const char c : s) {
    if (detail::symbol_13a(c)) a += ' ', a += c, a += ' ';
    else a += c;
  }
  std::string b;  // ([^0-9])([.,]) → "\1 \2 "
  for (std::size_t i = 0; i < a.size();) {
    if (i + 1 < a.size() && !detail::digit(a[i]) && (a[i + 1] == '.' || a[i + 1] == ',')) {
      b += a[i], b += ' ', b += a[i + 1], b += ' ';
      i += 2;
    } else {
      b += a[i++];
    }
  }
  std::string c;  // ([.,])([^0-9]) → " \1 \2"
  for (std::size_t i = 0; i < b.size();) {
    if (i + 1 < b.size() && (b[i] == '.' || b[i] == ',') && !detail::digit(b[i + 1])) {
      c += ' ', c += b[i], c += ' ', c += b[i + 1];
      i += 2;
    } else {
      c += b[i++];
    }
  }
  std::string d;  // ([0-9])(-) → "\1 \2 "
  for (std::size_t i = 0; i < c.size();) {
    if (i + 1 < c.size() && detail::digit(c[i]) && c[i + 1] == '-') {
      d += c[i], d += ' ', d += '-', d += ' ';
      i += 2;
    } else {
      d += c[i++];
    }
  }
  std::string out;
  for (std::size_t i = 0; i < d.size();) {
    while (i < d.size() && text::detail::ascii_space(d[i])) ++i;
    const std::size_t start = i;
    while (i < d.size() && !text::detail::ascii_space(d[i])) ++i;
    if (i > start) {
      if (!out.empty()) out += ' ';
      out.append(d, start, i - start);
    }
  }
  return out;
}

/// Running n-gram statistics of hypotheses against their references (add, then score).
class bleu_statistics {
 public:
  explicit bleu_statistics(const bleu_options& o = {}) : options_(o) {}

  void add(std::string_view hypothesis, std::span<const std::string> references) {
    // Tokens become small integers (ids local to this call) and an n-gram a fixed array of
    // them; each side's n-grams are sorted once and counted by runs, then merged: no map of
    // strings, and one allocation per side and order.
    const auto hyp = tokens(hypothesis);
    std::vector<std::vector<std::string>> refs;
    for (const auto& r : references) refs.push_back(tokens(r));
    std::unordered_map<std::string_view, std::uint32_t> id;
    const auto ids_of = [&](const std::vector<std::string>& t) {
      std::vector<std::uint32_t> out(t.size());
      for (std::size_t i = 0; i < t.size(); ++i) out[i] = id.try_emplace(t[i], std::uint32_t(id.size())).first->second;
      return out;
    };
    const auto hyp_ids = ids_of(hyp);
    std::vector<std::vector<std::uint32_t>> ref_ids;
    double closest = -1;
    for (const auto& ref : refs) {
      ref_ids.push_back(ids_of(ref));
      const double len = double(ref.size());
      const double d = std::abs(len - double(hyp.size())), best = std::abs(closest - double(hyp.size()));
      if (closest < 0 || d < best || (d == best && len < closest)) closest = len;
    }
    for (int n = 1; n <= 4; ++n) {
      const auto hyp_counts = ngram_counts(hyp_ids, n);
      // The largest count of each n-gram over the references.
      std::vector<std::pair<gram, double>> ref_max;
      for (const auto& r : ref_ids) {
        auto counts = ngram_counts(r, n);
        std::vector<std::pair<gram, double>> merged;
        std::merge(ref_max.begin(), ref_max.end(), counts.begin(), counts.end(), std::back_inserter(merged),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
        ref_max.clear();
        for (const auto& e : merged) {
          if (!ref_max.empty() && ref_max.back().first == e.first) ref_max.back().second = std::max(ref_max.back().second, e.second);
          else ref_max.push_back(e);
        }
      }
      // Clipped matches: a merge walk of the two sorted count lists.
      auto r = ref_max.begin();
      for (const auto& [g, k] : hyp_counts) {
        while (r != ref_max.end() && r->first < g) ++r;
        if (r != ref_max.end() && r->first == g) correct_[std::size_t(n - 1)] += std::min(k, r->second);
      }
      total_[std::size_t(n - 1)] += double(std::max<std::ptrdiff_t>(0, std::ptrdiff_t(hyp.size()) - n + 1));
    }
    hyp_len_ += double(hyp.size());
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
  using gram = std::array<std::uint32_t, 4>;  // unused positions hold 0xFFFFFFFF

  /// The distinct n-grams of a token-id sequence with their counts, sorted.
  static std::vector<std::pair<gram, double>> ngram_counts(const std::vector<std::uint32_t>& ids, int n) {
    std::vector<gram> grams;
    for (std::size_t i = 0; i + std::size_t(n) <= ids.size(); ++i) {
      gram g;
      g.fill(0xFFFFFFFFu);
      for (int k = 0; k < n; ++k) g[std::size_t(k)] = ids[i + std::size_t(k)];
      grams.push_back(g);
    }
    std::sort(grams.begin(), grams.end());
    std::vector<std::pair<gram, double>> out;
    for (const auto& g : grams) {
      if (!out.empty() && out.back().first == g) out.back().second += 1;
      else out.emplace_back(g, 1.0);
    }
    return out;
  }

  std::vector<std::string> tokens(std::string_view line) const {
    std::string t = tokenize_13a(options_.lowercase ? text::lowercase(line) : std::string(line));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < t.size();) {
      const std::size_t j = std::min(t.find(' ', i), t.size());
      out.emplace_back(t.substr(i, j - i));
      i = j + 1;
    }
    return out;
  }

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
