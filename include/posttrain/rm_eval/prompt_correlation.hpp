// SPDX-License-Identifier: Apache-2.0
#pragma once
// The rank correlation between proxy and gold scores within each prompt, averaged over prompts
// (the per-prompt view of "does the proxy order this prompt's responses as gold does").

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

#include "accuracy.hpp"
#include "correlation.hpp"

namespace posttrain::rm_eval {

struct mean_correlation {
  double mean = std::numeric_limits<double>::quiet_NaN();  // over prompts where it is defined
  std::int64_t prompts = 0;                                // prompts that contributed
  std::int64_t undefined = 0;  // prompts with fewer than 2 responses or constant scores (NaN)
};

inline mean_correlation mean_prompt_correlation(const prompt_scores& s,
                                                rank_correlation kind = rank_correlation::kendall_tau_b) {
  s.validate("mean_prompt_correlation");
  mean_correlation r;
  double total = 0;
  for (std::int64_t p = 0; p < s.prompts(); ++p) {
    const auto b = static_cast<std::size_t>(s.offsets[p]), k = static_cast<std::size_t>(s.responses(p));
    const auto proxy = std::span(s.proxy).subspan(b, k), gold = std::span(s.gold).subspan(b, k);
    const double v = kind == rank_correlation::spearman ? spearman(proxy, gold) : kendall_tau(proxy, gold);
    if (std::isnan(v)) {
      ++r.undefined;
      continue;
    }
    total += v;
    ++r.prompts;
  }
  if (r.prompts > 0) r.mean = total / static_cast<double>(r.prompts);
  return r;
}

}  // namespace posttrain::rm_eval
