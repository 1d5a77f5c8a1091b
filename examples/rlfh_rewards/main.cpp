// SPDX-License-Identifier: Apache-2.0
// Fine-grained rewards from statement-level feedback, as RLFH trains with them: three biography
// answers, each split into sentences and atomic statements that a verifier labelled (correct,
// hedged, vague, wrong) and graded for helpfulness, tokenised by a small word-piece tokenizer,
// traced back to the tokens that carry each reward, and turned into advantages (GAE, whitened over
// the batch) for PPO.
//
//   rlfh_rewards [--granularity token|sentence|response]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/reward.hpp>

#include "../common/options.hpp"

namespace rw = posttrain::reward;
using posttrain::index_t;

namespace {

/// A greedy longest-match word-piece tokenizer (BERT's rule): each space-separated word is cut
/// into the longest vocabulary pieces from its start, continuation pieces written "##piece";
/// single characters are always in the vocabulary, so every word tokenises. Spans are code-point
/// offsets into the text, as a fast tokenizer's offsets_mapping gives them.
class word_piece {
 public:
  explicit word_piece(const std::vector<std::string>& vocabulary) : vocab_(vocabulary.begin(), vocabulary.end()) {}

  struct token {
    std::string text;
    rw::token_span span;
  };

  std::vector<token> tokenize(const std::u32string& text) const {
    std::vector<token> out;
    std::size_t i = 0;
    while (i < text.size()) {
      if (text[i] == U' ') {
        ++i;
        continue;
      }
      std::size_t end = i;
      while (end < text.size() && text[end] != U' ') ++end;
      for (std::size_t start = i; start < end;) {
        std::size_t stop = end;
        for (; stop > start + 1; --stop)
          if (vocab_.count((start > i ? "##" : "") + utf8(text.substr(start, stop - start)))) break;
        out.push_back({(start > i ? "##" : "") + utf8(text.substr(start, stop - start)),
                       {index_t(start), index_t(stop)}});
        start = stop;
      }
      i = end;
    }
    return out;
  }

  static std::string utf8(const std::u32string& s) {
    std::string out;
    for (const char32_t c : s) posttrain::text::append_utf8(out, c);
    return out;
  }

