// SPDX-License-Identifier: Apache-2.0
#pragma once
// Fine-grained reward tracing (RLFH, arXiv 2406.12221): statement-level feedback on a response
// becomes a reward per token.
//
//   truth reward of statement s        r_T(s) = w_T · V[truth(s)] · |I[helpfulness(s)]|
//   informativeness of sentence S      r_I(S) = w_I · ln(max(ε, Σ_{s∈S} I[helpfulness(s)]) + μ)
//
// with the released RewardConfig's maps as defaults (tracing_config). Where they land:
//   1. each sentence is located in the response by its longest common substring (code points,
//      alignment.hpp); r_I(S) goes on the token holding the sentence's last matched character;
//   2. each statement is aligned inside its sentence by longest common subsequence, mapped to
//      the response through the sentence's match; r_T(s) goes on the token holding the
//      statement's last matched character;
//   3. rewards landing on one token are summed; a sentence whose longest common substring with
//      the response covers less than min_sentence_match of its code points (default 1/2: a
//      sentence absent from the response shares a space or a few letters with it by chance) gets
//      nothing, nor do its statements, and is counted as unmatched; so is a statement with no
//      matched character;
//   4. granularity sentence moves all of a sentence's rewards to its end token, response moves
//      everything to the last token; a response without EOS gets missing_eos_penalty on its last
//      token.
// A sentence that contains a refusal phrase (case-insensitive) or ends in '?' gets no reward.
//
// Characters map to tokens through the tokens' [begin, end) offsets, in code points or bytes
// (offset_unit): a character inside a token's span belongs to it; a character in no span
// (whitespace a tokenizer dropped) belongs to the last token that begins before it (the first
// token if none does), so the index never passes T − 1.

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../core/config.hpp"
#include "../core/error.hpp"
#include "../text/utf8.hpp"
#include "alignment.hpp"

namespace posttrain::reward {

enum class reward_granularity { token, sentence, response };
enum class offset_unit { code_points, bytes };

struct tracing_config {
  /// V: truthfulness label → value.
  std::map<std::string, double, std::less<>> truth_values = {
      {"correct", 1.0}, {"hedged_correct", 0.5}, {"vague", -1.0}, {"hedged_wrong", -1.5}, {"wrong", -2.0}};
  /// I: helpfulness grade → value.
  std::map<int, double> helpfulness_values = {{5, 1.3}, {4, 1.2}, {3, 1.1}, {2, 1.0}, {1, -0.1}};
  double truth_weight = 1.0;            // w_T
  double informativeness_weight = 1.0;  // w_I
  double informativeness_floor = -0.9;  // ε
  double informativeness_shift = 1.0;   // μ  (floor ln(ε + μ) = ln 0.1)
  reward_granularity granularity = reward_granularity::token;
  /// Added to the last token of a response that did not end with EOS.
  double missing_eos_penalty = -1.0;
  /// Sentences containing one of these (case-insensitive ASCII) get no reward.
  std::vector<std::string> refusal_phrases = {"i'm sorry", "i am sorry", "i apologize", "i cannot", "i can't",
                                              "as an ai", "i'm not able to", "i am not able to", "i don't know"};
  /// Sentences ending in '?' (after trailing spaces) get no reward.
  bool skip_questions = true;
  /// The least fraction of a sentence's code points that its longest common substring with the
  /// response must cover for the sentence to count as found (in [0, 1]; 0 accepts one character).
  double min_sentence_match = 0.5;
  offset_unit offsets = offset_unit::code_points;
};

struct statement_feedback {
  std::string text;
  std::string truth;    // a key of tracing_config::truth_values
  int helpfulness = 0;  // a key of tracing_config::helpfulness_values
};

struct sentence_feedback {
  std::string text;
  std::vector<statement_feedback> statements;
};

struct token_span {
  index_t begin = 0, end = 0;  // [begin, end) in offset_unit
};

struct traced_rewards {
  std::vector<double> token_rewards;  // one per token
  index_t unmatched_statements = 0;
  index_t unmatched_sentences = 0;
  index_t filtered_sentences = 0;  // refusals and questions
};

namespace detail {

/// A–Z to a–z, every other byte unchanged (no locale: std::tolower folds other bytes in some).
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

inline bool filtered(std::string_view sentence, const tracing_config& c) {
  const std::string lower = ascii_lower(sentence);
  for (const auto& phrase : c.refusal_phrases)
    if (!phrase.empty() && lower.find(ascii_lower(phrase)) != std::string::npos) return true;
  if (c.skip_questions) {
    const auto last = sentence.find_last_not_of(" \t\r\n");
    if (last != std::string_view::npos && sentence[last] == '?') return true;
  }
  return false;
}

/// Token index of each response character (code points), per the rule in the header comment.
inline std::vector<index_t> token_of_characters(const text::decoded_text& response, const std::vector<token_span>& tokens,
                                                offset_unit unit) {
  const std::size_t chars = response.chars.size();
  const index_t limit = unit == offset_unit::bytes ? index_t(response.byte_offset.back()) : index_t(chars);
  std::vector<index_t> owner(chars, -1);
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    const token_span s = tokens[t];
    if (s.begin < 0 || s.end < s.begin || s.end > limit)
      throw value_error(posttrain::detail::message(
          "posttrain::reward::trace_rewards: token ", t, " has span [", s.begin, ", ", s.end, ") but the response has ",
          limit, unit == offset_unit::bytes ? " bytes" : " code points", "; need 0 ≤ begin ≤ end ≤ ", limit));
    if (t > 0 && s.begin < tokens[t - 1].begin)
      throw value_error(posttrain::detail::message("posttrain::reward::trace_rewards: token ", t, " begins at ",
                                                   s.begin, ", before token ", t - 1, " (", tokens[t - 1].begin,
                                                   "); spans must be in order"));
  }
  // begin of character k in the offsets' unit.
  const auto begin_of = [&](std::size_t k) {
    return unit == offset_unit::bytes ? index_t(response.byte_offset[k]) : index_t(k);
  };
  // reach[u] = the largest end among tokens 0..u: a backward search for a span containing x
  // can stop once it is ≤ x (immediately when spans do not overlap).
  std::vector<index_t> reach(tokens.size());
  for (std::size_t u = 0; u < tokens.size(); ++u) reach[u] = std::max(u ? reach[u - 1] : 0, tokens[u].end);
  std::size_t next = 0;  // first token beginning after the current character
  for (std::size_t k = 0; k < chars; ++k) {
    const index_t x = begin_of(k);
    while (next < tokens.size() && tokens[next].begin <= x) ++next;
    owner[k] = 0;
    if (next == 0) continue;
    owner[k] = index_t(next - 1);  // no span contains x: the last token beginning before it
    for (std::size_t u = next; u-- > 0 && reach[u] > x;)
      if (x < tokens[u].end) {
        owner[k] = index_t(u);
        break;
      }
  }
  return owner;
}

}  // namespace detail

