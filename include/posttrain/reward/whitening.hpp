// SPDX-License-Identifier: Apache-2.0
#pragma once
// Masked whitening of advantages, (x − μ)·rsqrt(σ² + ε), with the statistics taken over the
// positions where mask ≠ 0 and applied to every position. The statistics are mergeable
// (Chan, Golub & LeVeque's pairwise update of count, mean and M2), so whitening sharded over
// workers, each adding its own rows and exchanging the three numbers, equals one process.
//
// Conventions of the peers (whiten_options):
//   trl masked_whiten, verl   unbiased variance, ε added (1e-8), shift_mean = true
//   OpenRLHF advantage norm   biased variance, ε as a floor: rsqrt(max(σ², 1e-8))
// With shift_mean = false the mean is added back: (x − μ)·s + μ (trl's option).

#include <cmath>
#include <algorithm>
#include <string_view>
#include <utility>

#include "../core.hpp"
#include "mask.hpp"

namespace posttrain::reward {

struct whiten_options {
  /// σ² with n − 1 in the denominator (trl, verl) or n (OpenRLHF).
  bool unbiased = true;
  double epsilon = 1e-8;
  /// false: rsqrt(σ² + ε) (trl, verl); true: rsqrt(max(σ², ε)) (OpenRLHF).
  bool epsilon_as_floor = false;
  /// false adds the mean back after scaling.
  bool shift_mean = true;

  static whiten_options trl() { return {}; }
  static whiten_options verl() { return {}; }
  static whiten_options openrlhf() { return {.unbiased = false, .epsilon = 1e-8, .epsilon_as_floor = true}; }
};

/// Count, mean and sum of squared deviations (M2) of the selected elements, in double.
class whitening_statistics {
 public:
  whitening_statistics() = default;
  whitening_statistics(double count, double mean, double m2) : count_(count), mean_(mean), m2_(m2) {}

  /// Adds the elements of x [B, T] where mask ≠ 0 (any backend; rows in parallel).
  template <backend B, tensor_of_rank<2> X, tensor_of_rank<2> M>
    requires accessible_by<X, B> && accessible_by<M, B>
  void add(const B& be, const X& x, const M& mask);

  /// This ∪ other (Chan's update); the order of merges does not matter beyond rounding.
  void merge(const whitening_statistics& other) {
    if (other.count_ == 0) return;
    if (count_ == 0) {
      *this = other;
      return;
    }
    const double n = count_ + other.count_, delta = other.mean_ - mean_;
    mean_ += delta * (other.count_ / n);
    m2_ += other.m2_ + delta * delta * (count_ * other.count_ / n);
    count_ = n;
  }

  double count() const { return count_; }
  double mean() const { return mean_; }
  double m2() const { return m2_; }
  /// M2 / (n − 1) or M2 / n; value_error when there are too few elements (none, or one for
  /// the unbiased variance), since trl and verl would divide by zero there.
  double variance(bool unbiased) const {
    const double need = unbiased ? 2 : 1;
    if (count_ < need)
      throw value_error(posttrain::detail::message(
          "posttrain::reward::whitening_statistics::variance: ", count_, " selected element(s); the ",
          unbiased ? "unbiased" : "biased", " variance needs at least ", need, " (is every position masked?)"));
    return m2_ / (unbiased ? count_ - 1 : count_);
  }
  /// The factor s of (x − μ)·s under the options.
  double scale(const whiten_options& o) const {
    const double v = variance(o.unbiased);
    return 1.0 / std::sqrt(o.epsilon_as_floor ? std::max(v, o.epsilon) : v + o.epsilon);
  }

