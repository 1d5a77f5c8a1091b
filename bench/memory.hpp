// SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers the benchmarks share: the resident memory of the process (Linux), for the benchmarks
// that report what an algorithm allocates beyond its inputs, and the time of a plain copy, the
// yardstick of the memory-bound kernels.

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace bench {

/// A line of /proc/self/status (VmRSS: resident now, VmHWM: the peak), in MiB.
inline double status_mib(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  return 0;
}

/// Resets the peak to the current resident size (clear_refs 5).
inline void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

/// Seconds of one copy of `floats` floats split over `threads` threads (median of 5).
inline double copy_seconds(std::size_t floats, int threads) {
  std::vector<float> a(floats, 1.0f), b(floats, 0.0f);
  std::vector<double> t;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int chunk = 0; chunk < 64; ++chunk) {
      const std::size_t lo = floats * std::size_t(chunk) / 64, hi = floats * std::size_t(chunk + 1) / 64;
      std::memcpy(b.data() + lo, a.data() + lo, (hi - lo) * sizeof(float));
    }
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    volatile float sink = b[floats / 2];
    (void)sink;
  }
  std::sort(t.begin(), t.end());
  return t[2];
}

}  // namespace bench
