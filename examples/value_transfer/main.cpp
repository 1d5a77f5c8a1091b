// SPDX-License-Identifier: Apache-2.0
// Transferable post-training in miniature (Inverse Value Learning, arXiv 2410.21027): a value
// network is trained, with the IVL loss, as the difference between a small frozen base model and
// demonstrations of a target domain; then it is added, unchanged, to a larger base model with a
// different vocabulary, through a cross-vocabulary map.
//
//   small base  a smoothed bigram model of the `fortunes` files outside the target topics
//   large base  the trigram model pocketsphinx-en-us ships (72k words, read with libsphinxbase),
//               restricted to the words that occur in the fortunes files
//   value net   a log-bilinear layer, z_V[w] = E_out[w]·E_in[previous word] + b[w], trained
//               with ivl_loss_and_gradient and Adam on the training entries of the target topic
//   target      the `computers` fortunes; every fifth entry is held out
//
// Printed: held-out perplexity of the five combinations, over the positions whose next word
// both vocabularies know, and a few sentences decoded from the large base with and without the
// transferred value network.
//
//   value_transfer [--epochs E] [--dim D] [--positions N] [--eval M] [--train T] [--seed S]
//
// The reference network's N training positions (default 6000) and the M held-out positions
// (default 1500) bound the run time: the large base costs one lookup per word of its
// vocabulary per position. --train caps the value network's training positions (default: all of
// them, 31 939), a random subset, for a quicker run.
//
// Needs the Debian packages fortunes, pocketsphinx-en-us and libsphinxbase-dev.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/value.hpp>

extern "C" {
}

#include "../common/adam.hpp"
#include "../common/options.hpp"
#include "../common/pocketsphinx_lm.hpp"

namespace {

namespace va = posttrain::value;
using posttrain::index_t;
using examples::parameter;

const char* const fortunes_dir = "/usr/share/games/fortunes";
// The target domain and the topics left out of the small base (they overlap with it).
const std::set<std::string> target_topics = {"computers"};
const std::set<std::string> held_back = {"computers", "linux", "linuxcookie", "perl", "debian", "knghtbrd"};

using sentence = std::vector<std::string>;

/// The entries of one fortune file ('%' lines separate them), as lower-case words [a-z'].
std::vector<sentence> read_fortunes(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + " (Debian package fortunes)");
  std::vector<sentence> out(1);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "%") {
      if (!out.back().empty()) out.emplace_back();
      continue;
    }
    std::string word;
    for (const char ch : line + ' ') {
      const char c = char(std::tolower(static_cast<unsigned char>(ch)));
      if ((c >= 'a' && c <= 'z') || (c == '\'' && !word.empty())) {
        word += c;
      } else if (!word.empty()) {
        while (!word.empty() && word.back() == '\'') word.pop_back();
        if (!word.empty()) out.back().push_back(word);
        word.clear();
      }
    }
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

std::vector<std::string> topic_files() {
  const char* names[] = {"art", "ascii-art", "computers", "cookie", "debian", "definitions", "disclaimer", "drugs",
                         "education", "ethnic", "food", "fortunes", "goedel", "humorists", "kids", "knghtbrd", "law",
                         "linux", "linuxcookie", "literature", "love", "magic", "medicine", "men-women",
                         "miscellaneous", "news", "paradoxum", "people", "perl", "pets", "platitudes", "politics",
                         "pratchett", "riddles", "science", "songs-poems", "sports", "startrek", "tao", "translate-me",
                         "wisdom", "work", "zippy"};
  std::vector<std::string> files;
  for (const char* n : names)
    if (std::ifstream(std::string(fortunes_dir) + "/" + n)) files.push_back(n);
  return files;
}

