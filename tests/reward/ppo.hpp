// SPDX-License-Identifier: Apache-2.0
// The PPO maths (KL, shaped rewards, GAE, whitening, losses, group estimators) on the host
// backends: the peers' known answers (bench/peers/reward_torch.py known), independent double
// references, NaN in masked slots, all-masked rows, T = 1, and every argument error.
#include "../support/harness.hpp"

#include <posttrain/reward.hpp>

using namespace pt_test;
namespace rw = posttrain::reward;

namespace {

// bench/peers/reward_torch.py's inputs for its known answers.
const ref::matrix& known_rewards() {
  static ref::matrix m = [] {
    ref::matrix r(2, 5);
    r.data = {0.5, -0.25, 1.0, 0.0, 2.0, 1.5, 0.0, -1.0, 0.75, 0.25};
    return r;
  }();
  return m;
}
const ref::matrix& known_values() {
  static ref::matrix m = [] {
    ref::matrix r(2, 5);
    r.data = {0.1, 0.4, -0.3, 0.2, 0.6, 0.0, -0.5, 0.25, 0.9, -0.2};
    return r;
  }();
  return m;
}
const ref::matrix& known_mask() {
  static ref::matrix m = [] {
    ref::matrix r(2, 5);
    r.data = {1, 1, 1, 1, 0, 1, 0, 1, 1, 1};
    return r;
  }();
  return m;
}
ref::matrix matrix_of(std::vector<double> v) {
  ref::matrix m(2, 5);
  m.data = std::move(v);
  return m;
}

/// A_t = Σ_l (γλ)^l δ_{t+l} over the row's valid positions only (compressed), expanded back:
/// the skip semantics' reference; with every position valid it is the zero semantics' too.
void reference_gae(const ref::matrix& r, const ref::matrix& v, const ref::matrix& m, double gamma, double lambda,
                   bool skip, ref::matrix& adv, ref::matrix& ret) {
  adv = ref::matrix(r.rows, r.cols);
  ret = ref::matrix(r.rows, r.cols);
  for (std::int64_t i = 0; i < r.rows; ++i) {
    std::vector<std::int64_t> idx;
    for (std::int64_t t = 0; t < r.cols; ++t)
      if (!skip || m(i, t) != 0) idx.push_back(t);
    const auto val = [&](std::int64_t t) { return m(i, t) != 0 ? v(i, t) : 0.0; };
    const auto rew = [&](std::int64_t t) { return m(i, t) != 0 ? r(i, t) : 0.0; };
    std::vector<double> a(idx.size());
    for (std::size_t k = 0; k < idx.size(); ++k) {
      double sum = 0, w = 1;
      for (std::size_t l = k; l < idx.size(); ++l, w *= gamma * lambda) {
        const double next = l + 1 < idx.size() ? val(idx[l + 1]) : 0.0;
        sum += w * (rew(idx[l]) + gamma * next - val(idx[l]));
      }
      a[k] = sum;
    }
    double carried = 0;
    std::size_t k = idx.size();
    for (std::int64_t t = r.cols - 1; t >= 0; --t) {
      if (k > 0 && idx[k - 1] == t) carried = a[--k];
      adv(i, t) = carried;
      ret(i, t) = carried + val(t);
    }
  }
}

ref::matrix random_mask(std::int64_t rows, std::int64_t cols, std::uint64_t seed, double keep) {
  auto u = ref::random_matrix(rows, cols, seed, 0, 1);
  for (auto& x : u.data) x = x < keep ? 1.0 : 0.0;
  return u;
}

/// Masked slots poisoned with NaN and Inf: none of it may reach a valid position.
ref::matrix poisoned(ref::matrix x, const ref::matrix& m) {
  for (std::size_t k = 0; k < x.data.size(); ++k)
    if (m.data[k] == 0) x.data[k] = k % 2 ? ref::nan : std::numeric_limits<double>::infinity();
  return x;
}

template <class Backend>
void gae_tests(const Backend& be) {
  SECTION("trl's compute_advantages and masked_whiten (zero semantics)") {
    auto r = upload<double>(known_rewards()), v = upload<double>(known_values()), m = upload<double>(known_mask());
    auto a = output<double>(2, 5), g = output<double>(2, 5), w = output<double>(2, 5);
    const auto stats = rw::gae(be, r.view, v.view, m.view, a.view, g.view, {.gamma = 0.9, .lambda = 0.8});
    require_close(download(a.view),
                  matrix_of({0.79018240000000006, 0.041919999999999957, 1.3359999999999999, -0.20000000000000001, 0,
                             1.431664512, -0.094910399999999978, -0.44431999999999994, -0.0060000000000000053,
                             0.45000000000000001}),
                  1e-14);
    require_close(download(g.view),
                  matrix_of({0.89018240000000004, 0.44191999999999998, 1.0359999999999998, 0, 0, 1.431664512,
                             -0.094910399999999978, -0.19431999999999994, 0.89400000000000002, 0.25}),
                  1e-14);
    CHECK(stats.count() == 8);
    rw::whiten(be, a.view, stats, w.view);
    require_close(download(w.view),
                  matrix_of({0.51981159212968631, -0.54508596787613994, 1.2965976907606422, -0.8893769782444404,
                             -0.60474485988440363, 1.4327436542728382, -0.7398176009163957, -1.2370835740330612,
                             -0.61328382343520471, 0.035677406425679292}),
                  1e-12);
    rw::whiten(be, a.view, stats, w.view, {.shift_mean = false});
    require_close(download(w.view),
                  matrix_of({0.94474245612968633, -0.12015510387613992, 1.7215285547606423, -0.46444611424444038,
                             -0.17981399588440361, 1.8576745182728382, -0.31488673691639568, -0.81215271003306122,
                             -0.18835295943520469, 0.46060827042567931}),
                  1e-12);
  }
  SECTION("verl's multi-turn GAE (skip semantics) and OpenRLHF's normalisation") {
    auto r = upload<double>(known_rewards()), m = upload<double>(known_mask());
    auto a = output<double>(2, 5), g = output<double>(2, 5), w = output<double>(2, 5);
    // verl's test: the values at masked positions must not change the result.
    for (double poison : {0.0, 123.0, ref::nan}) {
      ref::matrix vals = known_values();
      vals(0, 4) = poison;
      vals(1, 1) = poison;
      auto v = upload<double>(vals);
      const auto stats = rw::gae(be, r.view, v.view, m.view, a.view, g.view,
                                 {.gamma = 0.9, .lambda = 0.8, .masking = rw::mask_semantics::skip});
      require_close(download(a.view),
                    matrix_of({0.79018240000000006, 0.041919999999999957, 1.3359999999999999, -0.20000000000000001, 0,
                               1.4050896000000002, -0.44431999999999994, -0.44431999999999994,
                               -0.0060000000000000053, 0.45000000000000001}),
                    1e-14);
      // verl's returns at valid positions; at masked ones returns = A (the value counts as 0).
      require_close(download(g.view),
                    matrix_of({0.89018240000000004, 0.44191999999999998, 1.0359999999999998, 0, 0, 1.4050896000000002,
                               -0.44431999999999994, -0.19431999999999994, 0.89400000000000002, 0.25}),
                    1e-14);
      rw::whiten(be, a.view, stats, w.view, rw::whiten_options::openrlhf());
      require_close(download(w.view),
                    matrix_of({0.56509648594949424, -0.58213891630182069, 1.4019436586683787, -0.95305049559892019,
                               -0.64641063176203228, 1.5078717863511044, -1.3276417532620624, -1.3276417532620624,
                               -0.65560982767713893, 0.043529061870965509}),
                    1e-12);
    }
  }
  SECTION("random batches against the double reference, NaN and Inf in masked slots, every layout") {
    for (auto [rows, cols] : {std::pair{1, 1}, {3, 1}, {1, 7}, {17, 33}, {64, 300}})
      for (bool skip : {false, true})
        for (layout l : all_layouts) {
          const auto mask = random_mask(rows, cols, 7 + rows, 0.7);
          const auto rew = ref::random_matrix(rows, cols, 1 + cols), val = ref::random_matrix(rows, cols, 2 + cols);
          ref::matrix ea, eg;
          reference_gae(rew, val, mask, 0.97, 0.9, skip, ea, eg);
          auto r = upload<double>(poisoned(rew, mask), l), v = upload<double>(poisoned(val, mask), l);
          auto m = upload<double>(mask, l);
          auto a = output<double>(rows, cols, l), g = output<double>(rows, cols, l);
          const auto s = rw::gae(be, r.view, v.view, m.view, a.view, g.view,
                                 {.gamma = 0.97, .lambda = 0.9,
                                  .masking = skip ? rw::mask_semantics::skip : rw::mask_semantics::zero});
          INFO(rows << "x" << cols << (skip ? " skip " : " zero ") << name(l));
          require_close(download(a.view), ea, 1e-12);
          require_close(download(g.view), eg, 1e-12);
          double n = 0, sum = 0;
          for (std::size_t k = 0; k < mask.data.size(); ++k)
            if (mask.data[k] != 0) n += 1, sum += ea.data[k];
          CHECK(s.count() == n);
          if (n > 0) CHECK(s.mean() == Approx(sum / n).margin(1e-12));
        }
  }
  SECTION("float storage with a uint8 mask matches the double scan") {
    const int rows = 9, cols = 100;
    const auto mask = random_mask(rows, cols, 3, 0.8);
    const auto rew = ref::random_matrix(rows, cols, 4), val = ref::random_matrix(rows, cols, 5);
    ref::matrix ea, eg;
    reference_gae(rew, val, mask, 1.0, 0.95, false, ea, eg);
    auto r = upload<float>(rew), v = upload<float>(val);
    auto m = upload<std::uint8_t>(mask);
    auto a = output<float>(rows, cols), g = output<float>(rows, cols);
    rw::gae(be, r.view, v.view, m.view, a.view, g.view);
    require_close(download(a.view), ea, 1e-4);
  }
  SECTION("in place: advantages over the rewards, returns over the values") {
    const int rows = 5, cols = 37;
    const auto mask = random_mask(rows, cols, 8, 0.8);
    const auto rew = ref::random_matrix(rows, cols, 9), val = ref::random_matrix(rows, cols, 10);
    ref::matrix ea, eg;
    reference_gae(rew, val, mask, 0.99, 0.9, false, ea, eg);
    auto r = upload<float>(rew), v = upload<float>(val);
    auto m = upload<float>(mask);
    rw::gae(be, r.view, v.view, m.view, r.view, v.view, {.gamma = 0.99, .lambda = 0.9});
    require_close(download(r.view), ea, 1e-4);
    require_close(download(v.view), eg, 1e-4);
  }
  SECTION("all-masked rows give zeros, T = 1, empty batch") {
    const ref::matrix zero(3, 4, 0.0);
    auto r = upload<double>(poisoned(ref::random_matrix(3, 4, 1), zero)), m = upload<double>(zero);
    auto a = output<double>(3, 4), g = output<double>(3, 4);
    for (auto sem : {rw::mask_semantics::zero, rw::mask_semantics::skip}) {
      const auto s = rw::gae(be, r.view, r.view, m.view, a.view, g.view, {.masking = sem});
      require_close(download(a.view), zero, 0);
      require_close(download(g.view), zero, 0);
      CHECK(s.count() == 0);
      CHECK_THROWS_AS(s.variance(false), posttrain::value_error);
    }
    auto e = output<double>(0, 5);
    CHECK(rw::gae(be, e.view, e.view, e.view, e.view, e.view).count() == 0);
  }
  SECTION("argument errors") {
    auto x = output<double>(2, 5), y = output<double>(2, 4);
    CHECK_THROWS_AS(rw::gae(be, x.view, y.view, x.view, x.view, x.view), posttrain::shape_error);
    CHECK_THROWS_AS(rw::gae(be, x.view, x.view, x.view, x.view, y.view), posttrain::shape_error);
    CHECK_THROWS_WITH(rw::gae(be, x.view, x.view, x.view, x.view, x.view, {.gamma = 1.5}),
                      Catch::Contains("gamma is 1.5"));
    CHECK_THROWS_WITH(rw::gae(be, x.view, x.view, x.view, x.view, x.view, {.lambda = ref::nan}),
                      Catch::Contains("lambda"));
  }
}

template <class Backend>
void whitening_tests(const Backend& be) {
  const int rows = 40, cols = 57;
  const auto x = ref::random_matrix(rows, cols, 11, -3, 9), mask = random_mask(rows, cols, 12, 0.6);
  double n = 0, sum = 0, sq = 0;
  for (std::size_t k = 0; k < x.data.size(); ++k)
    if (mask.data[k] != 0) n += 1, sum += x.data[k];
  const double mean = sum / n;
  for (std::size_t k = 0; k < x.data.size(); ++k)
    if (mask.data[k] != 0) sq += (x.data[k] - mean) * (x.data[k] - mean);
  SECTION("sharded statistics merged equal one pass; every convention") {
    auto dx = upload<double>(x, layout::strided), dm = upload<double>(mask, layout::transposed);
    rw::whitening_statistics all, a, b;
    all.add(be, dx.view, dm.view);
    a.add(be, dx.view.rows(0, 13), dm.view.rows(0, 13));
    b.add(be, dx.view.rows(13, rows - 13), dm.view.rows(13, rows - 13));
    b.merge(a);
    for (const auto& s : {all, b}) {
      CHECK(s.count() == n);
      CHECK(s.mean() == Approx(mean).epsilon(1e-13));
      CHECK(s.m2() == Approx(sq).epsilon(1e-12));
    }
    for (auto o : {rw::whiten_options::trl(), rw::whiten_options::openrlhf(), rw::whiten_options{.shift_mean = false},
                   rw::whiten_options{.unbiased = false, .epsilon = 100.0}}) {
      const double var = sq / (o.unbiased ? n - 1 : n);
      const double s = 1 / std::sqrt(o.epsilon_as_floor ? std::max(var, o.epsilon) : var + o.epsilon);
      ref::matrix e = x;
      for (auto& v : e.data) v = (v - mean) * s + (o.shift_mean ? 0 : mean);
      auto out = output<double>(rows, cols, layout::padded);
      const auto st = rw::masked_whiten(be, dx.view, dm.view, out.view, o);
      CHECK(st.count() == n);
      require_close(download(out.view), e, 1e-12);
    }
  }
  SECTION("a huge offset does not cancel (float data, double statistics)") {
    ref::matrix big = x;
    for (auto& v : big.data) v = 1e6 + v;
    big = as<float>(big);  // what the float tensor holds
    double bn = 0, bsum = 0, bsq = 0;
    for (std::size_t k = 0; k < big.data.size(); ++k)
      if (mask.data[k] != 0) bn += 1, bsum += big.data[k];
    for (std::size_t k = 0; k < big.data.size(); ++k)
      if (mask.data[k] != 0) bsq += (big.data[k] - bsum / bn) * (big.data[k] - bsum / bn);
    auto dx = upload<float>(big);
    auto dm = upload<double>(mask);
    rw::whitening_statistics s;
    s.add(be, dx.view, dm.view);
    CHECK(s.m2() == Approx(bsq).epsilon(1e-9));
    CHECK(s.m2() == Approx(sq).epsilon(1e-3));  // float rounding of the data only
  }
  SECTION("too few elements is an error naming the count") {
    ref::matrix one(2, 3, 0.0);
    one(1, 2) = 1;
    auto dx = upload<double>(x.rows == 0 ? x : ref::matrix(2, 3, 1.0)), dm = upload<double>(one);
    auto out = output<double>(2, 3);
    CHECK_THROWS_WITH(rw::masked_whiten(be, dx.view, dm.view, out.view), Catch::Contains("1 selected element"));
    CHECK_NOTHROW(rw::masked_whiten(be, dx.view, dm.view, out.view, rw::whiten_options::openrlhf()));
    auto bad = output<double>(3, 2);
    CHECK_THROWS_AS(rw::masked_whiten(be, dx.view, dm.view, bad.view), posttrain::shape_error);
  }
}

template <class Backend>
void kl_and_shaping_tests(const Backend& be) {
  SECTION("the estimators against OpenRLHF's, with the clamp") {
    ref::matrix lp(1, 4), lr(1, 4), m(1, 4, 1.0);
    lp.data = {-0.5, -2.0, -0.01, -7.5};
    lr.data = {-0.7, -1.0, -0.02, -0.5};
    auto dp = upload<double>(lp), dr = upload<double>(lr), dm = upload<double>(m);
    auto out = output<double>(1, 4);
    const std::pair<rw::kl_estimator, std::vector<double>> cases[] = {
        {rw::kl_estimator::k1, {0.19999999999999996, -1, 0.01, -7}},
        {rw::kl_estimator::k2, {0.01999999999999999, 0.5, 5.0000000000000002e-05, 24.5}},
        {rw::kl_estimator::k3, {0.018730753077981888, 0.71828182845904509, 4.9833749168106886e-05, 1088.6331584284585}},
        {rw::kl_estimator::abs, {0.19999999999999996, 1, 0.01, 7}}};
    for (const auto& [k, expected] : cases) {
      ref::matrix e(1, 4);
      e.data = expected;
      rw::kl_penalty(be, dp.view, dr.view, dm.view, out.view, {.estimator = k});
      require_close(download(out.view), e, 1e-9);  // k3 near 0: expm1 is more exact than the peer
      rw::kl_penalty(be, dp.view, dr.view, dm.view, out.view, {.estimator = k, .clamp = 10.0});
      for (auto& v : e.data) v = std::clamp(v, -10.0, 10.0);
      require_close(download(out.view), e, 1e-9);
    }
  }
  SECTION("masked positions are 0 whatever they hold") {
    ref::matrix m(2, 3, 1.0);
    m(0, 1) = 0;
    m(1, 2) = 0;
    const auto lp = poisoned(ref::random_matrix(2, 3, 1), m), lr = poisoned(ref::random_matrix(2, 3, 2), m);
    auto dp = upload<double>(lp), dr = upload<double>(lr), dm = upload<double>(m);
    auto out = output<double>(2, 3);
    rw::kl_penalty(be, dp.view, dr.view, dm.view, out.view, {.estimator = rw::kl_estimator::k3});
    const auto got = download(out.view);
    CHECK(got(0, 1) == 0);
    CHECK(got(1, 2) == 0);
    CHECK(got(0, 0) == Approx(std::expm1(-(lp(0, 0) - lr(0, 0))) + (lp(0, 0) - lr(0, 0))));
  }
  SECTION("shaped rewards: sequence score at the last valid position, clip, −β·KL") {
    ref::matrix kl(3, 4), m(3, 4, 1.0), tok(3, 4, 0.0), q(1, 3);
    kl.data = {0.1, 0.2, 0.3, 0.4, 1, 2, 3, 4, -1, 0, 1, 0};
    m(0, 3) = 0;  // row 0 ends at t = 2
    m(1, 0) = 0;
    m(1, 1) = 0;
    for (int t = 0; t < 4; ++t) m(2, t) = 0;  // row 2: nothing valid
    tok(1, 2) = 0.5;
    tok(1, 3) = -9;
    q.data = {2.0, 1.0, 5.0};
    auto dk = upload<double>(poisoned(kl, m)), dm = upload<double>(m), dt = upload<double>(poisoned(tok, m));
    auto dq = upload<double>(q);
    auto out = output<double>(3, 4);
    rw::shaped_rewards(be, dt.view, dq.view.row(0), dk.view, dm.view, out.view, {.kl_coef = 0.1, .clip = 3.0});
    ref::matrix e(3, 4, 0.0);
    e.data = {-0.01, -0.02, 2 - 0.03, 0, 0, 0, 0.5 - 0.3, std::clamp(-9 + 1.0, -3.0, 3.0) - 0.4, 0, 0, 0, 0};
    require_close(download(out.view), e, 1e-14);
    rw::shaped_rewards(be, dq.view.row(0), dk.view, dm.view, out.view);
    e.data = {-0.005, -0.01, 2 - 0.015, 0, 0, 0, -0.15, 1 - 0.2, 0, 0, 0, 0};
    require_close(download(out.view), e, 1e-14);
    auto bad = output<double>(1, 2);
    CHECK_THROWS_WITH(rw::shaped_rewards(be, bad.view.row(0), dk.view, dm.view, out.view),
                      Catch::Contains("sequence_scores"));
    CHECK_THROWS_AS(rw::kl_penalty(be, dk.view, dk.view, dm.view, bad.view), posttrain::shape_error);
  }
}

/// Central differences of loss(logp) against the analytic gradient.
template <class Backend, class LossFn>
void check_gradient(const Backend& be, const ref::matrix& x, const ref::matrix& mask, const LossFn& loss_and_grad) {
  auto dx = upload<double>(x), dm = upload<double>(mask);
  auto grad = output<double>(x.rows, x.cols);
  loss_and_grad(be, dx.view, dm.view, grad.view);
  const auto g = download(grad.view);
  const double h = 1e-6;
  for (std::int64_t i = 0; i < x.rows; ++i)
    for (std::int64_t t = 0; t < x.cols; ++t) {
      ref::matrix p = x, q = x;
      p(i, t) += h;
      q(i, t) -= h;
      auto dp = upload<double>(p), dq = upload<double>(q);
      auto scratch = output<double>(x.rows, x.cols);
      const double fd = (loss_and_grad(be, dp.view, dm.view, scratch.view).loss -
                         loss_and_grad(be, dq.view, dm.view, scratch.view).loss) /
                        (2 * h);
      INFO("position (" << i << ", " << t << ")");
      CHECK(g(i, t) == Approx(fd).margin(1e-7));
      if (mask(i, t) == 0) CHECK(g(i, t) == 0);
    }
}

template <class Backend>
void loss_tests(const Backend& be) {
  const int rows = 4, cols = 6;
  auto mask = random_mask(rows, cols, 21, 0.75);
  for (int t = 0; t < cols; ++t) mask(3, t) = 0;  // a row with no valid token
  const auto old = ref::random_matrix(rows, cols, 22, -3, -0.1);
  auto logp = old;
  const auto jitter = ref::random_matrix(rows, cols, 23, -0.5, 0.5);
  for (std::size_t k = 0; k < logp.data.size(); ++k) logp.data[k] += jitter.data[k];
  const auto adv = ref::random_matrix(rows, cols, 24, -2, 2);
  auto d_old = upload<double>(poisoned(old, mask)), d_adv = upload<double>(poisoned(adv, mask));
  SECTION("policy loss: gradient against finite differences for each aggregation, dual clip") {
    for (auto agg : {rw::loss_aggregation::token_mean, rw::loss_aggregation::sequence_mean,
                     rw::loss_aggregation::sequence_sum})
      for (std::optional<double> dual : {std::optional<double>{}, std::optional<double>{1.2}})
        check_gradient(be, logp, mask, [&](const Backend& b, auto lp, auto m, auto g) {
          return rw::policy_loss_and_gradient(b, lp, d_old.view, d_adv.view, m, g,
                                              {.clip_low = 0.2, .clip_high = 0.28, .dual_clip = dual,
                                               .aggregation = agg});
        });
  }
  SECTION("policy loss value, clip fraction and approx KL against a direct sum") {
    auto dl = upload<double>(poisoned(logp, mask)), dm = upload<double>(mask);
    auto grad = output<double>(rows, cols);
    const auto r = rw::policy_loss_and_gradient(be, dl.view, d_old.view, d_adv.view, dm.view, grad.view);
    double n = 0, sum = 0, clipped = 0, kl = 0, seq = 0, seq_rows = 0;
    for (int i = 0; i < rows; ++i) {
      double row = 0, rn = 0;
      for (int t = 0; t < cols; ++t) {
        if (mask(i, t) == 0) continue;
        const double ratio = std::exp(logp(i, t) - old(i, t));
        const double l1 = -adv(i, t) * ratio, l2 = -adv(i, t) * std::clamp(ratio, 0.8, 1.2);
        sum += std::max(l1, l2), row += std::max(l1, l2), n += 1, rn += 1;
        clipped += l2 > l1;
        kl += old(i, t) - logp(i, t);
      }
      if (rn > 0) seq += row / rn, seq_rows += 1;
    }
    CHECK(r.loss == Approx(sum / n).epsilon(1e-13));
    CHECK(r.clip_fraction == Approx(clipped / n));
    CHECK(r.approx_kl == Approx(kl / n).epsilon(1e-13));
    CHECK(r.valid_positions == n);
    const auto s = rw::policy_loss_and_gradient(be, dl.view, d_old.view, d_adv.view, dm.view, grad.view,
                                                {.aggregation = rw::loss_aggregation::sequence_mean});
    CHECK(s.loss == Approx(seq / seq_rows).epsilon(1e-13));
  }
  SECTION("value loss: gradient against finite differences, clipped and plain") {
    const auto returns = ref::random_matrix(rows, cols, 25, -2, 2);
    auto d_ret = upload<double>(poisoned(returns, mask));
    for (std::optional<double> clip : {std::optional<double>{0.2}, std::optional<double>{}})
      check_gradient(be, adv, mask, [&](const Backend& b, auto v, auto m, auto g) {
        return rw::value_loss_and_gradient(b, v, d_old.view, d_ret.view, m, g, {.clip = clip});
      });
  }
  SECTION("no valid position: loss 0 and gradient 0; argument errors") {
    const ref::matrix none(2, 3, 0.0);
    auto dm = upload<double>(none), x = upload<double>(poisoned(ref::matrix(2, 3, 1.0), none));
    auto grad = output<double>(2, 3);
    const auto r = rw::policy_loss_and_gradient(be, x.view, x.view, x.view, dm.view, grad.view);
    CHECK(r.loss == 0);
    CHECK(r.clip_fraction == 0);
    require_close(download(grad.view), none, 0);
    CHECK(rw::value_loss_and_gradient(be, x.view, x.view, x.view, dm.view, grad.view).loss == 0);
    CHECK_THROWS_WITH(rw::policy_loss_and_gradient(be, x.view, x.view, x.view, dm.view, grad.view, {.clip_low = 1}),
                      Catch::Contains("clip_low 1"));
    CHECK_THROWS_WITH(
        rw::policy_loss_and_gradient(be, x.view, x.view, x.view, dm.view, grad.view, {.dual_clip = 0.5}),
        Catch::Contains("dual_clip"));
    auto bad = output<double>(3, 2);
    CHECK_THROWS_AS(rw::value_loss_and_gradient(be, x.view, x.view, bad.view, dm.view, grad.view),
                    posttrain::shape_error);
  }
}

template <class Backend>
void group_tests(const Backend& be) {
  SECTION("GRPO and RLOO on hand-computed groups") {
    // group 7: {1, 2, 3, 6} mean 3, unbiased std √(14/3); group 2: {5} alone; group 9: {4, 4}.
    const std::vector<double> scores = {1, 5, 2, 4, 3, 4, 6};
    const std::vector<std::int64_t> group = {7, 2, 7, 9, 7, 9, 7};
    const auto a = rw::grpo_advantages(scores, group);
    const double sd = std::sqrt(14.0 / 3.0);
    const std::vector<double> e = {-2 / (sd + 1e-6), 5 / (1 + 1e-6), -1 / (sd + 1e-6), 0, 0, 0, 3 / (sd + 1e-6)};
    for (std::size_t k = 0; k < e.size(); ++k) CHECK(a[k] == Approx(e[k]).epsilon(1e-14));
    const auto dr = rw::grpo_advantages(scores, group, {.scale_by_std = false});
    CHECK(dr[0] == -2);
    CHECK(dr[1] == 5);
    const auto l = rw::rloo_advantages(scores, group);
    const std::vector<double> el = {1 - 11 / 3.0, 5, 2 - 10 / 3.0, 0, 3 - 3, 0, 6 - 2};
    for (std::size_t k = 0; k < el.size(); ++k) CHECK(l[k] == Approx(el[k]).margin(1e-14));
    CHECK_THROWS_AS(rw::grpo_advantages(scores, std::vector<std::int64_t>{1, 2}), posttrain::shape_error);
    auto bad = scores;
    bad[3] = ref::nan;
    CHECK_THROWS_WITH(rw::rloo_advantages(bad, group), Catch::Contains("scores[3]"));
  }
  SECTION("outcome advantages broadcast over valid tokens") {
    ref::matrix m(2, 3, 1.0);
    m(1, 0) = 0;
    auto dm = upload<double>(m);
    auto out = output<float>(2, 3);
    rw::outcome_advantages(be, std::vector<double>{0.5, -2}, dm.view, out.view);
    ref::matrix e(2, 3);
    e.data = {0.5, 0.5, 0.5, 0, -2, -2};
    require_close(download(out.view), e, 0);
    CHECK_THROWS_AS(rw::outcome_advantages(be, std::vector<double>{1}, dm.view, out.view), posttrain::shape_error);
  }
  SECTION("REINFORCE++: discounted returns reset at masked positions, whitened, masked") {
    ref::matrix r(1, 5), m(1, 5, 1.0);
    r.data = {1, 2, 3, 4, 5};
    m(0, 2) = 0;
    auto dr = upload<double>(poisoned(r, m)), dm = upload<double>(m);
    auto out = output<double>(1, 5);
    const auto s = rw::reinforce_plus_plus_advantages(be, dr.view, dm.view, out.view, 0.5);
    // returns: t4 = 5, t3 = 4 + 2.5 = 6.5, t2 masked (reset), t1 = 2, t0 = 1 + 1 = 2
    const std::vector<double> g = {2, 2, 6.5, 5};
    const double mean = 15.5 / 4;
    double sq = 0;
    for (double x : g) sq += (x - mean) * (x - mean);
    const double sc = 1 / std::sqrt(sq / 3 + 1e-8);
    ref::matrix e(1, 5);
    e.data = {(2 - mean) * sc, (2 - mean) * sc, 0, (6.5 - mean) * sc, (5 - mean) * sc};
    require_close(download(out.view), e, 1e-12);
    CHECK(s.count() == 4);
  }
  SECTION("REINFORCE++ on a multi-turn row: zero restarts at the observation, skip carries through it") {
    // mask 1 1 0 0 1 1 (an observation in the middle), the reward at the end (verl#7278).
    ref::matrix r(1, 6), m(1, 6, 1.0);
    r.data = {0, 0, 0, 0, 0, 1};
    m(0, 2) = m(0, 3) = 0;
    auto dr = upload<double>(poisoned(r, m)), dm = upload<double>(m);
    auto zero = output<double>(1, 6), skip = output<double>(1, 6);
    rw::discounted_returns(be, dr.view, dm.view, zero.view, 1.0);
    const auto s = rw::discounted_returns(be, dr.view, dm.view, skip.view, 1.0, rw::mask_semantics::skip);
    ref::matrix ez(1, 6), es(1, 6);
    ez.data = {0, 0, 0, 0, 1, 1};  // the first turn gets no return
    es.data = {1, 1, 1, 1, 1, 1};  // every turn gets the final reward; the masked ones carry it
    require_close(download(zero.view), ez, 0);
    require_close(download(skip.view), es, 0);
    CHECK(s.count() == 4);
    auto adv = output<double>(1, 6);
    rw::reinforce_plus_plus_advantages(be, dr.view, dm.view, adv.view, 0.9, {}, rw::mask_semantics::skip);
    const auto got = download(adv.view);
    CHECK(got(0, 2) == 0);  // masked positions stay 0 after whitening
    CHECK(got(0, 3) == 0);
    CHECK(got(0, 0) < got(0, 1));  // 0.9^3 · 0.9^2 … discounted through the observation: rising
    CHECK(got(0, 1) < got(0, 4));
  }
  SECTION("GRPO leaves responses without valid tokens out of the baseline; std_floor bounds the divisor") {
    const std::vector<double> scores = {1, 2, 100, 3, 7};
    const std::vector<std::int64_t> group = {4, 4, 4, 4, 5};
    const std::vector<std::uint8_t> counted = {1, 1, 0, 1, 1};  // response 2 is empty
    const auto a = rw::grpo_advantages(scores, group, {}, counted);
    const double sd = 1.0;  // {1, 2, 3}: mean 2, unbiased std 1
    CHECK(a[0] == Approx(-1 / (sd + 1e-6)).epsilon(1e-14));
    CHECK(a[1] == 0);
    CHECK(a[2] == 0);
    CHECK(a[3] == Approx(1 / (sd + 1e-6)).epsilon(1e-14));
    CHECK(a[4] == Approx(7 / (1 + 1e-6)).epsilon(1e-14));  // alone in its group
    const auto l = rw::rloo_advantages(scores, group, counted);
    CHECK(l[0] == Approx(1 - 2.5).epsilon(1e-14));
    CHECK(l[2] == 0);
    // Near-equal rewards: the std is rounding noise, the floor keeps the advantages small.
    const std::vector<double> close = {1.0, 1.0 + 1e-5, 1.0 - 1e-5};
    const std::vector<std::int64_t> one = {0, 0, 0};
    CHECK(std::abs(rw::grpo_advantages(close, one)[1]) > 0.9);
    CHECK(std::abs(rw::grpo_advantages(close, one, {.std_floor = 1e-3})[1]) < 0.011);
    CHECK_THROWS_WITH(rw::grpo_advantages(close, one, {.std_floor = -1}), Catch::Contains("std_floor -1"));
    CHECK_THROWS_WITH(rw::grpo_advantages(close, one, {}, std::vector<std::uint8_t>{1}),
                      Catch::Contains("counted has 1 elements"));
  }
  SECTION("adaptive KL controller follows trl's update") {
    rw::adaptive_kl_controller c(0.2, 6.0, 10000);
    CHECK(c.update(12.0, 256) == Approx(0.2 * (1 + 0.2 * 256 / 10000.0)));
    CHECK(c.update(6.0 * 0.9, 100) == Approx(0.2 * (1 + 0.2 * 256 / 10000.0) * (1 - 0.1 * 100 / 10000.0)));
    CHECK_THROWS_AS(rw::adaptive_kl_controller(0.2, 0, 1), posttrain::value_error);
    CHECK_THROWS_AS(c.update(ref::nan, 1), posttrain::value_error);
  }
}

}  // namespace

