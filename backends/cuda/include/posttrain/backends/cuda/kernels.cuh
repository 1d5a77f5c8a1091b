// SPDX-License-Identifier: Apache-2.0
#pragma once
// CUDA kernels of the backend, written over tensor views and the core's named functors and
// reductions, so they compute exactly what the host loops compute. One block per row for the
// row ops; grid-stride loops everywhere so any extent fits the grid limits.

#if !defined(__CUDACC__)
#error "posttrain/backends/cuda/kernels.cuh holds CUDA kernels: compile this translation unit with nvcc"
#endif

#include <cstdint>
#include <type_traits>

#include <posttrain/core.hpp>
#include <posttrain/core/detail/order_key.hpp>

namespace posttrain::cuda::kernels {

inline constexpr int block_threads = 256;

/// out(i, j) = f(in(i, j)...) over every element, grid-stride.
template <class F, class T, class... In>
__global__ void map(F f, tensor_view<T, 2, cuda_space> out, In... in) {
  const index_t cols = out.extent(1), n = out.extent(0) * cols;
  for (index_t e = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<index_t>(gridDim.x) * blockDim.x) {
    const index_t i = e / cols, j = e - i * cols;
    out(i, j) = static_cast<T>(f(in(i, j)...));
  }
}

/// Visits e = first, first + step, ... < end, calling body(e, load(e)), with `Unroll` loads
/// issued before their values are used. A GPU thread has no out-of-order execution: without
/// this, one load per thread is in flight and a pass over memory reaches ~60% of the bandwidth
/// on an H100. All loads of a group are issued before any body runs, which stays correct when
/// body writes the elements being loaded (in place): a group's positions are distinct.
template <int Unroll = 4, class Load, class Body>
__device__ void unrolled_loop(index_t first, index_t end, index_t step, const Load& load, const Body& body) {
  index_t e = first;
  for (; e + (Unroll - 1) * step < end; e += Unroll * step) {
    decltype(load(e)) v[Unroll];
#pragma unroll
    for (int u = 0; u < Unroll; ++u) v[u] = load(e + u * step);
#pragma unroll
    for (int u = 0; u < Unroll; ++u) body(e + u * step, v[u]);
  }
  for (; e < end; e += step) body(e, load(e));
}

/// The whole grid over [0, n).
template <class Load, class Body>
__device__ void for_elements(index_t n, const Load& load, const Body& body) {
  unrolled_loop(blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x, n,
                static_cast<index_t>(gridDim.x) * blockDim.x, load, body);
}

/// The block over the columns [0, cols) of its row.
template <class Load, class Body>
__device__ void for_row_elements(index_t cols, const Load& load, const Body& body) {
  unrolled_loop(threadIdx.x, cols, blockDim.x, load, body);
}

/// map over dense row-major views: flat indices, no division per element.
template <class F, class T, class... In>
__global__ void map_dense(F f, T* out, index_t n, const In*... in) {
  for_elements(
      n, [&](index_t e) { return static_cast<T>(f(in[e]...)); }, [&](index_t e, T v) { out[e] = v; });
}

template <class T>
__global__ void fill_dense(T* out, index_t n, T value) {
  const index_t step = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t e = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; e < n; e += step) out[e] = value;
}

template <class T>
__global__ void fill(tensor_view<T, 2, cuda_space> out, T value) {
  const index_t cols = out.extent(1), n = out.extent(0) * cols;
  for (index_t e = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<index_t>(gridDim.x) * blockDim.x) {
    const index_t i = e / cols;
    out(i, e - i * cols) = value;
  }
}

/// Merges the block's per-thread accumulators (blockDim.x ≤ MaxThreads, a power of two); every
/// thread gets the result. Shared storage is raw bytes because accumulators may be structs.
template <int MaxThreads = block_threads, class R, class Acc>
__device__ Acc block_merge(const R& red, Acc acc) {
  __shared__ alignas(16) unsigned char raw[MaxThreads * sizeof(Acc)];
  Acc* buf = reinterpret_cast<Acc*>(raw);
  buf[threadIdx.x] = acc;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) buf[threadIdx.x] = red.merge(buf[threadIdx.x], buf[threadIdx.x + s]);
    __syncthreads();
  }
  acc = buf[0];
  __syncthreads();  // buf may be reused by the caller's next row
  return acc;
}

