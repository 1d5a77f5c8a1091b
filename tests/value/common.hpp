// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the value module's tests.
#pragma once
#include "../support/harness.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <posttrain/value.hpp>

namespace value_test {

constexpr double inf = std::numeric_limits<double>::infinity();

inline ref::matrix rows_of(std::vector<std::vector<double>> rows) {
  ref::matrix m(std::int64_t(rows.size()), std::int64_t(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(std::int64_t(i), std::int64_t(j)) = rows[i][j];
  return m;
}

inline std::vector<double> log_softmax_row(const ref::matrix& z, std::int64_t r) {
  double top = -inf;
  for (std::int64_t v = 0; v < z.cols; ++v) top = std::max(top, z(r, v));
  double s = 0;
  for (std::int64_t v = 0; v < z.cols; ++v) s += std::exp(z(r, v) - top);
  std::vector<double> out(std::size_t(z.cols));
  for (std::int64_t v = 0; v < z.cols; ++v) out[std::size_t(v)] = z(r, v) - top - std::log(s);
  return out;
}

}  // namespace value_test
