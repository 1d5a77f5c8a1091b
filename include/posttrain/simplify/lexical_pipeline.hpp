// SPDX-License-Identifier: Apache-2.0
#pragma once
// Lexical simplification end to end, generate → select → rank → choose (Qiang et al., TASLP
// 2021; its Chinese benchmark, CLS), for any language whose words a `lexicon` knows. Host-only
// by nature: it handles words and strings; the embedding neighbours it can use come from
// embedding_generator, whose search runs on the backend.
//
//   generators   substitute_generator: candidates for a batch of instances, best first —
//                cilin_substitutes ('=' groups, then '#'), thesaurus_substitutes (MyThes),
//                embedding_substitutes (cosine neighbours), hybrid_substitutes (the first
//                generator that has candidates, or all of them merged). A sememe (HowNet) or a
//                masked-LM generator is one more substitute_generator; neither ships here,
//                because no package registry has their data or model.
//   select       keep the candidates the lexicon knows (frequency > 0), not the word itself,
//                without repeats; none left → the word itself
//   rank         the ascending sum of per-feature ranks (rank_by_rank_sum), features chosen by
//                ranking_options:
//                  frequency            the lexicon's frequency, higher first
//                  length_difference    |characters(candidate) − characters(word)|, smaller first
//                  generator_order      the generator's own order
//                  shared_characters    characters in common with the word, more first
//                  rarest_character     the frequency of the candidate's rarest character
//                  cilin_distance       the Cilin tree distance to the word (missing: 6)
//                  pos_agreement        the lexicon's POS of the candidate starts with the
//                                       instance's POS letter
//                  embedding_similarity the cosine with the word, when vectors are given
//                The defaults are the features that did best on the CLS dev half (docs/simplify.md).
//   choose       the first ranked candidate; with only_if_more_frequent, only when the lexicon
//                finds it more frequent than the word

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../core/error.hpp"
#include "../text/chinese_segmenter.hpp"
#include "../text/utf8.hpp"
#include "cilin.hpp"
#include "lexical.hpp"
#include "lexical_datasets.hpp"
#include "neighbours.hpp"
#include "thesaurus.hpp"

namespace posttrain::simplify {

/// Candidates for each instance of a batch, best first (one list per instance).
using substitute_generator = std::function<std::vector<std::vector<std::string>>(std::span<const lexical_instance>)>;

/// The words of the instance word's Cilin '=' groups, then its '#' groups. `tree` must outlive
/// the generator.
inline substitute_generator cilin_substitutes(const cilin& tree) {
  return [&tree](std::span<const lexical_instance> batch) {
    std::vector<std::vector<std::string>> out;
    for (const auto& x : batch) out.push_back(tree.synonyms(x.word));
    return out;
  };
}

/// The thesaurus' synonyms of each word. `synonyms` must outlive the generator.
inline substitute_generator thesaurus_substitutes(const thesaurus& synonyms) {
  return [&synonyms](std::span<const lexical_instance> batch) {
    std::vector<std::vector<std::string>> out;
    for (const auto& x : batch) out.push_back(synonyms.synonyms(x.word));
    return out;
  };
}

/// The k nearest words of each word with cosine ≥ min_cosine, one GEMM for the batch on the
/// generator's backend. `neighbours` must outlive the generator.
template <backend B, std::floating_point T>
substitute_generator embedding_substitutes(const embedding_generator<B, T>& neighbours, index_t k, double min_cosine) {
  return [&neighbours, k, min_cosine](std::span<const lexical_instance> batch) {
    std::vector<std::string> words;
    for (const auto& x : batch) words.push_back(x.word);
    std::vector<std::vector<std::string>> out(batch.size());
    const auto found = neighbours.candidates(words, k);
    for (std::size_t i = 0; i < batch.size(); ++i)
      for (const auto& n : found[i])
        if (n.similarity >= min_cosine) out[i].push_back(n.word);
    return out;
  };
}

enum class hybrid_mode {
  first_with_candidates,  // the first generator that has candidates for the word (the paper's hybrid)
  merge,                  // every generator's candidates, in generator order, without repeats
};

inline substitute_generator hybrid_substitutes(std::vector<substitute_generator> generators,
                                               hybrid_mode mode = hybrid_mode::first_with_candidates) {
  if (generators.empty()) throw value_error("posttrain::simplify::hybrid_substitutes: no generators");
  for (std::size_t g = 0; g < generators.size(); ++g)
    if (!generators[g])
      throw value_error("posttrain::simplify::hybrid_substitutes: generator " + std::to_string(g) + " is empty");
  return [generators = std::move(generators), mode](std::span<const lexical_instance> batch) {
    std::vector<std::vector<std::string>> out(batch.size());
    for (const auto& generate : generators) {
      const auto lists = generate(batch);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (mode == hybrid_mode::first_with_candidates && !out[i].empty()) continue;
        for (const auto& c : lists.at(i))
          if (std::find(out[i].begin(), out[i].end(), c) == out[i].end()) out[i].push_back(c);
      }
    }
    return out;
  };
}

