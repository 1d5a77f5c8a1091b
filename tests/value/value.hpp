// The value module on the host backends: combination schemes and their invariance, the IVL loss
// against a double reference and finite differences, the expected embedding, vocabulary maps,
// and decoding against transformers' warper tests and a sort-based reference.
#include "../support/harness.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <sstream>

#include <posttrain/value.hpp>

using namespace pt_test;
namespace va = posttrain::value;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

ref::matrix rows_of(std::vector<std::vector<double>> rows) {
  ref::matrix m(std::int64_t(rows.size()), std::int64_t(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(std::int64_t(i), std::int64_t(j)) = rows[i][j];
  return m;
}

std::vector<double> log_softmax_row(const ref::matrix& z, std::int64_t r) {
  double top = -inf;
  for (std::int64_t v = 0; v < z.cols; ++v) top = std::max(top, z(r, v));
  double s = 0;
  for (std::int64_t v = 0; v < z.cols; ++v) s += std::exp(z(r, v) - top);
  std::vector<double> out(std::size_t(z.cols));
  for (std::int64_t v = 0; v < z.cols; ++v) out[std::size_t(v)] = z(r, v) - top - std::log(s);
  return out;
}

// ---------------------------------------------------------------------------------------------

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
    va::processed_log_probs(be, raw.view, p1.view);
    va::processed_log_probs(be, lsm.view, p2.view);
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
    va::processed_log_probs(be, raw.view, p1.view);
    va::processed_log_probs(be, lsm.view, p2.view);
    double largest = 0;
    const auto a1 = download(p1.view), a2 = download(p2.view);
    for (std::size_t k = 0; k < a1.data.size(); ++k) largest = std::max(largest, std::abs(a1.data[k] - a2.data[k]));
    CHECK(largest > 0.1);  // the invariance is broken by the constant fill
    // With −inf for the unmapped tokens it holds again (they leave the distribution).
    va::apply_map(be, map, upload<double>(z8).view, m1.view, va::unmapped_fill::negative_infinity);
    va::apply_map(be, map, upload<double>(z8_lsm).view, m2.view, va::unmapped_fill::negative_infinity);
    va::residual(be, b.view, m1.view, raw.view);
    va::residual(be, b.view, m2.view, lsm.view);
    va::processed_log_probs(be, raw.view, p1.view);
    va::processed_log_probs(be, lsm.view, p2.view);
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
  const auto labels = [&](const std::vector<std::int64_t>& l) {
    return posttrain::tensor_view<const std::int64_t, 1>(l.data(), std::int64_t(l.size()));
  };
  SECTION("loss and gradient against the double reference, every layout, float and double") {
    const auto e = reference_ivl(&zb, zv, y, 1.0);
    for (layout l : all_layouts) {
      auto b = upload<double>(zb, l), v = upload<double>(zv, l);
      auto g = output<double>(T, V, l);
      const auto r = va::ivl_loss_and_gradient(be, b.view, v.view, labels(y), g.view);
      INFO(name(l));
      CHECK(r.loss == Approx(e.loss).epsilon(1e-13));
      CHECK(r.labelled == 5);
      require_close(download(g.view), e.grad, 1e-13);
      auto bf = upload<float>(zb, l), vf = upload<float>(zv, l);
      auto gf = output<float>(T, V, l);
      const auto rf = va::ivl_loss_and_gradient(be, bf.view, vf.view, labels(y), gf.view, {.lambda = 1.0});
      CHECK(rf.loss == Approx(e.loss).epsilon(1e-5));
      require_close(download(gf.view), e.grad, 1e-5);
    }
  }
  SECTION("gradient against central differences of the loss") {
    auto b = upload<double>(zb);
    auto g = output<double>(T, V);
    auto v = upload<double>(zv);
    va::ivl_loss_and_gradient(be, b.view, v.view, labels(y), g.view, {.lambda = 0.3});
    const auto grad = download(g.view);
    for (std::int64_t t = 0; t < T; t += 2)
      for (std::int64_t k = 0; k < V; k += 3) {
        ref::matrix p = zv, q = zv;
        p(t, k) += 1e-6;
        q(t, k) -= 1e-6;
        auto dp = upload<double>(p), dq = upload<double>(q);
        const double fd = (va::ivl_loss_and_gradient(be, b.view, dp.view, labels(y), g.view, {.lambda = 0.3}).loss -
                           va::ivl_loss_and_gradient(be, b.view, dq.view, labels(y), g.view, {.lambda = 0.3}).loss) /
                          2e-6;
        CHECK(grad(t, k) == Approx(fd).margin(1e-7));
      }
  }
  SECTION("all labels ignored: loss is the norm term, gradient only λ·sign/(T·V)") {
    const std::vector<std::int64_t> none(std::size_t(T), -100);
    auto b = upload<double>(zb), v = upload<double>(zv);
    auto g = output<double>(T, V);
    const auto r = va::ivl_loss_and_gradient(be, b.view, v.view, labels(none), g.view);
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
    const auto r = va::ivl_loss_and_gradient(be, db.view, v.view, labels(y), g.view, {.lambda = 0.0});
    const auto e = reference_ivl(&b, zv, y, 0.0);
    CHECK(r.loss == Approx(e.loss).epsilon(1e-5));
    const auto got = download(g.view);
    for (std::int64_t t = 0; t < T; ++t) CHECK(got(t, 5) == 0);
    const std::vector<std::int64_t> zero = {0, 0};
    auto one = upload<double>(ref::matrix(2, 1, 3.0)), onev = upload<double>(ref::matrix(2, 1, -2.0));
    auto g1 = output<double>(2, 1);
    const auto r1 = va::ivl_loss_and_gradient(be, one.view, onev.view, labels(zero), g1.view);
    CHECK(r1.cross_entropy == Approx(0).margin(1e-15));
    CHECK(r1.loss == Approx(2.0));
    CHECK(download(g1.view)(0, 0) == Approx(-1.0 / 2));
  }
  SECTION("errors: label out of range names the position; NaN names row and column; all −inf") {
    auto b = upload<double>(zb), v = upload<double>(zv);
    auto g = output<double>(T, V);
    std::vector<std::int64_t> bad = y;
    bad[4] = 19;
    CHECK_THROWS_WITH(va::ivl_loss_and_gradient(be, b.view, v.view, labels(bad), g.view),
                      Catch::Contains("labels[4] is 19, outside [0, 19)"));
    ref::matrix nan = zv;
    nan(2, 9) = ref::nan;
    CHECK_THROWS_WITH(va::ivl_loss_and_gradient(be, b.view, upload<double>(nan).view, labels(y), g.view),
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
        CHECK_THROWS_WITH(va::ivl_loss_and_gradient(be, upload<double>(bad_base).view, v.view, labels(yy), g.view),
                          Catch::Contains("z_base row " + std::to_string(row) + " column 7"));
      }
    // The first bad position by row, then column: z_value (2, 9) comes before z_base (4, 0).
    ref::matrix late_base = zb;
    late_base(4, 0) = ref::nan;
    CHECK_THROWS_WITH(va::ivl_loss_and_gradient(be, upload<double>(late_base).view, upload<double>(nan).view,
                                                labels(y), g.view),
                      Catch::Contains("z_value row 2 column 9"));
    ref::matrix dead = zb;
    for (std::int64_t k = 0; k < V; ++k) dead(3, k) = -inf;
    CHECK_THROWS_WITH(va::ivl_loss_and_gradient(be, upload<double>(dead).view, v.view, labels(y), g.view),
                      Catch::Contains("row 3 is labelled (18) but every score is −inf"));
    CHECK_THROWS_AS(va::ivl_loss_and_gradient(be, b.view, v.view, labels(std::vector<std::int64_t>{1}), g.view),
                    posttrain::shape_error);
  }
  SECTION("token cross-entropy is the loss with no base and λ = 0") {
    auto v = upload<double>(zv, layout::padded);
    auto g = output<double>(T, V);
    const auto r = va::token_cross_entropy(be, v.view, labels(y), g.view);
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
      const std::int64_t V = 1 + trial % 97 + (trial % 5 == 0 ? 3000 : 0);
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

PT_TEST("value: combination schemes and the raw/log-softmax invariance") {
  combine_tests(backend());
}
PT_TEST("value: the IVL loss and gradient") {
  ivl_tests(backend());
}
PT_TEST("value: the expected embedding and its backward") {
  cascade_tests(backend());
}
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
  const std::vector<std::int64_t> label_data = {4, 17, -100, 39, 0};
  const posttrain::tensor_view<const std::int64_t, 1> labels(label_data.data(), T);
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
