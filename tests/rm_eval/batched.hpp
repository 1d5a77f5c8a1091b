// SPDX-License-Identifier: Apache-2.0
// Per-prompt metrics through the backends, against the host functions.
#include "../support/harness.hpp"

#include <posttrain/rm_eval.hpp>

#include <algorithm>
#include <span>

using namespace pt_test;
namespace re = posttrain::rm_eval;

PT_TEMPLATE_TEST("rm_eval: per-prompt best-of-k agreement on the backend", float, double) {
  for (auto [prompts, k] : {std::pair{1, 1}, {7, 4}, {300, 16}})
    for (layout l : {layout::dense, layout::strided}) {
      const auto proxy = ref::random_ties(prompts, k, 1 + k, 3), gold = ref::random_ties(prompts, k, 2 + k, 3);
      auto dp = upload<TestType>(proxy, l), dg = upload<TestType>(gold, l);
      auto out = output<TestType>(1, prompts);
      re::prompt_best_of_n_agreement(backend(), dp.view, dg.view, out.view.row(0));
      ref::matrix expected(1, prompts);
      for (int p = 0; p < prompts; ++p)
        expected(0, p) = re::best_of_n_agreement(std::span(proxy.data).subspan(p * k, k),
                                                 std::span(gold.data).subspan(p * k, k));
      require_close(download(out.view), expected, tolerance<TestType>());
    }
}

PT_TEMPLATE_TEST("rm_eval: per-prompt all-pairs accuracy on the backend", float, double) {
  const re::tie_policy policies[] = {re::tie_policy::zero, re::tie_policy::half, re::tie_policy::exclude};
  // k < 8, 8 ≤ k < 32 and k ≥ 32 take three kernels; 600 prompts span three blocks of 256.
  for (auto [prompts, k] : {std::pair{40, 6}, {3, 1}, {5, 0}, {17, 33}, {9, 12}, {600, 5}})
    for (layout l : {layout::dense, layout::transposed})
      for (re::tie_policy policy : policies) {
        auto proxy = ref::random_ties(prompts, k, 5 + k, 4), gold = ref::random_ties(prompts, k, 6 + k, 4);
        if (k > 2) {  // a NaN score in one response of prompt 1 (proxy) and of prompt 2 (gold)
          proxy(1, k - 1) = ref::nan;
          gold(2, 0) = ref::nan;
        }
        auto dp = upload<TestType>(proxy, l), dg = upload<TestType>(gold);
        auto out = output<TestType>(1, prompts);
        re::prompt_all_pairs_accuracy(backend(), dp.view, dg.view, out.view.row(0), policy);
        ref::matrix expected(1, prompts);
        for (int p = 0; p < prompts; ++p) {
          re::prompt_scores one;
          one.add_prompt(std::span(proxy.data).subspan(p * k, k), std::span(gold.data).subspan(p * k, k));
          const bool has_nan = std::any_of(one.proxy.begin(), one.proxy.end(), [](double v) { return std::isnan(v); }) ||
                               std::any_of(one.gold.begin(), one.gold.end(), [](double v) { return std::isnan(v); });
          expected(0, p) = has_nan ? ref::nan : re::all_pairs_accuracy(one, policy).accuracy;
        }
        INFO("prompts " << prompts << ", k " << k << ", " << name(l));
        require_close(download(out.view), expected, tolerance<TestType>());
        if (k == 6) {  // the fixture above has informative pairs: not every prompt is NaN
          const auto got = download(out.view);
          CHECK(std::count_if(got.data.begin(), got.data.end(), [](double v) { return !std::isnan(v); }) > prompts / 2);
        }
      }
  auto dp = upload<double>(ref::random_ties(4, 3, 1)), dg = upload<double>(ref::random_ties(4, 3, 2));
  auto bad = output<double>(1, 5);
  CHECK_THROWS_AS(re::prompt_all_pairs_accuracy(backend(), dp.view, dg.view, bad.view.row(0)), posttrain::shape_error);
  auto narrow = upload<double>(ref::random_ties(4, 2, 1));
  auto out = output<double>(1, 4);
  CHECK_THROWS_AS(re::prompt_all_pairs_accuracy(backend(), narrow.view, dg.view, out.view.row(0)), posttrain::shape_error);
}
