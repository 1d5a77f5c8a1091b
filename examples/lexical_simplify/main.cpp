// SPDX-License-Identifier: Apache-2.0
// Lexical simplification, generate → select → rank (Qiang et al., TASLP 2021), on real sentences
// from the Debian package fortunes:
//
//   complex words  lowercase words of 4+ letters (capitalised ones are taken as names) that the
//                  frequency list finds rare: log10 of their share of its counts ≤ --rare (−5 by
//                  default, rarer than one word in 100 000)
//   generate       the hybrid: the MyThes thesaurus' synonyms (mythes-en-us) when it has the
//                  word, else its nearest words in the embedding with cosine ≥ --min-cosine (0.6;
//                  cosine top-k on the backend)
//   select         the one-word candidates with the word's inflection (-ing, -ed, -ly, -s) that
//                  the frequency list knows (pocketsphinx's 72k-word unigrams, or a
//                  word<TAB>count file, e.g. from scripts/export-wordfreq), not the word itself
//   rank           the sum of the ranks of: the trigram model's fit of the candidate in the
//                  sentence (log P of the three trigrams that contain it), its frequency in the
//                  list, the generator's own order (the thesaurus lists the main senses first),
//                  and its cosine with the complex word when the complex word has a vector
//   choose         the best-ranked candidate replaces the word when it is more frequent
//
// The steps are the library's simplify::lexical_simplifier, the pipeline `posttrain
// lexical-simplify` runs too; the example adds its inflection rule as the selection filter and
// the trigram model's fit as a context feature.
//
// No pretrained word vectors ship with Debian, so by default the embedding is built here from
// the fortunes text itself (PPMI + randomized SVD, ppmi_vectors.hpp; under half a million words,
// so only words seen 5+ times get a vector, and the neighbours are rough); --vectors takes word2vec / GloVe text files instead.
//
//   lexical_simplify [--sentences N] [--rare L] [--vectors PATH] [--frequencies PATH]
//                    [--thesaurus PATH] [--min-cosine C]
//
// Needs the Debian packages fortunes, mythes-en-us, pocketsphinx-en-us and libsphinxbase-dev.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/simplify.hpp>
#include <posttrain/simplify/lexical_pipeline.hpp>
#include <posttrain/simplify/neighbours.hpp>

#include "../common/fortunes.hpp"
#include "../common/options.hpp"
#include "../common/pocketsphinx_lm.hpp"
#include "ppmi_vectors.hpp"

namespace {

namespace sp = posttrain::simplify;
using posttrain::index_t;

/// pocketsphinx's trigram model in log10: word frequencies and the fit of a word in context.
class trigram_lm {
 public:
  bool knows(const std::string& w) const { return lm_.knows(w); }
  /// log10 P(w), the unigram probability.
  double log10_unigram(const std::string& w) const { return lm_.ln_unigram(lm_.id(w)) / std::log(10.0); }
  /// log10 P(w | two, one): `one` the previous word, `two` the one before.
  double log10_trigram(const std::string& w, const std::string& one, const std::string& two) const {
    return lm_.ln_trigram(lm_.id(w), lm_.id(one), lm_.id(two)) / std::log(10.0);
  }
  /// Every word of the model with its unigram probability, as a frequency list.
  sp::frequency_list unigram_frequencies() const {
    sp::frequency_list f;
    for (int32 w = 0; w < lm_.size(); ++w)
      if (const char* word = lm_.word(w); word && word[0] != '<') f.add(word, std::exp(lm_.ln_unigram(w)));
    return f;
  }

