// SPDX-License-Identifier: Apache-2.0
// The reward module's hot paths on the Eigen backend, with their yardsticks in the same run:
//
//   BM_gae_whiten/threads  GAE + returns + masked whitening of [512, 4096] float32 with a uint8
//                          mask (trl's compute_advantages), against a plain copy of the same
//                          size on the same threads. It must touch 25 bytes per element (read
//                          r, V, mask: 9; write A, returns: 8; whitening reads and rewrites A:
//                          8); `fraction_of_copy` is that traffic's rate over the copy's rate.
//   BM_policy_loss/threads PPO's clipped policy loss and gradient over [512, 4096] float32 with a
//                          uint8 mask (17 bytes per element), against a copy of the same bytes.
//   BM_longest_common_substring  two 20 kB texts: the suffix automaton against the O(n·m)
//                          table of the reference (`speedup_vs_table`); POSTTRAIN_LCS_TEXTS=DIR
//                          reads DIR/{a,b}.txt instead (bench/peers/reward_vs_torch.sh writes them
//                          and times pylcs on them).
//
//   bench_reward [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <random>
#include <string>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/reward.hpp>

#include "memory.hpp"

namespace {

namespace rw = posttrain::reward;
using posttrain::index_t;


void BM_gae_whiten(benchmark::State& state) {
  const index_t rows = 512, cols = 4096;
  const int threads = int(state.range(0));
  omp_set_num_threads(threads);
  const posttrain::eigen_backend be;
  std::mt19937 gen(1);
  std::normal_distribution<float> normal;
  std::bernoulli_distribution keep(0.9);
  const std::size_t n = std::size_t(rows * cols);
  std::vector<float> r(n), v(n), a(n), g(n);
  std::vector<std::uint8_t> m(n);
  for (std::size_t k = 0; k < n; ++k) r[k] = normal(gen), v[k] = normal(gen), m[k] = keep(gen);
  const posttrain::tensor_view<const float, 2> rv(r.data(), rows, cols), vv(v.data(), rows, cols);
  const posttrain::tensor_view<const std::uint8_t, 2> mv(m.data(), rows, cols);
  const posttrain::tensor_view<float, 2> av(a.data(), rows, cols), gv(g.data(), rows, cols);
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto stats = rw::gae(be, rv, vv, mv, av, gv);
    rw::whiten(be, av, stats, av);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(a.data());
  }
  seconds /= double(state.iterations());
  // A copy moving the same 25 bytes per element: 12.5 bytes read and 12.5 written.
  const double copy = bench::copy_seconds(n * 25 / 8, threads);
  state.counters["GB_per_s"] = double(n) * 25 / seconds / 1e9;
  state.counters["copy_GB_per_s"] = double(n) * 25 / copy / 1e9;
  state.counters["fraction_of_copy"] = copy / seconds;
  omp_set_num_threads(omp_get_num_procs());
}

/// PPO's clipped policy loss and its gradient over [512, 4096] float32 with a uint8 mask: reads
/// logp, logp_old and advantages, the mask, writes the gradient (17 bytes per element).
void BM_policy_loss(benchmark::State& state) {
  const index_t rows = 512, cols = 4096;
  const int threads = int(state.range(0));
  omp_set_num_threads(threads);
  const posttrain::eigen_backend be;
  std::mt19937 gen(2);
  std::normal_distribution<float> normal;
  std::bernoulli_distribution keep(0.9);
  const std::size_t n = std::size_t(rows * cols);
  std::vector<float> lp(n), old(n), adv(n), grad(n);
  std::vector<std::uint8_t> m(n);
  for (std::size_t k = 0; k < n; ++k)
    lp[k] = -1 + 0.1f * normal(gen), old[k] = -1 + 0.1f * normal(gen), adv[k] = normal(gen), m[k] = keep(gen);
  const posttrain::tensor_view<const float, 2> lv(lp.data(), rows, cols), ov(old.data(), rows, cols),
      av(adv.data(), rows, cols);
  const posttrain::tensor_view<const std::uint8_t, 2> mv(m.data(), rows, cols);
  const posttrain::tensor_view<float, 2> gv(grad.data(), rows, cols);
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = rw::policy_loss_and_gradient(be, lv, ov, av, mv, gv);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(r.loss);
  }
  seconds /= double(state.iterations());
  const double copy = bench::copy_seconds(n * 17 / 8, threads);
  state.counters["GB_per_s"] = double(n) * 17 / seconds / 1e9;
  state.counters["fraction_of_copy"] = copy / seconds;
  omp_set_num_threads(omp_get_num_procs());
}

std::string random_text(std::size_t n, unsigned seed) {
  // Words from a small vocabulary, like prose: long repeated substrings, a realistic alphabet.
  static const char* words[] = {"the", "model", "was", "born", "in", "a", "city", "of", "light", "and",
                                "won", "two", "prizes", "for", "physics", "chemistry", "she", "is", "known", "as"};
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> pick(0, 19);
  std::string s;
  while (s.size() < n) {
    s += words[pick(gen)];
    s += ' ';
  }
  s.resize(n);
  return s;
}

/// The reference's O(n·m) table with two rolling rows.
index_t table_longest_common_substring(const std::string& a, const std::string& b) {
  std::vector<std::int32_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
  index_t best = 0;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : 0;
      best = std::max<index_t>(best, cur[j]);
    }
    std::swap(prev, cur);
  }
  return best;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void BM_longest_common_substring(benchmark::State& state) {
  // POSTTRAIN_LCS_TEXTS=DIR reads DIR/a.txt and DIR/b.txt (the texts the pylcs peer timed).
  const char* dir = std::getenv("POSTTRAIN_LCS_TEXTS");
  const std::string a = dir ? read_file(std::string(dir) + "/a.txt") : random_text(20000, 1);
  const std::string b = dir ? read_file(std::string(dir) + "/b.txt") : random_text(20000, 2);
  index_t length = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    length = rw::find_longest_common_substring<char>(a, b).length;
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(length);
  }
  seconds /= double(state.iterations());
  const auto t0 = std::chrono::steady_clock::now();
  const index_t reference = table_longest_common_substring(a, b);
  const double table = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (reference != length) state.SkipWithError("the automaton and the table disagree");
  state.counters["length"] = double(length);
  state.counters["table_ms"] = table * 1e3;
  state.counters["speedup_vs_table"] = table / seconds;
}

}  // namespace

BENCHMARK(BM_gae_whiten)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_policy_loss)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_longest_common_substring)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
