// SPDX-License-Identifier: Apache-2.0
#pragma once
// The host-API half of the CUDA backend: error checks, the RAII context (stream, cuBLAS handle,
// workspace), device buffers, copies between spaces and cuBLAS GEMM on row-major views. It
// compiles with any C++20 compiler given the CUDA toolkit's headers, so a g++ translation unit
// can own the context and the data; the kernels are in posttrain/backends/cuda.cuh (nvcc).

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include <posttrain/core.hpp>
#include <posttrain/core/detail/blas_layout.hpp>

#define POSTTRAIN_CUDA_CHECK(expr) ::posttrain::cuda::detail::check_cuda((expr), #expr, __FILE__, __LINE__)
#define POSTTRAIN_CUBLAS_CHECK(expr) ::posttrain::cuda::detail::check_cublas((expr), #expr, __FILE__, __LINE__)

namespace posttrain::cuda {
namespace detail {

inline void check_cuda(cudaError_t status, const char* expr, const char* file, int line) {
  if (status != cudaSuccess)
    throw runtime_error(posttrain::detail::message("posttrain: CUDA error ", cudaGetErrorName(status), " (",
                                                   cudaGetErrorString(status), ") in ", expr, " at ", file, ":", line));
}

inline void check_cublas(cublasStatus_t status, const char* expr, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw runtime_error(posttrain::detail::message("posttrain: cuBLAS error ", cublasGetStatusName(status), " in ",
                                                   expr, " at ", file, ":", line));
}

}  // namespace detail

/// Number of CUDA devices visible (0 when there is no driver or no GPU; never throws).
inline int device_count() noexcept {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

/// Owning device array (cudaMalloc), move-only; view() gives a tensor_view in cuda_space.
template <class T, std::size_t Rank>
class device_buffer {
 public:
  using value_type = T;
  device_buffer() = default;
  explicit device_buffer(const index_t (&extents)[Rank]) {
    size_ = 1;
    for (std::size_t r = 0; r < Rank; ++r) {
      if (extents[r] < 0)
        throw shape_error(posttrain::detail::message("device_buffer: extent ", r, " is negative (", extents[r], ")"));
      extents_[r] = extents[r];
      size_ *= extents[r];
    }
    if (size_ > 0) POSTTRAIN_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), sizeof(T) * static_cast<std::size_t>(size_)));
  }
  device_buffer(device_buffer&& o) noexcept { swap(o); }
  device_buffer& operator=(device_buffer&& o) noexcept {
    device_buffer(std::move(o)).swap(*this);
    return *this;
  }
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  ~device_buffer() {
    if (data_) cudaFree(data_);
  }

  index_t size() const noexcept { return size_; }
  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  tensor_view<T, Rank, cuda_space> view() noexcept { return make_view<T>(data_); }
  tensor_view<const T, Rank, cuda_space> view() const noexcept { return make_view<const T>(data_); }

 private:
  void swap(device_buffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    for (std::size_t r = 0; r < Rank; ++r) std::swap(extents_[r], o.extents_[r]);
  }
  template <class U>
  tensor_view<U, Rank, cuda_space> make_view(U* p) const noexcept {
    index_t strides[Rank];
    index_t s = 1;
    for (std::size_t r = Rank; r-- > 0;) {
      strides[r] = s;
      s *= extents_[r];
    }
    return tensor_view<U, Rank, cuda_space>(p, extents_, strides);
  }
  T* data_ = nullptr;
  index_t size_ = 0;
  index_t extents_[Rank] = {};
};

/// Device scratch memory a backend may use for small temporaries and error flags.
struct workspace {
  void* data = nullptr;
  std::size_t bytes = 0;
};

