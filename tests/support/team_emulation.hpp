// SPDX-License-Identifier: Apache-2.0
#pragma once
// The team-emulation backend (test-only): host memory, every op from the generic host loops,
// and ops::for_each_row run the way the CUDA backend runs it, with L logical lanes: lane l takes
// columns l, l + L, …; reductions merge the lanes as CUB's BlockReduce does (a tree over each
// warp of 32 lanes, offsets 1, 2, 4, 8, 16, then the warps' results in order); scans go in
// tiles of L columns, each a warp-level Kogge–Stone scan, the warps' prefixes in order, and a
// carry from tile to tile, as CUB's BlockScan with a prefix callback. Rows run one after the
// other. A kernel whose decomposition is wrong (a lane-order assumption, a missing merge, a scan
// operator that is not associative) gives different results here than on the sequential backend.

#include <algorithm>
#include <vector>

#include <posttrain/core.hpp>

namespace posttrain::testing {

class emulated_team {
 public:
  static constexpr int warp = 32;
  static constexpr int radix_bits = 8;  // as a CUDA block

  emulated_team(index_t row, int lanes, row_error* error) : row_(row), lanes_(lanes), error_(error) {}

  template <class F>
  void for_each(index_t n, const F& f) const {
    for (int l = 0; l < lanes_; ++l)
      for (index_t j = l; j < n; j += lanes_) f(j);
  }

  template <class R, class F>
  auto reduce(index_t n, const R& red, const F& f) const {
    using A = typename R::accumulator;
    std::vector<A> acc(static_cast<std::size_t>(lanes_), red.init());
    for (int l = 0; l < lanes_; ++l)
      for (index_t j = l; j < n; j += lanes_) acc[std::size_t(l)] = red.combine(acc[std::size_t(l)], f(j), j);
    A total = red.init();
    for (int w0 = 0; w0 < lanes_; w0 += warp) {
      const int w1 = std::min(lanes_, w0 + warp);
      for (int off = 1; off < warp; off *= 2)
        for (int i = w0; i + off < w1; i += 2 * off) acc[std::size_t(i)] = red.merge(acc[std::size_t(i)], acc[std::size_t(i + off)]);
      total = w0 == 0 ? acc[std::size_t(w0)] : red.merge(total, acc[std::size_t(w0)]);
    }
    return red.result(total);
  }

  template <class Op, class F, class G>
  auto scan(index_t n, const Op& op, const F& f, const G& g) const {
    return tiled_scan(n, op, f, g, [](index_t p) { return p; });
  }

  template <class Op, class F, class G>
  auto reverse_scan(index_t n, const Op& op, const F& f, const G& g) const {
    // The reversed sequence scanned with the mirrored operator.
    struct mirrored {
      Op op;
      using value_type = typename Op::value_type;
      value_type identity() const { return op.identity(); }
      value_type combine(value_type l, value_type r) const { return op.combine(r, l); }
    };
    return tiled_scan(n, mirrored{op}, f, g, [n](index_t p) { return n - 1 - p; });
  }

  /// Integer sums: the lanes' order cannot change them, so the lanes go one after the other.
  template <int Bins, class BinOf, class WeightOf>
  const bin_total* histogram(index_t n, const BinOf& bin_of, const WeightOf& weight_of, int used = Bins) const {
    thread_local bin_total bins[Bins];
    for (int b = 0; b < used; ++b) bins[b] = {};
    for (int l = 0; l < lanes_; ++l)
      for (index_t j = l; j < n; j += lanes_)
        if (const int b = bin_of(j); b >= 0) bins[b] = bins[b] + bin_total{1, weight_of(j)};
    return bins;
  }

  template <class Op, class F, class G>
  auto reverse_apply(index_t n, const Op& op, const F& f, const G& g) const {
    const auto total = reverse_scan(n, op, f, [&](index_t j, const auto& y) { g(j, op.apply(y, op.start())); });
    return op.apply(total, op.start());
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
  template <class Op, class F, class G, class Column>
  auto tiled_scan(index_t n, const Op& op, const F& f, const G& g, const Column& column) const {
    using V = typename Op::value_type;
    V carry = op.identity();
    std::vector<V> x(static_cast<std::size_t>(lanes_)), y(static_cast<std::size_t>(lanes_));
    for (index_t base = 0; base < n; base += lanes_) {
      for (int l = 0; l < lanes_; ++l) x[std::size_t(l)] = base + l < n ? f(column(base + l)) : op.identity();
      V prefix = op.identity();  // of the warps before this one
      for (int w0 = 0; w0 < lanes_; w0 += warp) {
        const int w1 = std::min(lanes_, w0 + warp);
        for (int off = 1; off < warp; off *= 2) {
          for (int i = w0; i < w1; ++i) y[std::size_t(i)] = i - off >= w0 ? op.combine(x[std::size_t(i - off)], x[std::size_t(i)]) : x[std::size_t(i)];
          for (int i = w0; i < w1; ++i) x[std::size_t(i)] = y[std::size_t(i)];
        }
        const V warp_total = x[std::size_t(w1 - 1)];
        if (w0 > 0)
          for (int i = w0; i < w1; ++i) x[std::size_t(i)] = op.combine(prefix, x[std::size_t(i)]);
        prefix = w0 == 0 ? warp_total : op.combine(prefix, warp_total);
      }
      for (int l = 0; l < lanes_ && base + l < n; ++l) g(column(base + l), op.combine(carry, x[std::size_t(l)]));
      carry = op.combine(carry, prefix);
    }
    return carry;
  }

  index_t row_;
  int lanes_;
  row_error* error_;
};

/// Host memory and the generic host ops; row kernels on emulated teams of `lanes` lanes.
struct team_emulation_backend {
  using memory_space = host_space;
  static constexpr bool is_backend = true;
  using overrides = ops::op_list<ops::op::for_each_row>;
  static constexpr const char* name = "emulation";
  int lanes = 32;

  template <class Kernel, class... Args>
  row_error for_each_row(index_t rows, const Kernel& kernel, const Args&... args) const {
    row_error first;
    for (index_t r = 0; r < rows; ++r) {
      const emulated_team team(r, lanes, &first);
      kernel(team, r, args...);
    }
    return first;
  }
};

}  // namespace posttrain::testing
