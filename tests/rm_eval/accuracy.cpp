// SPDX-License-Identifier: Apache-2.0
// Accuracy with the three tie policies, best-of-N agreement and best-of-N gold against
// brute force over subsets, normalised gain, bootstrap intervals.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include <posttrain/rm_eval.hpp>

namespace re = posttrain::rm_eval;

namespace {

re::prompt_scores random_scores(int prompts, int k, int levels, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, levels - 1);
  re::prompt_scores s;
  for (int p = 0; p < prompts; ++p) {
    std::vector<double> proxy(k), gold(k);
    for (int i = 0; i < k; ++i) proxy[i] = dist(gen), gold[i] = dist(gen);
    s.add_prompt(proxy, gold);
  }
  return s;
}

/// E[gold of the proxy's pick] by enumerating every N-subset, ties split uniformly.
double brute_force_best_of_n(const std::vector<double>& proxy, const std::vector<double>& gold, int n) {
  const int k = static_cast<int>(proxy.size());
  double total = 0, subsets = 0;
  for (unsigned mask = 0; mask < (1u << k); ++mask) {
    if (__builtin_popcount(mask) != n) continue;
    double top = -INFINITY, sum = 0, count = 0;
    for (int i = 0; i < k; ++i)
      if (mask >> i & 1) top = std::max(top, proxy[i]);
    for (int i = 0; i < k; ++i)
      if ((mask >> i & 1) && proxy[i] == top) sum += gold[i], ++count;
    total += sum / count;
    ++subsets;
  }
  return total / subsets;
}

}  // namespace

TEST_CASE("rm_eval: pairwise accuracy under each tie policy, ties always counted") {
  const std::vector<double> chosen = {2, 1, 3, 5}, rejected = {1, 1, 4, 5};
  const auto zero = re::pairwise_accuracy(chosen, rejected);
  CHECK(zero.accuracy == 0.25);
  CHECK(zero.ties == 2);
  CHECK(zero.pairs == 4);
  const auto half = re::pairwise_accuracy(chosen, rejected, re::tie_policy::half);
  CHECK(half.accuracy == 0.5);
  const auto excluded = re::pairwise_accuracy(chosen, rejected, re::tie_policy::exclude);
  CHECK(excluded.accuracy == 0.5);
  CHECK(excluded.pairs == 2);
  CHECK(excluded.ties == 2);
  CHECK(std::isnan(re::pairwise_accuracy({}, {}).accuracy));
  CHECK_THROWS_WITH(re::pairwise_accuracy(chosen, std::vector<double>{1, NAN, 1, 1}), Catch::Contains("pair 1"));
}

TEST_CASE("rm_eval: all-pairs accuracy skips gold ties and counts proxy ties") {
  re::prompt_scores s;
  s.add_prompt(std::vector<double>{1, 2, 2}, std::vector<double>{0, 1, 2});  // pairs: (0,1) ok (0,2) ok (1,2) tie
  s.add_prompt(std::vector<double>{3, 1}, std::vector<double>{5, 5});        // gold tie: skipped
  const auto r = re::all_pairs_accuracy(s);
  CHECK(r.pairs == 3);
  CHECK(r.correct == 2);
  CHECK(r.ties == 1);
  CHECK(r.gold_ties == 1);
  CHECK(r.accuracy == Approx(2.0 / 3));
  CHECK(re::all_pairs_accuracy(s, re::tie_policy::half).accuracy == Approx(2.5 / 3));
  CHECK(re::first_pair_accuracy(s).pairs == 1);
  re::prompt_scores lonely;
  lonely.add_prompt(std::vector<double>{1}, std::vector<double>{1});
  CHECK_THROWS_WITH(re::first_pair_accuracy(lonely), Catch::Contains("prompt 0 has 1 response"));
}