/// Owns what a cuda_backend refers to: a stream, a cuBLAS handle bound to it, a workspace.
/// Create one per thread that issues work; backends made from it are cheap copies.
class context {
 public:
  explicit context(int device = 0, std::size_t workspace_bytes = 1 << 20) {
    try {
      POSTTRAIN_CUDA_CHECK(cudaSetDevice(device));
      POSTTRAIN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
      POSTTRAIN_CUBLAS_CHECK(cublasCreate(&cublas_));
      POSTTRAIN_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
      POSTTRAIN_CUDA_CHECK(cudaMalloc(&workspace_.data, workspace_bytes));
      workspace_.bytes = workspace_bytes;
    } catch (...) {
      release();  // a constructor that throws runs no destructor
      throw;
    }
  }
  context(const context&) = delete;
  context& operator=(const context&) = delete;
  ~context() { release(); }
  cudaStream_t stream() const noexcept { return stream_; }
  cublasHandle_t cublas() const noexcept { return cublas_; }
  cuda::workspace workspace() const noexcept { return workspace_; }
  void synchronize() const { POSTTRAIN_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  void release() noexcept {
    if (workspace_.data) cudaFree(workspace_.data);
    if (cublas_) cublasDestroy(cublas_);
    if (stream_) cudaStreamDestroy(stream_);
    workspace_ = {};
    cublas_ = nullptr;
    stream_ = nullptr;
  }
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cuda::workspace workspace_;
};

/// Copies between host and device (either direction, or device to device) when both views are
/// dense, or both have unit column stride (a pitched 2-D copy). Returns false, copying
/// nothing, for any other layout (the backend then stages through a dense buffer).
/// A copy that involves host memory is complete when this returns.
template <class T, class S, class D>
bool try_copy(cudaStream_t stream, tensor_view<const T, 2, S> src, tensor_view<T, 2, D> dst) {
  constexpr bool src_host = S::host_accessible, dst_host = D::host_accessible;
  const auto kind = src_host ? (dst_host ? cudaMemcpyHostToHost : cudaMemcpyHostToDevice)
                             : (dst_host ? cudaMemcpyDeviceToHost : cudaMemcpyDeviceToDevice);
  const index_t rows = src.extent(0), cols = src.extent(1);
  if (rows == 0 || cols == 0) return true;
  const auto row_bytes = sizeof(T) * static_cast<std::size_t>(cols);
  if (src.is_contiguous() && dst.is_contiguous()) {
    POSTTRAIN_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), row_bytes * static_cast<std::size_t>(rows), kind, stream));
  } else if ((src.stride(1) == 1 || cols == 1) && (dst.stride(1) == 1 || cols == 1) && src.stride(0) >= cols &&
             dst.stride(0) >= cols) {
    POSTTRAIN_CUDA_CHECK(cudaMemcpy2DAsync(dst.data(), sizeof(T) * dst.stride(0), src.data(), sizeof(T) * src.stride(0),
                                           row_bytes, static_cast<std::size_t>(rows), kind, stream));
  } else {
    return false;
  }
  if (src_host || dst_host) POSTTRAIN_CUDA_CHECK(cudaStreamSynchronize(stream));
  return true;
}

/// C = alpha · A · B + beta · C on row-major (or transposed) device views with cuBLAS: the
/// row-major product is the column-major product of the transposes, C^T = B^T · A^T, so the
/// operands are passed swapped. Each view needs a unit stride on one axis; C a unit column
/// stride. Returns false, doing nothing, when a layout has no BLAS form.
template <class T>
bool try_gemm(cublasHandle_t handle, tensor_view<const T, 2, cuda_space> a, tensor_view<const T, 2, cuda_space> b,
              tensor_view<T, 2, cuda_space> c, T alpha, T beta) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "cuBLAS GEMM: float or double");
  const auto la = posttrain::detail::blas_layout_of(a), lb = posttrain::detail::blas_layout_of(b),
             lc = posttrain::detail::blas_layout_of(c);
  if (!la || !lb || !lc || lc->transposed) return false;
  const auto op = [](bool t) { return t ? CUBLAS_OP_T : CUBLAS_OP_N; };
  const int m = static_cast<int>(c.extent(0)), n = static_cast<int>(c.extent(1)), k = static_cast<int>(a.extent(1));
  if constexpr (std::is_same_v<T, float>)
    POSTTRAIN_CUBLAS_CHECK(cublasSgemm(handle, op(lb->transposed), op(la->transposed), n, m, k, &alpha, b.data(),
                                       static_cast<int>(lb->ld), a.data(), static_cast<int>(la->ld), &beta, c.data(),
                                       static_cast<int>(lc->ld)));
  else
    POSTTRAIN_CUBLAS_CHECK(cublasDgemm(handle, op(lb->transposed), op(la->transposed), n, m, k, &alpha, b.data(),
                                       static_cast<int>(lb->ld), a.data(), static_cast<int>(la->ld), &beta, c.data(),
                                       static_cast<int>(lc->ld)));
  return true;
}

}  // namespace posttrain::cuda
