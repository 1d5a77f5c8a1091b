// SPDX-License-Identifier: Apache-2.0
// Decoding on every backend: transformers' warper tests, a sort-based reference, the same tokens
// as the sequential backend (bit for bit), determinism, and the use docs/value.md shows.
#include "common.hpp"

#include <map>
#include <numeric>
#include <sstream>

using namespace pt_test;
using namespace value_test;
namespace va = posttrain::value;

namespace {
// ---------------------------------------------------------------------------------------------

/// The survivors of the filters by a full sort under the (value, index) order, the reference the
/// selection-based path must equal.
std::vector<std::int64_t> sorted_survivors(std::vector<double> z, const va::sampling_options& o) {
  const std::int64_t n = std::int64_t(z.size());
  std::vector<std::int64_t> order(z.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return z[std::size_t(a)] > z[std::size_t(b)]; });
  std::int64_t keep = n;
  if (o.top_k > 0) {
    const std::int64_t k = std::min(std::max(o.top_k, o.min_tokens_to_keep), n);
    const double kth = z[std::size_t(order[std::size_t(k - 1)])];
    keep = 0;
    while (keep < n && z[std::size_t(order[std::size_t(keep)])] >= kth) ++keep;
  }
  const double top = z[std::size_t(order[0])];
  const auto prob = [&](std::int64_t r, std::int64_t upto) {
    double total = 0;
    for (std::int64_t i = 0; i < upto; ++i) total += std::exp((z[std::size_t(order[std::size_t(i)])] - top) / o.temperature);
    return std::exp((z[std::size_t(order[std::size_t(r)])] - top) / o.temperature) / total;
  };
  if (o.top_p < 1) {
    double above = 0;
    std::int64_t cut = 0;
    while (cut < keep && (above < o.top_p - 1e-12 || cut < o.min_tokens_to_keep)) above += prob(cut++, keep);
    keep = cut;
  }
  if (o.min_p > 0) {
    std::int64_t cut = 0;
    while (cut < keep && (prob(cut, keep) >= o.min_p * prob(0, keep) * (1 - 1e-12) || cut < o.min_tokens_to_keep)) ++cut;
    keep = cut;
  }
  std::vector<std::int64_t> out(order.begin(), order.begin() + keep);
  std::sort(out.begin(), out.end());
  return out;
}

template <class Backend>
std::vector<std::int64_t> survivors(const Backend& be, const ref::matrix& z, std::int64_t row,
                                    const va::sampling_options& o) {
  auto dz = upload<float>(z);
  auto out = output<float>(z.rows, z.cols);
  va::processed_log_probs(be, dz.view, out.view, o);
  const auto got = download(out.view);
  std::vector<std::int64_t> s;
  for (std::int64_t v = 0; v < z.cols; ++v)
    if (got(row, v) > -inf) s.push_back(v);
  return s;
}

