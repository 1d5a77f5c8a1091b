// SPDX-License-Identifier: Apache-2.0
// Contrastive losses on every backend: the peers' known answers, the direct double
// computation, gradients against central differences, the complementary loss in both mask
// scopes, the diagnostics, and the edge cases.
#include "../support/harness.hpp"
#include "../support/contrastive_reference.hpp"

#include <posttrain/contrastive.hpp>

using namespace pt_test;
namespace cl = posttrain::contrastive;

namespace {

int kind_index(cl::objective k) { return k == cl::objective::graphcl ? 0 : k == cl::objective::infonce ? 1 : 2; }

cl::loss_options options(cl::objective kind, double tau, bool symmetric = false, index_t tile = 0) {
  cl::loss_options o;
  o.kind = kind, o.temperature = tau, o.symmetric = symmetric, o.tile_rows = tile;
  return o;
}

/// The library's loss and gradients for host matrices (double or float, in the given layout).
template <class T, class B>
std::tuple<double, ref::matrix, ref::matrix> run(const B& be, const ref::matrix& z1, const ref::matrix& z2,
                                                 const cl::loss_options& o, layout l = layout::dense) {
  auto a = upload<T>(z1, l), b = upload<T>(z2, l);
  auto g1 = output<T>(z1.rows, z1.cols, l), g2 = output<T>(z2.rows, z2.cols);
  const double value = cl::loss_and_gradient(be, a.view, b.view, g1.view, g2.view, o);
  CHECK(cl::loss(be, a.view, b.view, o) == Approx(value).epsilon(1e-5));
  return {value, download(g1.view), download(g2.view)};
}

/// Central differences of f over every element of z1 and z2.
template <class F>
std::pair<ref::matrix, ref::matrix> numeric_gradient(const ref::matrix& z1, const ref::matrix& z2, F f) {
  const double h = 1e-6;
  ref::matrix g1(z1.rows, z1.cols), g2(z2.rows, z2.cols);
  for (int which = 0; which < 2; ++which) {
    ref::matrix& g = which == 0 ? g1 : g2;
    for (std::size_t k = 0; k < g.data.size(); ++k) {
      ref::matrix a = z1, b = z2;
      ref::matrix& m = which == 0 ? a : b;
      m.data[k] += h;
      const double up = f(a, b);
      m.data[k] -= 2 * h;
      g.data[k] = (up - f(a, b)) / (2 * h);
    }
  }
  return {g1, g2};
}

template <class B>
void contrastive_tests(const B& be) {
  SECTION("known answers of the peers") {
    const ref::matrix eye = [] {
      ref::matrix m(2, 2);
      m(0, 0) = m(1, 1) = 1;
      return m;
    }();
    // PyGCL InfoNCE, z1 = z2 = I₂, τ = 1: log(1 + e⁻¹), one-way and symmetric.
    CHECK(std::get<0>(run<double>(be, eye, eye, options(cl::objective::infonce, 1.0))) == Approx(std::log1p(std::exp(-1.0))));
    CHECK(std::get<0>(run<double>(be, eye, eye, options(cl::objective::infonce, 1.0, true))) ==
          Approx(std::log1p(std::exp(-1.0))));
    // lightly's collinear case: all cosines 1, NT-Xent = ln(2N − 1) for any τ.
    for (double tau : {0.05, 0.5, 1.0}) {
      ref::matrix ones(4, 3, 1.0), twos(4, 3, 2.0);
      CHECK(std::get<0>(run<double>(be, ones, twos, options(cl::objective::nt_xent, tau))) == Approx(std::log(7.0)));
      CHECK(std::get<0>(run<float>(be, ones, twos, options(cl::objective::nt_xent, tau))) == Approx(std::log(7.0)).epsilon(1e-5));
    }
    // Symmetric forms do not depend on the order of the views.
    const auto z1 = ref::random_matrix(6, 5, 1), z2 = ref::random_matrix(6, 5, 2);
    for (auto o : {options(cl::objective::nt_xent, 0.5), options(cl::objective::infonce, 0.3, true)})
      CHECK(std::get<0>(run<double>(be, z1, z2, o)) == Approx(std::get<0>(run<double>(be, z2, z1, o))));
  }

  SECTION("every form against the direct computation, float and double, strided, small τ") {
    const auto z1 = ref::random_matrix(37, 9, 3), z2 = ref::random_matrix(37, 9, 4);
    for (auto kind : {cl::objective::graphcl, cl::objective::infonce, cl::objective::nt_xent})
      for (double tau : {0.5, 0.2, 0.01})
        for (bool symmetric : {false, true}) {
          if (symmetric && kind != cl::objective::infonce) continue;
          INFO("kind " << kind_index(kind) << ", τ = " << tau << ", symmetric " << symmetric);
          const double expected = ref::contrastive_loss(z1, z2, kind_index(kind), tau, symmetric);
          CHECK(std::get<0>(run<double>(be, z1, z2, options(kind, tau, symmetric), layout::strided)) ==
                Approx(expected).epsilon(1e-10));
          CHECK(std::get<0>(run<float>(be, z1, z2, options(kind, tau, symmetric, 5), layout::transposed)) ==
                Approx(expected).epsilon(tau < 0.05 ? 2e-4 : 2e-5));
        }
  }

  SECTION("gradients equal central differences for every form, with tiles of any height") {
    const auto z1 = ref::random_matrix(7, 4, 5), z2 = ref::random_matrix(7, 4, 6);
    for (auto kind : {cl::objective::graphcl, cl::objective::infonce, cl::objective::nt_xent})
      for (bool symmetric : {false, true})
        for (index_t tile : {0, 1, 3}) {
          if (symmetric && kind != cl::objective::infonce) continue;
          const double tau = 0.3;
          const auto [value, g1, g2] = run<double>(be, z1, z2, options(kind, tau, symmetric, tile), layout::padded);
          const auto [n1, n2] = numeric_gradient(z1, z2, [&](const ref::matrix& a, const ref::matrix& b) {
            return ref::contrastive_loss(a, b, kind_index(kind), tau, symmetric);
          });
          INFO("kind " << kind_index(kind) << ", symmetric " << symmetric << ", tile " << tile);
          require_close(g1, n1, 1e-6);
          require_close(g2, n2, 1e-6);
        }
  }

  SECTION("the complementary loss: highlighted dimensions, both scopes, gradients with the mask held") {
    const index_t n = 6, d = 5;
    const auto z1 = ref::random_matrix(n, d, 7), z2 = ref::random_matrix(n, d, 8);
    auto a = upload<double>(z1), b = upload<double>(z2);
    for (auto rule : {cl::highlight_rule::contribution, cl::highlight_rule::anchor_magnitude})
      for (auto scope : {cl::mask_scope::per_sample, cl::mask_scope::anchor_row})
        for (auto kind : {cl::objective::infonce, cl::objective::graphcl}) {
          cl::complement_options o;
          o.base = options(kind, 0.4);
          o.ratio = 0.3;  // k = ⌈1.5⌉ = 2
          o.weight = 0.7;
          o.rule = rule, o.scope = scope;
          auto mask = output<double>(n, d);
          cl::highlighted_dimensions(be, a.view, b.view, o, mask.view);
          const auto m = download(mask.view);
          for (index_t i = 0; i < n; ++i) {
            // The two highlighted dimensions are the two largest scores of the pair.
            std::vector<double> score(static_cast<std::size_t>(d));
            const auto u = ref::normalised(z1, i), v = ref::normalised(z2, i);
            for (index_t j = 0; j < d; ++j)
              score[std::size_t(j)] = rule == cl::highlight_rule::contribution ? u[std::size_t(j)] * v[std::size_t(j)]
                                                                               : std::abs(u[std::size_t(j)]);
            double kept_max = -1e300, masked_min = 1e300, count = 0;
            for (index_t j = 0; j < d; ++j) {
              if (m(i, j) != 0) masked_min = std::min(masked_min, score[std::size_t(j)]), ++count;
              else kept_max = std::max(kept_max, score[std::size_t(j)]);
            }
            CHECK(count == 2);
            CHECK(masked_min >= kept_max);
          }
          auto g1 = output<double>(n, d), g2 = output<double>(n, d);
          const auto r = cl::complementary_loss_and_gradient(be, a.view, b.view, mask.view, g1.view, g2.view, o);
          const bool anchor = scope == cl::mask_scope::anchor_row;
          const auto full = [&](const ref::matrix& x, const ref::matrix& y) {
            return ref::contrastive_loss(x, y, kind_index(kind), 0.4, false) +
                   0.7 * ref::contrastive_loss(x, y, kind_index(kind), 0.4, false, &m, anchor);
          };
          INFO("rule " << int(rule) << ", scope " << int(scope) << ", kind " << kind_index(kind));
          CHECK(r.plain == Approx(ref::contrastive_loss(z1, z2, kind_index(kind), 0.4, false)));
          CHECK(r.complementary == Approx(ref::contrastive_loss(z1, z2, kind_index(kind), 0.4, false, &m, anchor)));
          CHECK(r.total == Approx(full(z1, z2)));
          const auto [n1, n2] = numeric_gradient(z1, z2, full);
          require_close(download(g1.view), n1, 1e-6);
          require_close(download(g2.view), n2, 1e-6);
        }
    // The representation [z1 ‖ z2c].
    cl::complement_options o;
    o.count = 1;
    auto mask = output<std::uint8_t>(n, d);
    cl::highlighted_dimensions(be, a.view, b.view, o, mask.view);
    auto rep = output<double>(n, 2 * d);
    cl::representation(be, a.view, b.view, mask.view, rep.view);
    const auto rv = download(rep.view);
    const auto mv = download(mask.view);
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < d; ++j) {
        CHECK(rv(i, j) == z1(i, j));
        CHECK(rv(i, d + j) == (mv(i, j) != 0 ? 0.0 : z2(i, j)));
      }
  }

