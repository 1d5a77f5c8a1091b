// SPDX-License-Identifier: Apache-2.0
// The TSAR-2022 metrics on instances computed by hand (the sums are written out next to each
// expected value), cleaning, ties in the top gold, empty predictions, and bad arguments.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <posttrain/simplify/tsar_metrics.hpp>

namespace sp = posttrain::simplify;
using strings = std::vector<std::string>;

TEST_CASE("simplify: TSAR-2022 metrics on hand-computed instances", "[simplify]") {
  const strings words = {"compulsory", "abandon", "x", "big"};
  const std::vector<strings> predicted = {
      {"Mandatory", "required", "compulsory", "mandatory", "essential", "forced"},  // → mandatory required essential forced
      {"leave", "quit", "Leave", "give up", "desert"},                               // → leave quit give-up desert
      {"x", "X"},                                                                    // → nothing left
      {"huge", "large"}};
  const std::vector<strings> gold = {
      {"mandatory", "mandatory", "required", "essential", "forced", "required", "mandatory"},  // top: mandatory
      {"give up", "desert", "give up", "leave"},                                               // top: give up
      {"y"},
      {"large", "great", "great", "large"}};  // top: large and great (a tie)
  const auto m = sp::evaluate_tsar(words, predicted, gold);
  REQUIRE(m.size() == 4);
  CHECK(m[0].k == 1);
  CHECK(m[3].k == 10);
  for (const auto& r : m) CHECK(r.acc_at_1 == Approx((1 + 1 + 0 + 0) / 4.0));
  // k = 1
  CHECK(m[0].acc_at_k_top1 == Approx((1 + 0 + 0 + 0) / 4.0));
  CHECK(m[0].potential_at_k == Approx((1 + 1 + 0 + 0) / 4.0));
  CHECK(m[0].map_at_k == Approx((1 + 1 + 0 + 0) / 4.0));
  // k = 3: instance 2 hits at ranks 1 and 3 (1/1 + 2/3), instance 4 at rank 2 (1/2)
  CHECK(m[1].acc_at_k_top1 == Approx((1 + 1 + 0 + 1) / 4.0));
  CHECK(m[1].potential_at_k == Approx((1 + 1 + 0 + 1) / 4.0));
  CHECK(m[1].map_at_k == Approx((3.0 / 3 + (1 + 2.0 / 3) / 3 + 0 + 0.5 / 3) / 4));
  // k = 5: four predictions at most, still divided by 5
  CHECK(m[2].map_at_k == Approx((4.0 / 5 + (1 + 2.0 / 3 + 3.0 / 4) / 5 + 0 + 0.5 / 5) / 4));
  // k = 10
  CHECK(m[3].map_at_k == Approx((4.0 / 10 + (1 + 2.0 / 3 + 3.0 / 4) / 10 + 0 + 0.5 / 10) / 4));
  CHECK(m[3].potential_at_k == Approx(0.75));
}

TEST_CASE("simplify: TSAR-2022 metrics, chosen cut-offs, case and edge cases", "[simplify]") {
  const strings words = {"Étude"};
  const std::vector<strings> predicted = {{"ÉTUDE", "Essai", "essai", "travail"}};  // → essai travail
  const std::vector<strings> gold = {{"travail", "essai"}};  // a tie of two: both are top gold
  const int ks[] = {2, 1};
  const auto m = sp::evaluate_tsar(words, predicted, gold, ks);
  REQUIRE(m.size() == 2);
  CHECK(m[0].k == 2);
  CHECK(m[0].acc_at_1 == 1.0);
  CHECK(m[0].map_at_k == Approx((1.0 / 1 + 2.0 / 2) / 2));
  CHECK(m[1].map_at_k == Approx(1.0));

  // No instances: every figure is 0, the cut-offs are kept.
  const auto none = sp::evaluate_tsar(strings{}, std::vector<strings>{}, std::vector<strings>{});
  REQUIRE(none.size() == 4);
  CHECK(none[2].k == 5);
  CHECK(none[2].map_at_k == 0.0);

  // An empty gold list and an empty prediction: a miss that stays in n.
  const strings two = {"a", "b"};
  const std::vector<strings> preds = {{}, {"c"}};
  const std::vector<strings> golds = {{"z"}, {}};
  const auto e = sp::evaluate_tsar(two, preds, golds);
  for (const auto& r : e) {
    CHECK(r.acc_at_1 == 0.0);
    CHECK(r.potential_at_k == 0.0);
    CHECK(r.map_at_k == 0.0);
  }

  // Invalid UTF-8 does not crash: each bad byte reads as U+FFFD.
  const strings bad_word = {"\xff"};
  const std::vector<strings> bad_pred = {{"a\xfe", "b"}};
  const std::vector<strings> bad_gold = {{"a\xfd"}};
  CHECK(sp::evaluate_tsar(bad_word, bad_pred, bad_gold)[0].acc_at_1 == 1.0);
}

TEST_CASE("simplify: TSAR-2022 metrics reject mismatched lists and bad cut-offs", "[simplify]") {
  const strings words = {"a", "b"};
  const std::vector<strings> one = {{"x"}};
  const std::vector<strings> two = {{"x"}, {"y"}};
  CHECK_THROWS_AS(sp::evaluate_tsar(words, one, two), posttrain::shape_error);
  CHECK_THROWS_WITH(sp::evaluate_tsar(words, two, one), Catch::Contains("2 words, 2 prediction lists and 1 gold"));
  const int zero[] = {3, 0};
  CHECK_THROWS_WITH(sp::evaluate_tsar(words, two, two, zero), Catch::Contains("ks[1] is 0"));
}
