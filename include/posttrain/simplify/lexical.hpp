// SPDX-License-Identifier: Apache-2.0
#pragma once
// Lexical simplification's select → rank steps and its evaluation (Qiang et al., TASLP 2021),
// for substitute candidates that a generator (a thesaurus, embedding neighbours, a language
// model) proposed for a complex word:
//
//   select_candidates   keep the candidates found in a frequency list, drop the word itself
//                       (any case) and repeats; none left → the word itself
//   rank_by_rank_sum    each feature ranks the candidates (1 = best; equal values share the
//                       lowest rank, "1 2 2 4"); candidates are ordered by the sum of their
//                       ranks, ties kept in candidate order
//   evaluate_*          the standard definitions (the reference code swaps the names precision
//                       and recall):
//     potential  (1/n) Σ 1[|G_i ∩ S_i| ≥ 1]      precision Σ|G_i ∩ S_i| / Σ|G_i|
//     recall     Σ|G_i ∩ S_i| / Σ|S_i|           F1        2PR / (P + R)
//   with G_i the generated candidates and S_i the gold substitutes of instance i; and for the
//   whole pipeline, with p_i its choice for word w_i:
//     precision  (1/n) Σ 1[p_i = w_i or p_i ∈ S_i]   accuracy (1/n) Σ 1[p_i ≠ w_i and p_i ∈ S_i]
//     changed    (1/n) Σ 1[p_i ≠ w_i]

#include <algorithm>
#include <fstream>
#include <istream>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../core/config.hpp"
#include "../core/error.hpp"
#include "../io/files.hpp"
#include "../io/numbers.hpp"
#include "../text/words.hpp"

namespace posttrain::simplify {

/// Word counts (or any frequency) read from `word<TAB>count` lines; lookup is case-insensitive.
class frequency_list {
 public:
  frequency_list() = default;

  static frequency_list load(const std::string& path) {
    std::ifstream in = io::open_input_file(path);
    return read(in, path);
  }
  /// The same from a stream (text in memory, a pipe); errors name `path`.
  static frequency_list read(std::istream& in, const std::string& path) {
    frequency_list f;
    std::string line;
    long line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      const auto tab = line.find('\t');
      if (tab == std::string::npos) throw parse_error(path, line_no, 1, "expected word<TAB>count");
      const auto count = io::read_number(std::string_view(line).substr(tab + 1));
      if (!count || !(*count >= 0) || !std::isfinite(*count))
        throw parse_error(path, line_no, long(tab) + 2, "the count is not a finite number ≥ 0");
      f.add(line.substr(0, tab), *count);
    }
    return f;
  }

  void add(std::string_view word, double count) {
    counts_[posttrain::text::lowercase(word)] += count;
    total_ += count;
  }
  /// The word's count, 0 when absent.
  double count(std::string_view word) const {
    const auto it = counts_.find(posttrain::text::lowercase(word));
    return it == counts_.end() ? 0.0 : it->second;
  }
  bool contains(std::string_view word) const { return count(word) > 0; }
  /// The word's share of all the counts (0 when absent, or when the list is empty).
  double relative(std::string_view word) const { return total_ > 0 ? count(word) / total_ : 0.0; }
  std::size_t size() const { return counts_.size(); }
  double total() const { return total_; }

 private:
  std::unordered_map<std::string, double> counts_;
  double total_ = 0;
};

/// The candidates the frequency list knows, without the word itself and without repeats, in
/// their order; {word} when none is left.
inline std::vector<std::string> select_candidates(std::string_view word, std::span<const std::string> candidates,
                                                  const frequency_list& frequencies) {
  const std::string self = posttrain::text::lowercase(word);
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (const auto& c : candidates) {
    const std::string key = posttrain::text::lowercase(c);
    if (key == self || !frequencies.contains(c) || !seen.insert(key).second) continue;
    out.push_back(c);
  }
  if (out.empty()) out.emplace_back(word);
  return out;
}

