// SPDX-License-Identifier: Apache-2.0
// The hot kernels as a consumer program sees them, built with whatever flags bench/flags/run.sh
// passes (the point: what -march=native, -O3 and OpenMP are worth to a consumer). Prints one
// line per kernel: its median time over 7 runs, in milliseconds, single-threaded unless OpenMP
// is on. Backend: POSTTRAIN_FLAGS_XTENSOR selects xtensor, else Eigen.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <posttrain/core.hpp>
#include <posttrain/reward.hpp>
#include <posttrain/value.hpp>
#if defined(POSTTRAIN_FLAGS_XTENSOR)
#include <posttrain/backends/xtensor.hpp>
using backend = posttrain::xtensor_backend;
#else
#include <posttrain/backends/eigen.hpp>
using backend = posttrain::eigen_backend;
#endif

namespace {

using posttrain::index_t;
template <class T, std::size_t R>
using view = posttrain::tensor_view<T, R>;

template <class F>
double median_ms(const F& f) {
  f();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < 7; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[3];
}

std::vector<float> logits(std::size_t n, std::uint64_t seed, float scale) {
  const posttrain::counter_rng rng(seed, 0);
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = scale * float(rng.uniform_double(i) * 2 - 1);
  return x;
}

}  // namespace

int main() {
  const backend be;
  const index_t rows = 1024, vocab = 32000;
  const auto n = std::size_t(rows * vocab);
  const auto zb = logits(n, 1, 8), zv = logits(n, 2, 1);
  std::vector<float> out(n);
  const view<const float, 2> x(zb.data(), rows, vocab), v(zv.data(), rows, vocab);
  const view<float, 2> y(out.data(), rows, vocab);
  std::vector<float> lse(static_cast<std::size_t>(rows)), top_values(static_cast<std::size_t>(rows) * 50);
  std::vector<std::int64_t> top_index(static_cast<std::size_t>(rows) * 50), labels(static_cast<std::size_t>(rows));
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::int64_t((i * 7919) % std::size_t(vocab));

  std::printf("softmax_1024x32000 %.2f\n", median_ms([&] { posttrain::ops::softmax(be, x, y); }));
  std::printf("row_logsumexp_1024x32000 %.2f\n",
              median_ms([&] { posttrain::ops::row_logsumexp(be, x, view<float, 1>(lse.data(), rows)); }));
  std::printf("topk50_1024x32000 %.2f\n", median_ms([&] {
                posttrain::ops::topk(be, x, view<float, 2>(top_values.data(), rows, 50),
                                     view<std::int64_t, 2>(top_index.data(), rows, 50));
              }));
  std::printf("ivl_loss_and_gradient_1024x32000 %.2f\n", median_ms([&] {
                posttrain::value::ivl_loss_and_gradient(be, x, v, view<const std::int64_t, 1>(labels.data(), rows), y);
              }));
  const index_t batch = 4096, length = 1024;
  const auto r = logits(std::size_t(batch * length), 3, 1), values = logits(std::size_t(batch * length), 4, 1);
  std::vector<float> mask(std::size_t(batch * length), 1.0f), adv(mask.size()), ret(mask.size());
  std::printf("gae_whiten_4096x1024 %.2f\n", median_ms([&] {
                const view<const float, 2> rv(r.data(), batch, length), vv(values.data(), batch, length),
                    mv(mask.data(), batch, length);
                const view<float, 2> av(adv.data(), batch, length), gv(ret.data(), batch, length);
                const auto stats = posttrain::reward::gae(be, rv, vv, mv, av, gv);
                posttrain::reward::whiten(be, av, stats, av);
              }));
  const index_t m = 1024;
  const auto a = logits(std::size_t(m * m), 5, 1), b = logits(std::size_t(m * m), 6, 1);
  std::vector<float> c(std::size_t(m * m));
  std::printf("gemm_1024 %.2f\n", median_ms([&] {
                posttrain::ops::gemm(be, view<const float, 2>(a.data(), m, m), view<const float, 2>(b.data(), m, m),
                                     view<float, 2>(c.data(), m, m));
              }));
  return 0;
}