TEST_CASE("rm_eval: best-of-N agreement with ties on either side") {
  CHECK(re::best_of_n_agreement(std::vector<double>{1, 3, 3}, std::vector<double>{0, 5, 1}) == 0.5);
  CHECK(re::best_of_n_agreement(std::vector<double>{1, 3, 3}, std::vector<double>{9, 5, 1}) == 0.0);
  CHECK(re::best_of_n_agreement(std::vector<double>{2, 1}, std::vector<double>{4, 4}) == 1.0);
  CHECK(re::best_of_n_agreement(std::vector<double>{7, 7, 7}, std::vector<double>{1, 2, 2}) == Approx(2.0 / 3));
  CHECK(std::isnan(re::best_of_n_agreement(std::vector<double>{}, std::vector<double>{})));
  const auto s = random_scores(50, 6, 3, 7);
  double sum = 0;
  for (int p = 0; p < 50; ++p)
    sum += re::best_of_n_agreement(std::span(s.proxy).subspan(p * 6, 6), std::span(s.gold).subspan(p * 6, 6));
  CHECK(re::best_of_n_agreement(s).agreement == Approx(sum / 50));
}

TEST_CASE("rm_eval: best-of-N gold equals brute force over all subsets, ties included") {
  for (unsigned seed = 0; seed < 20; ++seed) {
    const auto s = random_scores(1, 9, seed % 2 ? 3 : 100, seed);
    const std::vector<double> proxy(s.proxy.begin(), s.proxy.end()), gold(s.gold.begin(), s.gold.end());
    for (int n = 1; n <= 9; ++n)
      CHECK(re::best_of_n_gold(proxy, gold, n) == Approx(brute_force_best_of_n(proxy, gold, n)).epsilon(1e-12));
  }
  const auto s = random_scores(30, 8, 4, 3);
  double mean_gold = 0;
  for (double g : s.gold) mean_gold += g;
  CHECK(re::best_of_n_gold(s, 1) == Approx(mean_gold / s.gold.size()));
  CHECK_THROWS_WITH(re::best_of_n_gold(s, 9), Catch::Contains("prompt 0 has 8 responses, fewer than N = 9"));
  CHECK_THROWS_AS(re::best_of_n_gold(std::vector<double>{1}, std::vector<double>{1}, 0), posttrain::value_error);
}

TEST_CASE("rm_eval: normalised gain, metrics invariant to increasing transforms of the scores") {
  auto s = random_scores(40, 8, 6, 11);
  re::prompt_scores oracle = s;
  oracle.proxy = oracle.gold;
  CHECK(re::best_of_n_gain(oracle, 4) == Approx(1.0));
  CHECK(re::normalized_gain(1.5, 1.0, 2.0) == 0.5);
  CHECK(re::normalized_gain(0.5, 1.0, 2.0) == -0.5);
  CHECK(std::isnan(re::normalized_gain(1.0, 1.0, 1.0)));

  re::prompt_scores t = s;
  for (auto& v : t.proxy) v = std::exp(v) - 3;  // strictly increasing
  CHECK(re::all_pairs_accuracy(t).accuracy == re::all_pairs_accuracy(s).accuracy);
  CHECK(re::best_of_n_agreement(t).agreement == re::best_of_n_agreement(s).agreement);
  CHECK(re::best_of_n_gold(t, 3) == Approx(re::best_of_n_gold(s, 3)));
  for (auto& v : t.gold) v = 2 * v + 1;  // gold transformed too: gold values change, ranks do not
  CHECK(re::all_pairs_accuracy(t).accuracy == re::all_pairs_accuracy(s).accuracy);
  CHECK(re::best_of_n_gain(t, 3) == Approx(re::best_of_n_gain(s, 3)));
}

TEST_CASE("rm_eval: bootstrap intervals are reproducible and bracket the estimate") {
  const auto s = random_scores(200, 4, 5, 12);
  auto accuracy_of = [&](std::span<const std::int64_t> prompts) {
    return re::all_pairs_accuracy(re::select_prompts(s, prompts)).accuracy;
  };
  const auto a = re::bootstrap(s.prompts(), accuracy_of, 200, 0.9, 42);
  const auto b = re::bootstrap(s.prompts(), accuracy_of, 200, 0.9, 42);
  const auto c = re::bootstrap(s.prompts(), accuracy_of, 200, 0.9, 43);
  CHECK(a.estimate == re::all_pairs_accuracy(s).accuracy);
  CHECK(a.lower == b.lower);
  CHECK(a.upper == b.upper);
  CHECK(a.lower != c.lower);
  CHECK(a.lower < a.estimate);
  CHECK(a.estimate < a.upper);
  CHECK(a.valid_resamples == 200);
  CHECK(a.upper - a.lower < 0.2);
  CHECK_THROWS_AS(re::bootstrap(10, accuracy_of, 10, 1.0), posttrain::value_error);
  CHECK(std::isnan(re::bootstrap(0, accuracy_of).estimate));
}

