// SPDX-License-Identifier: Apache-2.0
#pragma once
// Cross-vocabulary transfer: a value network with vocabulary V' applied to a base model with
// vocabulary V needs, for each base token, a value token (or none) and a weight:
//
//   z_mapped[b, v] = w_v · z_value[b, source_v]      (unmapped base tokens: 0, or −inf)
//
// Builders:
//   one-to-one (CMC)   each base token's exact match in the value vocabulary; otherwise the
//                      value tokens related to it by prefix in either direction, the one at the
//                      smallest Levenshtein distance (ties: lowest id). A token made only of
//                      spaces matches only tokens made only of spaces.
//   alignment (IVL, FuseLLM)  from pairs of tokenisations of the same texts: DTW alignment of
//                      the two token sequences with cost editdistance(a, b) × (0.1 if one
//                      contains the other, else 1), ties to the diagonal; the aligned pairs are
//                      counted, C' = (C − row mean) where C ≠ 0 (the mean over the whole row of V'),
//                      then each column's nonzero entries min–max scaled to [0, 1] (a zero range
//                      divides by 1); each base token keeps its row's argmax (ties: lowest id).
// Token strings are compared after normalising the word-boundary markers of SentencePiece (▁,
// U+2581) and byte-level BPE (Ġ, U+0120) to a space, and Ċ (U+010A) to a newline.
//
// Maps save to and load from a small text file (hexadecimal weights, exact).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <map>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core.hpp"
#include "../io/numbers.hpp"
#include "../text/utf8.hpp"

namespace posttrain::value {

/// The token string with word-boundary markers as spaces (▁, Ġ) and Ċ as a newline.
inline std::string normalise_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size();) {
    if (token.compare(i, 3, "\xE2\x96\x81") == 0) out += ' ', i += 3;       // ▁
    else if (token.compare(i, 2, "\xC4\xA0") == 0) out += ' ', i += 2;      // Ġ
    else if (token.compare(i, 2, "\xC4\x8A") == 0) out += '\n', i += 2;     // Ċ
    else out += token[i++];
  }
  return out;
}

