// SPDX-License-Identifier: Apache-2.0
// ops::for_each_row: each team collective against a double reference, on rows shorter and
// longer than a team, and the first flagged position.
#include "../support/harness.hpp"

using namespace pt_test;
namespace ops = posttrain::ops;

namespace {

/// doubled = 2x; prefix = inclusive prefix sums of x; affine = y_t = x_t + a_t·y_{t+1}, by
/// reverse_scan and again by reverse_apply (applied); per_row = (sum, argmax, logsumexp, scan
/// total, reverse-scan total, reverse-apply total).
struct probe_kernel {
  template <class Team, class X, class A, class O, class S>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const X& x, const A& a, const O& doubled,
                                        const O& prefix, const O& affine, const O& applied, const S& per_row) const {
    const index_t n = x.extent(1);
    team.for_each(n, [&](index_t j) { doubled(i, j) = 2 * x(i, j); });
    const double sum = team.reduce(n, posttrain::reduction::sum<double>{}, [&](index_t j) { return x(i, j); });
    const index_t best = team.reduce(n, posttrain::reduction::argmax<double>{}, [&](index_t j) { return x(i, j); });
    const double lse = team.reduce(n, posttrain::reduction::logsumexp<double>{}, [&](index_t j) { return x(i, j); });
    const double total = team.scan(
        n, posttrain::scan_op::plus<double>{}, [&](index_t j) { return x(i, j); },
        [&](index_t j, double y) { prefix(i, j) = y; });
    using op = posttrain::scan_op::affine<double>;
    const auto all = team.reverse_scan(
        n, op{}, [&](index_t j) { return op::value_type{a(i, j), x(i, j)}; },
        [&](index_t j, const op::value_type& y) { affine(i, j) = y.b; });
    const double last = team.reverse_apply(
        n, op{}, [&](index_t j) { return op::value_type{a(i, j), x(i, j)}; },
        [&](index_t j, double y) { applied(i, j) = y; });
    team.single([&] {
      per_row(i, 0) = sum;
      per_row(i, 1) = double(best);
      per_row(i, 2) = lse;
      per_row(i, 3) = total;
      per_row(i, 4) = all.b;
      per_row(i, 5) = last;
    });
  }
};

/// Flags the first column of each row whose value exceeds `limit`, with code 3.
struct flag_kernel {
  double limit;
  template <class Team, class X>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const X& x) const {
    const index_t bad = team.reduce(x.extent(1), posttrain::reduction::first_index{}, [&](index_t j) { return x(i, j) > limit ? j : index_t(-1); });
    if (bad >= 0) team.fail(bad, 3);
  }
};

}  // namespace

/// Histogram of bin ⌊(x + 2)·4⌋ (16 bins; x ≥ 1.5 left out), weights (x + 2)/4 in fixed96:
/// counts[i, b] and the weights' exact sums as hi, lo words in weight_hi, weight_lo.
struct histogram_kernel {
  template <class Team, class X, class C>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const X& x, const C& counts, const C& weight_hi,
                                        const C& weight_lo) const {
    const posttrain::bin_total* bins = team.template histogram<16>(
        x.extent(1), [&](index_t j) { return x(i, j) < 1.5 ? int((x(i, j) + 2) * 4) : -1; },
        [&](index_t j) { return posttrain::detail::to_fixed96((x(i, j) + 2) / 4); });
    team.single([&] {
      for (int b = 0; b < 16; ++b) {
        counts(i, b) = bins[b].count;
        weight_hi(i, b) = bins[b].weight.hi;
        weight_lo(i, b) = bins[b].weight.lo;
      }
    });
  }
};

/// A [rows, 16] matrix of 64-bit words copied to the host exactly (download gives doubles,
/// which would round them).
struct word_matrix {
  std::vector<std::uint64_t> host;
  template <class V>
  explicit word_matrix(const V& v) : host(static_cast<std::size_t>(v.extent(0) * 16)) {
    posttrain::deep_copy(backend(), posttrain::detail::to_const_view(v),
                         posttrain::tensor_view<std::uint64_t, 2>(host.data(), v.extent(0), 16));
  }
  std::uint64_t operator()(index_t i, int b) const { return host[static_cast<std::size_t>(i * 16 + b)]; }
};

