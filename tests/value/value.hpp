// SPDX-License-Identifier: Apache-2.0
// The value module on every backend: combination schemes and their invariance, the IVL loss
// against a double reference and finite differences, the expected embedding, vocabulary maps.
#include "common.hpp"

#include <map>
#include <numeric>
#include <sstream>

using namespace pt_test;
using namespace value_test;
namespace va = posttrain::value;

namespace {

template <class Backend>
void combine_tests(const Backend& be) {
  const auto zb = ref::random_matrix(5, 11, 1), zv = ref::random_matrix(5, 11, 2);
  SECTION("residual and proxy tuning: the arithmetic, a wider expert truncated") {
    auto b = upload<double>(zb, layout::strided), v = upload<double>(zv, layout::transposed);
    auto out = output<double>(5, 11);
    va::residual(be, b.view, v.view, out.view, 0.5);
    ref::matrix e(5, 11);
    for (std::size_t k = 0; k < e.data.size(); ++k) e.data[k] = zb.data[k] + 0.5 * zv.data[k];
    require_close(download(out.view), e, 1e-15);
    // proxy tuning: z_B + α(z_expert − z_anti), the experts one token wider (truncated).
    va::proxy_tuning(be, upload<double>(rows_of({{1, 2, 3}})).view, upload<double>(rows_of({{10, 0, -1, 99}})).view,
                     upload<double>(rows_of({{4, 4, 4, 4}})).view, out.view.rows(0, 1).cols(0, 3), 2.0);
    CHECK(download(out.view)(0, 0) == 1 + 2 * (10 - 4));
    CHECK(download(out.view)(0, 2) == 3 + 2 * (-1 - 4));
    CHECK_THROWS_WITH(va::residual(be, b.view, upload<double>(ref::matrix(5, 10)).view, out.view),
                      Catch::Contains("term 1") && Catch::Contains("at least out's columns"));
  }
  SECTION("raw and log-softmax terms give the same distribution, until a constant fill intervenes") {
    auto b = upload<double>(zb), v = upload<double>(zv);
    auto raw = output<double>(5, 11), lsm = output<double>(5, 11), p1 = output<double>(5, 11),
         p2 = output<double>(5, 11);
    using V = posttrain::tensor_view<const double, 2, space>;
    const va::score_term<V> raw_terms[] = {{b.view}, {v.view, 1.0}};
    const va::score_term<V> lsm_terms[] = {{b.view, 1.0, va::score_form::log_softmax},
                                           {v.view, 1.0, va::score_form::log_softmax}};
    va::combine(be, std::span<const va::score_term<V>>(raw_terms), raw.view);
    va::combine(be, std::span<const va::score_term<V>>(lsm_terms), lsm.view);
    posttrain::ops::log_softmax(be, raw.view, p1.view);
    posttrain::ops::log_softmax(be, lsm.view, p2.view);
    require_close(download(p1.view), download(p2.view), 1e-12);
    // A value vocabulary of 8 mapped onto the 11 base tokens, 3 unmapped (filled with 0): now a
    // per-row shift of the value logits moves the mapped tokens against the unmapped ones.
    va::vocabulary_map map(11, 8);
    for (int t = 0; t < 8; ++t) map.set(t, 7 - t);
    const auto z8 = ref::random_matrix(5, 8, 4);
    ref::matrix z8_lsm(5, 8);
    for (int r = 0; r < 5; ++r) {
      const auto l = log_softmax_row(z8, r);
      for (int t = 0; t < 8; ++t) z8_lsm(r, t) = l[std::size_t(t)];
    }
    auto m1 = output<double>(5, 11), m2 = output<double>(5, 11);
    va::apply_map(be, map, upload<double>(z8).view, m1.view);
    va::apply_map(be, map, upload<double>(z8_lsm).view, m2.view);
    va::residual(be, b.view, m1.view, raw.view);
    va::residual(be, b.view, m2.view, lsm.view);
    posttrain::ops::log_softmax(be, raw.view, p1.view);
    posttrain::ops::log_softmax(be, lsm.view, p2.view);
    double largest = 0;
    const auto a1 = download(p1.view), a2 = download(p2.view);
    for (std::size_t k = 0; k < a1.data.size(); ++k) largest = std::max(largest, std::abs(a1.data[k] - a2.data[k]));
    CHECK(largest > 0.1);  // the invariance is broken by the constant fill
    // With −inf for the unmapped tokens it holds again (they leave the distribution).
    va::apply_map(be, map, upload<double>(z8).view, m1.view, va::unmapped_fill::negative_infinity);
    va::apply_map(be, map, upload<double>(z8_lsm).view, m2.view, va::unmapped_fill::negative_infinity);
    va::residual(be, b.view, m1.view, raw.view);
    va::residual(be, b.view, m2.view, lsm.view);
    posttrain::ops::log_softmax(be, raw.view, p1.view);
    posttrain::ops::log_softmax(be, lsm.view, p2.view);
    require_close(download(p1.view), download(p2.view), 1e-12);
  }
  SECTION("EFT and the CMC modes against the formulas") {
    const auto zs = ref::random_matrix(5, 11, 9);
    auto b = upload<double>(zb), v = upload<double>(zv), s = upload<double>(zs);
    auto out = output<double>(5, 11);
    va::emulated_fine_tuning(be, b.view, v.view, s.view, out.view, 0.7);
    ref::matrix e(5, 11);
    for (int r = 0; r < 5; ++r) {
      const auto lb = log_softmax_row(zb, r), lv = log_softmax_row(zv, r), ls = log_softmax_row(zs, r);
      for (int t = 0; t < 11; ++t) e(r, t) = lb[std::size_t(t)] + 0.7 * (lv[std::size_t(t)] - ls[std::size_t(t)]);
    }
    require_close(download(out.view), e, 1e-13);
    for (auto mode : {va::cmc_mode::add, va::cmc_mode::normalization, va::cmc_mode::basenormalization}) {
      va::cmc(be, b.view, v.view, out.view, mode);
      for (int r = 0; r < 5; ++r) {
        const auto lb = log_softmax_row(zb, r), lv = log_softmax_row(zv, r);
        for (int t = 0; t < 11; ++t)
          e(r, t) = (mode == va::cmc_mode::add ? zb(r, t) : lb[std::size_t(t)]) +
                    (mode == va::cmc_mode::normalization ? lv[std::size_t(t)] : zv(r, t));
      }
      require_close(download(out.view), e, 1e-13);
    }
  }
  SECTION("contrastive decoding: the plausibility mask at α·max p_expert") {
    // p_exp ∝ (0.5, 0.3, 0.04, 0.16): with α = 0.1 the third token (0.04 < 0.05) is dropped.
    const auto ze = rows_of({{std::log(0.5), std::log(0.3), std::log(0.04), std::log(0.16)}});
    const auto zm = rows_of({{std::log(0.25), std::log(0.25), std::log(0.25), std::log(0.25)}});
    auto out = output<double>(1, 4);
    va::contrastive_decoding(be, upload<double>(ze).view, upload<double>(zm).view, out.view, 0.1);
    const auto got = download(out.view);
    CHECK(got(0, 0) == Approx(std::log(0.5 / 0.25)));
    CHECK(got(0, 1) == Approx(std::log(0.3 / 0.25)));
    CHECK(got(0, 2) == -inf);
    CHECK(got(0, 3) == Approx(std::log(0.16 / 0.25)));
  }
  SECTION("−inf minus −inf is an error naming the row and column") {
    auto a = upload<double>(rows_of({{0, -inf, 1}})), c = upload<double>(rows_of({{1, -inf, 0}}));
    auto out = output<double>(1, 3);
    CHECK_THROWS_WITH(va::proxy_tuning(be, a.view, a.view, c.view, out.view),
                      Catch::Contains("row 0 column 1 is NaN"));
  }
}

// ---------------------------------------------------------------------------------------------

struct ivl_reference {
  double loss = 0;
  ref::matrix grad;
};

ivl_reference reference_ivl(const ref::matrix* zb, const ref::matrix& zv, const std::vector<std::int64_t>& y,
                            double lambda) {
  ivl_reference out;
  out.grad = ref::matrix(zv.rows, zv.cols);
  double n = 0;
  for (auto l : y) n += l != -100;
  double ce = 0, norm = 0;
  for (std::int64_t t = 0; t < zv.rows; ++t) {
    ref::matrix s(1, zv.cols);
    for (std::int64_t v = 0; v < zv.cols; ++v) s(0, v) = (zb ? (*zb)(t, v) : 0.0) + zv(t, v);
    const auto l = log_softmax_row(s, 0);
    for (std::int64_t v = 0; v < zv.cols; ++v) {
      norm += std::abs(zv(t, v));
      const double sgn = zv(t, v) > 0 ? 1 : (zv(t, v) < 0 ? -1 : 0);
      out.grad(t, v) = lambda * sgn / double(zv.rows * zv.cols);
      if (y[std::size_t(t)] != -100) out.grad(t, v) += (std::exp(l[std::size_t(v)]) - (v == y[std::size_t(t)])) / n;
    }
    if (y[std::size_t(t)] != -100) ce -= l[std::size_t(y[std::size_t(t)])];
  }
  out.loss = (n > 0 ? ce / n : 0.0) + lambda * norm / double(zv.rows * zv.cols);
  return out;
}

template <class Backend>
void ivl_tests(const Backend& be) {
  const std::int64_t T = 7, V = 19;
  const auto zb = ref::random_matrix(T, V, 11), zv = ref::random_matrix(T, V, 12, -1, 1);
  const std::vector<std::int64_t> y = {3, -100, 0, 18, -100, 7, 7};
  // The labels in the backend's memory (a 1×T matrix; .view.row(0) is the vector).
  const auto labels = [&](const std::vector<std::int64_t>& l) { return upload<std::int64_t>(column(l)); };
  SECTION("loss and gradient against the double reference, every layout, float and double") {
    const auto e = reference_ivl(&zb, zv, y, 1.0);
    for (layout l : all_layouts) {
      auto b = upload<double>(zb, l), v = upload<double>(zv, l);
      auto g = output<double>(T, V, l);
      const auto r = va::ivl_loss_and_gradient(be, b.view, v.view, labels(y).view.row(0), g.view);
      INFO(name(l));
      CHECK(r.loss == Approx(e.loss).epsilon(1e-13));
      CHECK(r.labelled == 5);
      require_close(download(g.view), e.grad, 1e-13);
      auto bf = upload<float>(zb, l), vf = upload<float>(zv, l);
      auto gf = output<float>(T, V, l);
      const auto rf = va::ivl_loss_and_gradient(be, bf.view, vf.view, labels(y).view.row(0), gf.view, {.lambda = 1.0});
      CHECK(rf.loss == Approx(e.loss).epsilon(1e-5));
      require_close(download(gf.view), e.grad, 1e-5);
    }
  }
  SECTION("gradient against central differences of the loss") {
    auto b = upload<double>(zb);
    auto g = output<double>(T, V);
    auto v = upload<double>(zv);
    va::ivl_loss_and_gradient(be, b.view, v.view, labels(y).view.row(0), g.view, {.lambda = 0.3});
    const auto grad = download(g.view);
    for (std::int64_t t = 0; t < T; t += 2)
      for (std::int64_t k = 0; k < V; k += 3) {
        ref::matrix p = zv, q = zv;
        p(t, k) += 1e-6;
        q(t, k) -= 1e-6;
        auto dp = upload<double>(p), dq = upload<double>(q);
        const double fd = (va::ivl_loss_and_gradient(be, b.view, dp.view, labels(y).view.row(0), g.view, {.lambda = 0.3}).loss -
                           va::ivl_loss_and_gradient(be, b.view, dq.view, labels(y).view.row(0), g.view, {.lambda = 0.3}).loss) /
                          2e-6;
        CHECK(grad(t, k) == Approx(fd).margin(1e-7));
      }
  }
  SECTION("all labels ignored: loss is the norm term, gradient only λ·sign/(T·V)") {
    const std::vector<std::int64_t> none(std::size_t(T), -100);
    auto b = upload<double>(zb), v = upload<double>(zv);
    auto g = output<double>(T, V);
    const auto r = va::ivl_loss_and_gradient(be, b.view, v.view, labels(none).view.row(0), g.view);
    const auto e = reference_ivl(&zb, zv, none, 1.0);
    CHECK(r.cross_entropy == 0);
    CHECK(r.labelled == 0);
    CHECK(r.loss == Approx(e.loss));
    require_close(download(g.view), e.grad, 1e-14);
  }
  SECTION("−inf in z_base: probability 0, gradient exactly λ·sign there; V = 1") {
    ref::matrix b = zb;
    for (std::int64_t t = 0; t < T; ++t) b(t, 5) = -inf, b(t, 6) = -inf;
    auto db = upload<float>(b), v = upload<float>(zv);
    auto g = output<float>(T, V);
    const auto r = va::ivl_loss_and_gradient(be, db.view, v.view, labels(y).view.row(0), g.view, {.lambda = 0.0});
    const auto e = reference_ivl(&b, zv, y, 0.0);
    CHECK(r.loss == Approx(e.loss).epsilon(1e-5));
    const auto got = download(g.view);
    for (std::int64_t t = 0; t < T; ++t) CHECK(got(t, 5) == 0);
    const std::vector<std::int64_t> zero = {0, 0};
    auto one = upload<double>(ref::matrix(2, 1, 3.0)), onev = upload<double>(ref::matrix(2, 1, -2.0));
    auto g1 = output<double>(2, 1);
    const auto r1 = va::ivl_loss_and_gradient(be, one.view, onev.view, labels(zero).view.row(0), g1.view);
    CHECK(r1.cross_entropy == Approx(0).margin(1e-15));
    CHECK(r1.loss == Approx(2.0));
    CHECK(download(g1.view)(0, 0) == Approx(-1.0 / 2));
  }
  SECTION("errors: label out of range names the position; NaN names row and column; all −inf") {
    auto b = upload<double>(zb), v = upload<double>(zv);
    auto g = output<double>(T, V);
    std::vector<std::int64_t> bad = y;
    bad[4] = 19;
    CHECK_THROWS_WITH(va::ivl_loss_and_gradient(be, b.view, v.view, labels(bad).view.row(0), g.view),
                      Catch::Contains("labels[4] is 19, outside [0, 19)"));
    ref::matrix nan = zv;
    nan(2, 9) = ref::nan;
    CHECK_THROWS_WITH(va::ivl_loss_and_gradient(be, b.view, upload<double>(nan).view, labels(y).view.row(0), g.view),
                      Catch::Contains("z_value row 2 column 9"));
    // NaN or +inf in z_B is an error naming the position, on a labelled row and on an unlabelled
    // one (where no cross-entropy is computed and a NaN would otherwise go unseen); −inf is not.
    for (const double poison : {ref::nan, inf})
      for (const std::int64_t row : {std::int64_t{1}, std::int64_t{5}}) {
        ref::matrix bad_base = zb;
        bad_base(row, 7) = poison;
        std::vector<std::int64_t> yy = y;
        yy[std::size_t(row)] = row == 5 ? -100 : yy[std::size_t(row)];
        INFO("z_base(" << row << ", 7) = " << poison);
        CHECK_THROWS_WITH(va::ivl_loss_and_gradient(be, upload<double>(bad_base).view, v.view, labels(yy).view.row(0), g.view),
                          Catch::Contains("z_base row " + std::to_string(row) + " column 7"));
      }
    // The first bad position by row, then column: z_value (2, 9) comes before z_base (4, 0).
    ref::matrix late_base = zb;
    late_base(4, 0) = ref::nan;
    CHECK_THROWS_WITH(va::ivl_loss_and_gradient(be, upload<double>(late_base).view, upload<double>(nan).view,
                                                labels(y).view.row(0), g.view),
                      Catch::Contains("z_value row 2 column 9"));
    ref::matrix dead = zb;
    for (std::int64_t k = 0; k < V; ++k) dead(3, k) = -inf;
    CHECK_THROWS_WITH(va::ivl_loss_and_gradient(be, upload<double>(dead).view, v.view, labels(y).view.row(0), g.view),
                      Catch::Contains("row 3 is labelled (18) but every score is −inf"));
    CHECK_THROWS_AS(va::ivl_loss_and_gradient(be, b.view, v.view, labels(std::vector<std::int64_t>{1}).view.row(0), g.view),
                    posttrain::shape_error);
  }
  SECTION("token cross-entropy is the loss with no base and λ = 0") {
    auto v = upload<double>(zv, layout::padded);
    auto g = output<double>(T, V);
    const auto r = va::token_cross_entropy(be, v.view, labels(y).view.row(0), g.view);
    const auto e = reference_ivl(nullptr, zv, y, 0.0);
    CHECK(r.loss == Approx(e.loss).epsilon(1e-13));
    require_close(download(g.view), e.grad, 1e-13);
  }
}

// ---------------------------------------------------------------------------------------------

template <class Backend>
void cascade_tests(const Backend& be) {
  const std::int64_t T = 6, V = 9, d = 4;
  const auto z = ref::random_matrix(T, V, 21), emb = ref::random_matrix(V, d, 22), go = ref::random_matrix(T, d, 23);
  ref::matrix p(T, V), e(T, d, 0.0), ge(V, d, 1.0);
  for (std::int64_t t = 0; t < T; ++t) {
    const auto l = log_softmax_row(z, t);
    for (std::int64_t v = 0; v < V; ++v) p(t, v) = std::exp(l[std::size_t(v)]);
  }
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t v = 0; v < V; ++v)
      for (std::int64_t k = 0; k < d; ++k) e(t, k) += p(t, v) * emb(v, k), ge(v, k) += p(t, v) * go(t, k);
  auto dz = upload<double>(z, layout::strided), de = upload<double>(emb);
  auto out = output<double>(T, d);
  va::expected_embedding(be, dz.view, de.view, out.view);
  require_close(download(out.view), e, 1e-13);
  auto dg = upload<double>(ref::matrix(V, d, 1.0));
  va::expected_embedding_backward(be, dz.view, upload<double>(go).view, dg.view);
  require_close(download(dg.view), ge, 1e-13);
  CHECK_THROWS_AS(va::expected_embedding(be, dz.view, upload<double>(ref::matrix(V + 1, d)).view, out.view),
                  posttrain::shape_error);
}

}  // namespace

PT_TEST("value: combination schemes and the raw/log-softmax invariance") {
  combine_tests(backend());
}
PT_TEST("value: the IVL loss and gradient") {
  ivl_tests(backend());
}
PT_TEST("value: the expected embedding and its backward") {
  cascade_tests(backend());
}