/// Levenshtein distance between the code points of a and b (insert, delete, substitute: 1).
inline index_t edit_distance(std::string_view a, std::string_view b) {
  const auto x = text::decode_utf8(a).chars, y = text::decode_utf8(b).chars;
  std::vector<index_t> row(y.size() + 1);
  for (std::size_t j = 0; j <= y.size(); ++j) row[j] = index_t(j);
  for (std::size_t i = 1; i <= x.size(); ++i) {
    index_t diagonal = row[0];
    row[0] = index_t(i);
    for (std::size_t j = 1; j <= y.size(); ++j) {
      const index_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (x[i - 1] == y[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[y.size()];
}

class vocabulary_map {
 public:
  vocabulary_map() = default;
  /// An empty map from a value vocabulary of value_size tokens to a base one of base_size.
  vocabulary_map(index_t base_size, index_t value_size)
      : source_(static_cast<std::size_t>(base_size), -1), weight_(static_cast<std::size_t>(base_size), 1.0),
        value_size_(value_size) {}

  index_t base_size() const { return index_t(source_.size()); }
  index_t value_size() const { return value_size_; }
  /// The value token base token v reads, or −1.
  index_t source(index_t v) const { return source_[std::size_t(v)]; }
  double weight(index_t v) const { return weight_[std::size_t(v)]; }
  /// source(v) and weight(v) for every base token, as host views (for copies to a backend).
  tensor_view<const index_t, 1> sources() const { return {source_.data(), base_size()}; }
  tensor_view<const double, 1> weights() const { return {weight_.data(), base_size()}; }
  index_t mapped() const { return index_t(std::count_if(source_.begin(), source_.end(), [](index_t s) { return s >= 0; })); }

  void set(index_t base, index_t value, double weight = 1.0) {
    if (base < 0 || base >= base_size() || value < -1 || value >= value_size_)
      throw value_error(posttrain::detail::message("posttrain::value::vocabulary_map::set: base ", base, " (of ",
                                                   base_size(), ") or value ", value, " (of ", value_size_,
                                                   ") out of range"));
    source_[std::size_t(base)] = value;
    weight_[std::size_t(base)] = weight;
  }

  void save(std::ostream& os) const {
    os << "posttrain-vocabulary-map 1\nbase " << base_size() << " value " << value_size_ << '\n';
    char buf[64];
    for (index_t v = 0; v < base_size(); ++v)
      if (source_[std::size_t(v)] >= 0) {
        std::snprintf(buf, sizeof buf, "%a", weight_[std::size_t(v)]);
        os << v << ' ' << source_[std::size_t(v)] << ' ' << buf << '\n';
      }
  }

  /// Reads what save() wrote; errors are parse_error naming `name` and the line.
  static vocabulary_map load(std::istream& is, const std::string& name = "<stream>") {
    std::string line;
    long line_no = 0;
    const auto fail = [&](const std::string& what) { throw parse_error(name, line_no, 1, what); };
    ++line_no;
    if (!std::getline(is, line) || line != "posttrain-vocabulary-map 1")
      fail("not a vocabulary map (the first line must be 'posttrain-vocabulary-map 1')");
    ++line_no;
    std::string base_word, value_word;
    long long base_size = -1, value_size = -1;
    if (!std::getline(is, line)) fail("missing the sizes line");
    std::istringstream sizes(line);
    if (!(sizes >> base_word >> base_size >> value_word >> value_size) || base_word != "base" || value_word != "value" ||
        base_size < 0 || value_size < 0)
      fail("expected 'base N value M'");
    vocabulary_map m(base_size, value_size);
    while (std::getline(is, line)) {
      ++line_no;
      if (line.empty()) continue;
      std::istringstream fields(line);
      long long b = -1, v = -1;
      std::string w;
      if (!(fields >> b >> v >> w)) fail("expected 'base_id value_id weight'");
      const auto read = io::read_hex_or_decimal_number(w);
      const double weight = read ? *read : std::numeric_limits<double>::quiet_NaN();
      if (!std::isfinite(weight)) fail("weight '" + w + "' is not a finite number");
      if (b < 0 || b >= base_size || v < 0 || v >= value_size)
        fail("ids " + std::to_string(b) + " " + std::to_string(v) + " out of range");
      m.set(b, v, weight);
    }
    return m;
  }

 private:
  std::vector<index_t> source_;
  std::vector<double> weight_;
  index_t value_size_ = 0;
};

namespace detail {

inline bool all_spaces(std::string_view s) {
  return !s.empty() && s.find_first_not_of(' ') == std::string_view::npos;
}

}  // namespace detail

/// CMC's one-to-one map (rules above).
inline vocabulary_map build_one_to_one_map(std::span<const std::string> base_tokens,
                                           std::span<const std::string> value_tokens) {
  vocabulary_map m(index_t(base_tokens.size()), index_t(value_tokens.size()));
  std::vector<std::pair<std::string, index_t>> sorted;  // normalised value tokens, by string then id
  sorted.reserve(value_tokens.size());
  for (std::size_t i = 0; i < value_tokens.size(); ++i) sorted.emplace_back(normalise_token(value_tokens[i]), index_t(i));
  std::sort(sorted.begin(), sorted.end());
  std::unordered_map<std::string, index_t> exact;  // the lowest id of each string
  for (const auto& [s, id] : sorted) exact.emplace(s, id);
  for (std::size_t b = 0; b < base_tokens.size(); ++b) {
    const std::string nb = normalise_token(base_tokens[b]);
    if (nb.empty()) continue;
    if (const auto it = exact.find(nb); it != exact.end()) {
      m.set(index_t(b), it->second);
      continue;
    }
    if (detail::all_spaces(nb)) continue;  // only an all-space token matches an all-space token
    index_t best = -1, best_distance = std::numeric_limits<index_t>::max();
    const auto consider = [&](const std::string& candidate, index_t id) {
      if (detail::all_spaces(candidate)) return;
      const index_t d = edit_distance(nb, candidate);
      if (d < best_distance || (d == best_distance && id < best)) best = id, best_distance = d;
    };
    // Value tokens that are a prefix of the base token.
    for (std::size_t len = 1; len < nb.size(); ++len)
      if (const auto it = exact.find(nb.substr(0, len)); it != exact.end()) consider(it->first, it->second);
    // Value tokens that the base token is a prefix of: a contiguous range of the sorted list.
    for (auto it = std::lower_bound(sorted.begin(), sorted.end(), std::pair<std::string, index_t>{nb, -1});
         it != sorted.end() && it->first.compare(0, nb.size(), nb) == 0; ++it)
      consider(it->first, it->second);
    if (best >= 0) m.set(index_t(b), best);
  }
  return m;
}

/// Accumulates DTW alignments of paired tokenisations, then builds the alignment map.
class alignment_map_builder {
 public:
  alignment_map_builder(std::span<const std::string> base_tokens, std::span<const std::string> value_tokens) {
    for (const auto& t : base_tokens) base_.push_back(normalise_token(t));
    for (const auto& t : value_tokens) value_.push_back(normalise_token(t));
  }

  /// One text tokenised both ways (token ids into the two vocabularies).
  void add(std::span<const index_t> base_ids, std::span<const index_t> value_ids) {
    for (std::size_t k = 0; k < base_ids.size(); ++k)
      if (base_ids[k] < 0 || base_ids[k] >= index_t(base_.size()))
        throw value_error(posttrain::detail::message("posttrain::value::alignment_map_builder::add: base_ids[", k,
                                                     "] is ", base_ids[k], ", outside [0, ", base_.size(), ")"));
    for (std::size_t k = 0; k < value_ids.size(); ++k)
      if (value_ids[k] < 0 || value_ids[k] >= index_t(value_.size()))
        throw value_error(posttrain::detail::message("posttrain::value::alignment_map_builder::add: value_ids[", k,
                                                     "] is ", value_ids[k], ", outside [0, ", value_.size(), ")"));
    for (const auto& [i, j] : dtw_path(base_ids, value_ids)) ++counts_[{base_ids[i], value_ids[j]}];
  }

  /// The pairs (i, j) of the DTW path between the sequences, from the start.
  std::vector<std::pair<std::size_t, std::size_t>> dtw_path(std::span<const index_t> a,
                                                            std::span<const index_t> b) const {
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::pair<std::size_t, std::size_t>> path;
    if (n == 0 || m == 0) return path;
    constexpr double inf = std::numeric_limits<double>::infinity();
    std::vector<double> d((n + 1) * (m + 1), inf);
    const auto at = [&](std::size_t i, std::size_t j) -> double& { return d[i * (m + 1) + j]; };
    at(0, 0) = 0;
    for (std::size_t i = 1; i <= n; ++i)
      for (std::size_t j = 1; j <= m; ++j) {
        const std::string& x = base_[std::size_t(a[i - 1])];
        const std::string& y = value_[std::size_t(b[j - 1])];
        const bool contains = x.find(y) != std::string::npos || y.find(x) != std::string::npos;
        const double cost = double(edit_distance(x, y)) * (contains ? 0.1 : 1.0);
        at(i, j) = cost + std::min({at(i - 1, j - 1), at(i - 1, j), at(i, j - 1)});
      }
    for (std::size_t i = n, j = m;;) {
      path.emplace_back(i - 1, j - 1);
      if (i == 1 && j == 1) break;
      const double diag = at(i - 1, j - 1), up = at(i - 1, j), left = at(i, j - 1);
      if (diag <= up && diag <= left) --i, --j;  // ties to the diagonal
      else if (up <= left) --i;
      else --j;
    }
    std::reverse(path.begin(), path.end());
    return path;
  }

  vocabulary_map build() const {
    vocabulary_map m(index_t(base_.size()), index_t(value_.size()));
    const double width = double(std::max<std::size_t>(value_.size(), 1));
    std::map<index_t, double> row_sum;
    for (const auto& [key, c] : counts_) row_sum[key.first] += double(c);
    std::map<std::pair<index_t, index_t>, double> centred;  // (C − row mean) where C ≠ 0
    std::map<index_t, std::pair<double, double>> column_range;
    for (const auto& [key, c] : counts_) {
      const double x = double(c) - row_sum[key.first] / width;
      centred[key] = x;
      auto [it, fresh] = column_range.try_emplace(key.second, x, x);
      if (!fresh) it->second = {std::min(it->second.first, x), std::max(it->second.second, x)};
    }
    std::map<index_t, std::pair<double, index_t>> best;  // per base row: (score, value id)
    for (const auto& [key, x] : centred) {
      const auto [lo, hi] = column_range.at(key.second);
      const double range = hi - lo;
      const double score = (x - lo) / (range == 0 ? 1.0 : range);
      auto [it, fresh] = best.try_emplace(key.first, score, key.second);
      if (!fresh && (score > it->second.first || (score == it->second.first && key.second < it->second.second)))
        it->second = {score, key.second};
    }
    for (const auto& [b, s] : best) m.set(b, s.second);
    return m;
  }

  /// How often base token b was aligned with value token v.
  std::int64_t count(index_t b, index_t v) const {
    const auto it = counts_.find({b, v});
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::vector<std::string> base_, value_;
  std::map<std::pair<index_t, index_t>, std::int64_t> counts_;
};

enum class unmapped_fill { zero, negative_infinity };

namespace detail {

/// out(r, v) = weight(v)·z(r, source(v)) where source(v) ≥ 0, else the fill.
struct apply_map_kernel {
  double fill;
  template <class Team, class Z, class S, class W, class O>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t r, const Z& z, const S& source, const W& weight,
                                        const O& out) const {
    using T = typename O::value_type;
    team.for_each(out.extent(1), [&](index_t v) {
      const index_t s = source(v);
      out(r, v) = s >= 0 ? static_cast<T>(weight(v) * double(z(r, s))) : static_cast<T>(fill);
    });
  }
};

}  // namespace detail

/// out[b, v] = w_v · z_value[b, source_v] for mapped base tokens v, the fill elsewhere; z_value
/// [B, V'], out [B, V]. The map (host memory) is copied to the backend on each call.
template <backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
  requires accessible_by<Z, B> && accessible_by<O, B> && mutable_tensor<O>
void apply_map(const B& be, const vocabulary_map& map, const Z& z_value, const O& out,
               unmapped_fill fill = unmapped_fill::zero) {
  constexpr std::string_view who = "value::apply_map";
  posttrain::detail::check_extent(who, "z_value", z_value, 1, map.value_size(), "the map's value vocabulary");
  posttrain::detail::check_extent(who, "out", out, 1, map.base_size(), "the map's base vocabulary");
  posttrain::detail::check_extent(who, "out", out, 0, z_value.extent(0), "one row per row of z_value");
  auto source = allocate<index_t>(be, {map.base_size()});
  auto weight = allocate<double>(be, {map.base_size()});
  deep_copy(be, map.sources(), source.view());
  deep_copy(be, map.weights(), weight.view());
  const double empty = fill == unmapped_fill::zero ? 0.0 : -std::numeric_limits<double>::infinity();
  ops::for_each_row(be, out.extent(0), detail::apply_map_kernel{empty}, posttrain::detail::to_const_view(z_value),
                    std::as_const(source).view(), std::as_const(weight).view(), posttrain::detail::to_view(out));
}

}  // namespace posttrain::value