/// A vocabulary: words ↔ ids.
struct vocabulary {
  std::vector<std::string> words;
  std::unordered_map<std::string, index_t> ids;
  index_t add(const std::string& w) {
    const auto [it, fresh] = ids.try_emplace(w, index_t(words.size()));
    if (fresh) words.push_back(w);
    return it->second;
  }
  index_t find(const std::string& w) const {
    const auto it = ids.find(w);
    return it == ids.end() ? -1 : it->second;
  }
  index_t size() const { return index_t(words.size()); }
};

/// One position of a sentence: the word before (or <s>), the word before that, the next word.
struct position {
  std::string previous2, previous, next;
};

std::vector<position> positions_of(const std::vector<sentence>& sentences) {
  std::vector<position> out;
  for (const auto& s : sentences) {
    std::string p2 = "<s>", p1 = "<s>";
    for (std::size_t k = 0; k <= s.size(); ++k) {
      const std::string next = k < s.size() ? s[k] : "</s>";
      out.push_back({p2, p1, next});
      p2 = p1, p1 = next;
    }
  }
  return out;
}

/// The small base: P(w | v) = λ·c(v, w)/c(v) + (1 − λ)·P_unigram(w), the unigram add-one smoothed,
/// over a vocabulary of the words seen twice, <unk> and </s>. Logits are ln P.
class bigram_model {
 public:
  bigram_model(const std::vector<sentence>& corpus, double lambda) : lambda_(lambda) {
    std::unordered_map<std::string, long> counts;
    for (const auto& s : corpus)
      for (const auto& w : s) ++counts[w];
    vocab.add("<unk>");
    vocab.add("</s>");
    std::vector<std::string> kept;
    for (const auto& [w, c] : counts)
      if (c >= 2) kept.push_back(w);
    std::sort(kept.begin(), kept.end());
    for (const auto& w : kept) vocab.add(w);
    unigram_.assign(std::size_t(vocab.size()), 1.0);
    double total = double(vocab.size());
    for (const auto& s : corpus) {
      index_t prev = -1;  // <s>
      for (std::size_t k = 0; k <= s.size(); ++k) {
        const index_t w = k < s.size() ? id(s[k]) : 1;
        unigram_[std::size_t(w)] += 1, total += 1;
        ++bigram_[prev][w];
        ++context_[prev];
        prev = w;
      }
    }
    for (auto& u : unigram_) u /= total;
  }

  index_t id(const std::string& w) const {
    const index_t i = vocab.find(w);
    return i < 0 ? 0 : i;
  }
  index_t context_id(const std::string& w) const { return w == "<s>" ? -1 : id(w); }

  /// ln P(· | previous) into row[0, V).
  void logits(const std::string& previous, float* row) const {
    const index_t v = context_id(previous);
    const auto c = context_.find(v);
    const double n = c == context_.end() ? 0.0 : double(c->second);
    const double lam = n > 0 ? lambda_ : 0.0;
    std::vector<double> p(unigram_.size());
    for (std::size_t w = 0; w < p.size(); ++w) p[w] = (1 - lam) * unigram_[w];
    if (n > 0)
      for (const auto& [w, k] : bigram_.at(v)) p[std::size_t(w)] += lam * double(k) / n;
    for (std::size_t w = 0; w < p.size(); ++w) row[w] = float(std::log(p[w]));
  }

  vocabulary vocab;

 private:
  double lambda_;
  std::vector<double> unigram_;
  std::unordered_map<index_t, std::unordered_map<index_t, long>> bigram_;
  std::unordered_map<index_t, long> context_;
};

/// The large base: the pocketsphinx trigram model over the words of `keep` it knows (and </s>).
class trigram_model {
 public:
  explicit trigram_model(const std::set<std::string>& keep) {
    for (const auto& w : keep)
      if (lm_.knows(w)) {
        vocab.add(w);
        wid_.push_back(lm_.id(w));
      }
    vocab.add("</s>");
    wid_.push_back(lm_.id("</s>"));
  }

