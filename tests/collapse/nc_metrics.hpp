// SPDX-License-Identifier: Apache-2.0
// Neural-collapse metrics on each backend against the direct d×d computation in double,
// hand-checked cases, the per-class sums against a naive loop, streaming invariances (shards,
// batch order, save/load) and bad input.
#include "../support/harness.hpp"
#include "../support/nc_reference.hpp"

#include <algorithm>
#include <numeric>
#include <random>
#include <sstream>
#include <tuple>

#include <posttrain/collapse.hpp>

using namespace pt_test;
namespace nc = posttrain::collapse;

namespace {

struct labelled {
  ref::matrix h;
  std::vector<std::int64_t> y;
};

/// K clusters in d dimensions, unbalanced (class c drawn with weight c + 1), every class present.
labelled clusters(std::int64_t n, std::int64_t d, std::int64_t K, std::uint64_t seed, double spread = 0.7) {
  std::mt19937_64 gen(seed), label_gen(seed);  // the labels depend on the seed only
  std::normal_distribution<double> normal;
  std::vector<double> weights(static_cast<std::size_t>(K));
  std::iota(weights.begin(), weights.end(), 1.0);
  std::discrete_distribution<std::int64_t> pick(weights.begin(), weights.end());
  ref::matrix centres(K, d);
  for (auto& v : centres.data) v = 2 * normal(gen) + 1.5;
  labelled out{ref::matrix(n, d), {}};
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t c = i < K ? i : pick(label_gen);
    out.y.push_back(c);
    for (std::int64_t j = 0; j < d; ++j) out.h(i, j) = centres(c, j) + spread * normal(gen);
  }
  return out;
}

template <class T>
struct on_backend {
  device_matrix<T> h;
  device_matrix<std::int64_t> y;
  auto labels() const { return y.view.row(0); }
};

template <class T>
on_backend<T> put(const labelled& data, layout l = layout::dense) {
  ref::matrix y(1, std::int64_t(data.y.size()));
  for (std::size_t i = 0; i < data.y.size(); ++i) y.data[i] = double(data.y[i]);
  return {upload<T>(data.h, l), upload<std::int64_t>(y)};
}

template <class T>
void check_against_direct(const labelled& data, std::int64_t K, nc::scatter_route route, nc::global_mean mean,
                          layout l) {
  auto dev = put<T>(data, l);
  nc::nc_options opt;
  opt.route = route;
  opt.mean = mean;
  opt.batch_rows = 37;  // several batches, the last one short
  const auto r = nc::nc_metrics(backend(), dev.h.view, dev.labels(), K, opt);
  const auto e = ref::nc_direct(as<T>(data.h), data.y, K, mean == nc::global_mean::class_means);
  const double tol = std::is_same_v<T, float> ? 2e-4 : 1e-9;
  INFO("N = " << data.h.rows << ", d = " << data.h.cols << ", K = " << K << ", layout " << name(l));
  CHECK(r.nc1 == Approx(e.nc1_trace / double(K)).epsilon(tol));
  CHECK(r.within_trace == Approx(e.within_trace).epsilon(tol));
  CHECK(r.between_trace == Approx(e.between_trace).epsilon(tol));
  CHECK(r.trace_ratio == Approx(e.within_trace / e.between_trace).epsilon(tol));
  CHECK(r.cdnv == Approx(e.cdnv).epsilon(tol));
  CHECK(r.means.equinorm == Approx(e.equinorm).epsilon(tol).margin(tol));
  CHECK(r.means.equiangularity == Approx(e.equiangularity).epsilon(tol).margin(tol));
  CHECK(r.means.cosine_std == Approx(e.cosine_std).epsilon(tol).margin(tol));
  CHECK(r.means.etf_error == Approx(e.etf_error).epsilon(tol).margin(tol));
  CHECK(r.between_rank == std::min(data.h.cols, K - 1));
  REQUIRE(r.ncc_accuracy);
  CHECK(*r.ncc_accuracy == Approx(e.ncc_accuracy));
  CHECK_FALSE(r.ncc_mismatch);
}

