// SPDX-License-Identifier: Apache-2.0
// The backends side by side: the same row softmax of [rows, cols] logits on every backend this
// program was built with; each must give the sequential reference's answer, and each one's
// time is printed (median of the repeats).
//
//   backends_tour [--rows N] [--cols V] [--repeats R]

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <posttrain/core.hpp>

#include "../common/options.hpp"
#if defined(POSTTRAIN_HAVE_EIGEN)
#include <posttrain/backends/eigen.hpp>
#endif
#if defined(POSTTRAIN_HAVE_XTENSOR)
#include <posttrain/backends/xtensor.hpp>
#endif
#if defined(POSTTRAIN_HAVE_CUDA)
// Defined in cuda_part.cu; false when no GPU is present.
bool cuda_softmax(const float* x, float* y, long rows, long cols, int repeats, double& median_seconds,
                  std::string& device);
#endif

namespace {

template <class Backend>
double time_softmax(const Backend& be, posttrain::tensor_view<const float, 2> x, posttrain::tensor_view<float, 2> y,
                    int repeats) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    posttrain::ops::softmax(be, x, y);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  const examples::command_line args(argc, argv, "usage: backends_tour [--rows N] [--cols V] [--repeats R]",
                                    {"rows", "cols", "repeats"});
  const long rows = static_cast<long>(args.whole("rows", 512, 1, 1 << 20));
  const long cols = static_cast<long>(args.whole("cols", 32000, 1, 1 << 24));
  const int repeats = static_cast<int>(args.whole("repeats", 5, 1, 1000));
  if (rows * cols > (1L << 27)) args.fail("--rows x --cols must be at most 2^27 (three buffers of that many floats)");
  // Logits with a realistic spread, from the library's counter-based generator.
  const posttrain::counter_rng rng(2024, 0);
  std::vector<float> x(static_cast<std::size_t>(rows * cols)), reference(x.size()), y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 8.0f * (rng.uniform(i) - 0.5f);
  const posttrain::tensor_view<const float, 2> xv(x.data(), rows, cols);

  std::printf("row softmax of f32[%ld,%ld] logits (%.1f MB in, %.1f MB out), median of %d runs\n", rows, cols,
              4e-6 * x.size(), 4e-6 * x.size(), repeats);
  std::printf("  %-11s %10s %12s  %s\n", "backend", "time", "GB/s", "max |difference| from sequential");
  const double bytes = 8.0 * static_cast<double>(x.size());
  const double t_ref =
      time_softmax(posttrain::sequential_backend{}, xv, posttrain::tensor_view<float, 2>(reference.data(), rows, cols), 1);
  std::printf("  %-11s %8.2f ms %12.2f  (the reference)\n", "sequential", 1e3 * t_ref, bytes / t_ref * 1e-9);
  bool ok = true;
  auto report = [&](const char* name, double seconds) {
    const double diff = max_difference(reference, y);
    ok = ok && diff < 1e-6;
    std::printf("  %-11s %8.2f ms %12.2f  %.2e\n", name, 1e3 * seconds, bytes / seconds * 1e-9, diff);
  };
#if defined(POSTTRAIN_HAVE_EIGEN)
  report("eigen", time_softmax(posttrain::eigen_backend{}, xv, posttrain::tensor_view<float, 2>(y.data(), rows, cols), repeats));
#endif
#if defined(POSTTRAIN_HAVE_XTENSOR)
  report("xtensor",
         time_softmax(posttrain::xtensor_backend{}, xv, posttrain::tensor_view<float, 2>(y.data(), rows, cols), repeats));
#endif
#if defined(POSTTRAIN_HAVE_CUDA)
  double cuda_seconds = 0;
  std::string device;
  if (cuda_softmax(x.data(), y.data(), rows, cols, repeats, cuda_seconds, device)) report("cuda", cuda_seconds);
  else std::printf("  %-11s (built, but no CUDA device here)\n", "cuda");
#endif
  std::printf(ok ? "all backends agree\n" : "BACKENDS DISAGREE\n");
  return ok ? 0 : 1;
}