 private:
  double count_ = 0, mean_ = 0, m2_ = 0;
};

namespace detail {

/// Count and sum of the selected elements (a reduction: f gives {1, x} or {0, 0}).
struct count_and_sum {
  struct accumulator {
    double n, sum;
  };
  POSTTRAIN_HOST_DEVICE accumulator init() const { return {0.0, 0.0}; }
  POSTTRAIN_HOST_DEVICE accumulator combine(accumulator a, accumulator x, index_t) const {
    return {a.n + x.n, a.sum + x.sum};
  }
  POSTTRAIN_HOST_DEVICE accumulator merge(accumulator a, accumulator b) const { return {a.n + b.n, a.sum + b.sum}; }
  POSTTRAIN_HOST_DEVICE accumulator result(accumulator a) const { return a; }
};

/// Inside a row kernel: the count, mean and M2 of x(i, j) over the columns where mask(i, j) ≠ 0,
/// written to stats(i, 0..2). Sum and count first, then M2 about the row's own mean while the
/// row is still in cache (exact, unlike Σx² − n·μ²).
template <class Team, class X, class M, class S>
POSTTRAIN_HOST_DEVICE void row_moments(const Team& team, index_t i, const X& x, const M& mask, const S& stats) {
  const index_t n = x.extent(1);
  const auto cs = team.reduce(n, count_and_sum{}, [&](index_t j) {
    const bool m = valid(mask(i, j));
    return count_and_sum::accumulator{keep(1.0, m), keep(double(x(i, j)), m)};  // selects, not conversions
  });
  const double mean = cs.n > 0 ? cs.sum / cs.n : 0.0;
  const double m2 = team.reduce(n, reduction::sum<double>{}, [&](index_t j) {
    const double d = double(x(i, j)) - mean;
    return keep(d * d, valid(mask(i, j)));
  });
  team.single([&] {
    stats(i, 0) = cs.n;
    stats(i, 1) = mean;
    stats(i, 2) = m2;
  });
}

struct masked_moments_kernel {
  template <class Team, class X, class M, class S>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const X& x, const M& mask, const S& stats) const {
    row_moments(team, i, x, mask, stats);
  }
};

/// Merges per-row (count, mean, M2) rows [rows, 3] from the backend in row order.
template <class B>
whitening_statistics merge_rows(const B& be, tensor_view<const double, 2, typename B::memory_space> rows) {
  const auto h = posttrain::detail::to_host(be, rows);
  const auto v = h.view();
  whitening_statistics all;
  for (index_t i = 0; i < v.extent(0); ++i) all.merge({v(i, 0), v(i, 1), v(i, 2)});
  return all;
}

/// y = x·a + b in the output's type (a whitening applied).
template <class T>
struct scale_shift {
  T a, b;
  template <class X>
  POSTTRAIN_HOST_DEVICE T operator()(X x) const {
    return static_cast<T>(x) * a + b;
  }
};

}  // namespace detail

template <backend B, tensor_of_rank<2> X, tensor_of_rank<2> M>
  requires accessible_by<X, B> && accessible_by<M, B>
void whitening_statistics::add(const B& be, const X& x, const M& mask) {
  posttrain::detail::check_same_shape("reward::whitening_statistics::add", "x", x, "mask", mask);
  const auto xv = posttrain::detail::to_const_view(x);
  const auto mv = posttrain::detail::to_const_view(mask);
  auto stats = allocate<double>(be, {xv.extent(0), index_t{3}});
  ops::for_each_row(be, xv.extent(0), detail::masked_moments_kernel{}, xv, mv, stats.view());
  merge(detail::merge_rows(be, std::as_const(stats).view()));
}

/// out = (x − μ)·s (+ μ when !shift_mean) at every position, with μ, s from `stats` (in place
/// when out is x).
template <backend B, tensor_of_rank<2> X, tensor_of_rank<2> O>
  requires accessible_by<X, B> && accessible_by<O, B> && mutable_tensor<O>
void whiten(const B& be, const X& x, const whitening_statistics& stats, const O& out, const whiten_options& o = {}) {
  posttrain::detail::check_same_shape("reward::whiten", "x", x, "out", out);
  using T = typename O::value_type;
  const double mean = stats.mean(), s = stats.scale(o), back = o.shift_mean ? 0.0 : mean;
  // y = x·s + (back − μ·s), in the output's type so that the loop vectorises.
  ops::map(be, detail::scale_shift<T>{static_cast<T>(s), static_cast<T>(back - mean * s)}, x, out);
}

/// Masked whitening in one call: statistics of x where mask ≠ 0, applied everywhere.
template <backend B, tensor_of_rank<2> X, tensor_of_rank<2> M, tensor_of_rank<2> O>
  requires accessible_by<X, B> && accessible_by<M, B> && accessible_by<O, B> && mutable_tensor<O>
whitening_statistics masked_whiten(const B& be, const X& x, const M& mask, const O& out, const whiten_options& o = {}) {
  posttrain::detail::check_same_shape("reward::masked_whiten", "x", x, "out", out);
  whitening_statistics stats;
  stats.add(be, x, mask);
  whiten(be, x, stats, out, o);
  return stats;
}

}  // namespace posttrain::reward
