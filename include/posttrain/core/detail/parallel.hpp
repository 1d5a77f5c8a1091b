#pragma once
// Row-parallel loop for the host backends: OpenMP when the translation unit is compiled with
// it (the Eigen and xtensor targets turn it on), else a plain loop. Bodies must not throw.

#include <algorithm>

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
#pragma omp parallel num_threads(threads)
    {
      const index_t t = omp_get_thread_num(), n = omp_get_num_threads();
      const index_t r0 = rows * t / n, r1 = rows * (t + 1) / n;
      if (r0 < r1) body(r0, r1);
    }
    return;
  }
#endif
  body(index_t{0}, rows);
}

}  // namespace posttrain::detail