template <class Backend>
void decode_tests(const Backend& be) {
  SECTION("transformers' TopKLogitsWarper test: ramps, ties kept, min_tokens_to_keep") {
    ref::matrix ramp(2, 10);
    for (int v = 0; v < 10; ++v) ramp(0, v) = v, ramp(1, v) = v;
    for (int v = 0; v < 5; ++v) ramp(1, v) = ramp(1, v + 5) + 10;
    CHECK(survivors(be, ramp, 0, {.top_k = 3}) == std::vector<std::int64_t>{7, 8, 9});
    CHECK(survivors(be, ramp, 1, {.top_k = 3}) == std::vector<std::int64_t>{2, 3, 4});
    const ref::matrix uniform(2, 5, 0.2);
    CHECK(survivors(be, uniform, 0, {.top_k = 1, .min_tokens_to_keep = 3}).size() == 5);  // all tied
    ref::matrix small(1, 5);
    for (int v = 0; v < 5; ++v) small(0, v) = v;
    CHECK(survivors(be, small, 0, {.top_k = 1, .min_tokens_to_keep = 3}) == std::vector<std::int64_t>{2, 3, 4});
  }
  SECTION("transformers' TopPLogitsWarper test: the p boundary, extreme logits, min_tokens_to_keep") {
    const auto dist = rows_of({{std::log(0.3), std::log(0.1), std::log(0.1), std::log(0.5)},
                               {std::log(0.15), std::log(0.3), std::log(0.3), std::log(0.25)}});
    CHECK(survivors(be, dist, 0, {.top_p = 0.8}) == std::vector<std::int64_t>{0, 3});
    CHECK(survivors(be, dist, 1, {.top_p = 0.8}) == std::vector<std::int64_t>{1, 2, 3});
    ref::matrix ramp(2, 10);
    for (int v = 0; v < 10; ++v) ramp(0, v) = v - 5, ramp(1, v) = (v - 5) * 100.0;
    CHECK(survivors(be, ramp, 0, {.top_p = 0.9, .min_tokens_to_keep = 2}).size() == 3);
    CHECK(survivors(be, ramp, 1, {.top_p = 0.9, .min_tokens_to_keep = 2}).size() == 2);
    CHECK(survivors(be, ramp, 0, {.top_p = 0.0}) == std::vector<std::int64_t>{9});
    CHECK(survivors(be, ramp, 0, {.top_p = 1.0}).size() == 10);
  }
  SECTION("min-p keeps p ≥ min_p · p_max") {
    const auto dist = rows_of({{std::log(0.05), std::log(0.5), std::log(0.1), std::log(0.35)}});
    CHECK(survivors(be, dist, 0, {.min_p = 0.19}) == std::vector<std::int64_t>{1, 2, 3});
    CHECK(survivors(be, dist, 0, {.min_p = 0.21}) == std::vector<std::int64_t>{1, 3});
    CHECK(survivors(be, dist, 0, {.min_p = 0.71}) == std::vector<std::int64_t>{1});
    CHECK(survivors(be, dist, 0, {.min_p = 0.71, .min_tokens_to_keep = 2}) == std::vector<std::int64_t>{1, 3});
  }
  SECTION("survivor sets equal the sort-based reference on random rows with many ties") {
    std::mt19937 gen(7);
    for (int trial = 0; trial < 300; ++trial) {
      const std::int64_t V = 1 + trial % 97 + (trial % 5 == 0 ? 3000 : 0) + (trial % 5 == 2 || trial % 5 == 3 ? 6000 : 0);
      const auto z = trial % 2 ? ref::random_ties(1, V, trial, 6) : ref::random_matrix(1, V, trial);
      va::sampling_options o;
      o.temperature = std::array{0.3, 0.7, 1.0, 2.5}[std::size_t(trial % 4)];
      o.top_k = std::array<std::int64_t, 5>{0, 1, 5, 50, 2000}[std::size_t(trial % 5)];
      o.top_p = std::array{1.0, 0.9, 0.5, 0.0, 0.95, 0.3}[std::size_t(trial % 6)];
      o.min_p = trial % 7 == 0 ? 0.05 : 0.0;
      o.min_tokens_to_keep = 1 + trial % 3;
      std::vector<double> row(z.data.begin(), z.data.end());
      for (auto& x : row) x = double(float(x));
      INFO("trial " << trial << " V " << V << " k " << o.top_k << " p " << o.top_p << " T " << o.temperature);
      CHECK(survivors(be, z, 0, o) == sorted_survivors(row, o));
    }
  }
  SECTION("decode_step: same token whatever the batch, the other rows and their order") {
    const std::int64_t B = 9, V = 500;
    const auto z = ref::random_matrix(B, V, 41, -3, 3);
    std::vector<std::uint64_t> seeds(B);
    for (std::int64_t b = 0; b < B; ++b) seeds[std::size_t(b)] = 1000 + std::uint64_t(b) * 7;
    const va::sampling_options o{.temperature = 0.7, .top_k = 50, .top_p = 0.9};
    auto dz = upload<float>(z);
    auto tokens = output<std::int64_t>(1, B);
    auto lps = output<float>(1, B);
    va::decode_step(be, dz.view, seeds, 3, tokens.view.row(0), lps.view.row(0), o);
    const auto all = download(tokens.view), all_lp = download(lps.view);
    for (std::int64_t b = 0; b < B; ++b) {
      auto one = output<std::int64_t>(1, 1);
      auto one_lp = output<float>(1, 1);
      const std::uint64_t seed[] = {seeds[std::size_t(B - 1 - b)]};
      va::decode_step(be, dz.view.rows(B - 1 - b, 1), seed, 3, one.view.row(0), one_lp.view.row(0), o);
      CHECK(download(one.view)(0, 0) == all(0, B - 1 - b));
      CHECK(download(one_lp.view)(0, 0) == all_lp(0, B - 1 - b));
    }
    // The log-probability returned is the processed distribution's at the token.
    auto proc = output<float>(B, V);
    va::processed_log_probs(be, dz.view, proc.view, o);
    const auto p = download(proc.view);
    for (std::int64_t b = 0; b < B; ++b) CHECK(all_lp(0, b) == Approx(p(b, std::int64_t(all(0, b)))).epsilon(1e-5));
  }
  SECTION("the same tokens as the sequential backend, for every option, ties and wide rows") {
    // Rows of tied and of continuous logits, V from 1 to 40 000, in float and double: the drawn
    // token must be identical (the decisions are integer comparisons) and the log-probability
    // equal to rounding.
    const posttrain::sequential_backend host;
    int trial = 0;
    for (const std::int64_t V : {1, 2, 7, 300, 5000, 40000}) {
      const std::int64_t B = 6;
      const auto z = V % 2 ? ref::random_ties(B, V, int(V), 5) : ref::random_matrix(B, V, int(V), -6, 6);
      std::vector<std::uint64_t> seeds(B);
      for (std::int64_t b = 0; b < B; ++b) seeds[std::size_t(b)] = 77 + std::uint64_t(b) * 1000003u;
      for (const va::sampling_options o :
           {va::sampling_options{}, va::sampling_options{.temperature = 0.7, .top_k = 50, .top_p = 0.9},
            va::sampling_options{.temperature = 1.3, .top_p = 0.95}, va::sampling_options{.top_k = 3, .min_tokens_to_keep = 2},
            va::sampling_options{.temperature = 0.5, .min_p = 0.1}, va::sampling_options{.top_p = 0.0},
            va::sampling_options{.top_k = 7, .top_p = 0.6, .min_p = 0.02, .min_tokens_to_keep = 3}}) {
        INFO("V " << V << " trial " << trial++);
        auto dz = upload<float>(z);
        auto tokens = output<std::int64_t>(1, B);
        auto lps = output<float>(1, B);
        va::decode_step(be, dz.view, seeds, 5, tokens.view.row(0), lps.view.row(0), o);
        std::vector<float> zf(z.data.begin(), z.data.end());
        std::vector<std::int64_t> want(static_cast<std::size_t>(B), -1);
        std::vector<float> want_lp(static_cast<std::size_t>(B));
        va::decode_step(host, posttrain::tensor_view<const float, 2>(zf.data(), B, V), seeds, 5,
                        posttrain::tensor_view<std::int64_t, 1>(want.data(), B),
                        posttrain::tensor_view<float, 1>(want_lp.data(), B), o);
        const auto got = download(tokens.view), got_lp = download(lps.view);
        for (std::int64_t b = 0; b < B; ++b) {
          CHECK(got(0, b) == want[std::size_t(b)]);
          CHECK(got_lp(0, b) == Approx(want_lp[std::size_t(b)]).epsilon(1e-6).margin(1e-6));
        }
        auto dd = upload<double>(z);
        auto lpd = output<double>(1, B);
        va::decode_step(be, dd.view, seeds, 9, tokens.view.row(0), lpd.view.row(0), o);
        std::vector<double> wantd_lp(static_cast<std::size_t>(B));
        va::decode_step(host, posttrain::tensor_view<const double, 2>(z.data.data(), B, V), seeds, 9,
                        posttrain::tensor_view<std::int64_t, 1>(want.data(), B),
                        posttrain::tensor_view<double, 1>(wantd_lp.data(), B), o);
        const auto gotd = download(tokens.view), gotd_lp = download(lpd.view);
        for (std::int64_t b = 0; b < B; ++b) {
          CHECK(gotd(0, b) == want[std::size_t(b)]);
          CHECK(gotd_lp(0, b) == Approx(wantd_lp[std::size_t(b)]).epsilon(1e-12).margin(1e-12));
        }
      }
    }
  }
  SECTION("sampling frequencies follow the processed distribution") {
    const auto z = rows_of({{0.0, 1.0, 2.0, -inf, 0.5}});
    auto dz = upload<double>(z);
    std::vector<int> hits(5, 0);
    const int draws = 20000;
    auto tok = output<std::int64_t>(1, 1);
    auto lp = output<double>(1, 1);
    for (int s = 0; s < draws; ++s) {
      const std::uint64_t seed[] = {std::uint64_t(s)};
      va::decode_step(be, dz.view, seed, 0, tok.view.row(0), lp.view.row(0));
      ++hits[std::size_t(download(tok.view)(0, 0))];
    }
    const double total = 1 + std::exp(1.0) + std::exp(2.0) + std::exp(0.5);
    const double p[] = {1 / total, std::exp(1.0) / total, std::exp(2.0) / total, 0, std::exp(0.5) / total};
    for (int v = 0; v < 5; ++v) CHECK(std::abs(hits[std::size_t(v)] / double(draws) - p[v]) < 0.015);
    CHECK(hits[3] == 0);
  }
  SECTION("edge cases: greedy ties, T → 0, V = 1, inputs unchanged, bad rows named") {
    const auto z = rows_of({{1.0, 3.0, 3.0, -inf}, {0.5, 0.5, 0.5, 0.5}});
    auto dz = upload<double>(z);
    auto tok = output<std::int64_t>(1, 2);
    auto lp = output<double>(1, 2);
    va::decode_step(be, dz.view, std::span<const std::uint64_t>(), 0, tok.view.row(0), lp.view.row(0),
                    {.greedy = true});
    CHECK(download(tok.view)(0, 0) == 1);
    CHECK(download(tok.view)(0, 1) == 0);
    CHECK(download(lp.view)(0, 1) == Approx(std::log(0.25)));
    const std::uint64_t seeds[] = {5, 6};
    va::decode_step(be, dz.view, seeds, 0, tok.view.row(0), lp.view.row(0), {.temperature = 1e-9});
    CHECK(download(tok.view)(0, 0) != 0);  // one of the two maxima, never the others
    CHECK(download(tok.view)(0, 0) != 3);
    require_close(download(dz.view), z, 0);
    auto one = upload<double>(rows_of({{-2.0}}));
    va::decode_step(be, one.view, std::span<const std::uint64_t>(seeds, 1), 0, tok.view.row(0).slice(0, 1),
                    lp.view.row(0).slice(0, 1), {.top_k = 3, .top_p = 0.5});
    CHECK(download(tok.view)(0, 0) == 0);
    CHECK(download(lp.view)(0, 0) == 0);
    auto bad = upload<double>(rows_of({{0, 1, 2}, {1, ref::nan, 0}}));
    auto t2 = output<std::int64_t>(1, 2);
    auto l2 = output<double>(1, 2);
    CHECK_THROWS_WITH(va::decode_step(be, bad.view, seeds, 0, t2.view.row(0), l2.view.row(0)),
                      Catch::Contains("row 1 column 1 is nan"));
    auto dead = upload<double>(rows_of({{-inf, -inf}}));
    CHECK_THROWS_WITH(va::decode_step(be, dead.view, std::span<const std::uint64_t>(seeds, 1), 0,
                                      t2.view.row(0).slice(0, 1), l2.view.row(0).slice(0, 1)),
                      Catch::Contains("row 0 has no token with a finite logit"));
    CHECK_THROWS_WITH(va::decode_step(be, dz.view, seeds, 0, tok.view.row(0), lp.view.row(0), {.temperature = 0}),
                      Catch::Contains("temperature is 0"));
    CHECK_THROWS_WITH(va::decode_step(be, dz.view, std::span<const std::uint64_t>(seeds, 1), 0, tok.view.row(0),
                                      lp.view.row(0)),
                      Catch::Contains("one seed per row"));
    CHECK_THROWS_WITH(va::processed_log_probs(be, dz.view, upload<double>(z).view, {.top_p = 1.5}),
                      Catch::Contains("top_p is 1.5"));
  }
}

}  // namespace