/// What ranking knows about words. frequency is required (0: unknown word); the others may be
/// left empty, and the features that need them are then skipped.
struct lexicon {
  std::function<double(std::string_view)> frequency;
  std::function<std::string_view(std::string_view)> pos;
  std::function<double(char32_t)> character_frequency;
};

/// A lexicon from a Chinese dictionary (jieba's): word frequencies, POS, and character
/// frequencies, each character counted as often as it occurs in the dictionary's words times
/// their frequencies. `dictionary` must outlive the lexicon.
inline lexicon chinese_lexicon(const text::chinese_segmenter& dictionary) {
  auto characters = std::make_shared<std::unordered_map<char32_t, double>>();
  dictionary.for_each_word([&](std::string_view word, long long frequency, std::string_view) {
    for (const char32_t c : text::decode_utf8(word).chars) (*characters)[c] += double(frequency);
  });
  lexicon l;
  l.frequency = [&dictionary](std::string_view w) { return double(dictionary.frequency(w)); };
  l.pos = [&dictionary](std::string_view w) { return dictionary.pos(w); };
  l.character_frequency = [characters](char32_t c) {
    const auto it = characters->find(c);
    return it == characters->end() ? 0.0 : it->second;
  };
  return l;
}

/// A lexicon from a word<TAB>count list (case-insensitive). `counts` must outlive the lexicon.
inline lexicon frequency_lexicon(const frequency_list& counts) {
  lexicon l;
  l.frequency = [&counts](std::string_view w) { return counts.count(w); };
  return l;
}

struct ranking_options {
  bool frequency = true;
  bool length_difference = true;
  bool generator_order = true;
  bool shared_characters = true;
  bool rarest_character = false;
  bool cilin_distance = false;
  bool pos_agreement = false;
  bool embedding_similarity = true;  // used only when vectors are given
  bool only_if_more_frequent = false;
};

/// One instance's way through the pipeline.
struct lexical_result {
  std::vector<std::string> generated;  // the generator's candidates
  std::vector<std::string> ranked;     // the selected candidates, best first (empty: none)
  std::string choice;                  // the substitute, or the word itself
};

class lexical_simplifier {
 public:
  /// `tree` and `vectors` may be null (their features are then skipped); both must outlive the
  /// simplifier.
  lexical_simplifier(substitute_generator generate, lexicon words, ranking_options options = {},
                     const cilin* tree = nullptr, const word_vectors* vectors = nullptr)
      : generate_(std::move(generate)), words_(std::move(words)), options_(options), tree_(tree), vectors_(vectors) {
    if (!generate_) throw value_error("posttrain::simplify::lexical_simplifier: the generator is empty");
    if (!words_.frequency) throw value_error("posttrain::simplify::lexical_simplifier: the lexicon has no frequencies");
  }

  std::vector<lexical_result> run(std::span<const lexical_instance> batch) const {
    auto generated = generate_(batch);
    if (generated.size() != batch.size())
      throw shape_error("posttrain::simplify::lexical_simplifier: the generator gave " +
                        std::to_string(generated.size()) + " lists for " + std::to_string(batch.size()) + " instances");
    std::vector<lexical_result> out(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      out[i].generated = std::move(generated[i]);
      out[i].ranked = rank(batch[i], select(batch[i].word, out[i].generated));
      out[i].choice = batch[i].word;
      if (!out[i].ranked.empty() &&
          (!options_.only_if_more_frequent || words_.frequency(out[i].ranked.front()) > words_.frequency(batch[i].word)))
        out[i].choice = out[i].ranked.front();
    }
    return out;
  }

