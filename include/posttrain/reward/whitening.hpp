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
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

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

  /// Adds the elements of x [B, T] where mask ≠ 0 (host backends, rows in parallel).
  template <host_backend B, tensor_of_rank<2> X, tensor_of_rank<2> M>
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

/// Accumulates one row's selected elements: sum and count first, then M2 about the row's own
/// mean while the row is still in cache (exact, unlike Σx² − n·μ²).
template <class Get, class Valid>
whitening_statistics row_statistics(index_t cols, const Get& get, const Valid& valid) {
  double n = 0, sum = 0;
  for (index_t j = 0; j < cols; ++j)
    if (valid(j)) {
      n += 1;
      sum += double(get(j));
    }
  if (n == 0) return {};
  const double mean = sum / n;
  double m2 = 0;
  for (index_t j = 0; j < cols; ++j)
    if (valid(j)) {
      const double d = double(get(j)) - mean;
      m2 += d * d;
    }
  return {n, mean, m2};
}

/// Runs per_row(i) -> whitening_statistics over rows in parallel and merges the results in row
/// order within a thread, then thread order (deterministic for a given thread count).
template <class B, class PerRow>
whitening_statistics merged_over_rows(const B& be, index_t rows, const PerRow& per_row) {
  std::vector<whitening_statistics> partial(static_cast<std::size_t>(rows));
  posttrain::detail::host::for_rows(be, rows, [&](index_t r0, index_t r1) {
    for (index_t i = r0; i < r1; ++i) partial[static_cast<std::size_t>(i)] = per_row(i);
  });
  whitening_statistics all;
  for (const auto& s : partial) all.merge(s);
  return all;
}

}  // namespace detail

template <host_backend B, tensor_of_rank<2> X, tensor_of_rank<2> M>
  requires accessible_by<X, B> && accessible_by<M, B>
void whitening_statistics::add(const B& be, const X& x, const M& mask) {
  posttrain::detail::check_same_shape("reward::whitening_statistics::add", "x", x, "mask", mask);
  const auto xv = posttrain::detail::to_const_view(x);
  const auto mv = posttrain::detail::to_const_view(mask);
  merge(detail::merged_over_rows(be, xv.extent(0), [&](index_t i) {
    return detail::row_statistics(
        xv.extent(1), [&](index_t j) { return xv(i, j); }, [&](index_t j) { return detail::valid(mv(i, j)); });
  }));
}

/// out = (x − μ)·s (+ μ when !shift_mean) at every position, with μ, s from `stats` (in place
/// when out is x).
template <host_backend B, tensor_of_rank<2> X, tensor_of_rank<2> O>
  requires accessible_by<X, B> && accessible_by<O, B> && mutable_tensor<O>
void whiten(const B& be, const X& x, const whitening_statistics& stats, const O& out, const whiten_options& o = {}) {
  posttrain::detail::check_same_shape("reward::whiten", "x", x, "out", out);
  using T = typename O::value_type;
  const double mean = stats.mean(), s = stats.scale(o), back = o.shift_mean ? 0.0 : mean;
  const auto xv = posttrain::detail::to_const_view(x);
  const auto ov = posttrain::detail::to_view(out);
  // y = x·s + (back − μ·s), in the output's type so that the loop vectorises.
  const T a = static_cast<T>(s), b = static_cast<T>(back - mean * s);
  posttrain::detail::host::for_rows(be, xv.extent(0), [&](index_t r0, index_t r1) {
    for (index_t i = r0; i < r1; ++i) {
      if (xv.stride(1) == 1 && ov.stride(1) == 1) {
        const auto* xp = &xv(i, 0);
        T* op = &ov(i, 0);
        for (index_t j = 0; j < xv.extent(1); ++j) op[j] = static_cast<T>(xp[j]) * a + b;
      } else {
        for (index_t j = 0; j < xv.extent(1); ++j) ov(i, j) = static_cast<T>(xv(i, j)) * a + b;
      }
    }
  });
}

/// Masked whitening in one call: statistics of x where mask ≠ 0, applied everywhere.
template <host_backend B, tensor_of_rank<2> X, tensor_of_rank<2> M, tensor_of_rank<2> O>
  requires accessible_by<X, B> && accessible_by<M, B> && accessible_by<O, B> && mutable_tensor<O>
whitening_statistics masked_whiten(const B& be, const X& x, const M& mask, const O& out, const whiten_options& o = {}) {
  posttrain::detail::check_same_shape("reward::masked_whiten", "x", x, "out", out);
  whitening_statistics stats;
  stats.add(be, x, mask);
  whiten(be, x, stats, out, o);
  return stats;
}

}  // namespace posttrain::reward
