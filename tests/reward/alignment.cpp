// SPDX-License-Identifier: Apache-2.0
// Longest common substring (suffix automaton) and subsequence against brute-force references on
// random strings, the tie rules, UTF-8 positions in code points and bytes.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <posttrain/reward/alignment.hpp>

namespace rw = posttrain::reward;
using posttrain::index_t;

namespace {

/// The O(n·m) table of the reference: the longest common substring, ties to the leftmost start
/// in the haystack, then in the needle.
rw::substring_match brute_substring(std::string_view needle, std::string_view haystack) {
  rw::substring_match best;
  for (std::size_t h = 0; h < haystack.size(); ++h)
    for (std::size_t n = 0; n < needle.size(); ++n) {
      index_t len = 0;
      while (h + len < haystack.size() && n + len < needle.size() && haystack[h + len] == needle[n + len]) ++len;
      if (len > best.length || (len == best.length && len > 0 && index_t(h) < best.haystack_begin))
        best = {index_t(n), index_t(h), len};
    }
  return best;
}

std::string random_text(std::mt19937& gen, std::size_t n, int alphabet) {
  std::uniform_int_distribution<int> d(0, alphabet - 1);
  std::string s(n, 'a');
  for (auto& c : s) c = static_cast<char>('a' + d(gen));
  return s;
}

/// LCS length by the textbook recursion over a table.
std::size_t lcs_length(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> t(a.size() + 1, std::vector<std::size_t>(b.size() + 1, 0));
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j)
      t[i][j] = a[i - 1] == b[j - 1] ? t[i - 1][j - 1] + 1 : std::max(t[i - 1][j], t[i][j - 1]);
  return t[a.size()][b.size()];
}

}  // namespace

TEST_CASE("reward: longest common substring equals the O(n·m) reference on random strings", "[reward]") {
  std::mt19937 gen(5);
  for (int trial = 0; trial < 400; ++trial) {
    const int alphabet = 1 + trial % 4;
    const auto hay = random_text(gen, std::size_t(trial % 37), alphabet);
    const auto needle = random_text(gen, std::size_t((trial * 7) % 23), alphabet);
    const auto got = rw::find_longest_common_substring<char>(needle, hay);
    const auto want = brute_substring(needle, hay);
    INFO("needle '" << needle << "' haystack '" << hay << "'");
    REQUIRE(got.length == want.length);
    if (want.length > 0) {
      CHECK(got.haystack_begin == want.haystack_begin);
      CHECK(got.needle_begin == want.needle_begin);
    }
  }
}

TEST_CASE("reward: longest common substring tie rule and positions", "[reward]") {
  // "abc" occurs twice in the haystack: the leftmost occurrence is taken.
  auto pos = rw::longest_common_substring<char>("xabcx", "abc--abc");
  CHECK(pos == std::vector<index_t>{-1, 0, 1, 2, -1});
  // Two different substrings of length 2 ("cd" at 1, "ab" at 4): the leftmost in the haystack.
  pos = rw::longest_common_substring<char>("ab_cd", "xcdxab");
  CHECK(pos == std::vector<index_t>{-1, -1, -1, 1, 2});
  // Repeated in the needle: its first occurrence.
  pos = rw::longest_common_substring<char>("abab", "zab");
  CHECK(pos == std::vector<index_t>{1, 2, -1, -1});
  CHECK(rw::longest_common_substring<char>("", "abc").empty());
  CHECK(rw::longest_common_substring<char>("abc", "") == std::vector<index_t>{-1, -1, -1});
  CHECK(rw::longest_common_substring<char>("xyz", "abc") == std::vector<index_t>{-1, -1, -1});
}

TEST_CASE("reward: longest common subsequence is maximal, valid and follows the backtrack rule", "[reward]") {
  std::mt19937 gen(9);
  for (int trial = 0; trial < 300; ++trial) {
    const auto a = random_text(gen, std::size_t(trial % 19), 1 + trial % 3);
    const auto b = random_text(gen, std::size_t((trial * 5) % 29), 1 + trial % 3);
    const auto pos = rw::longest_common_subsequence<char>(a, b);
    REQUIRE(pos.size() == a.size());
    std::size_t matched = 0;
    index_t previous = -1;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (pos[i] < 0) continue;
      ++matched;
      CHECK(b[std::size_t(pos[i])] == a[i]);
      CHECK(pos[i] > previous);
      previous = pos[i];
    }
    INFO("'" << a << "' in '" << b << "'");
    CHECK(matched == lcs_length(a, b));
  }
  // The rule: each needle character as far right as possible, taking the needle from its end.
  CHECK(rw::longest_common_subsequence<char>("ab", "aabb") == std::vector<index_t>{1, 3});
  CHECK(rw::longest_common_subsequence<char>("aa", "a") == std::vector<index_t>{-1, 0});
  CHECK(rw::longest_common_subsequence<char>("", "a").empty());
  CHECK(rw::longest_common_subsequence<char>("abc", "") == std::vector<index_t>{-1, -1, -1});
}

TEST_CASE("reward: a subsequence table too large is an error naming the sizes", "[reward]") {
  const std::string big(20000, 'a');
  CHECK_THROWS_WITH(rw::longest_common_subsequence<char>(big, big), Catch::Contains("20000"));
}

TEST_CASE("reward: UTF-8 positions in code points and bytes, invalid bytes replaced", "[reward]") {
  const std::string response = "Der Bär heißt Bjørn.";
  const auto r = posttrain::text::decode_utf8(response);
  const auto s = posttrain::text::decode_utf8("heißt Bjørn");
  const auto pos = rw::longest_common_substring<char32_t>(s.chars, r.chars);
  CHECK(pos.front() == 8);  // code points: "Der Bär " is 8 characters
  CHECK(pos.back() == 18);
  const auto bytes = rw::byte_positions(pos, r);
  CHECK(bytes.front() == 9);  // ä takes two bytes
  CHECK(bytes.back() == 21);  // ß and ø before it: two more
  CHECK(response.substr(std::size_t(bytes.front()), 5) == "heiß");

  const auto bad = posttrain::text::decode_utf8(std::string("a\xff\xc3(b\xe2\x82", 7));
  CHECK(bad.chars == std::u32string{U'a', U'\uFFFD', U'\uFFFD', U'(', U'b', U'\uFFFD', U'\uFFFD'});
  CHECK(bad.invalid_bytes == 4);
  CHECK(bad.byte_offset.back() == 7);
  // Overlong encodings and surrogates are not scalar values.
  CHECK(posttrain::text::decode_utf8("\xc0\xaf").invalid_bytes == 2);
  CHECK(posttrain::text::decode_utf8("\xed\xa0\x80").invalid_bytes == 3);
  CHECK(posttrain::text::decode_utf8("\xf0\x9f\x98\x80").chars == std::u32string{U'\U0001F600'});
}