PT_TEST("for_each_row: histogram totals are exact, so equal to a sequential count bit for bit") {
  for (auto [rows, cols] : {std::pair{1, 1}, {3, 7}, {4, 300}, {2, 5000}, {2, 0}}) {
    INFO(rows << "x" << cols);
    const auto x = ref::random_matrix(rows, cols, 21, -2, 2);
    auto dx = upload<double>(x, layout::strided);
    auto counts = output<std::uint64_t>(rows, 16), hi = output<std::uint64_t>(rows, 16), lo = output<std::uint64_t>(rows, 16);
    CHECK_FALSE(ops::for_each_row(backend(), rows, histogram_kernel{}, posttrain::detail::to_const_view(dx.view),
                                  counts.view, hi.view, lo.view));
    const word_matrix c(counts.view), h(hi.view), l(lo.view);
    for (index_t i = 0; i < rows; ++i)
      for (int b = 0; b < 16; ++b) {
        std::uint64_t n = 0;
        posttrain::detail::fixed96 w{};
        for (index_t j = 0; j < cols; ++j)
          if (x(i, j) < 1.5 && int((x(i, j) + 2) * 4) == b) ++n, w = w + posttrain::detail::to_fixed96((x(i, j) + 2) / 4);
        CHECK(c(i, b) == n);
        CHECK(h(i, b) == w.hi);
        CHECK(l(i, b) == w.lo);
      }
  }
}

PT_TEST("for_each_row: for_each, reduce, scan and reverse_scan against a double reference") {
  for (auto [rows, cols] : {std::pair{1, 1}, {3, 7}, {5, 33}, {4, 300}, {2, 1000}, {3, 0}})
    for (layout l : all_layouts) {
      INFO(rows << "x" << cols << " " << name(l));
      const auto x = ref::random_matrix(rows, cols, 11, -2, 2);
      const auto c = ref::random_matrix(rows, cols, 12, 0.5, 1);
      auto dx = upload<double>(x, l), dc = upload<double>(c, l);
      auto doubled = output<double>(rows, cols, l), prefix = output<double>(rows, cols, l),
           affine = output<double>(rows, cols, l), applied = output<double>(rows, cols, l),
           per_row = output<double>(rows, 6);
      const auto error = ops::for_each_row(backend(), rows, probe_kernel{}, posttrain::detail::to_const_view(dx.view),
                                           posttrain::detail::to_const_view(dc.view), doubled.view, prefix.view,
                                           affine.view, applied.view, per_row.view);
      CHECK_FALSE(error);
      ref::matrix e2(rows, cols), ep(rows, cols), ea(rows, cols), er(rows, 6);
      for (index_t i = 0; i < rows; ++i) {
        double s = 0, best = -ref::inf, lse_sum = 0, m = -ref::inf;
        index_t arg = -1;
        for (index_t j = 0; j < cols; ++j) {
          e2(i, j) = 2 * x(i, j);
          s += x(i, j);
          ep(i, j) = s;
          if (x(i, j) > best) best = x(i, j), arg = j;
          m = std::max(m, x(i, j));
        }
        for (index_t j = 0; j < cols; ++j) lse_sum += std::exp(x(i, j) - m);
        double y = 0;
        for (index_t j = cols - 1; j >= 0; --j) ea(i, j) = y = x(i, j) + c(i, j) * y;
        er(i, 0) = s;
        er(i, 1) = double(arg);
        er(i, 2) = cols > 0 ? m + std::log(lse_sum) : -ref::inf;
        er(i, 3) = s;
        er(i, 4) = y;
        er(i, 5) = y;
      }
      require_close(download(doubled.view), e2, 0);
      require_close(download(prefix.view), ep, 1e-12);
      require_close(download(affine.view), ea, 1e-12);
      require_close(download(applied.view), ea, 1e-12);
      require_close(download(per_row.view), er, 1e-12);
    }
}

PT_TEST("for_each_row: the first flagged position by row, then column, none, and no rows") {
  ref::matrix x(6, 300, 0.0);
  x(4, 250) = 5;
  x(2, 299) = 5;
  x(2, 17) = 5;  // row 2 comes first; its first bad column is 17
  x(5, 0) = 5;
  auto dx = upload<double>(x, layout::padded);
  const auto view = posttrain::detail::to_const_view(dx.view);
  const auto e = ops::for_each_row(backend(), 6, flag_kernel{1.0}, view);
  REQUIRE(e);
  CHECK(e.row == 2);
  CHECK(e.column == 17);
  CHECK(e.code == 3);
  CHECK_FALSE(ops::for_each_row(backend(), 6, flag_kernel{10.0}, view));
  CHECK_FALSE(ops::for_each_row(backend(), 0, flag_kernel{1.0}, view));
  CHECK_THROWS_AS(ops::for_each_row(backend(), -1, flag_kernel{1.0}, view), posttrain::value_error);
}
