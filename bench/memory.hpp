#pragma once
// Resident memory of the benchmark process (Linux), for the benchmarks that report what an
// algorithm allocates beyond its inputs.

#include <fstream>
#include <string>

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

}  // namespace bench
