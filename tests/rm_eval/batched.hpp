// SPDX-License-Identifier: Apache-2.0
// Per-prompt metrics through the backends, against the host functions.
#include "../support/harness.hpp"

#include <posttrain/rm_eval.hpp>

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

namespace {
// A template, so that a device backend's test unit never instantiates it.
template <class Backend>
void check_prompt_all_pairs(const Backend& be) {
    const int prompts = 40, k = 6;
    const auto proxy = ref::random_ties(prompts, k, 5, 4), gold = ref::random_ties(prompts, k, 6, 4);
    auto dp = upload<double>(proxy, layout::transposed), dg = upload<double>(gold);
    auto out = output<double>(1, prompts);
    re::prompt_all_pairs_accuracy(be, dp.view, dg.view, out.view.row(0), re::tie_policy::half);
    for (int p = 0; p < prompts; ++p) {
      re::prompt_scores one;
      one.add_prompt(std::span(proxy.data).subspan(p * k, k), std::span(gold.data).subspan(p * k, k));
      const double e = re::all_pairs_accuracy(one, re::tie_policy::half).accuracy;
      const double got = download(out.view)(0, p);
      if (std::isnan(e)) CHECK(std::isnan(got));
      else CHECK(got == Approx(e));
    }
    auto bad = output<double>(1, prompts + 1);
    CHECK_THROWS_AS(re::prompt_all_pairs_accuracy(be, dp.view, dg.view, bad.view.row(0)), posttrain::shape_error);
}
}  // namespace

PT_TEST("rm_eval: per-prompt all-pairs accuracy on host backends") {
  check_prompt_all_pairs(backend());
}
