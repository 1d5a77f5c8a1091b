// SPDX-License-Identifier: Apache-2.0
// Reward tracing on hand-built responses: where each reward lands, collisions, granularities,
// unmatched statements, filters, multi-byte text, empty responses and bad labels.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <posttrain/reward/tracing.hpp>

namespace rw = posttrain::reward;
using posttrain::index_t;

namespace {

/// Whitespace tokens of an ASCII text (spaces dropped), with their character spans.
std::vector<rw::token_span> words(std::string_view text) {
  std::vector<rw::token_span> t;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const std::size_t j = std::min(text.find(' ', i), text.size());
    t.push_back({index_t(i), index_t(j)});
    i = j;
  }
  return t;
}

double informativeness(double sum) { return std::log(std::max(-0.9, sum) + 1.0); }

}  // namespace

TEST_CASE("reward: tracing puts truth rewards on statement ends and informativeness on sentence ends",
          "[reward]") {
  // tokens: 0 Marie | 1 Curie | 2 was | 3 born | 4 in | 5 Warsaw | 6 in | 7 1867. | 8 She | 9 won | 10 two | 11 Nobels.
  const std::string response = "Marie Curie was born in Warsaw in 1867. She won two Nobels.";
  const auto tokens = words(response);
  REQUIRE(tokens.size() == 12);
  const std::vector<rw::sentence_feedback> sentences = {
      {"Marie Curie was born in Warsaw in 1867.",
       {{"Marie Curie was born in Warsaw", "correct", 4}, {"Marie Curie was born in 1867", "wrong", 3}}},
      {"She won two Nobels.", {{"She won two Nobel prizes", "hedged_correct", 5}}}};
  const auto r = rw::trace_rewards(response, tokens, sentences, true);
  std::vector<double> e(12, 0.0);
  e[5] += 1.0 * 1.2;                           // "Warsaw" ends statement 1
  e[7] += -2.0 * 1.1;                          // "1867" (in token 7) ends statement 2
  e[7] += informativeness(1.2 + 1.1);          // sentence 1 ends at its '.'
  e[11] += 0.5 * 1.3;                          // "Nobel" matched up to ... the 'e'/'s' of Nobels (token 11)
  e[11] += informativeness(1.3);
  for (std::size_t k = 0; k < e.size(); ++k) CHECK(r.token_rewards[k] == Approx(e[k]).margin(1e-12));
  CHECK(r.unmatched_statements == 0);
  CHECK(r.unmatched_sentences == 0);

  SECTION("sentence granularity moves statement rewards to the sentence end; response to the last token") {
    rw::tracing_config c;
    c.granularity = rw::reward_granularity::sentence;
    const auto s = rw::trace_rewards(response, tokens, sentences, true, c);
    CHECK(s.token_rewards[5] == 0);
    CHECK(s.token_rewards[7] == Approx(e[5] + e[7]));
    CHECK(s.token_rewards[11] == Approx(e[11]));
    c.granularity = rw::reward_granularity::response;
    const auto t = rw::trace_rewards(response, tokens, sentences, false, c);
    double total = 0;
    for (double x : e) total += x;
    CHECK(t.token_rewards[11] == Approx(total - 1.0));  // with the missing-EOS penalty
    for (int k = 0; k < 11; ++k) CHECK(t.token_rewards[std::size_t(k)] == 0);
  }
}