/// The token rewards of one response (UTF-8 text, its token spans, its feedback).
inline traced_rewards trace_rewards(std::string_view response, const std::vector<token_span>& tokens,
                                    const std::vector<sentence_feedback>& sentences, bool ends_with_eos,
                                    const tracing_config& config = {}) {
  if (!(config.min_sentence_match >= 0 && config.min_sentence_match <= 1))
    throw value_error(posttrain::detail::message("posttrain::reward::trace_rewards: min_sentence_match is ",
                                                 config.min_sentence_match, "; it must be in [0, 1]"));
  const text::decoded_text resp = text::decode_utf8(response);
  const std::vector<index_t> owner = detail::token_of_characters(resp, tokens, config.offsets);
  traced_rewards out;
  out.token_rewards.assign(tokens.size(), 0.0);
  const index_t last_token = index_t(tokens.size()) - 1;
  const suffix_automaton<char32_t> automaton(resp.chars);

  for (std::size_t si = 0; si < sentences.size(); ++si) {
    const auto& sentence = sentences[si];
    // Labels are checked whatever happens to the sentence, so bad input never passes silently.
    double helpful_sum = 0;
    std::vector<double> truth(sentence.statements.size());
    for (std::size_t k = 0; k < sentence.statements.size(); ++k) {
      const auto& s = sentence.statements[k];
      const auto v = config.truth_values.find(s.truth);
      if (v == config.truth_values.end())
        throw value_error(posttrain::detail::message("posttrain::reward::trace_rewards: sentence ", si, " statement ",
                                                     k, " has truthfulness label '", s.truth,
                                                     "', which the config does not map"));
      const auto h = config.helpfulness_values.find(s.helpfulness);
      if (h == config.helpfulness_values.end())
        throw value_error(posttrain::detail::message("posttrain::reward::trace_rewards: sentence ", si, " statement ",
                                                     k, " has helpfulness ", s.helpfulness,
                                                     ", which the config does not map"));
      helpful_sum += h->second;
      truth[k] = config.truth_weight * v->second * std::fabs(h->second);
    }
    if (detail::filtered(sentence.text, config)) {
      ++out.filtered_sentences;
      continue;
    }
    const text::decoded_text sent = text::decode_utf8(sentence.text);
    const auto sentence_pos = match_positions(automaton.longest_common_substring(sent.chars), sent.chars.size());
    const index_t sentence_end = sentence_pos.empty() ? -1 : *std::max_element(sentence_pos.begin(), sentence_pos.end());
    const auto matched = std::count_if(sentence_pos.begin(), sentence_pos.end(), [](index_t p) { return p >= 0; });
    const bool found = sentence_end >= 0 && double(matched) >= config.min_sentence_match * double(sent.chars.size());
    if (!found || tokens.empty()) {
      ++out.unmatched_sentences;
      out.unmatched_statements += index_t(sentence.statements.size());
      continue;
    }
    const index_t sentence_token = owner[std::size_t(sentence_end)];
    const auto place = [&](index_t token, double reward) {
      switch (config.granularity) {
        case reward_granularity::token: out.token_rewards[std::size_t(token)] += reward; break;
        case reward_granularity::sentence: out.token_rewards[std::size_t(sentence_token)] += reward; break;
        case reward_granularity::response: out.token_rewards[std::size_t(last_token)] += reward; break;
      }
    };
    if (!sentence.statements.empty())
      place(sentence_token, config.informativeness_weight *
                                std::log(std::max(config.informativeness_floor, helpful_sum) +
                                         config.informativeness_shift));
    for (std::size_t k = 0; k < sentence.statements.size(); ++k) {
      const text::decoded_text st = text::decode_utf8(sentence.statements[k].text);
      const auto in_sentence = longest_common_subsequence<char32_t>(st.chars, sent.chars);
      index_t end = -1;
      for (const index_t p : in_sentence)
        if (p >= 0) end = std::max(end, sentence_pos[std::size_t(p)]);
      if (end < 0) {
        ++out.unmatched_statements;
        continue;
      }
      place(owner[std::size_t(end)], truth[k]);
    }
  }
  if (!ends_with_eos && !tokens.empty()) out.token_rewards[std::size_t(last_token)] += config.missing_eos_penalty;
  return out;
}

}  // namespace posttrain::reward