template <class B>
void nc_tests(const B& be) {
  SECTION("the hand-checked case: two classes at (±2, 0), unit within-class spread") {
    // tr(Σ_W Σ_B⁺) = tr(I · diag(1/4, 0)) = 0.25.
    const double s = std::sqrt(2.0);
    labelled data{ref::matrix(8, 2), {0, 0, 0, 0, 1, 1, 1, 1}};
    const double pts[8][2] = {{2 + s, 0}, {2 - s, 0}, {2, s}, {2, -s}, {-2 + s, 0}, {-2 - s, 0}, {-2, s}, {-2, -s}};
    for (int i = 0; i < 8; ++i) data.h(i, 0) = pts[i][0], data.h(i, 1) = pts[i][1];
    auto dev = put<double>(data);
    for (auto route : {nc::scatter_route::automatic, nc::scatter_route::projected, nc::scatter_route::gram}) {
      nc::nc_options opt;
      opt.route = route;
      const auto r = nc::nc_metrics(be, dev.h.view, dev.labels(), 2, opt);
      CHECK(r.nc1 == Approx(0.125));
      CHECK(r.within_trace == Approx(2.0));
      CHECK(r.between_trace == Approx(4.0));
      CHECK(r.between_rank == 1);
      CHECK(*r.ncc_accuracy == 1.0);
      opt.divide_by_classes = false;
      CHECK(nc::nc_metrics(be, dev.h.view, dev.labels(), 2, opt).nc1 == Approx(0.25));
    }
  }

  SECTION("the per-class sums of a batch in which some classes are absent, against a naive loop") {
    // Class 0 takes most rows, classes 2 and 4 none; rows strided, features in float.
    const std::int64_t K = 5, d = 19, n = 70;
    labelled data{ref::random_matrix(n, d, 3, -2, 3), {}};
    for (std::int64_t i = 0; i < n; ++i) data.y.push_back(i % 7 == 3 ? 1 : (i % 11 == 5 ? 3 : 0));
    auto dev = put<float>(data, layout::strided);
    nc::class_statistics s(K, d, nc::scatter_route::gram);
    s.add(be, dev.h.view, dev.labels());
    const auto h = as<float>(data.h);
    for (std::int64_t c = 0; c < K; ++c) {
      std::int64_t count = 0;
      std::vector<double> sum(std::size_t(d), 0.0);
      for (std::int64_t i = 0; i < n; ++i)
        if (data.y[std::size_t(i)] == c) {
          ++count;
          for (std::int64_t j = 0; j < d; ++j) sum[std::size_t(j)] += h(i, j);
        }
      double ss = 0;
      for (std::int64_t i = 0; i < n; ++i)
        if (data.y[std::size_t(i)] == c)
          for (std::int64_t j = 0; j < d; ++j) ss += std::pow(h(i, j) - sum[std::size_t(j)] / double(count), 2);
      INFO("class " << c);
      CHECK(s.counts()[std::size_t(c)] == count);
      for (std::int64_t j = 0; j < d; ++j) CHECK(s.sums()[std::size_t(c * d + j)] == Approx(sum[std::size_t(j)]).margin(1e-12));
      CHECK(s.within_sum_squares()[std::size_t(c)] == Approx(ss).margin(1e-12));
    }
    // The within-class scatter, the direct d×d sum over rows.
    std::vector<double> mean(std::size_t(K * d), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < d; ++j)
        mean[std::size_t(data.y[std::size_t(i)] * d + j)] += h(i, j) / double(s.counts()[std::size_t(data.y[std::size_t(i)])]);
    for (std::int64_t a = 0; a < d; ++a)
      for (std::int64_t b = 0; b < d; ++b) {
        double e = 0;
        for (std::int64_t i = 0; i < n; ++i) {
          const auto c = data.y[std::size_t(i)];
          e += (h(i, a) - mean[std::size_t(c * d + a)]) * (h(i, b) - mean[std::size_t(c * d + b)]);
        }
        CHECK(s.within_scatter()[std::size_t(a * d + b)] == Approx(e).margin(1e-9));
      }
  }

  SECTION("a batch centred in several chunks equals the same rows in small batches") {
    // Chunks hold 2^20 elements on a host backend, 2^24 on a device: 2048 rows of d = 512 on the
    // gram route (pass 1), 256 rows of d = 4096 on the projected route (pass 2).
    const std::int64_t device_scale = posttrain::host_backend<B> ? 1 : 16;
    for (auto [n, d, K] : {std::tuple{2100 * device_scale, 512, 512}, {600 * device_scale, 4096, 3}}) {
      const auto data = clusters(n, d, K, std::uint64_t(n + d), 0.5);
      auto dev = put<float>(data);
      const auto h = dev.h.view;
      const auto y = dev.labels();
      nc::class_statistics whole(K, d), parts(K, d);
      whole.add(be, h, y);
      const std::int64_t step = n / 2 + 1;
      for (std::int64_t r0 = 0; r0 < n; r0 += step)
        parts.add(be, h.rows(r0, std::min(step, n - r0)), y.slice(r0, std::min(step, n - r0)));
      INFO("n = " << n << ", d = " << d << ", route " << (whole.route() == nc::scatter_route::gram ? "gram" : "projected"));
      for (std::size_t k = 0; k < whole.within_scatter().size(); k += 97)
        CHECK(whole.within_scatter()[k] == Approx(parts.within_scatter()[k]).epsilon(1e-10).margin(1e-9));
      nc::second_pass_statistics<float> one(be, whole), many(be, whole);
      one.add(be, h, y);
      for (std::int64_t r0 = 0; r0 < n; r0 += 100)
        many.add(be, h.rows(r0, std::min<std::int64_t>(100, n - r0)), y.slice(r0, std::min<std::int64_t>(100, n - r0)));
      CHECK(one.ncc_correct() == many.ncc_correct());
      CHECK(one.ncc_correct() > n / 2);
      for (std::size_t k = 0; k < one.projected_scatter().size(); ++k)
        CHECK(one.projected_scatter()[k] == Approx(many.projected_scatter()[k]).epsilon(1e-10));
    }
  }

  SECTION("an unbalanced K = 3 case where the two global-mean conventions differ") {
    const auto data = clusters(40, 4, 3, 11);
    check_against_direct<double>(data, 3, nc::scatter_route::automatic, nc::global_mean::sample, layout::dense);
    check_against_direct<double>(data, 3, nc::scatter_route::automatic, nc::global_mean::class_means, layout::dense);
    auto dev = put<double>(data);
    nc::nc_options a, b;
    b.mean = nc::global_mean::class_means;
    const auto ra = nc::nc_metrics(be, dev.h.view, dev.labels(), 3, a);
    const auto rb = nc::nc_metrics(be, dev.h.view, dev.labels(), 3, b);
    CHECK(std::abs(ra.nc1 - rb.nc1) > 1e-3 * ra.nc1);
    CHECK(ra.within_trace == Approx(rb.within_trace));  // Σ_W does not depend on μ_G
  }

  SECTION("the fast NC1 equals the d×d pseudo-inverse for d < K, d = K − 1, d ≫ K, on both routes") {
    for (auto [d, K] : {std::pair{3, 6}, {5, 6}, {30, 4}, {12, 12}})
      for (auto route : {nc::scatter_route::automatic, nc::scatter_route::projected, nc::scatter_route::gram}) {
        const auto data = clusters(150, d, K, std::uint64_t(100 + d * K));
        check_against_direct<double>(data, K, route, nc::global_mean::sample, layout::strided);
        check_against_direct<float>(data, K, route, nc::global_mean::class_means, layout::transposed);
      }
  }

  SECTION("many more classes than dimensions (the K×K products are taken in row blocks)") {
    const auto data = clusters(5000, 6, 2500, 61, 0.3);  // K² > 2²², two row blocks
    check_against_direct<double>(data, 2500, nc::scatter_route::automatic, nc::global_mean::sample, layout::dense);
  }

  SECTION("a simplex ETF with a self-dual classifier gives zero NC2 and NC3, and NC4 agrees") {
    const std::int64_t K = 4, d = 6;
    // Class means e_c − 1/K (a simplex ETF in the first K coordinates), each with ±0.1 jitter.
    labelled data{ref::matrix(2 * K, d), {}};
    ref::matrix w(K, d);
    for (std::int64_t c = 0; c < K; ++c) {
      for (std::int64_t j = 0; j < K; ++j) w(c, j) = (c == j) - 1.0 / double(K);
      for (int s = 0; s < 2; ++s) {
        data.y.push_back(c);
        for (std::int64_t j = 0; j < d; ++j) data.h(2 * c + s, j) = w(c, j) + (j == K ? (s ? 0.1 : -0.1) : 0.0);
      }
    }
    auto dev = put<double>(data);
    const nc::linear_classifier clf(posttrain::tensor_view<const double, 2>(w.data.data(), K, d));
    const auto r = nc::nc_metrics(be, dev.h.view, dev.labels(), K, {}, &clf);
    CHECK(r.means.equinorm == Approx(0).margin(1e-12));
    CHECK(r.means.equiangularity == Approx(0).margin(1e-12));
    CHECK(r.means.cosine_std == Approx(0).margin(1e-12));
    CHECK(r.means.etf_error == Approx(0).margin(1e-7));
    REQUIRE(r.classifier);
    CHECK(r.classifier->etf_error == Approx(0).margin(1e-7));
    CHECK(*r.self_duality == Approx(0).margin(1e-12));
    CHECK(*r.classifier_means_etf_error == Approx(0).margin(1e-7));
    CHECK(*r.ncc_accuracy == 1.0);
    CHECK(*r.ncc_mismatch == 0.0);
    // Σ_W only along a direction Σ_B does not see: NC1 = 0 under the pseudo-inverse.
    CHECK(r.nc1 == Approx(0).margin(1e-12));
  }

  SECTION("NCC mismatch against a classifier, with ties going to the lower class") {
    const std::int64_t K = 5, d = 7;
    const auto data = clusters(120, d, K, 7, 1.5);
    ref::matrix w = ref::random_matrix(K, d, 8, -1, 1);
    std::vector<double> bias = {0.5, -0.25, 0, 1, -1};
    const nc::linear_classifier clf(posttrain::tensor_view<const double, 2>(w.data.data(), K, d),
                                    posttrain::tensor_view<const double, 1>(bias.data(), K));
    auto dev = put<double>(data, layout::padded);
    const auto r = nc::nc_metrics(be, dev.h.view, dev.labels(), K, {}, &clf);
    const auto e = ref::nc_direct(data.h, data.y, K, false);
    double mismatches = 0;
    for (std::int64_t i = 0; i < data.h.rows; ++i) {
      std::int64_t best = 0;
      double best_v = -1e300;
      for (std::int64_t c = 0; c < K; ++c) {
        double v = bias[std::size_t(c)];
        for (std::int64_t j = 0; j < d; ++j) v += w(c, j) * data.h(i, j);
        if (v > best_v) best = c, best_v = v;
      }
      mismatches += best != e.ncc[std::size_t(i)];
    }
    REQUIRE(r.ncc_mismatch);
    CHECK(*r.ncc_mismatch == Approx(mismatches / double(data.h.rows)));
    CHECK(*r.ncc_mismatch > 0);
    // A sample exactly between two class means goes to the lower class.
    labelled exact_tie{ref::matrix(5, 1), {0, 0, 1, 1, 1}};
    const double ts[5] = {-1, -1, 1.5, 1.5, 0};  // μ_0 = −1, μ_1 = 1: x = 0 is a tie
    for (int i = 0; i < 5; ++i) exact_tie.h(i, 0) = ts[i];
    auto edev = put<double>(exact_tie);
    CHECK(*nc::nc_metrics(be, edev.h.view, edev.labels(), 2).ncc_accuracy == Approx(0.8));  // row 4 → class 0
  }

  SECTION("shards merged equal one pass; batch order does not matter; save/load is exact") {
    for (auto route : {nc::scatter_route::projected, nc::scatter_route::gram}) {
      const std::int64_t K = 4, d = 6;
      const auto data = clusters(90, d, K, 21);
      auto dev = put<double>(data);
      const auto h = dev.h.view;
      const auto y = dev.labels();
      nc::class_statistics whole(K, d, route), a(K, d, route), b(K, d, route), shuffled(K, d, route);
      whole.add(be, h, y);
      a.add(be, h.rows(0, 50), y.slice(0, 50));
      b.add(be, h.rows(50, 40), y.slice(50, 40));
      a.merge(be, b);
      for (auto [r0, count] : {std::pair{60, 30}, {10, 20}, {0, 10}, {30, 30}})  // out of order
        shuffled.add(be, h.rows(r0, count), y.slice(r0, count));
      for (const auto* s : {&a, &shuffled}) {
        REQUIRE(s->samples() == 90);
        for (std::size_t k = 0; k < whole.sums().size(); ++k) CHECK(s->sums()[k] == Approx(whole.sums()[k]));
        for (std::size_t k = 0; k < whole.within_sum_squares().size(); ++k)
          CHECK(s->within_sum_squares()[k] == Approx(whole.within_sum_squares()[k]));
        for (std::size_t k = 0; k < whole.within_scatter().size(); ++k)
          CHECK(s->within_scatter()[k] == Approx(whole.within_scatter()[k]).margin(1e-12));
      }
      std::stringstream file;
      posttrain::io::save(file, a);
      const auto back = posttrain::io::load_class_statistics(file);
      CHECK(back.samples() == a.samples());
      CHECK(std::equal(back.sums().begin(), back.sums().end(), a.sums().begin()));
      CHECK(std::equal(back.within_scatter().begin(), back.within_scatter().end(), a.within_scatter().begin()));
      CHECK(std::equal(back.within_sum_squares().begin(), back.within_sum_squares().end(), a.within_sum_squares().begin()));
      // Second passes over two shards, merged, give the one-pass metrics.
      nc::second_pass_statistics<double> p(be, whole), pa(be, a), pb(be, a);
      // The fingerprint hashes the inputs, not the tables the backend's GEMMs derive from them, so a
      // pass built on the sequential backend merges with one built here.
      CHECK(nc::second_pass_statistics<double>(a).fingerprint() == pa.fingerprint());
      p.add(be, h, y);
      pa.add(be, h.rows(0, 45), y.slice(0, 45));
      pb.add(be, h.rows(45, 45), y.slice(45, 45));
      std::stringstream shard;
      posttrain::io::save(shard, pb);
      auto pa_from_file = pa;
      pa.merge(pb);
      posttrain::io::merge_saved(pa_from_file, shard, "shard.txt");
      CHECK(pa_from_file.samples() == pa.samples());
      CHECK(pa_from_file.ncc_correct() == pa.ncc_correct());
      CHECK(std::equal(pa.projected_scatter().begin(), pa.projected_scatter().end(),
                       pa_from_file.projected_scatter().begin()));
      std::stringstream again;
      posttrain::io::save(again, pb);
      nc::second_pass_statistics<double> other_means(be, whole, nc::global_mean::class_means);
      CHECK_THROWS_AS(posttrain::io::merge_saved(other_means, again, "shard.txt"), posttrain::shape_error);
      std::stringstream cut("posttrain-second-pass 1\nclasses 4 dim 6\n");
      CHECK_THROWS_AS(posttrain::io::merge_saved(pa_from_file, cut), posttrain::parse_error);
      const auto r1 = nc::nc_metrics(be, whole, p), r2 = nc::nc_metrics(be, a, pa);
      CHECK(r1.nc1 == Approx(r2.nc1));
      CHECK(*r1.ncc_accuracy == *r2.ncc_accuracy);
      if (route == nc::scatter_route::gram) CHECK(nc::nc_metrics(be, whole).nc1 == Approx(r1.nc1));
      else CHECK_THROWS_AS(nc::nc_metrics(be, whole), posttrain::value_error);
    }
  }

  SECTION("the documented streaming use equals the in-memory call") {
    const auto data = clusters(100, 8, 3, 51);
    auto dev = put<double>(data);
    const auto features = dev.h.view;
    const auto labels = dev.labels();
    std::ostringstream out;
    // example-begin collapse_streaming
    nc::class_statistics stats(/*classes=*/3, /*dim=*/8);  // pass 1: counts, sums, scatter
    for (index_t r0 = 0; r0 < 100; r0 += 25)               // batches in any order, or shards
      stats.add(be, features.rows(r0, 25), labels.slice(r0, 25));
    nc::second_pass_statistics<double> pass2(be, stats);   // pass 2: projections, NCC
    for (index_t r0 = 0; r0 < 100; r0 += 25)
      pass2.add(be, features.rows(r0, 25), labels.slice(r0, 25));
    const nc::nc_result r = nc::nc_metrics(be, stats, pass2);
    out << r.to_json() << '\n';                             // {"samples": 100, "classes": 3, ...
    // example-end collapse_streaming
    CHECK(r.nc1 == Approx(nc::nc_metrics(be, features, labels, 3).nc1));
    CHECK_THAT(out.str(), Catch::StartsWith("{\"samples\": 100, \"classes\": 3, \"dim\": 8, \"nc1\": "));
  }

  SECTION("layer-wise metrics are the metrics of each layer") {
    const auto l1 = clusters(60, 5, 3, 31, 2.0), l2 = clusters(60, 8, 3, 31, 0.2);
    auto d1 = put<double>(l1), d2 = put<double>(l2);
    const std::vector layers = {d1.h.view, d2.h.view};
    const auto rs = nc::layerwise_nc_metrics(be, std::span(layers), d1.labels(), 3);
    REQUIRE(rs.size() == 2);
    CHECK(rs[0].nc1 == Approx(nc::nc_metrics(be, d1.h.view, d1.labels(), 3).nc1));
    CHECK(rs[1].nc1 < rs[0].nc1);  // tighter clusters, more collapse
  }

  SECTION("bad input is a clear error") {
    const auto data = clusters(20, 3, 3, 41);
    auto dev = put<double>(data);
    const auto msg = [](auto&& f) {
      try {
        f();
      } catch (const posttrain::error& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    CHECK_THROWS_AS(nc::class_statistics(1, 3), posttrain::value_error);
    CHECK_THAT(msg([&] { nc::nc_metrics(be, dev.h.view, dev.labels(), 2); }),
               Catch::Contains("label of row 2 is 2, outside 0..1"));
    CHECK_THAT(msg([&] { nc::nc_metrics(be, dev.h.view, dev.labels(), 4); }), Catch::Contains("class 3 of 4 has no sample"));
    CHECK_THAT(msg([&] { nc::nc_metrics(be, dev.h.view.rows(0, 19), dev.labels(), 3); }),
               Catch::Contains("one label per feature row"));
    auto bad = data;
    bad.h(13, 1) = ref::nan;
    auto bdev = put<double>(bad);
    CHECK_THAT(msg([&] { nc::nc_metrics(be, bdev.h.view, bdev.labels(), 3); }),
               Catch::Contains("feature row 13 column 1 is nan"));
    bad.h(13, 1) = ref::inf;
    auto idev = put<double>(bad);
    CHECK_THROWS_AS(nc::nc_metrics(be, idev.h.view, idev.labels(), 3), posttrain::value_error);
    // A second pass over features that differ from the first's: its own check names the row.
    nc::class_statistics clean(3, 3, nc::scatter_route::projected);
    clean.add(be, dev.h.view, dev.labels());
    nc::second_pass_statistics<double> second(be, clean);
    second.add(be, dev.h.view.rows(0, 10), dev.labels().slice(0, 10));
    CHECK_THAT(msg([&] { second.add(be, idev.h.view.rows(10, 10), idev.labels().slice(10, 10)); }),
               Catch::Contains("second_pass_statistics::add: feature row 13 column 1 is inf"));
    ref::matrix w(3, 4);
    const nc::linear_classifier wrong(posttrain::tensor_view<const double, 2>(w.data.data(), 3, 4));
    CHECK_THROWS_AS(nc::nc_metrics(be, dev.h.view, dev.labels(), 3, {}, &wrong), posttrain::shape_error);
    nc::class_statistics s(3, 3), other(3, 4);
    CHECK_THROWS_AS(s.merge(other), posttrain::shape_error);
    std::stringstream broken("posttrain-class-statistics 1\nclasses 3 dim 3 route gram\ncounts 1 2\n");
    CHECK_THROWS_AS(posttrain::io::load_class_statistics(broken), posttrain::parse_error);
    // All class means equal: no between-class spread, NC1 is infinite rather than 0.
    labelled flat{ref::matrix(4, 2), {0, 0, 1, 1}};
    flat.h(0, 0) = 1, flat.h(1, 0) = -1, flat.h(2, 1) = 1, flat.h(3, 1) = -1;
    auto fdev = put<double>(flat);
    const auto r = nc::nc_metrics(be, fdev.h.view, fdev.labels(), 2);
    CHECK(r.between_rank == 0);
    CHECK(std::isinf(r.nc1));
    CHECK_THAT(r.to_json(), Catch::Contains("\"nc1\": null"));
  }
}

}  // namespace

PT_TEST("collapse: NC1–NC4 against the direct computation, streaming and errors") {
  nc_tests(backend());
}
