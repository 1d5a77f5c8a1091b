// SPDX-License-Identifier: Apache-2.0
#pragma once
// ops::for_each_row on CUDA: one block of `row_threads` threads per row (grid-stride over rows),
// the team's collectives on CUB's block primitives. The partition and merge order are those the
// team-emulation test backend replays on the host (tests/support/team_emulation.hpp):
//   for_each / reduce   thread l takes columns l, l + L, …; BlockReduce merges the threads'
//                       accumulators (warp trees, then the warps in order)
//   scan / reverse_scan tiles of L columns, BlockScan::InclusiveScan with a prefix callback that
//                       carries the running total from tile to tile; a reverse scan visits the
//                       columns from the last and scans with the mirrored operator
// Each collective ends with __syncthreads(), so a later one may read what an earlier one wrote.
// team.fail records (row, column, code) with one atomicMin on a packed key in the backend's
// workspace; the host reads it back after the kernel.

#if !defined(__CUDACC__)
#error "posttrain/backends/cuda/row_kernel.cuh holds CUDA kernels: compile this translation unit with nvcc"
#endif

#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include <posttrain/core.hpp>

namespace posttrain::cuda::kernels {

inline constexpr int row_threads = 256;

/// The packed position of team.fail: row in the top 28 bits, column in the next 32, code in 4.
inline constexpr unsigned long long no_row_error = ~0ull;
POSTTRAIN_HOST_DEVICE inline unsigned long long pack_row_error(index_t row, index_t column, int code) {
  return (static_cast<unsigned long long>(row) << 36) | (static_cast<unsigned long long>(column) << 4) |
         static_cast<unsigned long long>(code & 15);
}
inline row_error unpack_row_error(unsigned long long key) {
  if (key == no_row_error) return {};
  return {static_cast<index_t>(key >> 36), static_cast<index_t>((key >> 4) & 0xffffffffull), static_cast<int>(key & 15)};
}

template <class R>
struct merge_of {
  R red;
  template <class A>
  __device__ A operator()(const A& a, const A& b) const {
    return red.merge(a, b);
  }
};

template <class Op, bool mirrored>
struct combine_of {
  Op op;
  template <class V>
  __device__ V operator()(const V& a, const V& b) const {
    if constexpr (mirrored) return op.combine(b, a);
    else return op.combine(a, b);
  }
};

/// The running total of the tiles before the current one (BlockScan's prefix callback).
template <class Op, bool mirrored>
struct tile_carry {
  combine_of<Op, mirrored> combine;
  typename Op::value_type total;
  __device__ typename Op::value_type operator()(const typename Op::value_type& tile_total) {
    const auto before = total;
    total = combine(total, tile_total);
    return before;
  }
};

class block_team {
 public:
  /// 256 bins of shared memory per histogram (6 KiB).
  static constexpr int radix_bits = 8;

  __device__ block_team(index_t row, unsigned long long* error) : row_(row), error_(error) {}

  template <class F>
  __device__ void for_each(index_t n, const F& f) const {
    for (index_t j = threadIdx.x; j < n; j += row_threads) f(j);
    __syncthreads();
  }

  template <class R, class F>
  __device__ auto reduce(index_t n, const R& red, const F& f) const {
    using A = typename R::accumulator;
    using block_reduce = cub::BlockReduce<A, row_threads>;
    __shared__ typename block_reduce::TempStorage temp;
    __shared__ alignas(alignof(A)) unsigned char result_bytes[sizeof(A)];
    A acc = red.init();
    for (index_t j = threadIdx.x; j < n; j += row_threads) acc = red.combine(acc, f(j), j);
    const A total = block_reduce(temp).Reduce(acc, merge_of<R>{red});
    A* result = reinterpret_cast<A*>(result_bytes);
    if (threadIdx.x == 0) *result = total;
    __syncthreads();
    const A all = *result;
    __syncthreads();
    return red.result(all);
  }

