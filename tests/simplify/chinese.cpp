// SPDX-License-Identifier: Apache-2.0
// Chinese text for lexical simplification: the jieba-style segmenter (jieba 0.42's own output on
// the same hand-made dictionary, a brute-force search over every segmentation, ties, unknown
// runs, mixed Latin and digits, whitespace, invalid UTF-8, the reader's errors).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <posttrain/text/chinese_hmm.hpp>
#include <posttrain/text/chinese_segmenter.hpp>

namespace tx = posttrain::text;
using strings = std::vector<std::string>;

namespace {

// word frequency [pos], as jieba's dict.txt
const char* const small_dictionary =
    "我 10 r\n来到 5 v\n北京 8 ns\n清华 3 nt\n清华大学 6 nt\n大学 7 n\n华大 1 j\n做 4 v\nB超 3 n\n"
    "甲乙 1\n甲 3\n乙 3\n丙 2\n";

tx::chinese_segmenter small_segmenter() {
  std::istringstream in(small_dictionary);
  return tx::chinese_segmenter::read(in, "small.txt");
}

strings cut(const tx::chinese_segmenter& s, std::string_view text) {
  strings out;
  for (auto t : s.cut(text)) out.emplace_back(t);
  return out;
}

}  // namespace

TEST_CASE("chinese_segmenter: jieba's own segmentation on a hand-made dictionary", "[simplify]") {
  const auto s = small_segmenter();
  // Each expected list is what jieba 0.42.1 gives: jieba.Tokenizer(dictionary=...).cut(text, HMM=False).
  CHECK(cut(s, "我来到北京清华大学") == strings{"我", "来到", "北京", "清华大学"});
  CHECK(cut(s, "北京大学生") == strings{"北京", "大学", "生"});
  CHECK(cut(s, "我ab12你") == strings{"我", "ab12", "你"});  // an unknown run of letters and digits is one token
  CHECK(cut(s, "做B超") == strings{"做", "B超"});             // a dictionary word mixing Latin and CJK
  CHECK(cut(s, "a我b") == strings{"a", "我", "b"});
  CHECK(cut(s, "3.14%") == strings{"3", ".", "14", "%"});
  CHECK(cut(s, "你好，世界 !\r\n") == strings{"你", "好", "，", "世", "界", " ", "!", "\r\n"});
  CHECK(cut(s, "  ") == strings{" ", " "});
  CHECK(cut(s, "").empty());
  CHECK(cut(s, "甲乙丙") == strings{"甲乙", "丙"});
}

TEST_CASE("chinese_segmenter: a tie between two routes goes to the longer first word", "[simplify]") {
  const auto s = small_segmenter();
  // total = 56; 甲乙 (1) against 甲 + 乙 (3 and 3): log 1 − log 56 vs 2 (log 3 − log 56) — not a
  // tie; make one: with total T, f(甲乙) · T = f(甲) f(乙).
  std::istringstream in("甲乙 1\n甲 3\n乙 3\n丙 2\n");  // T = 9: 1 · 9 = 3 · 3
  const auto t = tx::chinese_segmenter::read(in, "tie.txt");
  const double lt = std::log(9.0);
  const double whole = (std::log(1.0) - lt) + 0.0;
  const double split = (std::log(3.0) - lt) + ((std::log(3.0) - lt) + 0.0);
  REQUIRE(whole == split);  // the premise: the two routes score the same in double precision
  CHECK(cut(t, "甲乙") == strings{"甲乙"});
  CHECK(s.total() == 56);
}

TEST_CASE("chinese_segmenter: tokens join back to the input, invalid UTF-8 included", "[simplify]") {
  const auto s = small_segmenter();
  const std::string text = std::string("我\xff来到\xe5\x8c") + "北京\xc0\xaf清华大学 ok\xed\xa0\x80!";
  const auto tokens = s.cut(text);
  std::string joined;
  for (auto t : tokens) joined += t;
  CHECK(joined == text);
  CHECK(cut(s, "我\xff来到") == strings{"我", "\xff", "来到"});
  CHECK(cut(s, "北京\xe5\x8c") == strings{"北京", "\xe5", "\x8c"});  // a truncated sequence: byte by byte
  for (auto t : tokens) CHECK(!t.empty());
}

