#pragma once
// Row kernels: fused per-row algorithms written once for every backend, in the manner of
// Kokkos' TeamPolicy.
//
//   ops::for_each_row(be, rows, kernel, args...)   runs kernel(team, row, args...) for each row
//
// `kernel` is a functor with a POSTTRAIN_HOST_DEVICE call operator templated on the team type;
// `args` are tensor views and plain values (they are copied to the device as they are). The
// kernel is a sequence of collective calls over an index range [0, n) of its row; every lane
// of the team makes the same calls, so no lane-level control flow appears in a kernel:
//
//   team.for_each(n, f)                f(j) for every j, in no particular order
//   team.reduce(n, red, f)             red (a posttrain::reduction) over f(j); every lane gets
//                                      red.result of the whole range. f may also write position j.
//   team.scan(n, op, f, g)             g(j, f(0) ⊕ … ⊕ f(j))        op a scan_op (below)
//   team.reverse_scan(n, op, f, g)     g(j, f(j) ⊕ … ⊕ f(n − 1));    both return the total
//   team.single(f)                     f() once for the team
//   team.fail(column, code)            records bad input at (row, column) with a code in [0, 16);
//                                      for_each_row returns the first such position (by row,
//                                      then column) so the caller can raise an error naming it
//
// Each collective finishes before the next starts (a barrier on a GPU), so a later call may read
// what an earlier one wrote. How the backends run a team:
//   host backends   one thread per team, rows split over the backend's threads. reduce keeps
//                   host_team::reduce_lanes partial accumulators (column j goes to j mod W),
//                   merged in a fixed halving tree, so the compiler can vectorise the loop;
//                   scans work on blocks of scan_lanes elements (Hillis–Steele steps inside a
//                   block, one carry between blocks).
//   CUDA            one block per row; reduce and the scans are CUB's BlockReduce and BlockScan
//                   (backends/cuda/row_kernel.cuh).
//   tests           a team-emulation backend (tests/support/backend_emulation.hpp) replays the
//                   GPU's partition (lane l takes columns l, l + L, …) and merge order with L lanes.
// Results agree across backends within the rounding that the reduction order allows.

#include <mutex>
#include <type_traits>

#include "checks.hpp"
#include "concepts.hpp"
#include "config.hpp"
#include "detail/host_kernels.hpp"
#include "error.hpp"

namespace posttrain {

/// Associative operators for team.scan and team.reverse_scan: value_type, identity() and
/// combine(left, right), where left covers the lower columns. combine need not commute.
namespace scan_op {

template <class T>
struct plus {
  using value_type = T;
  POSTTRAIN_HOST_DEVICE T identity() const { return T(0); }
  POSTTRAIN_HOST_DEVICE T combine(T left, T right) const { return left + right; }
};

/// Elements are maps y ↦ b + a·y; combine(left, right) = left ∘ right. A reverse scan of them
/// gives the linear recurrence y_t = b_t + a_t·y_{t+1} (y past the end = 0) as the `b` of each
/// result: discounted returns, GAE.
template <class T>
struct affine {
  struct value_type {
    T a, b;
  };
  POSTTRAIN_HOST_DEVICE value_type identity() const { return {T(1), T(0)}; }
  POSTTRAIN_HOST_DEVICE value_type combine(value_type left, value_type right) const {
    return {left.a * right.a, left.b + left.a * right.b};
  }
};

}  // namespace scan_op

/// The first position a row kernel flagged with team.fail, or none (row < 0).
struct row_error {
  index_t row = -1;
  index_t column = -1;
  int code = 0;
  explicit operator bool() const { return row >= 0; }
  /// Whether this position comes before other's (by row, then column).
  bool before(const row_error& other) const {
    return other.row < 0 || (row >= 0 && (row < other.row || (row == other.row && column < other.column)));
  }
};

namespace detail {

/// The team of a host backend: one thread, W partial accumulators (see the top of this file).
class host_team {
 public:
  static constexpr int reduce_lanes = 16;
  static constexpr int scan_lanes = 8;

  host_team(index_t row, row_error* error) : row_(row), error_(error) {}

  template <class F>
  void for_each(index_t n, const F& f) const {
    for (index_t j = 0; j < n; ++j) f(j);
  }

