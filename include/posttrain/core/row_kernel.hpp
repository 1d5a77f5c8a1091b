// SPDX-License-Identifier: Apache-2.0
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
//   team.reverse_apply(n, op, f, g)    for an op whose elements are maps on a state (op.start(),
//                                      op.apply(map, state)): g(j, (f(j) ∘ … ∘ f(n − 1))(start)),
//                                      a linear recurrence run from the end. Parallel teams scan
//                                      the maps and apply the result; a host team applies each
//                                      map to the state, one short chain per element
//   team.histogram<Bins>(n, bin, w, used)
//                                      bin(j) in [0, used) or < 0 for none (used ≤ Bins), w(j) a
//                                      fixed96 weight (called only where bin(j) ≥ 0); returns the
//                                      bin_totals {count, exact sum of the weights} of bins
//                                      [0, used), the same on every backend (integer sums),
//                                      readable by every lane until the team's next histogram call
//   Team::radix_bits                   the digit width for radix passes built on histogram (the
//                                      bins a team keeps cheaply: 11 on the host, 8 on a GPU)
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
//                   scans combine one element after the other.
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
#include "overrides.hpp"
#include "reproducible.hpp"

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
  /// As maps on y (team.reverse_apply), from y = 0.
  using state_type = T;
  POSTTRAIN_HOST_DEVICE T start() const { return T(0); }
  POSTTRAIN_HOST_DEVICE T apply(value_type map, T y) const { return map.b + map.a * y; }
};

}  // namespace scan_op

/// A bin of team.histogram: how many elements fell in it and the exact sum of their weights.
struct bin_total {
  std::uint64_t count = 0;
  detail::fixed96 weight{};
  POSTTRAIN_HOST_DEVICE friend constexpr bin_total operator+(bin_total a, bin_total b) {
    return {a.count + b.count, a.weight + b.weight};
  }
};

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

/// team.histogram for a team that is one thread: totals in a per-thread array (sums of integers,
/// so the order does not matter). Per block of columns: the bins, in a loop without branches that
/// the compiler vectorises; the block skipped when none is in a bin; otherwise the members'
/// positions gathered without branches, then added, the counts spread over 4 arrays so that
/// successive increments of one bin do not wait on each other.
template <int Bins, class BinOf, class WeightOf>
const bin_total* sequential_histogram(index_t n, const BinOf& bin_of, const WeightOf& weight_of, int used) {
  constexpr int ways = 4;
  thread_local bin_total bins[Bins];
  thread_local std::uint32_t counts[ways][Bins];  // each ≤ n / 4: rows of fewer than 2^34 columns
  // Only the bins in use are cleared and merged: with 4096 bins that is most of the cost of a
  // pass in which few columns fall in a bin.
  for (int b = 0; b < used; ++b) bins[b] = {};
  for (auto& way : counts)
    for (int b = 0; b < used; ++b) way[b] = 0;
  constexpr index_t block = 32;
  int bin[block], member[block];
  for (index_t j0 = 0; j0 < n; j0 += block) {
    const int m = static_cast<int>(n - j0 < block ? n - j0 : block);
    int any = 0;
    for (int i = 0; i < m; ++i) {
      bin[i] = bin_of(j0 + i);
      any |= bin[i] >= 0;
    }
    if (!any) continue;
    int members = 0;
    for (int i = 0; i < m; ++i) {
      member[members] = i;
      members += bin[i] >= 0;
    }
    if (2 * members >= m) {
      // Most of the block: the weights of all of it in a loop the compiler can vectorise.
      detail::fixed96 weight[block];
      for (int i = 0; i < m; ++i) weight[i] = weight_of(j0 + i);
      for (int k = 0; k < members; ++k) {
        const int i = member[k], b = bin[i];
        ++counts[k % ways][b];
        bins[b].weight = bins[b].weight + weight[i];
      }
    } else {
      for (int k = 0; k < members; ++k) {
        const int i = member[k], b = bin[i];
        ++counts[k % ways][b];
        bins[b].weight = bins[b].weight + weight_of(j0 + i);
      }
    }
  }
  for (int w = 0; w < ways; ++w)
    for (int b = 0; b < used; ++b) bins[b].count += counts[w][b];
  return bins;
}