PT_TEST("value: decoding against transformers' warpers and a sort-based reference") {
  decode_tests(backend());
}

namespace {
template <class Backend>
void docs_example(const Backend& be) {
  const std::int64_t B = 3, V = 40, T = 5;
  const auto base = ref::random_matrix(B, V, 51), val = ref::random_matrix(B, V, 52, -0.5, 0.5);
  auto z_base = upload<float>(base), z_value = upload<float>(val), combined = output<float>(B, V);
  auto tokens = output<std::int64_t>(1, B);
  auto log_probs = output<float>(1, B);
  const std::vector<std::uint64_t> seeds = {11, 12, 13};  // one per request, fixed for its lifetime
  const std::uint64_t step = 0;
  auto zb_train = upload<float>(ref::random_matrix(T, V, 53)), zv_train = upload<float>(ref::random_matrix(T, V, 54));
  auto grad = output<float>(T, V);
  auto label_rows = upload<std::int64_t>(rows_of({{4, 17, -100, 39, 0}}));  // in the backend's memory
  const auto labels = label_rows.view.row(0);
  // example-begin value_use
  // Decoding: the base's logits plus the value network's, then one sampling step per row.
  va::residual(be, z_base.view, z_value.view, combined.view, /*alpha=*/1.0);
  va::decode_step(be, combined.view, seeds, step, tokens.view.row(0), log_probs.view.row(0),
                  {.temperature = 0.7, .top_k = 50, .top_p = 0.9});
  // Training the value network against the frozen base: the loss and ∂L/∂z_value in one call.
  const va::ivl_result r = va::ivl_loss_and_gradient(be, zb_train.view, zv_train.view, labels, grad.view,
                                                     {.lambda = 1.0, .ignore_index = -100});
  // example-end value_use
  CHECK(r.labelled == 4);
  CHECK(std::isfinite(r.loss));
  auto proc = output<float>(B, V);
  va::processed_log_probs(be, combined.view, proc.view, {.temperature = 0.7, .top_k = 50, .top_p = 0.9});
  const auto p = download(proc.view), t = download(tokens.view);
  for (std::int64_t b = 0; b < B; ++b) CHECK(p(b, std::int64_t(t(0, b))) > -inf);  // a survivor was drawn
}
}  // namespace

PT_TEST("value: the use docs/value.md shows") {
  docs_example(backend());
}
