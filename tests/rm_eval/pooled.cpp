// SPDX-License-Identifier: Apache-2.0
// Correlations of a resample from its prompts' multiplicities against the same correlations of
// the materialised resample; bootstrap_counts against bootstrap.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include <posttrain/rm_eval/bootstrap.hpp>
#include <posttrain/rm_eval/pooled.hpp>

namespace re = posttrain::rm_eval;

namespace {

/// Prompts of 1–7 responses; scores on few levels (ties within and across prompts) or continuous.
re::prompt_scores random_scores(std::int64_t prompts, bool tied, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> size(1, 7), level(0, 5);
  std::normal_distribution<double> normal;
  re::prompt_scores s;
  for (std::int64_t p = 0; p < prompts; ++p) {
    std::vector<double> proxy, gold;
    for (int k = size(gen); k > 0; --k) {
      const double g = tied ? level(gen) : normal(gen);
      gold.push_back(g);
      proxy.push_back(tied ? double((level(gen) + int(g)) / 2) : g + normal(gen));
    }
    s.add_prompt(proxy, gold);
  }
  return s;
}

std::vector<std::int64_t> indices_of(std::span<const std::int32_t> counts) {
  std::vector<std::int64_t> out;
  for (std::size_t p = 0; p < counts.size(); ++p)
    for (std::int32_t c = 0; c < counts[p]; ++c) out.push_back(std::int64_t(p));
  return out;
}

void check_close(double got, double want) {
  if (std::isnan(want)) CHECK(std::isnan(got));
  else CHECK(got == Approx(want).epsilon(1e-12).margin(1e-14));
}

}  // namespace

TEST_CASE("pooled correlations of a resample equal those of the materialised resample") {
  for (const bool tied : {true, false})
    for (unsigned seed = 0; seed < 12; ++seed) {
      const std::int64_t prompts = 1 + seed * 7;
      const auto s = random_scores(prompts, tied, seed);
      const re::pooled_correlations pooled(s);
      std::mt19937 gen(seed + 99);
      std::uniform_int_distribution<std::int64_t> pick(0, prompts - 1);
      for (int trial = 0; trial < 6; ++trial) {
        std::vector<std::int32_t> counts(static_cast<std::size_t>(prompts), 0);
        const std::int64_t draws = trial == 0 ? prompts : trial == 1 ? 1 : prompts + trial;
        for (std::int64_t d = 0; d < draws; ++d) ++counts[static_cast<std::size_t>(pick(gen))];
        if (trial == 2) std::fill(counts.begin(), counts.end(), 1);
        const auto idx = indices_of(counts);
        const auto r = re::select_prompts(s, idx);
        CAPTURE(tied, seed, trial);
        check_close(pooled.pearson(counts), re::pearson(r.proxy, r.gold));
        check_close(pooled.spearman(counts), re::spearman(r.proxy, r.gold));
        check_close(pooled.kendall_tau_b(counts), re::kendall_tau(r.proxy, r.gold));
      }
    }
}

TEST_CASE("pooled correlations: no responses drawn, wrong count lengths") {
  const auto s = random_scores(5, false, 3);
  const re::pooled_correlations pooled(s);
  const std::vector<std::int32_t> none(5, 0), short_counts(4, 1);
  CHECK(std::isnan(pooled.pearson(none)));
  CHECK(std::isnan(pooled.spearman(none)));
  CHECK(std::isnan(pooled.kendall_tau_b(none)));
  CHECK_THROWS_WITH(pooled.kendall_tau_b(short_counts), Catch::Contains("4 counts for 5 prompts"));
  const re::pooled_correlations empty{re::prompt_scores{}};
  CHECK(std::isnan(empty.spearman(std::span<const std::int32_t>())));
}

TEST_CASE("bootstrap_counts draws bootstrap's resamples, on any number of threads") {
  const auto s = random_scores(300, true, 5);
  std::vector<double> per_prompt_gold(static_cast<std::size_t>(s.prompts()));
  for (std::int64_t p = 0; p < s.prompts(); ++p) per_prompt_gold[std::size_t(p)] = s.gold[std::size_t(s.offsets[p])];
  const auto by_indices = re::bootstrap(
      s.prompts(),
      [&](std::span<const std::int64_t> idx) {
        double t = 0;
        for (const auto i : idx) t += per_prompt_gold[std::size_t(i)];
        return t / double(idx.size());
      },
      400, 0.9, 17);
  const auto mean_of_counts = [&](std::span<const std::int32_t> counts) {
    double t = 0, n = 0;
    for (std::size_t p = 0; p < counts.size(); ++p) t += counts[p] * per_prompt_gold[p], n += counts[p];
    return t / n;
  };
  const auto by_counts = re::bootstrap_counts(s.prompts(), mean_of_counts, 400, 0.9, 17);
  const auto threaded = re::bootstrap_counts(s.prompts(), mean_of_counts, 400, 0.9, 17, true);
  CHECK(by_counts.estimate == Approx(by_indices.estimate).epsilon(1e-13));
  CHECK(by_counts.lower == Approx(by_indices.lower).epsilon(1e-13));
  CHECK(by_counts.upper == Approx(by_indices.upper).epsilon(1e-13));
  CHECK(by_counts.lower < by_counts.upper);
  CHECK(threaded.lower == by_counts.lower);
  CHECK(threaded.upper == by_counts.upper);
  CHECK(threaded.valid_resamples == 400);

  // The pooled Kendall's τ through both: the same interval.
  const re::pooled_correlations pooled(s);
  const auto a = re::bootstrap(
      s.prompts(), [&](std::span<const std::int64_t> idx) {
        const auto r = re::select_prompts(s, idx);
        return re::kendall_tau(r.proxy, r.gold);
      },
      50, 0.95, 3);
  const auto b = re::bootstrap_counts(
      s.prompts(), [&](std::span<const std::int32_t> c) { return pooled.kendall_tau_b(c); }, 50, 0.95, 3, true);
  CHECK(b.lower == Approx(a.lower).epsilon(1e-12));
  CHECK(b.upper == Approx(a.upper).epsilon(1e-12));

  // A statistic that throws: the exception leaves the threads and reaches the caller.
  CHECK_THROWS_WITH(re::bootstrap_counts(
                        10, [](std::span<const std::int32_t> c) -> double {
                          if (c[0] == 0) throw posttrain::value_error("no first item");
                          return 1.0;
                        },
                        50, 0.95, 1, true),
                    "no first item");
}
