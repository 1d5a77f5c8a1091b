// SPDX-License-Identifier: Apache-2.0
// The simplify module's hot paths on the Eigen backend, in memory (no file reading or writing):
//
//   BM_readability/threads  count_text + FRE of every line: lines/s and MB/s of text, per core too
//   BM_judge_pairs/threads  judge_pair (two count_texts, sentence BLEU, the Trans-SS rule): pairs/s
//   BM_cosine_top_k         embedding neighbours of 256 query words among 50 000 of width 256
//                           (k = 10): its time against the GEMM of the same shapes alone
//                           (`fraction_of_gemm` = GEMM time / total; 1 means free top-k)
//
// The text: POSTTRAIN_SIMPLIFY_DIR=DIR reads DIR/lines.txt and DIR/pairs.tsv (what
// bench/peers/simplify_python.py writes and times textstat and sacrebleu on); otherwise the
// fortunes entries (Debian package fortunes), one per line, repeated to 200 000 lines, paired
// with themselves less every third word, as that script pairs them.
//
//   bench_simplify [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <omp.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <posttrain/backends/eigen.hpp>
#include <posttrain/simplify.hpp>
#include <posttrain/simplify/neighbours.hpp>

namespace {

namespace sp = posttrain::simplify;
using posttrain::index_t;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// The fortunes entries, one per line (an entry's lines joined by spaces), repeated to n lines.
std::vector<std::string> fortunes_lines(std::size_t n) {
  std::vector<std::string> base;
  const std::string root = "/usr/share/games/fortunes";
  std::vector<std::string> files;
  if (std::filesystem::is_directory(root))
    for (const auto& e : std::filesystem::directory_iterator(root))
      if (e.is_regular_file() && !e.path().has_extension()) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string entry;
    for (const auto& line : read_lines(f)) {
      if (line == "%") {
        if (!entry.empty() && entry.find('\t') == std::string::npos) base.push_back(entry);
        entry.clear();
      } else {
        std::string trimmed = line;
        trimmed.erase(0, trimmed.find_first_not_of(" \t"));
        trimmed.erase(trimmed.find_last_not_of(" \t") + 1);
        entry += (entry.empty() ? "" : " ") + trimmed;
      }
    }
  }
  if (base.empty()) base.push_back("The cat sat on the mat. A dog barked at the moon, twice!");
  std::vector<std::string> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = base[i % base.size()];
  return out;
}

const std::vector<std::string>& lines() {
  static const std::vector<std::string> l = [] {
    if (const char* dir = std::getenv("POSTTRAIN_SIMPLIFY_DIR")) return read_lines(std::string(dir) + "/lines.txt");
    return fortunes_lines(200000);
  }();
  return l;
}

const std::vector<std::pair<std::string, std::string>>& pairs() {
  static const std::vector<std::pair<std::string, std::string>> p = [] {
    std::vector<std::pair<std::string, std::string>> out;
    if (const char* dir = std::getenv("POSTTRAIN_SIMPLIFY_DIR")) {
      for (const auto& l : read_lines(std::string(dir) + "/pairs.tsv"))
        if (const auto tab = l.find('\t'); tab != std::string::npos) out.emplace_back(l.substr(0, tab), l.substr(tab + 1));
      return out;
    }
    for (const auto& l : lines()) {  // the line, and the line less every third word
      std::istringstream words(l);
      std::string w, shorter;
      for (int i = 0; words >> w; ++i)
        if (i % 3 != 2) shorter += (shorter.empty() ? "" : " ") + w;
      out.emplace_back(l, shorter);
    }
    return out;
  }();
  return p;
}

void BM_readability(benchmark::State& state) {
  const int threads = int(state.range(0));
  omp_set_num_threads(threads);
  const posttrain::eigen_backend be;
  const auto& text = lines();
  const index_t n = index_t(text.size());
  double bytes = 0;
  for (const auto& l : text) bytes += double(l.size() + 1);
  std::vector<double> scores(text.size());
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    be.parallel_for(n, [&](index_t r0, index_t r1) {
      for (index_t i = r0; i < r1; ++i)
        scores[std::size_t(i)] = sp::flesch_reading_ease(sp::count_text(text[std::size_t(i)]));
    });
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(scores.data());
  }
  seconds /= double(state.iterations());
  state.counters["lines_per_s"] = double(n) / seconds;
  state.counters["MB_per_s"] = bytes / seconds / 1e6;
  state.counters["MB_per_s_per_core"] = bytes / seconds / 1e6 / threads;
  omp_set_num_threads(omp_get_num_procs());
}

void BM_judge_pairs(benchmark::State& state) {
  const int threads = int(state.range(0));
  omp_set_num_threads(threads);
  const posttrain::eigen_backend be;
  const auto& p = pairs();
  const index_t n = index_t(p.size());
  std::vector<sp::pair_decision> decisions(p.size());
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    be.parallel_for(n, [&](index_t r0, index_t r1) {
      for (index_t i = r0; i < r1; ++i)
        decisions[std::size_t(i)] = sp::judge_pair(p[std::size_t(i)].first, p[std::size_t(i)].second);
    });
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(decisions.data());
  }
  seconds /= double(state.iterations());
  long kept = 0;
  for (const auto& d : decisions) kept += d.verdict == sp::pair_verdict::kept;
  state.counters["pairs_per_s"] = double(n) / seconds;
  state.counters["kept"] = double(kept);
  omp_set_num_threads(omp_get_num_procs());
}

void BM_cosine_top_k(benchmark::State& state) {
  const index_t vocab = 50000, width = 256, queries = 256, k = 10;
  const posttrain::eigen_backend be;
  std::mt19937 gen(1);
  std::normal_distribution<float> normal;
  std::vector<float> table(std::size_t(vocab * width)), q(std::size_t(queries * width));
  for (auto& x : table) x = normal(gen);
  for (auto& x : q) x = normal(gen);
  const posttrain::tensor_view<const float, 2> tv(table.data(), vocab, width), qv(q.data(), queries, width);
  const sp::cosine_index<posttrain::eigen_backend, float> index(be, tv);
  std::vector<float> scores(std::size_t(queries * k));
  std::vector<index_t> ids(std::size_t(queries * k));
  const posttrain::tensor_view<float, 2> sv(scores.data(), queries, k);
  const posttrain::tensor_view<index_t, 2> iv(ids.data(), queries, k);
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    index.top_k(qv, sv, iv);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    benchmark::DoNotOptimize(ids.data());
  }
  seconds /= double(state.iterations());
  // The yardstick: the GEMM of the same shapes alone, best of 5.
  std::vector<float> product(std::size_t(queries * vocab));
  const posttrain::tensor_view<float, 2> pv(product.data(), queries, vocab);
  double gemm = 1e30;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    posttrain::ops::gemm(be, qv, tv, pv, {.transpose_b = true});
    gemm = std::min(gemm, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  state.counters["gemm_ms"] = gemm * 1e3;
  state.counters["fraction_of_gemm"] = gemm / seconds;
}

}  // namespace

BENCHMARK(BM_readability)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_judge_pairs)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_cosine_top_k)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
