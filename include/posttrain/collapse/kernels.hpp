// SPDX-License-Identifier: Apache-2.0
#pragma once
// The row kernels of the neural-collapse passes (stats.hpp) and metrics (nc_metrics.hpp), which
// run them on any backend:
//
//   class_sums_kernel       a kernel row per class: the sum of the class's rows of a batch, and
//                           their sum of squares about the class's mean (rows grouped by class)
//   centre_rows_kernel      out_i = h_i − shift_{s(i)}, s(i) = y_i or 0
//   nearest_centre_kernel   per row: the nearest class centre, the classifier's argmax, whether
//                           every product is finite; optionally the row widened to double
//   product_row_sums_kernel per row r of a block of a K×K product: the sums that CDNV, NC2's
//                           cosines and the ETF errors need
//   weighted_row_kernel     per row i: Σ_k q_ik (AQ)_ik / λ_k^p, NC1's trace by rows

#include <cmath>
#include <cstdint>

#include "../core.hpp"

namespace posttrain::collapse::detail {

/// Codes of team.fail in these kernels.
inline constexpr int non_finite_product = 1;

/// Kernel row c: sums(c, ·) = Σ_{i ∈ class c} h_i and ss(c) = Σ_{i ∈ class c} ‖h_i − mean_c‖², in
/// double, over the batch's rows order(m) for m in [offset(c), offset(c + 1)). Member rows are
/// added one after the other, each across the team's lanes: on a host team one contiguous row
/// at a time (it vectorises), on a GPU one coalesced row per step.
struct class_sums_kernel {
  template <class Team, class H, class Order, class Offset, class S, class Q>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t c, const H& h, const Order& order,
                                        const Offset& offset, const S& sums, const Q& ss) const {
    const index_t d = h.extent(1), first = index_t(offset(c)), last = index_t(offset(c + 1));
    team.for_each(d, [&](index_t j) { sums(c, j) = 0.0; });
    for (index_t m = first; m < last; ++m) {
      const index_t i = index_t(order(m));
      team.for_each(d, [&](index_t j) { sums(c, j) += double(h(i, j)); });
    }
    double total = 0;
    if (last > first) {
      const double inv = 1.0 / double(last - first);
      for (index_t m = first; m < last; ++m) {
        const index_t i = index_t(order(m));
        total += team.reduce(d, reduction::sum<double>{}, [&](index_t j) {
          const double e = double(h(i, j)) - sums(c, j) * inv;
          return e * e;
        });
      }
    }
    team.single([&] { ss(c) = total; });
  }
};

/// Row i: out(i, j) = h(i, j) − shift(s, j) in out's type, s = y(i) when by_label, else 0.
struct centre_rows_kernel {
  bool by_label;
  template <class Team, class H, class Y, class Shift, class Out>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const H& h, const Y& y, const Shift& shift,
                                        const Out& out) const {
    using O = typename Out::value_type;
    const index_t s = by_label ? index_t(y(i)) : 0;
    team.for_each(h.extent(1), [&](index_t j) { out(i, j) = static_cast<O>(double(h(i, j)) - shift(s, j)); });
  }
};

/// Row i of the products p = (h − shift)·[M̃ | Wᵀ] ([rows, K] or [rows, 2K]): the nearest class
/// centre argmin_c (score(s, c) − 2 p_ic) and, with a classifier, argmax_c (logit(s, c) + p_i,K+c),
/// ties to the lower class, s = y(i) when by_label, else 0. outcome(i) gets bit 0 when the
/// nearest centre is the label and bit 1 when it differs from the classifier's argmax. With
/// `widen`, wide(i, c) = p_ic in double. A non-finite product fails the row (the feature row
/// had a NaN or an Inf: NaN·x is NaN for every x).
struct nearest_centre_kernel {
  index_t classes;
  bool by_label, classifier, widen;
  template <class Team, class P, class Y, class Score, class Logit, class Outcome, class Wide>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const P& p, const Y& y, const Score& score,
                                        const Logit& logit, const Outcome& outcome, const Wide& wide) const {
    const index_t bad = team.reduce(p.extent(1), reduction::first_index{}, [&](index_t c) {
      const double v = double(p(i, c));
      return v - v == 0.0 ? index_t(-1) : c;
    });
    if (bad >= 0) {
      team.fail(bad, non_finite_product);
      return;
    }
    const index_t label = index_t(y(i)), s = by_label ? label : 0;
    // argmax of −score is argmin of score (negation is exact), with argmax's lower-column ties.
    const index_t nearest = team.reduce(classes, reduction::argmax<double>{}, [&](index_t c) {
      const double v = double(p(i, c));
      if (widen) wide(i, c) = v;
      return 2 * v - score(s, c);
    });
    index_t top = nearest;
    if (classifier)
      top = team.reduce(classes, reduction::argmax<double>{},
                        [&](index_t c) { return logit(s, c) + double(p(i, classes + c)); });
    team.single([&] { outcome(i) = std::int32_t((nearest == label ? 1 : 0) | (top != nearest ? 2 : 0)); });
  }
};