TEST_CASE("rm_eval: the pairwise accuracy interval is bootstrap() over the pairs, for each tie policy") {
  std::mt19937 gen(5);
  std::uniform_int_distribution<int> level(0, 3);  // few levels: many ties
  std::vector<double> chosen(300), rejected(300);
  for (std::size_t i = 0; i < chosen.size(); ++i) chosen[i] = level(gen), rejected[i] = level(gen);
  for (auto policy : {re::tie_policy::zero, re::tie_policy::half, re::tie_policy::exclude}) {
    // The reference: each resample materialised as the pairs it draws.
    const auto direct = re::bootstrap(
        std::int64_t(chosen.size()),
        [&](std::span<const std::int64_t> idx) {
          std::vector<double> c, r;
          for (const auto i : idx) c.push_back(chosen[std::size_t(i)]), r.push_back(rejected[std::size_t(i)]);
          return re::pairwise_accuracy(c, r, policy).accuracy;
        },
        300, 0.9, 7);
    const auto [acc, ci] = re::pairwise_accuracy_interval(chosen, rejected, policy, 300, 0.9, 7);
    CHECK(acc.accuracy == re::pairwise_accuracy(chosen, rejected, policy).accuracy);
    CHECK(ci.estimate == Approx(acc.accuracy).epsilon(1e-12));
    CHECK(ci.lower == Approx(direct.lower).epsilon(1e-12));
    CHECK(ci.upper == Approx(direct.upper).epsilon(1e-12));
    CHECK(ci.valid_resamples == direct.valid_resamples);
    CHECK(ci.lower < ci.upper);
  }
  const auto [acc, none] = re::pairwise_accuracy_interval(chosen, rejected, re::tie_policy::zero, 0);
  CHECK(std::isnan(none.lower));
  CHECK(acc.pairs == 300);
  CHECK_THROWS_AS(re::pairwise_accuracy_interval(chosen, std::vector<double>(3), re::tie_policy::zero),
                  posttrain::shape_error);
}

TEST_CASE("rm_eval: per-prompt rank correlation averaged over prompts, best-of-N curve") {
  re::prompt_scores s;
  s.add_prompt(std::vector<double>{1, 2, 3}, std::vector<double>{1, 2, 3});  // τ = 1
  s.add_prompt(std::vector<double>{1, 2, 3}, std::vector<double>{3, 2, 1});  // τ = -1
  s.add_prompt(std::vector<double>{1, 2, 3}, std::vector<double>{1, 3, 2});  // τ = 1/3
  s.add_prompt(std::vector<double>{5, 5}, std::vector<double>{1, 2});        // constant proxy: undefined
  s.add_prompt(std::vector<double>{1}, std::vector<double>{1});              // one response: undefined
  const auto t = re::mean_prompt_correlation(s);
  CHECK(t.mean == Approx((1 - 1 + 1.0 / 3) / 3));
  CHECK(t.prompts == 3);
  CHECK(t.undefined == 2);
  CHECK(re::mean_prompt_correlation(s, re::rank_correlation::spearman).mean == Approx((1 - 1 + 0.5) / 3));

  const auto r = random_scores(20, 8, 5, 21);
  const std::vector<std::int64_t> ns = {1, 2, 8};
  const auto curve = re::best_of_n_curve(r, ns);
  REQUIRE(curve.size() == 3);
  for (std::size_t i = 0; i < ns.size(); ++i) CHECK(curve[i] == re::best_of_n_gold(r, ns[i]));
}