  /// ln P_LM(w | previous2, previous) for the kept words, into row[0, V).
  void logits(const std::string& previous2, const std::string& previous, float* row) const {
    const int32 h1 = lm_.id(previous), h2 = lm_.id(previous2);
    for (std::size_t k = 0; k < wid_.size(); ++k) row[k] = float(lm_.ln_trigram(int32(wid_[k]), h1, h2));
  }

  vocabulary vocab;

 private:
  examples::pocketsphinx_lm lm_;
  std::vector<index_t> wid_;
};

/// The value network: z_V[w] = E_out[w]·E_in[previous] + b[w] over one vocabulary (input and
/// output), d dimensions.
struct log_bilinear {
  index_t vocab, dim;
  parameter in, out, bias;
  log_bilinear(index_t v, index_t d, std::mt19937& gen)
      : vocab(v), dim(d), in(std::size_t(v * d), 0.1f, gen), out(std::size_t(v * d), 0.1f, gen),
        bias(std::size_t(v), 0.0f, gen) {}

  /// z [B, V] for the previous-word ids (−1: <s>, which reads a zero embedding).
  void forward(const posttrain::eigen_backend& be, const std::vector<index_t>& previous, std::vector<float>& h,
               std::vector<float>& z) const {
    const index_t b = index_t(previous.size());
    h.assign(std::size_t(b * dim), 0.f);
    for (index_t i = 0; i < b; ++i)
      if (previous[std::size_t(i)] >= 0)
        std::copy_n(in.value.begin() + previous[std::size_t(i)] * dim, dim, h.begin() + i * dim);
    z.resize(std::size_t(b * vocab));
    for (index_t i = 0; i < b; ++i) std::copy(bias.value.begin(), bias.value.end(), z.begin() + i * vocab);
    posttrain::ops::gemm(be, posttrain::tensor_view<const float, 2>(h.data(), b, dim),
                         posttrain::tensor_view<const float, 2>(out.value.data(), vocab, dim),
                         posttrain::tensor_view<float, 2>(z.data(), b, vocab), {.beta = 1.f, .transpose_b = true});
  }

  /// Gradients from ∂L/∂z [B, V] (accumulated into .grad, which the caller zeroes).
  void backward(const posttrain::eigen_backend& be, const std::vector<index_t>& previous, const std::vector<float>& h,
                const std::vector<float>& dz) {
    const index_t b = index_t(previous.size());
    const posttrain::tensor_view<const float, 2> g(dz.data(), b, vocab);
    posttrain::ops::gemm(be, g, posttrain::tensor_view<const float, 2>(h.data(), b, dim),
                         posttrain::tensor_view<float, 2>(out.grad.data(), vocab, dim),
                         {.beta = 1.f, .transpose_a = true});
    std::vector<float> dh(std::size_t(b * dim));
    posttrain::ops::gemm(be, g, posttrain::tensor_view<const float, 2>(out.value.data(), vocab, dim),
                         posttrain::tensor_view<float, 2>(dh.data(), b, dim));
    for (index_t i = 0; i < b; ++i) {
      for (index_t w = 0; w < vocab; ++w) bias.grad[std::size_t(w)] += dz[std::size_t(i * vocab + w)];
      if (previous[std::size_t(i)] >= 0)
        for (index_t k = 0; k < dim; ++k) in.grad[std::size_t(previous[std::size_t(i)] * dim + k)] += dh[std::size_t(i * dim + k)];
    }
  }

  void step(float lr, int t) {
    for (auto* p : {&in, &out, &bias}) {
      p->adam(lr, t);
      std::fill(p->grad.begin(), p->grad.end(), 0.f);
    }
  }
};

/// Base logits of a batch of positions into rows of z (the caller's function per position).
template <class BaseRow>
void base_rows(const std::vector<const position*>& batch, index_t vocab, std::vector<float>& z, const BaseRow& row) {
  z.resize(batch.size() * std::size_t(vocab));
  for (std::size_t i = 0; i < batch.size(); ++i) row(*batch[i], z.data() + i * std::size_t(vocab));
}