TEST_CASE("reward: unmatched statements are dropped and counted, filters, empty response", "[reward]") {
  const std::string response = "Paris is the capital. Is it big? I'm sorry, I cannot say more.";
  const auto tokens = words(response);
  const std::vector<rw::sentence_feedback> sentences = {
      {"Paris is the capital.", {{"Paris is the capital of France", "correct", 5}, {"zzz", "wrong", 1}}},
      {"Is it big?", {{"Paris is big", "correct", 3}}},
      {"I'm sorry, I cannot say more.", {{"nothing more is known", "vague", 1}}},
      {"@@@@", {{"qqq", "correct", 2}}}};
  const auto r = rw::trace_rewards(response, tokens, sentences, true);
  CHECK(r.filtered_sentences == 2);
  CHECK(r.unmatched_sentences == 1);
  CHECK(r.unmatched_statements == 2);  // "zzz" and the statement of the sentence not found
  // "Paris is the capital of France" matches up to "capital" then "." ... its last matched
  // character is the final '.' or 'a'/'l' of "capital.", token 3 either way.
  CHECK(r.token_rewards[3] == Approx(1.3 + informativeness(1.3 - 0.1)));
  double others = 0;
  for (std::size_t k = 0; k < r.token_rewards.size(); ++k)
    if (k != 3) others += std::fabs(r.token_rewards[k]);
  CHECK(others == 0);

  const auto empty = rw::trace_rewards("", {}, sentences, false);
  CHECK(empty.token_rewards.empty());
  CHECK(empty.unmatched_sentences == 2);
}

TEST_CASE("reward: repeated sentences take the leftmost occurrence, collisions sum", "[reward]") {
  const std::string response = "Yes it is. Yes it is.";
  const auto tokens = words(response);  // Yes | it | is. | Yes | it | is.
  const std::vector<rw::sentence_feedback> sentences = {{"Yes it is.", {{"it is", "correct", 2}}},
                                                        {"Yes it is.", {{"it is", "wrong", 2}}}};
  const auto r = rw::trace_rewards(response, tokens, sentences, true);
  CHECK(r.token_rewards[2] == Approx(2 * informativeness(1.0) + 1.0 - 2.0));
  for (std::size_t k = 3; k < 6; ++k) CHECK(r.token_rewards[k] == 0);
}

TEST_CASE("reward: multi-byte text with offsets in code points or in bytes", "[reward]") {
  const std::string response = "Zoë lives in Köln.";
  // tokens: Zoë | lives | in | Köln.  (code points 0-3, 4-9, 10-12, 13-18; bytes shifted by ë, ö)
  const std::vector<rw::token_span> cp = {{0, 3}, {4, 9}, {10, 12}, {13, 18}};
  const std::vector<rw::token_span> bytes = {{0, 4}, {5, 10}, {11, 13}, {14, 20}};
  const std::vector<rw::sentence_feedback> sentences = {{"Zoë lives in Köln.", {{"Zoë lives", "correct", 4}}}};
  rw::tracing_config c;
  const auto a = rw::trace_rewards(response, cp, sentences, true, c);
  c.offsets = rw::offset_unit::bytes;
  const auto b = rw::trace_rewards(response, bytes, sentences, true, c);
  CHECK(a.token_rewards == b.token_rewards);
  CHECK(a.token_rewards[1] == Approx(1.2));
  CHECK(a.token_rewards[3] == Approx(informativeness(1.2)));
  // Invalid UTF-8 in the response is replaced, never a crash.
  const auto bad = rw::trace_rewards("Zo\xff lives", {{0, 3}, {4, 9}}, {{"lives", {{"lives", "correct", 2}}}}, true);
  CHECK(bad.token_rewards[1] == Approx(1.0 + informativeness(1.0)));
}

TEST_CASE("reward: characters outside every token span go to the previous token, T = 1", "[reward]") {
  // A tokenizer that dropped the final '!': its character belongs to the last token before it.
  const std::string response = "Go now!";
  const std::vector<rw::token_span> tokens = {{0, 2}, {3, 6}};
  const auto r = rw::trace_rewards(response, tokens, {{"Go now!", {{"now!", "correct", 2}}}}, true);
  CHECK(r.token_rewards[1] == Approx(1.0 + informativeness(1.0)));
  const auto one = rw::trace_rewards("Hi.", {{0, 3}}, {{"Hi.", {{"Hi", "wrong", 1}}}}, false);
  CHECK(one.token_rewards[0] == Approx(-2.0 * 0.1 + informativeness(-0.1) - 1.0));
}