 private:
  examples::pocketsphinx_lm lm_;
};

bool plain_word(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

/// The trigram model's fit of `candidate` at position i of the sentence's lowercase words: the
/// log10 P of the three trigrams that contain the slot.
double context_fit(const trigram_lm& lm, const std::vector<std::string>& words, std::size_t i, const std::string& candidate) {
  const auto at = [&](std::ptrdiff_t j) -> std::string {
    if (j < 0) return "<s>";
    if (j >= std::ptrdiff_t(words.size())) return "</s>";
    return j == std::ptrdiff_t(i) ? candidate : words[std::size_t(j)];
  };
  const auto p = std::ptrdiff_t(i);
  double s = lm.log10_trigram(candidate, at(p - 1), at(p - 2));
  // A following word the model does not know scores the same for every candidate: left out.
  if (lm.knows(at(p + 1))) s += lm.log10_trigram(at(p + 1), candidate, at(p - 1));
  if (p + 1 < std::ptrdiff_t(words.size()) && lm.knows(at(p + 2))) s += lm.log10_trigram(at(p + 2), at(p + 1), candidate);
  return s;
}

/// Whether the candidate carries the word's inflection: a word ending in -ing, -ed, -ly or -s
/// (not -ss) takes only candidates with the same ending ("flapping": "fluttering", not "flap").
bool same_inflection(const std::string& word, const std::string& candidate) {
  const auto ends = [](const std::string& w, std::string_view suffix) {
    return w.size() > suffix.size() + 2 && std::string_view(w).substr(w.size() - suffix.size()) == suffix;
  };
  for (const std::string_view suffix : {"ing", "ed", "ly"})
    if (ends(word, suffix)) return ends(candidate, suffix);
  if (ends(word, "s") && !ends(word, "ss") && !ends(word, "us") && !ends(word, "is")) return ends(candidate, "s");
  return true;
}

/// The sentence with the words at the given token positions replaced, "[shown]" so.
std::string with_replacements(const std::string& sentence, const std::vector<std::string>& tokens,
                              const std::vector<std::string>& replaced) {
  std::string out;
  std::size_t cursor = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::size_t at = sentence.find(tokens[i], cursor);
    if (at == std::string::npos) return out + sentence.substr(cursor);
    out += sentence.substr(cursor, at - cursor);
    out += replaced[i] == tokens[i] ? tokens[i] : "[" + replaced[i] + "]";
    cursor = at + tokens[i].size();
  }
  return out + sentence.substr(cursor);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  const examples::command_line args(argc, argv,
                                    "usage: lexical_simplify [--sentences N] [--rare L] [--vectors PATH] "
                                    "[--frequencies PATH] [--thesaurus PATH] [--min-cosine C]",
                                    {"sentences", "rare", "vectors", "frequencies", "thesaurus", "min-cosine"});
  const std::size_t wanted = args.whole("sentences", 6, 1);
  const double rare = args.number("rare", -5);
  const std::string vectors_path = args.text("vectors", "");
  const std::string frequencies_path = args.text("frequencies", "");
  const std::string thesaurus_path = args.text("thesaurus", "/usr/share/mythes/th_en_US_v2.dat");
  const double min_cosine = args.number("min-cosine", 0.6);
  try {
    const auto t0 = std::chrono::steady_clock::now();
    const auto thesaurus = sp::thesaurus::load(thesaurus_path);
    const trigram_lm lm;
    const auto frequencies =
        frequencies_path.empty() ? lm.unigram_frequencies() : sp::frequency_list::load(frequencies_path);
    const auto log10_frequency = [&](const std::string& w) { return std::log10(frequencies.relative(w)); };

    // The text: every sentence of every fortunes file (without the "-- Author" attributions),
    // its words, and their lowercase forms.
    std::vector<std::string> sentences;
    std::vector<std::vector<std::string>> original, tokens;
    std::vector<std::string> files;
    if (std::filesystem::is_directory(examples::fortunes_dir))
      for (const auto& entry : std::filesystem::directory_iterator(examples::fortunes_dir))
        if (entry.is_regular_file() && !entry.path().has_extension()) files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& file : files)
      for (auto& s : examples::fortune_sentences(file)) {
        if (const auto dash = s.find("--"); dash != std::string::npos) s.resize(dash);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
        std::vector<std::string> w = posttrain::text::words(s), lower;
        if (w.empty()) continue;
        for (const auto& x : w) lower.push_back(posttrain::text::lowercase(x));
        original.push_back(std::move(w));
        tokens.push_back(std::move(lower));
        sentences.push_back(std::move(s));
      }
    if (sentences.empty()) throw std::runtime_error("no text: is the Debian package fortunes installed?");
    std::size_t total_words = 0;
    for (const auto& t : tokens) total_words += t.size();

    const auto t1 = std::chrono::steady_clock::now();
    const sp::word_vectors vectors = vectors_path.empty() ? examples::ppmi_vectors(tokens) : sp::word_vectors::load_text(vectors_path);
    const posttrain::eigen_backend be;
    const sp::embedding_generator<posttrain::eigen_backend> embedding(be, vectors);
    std::printf("thesaurus %zu entries; frequency list %zu words (%s); trigram model %s\n", thesaurus.size(),
                frequencies.size(), frequencies_path.empty() ? "the trigram model's unigrams" : frequencies_path.c_str(),
                examples::pocketsphinx_lm::path);
    std::printf("word vectors: %zu words x %lld (%s, %.1f s)\n\n", vectors.size(), static_cast<long long>(vectors.width()),
                vectors_path.empty() ? "PPMI + randomized SVD of the fortunes text" : vectors_path.c_str(), seconds_since(t1));

    // The library's pipeline (simplify/lexical_pipeline.hpp, shared with posttrain
    // lexical-simplify): the hybrid generator (lowercased), selection with the inflection rule,
    // ranking by frequency, the generator's order, the cosine when the word has a vector, and
    // the trigram model's fit in context; the choice only when more frequent.
    const auto hybrid = sp::hybrid_substitutes(
        {sp::thesaurus_substitutes(thesaurus), sp::embedding_substitutes(embedding, 10, min_cosine)});
    const sp::substitute_generator lowercased = [&hybrid](std::span<const sp::lexical_instance> batch) {
      auto lists = hybrid(batch);
      for (auto& list : lists)
        for (auto& c : list) c = posttrain::text::lowercase(c);
      return lists;
    };
    sp::ranking_options options;
    options.length_difference = options.shared_characters = false;
    options.only_if_more_frequent = true;
    sp::lexical_simplifier simplifier(lowercased, sp::frequency_lexicon(frequencies), options, nullptr, &vectors);
    simplifier.set_filter([](const sp::lexical_instance& x, const std::string& c) {
      return plain_word(c) && same_inflection(x.word, c);
    });
    simplifier.add_feature("fit", [&lm](const sp::lexical_instance& x, const std::vector<std::string>& candidates) {
      std::vector<double> fit;
      for (const auto& c : candidates) fit.push_back(context_fit(lm, x.tokens, x.position, c));
      return fit;
    });

    static const std::set<std::string> skip = {"would", "could", "should", "there", "their", "about", "which"};
    std::size_t shown = 0, complex_words = 0, changed = 0;
    std::set<std::string> seen;  // each complex word is shown once
    for (std::size_t s = 0; s < sentences.size() && shown < wanted; ++s) {
      const auto& words = tokens[s];
      if (words.size() < 8 || words.size() > 22) continue;
      // The complex words of the sentence, one instance each.
      std::vector<sp::lexical_instance> batch;
      for (std::size_t i = 0; i < words.size(); ++i) {
        const auto& w = words[i];
        if (w.size() < 4 || !plain_word(w) || skip.count(w) || !frequencies.contains(w) || log10_frequency(w) > rare)
          continue;
        if (original[s][i][0] >= 'A' && original[s][i][0] <= 'Z') continue;  // a name, or a sentence's first word
        sp::lexical_instance x;
        x.sentence = sentences[s];
        x.word = w;
        x.tokens = words;
        x.position = i;
        batch.push_back(std::move(x));
      }
      if (batch.empty()) continue;
      const auto results = simplifier.run(batch);
      // Those with at least two selected candidates, each word once.
      std::vector<std::size_t> slots;
      for (std::size_t k = 0; k < batch.size(); ++k)
        if (results[k].selected.size() >= 2 && seen.insert(batch[k].word).second) slots.push_back(k);
      if (slots.empty()) continue;
      ++shown;
      std::printf("%s\n", sentences[s].c_str());
      std::vector<std::string> simplified = original[s];
      for (const std::size_t k : slots) {
        const auto& x = batch[k];
        const auto& r = results[k];
        const std::string& w = x.word;
        const std::size_t n = r.selected.size();
        const auto column = [&](std::string_view name) -> const sp::feature_column* {
          for (const auto& f : r.features)
            if (f.name == name) return &f;
          return nullptr;
        };
        const auto* fit = column("fit");
        const auto* frequency = column("frequency");
        const auto* order = column("order");
        const auto* cosine = column("cosine");
        ++complex_words;
        std::printf("  \"%s\" (log10 frequency %.2f): %zu candidates from the %s", w.c_str(), log10_frequency(w), n,
                    thesaurus.synonyms(w).empty() ? "embedding" : "thesaurus");
        const auto neighbours = embedding.candidates(w, 5);
        if (!neighbours.empty()) {
          std::printf("; its embedding neighbours:");
          for (const auto& nb : neighbours) std::printf(" %s (%.2f)", nb.word.c_str(), nb.similarity);
        }
        std::printf("\n    %-16s %12s %5s %12s %5s %6s", "candidate", "fit in ctx", "rank", "log10 freq", "rank", "order");
        if (cosine) std::printf(" %8s %5s", "cosine", "rank");
        std::printf(" %4s\n", "sum");
        for (std::size_t j = 0; j < std::min<std::size_t>(n, 6); ++j) {
          const auto c = std::size_t(std::find(r.selected.begin(), r.selected.end(), r.ranked[j]) - r.selected.begin());
          std::printf("    %-16s %12.2f %5lld %12.2f %5lld %6lld", r.selected[c].c_str(), fit->values[c],
                      static_cast<long long>(fit->ranks[c]), log10_frequency(r.selected[c]),
                      static_cast<long long>(frequency->ranks[c]), static_cast<long long>(order->ranks[c]));
          index_t sum = fit->ranks[c] + frequency->ranks[c] + order->ranks[c];
          if (cosine) {
            std::printf(" %8.2f %5lld", cosine->values[c], static_cast<long long>(cosine->ranks[c]));
            sum += cosine->ranks[c];
          }
          std::printf(" %4lld\n", static_cast<long long>(sum));
        }
        if (n > 6) std::printf("    … %zu more\n", n - 6);
        // The choice replaces the word only when it is more frequent (an easier word).
        if (r.choice != w) {
          simplified[x.position] = r.choice;
          ++changed;
          std::printf("    choice: %s\n", r.choice.c_str());
        } else {
          std::printf("    choice: keep \"%s\" (the best candidate, %s, is not more frequent)\n", w.c_str(),
                      r.ranked.front().c_str());
        }
      }
      std::printf("  → %s\n\n", with_replacements(sentences[s], original[s], simplified).c_str());
    }
    std::printf("%zu sentences, %zu complex words, %zu replaced; %zu sentences and %zu words of text read; %.1f s in all\n",
                shown, complex_words, changed, sentences.size(), total_words, seconds_since(t0));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lexical_simplify: %s\n", e.what());
    return 1;
  }
  return 0;
}