/// Trains a value network against a base model (its logits per position from `row`) on the
/// positions, with IVL's loss; `vocab` maps words to the network's ids (unknown → <unk> = `unk`).
template <class BaseRow>
void train(const posttrain::eigen_backend& be, log_bilinear& net, const std::vector<position>& data,
           const vocabulary& vocab, index_t unk, const BaseRow& row, int epochs, std::mt19937& gen, const char* name) {
  const std::size_t batch_size = 256;
  std::vector<std::size_t> order(data.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  // The base logits are fixed: computed once.
  std::vector<float> base(data.size() * std::size_t(net.vocab));
  for (std::size_t k = 0; k < data.size(); ++k) row(data[k], base.data() + k * std::size_t(net.vocab));
  const auto id = [&](const std::string& w) {
    const index_t i = vocab.find(w);
    return i < 0 ? unk : i;
  };
  std::vector<float> h, z, zb, grad;
  int t = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), gen);
    double loss = 0;
    int batches = 0;
    for (std::size_t start = 0; start < order.size(); start += batch_size) {
      const std::size_t b = std::min(batch_size, order.size() - start);
      std::vector<index_t> previous(b);
      std::vector<std::int64_t> labels(b);
      zb.resize(b * std::size_t(net.vocab));
      for (std::size_t i = 0; i < b; ++i) {
        const position& p = data[order[start + i]];
        previous[i] = p.previous == "<s>" ? -1 : id(p.previous);
        labels[i] = id(p.next);
        std::copy_n(base.begin() + std::ptrdiff_t(order[start + i] * std::size_t(net.vocab)), net.vocab,
                    zb.begin() + std::ptrdiff_t(i * std::size_t(net.vocab)));
      }
      net.forward(be, previous, h, z);
      grad.resize(z.size());
      const index_t rows = index_t(b);
      const auto r = va::ivl_loss_and_gradient(
          be, posttrain::tensor_view<const float, 2>(zb.data(), rows, net.vocab),
          posttrain::tensor_view<const float, 2>(z.data(), rows, net.vocab),
          posttrain::tensor_view<const std::int64_t, 1>(labels.data(), rows),
          posttrain::tensor_view<float, 2>(grad.data(), rows, net.vocab), {.lambda = 1.0});
      loss += r.loss, ++batches;
      net.backward(be, previous, h, grad);
      net.step(3e-3f, ++t);
    }
    std::printf("  %-28s epoch %d: IVL loss %.4f\n", name, epoch, loss / batches);
  }
}

/// Mean negative log-likelihood of the next words under log-softmax of the scores row(p).
template <class Scores>
double perplexity(const std::vector<position>& eval, const vocabulary& vocab, const Scores& scores) {
  std::vector<float> row(std::size_t(vocab.size()));
  double nll = 0;
  for (const auto& p : eval) {
    scores(p, row.data());
    double top = -1e300;
    for (float x : row) top = std::max(top, double(x));
    double s = 0;
    for (float x : row) s += std::exp(double(x) - top);
    nll -= double(row[std::size_t(vocab.find(p.next))]) - top - std::log(s);
  }
  return std::exp(nll / double(eval.size()));
}

}  // namespace

