// SPDX-License-Identifier: Apache-2.0
// Building a simplification corpus with the Trans-SS rule (Lu et al. 2021), from real text.
// No parallel translation corpus ships with Debian, so the pairs are made honestly from the
// sentences of the `fortunes` files: each sentence is paired with a rewrite that swaps words for
// synonyms from the MyThes thesaurus (mythes-en-us), picking the shortest synonym (an easier
// paraphrase) for half of the sentences and the longest (a harder one) for the other half, as a
// translation system's output sometimes reads easier and sometimes harder than the reference.
// The pairs then go through the same rule `posttrain simplify-pairs` applies to a real corpus:
// different text, > 3 words each, sentence BLEU > 15, |ΔFRE| > 10; the easier side is simple.
//
//   simplify_corpus [--sentences N] [--thesaurus PATH] [--dictionary PATH] [--seed S]
//
// Needs the Debian packages fortunes and mythes-en-us; --dictionary takes a CMU dictionary
// (pocketsphinx-en-us's cmudict-en-us.dict) for syllables.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/simplify.hpp>

#include "../common/fortunes.hpp"
#include "../common/options.hpp"

namespace {

namespace sp = posttrain::simplify;
using posttrain::index_t;

bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// The sentence with some words swapped for a one-word synonym: the one with the fewest
/// syllables (easier) or the most (harder); the first letter's case is kept.
std::string rewrite(const std::string& sentence, const sp::thesaurus& thesaurus, const sp::syllable_counter& syllables,
                    bool easier, std::mt19937& gen) {
  static const std::set<std::string> keep = {"that", "this", "with", "from", "have", "were", "they", "their",
                                             "there", "what", "when", "which", "will", "would", "your", "about"};
  std::bernoulli_distribution coin(0.6);
  std::string out;
  for (std::size_t i = 0; i < sentence.size();) {
    if (!ascii_letter(sentence[i])) {
      out += sentence[i++];
      continue;
    }
    std::size_t j = i;
    while (j < sentence.size() && ascii_letter(sentence[j])) ++j;
    const std::string word = sentence.substr(i, j - i);
    std::string chosen = word;
    if (word.size() >= 4 && !keep.count(posttrain::text::lowercase(word)) && coin(gen)) {
      index_t best = syllables(word);
      for (const auto& s : thesaurus.synonyms(word)) {
        if (!std::all_of(s.begin(), s.end(), ascii_letter)) continue;  // one plain word only
        const index_t n = syllables(s);
        if (easier ? n < best : n > best) best = n, chosen = s;
      }
      if (chosen != word && word[0] >= 'A' && word[0] <= 'Z') chosen[0] = char(chosen[0] - 'a' + 'A');
    }
    out += chosen;
    i = j;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const examples::command_line args(
      argc, argv, "usage: simplify_corpus [--sentences N] [--thesaurus PATH] [--dictionary PATH] [--seed S]",
      {"sentences", "thesaurus", "dictionary", "seed"});
  const std::size_t limit = args.whole("sentences", 20000, 1);
  const std::string thesaurus_path = args.text("thesaurus", "/usr/share/mythes/th_en_US_v2.dat");
  const std::string dictionary_path = args.text("dictionary", "");
  std::mt19937 gen(static_cast<unsigned>(args.whole("seed", 1, 0, 4294967295LL)));
  const auto t0 = std::chrono::steady_clock::now();
  try {
    const auto thesaurus = sp::thesaurus::load(thesaurus_path);
    sp::pronouncing_dictionary dictionary;
    if (!dictionary_path.empty()) dictionary = sp::pronouncing_dictionary::load(dictionary_path);
    const sp::syllable_counter syllables{dictionary_path.empty() ? nullptr : &dictionary};
    std::vector<std::string> sentences;
    for (const char* topic : {"fortunes", "literature", "wisdom", "science", "people", "politics", "work", "love",
                              "education", "humorists", "miscellaneous", "platitudes", "law", "medicine"})
      for (auto& s : examples::fortune_sentences(std::string(examples::fortunes_dir) + topic)) {
        const auto n = posttrain::text::words(s).size();
        if (n >= 6 && n <= 25 && sentences.size() < limit) sentences.push_back(std::move(s));
      }
    if (sentences.empty()) throw std::runtime_error("no sentences: is the Debian package fortunes installed?");
    std::vector<std::string> rewrites(sentences.size());
    for (std::size_t k = 0; k < sentences.size(); ++k) rewrites[k] = rewrite(sentences[k], thesaurus, syllables, k % 2 == 0, gen);

    // The filter, every pair in parallel (as posttrain simplify-pairs runs it).
    std::vector<sp::pair_decision> decisions(sentences.size());
    const posttrain::eigen_backend be;
    be.parallel_for(index_t(sentences.size()), [&](index_t r0, index_t r1) {
      for (index_t k = r0; k < r1; ++k)
        decisions[std::size_t(k)] = sp::judge_pair(sentences[std::size_t(k)], rewrites[std::size_t(k)], {}, syllables);
    });
    long counts[6] = {};
    for (const auto& d : decisions) ++counts[int(d.verdict)];
    std::printf("%zu fortunes sentences paired with a synonym rewrite (thesaurus of %zu entries; syllables %s)\n",
                sentences.size(), thesaurus.size(), dictionary_path.empty() ? "by the heuristic" : "from the dictionary");
    std::printf("kept %ld (%.1f%%); dropped: identical %ld, too_short %ld, unknown_token %ld, low_bleu %ld, "
                "small_difference %ld\n\n",
                counts[0], 100.0 * double(counts[0]) / double(sentences.size()), counts[1], counts[2], counts[3],
                counts[4], counts[5]);
    int shown = 0;
    for (std::size_t k = 0; k < sentences.size() && shown < 6; ++k) {
      const auto& d = decisions[k];
      if (d.verdict != sp::pair_verdict::kept || sentences[k].size() > 90) continue;
      const bool ref_simple = d.reference_is_simple;
      std::printf("complex (FRE %6.1f): %s\nsimple  (FRE %6.1f): %s\n                     BLEU %.1f\n\n",
                  ref_simple ? d.translation_score : d.reference_score, (ref_simple ? rewrites[k] : sentences[k]).c_str(),
                  ref_simple ? d.reference_score : d.translation_score, (ref_simple ? sentences[k] : rewrites[k]).c_str(),
                  d.bleu);
      ++shown;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "simplify_corpus: %s\n", e.what());
    return 1;
  }
  std::printf("(%.1f s)\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}