 private:
  std::set<std::string> vocab_;
};

struct example {
  std::string question, response;
  bool ends_with_eos;
  std::vector<rw::sentence_feedback> feedback;
};

std::vector<example> biographies() {
  return {
      {"Tell me about Marie Curie.",
       "Marie Curie was a physicist and chemist born in Warsaw in 1867. She won the Nobel Prize in "
       "Physics in 1903 and in Chemistry in 1921. She discovered polonium and radium.",
       true,
       {{"Marie Curie was a physicist and chemist born in Warsaw in 1867.",
         {{"Marie Curie was a physicist", "correct", 4},
          {"Marie Curie was a chemist", "correct", 4},
          {"Marie Curie was born in Warsaw", "correct", 3},
          {"Marie Curie was born in 1867", "correct", 3}}},
        {"She won the Nobel Prize in Physics in 1903 and in Chemistry in 1921.",
         {{"She won the Nobel Prize in Physics in 1903", "correct", 5},
          {"She won the Nobel Prize in Chemistry in 1921", "wrong", 4}}},  // it was 1911
        {"She discovered polonium and radium.",
         {{"She discovered polonium", "correct", 4}, {"She discovered radium", "correct", 4}}}}},
      {"Who was Alan Turing?",
       "Alan Turing was a British mathematician. He probably invented the first computer in 1936. "
       "Did you know he liked running?",
       true,
       {{"Alan Turing was a British mathematician.", {{"Alan Turing was a British mathematician", "correct", 4}}},
        {"He probably invented the first computer in 1936.",
         {{"Alan Turing invented the first computer", "hedged_wrong", 3},
          {"Alan Turing's work dates from 1936", "hedged_correct", 2}}},
        {"Did you know he liked running?", {{"Alan Turing liked running", "correct", 1}}}}},
      {"What did Ada Lovelace do?",
       "Ada Lovelace wrote the first published algorithm for Babbage's Analytical Engine. Her notes "
       "describe many ideas about",
       false,  // cut off by the length limit
       {{"Ada Lovelace wrote the first published algorithm for Babbage's Analytical Engine.",
         {{"Ada Lovelace wrote the first published algorithm", "correct", 5},
          {"The algorithm was for Babbage's Analytical Engine", "correct", 4}}},
        {"Her notes describe many ideas about", {{"Her notes describe many ideas", "vague", 2}}}}},
  };
}

std::vector<std::string> vocabulary() {
  std::vector<std::string> v = {
      "Marie", "Curie", "was",   "a",     "and",    "born",  "in",     "Warsaw", "She",   "won",     "the",
      "Nobel", "Prize", "Physics", "Chemistry", "discovered", "Alan", "Turing", "British", "He", "probably",
      "invented", "first", "computer", "Did", "you",  "know",  "he",    "liked",  "Ada",   "wrote",   "published",
      "for",   "Her",   "notes", "describe", "many", "ideas", "about", "phys",   "##ic",  "##ist",   "chem",
      "##ist", "##s",   "##ing", "##ed",  "polon", "##ium", "rad",    "mathemat", "##ician", "Love", "##lace",
      "algo",  "##rithm", "Bab", "##bage", "##'s", "Analyt", "##ical", "Engine", "run", "##ning", "18", "19",
      "##67",  "##03",  "##21",  "##36",  "##."};
  for (char c = ' ' + 1; c < 127; ++c) {
    v.emplace_back(1, c);
    v.push_back(std::string("##") + c);
  }
  return v;
}

/// Columns on a terminal: code points, not bytes ("·" is two bytes).
std::size_t display_width(const std::string& s) {
  return std::size_t(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string padded(std::string s, std::size_t width) {
  const std::size_t w = display_width(s);
  if (w < width) s.append(width - w, ' ');
  return s;
}

/// Tokens on one line, values under them, each column as wide as its widest cell, wrapped.
void print_aligned(const std::vector<std::string>& tokens, const std::vector<std::vector<std::string>>& rows,
                   const std::vector<std::string>& labels) {
  constexpr std::size_t width = 100;
  std::size_t label_width = 8;
  for (const auto& l : labels) label_width = std::max(label_width, l.size() + 1);
  for (std::size_t first = 0; first < tokens.size();) {
    std::size_t used = label_width, last = first;
    std::vector<std::size_t> w;
    while (last < tokens.size()) {
      std::size_t cw = display_width(tokens[last]);
      for (const auto& r : rows) cw = std::max(cw, display_width(r[last]));
      if (used + cw + 1 > width && last > first) break;
      w.push_back(cw);
      used += cw + 1;
      ++last;
    }
    auto line = [&](const std::string& label, const std::vector<std::string>& cells) {
      std::string s = padded(label, label_width);
      for (std::size_t k = first; k < last; ++k) s += padded(cells[k], w[k - first]) + ' ';
      while (!s.empty() && s.back() == ' ') s.pop_back();
      std::cout << s << '\n';
    };
    line("token", tokens);
    for (std::size_t r = 0; r < rows.size(); ++r) line(labels[r], rows[r]);
    std::cout << '\n';
    first = last;
  }
}

std::string cell(double v) {
  if (v == 0) return "·";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%+.2f", v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  const examples::command_line args(argc, argv, "usage: rlfh_rewards [--granularity token|sentence|response]",
                                    {"granularity"});
  rw::tracing_config config;
  const std::string granularity = args.text("granularity", "token");
  if (granularity == "sentence") config.granularity = rw::reward_granularity::sentence;
  else if (granularity == "response") config.granularity = rw::reward_granularity::response;
  else if (granularity != "token") {
    args.fail("--granularity must be token, sentence or response, not '" + granularity + "'");
  }
  const word_piece tokenizer(vocabulary());
  const auto cases = biographies();

  // Trace each response, then lay the batch out as [B, T] for the PPO maths.
  std::vector<std::vector<word_piece::token>> tokens;
  std::vector<rw::traced_rewards> traced;
  index_t longest = 0;
  for (const auto& c : cases) {
    tokens.push_back(tokenizer.tokenize(posttrain::text::decode_utf8(c.response).chars));
    std::vector<rw::token_span> spans;
    for (const auto& t : tokens.back()) spans.push_back(t.span);
    traced.push_back(rw::trace_rewards(c.response, spans, c.feedback, c.ends_with_eos, config));
    longest = std::max(longest, index_t(spans.size()));
  }
  const index_t batch = index_t(cases.size());
  std::vector<float> rewards(std::size_t(batch * longest), 0.f), values(rewards.size(), 0.f);
  std::vector<float> mask(rewards.size(), 0.f), advantages(rewards.size()), returns(rewards.size());
  for (index_t b = 0; b < batch; ++b)
    for (index_t t = 0; t < index_t(tokens[std::size_t(b)].size()); ++t) {
      rewards[std::size_t(b * longest + t)] = float(traced[std::size_t(b)].token_rewards[std::size_t(t)]);
      mask[std::size_t(b * longest + t)] = 1.f;
      values[std::size_t(b * longest + t)] = 0.1f;  // a critic's guess; a trained one would vary
    }
  const posttrain::eigen_backend be;
  const posttrain::tensor_view<const float, 2> rv(rewards.data(), batch, longest), vv(values.data(), batch, longest),
      mv(mask.data(), batch, longest);
  const posttrain::tensor_view<float, 2> av(advantages.data(), batch, longest), gv(returns.data(), batch, longest);
  const auto stats = rw::gae(be, rv, vv, mv, av, gv, {.gamma = 1.0, .lambda = 0.95});
  rw::whiten(be, av, stats, av);  // trl's masked_whiten

  std::cout << "Token rewards traced from statement feedback (granularity " << granularity
            << "), then GAE (γ = 1, λ = 0.95, V = 0.1) whitened over the batch.\n\n";
  for (index_t b = 0; b < batch; ++b) {
    const auto& c = cases[std::size_t(b)];
    std::cout << "== " << c.question << (c.ends_with_eos ? "" : "   (no EOS: cut off)") << "\n";
    for (const auto& s : c.feedback)
      for (const auto& st : s.statements)
        std::cout << "   [" << st.truth << ", helpfulness " << st.helpfulness << "] " << st.text << '\n';
    std::cout << '\n';
    std::vector<std::string> names, reward_cells, advantage_cells;
    for (std::size_t t = 0; t < tokens[std::size_t(b)].size(); ++t) {
      names.push_back(tokens[std::size_t(b)][t].text);
      reward_cells.push_back(cell(rewards[std::size_t(b * longest) + t]));
      char buf[16];
      std::snprintf(buf, sizeof buf, "%+.1f", advantages[std::size_t(b * longest) + t]);
      advantage_cells.push_back(buf);
    }
    print_aligned(names, {reward_cells, advantage_cells}, {"reward", "advantage"});
    const auto& tr = traced[std::size_t(b)];
    double total = 0;
    for (double r : tr.token_rewards) total += r;
    std::printf("   total reward %+.3f; unmatched statements %lld, filtered sentences %lld\n\n", total,
                static_cast<long long>(tr.unmatched_statements), static_cast<long long>(tr.filtered_sentences));
  }
  std::printf("Advantage statistics over %g valid tokens: mean %.4f, std %.4f\n", stats.count(), stats.mean(),
              std::sqrt(stats.variance(true)));
  return 0;
}
