// SPDX-License-Identifier: Apache-2.0
#pragma once
// Row-parallel loop for the host backends: OpenMP when the translation unit is compiled with
// it (the Eigen and xtensor targets turn it on), else a plain loop. A body may throw: each
// thread's exception is caught inside the parallel region (one escaping it would terminate the
// program) and the one from the lowest rows is rethrown after it, so the error a caller sees is
// the one a sequential loop would have raised first.

#include <algorithm>
#include <exception>
#include <vector>

#include "../config.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace posttrain::detail {

/// Calls body(r0, r1) on contiguous row ranges covering [0, rows), one range per thread.
template <class Body>
void openmp_for_rows(index_t rows, const Body& body) {
#if defined(_OPENMP)
  const int threads = static_cast<int>(std::min<index_t>(rows, omp_get_max_threads()));
  if (threads > 1 && !omp_in_parallel()) {
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
#pragma omp parallel num_threads(threads)
    {
      const index_t t = omp_get_thread_num(), n = omp_get_num_threads();
      const index_t r0 = rows * t / n, r1 = rows * (t + 1) / n;
      try {
        if (r0 < r1) body(r0, r1);
      } catch (...) {
        errors[static_cast<std::size_t>(t)] = std::current_exception();
      }
    }
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
    return;
  }
#endif
  body(index_t{0}, rows);
}

}  // namespace posttrain::detail