TEST_CASE("reward: bad labels and token spans are errors naming the position", "[reward]") {
  const std::string response = "A b.";
  const auto tokens = words(response);
  CHECK_THROWS_WITH(rw::trace_rewards(response, tokens, {{"A b.", {{"A", "true", 2}}}}, true),
                    Catch::Contains("sentence 0 statement 0") && Catch::Contains("'true'"));
  CHECK_THROWS_WITH(rw::trace_rewards(response, tokens, {{"A b.", {{"A", "correct", 9}}}}, true),
                    Catch::Contains("helpfulness 9"));
  CHECK_THROWS_WITH(rw::trace_rewards(response, {{0, 1}, {2, 9}}, {}, true), Catch::Contains("token 1"));
  CHECK_THROWS_WITH(rw::trace_rewards(response, {{2, 4}, {0, 1}}, {}, true), Catch::Contains("in order"));
}

TEST_CASE("reward: a sentence absent from the response is unmatched, not placed on a shared space", "[reward]") {
  // "Quartz melts." shares only a space ("e", "t", "s", ...) with the response: before the minimum
  // match its informativeness landed on the token owning that character.
  const std::string response = "Paris is the capital of France.";
  const auto tokens = words(response);
  const std::vector<rw::sentence_feedback> absent = {{"Quartz melts.", {{"quartz melts", "wrong", 2}}}};
  const auto r = rw::trace_rewards(response, tokens, absent, true);
  CHECK(r.unmatched_sentences == 1);
  CHECK(r.unmatched_statements == 1);
  for (const double v : r.token_rewards) CHECK(v == 0);
  // With min_sentence_match = 0 one shared character is enough (the old behaviour).
  rw::tracing_config any;
  any.min_sentence_match = 0;
  const auto loose = rw::trace_rewards(response, tokens, absent, true, any);
  CHECK(loose.unmatched_sentences == 0);
  // A sentence found in part: "Paris is the capital of Spain." shares 24 of its 30 characters.
  const std::vector<rw::sentence_feedback> partial = {{"Paris is the capital of Spain.", {{"Paris is the capital", "correct", 5}}}};
  const auto p = rw::trace_rewards(response, tokens, partial, true);
  CHECK(p.unmatched_sentences == 0);
  CHECK(p.unmatched_statements == 0);
  rw::tracing_config strict;
  strict.min_sentence_match = 0.9;
  CHECK(rw::trace_rewards(response, tokens, partial, true, strict).unmatched_sentences == 1);
  rw::tracing_config bad;
  bad.min_sentence_match = 1.5;
  CHECK_THROWS_WITH(rw::trace_rewards(response, tokens, partial, true, bad), Catch::Contains("min_sentence_match is 1.5"));
}

TEST_CASE("reward: overlapping spans: the later token owns the shared characters, and a token owns its first", "[reward]") {
  const std::string response = "abcdef";
  const std::vector<rw::token_span> overlapping = {{0, 4}, {2, 6}};
  const std::vector<rw::sentence_feedback> s = {{"abc", {{"abc", "correct", 2}}}};
  rw::tracing_config c;
  c.missing_eos_penalty = 0;
  const auto r = rw::trace_rewards(response, overlapping, s, true, c);  // 'c' lies in both spans
  CHECK(r.token_rewards[0] == 0);
  CHECK(r.token_rewards[1] == Approx(1.0 + informativeness(1.0)));
  const std::vector<rw::token_span> adjacent = {{0, 3}, {3, 6}};
  const std::vector<rw::sentence_feedback> d = {{"abcd", {{"abcd", "correct", 2}}}};
  const auto a = rw::trace_rewards(response, adjacent, d, true, c);  // 'd' begins token 1
  CHECK(a.token_rewards[1] == Approx(1.0 + informativeness(1.0)));
}