PT_TEST("reward: GAE, both mask semantics, against the peers and a double reference") {
  gae_tests(backend());
}
PT_TEST("reward: masked, mergeable whitening") {
  whitening_tests(backend());
}
PT_TEST("reward: KL estimators and shaped rewards") {
  kl_and_shaping_tests(backend());
}
PT_TEST("reward: clipped policy and value losses with gradients") {
  loss_tests(backend());
}
PT_TEST("reward: GRPO, RLOO, REINFORCE++ and the KL controller") {
  group_tests(backend());
}

namespace {
template <class Backend>
void ppo_step_example(const Backend& be) {
  const int B = 4, T = 9;
  const auto m = random_mask(B, T, 31, 0.8);
  auto lp = upload<float>(ref::random_matrix(B, T, 32, -3, -0.1)), lp_ref = upload<float>(ref::random_matrix(B, T, 33, -3, -0.1));
  auto vals = upload<float>(ref::random_matrix(B, T, 34, -1, 1)), mask = upload<float>(m);
  ref::matrix q(1, B);
  q.data = {1.0, -0.5, 0.25, 2.0};
  auto scores = upload<float>(q);
  auto kl = output<float>(B, T), rewards = output<float>(B, T), adv = output<float>(B, T), ret = output<float>(B, T);
  auto grad = output<float>(B, T);
  namespace rw = posttrain::reward;
  // example-begin reward_ppo_step
  // Per-token KL to the reference policy, the reward model's score at each row's last token.
  rw::kl_penalty(be, lp.view, lp_ref.view, mask.view, kl.view, {.estimator = rw::kl_estimator::k1});
  rw::shaped_rewards(be, scores.view.row(0), kl.view, mask.view, rewards.view, {.kl_coef = 0.05});
  // Advantages and returns; the statistics of the advantages come with them (merge them
  // across workers first when the batch is sharded), then trl's masked whitening.
  const rw::whitening_statistics stats =
      rw::gae(be, rewards.view, vals.view, mask.view, adv.view, ret.view, {.gamma = 1.0, .lambda = 0.95});
  rw::whiten(be, adv.view, stats, adv.view);
  // The clipped surrogate and ∂loss/∂logp, to back-propagate through the policy.
  const rw::ppo_loss_result pg =
      rw::policy_loss_and_gradient(be, lp.view, lp.view, adv.view, mask.view, grad.view, {.clip_low = 0.2});
  // example-end reward_ppo_step
  // On-policy (logp = logp_old): ratio 1, nothing clipped, loss = −mean(A) over valid tokens = 0
  // after whitening, gradient −A/n.
  CHECK(pg.clip_fraction == 0);
  CHECK(pg.loss == Approx(0).margin(1e-6));
  const auto a = download(adv.view), g = download(grad.view);
  for (std::size_t k = 0; k < m.data.size(); ++k)
    CHECK(g.data[k] == Approx(m.data[k] != 0 ? -a.data[k] / stats.count() : 0.0).margin(1e-6));
  // The sequence score sits on the last valid token of each row.
  const auto r = download(rewards.view), k1 = download(kl.view);
  for (int b = 0; b < B; ++b) {
    int last = -1;
    for (int t = 0; t < T; ++t)
      if (m(b, t) != 0) last = t;
    if (last >= 0) CHECK(r(b, last) == Approx(q.data[std::size_t(b)] - 0.05 * k1(b, last)).epsilon(1e-5));
  }
}
}  // namespace

PT_TEST("reward: a PPO step as docs/reward.md shows it") {
  ppo_step_example(backend());
}