  SECTION("edge cases: N = 1, d = 1, k = 0, k = d, zero rows, bad input") {
    const auto one1 = ref::random_matrix(1, 3, 9), one2 = ref::random_matrix(1, 3, 10);
    CHECK_THROWS_AS(run<double>(be, one1, one2, options(cl::objective::graphcl, 0.2)), posttrain::value_error);
    for (auto kind : {cl::objective::infonce, cl::objective::nt_xent}) {
      const auto [value, g1, g2] = run<double>(be, one1, one2, options(kind, 0.2));
      CHECK(value == Approx(0).margin(1e-12));  // the positive is the only candidate
      for (double g : g1.data) CHECK(g == Approx(0).margin(1e-9));
    }
    // d = 1: every embedding is ±1 after normalisation.
    const auto c1 = ref::random_matrix(5, 1, 11), c2 = ref::random_matrix(5, 1, 12);
    CHECK(std::get<0>(run<double>(be, c1, c2, options(cl::objective::infonce, 0.5))) ==
          Approx(ref::contrastive_loss(c1, c2, 1, 0.5, false)));
    // k = 0: the complementary term equals the plain one; k = d is an error.
    const auto z1 = ref::random_matrix(5, 4, 13), z2 = ref::random_matrix(5, 4, 14);
    auto a = upload<double>(z1), b = upload<double>(z2);
    auto mask = output<double>(5, 4), g1 = output<double>(5, 4), g2 = output<double>(5, 4);
    cl::complement_options o;
    o.count = 0;
    cl::highlighted_dimensions(be, a.view, b.view, o, mask.view);
    const auto r = cl::complementary_loss_and_gradient(be, a.view, b.view, mask.view, g1.view, g2.view, o);
    CHECK(r.complementary == Approx(r.plain));
    o.count = 4;
    CHECK_THROWS_AS(cl::highlighted_dimensions(be, a.view, b.view, o, mask.view), posttrain::value_error);
    o.count = -1, o.ratio = 1.0;
    CHECK_THROWS_AS(cl::highlighted_dimensions(be, a.view, b.view, o, mask.view), posttrain::value_error);
    // Zero rows: normalised to zero (ε = 1e-12 as F.normalize); the loss is finite and as the
    // direct computation; the gradient of a zero row is g/ε, finite.
    auto zero = z1;
    for (index_t j = 0; j < 4; ++j) zero(2, j) = 0;
    const auto [zv, zg1, zg2] = run<double>(be, zero, z2, options(cl::objective::infonce, 0.5));
    CHECK(zv == Approx(ref::contrastive_loss(zero, z2, 1, 0.5, false)));
    for (double g : zg1.data) CHECK(std::isfinite(g));
    // τ ≤ 0, NaN, shapes.
    CHECK_THROWS_AS(run<double>(be, z1, z2, options(cl::objective::infonce, 0.0)), posttrain::value_error);
    CHECK_THROWS_AS(run<double>(be, z1, z2, options(cl::objective::infonce, -1.0)), posttrain::value_error);
    auto bad = z2;
    bad(3, 1) = ref::nan;
    try {
      run<double>(be, z1, bad, options(cl::objective::infonce, 0.5));
      FAIL("no error");
    } catch (const posttrain::value_error& e) {
      CHECK_THAT(e.what(), Catch::Contains("z2(3,1) is nan"));
    }
    const auto short2 = ref::random_matrix(4, 4, 15);
    CHECK_THROWS_AS(run<double>(be, z1, short2, options(cl::objective::infonce, 0.5)), posttrain::shape_error);
    CHECK_THROWS_AS(run<double>(be, z1, z2, options(cl::objective::nt_xent, 0.5, true)), posttrain::value_error);
    o.count = 1;
    o.scope = cl::mask_scope::anchor_row;
    o.base = options(cl::objective::nt_xent, 0.5);
    CHECK_THROWS_AS(cl::complementary_loss_and_gradient(be, a.view, b.view, mask.view, g1.view, g2.view, o),
                    posttrain::value_error);
  }