/// The team of a host backend: one thread, W partial accumulators (see the top of this file).
class host_team {
 public:
  static constexpr int reduce_lanes = 16;
  /// The digit width a radix selection should use: 4096 bins cost one thread little, and take
  /// a float key range of 2^23 (an octave) in two passes.
  static constexpr int radix_bits = 12;

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
    return sequential_scan<false>(n, op, f, g);
  }
  template <class Op, class F, class G>
  auto reverse_scan(index_t n, const Op& op, const F& f, const G& g) const {
    return sequential_scan<true>(n, op, f, g);
  }

  template <class Op, class F, class G>
  auto reverse_apply(index_t n, const Op& op, const F& f, const G& g) const {
    auto state = op.start();
    for (index_t t = n - 1; t >= 0; --t) {
      state = op.apply(f(t), state);
      g(t, state);
    }
    return state;
  }

  template <int Bins, class BinOf, class WeightOf>
  const bin_total* histogram(index_t n, const BinOf& bin_of, const WeightOf& weight_of, int used = Bins) const {
    return sequential_histogram<Bins>(n, bin_of, weight_of, used);
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
  /// One combine per element, from the first column (forward) or the last (reverse). Blocked
  /// Hillis–Steele steps (log2(W) combines per element, one carry per block) vectorise in
  /// principle, but with GCC 12 and the composed maps of GAE they ran 4–7× slower than this
  /// chain, which is latency-bound at a few cycles per element and so keeps up with memory.
  template <bool reverse, class Op, class F, class G>
  auto sequential_scan(index_t n, const Op& op, const F& f, const G& g) const {
    auto carry = op.identity();
    if constexpr (reverse) {
      for (index_t t = n - 1; t >= 0; --t) {
        carry = op.combine(f(t), carry);
        g(t, carry);
      }
    } else {
      for (index_t t = 0; t < n; ++t) {
        carry = op.combine(carry, f(t));
        g(t, carry);
      }
    }
    return carry;
  }

  index_t row_;
  row_error* error_;
};

/// A matrix view whose columns are adjacent, the column stride 1 known at compile time: what
/// the host for_each_row hands a kernel in place of a tensor_view<T, 2> with stride(1) = 1, so
/// that the loops of the host team vectorise. It has the members kernels use of a view.
template <class T, class Space>
class unit_column_view {
 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;
  using space = Space;
  static constexpr std::size_t rank = 2;

  explicit unit_column_view(tensor_view<T, 2, Space> v)
      : data_(v.data()), rows_(v.extent(0)), cols_(v.extent(1)), row_stride_(v.stride(0)) {}
  index_t extent(std::size_t r) const { return r == 0 ? rows_ : cols_; }
  index_t stride(std::size_t r) const { return r == 0 ? row_stride_ : 1; }
  T* data() const { return data_; }
  T& operator()(index_t i, index_t j) const { return data_[i * row_stride_ + j]; }

 private:
  T* data_;
  index_t rows_, cols_, row_stride_;
};

template <class A>
bool has_unit_columns(const A& a) {
  if constexpr (tensor_of_rank<A, 2>) return a.stride(1) == 1;
  else return true;
}
template <class A>
auto with_unit_columns(const A& a) {
  if constexpr (tensor_of_rank<A, 2>) return unit_column_view<typename A::element_type, typename A::space>(a);
  else return a;
}

/// The host backends' for_each_row: rows split over the backend's threads, one host_team each.
template <class B, class Kernel, class... Args>
row_error host_for_each_row(const B& be, index_t rows, const Kernel& kernel, const Args&... args) {
  row_error first;
  std::mutex m;
  host::for_rows(be, rows, [&](index_t r0, index_t r1) {
    row_error local;
    for (index_t r = r0; r < r1; ++r) {
      const host_team team(r, &local);
      kernel(team, r, args...);
    }
    if (local) {
      const std::lock_guard lock(m);
      if (local.before(first)) first = local;
    }
  });
  return first;
}

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
    constexpr bool member = requires { be.for_each_row(rows, kernel, args...); };
    POSTTRAIN_CHECK_OVERRIDE(B, for_each_row, member);
    if constexpr (member) {
      return be.for_each_row(rows, kernel, args...);
    } else if constexpr (host_backend<B>) {
      // Matrices with adjacent columns (the common case) take an instantiation where that is
      // known at compile time.
      if ((detail::has_unit_columns(args) && ...))
        return detail::host_for_each_row(be, rows, kernel, detail::with_unit_columns(args)...);
      return detail::host_for_each_row(be, rows, kernel, args...);
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