/// The sums product_row_sums_kernel gives for each row.
struct row_sums {
  static constexpr int count = 5;
  double v[count];
};

struct sum_of_row_sums {
  using accumulator = row_sums;
  POSTTRAIN_HOST_DEVICE row_sums init() const { return {{0, 0, 0, 0, 0}}; }
  POSTTRAIN_HOST_DEVICE row_sums combine(row_sums a, row_sums x, index_t) const { return merge(a, x); }
  POSTTRAIN_HOST_DEVICE row_sums merge(row_sums a, row_sums b) const {
    for (int k = 0; k < row_sums::count; ++k) a.v[k] += b.v[k];
    return a;
  }
  POSTTRAIN_HOST_DEVICE row_sums result(row_sums a) const { return a; }
};

/// Row r = first + i of a block p [rows, K] of X·Yᵀ. `error_scale` < 0 (the first pass):
///   sums 0      Σ_c p_rc²                                          (‖XYᵀ‖_F²)
///   sums 1–3    over c > r, with e = p_rc/(n_r n_c) + 1/(K−1):  Σ |e|, Σ e, Σ e²   (X = Y only)
///   sums 4      over c > r: (v_r + v_c) / (2 max(n_r² + n_c² − 2 p_rc, 0))       (CDNV, with v)
/// error_scale = 1/‖XYᵀ‖_F (the second pass): sums 0 = Σ_c (p_rc·error_scale − t_rc)², t the
/// simplex ETF (δ_rc − 1/K)/√(K−1). norms and variances are [K] (empty when unused).
struct product_row_sums_kernel {
  index_t first;
  double error_scale;
  bool cosines, cdnv;
  template <class Team, class P, class N, class V, class Out>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const P& p, const N& norms, const V& variances,
                                        const Out& out) const {
    const index_t K = p.extent(1), r = first + i;
    const double etf = -1.0 / double(K - 1);
    row_sums s;
    if (error_scale >= 0) {
      const double scale = 1 / ::sqrt(double(K - 1));
      s = team.reduce(K, sum_of_row_sums{}, [&](index_t c) {
        const double target = ((r == c ? 1.0 : 0.0) - 1.0 / double(K)) * scale;
        const double e = p(i, c) * error_scale - target;
        return row_sums{{e * e, 0, 0, 0, 0}};
      });
    } else {
      s = team.reduce(K, sum_of_row_sums{}, [&](index_t c) {
        const double v = p(i, c);
        row_sums t{{v * v, 0, 0, 0, 0}};
        if (c > r && cosines) {
          const double dev = v / (norms(r) * norms(c)) - etf;
          t.v[1] = dev < 0 ? -dev : dev, t.v[2] = dev, t.v[3] = dev * dev;
        }
        if (c > r && cdnv) {
          const double dist2 = norms(r) * norms(r) + norms(c) * norms(c) - 2 * v;
          t.v[4] = (variances(r) + variances(c)) / (2 * (dist2 > 0 ? dist2 : 0.0));
        }
        return t;
      });
    }
    team.single([&] {
      for (int k = 0; k < row_sums::count; ++k) out(r, k) = s.v[k];
    });
  }
};

/// Row i: out(i) = Σ_{k < kept} q(i, k)·aq(i, k) / λ_k^power, aq = A·Q[:, :kept].
struct weighted_row_kernel {
  int power;
  template <class Team, class Q, class AQ, class L, class Out>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const Q& q, const AQ& aq, const L& lambda,
                                        const Out& out) const {
    const double s = team.reduce(aq.extent(1), reduction::sum<double>{}, [&](index_t k) {
      const double l = lambda(k);
      return q(i, k) * aq(i, k) / (power == 2 ? l * l : l);
    });
    team.single([&] { out(i) = s; });
  }
};

}  // namespace posttrain::collapse::detail