int main(int argc, char** argv) {
  const examples::command_line args(argc, argv,
                                    "usage: value_transfer [--epochs E] [--dim D] [--positions N] [--eval M] [--train T] [--seed S]",
                                    {"epochs", "dim", "positions", "eval", "train", "seed"});
  const int epochs = static_cast<int>(args.whole("epochs", 3, 0, 1000));
  const index_t dim = args.whole("dim", 32, 1, 4096);
  const std::size_t max_positions = args.whole("positions", 6000, 1);
  const std::size_t max_eval = args.whole("eval", 1500, 1);
  const std::size_t max_train = args.whole("train", std::numeric_limits<long long>::max(), 1);
  std::mt19937 gen(static_cast<unsigned>(args.whole("seed", 1, 0, 4294967295LL)));
  const auto t0 = std::chrono::steady_clock::now();
  try {
    // Corpora.
    std::vector<sentence> general, target_train, target_eval;
    std::set<std::string> all_words;
    for (const auto& topic : topic_files()) {
      const auto entries = read_fortunes(std::string(fortunes_dir) + "/" + topic);
      for (std::size_t k = 0; k < entries.size(); ++k) {
        for (const auto& w : entries[k]) all_words.insert(w);
        if (target_topics.count(topic)) (k % 5 == 4 ? target_eval : target_train).push_back(entries[k]);
        else if (!held_back.count(topic)) general.push_back(entries[k]);
      }
    }
    const bigram_model small(general, 0.6);
    const trigram_model large(all_words);
    // The value network trains on every training position (or a random `train` of them); the
    // reference, which needs the large base's V lookups per position, on a random subset of
    // `positions` of them.
    auto train_positions = positions_of(target_train);
    std::shuffle(train_positions.begin(), train_positions.end(), gen);
    if (train_positions.size() > max_train) train_positions.resize(max_train);
    std::vector<position> reference_positions(
        train_positions.begin(), train_positions.begin() + std::ptrdiff_t(std::min(max_positions, train_positions.size())));
    // Held-out positions whose next word both vocabularies know (so the perplexities compare).
    std::vector<position> eval;
    for (const auto& p : positions_of(target_eval))
      if (small.vocab.find(p.next) > 1 || p.next == "</s>")
        if (large.vocab.find(p.next) >= 0) eval.push_back(p);
    if (eval.size() > max_eval) {  // an evenly spread subset: the large base costs V lookups a position
      std::vector<position> subset;
      for (std::size_t k = 0; k < max_eval; ++k) subset.push_back(eval[k * eval.size() / max_eval]);
      eval = std::move(subset);
    }
    std::printf("small base: bigram of %zu fortunes outside the target topics, vocabulary %lld\n", general.size(),
                static_cast<long long>(small.vocab.size()));
    std::printf("large base: pocketsphinx-en-us trigram restricted to the fortunes' words, vocabulary %lld\n",
                static_cast<long long>(large.vocab.size()));
    std::printf("target: 'computers' fortunes, %zu training positions (%zu for the reference), %zu held-out\n\n",
                train_positions.size(), reference_positions.size(), eval.size());

    // The value network's vocabulary is the small base's; its map onto the large base's words.
    const auto map = va::build_one_to_one_map(large.vocab.words, small.vocab.words);
    const posttrain::eigen_backend be;
    const auto small_row = [&](const position& p, float* row) { small.logits(p.previous, row); };
    const auto large_row = [&](const position& p, float* row) { large.logits(p.previous2, p.previous, row); };
    // The large base's rows of the held-out positions, computed once for the three evaluations.
    std::unordered_map<const position*, std::vector<float>> large_cache;
    for (const auto& p : eval) {
      auto& r = large_cache[&p];
      r.resize(std::size_t(large.vocab.size()));
      large_row(p, r.data());
    }
    const auto large_base = [&](const position& p, float* row) {
      if (const auto it = large_cache.find(&p); it != large_cache.end()) std::copy(it->second.begin(), it->second.end(), row);
      else large_row(p, row);
    };

    log_bilinear value(small.vocab.size(), dim, gen);
    train(be, value, train_positions, small.vocab, 0, small_row, epochs, gen, "value net (small base)");
    log_bilinear reference(large.vocab.size(), dim, gen);
    train(be, reference, reference_positions, large.vocab, large.vocab.find("</s>"), large_row, epochs, gen,
          "value net (large base)");

    // Value logits of one position, as a row over the network's vocabulary.
    const auto value_row = [&](const log_bilinear& net, const vocabulary& vocab, index_t unk, const position& p,
                               std::vector<float>& z) {
      std::vector<float> h;
      const index_t prev = p.previous == "<s>" ? -1 : (vocab.find(p.previous) < 0 ? unk : vocab.find(p.previous));
      net.forward(be, {prev}, h, z);
    };
    // Transferred: the small-base value network mapped onto the large vocabulary (unmapped: 0).
    const auto transferred = [&](const position& p, float* row) {
      std::vector<float> z, mapped(std::size_t(large.vocab.size()));
      value_row(value, small.vocab, 0, p, z);
      va::apply_map(be, map, posttrain::tensor_view<const float, 2>(z.data(), 1, small.vocab.size()),
                    posttrain::tensor_view<float, 2>(mapped.data(), 1, large.vocab.size()));
      large_base(p, row);
      for (index_t k = 0; k < large.vocab.size(); ++k) row[k] += mapped[std::size_t(k)];
    };

    const double ppl_small = perplexity(eval, small.vocab, small_row);
    const double ppl_small_value = perplexity(eval, small.vocab, [&](const position& p, float* row) {
      std::vector<float> z;
      value_row(value, small.vocab, 0, p, z);
      small_row(p, row);
      for (index_t k = 0; k < small.vocab.size(); ++k) row[k] += z[std::size_t(k)];
    });
    const double ppl_large = perplexity(eval, large.vocab, large_base);
    const double ppl_transfer = perplexity(eval, large.vocab, transferred);
    const double ppl_reference = perplexity(eval, large.vocab, [&](const position& p, float* row) {
      std::vector<float> z;
      value_row(reference, large.vocab, large.vocab.find("</s>"), p, z);
      large_base(p, row);
      for (index_t k = 0; k < large.vocab.size(); ++k) row[k] += z[std::size_t(k)];
    });
    std::printf("\nheld-out perplexity on 'computers' (%zu positions):\n", eval.size());
    std::printf("  %-56s %8.1f\n", "small base (bigram)", ppl_small);
    std::printf("  %-56s %8.1f\n", "small base + value network", ppl_small_value);
    std::printf("  %-56s %8.1f\n", "large base (pocketsphinx trigram)", ppl_large);
    std::printf("  %-56s %8.1f\n", "large base + the same value network (transferred)", ppl_transfer);
    std::printf("  %-56s %8.1f\n", "large base + a value network trained on it (reference)", ppl_reference);
    std::printf("  (the map covers %lld of the large base's %lld words)\n", static_cast<long long>(map.mapped()),
                static_cast<long long>(large.vocab.size()));

    // Decoding from the large base, without and with the transferred value network.
    std::printf("\nsampled from the large base (T = 0.8, top-p 0.9), same seeds:\n");
    for (int with_value = 0; with_value < 2; ++with_value)
      for (std::uint64_t seed : {7u, 8u, 9u}) {
        std::string p2 = "<s>", p1 = "<s>", text;
        std::vector<float> row(std::size_t(large.vocab.size()));
        for (std::uint64_t step = 0; step < 14; ++step) {
          const position p{p2, p1, ""};
          if (with_value) transferred(p, row.data());
          else large_base(p, row.data());
          std::int64_t token = 0;
          float lp = 0;
          const std::uint64_t seeds[] = {seed};
          va::decode_step(be, posttrain::tensor_view<const float, 2>(row.data(), 1, large.vocab.size()), seeds, step,
                          posttrain::tensor_view<std::int64_t, 1>(&token, 1), posttrain::tensor_view<float, 1>(&lp, 1),
                          {.temperature = 0.8, .top_p = 0.9});
          const std::string& w = large.vocab.words[std::size_t(token)];
          if (w == "</s>") break;
          text += (text.empty() ? "" : " ") + w;
          p2 = p1, p1 = w;
        }
        std::printf("  %-13s %s\n", with_value ? "+ value net:" : "base alone:", text.c_str());
      }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "value_transfer: %s\n", e.what());
    return 1;
  }
  std::printf("\n(%.1f s)\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}