  SECTION("the documented use") {
    const auto r1 = ref::random_matrix(8, 6, 21), r2 = ref::random_matrix(8, 6, 22);
    auto a = upload<float>(r1), b = upload<float>(r2);
    auto ga = output<float>(8, 6), gb = output<float>(8, 6);
    auto m = output<std::uint8_t>(8, 6);
    const auto z1 = a.view, z2 = b.view, grad1 = ga.view, grad2 = gb.view;
    const auto mask = m.view;
    // example-begin contrastive_use
    cl::loss_options plain;  // InfoNCE as PyGCL, τ = 0.2
    const double l = cl::loss_and_gradient(be, z1, z2, grad1, grad2, plain);

    cl::complement_options co;  // GraphCoCo: L(z1, z2) + λ·L(z1, z2c)
    co.base.kind = cl::objective::graphcl;
    co.ratio = 0.1;   // k = ⌈0.1·d⌉ highlighted dimensions per pair
    co.weight = 1.0;  // λ
    cl::highlighted_dimensions(be, z1, z2, co, mask);
    const cl::complement_loss c = cl::complementary_loss_and_gradient(be, z1, z2, mask, grad1, grad2, co);
    // c.total = c.plain + λ·c.complementary; grad1, grad2 hold dL/dz1, dL/dz2
    // example-end contrastive_use
    CHECK(l == Approx(ref::contrastive_loss(as<float>(r1), as<float>(r2), 1, 0.2, false)).epsilon(1e-5));
    CHECK(c.total == Approx(c.plain + c.complementary).epsilon(1e-6));
  }