TEST_CASE("chinese_segmenter: the dictionary's frequencies, parts of speech and total", "[simplify]") {
  const auto s = small_segmenter();
  CHECK(s.size() == 13);
  CHECK(s.frequency("清华大学") == 6);
  CHECK(s.frequency("清华大") == 0);  // a prefix, not a word
  CHECK(!s.contains("清华大"));
  CHECK(s.contains("清华"));
  CHECK(s.pos("北京") == "ns");
  CHECK(s.pos("甲") == "");
  CHECK(s.pos("不在") == "");
  CHECK(s.total() == 10 + 5 + 8 + 3 + 6 + 7 + 1 + 4 + 3 + 1 + 3 + 3 + 2);
}

TEST_CASE("chinese_segmenter: the route against every segmentation, on random dictionaries", "[simplify]") {
  // The best segmentation by brute force: every split into dictionary words (or single
  // characters where no word starts), scored right to left as the route does, the best score
  // winning and a tie going to the longer first word, then the next, and so on.
  const std::vector<std::string> alphabet = {"天", "地", "人", "和", "x", "7"};
  std::mt19937 rng(20261205);
  for (int trial = 0; trial < 300; ++trial) {
    tx::chinese_segmenter s;
    std::map<std::string, long long> dict;
    const int words = 1 + int(rng() % 12);
    for (int w = 0; w < words; ++w) {
      std::string word;
      const int len = 1 + int(rng() % 3);
      for (int c = 0; c < len; ++c) word += alphabet[rng() % alphabet.size()];
      const long long f = (long long)(rng() % 4);  // 0: in the dictionary, never a DAG word
      s.add_word(word, f);
      dict[word] = f;
    }
    std::vector<std::string> chars;
    const int n = int(rng() % 9);
    for (int c = 0; c < n; ++c) chars.push_back(alphabet[rng() % alphabet.size()]);
    const double lt = std::log(s.total() > 0 ? double(s.total()) : 1.0);
    const auto freq = [&](int a, int b) {
      std::string w;
      for (int k = a; k < b; ++k) w += chars[k];
      const auto it = dict.find(w);
      return it == dict.end() ? 0LL : it->second;
    };
    // best(k): (score, split) of chars[k..n)
    std::function<std::pair<double, std::vector<int>>(int)> best = [&](int k) -> std::pair<double, std::vector<int>> {
      if (k == n) return {0.0, {}};
      std::vector<int> ends;
      for (int e = k + 1; e <= n; ++e)
        if (freq(k, e) > 0) ends.push_back(e);
      // the DAG stops at the first prefix the dictionary lacks
      std::vector<int> reachable;
      for (int e : ends) {
        bool prefixes = true;
        for (int m = k + 1; m < e; ++m) {
          std::string p;
          for (int q = k; q < m; ++q) p += chars[q];
          bool any = false;
          for (const auto& [w, f] : dict) any = any || w.starts_with(p);
          prefixes = prefixes && any;
        }
        if (prefixes) reachable.push_back(e);
      }
      if (reachable.empty()) reachable.push_back(k + 1);
      std::pair<double, std::vector<int>> top{-INFINITY, {}};
      for (int e : reachable) {
        auto rest = best(e);
        const long long f = freq(k, e);
        const double score = (std::log(f > 0 ? double(f) : 1.0) - lt) + rest.first;
        std::vector<int> split = {e};
        split.insert(split.end(), rest.second.begin(), rest.second.end());
        if (top.second.empty() || score > top.first || (score == top.first && e > top.second[0])) top = {score, split};
      }
      return top;
    };
    const auto split = best(0).second;
    strings expected;
    std::string run;  // single ASCII letters and digits are joined
    int k = 0;
    for (int e : split) {
      std::string w;
      for (int q = k; q < e; ++q) w += chars[q];
      if (e - k == 1 && (w == "x" || w == "7")) {
        run += w;
      } else {
        if (!run.empty()) expected.push_back(run), run.clear();
        expected.push_back(w);
      }
      k = e;
    }
    if (!run.empty()) expected.push_back(run);
    std::string sentence;
    for (const auto& c : chars) sentence += c;
    INFO("trial " << trial << ": " << sentence);
    CHECK(cut(s, sentence) == expected);
  }
}

