#pragma once
// CUDA kernels of the backend, written over tensor views and the core's named functors and
// reductions, so they compute exactly what the host loops compute. One block per row for the
// row ops; grid-stride loops everywhere so any extent fits the grid limits.

#if !defined(__CUDACC__)
#error "posttrain/backends/cuda/kernels.cuh holds CUDA kernels: compile this translation unit with nvcc"
#endif

#include <cstdint>

#include <posttrain/core.hpp>

namespace posttrain::cuda::kernels {

inline constexpr int block_threads = 256;

template <class T>
struct rank2 {
  using type = tensor_view<T, 2, cuda_space>;
};

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

/// Grid-stride loop over [0, n): body(e, load(e)), with `Unroll` loads issued before their
/// values are used (see for_row_elements; in place stays correct for the same reason).
template <int Unroll = 4, class Load, class Body>
__device__ void for_elements(index_t n, const Load& load, const Body& body) {
  const index_t step = static_cast<index_t>(gridDim.x) * blockDim.x;
  index_t e = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x;
  for (; e + (Unroll - 1) * step < n; e += Unroll * step) {
    decltype(load(e)) v[Unroll];
#pragma unroll
    for (int u = 0; u < Unroll; ++u) v[u] = load(e + u * step);
#pragma unroll
    for (int u = 0; u < Unroll; ++u) body(e + u * step, v[u]);
  }
  for (; e < n; e += step) body(e, load(e));
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

/// Visits j = threadIdx.x, threadIdx.x + blockDim.x, ... < cols, calling body(j, load(j)), with
/// `Unroll` loads issued before their values are used. A thread has no out-of-order execution:
/// without this, one load per thread is in flight and a row pass reaches ~60% of the memory
/// bandwidth on an H100. Loads for one group are all issued before any body runs, which stays
/// correct when body writes the elements being loaded (in-place softmax): the group's
/// positions are distinct.
template <int Unroll = 4, class Load, class Body>
__device__ void for_row_elements(index_t cols, const Load& load, const Body& body) {
  const index_t step = blockDim.x;
  index_t j = threadIdx.x;
  for (; j + (Unroll - 1) * step < cols; j += Unroll * step) {
    decltype(load(j)) v[Unroll];
#pragma unroll
    for (int u = 0; u < Unroll; ++u) v[u] = load(j + u * step);
#pragma unroll
    for (int u = 0; u < Unroll; ++u) body(j + u * step, v[u]);
  }
  for (; j < cols; j += step) body(j, load(j));
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

/// y(i, t) = x(i, t) + c(i, t) · y(i, t + 1): one thread per row.
template <class T, class Coeff>
__global__ void reverse_scan(tensor_view<const T, 2, cuda_space> x, Coeff c, tensor_view<T, 2, cuda_space> y) {
  const index_t cols = x.extent(1);
  for (index_t i = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; i < x.extent(0);
       i += static_cast<index_t>(gridDim.x) * blockDim.x) {
    T next = T(0);
    for (index_t t = cols; t-- > 0;) {
      T coeff;
      if constexpr (std::is_arithmetic_v<Coeff>) coeff = c;
      else coeff = c(i, t);
      next = x(i, t) + coeff * next;
      y(i, t) = next;
    }
  }
}

}  // namespace posttrain::cuda::kernels