  SECTION("diagnostics: per-dimension contributions, the share of dimensions, effective rank") {
    const auto z1 = ref::random_matrix(20, 6, 16), z2 = ref::random_matrix(20, 6, 17);
    auto a = upload<double>(z1), b = upload<double>(z2);
    const auto c = cl::dimension_contributions(be, a.view, b.view);
    double mean_cos = 0, sum = 0;
    for (index_t i = 0; i < 20; ++i) mean_cos += ref::dot(ref::normalised(z1, i), ref::normalised(z2, i)) / 20;
    for (double x : c) sum += x;
    CHECK(sum == Approx(mean_cos));
    CHECK(cl::dimensions_for_share({0.5, 0.1, 0.3, 0.1}, 0.5) == 1);
    CHECK(cl::dimensions_for_share({0.1, 0.2, 0.3, 0.4}, 0.75) == 3);
    CHECK(cl::dimensions_for_share({-1.0, 0.5}, 0.5) == 0);
    ref::matrix eye(4, 4);
    for (index_t i = 0; i < 4; ++i) eye(i, i) = 3;
    auto e = upload<double>(eye);
    CHECK(cl::effective_rank(be, e.view) == Approx(4.0));
    ref::matrix rank_one(5, 3);
    for (index_t i = 0; i < 5; ++i)
      for (index_t j = 0; j < 3; ++j) rank_one(i, j) = double(i + 1) * double(j + 2);
    auto r1 = upload<double>(rank_one, layout::transposed);
    CHECK(cl::effective_rank(be, r1.view) == Approx(1.0).margin(1e-6));
    ref::matrix diag(3, 3);
    diag(0, 0) = 2, diag(1, 1) = 1, diag(2, 2) = 1;  // σ ∝ (1/2, 1/4, 1/4): exp(1.5 ln 2)
    auto dv = upload<double>(diag);
    CHECK(cl::effective_rank(be, dv.view) == Approx(std::exp(1.5 * std::log(2.0))));
  }
}

}  // namespace

PT_TEST("contrastive: losses, gradients, complementary loss, diagnostics") {
  contrastive_tests(backend());
}