TEST_CASE("chinese_segmenter: the reader's errors name the file and the line", "[simplify]") {
  const auto read = [](const std::string& text) {
    std::istringstream in(text);
    return tx::chinese_segmenter::read(in, "dict.txt");
  };
  CHECK_THROWS_WITH(read("我 1\n你\n"), Catch::Contains("dict.txt:2:4") && Catch::Contains("word frequency"));
  CHECK_THROWS_WITH(read("我 x n\n"), Catch::Contains("dict.txt:1:5") && Catch::Contains("'x' is not a whole number"));
  CHECK_THROWS_WITH(read("\n我 -3\n"), Catch::Contains("dict.txt:2:5"));
  CHECK_THROWS_WITH(read(" 我 3\n"), Catch::Contains("dict.txt:1:1"));
  CHECK_THROWS_WITH(read("我 3.5\n"), Catch::Contains("dict.txt:1:5"));
  CHECK_THROWS_WITH(tx::chinese_segmenter::load("/nonexistent/dict.txt"), Catch::Contains("no such file"));
  tx::chinese_segmenter s;
  CHECK_THROWS_WITH(s.add_word("", 1), Catch::Contains("empty"));
  CHECK_THROWS_WITH(s.add_word("我", -1), Catch::Contains("'我'") && Catch::Contains("-1"));
  CHECK(read("\xEF\xBB\xBF我 4 r\r\n\r\n你 2\n").frequency("我") == 4);  // a byte-order mark, CRLF and blank lines
}

// ---- jieba's character HMM ----

namespace {

// A small model in the export format; jieba's finalseg given the same tables (its module globals
// replaced) gives the expected lists below.
const char* const small_hmm =
    "# test model\n"
    "start B -0.5\nstart E -3.14e+100\nstart M -3.14e+100\nstart S -1.0\n"
    "trans B E -0.4\ntrans B M -1.1\ntrans E B -0.6\ntrans E S -0.8\n"
    "trans M E -0.3\ntrans M M -1.3\ntrans S B -0.7\ntrans S S -0.7\n"
    "emit B 甲 -1.0\nemit B 乙 -3.0\nemit B 丙 -2.0\nemit E 乙 -1.0\nemit E 丙 -1.5\nemit E 丁 -2.0\n"
    "emit M 丙 -0.5\nemit S 丁 -0.2\nemit S 甲 -2.5\nemit S 戊 -1.0\n";

tx::chinese_hmm hmm_model() {
  std::istringstream in(small_hmm);
  return tx::chinese_hmm::read(in, "hmm.txt");
}

strings hmm_cut(const tx::chinese_hmm& m, std::string_view run) {
  std::vector<std::string_view> out;
  m.cut(run, out);
  return strings(out.begin(), out.end());
}

}  // namespace

TEST_CASE("chinese_hmm: jieba's finalseg on the same tables", "[simplify]") {
  const auto m = hmm_model();
  CHECK(hmm_cut(m, "甲乙") == strings{"甲乙"});
  CHECK(hmm_cut(m, "甲丙乙") == strings{"甲丙乙"});
  CHECK(hmm_cut(m, "丁丁") == strings{"丁", "丁"});
  CHECK(hmm_cut(m, "甲乙丁戊") == strings{"甲乙", "丁", "戊"});
  CHECK(hmm_cut(m, "戊") == strings{"戊"});
  CHECK(hmm_cut(m, "己庚") == strings{"己", "庚"});  // no emissions at all: every state ties
  CHECK(hmm_cut(m, "甲丙丙乙丁") == strings{"甲丙丙乙", "丁"});
  // Latin stretches: ([a-zA-Z0-9]+(?:\.\d+)?%?) and what lies between
  CHECK(hmm_cut(m, "ab3.14%+#x甲乙") == strings{"ab3.14%", "+#", "x", "甲乙"});
  CHECK(hmm_cut(m, "3.5.6%%x") == strings{"3.5", ".", "6%", "%", "x"});
  CHECK(hmm_cut(m, "").empty());
}