  /// The candidates the lexicon knows, without the word and without repeats, in their order.
  std::vector<std::string> select(std::string_view word, const std::vector<std::string>& candidates) const {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen{std::string(word)};
    for (const auto& c : candidates)
      if (words_.frequency(c) > 0 && seen.insert(c).second) out.push_back(c);
    return out;
  }

  /// The candidates ordered by the sum of their feature ranks (see the header comment).
  std::vector<std::string> rank(const lexical_instance& x, const std::vector<std::string>& candidates) const {
    const std::size_t n = candidates.size();
    if (n < 2) return candidates;
    std::vector<ranking_feature> features;
    const auto add = [&](bool larger_is_better, auto value) {
      ranking_feature f;
      f.larger_is_better = larger_is_better;
      for (std::size_t j = 0; j < n; ++j) f.values.push_back(value(j));
      features.push_back(std::move(f));
    };
    const auto word_chars = text::decode_utf8(x.word).chars;
    std::vector<std::u32string> chars;
    for (const auto& c : candidates) chars.push_back(text::decode_utf8(c).chars);
    if (options_.frequency) add(true, [&](std::size_t j) { return words_.frequency(candidates[j]); });
    if (options_.length_difference)
      add(false, [&](std::size_t j) { return std::abs(double(chars[j].size()) - double(word_chars.size())); });
    if (options_.generator_order) add(false, [&](std::size_t j) { return double(j); });
    if (options_.shared_characters)
      add(true, [&](std::size_t j) {
        double shared = 0;
        for (std::size_t k = 0; k < chars[j].size(); ++k)
          if (chars[j].find(chars[j][k]) == k && word_chars.find(chars[j][k]) != std::u32string::npos) ++shared;
        return shared;
      });
    if (options_.rarest_character && words_.character_frequency)
      add(true, [&](std::size_t j) {
        double rarest = std::numeric_limits<double>::infinity();
        for (const char32_t c : chars[j]) rarest = std::min(rarest, words_.character_frequency(c));
        return chars[j].empty() ? 0.0 : rarest;
      });
    if (options_.cilin_distance && tree_)
      add(false, [&](std::size_t j) {
        const int d = tree_->distance(x.word, candidates[j]);
        return d < 0 ? 6.0 : double(d);
      });
    if (options_.pos_agreement && words_.pos) {
      const std::string_view want = !x.pos.empty() ? std::string_view(x.pos) : words_.pos(x.word);
      add(true, [&](std::size_t j) {
        const auto p = words_.pos(candidates[j]);
        return !want.empty() && !p.empty() && p.front() == want.front() ? 1.0 : 0.0;
      });
    }
    if (options_.embedding_similarity && vectors_ && vectors_->find(x.word) >= 0)
      // A handful of dot products per instance: fewer operations than a kernel launch.
      add(true, [&](std::size_t j) { return host_cosine(x.word, candidates[j]); });
    if (features.empty()) return candidates;
    std::vector<std::string> out;
    for (const index_t k : rank_by_rank_sum(features, n)) out.push_back(candidates[std::size_t(k)]);
    return out;
  }

 private:
  /// The cosine of two words' vectors; −1 (the least similar) when the candidate has none.
  double host_cosine(std::string_view a, std::string_view b) const {
    const index_t ra = vectors_->find(a), rb = vectors_->find(b);
    if (ra < 0 || rb < 0) return -1.0;
    const auto m = vectors_->matrix();
    double dot = 0, na = 0, nb = 0;
    for (index_t k = 0; k < m.extent(1); ++k) {
      dot += double(m(ra, k)) * m(rb, k);
      na += double(m(ra, k)) * m(ra, k);
      nb += double(m(rb, k)) * m(rb, k);
    }
    return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
  }

  substitute_generator generate_;
  lexicon words_;
  ranking_options options_;
  const cilin* tree_;
  const word_vectors* vectors_;
};

}  // namespace posttrain::simplify