/// out(i) = red over j of f(in(i, j)...): one block per row (grid-stride over rows).
template <class R, class F, class O, class... In>
__global__ void transform_reduce(R red, F f, tensor_view<O, 1, cuda_space> out, index_t cols, In... in) {
  for (index_t i = blockIdx.x; i < out.extent(0); i += gridDim.x) {
    auto acc = red.init();
    for_row_elements(
        cols, [&](index_t j) { return f(in(i, j)...); }, [&](index_t j, auto v) { acc = red.combine(acc, v, j); });
    acc = block_merge(red, acc);
    if (threadIdx.x == 0) out(i) = static_cast<O>(red.result(acc));
  }
}

/// Row-wise softmax (Log = false) or log_softmax (Log = true): the one-pass logsumexp of the
/// row, then one write pass. Same answers as the host for all -inf, NaN and +inf rows.
template <bool Log, class T>
__global__ void softmax(tensor_view<const T, 2, cuda_space> x, tensor_view<T, 2, cuda_space> y) {
  const reduction::logsumexp<T> red;
  const index_t cols = x.extent(1);
  for (index_t i = blockIdx.x; i < x.extent(0); i += gridDim.x) {
    auto acc = red.init();
    const auto load = [&](index_t j) { return x(i, j); };
    for_row_elements(cols, load, [&](index_t j, T v) { acc = red.combine(acc, v, j); });
    const T lse = red.result(block_merge(red, acc));
    for_row_elements(cols, load, [&](index_t j, T v) {
      if constexpr (Log) y(i, j) = fn::minus_normaliser{}(v, lse);
      else y(i, j) = fn::exp_minus{}(v, lse);
    });
  }
}

/// (value, index) order of topk, as detail::host::ranks_before.
template <class T>
__device__ bool ranks_before(T a, index_t ia, T b, index_t ib) {
  const bool an = a != a, bn = b != b;
  if (an != bn) return an;
  if (an || a == b) return ia < ib;
  return a > b;
}

template <class T>
struct topk_pick {
  struct accumulator {
    T value;
    index_t column;
  };
  __device__ accumulator init() const { return {T(0), -1}; }
  __device__ accumulator merge(accumulator a, accumulator b) const {
    if (a.column < 0) return b;
    if (b.column < 0) return a;
    return ranks_before(a.value, a.column, b.value, b.column) ? a : b;
  }
};

/// Top-k per row by k rounds of a block-wide selection: round r picks the best element ranked
/// after round r-1's pick in the (value desc, index asc) order. O(k·C) per row, no scratch.
template <class T, class I>
__global__ void topk(tensor_view<const T, 2, cuda_space> x, tensor_view<T, 2, cuda_space> values,
                     tensor_view<I, 2, cuda_space> indices) {
  const topk_pick<T> pick;
  const index_t cols = x.extent(1), k = values.extent(1);
  for (index_t i = blockIdx.x; i < x.extent(0); i += gridDim.x) {
    T prev_value = T(0);
    index_t prev_column = -1;
    for (index_t r = 0; r < k; ++r) {
      auto acc = pick.init();
      for (index_t j = threadIdx.x; j < cols; j += blockDim.x) {
        const T v = x(i, j);
        if (prev_column >= 0 && !ranks_before(prev_value, prev_column, v, j)) continue;
        acc = pick.merge(acc, {v, j});
      }
      acc = block_merge(pick, acc);
      if (threadIdx.x == 0) {
        values(i, r) = acc.value;
        indices(i, r) = static_cast<I>(acc.column);
      }
      prev_value = acc.value;
      prev_column = acc.column;
    }
  }
}