TEST_CASE("chinese_hmm: the Viterbi path against every state sequence", "[simplify]") {
  // Random tables; the best of all 4^n sequences, summed left to right as the recursion does,
  // with the allowed transitions only, ending in E or S. A repeated character can make two
  // sequences tie exactly (the same sums in another order); those trials are left to the
  // known-answer cases above.
  const char* states = "BEMS";
  const std::vector<std::string> chars = {"甲", "乙", "丙", "丁"};
  const bool allowed[4][4] = {{false, true, true, false}, {true, false, false, true}, {false, true, true, false}, {true, false, false, true}};
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-4.0, -0.1);
  int checked = 0;
  for (int trial = 0; trial < 200; ++trial) {
    tx::chinese_hmm m;
    double start[4], trans[4][4], emit[4][4];
    for (int a = 0; a < 4; ++a) {
      start[a] = a == 0 || a == 3 ? u(rng) : tx::chinese_hmm::min_log;
      m.set_start(states[a], start[a]);
      for (int b = 0; b < 4; ++b) {
        trans[a][b] = allowed[a][b] ? u(rng) : tx::chinese_hmm::min_log;
        if (allowed[a][b]) m.set_transition(states[a], states[b], trans[a][b]);
      }
      for (int c = 0; c < 4; ++c) {
        emit[a][c] = u(rng);
        m.set_emission(states[a], tx::decode_utf8(chars[std::size_t(c)]).chars[0], emit[a][c]);
      }
    }
    const int n = 1 + int(rng() % 6);
    std::vector<int> obs(std::size_t(n), 0);
    std::string run;
    for (auto& o : obs) o = int(rng() % 4), run += chars[std::size_t(o)];
    double best = -INFINITY;
    int ties = 0;
    std::vector<int> best_path;
    std::vector<int> path(std::size_t(n), 0);
    for (int code = 0; code < (1 << (2 * n)); ++code) {
      for (int t = 0; t < n; ++t) path[std::size_t(t)] = (code >> (2 * t)) & 3;
      if (path.back() != 1 && path.back() != 3) continue;  // ends in E or S
      double score = start[path[0]] + emit[path[0]][obs[0]];
      for (int t = 1; t < n; ++t) score = score + trans[path[std::size_t(t - 1)]][path[std::size_t(t)]] + emit[path[std::size_t(t)]][obs[std::size_t(t)]];
      if (score > best) best = score, best_path = path, ties = 1;
      else if (score == best) ++ties;
    }
    if (ties > 1) continue;
    ++checked;
    strings expected;
    int begin = 0, next = 0;
    for (int t = 0; t < n; ++t) {
      const auto piece = [&](int a, int b) {
        std::string w;
        for (int k = a; k < b; ++k) w += chars[std::size_t(obs[std::size_t(k)])];
        return w;
      };
      const int st = best_path[std::size_t(t)];
      if (st == 0) begin = t;
      else if (st == 1) expected.push_back(piece(begin, t + 1)), next = t + 1;
      else if (st == 3) expected.push_back(piece(t, t + 1)), next = t + 1;
      if (t == n - 1 && next < n) expected.push_back(piece(next, n));
    }
    INFO("trial " << trial << ": " << run);
    CHECK(hmm_cut(m, run) == expected);
  }
  CHECK(checked > 150);
}

TEST_CASE("chinese_segmenter: with the HMM, jieba's default mode on the same dictionary and tables", "[simplify]") {
  std::istringstream in("甲乙 1\n我 10\n来到 5\n戊己 2\n戊 1\n己 1\n");
  auto s = tx::chinese_segmenter::read(in, "d2.txt");
  CHECK(!s.has_hmm());
  CHECK(cut(s, "我来到甲丙乙丁") == strings{"我", "来到", "甲", "丙", "乙", "丁"});
  s.use_hmm(hmm_model());
  CHECK(s.has_hmm());
  // Each expected list is jieba 0.42.1's Tokenizer(dictionary=...).cut(text) with these tables.
  CHECK(cut(s, "我来到甲丙乙丁") == strings{"我", "来到", "甲丙乙", "丁"});
  CHECK(cut(s, "戊己") == strings{"戊己"});
  CHECK(cut(s, "丁戊己丁") == strings{"丁", "戊己", "丁"});
  CHECK(cut(s, "我ab我") == strings{"我", "ab", "我"});
  CHECK(cut(s, "甲乙丙") == strings{"甲乙", "丙"});
  CHECK(cut(s, "我丁我") == strings{"我", "丁", "我"});
  CHECK(cut(s, "丁甲乙丁戊己") == strings{"丁", "甲乙", "丁", "戊己"});
  const std::string text = "我\xff甲丙\xe5乙 ok";
  std::string joined;
  for (auto t : s.cut(text)) joined += t;
  CHECK(joined == text);
}