  template <class Op, class F, class G>
  __device__ auto scan(index_t n, const Op& op, const F& f, const G& g) const {
    return tiled_scan<false>(n, op, f, g);
  }
  template <class Op, class F, class G>
  __device__ auto reverse_scan(index_t n, const Op& op, const F& f, const G& g) const {
    return tiled_scan<true>(n, op, f, g);
  }

  /// Shared-memory bins updated with 64-bit atomics; a weight's carry from the low word to the
  /// high word is added separately, so the sums are exact whatever the order of the atomics.
  template <int Bins, class BinOf, class WeightOf>
  __device__ const bin_total* histogram(index_t n, const BinOf& bin_of, const WeightOf& weight_of,
                                        int used = Bins) const {
    __shared__ alignas(bin_total) unsigned char bytes[sizeof(bin_total) * Bins];
    bin_total* bins = reinterpret_cast<bin_total*>(bytes);
    __syncthreads();  // the previous call's bins have been read
    for (int b = threadIdx.x; b < used; b += row_threads) bins[b] = bin_total{};
    __syncthreads();
    for (index_t j = threadIdx.x; j < n; j += row_threads) {
      const int b = bin_of(j);
      if (b < 0) continue;
      const ::posttrain::detail::fixed96 w = weight_of(j);
      bin_total& to = bins[b];
      atomicAdd(reinterpret_cast<unsigned long long*>(&to.count), 1ull);
      const unsigned long long lo = w.lo;
      const unsigned long long old = atomicAdd(reinterpret_cast<unsigned long long*>(&to.weight.lo), lo);
      const unsigned long long hi = w.hi + (old + lo < old ? 1ull : 0ull);
      if (hi != 0) atomicAdd(reinterpret_cast<unsigned long long*>(&to.weight.hi), hi);
    }
    __syncthreads();
    return bins;
  }

  template <class Op, class F, class G>
  __device__ auto reverse_apply(index_t n, const Op& op, const F& f, const G& g) const {
    const auto total = reverse_scan(n, op, f, [&](index_t j, const auto& y) { g(j, op.apply(y, op.start())); });
    return op.apply(total, op.start());
  }

  template <class F>
  __device__ void single(const F& f) const {
    if (threadIdx.x == 0) f();
    __syncthreads();
  }

  __device__ void fail(index_t column, int code) const {
    if (threadIdx.x == 0) atomicMin(error_, pack_row_error(row_, column, code));
  }

 private:
  template <bool mirrored, class Op, class F, class G>
  __device__ auto tiled_scan(index_t n, const Op& op, const F& f, const G& g) const {
    using V = typename Op::value_type;
    using block_scan = cub::BlockScan<V, row_threads>;
    __shared__ typename block_scan::TempStorage temp;
    tile_carry<Op, mirrored> carry{{op}, op.identity()};
    for (index_t base = 0; base < n; base += row_threads) {
      const index_t p = base + threadIdx.x;
      const index_t j = mirrored ? n - 1 - p : p;
      const V x = p < n ? f(j) : op.identity();
      V y;
      block_scan(temp).InclusiveScan(x, y, combine_of<Op, mirrored>{op}, carry);
      if (p < n) g(j, y);
      __syncthreads();
    }
    // Thread 0 ran the callback; the other threads' copies of carry are stale.
    __shared__ alignas(alignof(V)) unsigned char total_bytes[sizeof(V)];
    V* total = reinterpret_cast<V*>(total_bytes);
    if (threadIdx.x == 0) *total = carry.total;
    __syncthreads();
    const V all = *total;
    __syncthreads();
    return all;
  }

  index_t row_;
  unsigned long long* error_;
};

template <class Kernel, class... Args>
__global__ void __launch_bounds__(row_threads) for_each_row(Kernel kernel, index_t rows, unsigned long long* error,
                                                            Args... args) {
  for (index_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const block_team team(r, error);
    kernel(team, r, args...);
    __syncthreads();
  }
}

}  // namespace posttrain::cuda::kernels