  template <class R, class F>
  auto reduce(index_t n, const R& red, const F& f) const {
    constexpr int w = reduce_lanes;
    typename R::accumulator acc[w];
    for (int k = 0; k < w; ++k) acc[k] = red.init();
    const index_t full = n / w * w;
    for (index_t j = 0; j < full; j += w)
      for (int k = 0; k < w; ++k) acc[k] = red.combine(acc[k], f(j + k), j + k);
    for (index_t j = full; j < n; ++j) acc[j - full] = red.combine(acc[j - full], f(j), j);
    for (int s = w / 2; s > 0; s /= 2)
      for (int k = 0; k < s; ++k) acc[k] = red.merge(acc[k], acc[k + s]);
    return red.result(acc[0]);
  }

  template <class Op, class F, class G>
  auto scan(index_t n, const Op& op, const F& f, const G& g) const {
    return blocked_scan<false>(n, op, f, g);
  }
  template <class Op, class F, class G>
  auto reverse_scan(index_t n, const Op& op, const F& f, const G& g) const {
    return blocked_scan<true>(n, op, f, g);
  }

  template <class F>
  void single(const F& f) const {
    f();
  }

  void fail(index_t column, int code) const {
    const row_error e{row_, column, code};
    if (e.before(*error_)) *error_ = e;
  }

 private:
  /// Blocks of W elements (W-aligned from column 0; the missing elements of a partial block are
  /// the identity), visited from the first (forward) or the last (reverse). Inside a block,
  /// log2(W) Hillis–Steele steps give every element its scan within the block; one combine with
  /// the carry finishes it, so the chain that cannot be vectorised is one step per block.
  template <bool reverse, class Op, class F, class G>
  auto blocked_scan(index_t n, const Op& op, const F& f, const G& g) const {
    constexpr int w = scan_lanes;
    using V = typename Op::value_type;
    V carry = op.identity();
    if (n <= 0) return carry;
    const index_t blocks = (n + w - 1) / w;
    for (index_t step = 0; step < blocks; ++step) {
      const index_t base = (reverse ? blocks - 1 - step : step) * w;
      V x[w], y[w];
      if (base + w <= n) {
        for (int k = 0; k < w; ++k) x[k] = f(base + k);
      } else {
        for (int k = 0; k < w; ++k) x[k] = base + k < n ? f(base + k) : op.identity();
      }
      for (int d = 1; d < w; d *= 2) {
        for (int k = 0; k < w; ++k) {
          if constexpr (reverse) y[k] = k + d < w ? op.combine(x[k], x[k + d]) : x[k];
          else y[k] = k >= d ? op.combine(x[k - d], x[k]) : x[k];
        }
        for (int k = 0; k < w; ++k) x[k] = y[k];
      }
      for (int k = 0; k < w; ++k) x[k] = reverse ? op.combine(x[k], carry) : op.combine(carry, x[k]);
      const int last = static_cast<int>(n - base < w ? n - base : w);
      for (int k = 0; k < last; ++k) g(base + k, x[k]);
      carry = reverse ? x[0] : x[last - 1];
    }
    return carry;
  }

  index_t row_;
  row_error* error_;
};

#define POSTTRAIN_MISSING_ROW_KERNEL                                                                     \
  static_assert(::posttrain::detail::dependent_false<B>,                                                 \
                "posttrain::ops::for_each_row: this backend's memory is not host-accessible and it has " \
                "no member for_each_row(rows, kernel, args...)")

}  // namespace detail

namespace ops {
namespace cpo {

struct for_each_row_fn {
  /// kernel(team, row, args...) for row in [0, rows); returns the first position a kernel
  /// flagged with team.fail (none when row_error::row < 0). Rows run in parallel where the
  /// backend can; a kernel must not write what another row reads.
  template <backend B, class Kernel, class... Args>
  row_error operator()(const B& be, index_t rows, const Kernel& kernel, const Args&... args) const {
    if (rows < 0)
      throw value_error(detail::message("posttrain::ops::for_each_row: rows is ", rows, "; it must be ≥ 0"));
    if (rows == 0) return {};
    if constexpr (requires { be.for_each_row(rows, kernel, args...); }) {
      return be.for_each_row(rows, kernel, args...);
    } else if constexpr (host_backend<B>) {
      row_error first;
      std::mutex m;
      detail::host::for_rows(be, rows, [&](index_t r0, index_t r1) {
        row_error local;
        for (index_t r = r0; r < r1; ++r) {
          const detail::host_team team(r, &local);
          kernel(team, r, args...);
        }
        if (local) {
          const std::lock_guard lock(m);
          if (local.before(first)) first = local;
        }
      });
      return first;
    } else {
      POSTTRAIN_MISSING_ROW_KERNEL;
    }
  }
};

}  // namespace cpo

inline constexpr cpo::for_each_row_fn for_each_row{};

}  // namespace ops
}  // namespace posttrain

#undef POSTTRAIN_MISSING_ROW_KERNEL