TEST_CASE("chinese_hmm: the reader's errors name the file, the line and the column", "[simplify]") {
  const auto read = [](const std::string& text) {
    std::istringstream in(text);
    return tx::chinese_hmm::read(in, "hmm.txt");
  };
  CHECK_THROWS_WITH(read("start B -1\nbegin B -1\n"), Catch::Contains("hmm.txt:2:1") && Catch::Contains("'start', 'trans' or 'emit'"));
  CHECK_THROWS_WITH(read("start X -1\n"), Catch::Contains("hmm.txt:1:7") && Catch::Contains("'X' is not a state"));
  CHECK_THROWS_WITH(read("trans B E 0.5\n"), Catch::Contains("hmm.txt:1:11") && Catch::Contains("log-probability"));
  CHECK_THROWS_WITH(read("trans B E\n"), Catch::Contains("hmm.txt:1:1") && Catch::Contains("takes 3 fields"));
  CHECK_THROWS_WITH(read("emit B 甲乙 -1\n"), Catch::Contains("hmm.txt:1:8") && Catch::Contains("one character"));
  CHECK_THROWS_WITH(read("emit B \xff -1\n"), Catch::Contains("hmm.txt:1:8"));
  CHECK_THROWS_WITH(read("emit S 甲 nan\n"), Catch::Contains("hmm.txt:1:12"));
  CHECK_THROWS_WITH(read("emit SB 甲 -1\n"), Catch::Contains("hmm.txt:1:6") && Catch::Contains("'SB' is not a state"));
  tx::chinese_hmm m;
  CHECK_THROWS_WITH(m.set_start('Q', -1), Catch::Contains("'Q' is not a state"));
}

// ---- Cilin ----

#include <posttrain/simplify/cilin.hpp>

namespace {

const char* const small_cilin =
    "Aa01A01= 人 士 人物\n"
    "Aa01A02= 人类 全人类\n"
    "Aa01A03# 人手 人员 人\n"
    "Aa01B01= 人物 角色\n"
    "Ab02C01@ 独\n"
    "Ba01A01= 物 物体\xE3\x80\x80东西\n";  // an ideographic space between two words

posttrain::simplify::cilin small_tree() {
  std::istringstream in(small_cilin);
  return posttrain::simplify::cilin::read(in, "cilin.txt");
}

}  // namespace

TEST_CASE("cilin: synonyms are the '=' groups first, then the '#' groups, without repeats", "[simplify]") {
  const auto c = small_tree();
  CHECK(c.groups().size() == 6);
  CHECK(c.synonyms("人") == strings{"士", "人物", "人手", "人员"});
  CHECK(c.synonyms("人物") == strings{"人", "士", "角色"});
  CHECK(c.synonyms("独").empty());  // '@': it stands alone
  CHECK(c.synonyms("不在").empty());
  CHECK(c.synonyms("东西") == strings{"物", "物体"});
  CHECK(c.codes("人物") == std::vector<std::string_view>{"Aa01A01=", "Aa01B01="});
  CHECK(c.contains("全人类"));
  CHECK(!c.contains("全人"));
}

TEST_CASE("cilin: the tree distance counts the levels two codes do not share", "[simplify]") {
  const auto c = small_tree();
  CHECK(c.distance("人", "士") == 0);        // the same group
  CHECK(c.distance("人", "人类") == 1);      // level 5 differs
  CHECK(c.distance("角色", "人类") == 2);    // level 4 differs
  CHECK(c.distance("人物", "人类") == 1);    // its closer code wins
  CHECK(c.distance("独", "人") == 4);        // level 2 differs
  CHECK(posttrain::simplify::cilin::code_distance("Aa01A01=", "Aa02A01#") == 3);  // level 3; the flag is no level
  CHECK(c.distance("物", "人") == 5);        // even level 1 differs
  CHECK(c.distance("物", "不在") == -1);
  CHECK(posttrain::simplify::cilin::code_distance("Aa01A01=", "Ab01A01=") == 4);
}

TEST_CASE("cilin: the reader's errors name the file, the line and the column", "[simplify]") {
  const auto read = [](const std::string& text) {
    std::istringstream in(text);
    return posttrain::simplify::cilin::read(in, "cilin.txt");
  };
  CHECK_THROWS_WITH(read("Aa01A01= 人\nMa01A01= 士\n"), Catch::Contains("cilin.txt:2:1"));
  CHECK_THROWS_WITH(read("Aa01A0x= 人\n"), Catch::Contains("cilin.txt:1:7"));
  CHECK_THROWS_WITH(read("Aa01A01% 人\n"), Catch::Contains("cilin.txt:1:8"));
  CHECK_THROWS_WITH(read("Aa01A01=人\n"), Catch::Contains("cilin.txt:1:9"));
  CHECK_THROWS_WITH(read("Aa01A01=  \n"), Catch::Contains("cilin.txt:1:9") && Catch::Contains("no words"));
  CHECK_THROWS_WITH(read("Aa01\n"), Catch::Contains("cilin.txt:1:5"));
  CHECK(read("\xEF\xBB\xBF" "Aa01A01= 人 士\r\n\r\n").synonyms("士") == strings{"人"});
  posttrain::simplify::cilin c;
  CHECK_THROWS_WITH(c.add({"Aa01A01", {"人"}}), Catch::Contains("'Aa01A01'"));
}
