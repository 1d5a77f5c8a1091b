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
//                without repeats, that pass the filter if one is set (set_filter: an
//                inflection rule, one word only, …); none left → the word itself
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
//                and any context feature added with add_feature (an LM's fit of the candidate
//                in the sentence, say). The defaults are the features that did best on the CLS
//                dev half (docs/simplify.md). Each result keeps every feature's values and ranks.
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

/// The generators combined by `mode`; a single generator is returned as it is.
inline substitute_generator hybrid_substitutes(std::vector<substitute_generator> generators,
                                               hybrid_mode mode = hybrid_mode::first_with_candidates) {
  if (generators.empty()) throw value_error("posttrain::simplify::hybrid_substitutes: no generators");
  for (std::size_t g = 0; g < generators.size(); ++g)
    if (!generators[g])
      throw value_error("posttrain::simplify::hybrid_substitutes: generator " + std::to_string(g) + " is empty");
  if (generators.size() == 1) return generators.front();  // nothing to combine
  return [generators = std::move(generators), mode](std::span<const lexical_instance> batch) {
    std::vector<std::vector<std::string>> out(batch.size());
    std::vector<lexical_instance> rest;  // first_with_candidates: the instances still without any
    std::vector<std::size_t> where;
    for (std::size_t g = 0; g < generators.size(); ++g) {
      if (mode == hybrid_mode::merge || g == 0) {
        const auto lists = generators[g](batch);
        for (std::size_t i = 0; i < batch.size(); ++i)
          for (const auto& c : lists.at(i))
            if (std::find(out[i].begin(), out[i].end(), c) == out[i].end()) out[i].push_back(c);
        continue;
      }
      // Only the instances that no earlier generator served (an embedding search is a GEMM).
      rest.clear();
      where.clear();
      for (std::size_t i = 0; i < batch.size(); ++i)
        if (out[i].empty()) rest.push_back(batch[i]), where.push_back(i);
      if (rest.empty()) break;
      const auto lists = generators[g](rest);
      for (std::size_t k = 0; k < rest.size(); ++k)
        for (const auto& c : lists.at(k))
          if (std::find(out[where[k]].begin(), out[where[k]].end(), c) == out[where[k]].end()) out[where[k]].push_back(c);
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

/// The options that switch on exactly the named features: frequency, length, order,
/// shared-characters, rarest-character, cilin-distance, pos, cosine (feature_column's names).
/// An unknown name is a value_error that lists the known ones.
inline ranking_options ranking_features(std::span<const std::string> names) {
  ranking_options o;
  o.frequency = o.length_difference = o.generator_order = o.shared_characters = false;
  o.rarest_character = o.cilin_distance = o.pos_agreement = o.embedding_similarity = false;
  for (const auto& name : names) {
    if (name == "frequency") o.frequency = true;
    else if (name == "length") o.length_difference = true;
    else if (name == "order") o.generator_order = true;
    else if (name == "shared-characters") o.shared_characters = true;
    else if (name == "rarest-character") o.rarest_character = true;
    else if (name == "cilin-distance") o.cilin_distance = true;
    else if (name == "pos") o.pos_agreement = true;
    else if (name == "cosine") o.embedding_similarity = true;
    else
      throw value_error("unknown feature '" + name +
                        "' (frequency, length, order, shared-characters, rarest-character, cilin-distance, pos, cosine)");
  }
  return o;
}

/// The features `posttrain lexical-simplify` ranks by unless told: for Chinese, those that did
/// best on the CLS dev half (docs/simplify.md); for the others, the frequency and the
/// generator's order (the TSAR trial sets, 10–12 instances, are too small to choose by); and the
/// cosine when word vectors are given.
inline std::vector<std::string> default_ranking_features(bool chinese, bool with_vectors) {
  std::vector<std::string> names = chinese ? std::vector<std::string>{"frequency", "length", "order", "shared-characters"}
                                           : std::vector<std::string>{"frequency", "order"};
  if (with_vectors) names.emplace_back("cosine");
  return names;
}

/// A feature's values and ranks for the selected candidates, in selection order.
struct feature_column {
  std::string name;  // frequency, length, order, shared-characters, rarest-character,
                     // cilin-distance, pos, cosine, or the name given to add_feature
  std::vector<double> values;
  std::vector<index_t> ranks;  // 1 = best, ties share the lowest rank
  bool larger_is_better = true;
};

/// One instance's way through the pipeline.
struct lexical_result {
  std::vector<std::string> generated;     // the generator's candidates
  std::vector<std::string> selected;      // those selected, in the generator's order
  std::vector<std::string> ranked;        // the selected candidates, best first (empty: none)
  std::vector<feature_column> features;   // what ranked them (none when fewer than 2 were selected)
  std::string choice;                     // the substitute, or the word itself
};

/// A feature that needs the instance (its sentence, tokens, position): one value per candidate.
using context_feature =
    std::function<std::vector<double>(const lexical_instance&, const std::vector<std::string>& candidates)>;

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

  /// Drops, at selection, every candidate for which keep(instance, candidate) is false.
  lexical_simplifier& set_filter(std::function<bool(const lexical_instance&, const std::string&)> keep) {
    filter_ = std::move(keep);
    return *this;
  }
  /// Ranks by one more feature, computed from the instance and its selected candidates.
  lexical_simplifier& add_feature(std::string name, context_feature feature, bool larger_is_better = true) {
    if (!feature) throw value_error("posttrain::simplify::lexical_simplifier::add_feature: '" + name + "' is empty");
    extra_.push_back({std::move(name), std::move(feature), larger_is_better});
    return *this;
  }

  std::vector<lexical_result> run(std::span<const lexical_instance> batch) const {
    auto generated = generate_(batch);
    if (generated.size() != batch.size())
      throw shape_error("posttrain::simplify::lexical_simplifier: the generator gave " +
                        std::to_string(generated.size()) + " lists for " + std::to_string(batch.size()) + " instances");
    std::vector<lexical_result> out(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      out[i].generated = std::move(generated[i]);
      out[i].selected = select(batch[i], out[i].generated);
      out[i].features = features(batch[i], out[i].selected);
      out[i].ranked = order(out[i].selected, out[i].features);
      out[i].choice = batch[i].word;
      if (!out[i].ranked.empty() &&
          (!options_.only_if_more_frequent || words_.frequency(out[i].ranked.front()) > words_.frequency(batch[i].word)))
        out[i].choice = out[i].ranked.front();
    }
    return out;
  }

  /// The candidates the lexicon knows and the filter keeps, without the word and without
  /// repeats, in their order.
  std::vector<std::string> select(const lexical_instance& x, const std::vector<std::string>& candidates) const {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen{x.word};
    for (const auto& c : candidates)
      if (words_.frequency(c) > 0 && (!filter_ || filter_(x, c)) && seen.insert(c).second) out.push_back(c);
    return out;
  }

  /// The candidates ordered by the sum of their feature ranks (see the header comment).
  std::vector<std::string> rank(const lexical_instance& x, const std::vector<std::string>& candidates) const {
    return order(candidates, features(x, candidates));
  }

  /// Every feature's values and ranks for the candidates (none for fewer than two).
  std::vector<feature_column> features(const lexical_instance& x, const std::vector<std::string>& candidates) const {
    const std::size_t n = candidates.size();
    std::vector<feature_column> features;
    if (n < 2) return features;
    const auto add = [&](const char* name, bool larger_is_better, auto value) {
      feature_column f;
      f.name = name;
      f.larger_is_better = larger_is_better;
      for (std::size_t j = 0; j < n; ++j) f.values.push_back(value(j));
      features.push_back(std::move(f));
    };
    const auto word_chars = text::decode_utf8(x.word).chars;
    std::vector<std::u32string> chars;
    for (const auto& c : candidates) chars.push_back(text::decode_utf8(c).chars);
    if (options_.frequency) add("frequency", true, [&](std::size_t j) { return words_.frequency(candidates[j]); });
    if (options_.length_difference)
      add("length", false, [&](std::size_t j) { return std::abs(double(chars[j].size()) - double(word_chars.size())); });
    if (options_.generator_order) add("order", false, [&](std::size_t j) { return double(j); });
    if (options_.shared_characters)
      add("shared-characters", true, [&](std::size_t j) {
        double shared = 0;
        for (std::size_t k = 0; k < chars[j].size(); ++k)
          if (chars[j].find(chars[j][k]) == k && word_chars.find(chars[j][k]) != std::u32string::npos) ++shared;
        return shared;
      });
    if (options_.rarest_character && words_.character_frequency)
      add("rarest-character", true, [&](std::size_t j) {
        double rarest = std::numeric_limits<double>::infinity();
        for (const char32_t c : chars[j]) rarest = std::min(rarest, words_.character_frequency(c));
        return chars[j].empty() ? 0.0 : rarest;
      });
    if (options_.cilin_distance && tree_)
      add("cilin-distance", false, [&](std::size_t j) {
        const int d = tree_->distance(x.word, candidates[j]);
        return d < 0 ? 6.0 : double(d);
      });
    if (options_.pos_agreement && words_.pos) {
      const std::string_view want = !x.pos.empty() ? std::string_view(x.pos) : words_.pos(x.word);
      add("pos", true, [&](std::size_t j) {
        const auto p = words_.pos(candidates[j]);
        return !want.empty() && !p.empty() && p.front() == want.front() ? 1.0 : 0.0;
      });
    }
    if (options_.embedding_similarity && vectors_ && vectors_->find(x.word) >= 0)
      // A handful of dot products per instance: fewer operations than a kernel launch.
      add("cosine", true, [&](std::size_t j) { return host_cosine(x.word, candidates[j]); });
    for (const auto& e : extra_) {
      feature_column f;
      f.name = e.name;
      f.larger_is_better = e.larger_is_better;
      f.values = e.compute(x, candidates);
      if (f.values.size() != n)
        throw shape_error("posttrain::simplify::lexical_simplifier: the feature '" + e.name + "' gave " +
                          std::to_string(f.values.size()) + " values for " + std::to_string(n) + " candidates");
      features.push_back(std::move(f));
    }
    for (auto& f : features) f.ranks = competition_ranks(f.values, f.larger_is_better);
    return features;
  }

  /// The candidates by the ascending sum of the features' ranks (ties in candidate order).
  static std::vector<std::string> order(const std::vector<std::string>& candidates,
                                        const std::vector<feature_column>& features) {
    if (features.empty()) return candidates;
    std::vector<ranking_feature> ranking;
    for (const auto& f : features) ranking.push_back({f.values, f.larger_is_better});
    std::vector<std::string> out;
    for (const index_t k : rank_by_rank_sum(ranking, candidates.size())) out.push_back(candidates[std::size_t(k)]);
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

  struct extra_feature {
    std::string name;
    context_feature compute;
    bool larger_is_better;
  };

  substitute_generator generate_;
  std::function<bool(const lexical_instance&, const std::string&)> filter_;
  std::vector<extra_feature> extra_;
  lexicon words_;
  ranking_options options_;
  const cilin* tree_;
  const word_vectors* vectors_;
};

}  // namespace posttrain::simplify