/// Exclusive prefix sum of v over the block (blockDim.x a multiple of 32), and the block's
/// total. Every thread of the block must call it.
__device__ inline int block_exclusive_sum(int v, int& total) {
  __shared__ int warp_sums[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  int inclusive = v;
  for (int d = 1; d < 32; d <<= 1) {
    const int n = __shfl_up_sync(0xffffffffu, inclusive, d);
    if (lane >= d) inclusive += n;
  }
  if (lane == 31) warp_sums[warp] = inclusive;
  __syncthreads();
  if (warp == 0) {
    int w = lane < warps ? warp_sums[lane] : 0;
    for (int d = 1; d < 32; d <<= 1) {
      const int n = __shfl_up_sync(0xffffffffu, w, d);
      if (lane >= d) w += n;
    }
    if (lane < warps) warp_sums[lane] = w;
  }
  __syncthreads();
  const int before = (warp == 0 ? 0 : warp_sums[warp - 1]) + inclusive - v;
  total = warp_sums[warps - 1];
  __syncthreads();  // warp_sums is reused by the next call
  return before;
}

using posttrain::detail::order_key;

inline constexpr index_t radix_topk_max_k = 1024;

/// Top-k per row by radix selection (k ≤ radix_topk_max_k): find the key of the k-th largest
/// element one byte at a time with a 256-bin histogram (4 passes for f32, 8 for f64), collect
/// the elements above it and, in index order, the first ones equal to it, then place each of
/// the k by counting how many of the others rank before it. O(C) per row instead of O(k·C).
template <class T, class I>
__global__ void topk_radix(tensor_view<const T, 2, cuda_space> x, tensor_view<T, 2, cuda_space> values,
                           tensor_view<I, 2, cuda_space> indices) {
  using key_t = typename order_key<T>::type;
  __shared__ int histogram[256];
  __shared__ int selected_digit, still_needed;
  __shared__ T picked_values[radix_topk_max_k];
  __shared__ index_t picked_columns[radix_topk_max_k];
  const index_t cols = x.extent(1), k = values.extent(1);
  for (index_t i = blockIdx.x; i < x.extent(0); i += gridDim.x) {
    // 1. The key of the k-th largest element, most significant byte first.
    key_t prefix = 0, prefix_mask = 0;
    if (threadIdx.x == 0) still_needed = static_cast<int>(k);
    for (int shift = 8 * sizeof(key_t) - 8; shift >= 0; shift -= 8) {
      for (int b = threadIdx.x; b < 256; b += blockDim.x) histogram[b] = 0;
      __syncthreads();
      for (index_t j = threadIdx.x; j < cols; j += blockDim.x) {
        const key_t key = order_key<T>::of(x(i, j));
        if ((key & prefix_mask) == prefix) atomicAdd(&histogram[(key >> shift) & 255], 1);
      }
      __syncthreads();
      if (threadIdx.x == 0) {
        int above = 0, digit = 255;
        while (above + histogram[digit] < still_needed) above += histogram[digit--];
        selected_digit = digit;
        still_needed -= above;
      }
      __syncthreads();
      prefix |= key_t(selected_digit) << shift;
      prefix_mask |= key_t(255) << shift;
    }
    const key_t threshold = prefix;
    const int equal_needed = still_needed;  // how many elements equal to the threshold are taken
    const int above_total = static_cast<int>(k) - equal_needed;

    // 2. Collect, chunk by chunk in column order: every element above the threshold, and the
    // first equal_needed elements equal to it (ties go to the lower index).
    int above_taken = 0, equal_taken = 0;
    for (index_t chunk = 0; chunk < cols && (above_taken < above_total || equal_taken < equal_needed);
         chunk += blockDim.x) {
      const index_t j = chunk + threadIdx.x;
      int above = 0, equal = 0;
      T v{};
      if (j < cols) {
        v = x(i, j);
        const key_t key = order_key<T>::of(v);
        above = key > threshold;
        equal = key == threshold;
      }
      int rank, total;  // both counts in one scan: above in the high half, equal in the low
      rank = block_exclusive_sum((above << 16) | equal, total);
      if (above) {
        const int slot = above_taken + (rank >> 16);
        picked_values[slot] = v;
        picked_columns[slot] = j;
      } else if (equal && equal_taken + (rank & 0xFFFF) < equal_needed) {
        const int slot = above_total + equal_taken + (rank & 0xFFFF);
        picked_values[slot] = v;
        picked_columns[slot] = j;
      }
      above_taken += total >> 16;
      equal_taken += total & 0xFFFF;
    }
    __syncthreads();

    // 3. Each picked element's output position is the number of picked elements ranked before it.
    for (index_t a = threadIdx.x; a < k; a += blockDim.x) {
      const T va = picked_values[a];
      const index_t ca = picked_columns[a];
      index_t position = 0;
      for (index_t b = 0; b < k; ++b) position += ranks_before(picked_values[b], picked_columns[b], va, ca);
      values(i, position) = va;
      indices(i, position) = static_cast<I>(ca);
    }
    __syncthreads();  // the picked arrays are reused by the next row
  }
}

/// out(i, j) = x(i, index(i, j)); an index outside [0, C) writes 0 and records the smallest
/// offending flat position in *bad (initialised to UINT64_MAX by the caller).
template <class T, class I>
__global__ void gather(tensor_view<const T, 2, cuda_space> x, tensor_view<const I, 2, cuda_space> index,
                       tensor_view<T, 2, cuda_space> out, unsigned long long* bad) {
  const index_t cols = out.extent(1), n = out.extent(0) * cols;
  for (index_t e = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<index_t>(gridDim.x) * blockDim.x) {
    const index_t i = e / cols, j = e - i * cols;
    const auto c = static_cast<index_t>(index(i, j));
    if (c < 0 || c >= x.extent(1)) {
      atomicMin(bad, static_cast<unsigned long long>(e));
      out(i, j) = T(0);
    } else {
      out(i, j) = x(i, c);
    }
  }
}

template <class T, class Coeff>
__device__ T coefficient(const Coeff& c, index_t i, index_t t) {
  if constexpr (std::is_arithmetic_v<Coeff>) return static_cast<T>(c);
  else return c(i, t);
}

/// y(i, t) = x(i, t) + c(i, t) · y(i, t + 1), y(i, T) = 0: one warp per row, 32 columns at a
/// time from the end. Each step is an affine map y_t = a_t + b_t · y_{t+1}; a warp suffix-scan
/// composes the maps of its 32 columns ((a, b) then (a', b') is (a + b·a', b·b')), so each
/// lane gets y_t = A_t + B_t · carry, with carry the y of the column after the chunk. Loads are
/// coalesced along the row and the next chunk is loaded while this one is scanned.
template <class T, class Coeff>
__global__ void reverse_scan(tensor_view<const T, 2, cuda_space> x, Coeff c, tensor_view<T, 2, cuda_space> y) {
  constexpr unsigned full = 0xffffffffu;
  const int lane = threadIdx.x & 31;
  const index_t warps = blockDim.x >> 5, cols = x.extent(1), chunks = (cols + 31) / 32;
  for (index_t i = blockIdx.x * warps + (threadIdx.x >> 5); i < x.extent(0); i += gridDim.x * warps) {
    const auto load = [&](index_t chunk, T& a, T& b) {
      const index_t t = chunk * 32 + lane;
      a = T(0);
      b = T(1);  // past the end: the identity map
      if (chunk >= 0 && t < cols) {
        a = x(i, t);
        b = coefficient<T>(c, i, t);
      }
    };
    T carry = T(0), a, b, next_a, next_b;
    load(chunks - 1, a, b);
    for (index_t chunk = chunks - 1; chunk >= 0; --chunk) {
      load(chunk - 1, next_a, next_b);
      for (int d = 1; d < 32; d <<= 1) {
        const T a2 = __shfl_down_sync(full, a, d), b2 = __shfl_down_sync(full, b, d);
        if (lane + d < 32) {
          a = a + b * a2;
          b = b * b2;
        }
      }
      const T value = a + b * carry;
      const index_t t = chunk * 32 + lane;
      if (t < cols) y(i, t) = value;
      carry = __shfl_sync(full, value, 0);
      a = next_a;
      b = next_b;
    }
  }
}

}  // namespace posttrain::cuda::kernels