/// Ranks (1 = best) of values under "larger is better" (or smaller, when !larger_is_better);
/// equal values share the lowest rank.
inline std::vector<index_t> competition_ranks(std::span<const double> values, bool larger_is_better = true) {
  std::vector<index_t> ranks(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    index_t better = 0;
    for (std::size_t j = 0; j < values.size(); ++j)
      better += larger_is_better ? values[j] > values[i] : values[j] < values[i];
    ranks[i] = better + 1;
  }
  return ranks;
}

/// One ranking feature: a value per candidate, and its direction.
struct ranking_feature {
  std::vector<double> values;
  bool larger_is_better = true;
};

/// The candidate indices ordered by the ascending sum of their per-feature ranks (ties keep the
/// candidate order). Every feature needs one value per candidate.
inline std::vector<index_t> rank_by_rank_sum(std::span<const ranking_feature> features, std::size_t candidates) {
  std::vector<index_t> sum(candidates, 0);
  for (std::size_t f = 0; f < features.size(); ++f) {
    if (features[f].values.size() != candidates)
      throw shape_error(posttrain::detail::message("posttrain::simplify::rank_by_rank_sum: feature ", f, " has ",
                                                   features[f].values.size(), " values for ", candidates,
                                                   " candidates"));
    const auto r = competition_ranks(features[f].values, features[f].larger_is_better);
    for (std::size_t i = 0; i < candidates; ++i) sum[i] += r[i];
  }
  std::vector<index_t> order(candidates);
  std::iota(order.begin(), order.end(), index_t(0));
  std::stable_sort(order.begin(), order.end(), [&](index_t a, index_t b) { return sum[std::size_t(a)] < sum[std::size_t(b)]; });
  return order;
}

struct generation_metrics {
  double potential = 0, precision = 0, recall = 0, f1 = 0;
};

/// Candidate generation against gold substitutes, one set per instance (compared lower-case).
inline generation_metrics evaluate_generation(std::span<const std::vector<std::string>> generated,
                                              std::span<const std::vector<std::string>> gold) {
  if (generated.size() != gold.size())
    throw shape_error(posttrain::detail::message("posttrain::simplify::evaluate_generation: ", generated.size(),
                                                 " generated sets but ", gold.size(), " gold sets"));
  generation_metrics m;
  if (generated.empty()) return m;
  double hits_any = 0, common = 0, n_generated = 0, n_gold = 0;
  for (std::size_t i = 0; i < gold.size(); ++i) {
    std::unordered_set<std::string> g, s;
    for (const auto& x : generated[i]) g.insert(posttrain::text::lowercase(x));
    for (const auto& x : gold[i]) s.insert(posttrain::text::lowercase(x));
    double both = 0;
    for (const auto& x : g) both += s.count(x);
    hits_any += both >= 1;
    common += both;
    n_generated += double(g.size());
    n_gold += double(s.size());
  }
  m.potential = hits_any / double(gold.size());
  m.precision = n_generated > 0 ? common / n_generated : 0.0;
  m.recall = n_gold > 0 ? common / n_gold : 0.0;
  m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
  return m;
}

struct pipeline_metrics {
  double precision = 0, accuracy = 0, changed = 0;
};

/// The whole pipeline's choices p_i for the complex words w_i against gold substitutes S_i.
inline pipeline_metrics evaluate_pipeline(std::span<const std::string> words, std::span<const std::string> chosen,
                                          std::span<const std::vector<std::string>> gold) {
  if (words.size() != chosen.size() || words.size() != gold.size())
    throw shape_error(posttrain::detail::message("posttrain::simplify::evaluate_pipeline: ", words.size(),
                                                 " words, ", chosen.size(), " choices and ", gold.size(),
                                                 " gold sets; they must be equal"));
  pipeline_metrics m;
  if (words.empty()) return m;
  double precise = 0, accurate = 0, changed = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string w = posttrain::text::lowercase(words[i]), p = posttrain::text::lowercase(chosen[i]);
    bool in_gold = false;
    for (const auto& s : gold[i]) in_gold = in_gold || posttrain::text::lowercase(s) == p;
    precise += p == w || in_gold;
    accurate += p != w && in_gold;
    changed += p != w;
  }
  const double n = double(words.size());
  m.precision = precise / n, m.accuracy = accurate / n, m.changed = changed / n;
  return m;
}

}  // namespace posttrain::simplify
