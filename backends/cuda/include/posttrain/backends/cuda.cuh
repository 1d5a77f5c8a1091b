// SPDX-License-Identifier: Apache-2.0
#pragma once
// posttrain::cuda_backend{stream, cublas, workspace}: device memory, cuBLAS GEMM, CUDA kernels
// for map, fill, the row reductions (logsumexp, argmax, sums, ...), softmax, top-k, gather, the
// reverse scan and row kernels (ops::for_each_row). Compile with nvcc (-std=c++20). The objects
// it refers to are owned by a cuda::context (posttrain/backends/cuda/runtime.hpp, usable from g++
// translation units too):
//
//   posttrain::cuda::context ctx;              // stream + cuBLAS handle + workspace
//   posttrain::cuda_backend be{ctx};
//   posttrain::ops::softmax(be, logits, probs);   // views in cuda_space
//
// Ops are asynchronous on the backend's stream, except deep_copy to or from the host and ops
// that must report bad input found on the device (gather, for_each_row), which synchronise.
//
// The row kernels use CUB, which brings CCCL's global namespace `cuda` (libcu++): after
// `using namespace posttrain;`, write posttrain::cuda::context, not cuda::context (ambiguous).

#if !defined(__CUDACC__)
#error "posttrain/backends/cuda.cuh holds CUDA kernels: compile this translation unit with nvcc (or include posttrain/backends/cuda/runtime.hpp for the host API)"
#endif

#include <algorithm>
#include <cstdint>

#include <cusolverDn.h>

#include <posttrain/backends/cuda/kernels.cuh>
#include <posttrain/backends/cuda/row_kernel.cuh>
#include <posttrain/backends/cuda/runtime.hpp>

namespace posttrain {

struct cuda_backend {
  using memory_space = cuda_space;
  static constexpr bool is_backend = true;
  using overrides =
      ops::op_list<ops::op::allocate, ops::op::deep_copy, ops::op::fill, ops::op::copy, ops::op::map,
                   ops::op::transform_reduce, ops::op::gemm, ops::op::softmax, ops::op::log_softmax, ops::op::topk,
                   ops::op::gather, ops::op::reverse_scan, ops::op::for_each_row, ops::op::symmetric_eigen>;
  static constexpr const char* name = "cuda";

  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cuda::workspace workspace{};

  cuda_backend(cudaStream_t s, cublasHandle_t h, cuda::workspace w) : stream(s), cublas(h), workspace(w) {}
  explicit cuda_backend(const cuda::context& ctx) : cuda_backend(ctx.stream(), ctx.cublas(), ctx.workspace()) {}

  template <class T, std::size_t Rank>
  cuda::device_buffer<T, Rank> allocate(const index_t (&extents)[Rank]) const {
    return cuda::device_buffer<T, Rank>(extents);
  }

  void synchronize() const { POSTTRAIN_CUDA_CHECK(cudaStreamSynchronize(stream)); }

  /// Copies between host and device or within the device; a layout that the copy engine cannot
  /// take in one call goes through a dense device buffer and the copy kernel.
  template <class T, std::size_t Rank, class S, class D>
  void deep_copy(tensor_view<const T, Rank, S> src, tensor_view<T, Rank, D> dst) const {
    const auto s = as_matrix(src);
    const auto d = as_matrix(dst);
    if (cuda::try_copy(stream, s, d)) return;
    if constexpr (!S::host_accessible && !D::host_accessible) {
      copy(s, d);
    } else if constexpr (S::host_accessible && D::host_accessible) {
      ops::copy(sequential_backend{}, s, d);
    } else {
      cuda::device_buffer<T, 2> staging({s.extent(0), s.extent(1)});
      if constexpr (S::host_accessible) {  // host -> dense device -> strided device
        host_buffer<T, 2> dense({s.extent(0), s.extent(1)});
        ops::copy(sequential_backend{}, s, dense.view());
        cuda::try_copy(stream, tensor_view<const T, 2, host_space>(dense.view()), staging.view());
        copy(tensor_view<const T, 2, cuda_space>(staging.view()), d);
      } else {  // strided device -> dense device -> host
        copy(s, staging.view());
        host_buffer<T, 2> dense({s.extent(0), s.extent(1)});
        cuda::try_copy(stream, tensor_view<const T, 2, cuda_space>(staging.view()), dense.view());
        ops::copy(sequential_backend{}, tensor_view<const T, 2, host_space>(dense.view()), d);
      }
    }
  }

  template <class T>
  void fill(tensor_view<T, 2, cuda_space> out, T value) const {
    if (out.empty()) return;
    if (out.is_contiguous()) {
      cuda::kernels::fill_dense<<<grid_for(out.size()), cuda::kernels::block_threads, 0, stream>>>(out.data(), out.size(), value);
      return check_launch();
    }
    cuda::kernels::fill<<<grid_for(out.size()), cuda::kernels::block_threads, 0, stream>>>(out, value);
    check_launch();
  }

  template <class T>
  void copy(tensor_view<const T, 2, cuda_space> src, tensor_view<T, 2, cuda_space> dst) const {
    if (cuda::try_copy(stream, src, dst)) return;
    map(fn::identity{}, dst, src);
  }

  template <class F, class T, class... In>
  void map(const F& f, tensor_view<T, 2, cuda_space> out, const In&... in) const {
    if (out.empty()) return;
    if (out.is_contiguous() && (in.is_contiguous() && ...)) {
      cuda::kernels::map_dense<<<grid_for(out.size()), cuda::kernels::block_threads, 0, stream>>>(f, out.data(), out.size(),
                                                                                               in.data()...);
      return check_launch();
    }
    cuda::kernels::map<<<grid_for(out.size()), cuda::kernels::block_threads, 0, stream>>>(f, out, in...);
    check_launch();
  }

  template <class R, class F, class O, class... In>
  void transform_reduce(const R& red, const F& f, tensor_view<O, 1, cuda_space> out, const In&... in) const {
    if (out.extent(0) == 0) return;
    const index_t cols = (in.extent(1), ...);
    cuda::kernels::transform_reduce<<<row_grid(out.extent(0)), cuda::kernels::block_threads, 0, stream>>>(red, f, out, cols, in...);
    check_launch();
  }

  template <class T>
  void gemm(tensor_view<const T, 2, cuda_space> a, tensor_view<const T, 2, cuda_space> b,
            tensor_view<T, 2, cuda_space> c, T alpha, T beta) const {
    if (cuda::try_gemm(cublas, a, b, c, alpha, beta)) return;
    // A layout cuBLAS cannot take: make every operand dense, multiply, copy back.
    cuda::device_buffer<T, 2> ad({a.extent(0), a.extent(1)}), bd({b.extent(0), b.extent(1)}),
        cd({c.extent(0), c.extent(1)});
    copy(a, ad.view());
    copy(b, bd.view());
    if (beta != T(0)) copy(tensor_view<const T, 2, cuda_space>(c), cd.view());
    cuda::try_gemm(cublas, std::as_const(ad).view(), std::as_const(bd).view(), cd.view(), alpha, beta);
    copy(std::as_const(cd).view(), c);
  }

  /// cuSOLVER's divide-and-conquer syevd on a copy of a (its lower triangle, read column-major, is
  /// a's upper one), with a solver handle of its own on this backend's stream; values descending
  /// (see core/symmetric_eigen.hpp).
  template <class T>
  void symmetric_eigen(tensor_view<const T, 2, cuda_space> a, tensor_view<T, 1, cuda_space> values,
                       tensor_view<T, 2, cuda_space> vectors) const {
    const index_t m = a.extent(0);
    const auto check = [](cusolverStatus_t status, const char* what) {
      if (status != CUSOLVER_STATUS_SUCCESS)
        throw runtime_error(detail::message("posttrain: cuSOLVER error ", int(status), " in ", what));
    };
    struct solver {
      cusolverDnHandle_t handle = nullptr;
      ~solver() {
        if (handle) cusolverDnDestroy(handle);
      }
    } dn;
    check(cusolverDnCreate(&dn.handle), "cusolverDnCreate");
    check(cusolverDnSetStream(dn.handle, stream), "cusolverDnSetStream");
    cuda::device_buffer<T, 2> w({m, m});
    cuda::device_buffer<T, 1> ascending({m});
    cuda::device_buffer<int, 1> info({1});
    copy(a, w.view());
    const auto n = static_cast<int>(m);
    constexpr auto mode = CUSOLVER_EIG_MODE_VECTOR;
    constexpr auto lower = CUBLAS_FILL_MODE_LOWER;
    int lwork = 0;
    if constexpr (std::is_same_v<T, float>)
      check(cusolverDnSsyevd_bufferSize(dn.handle, mode, lower, n, w.view().data(), n, ascending.view().data(), &lwork),
            "cusolverDnSsyevd_bufferSize");
    else
      check(cusolverDnDsyevd_bufferSize(dn.handle, mode, lower, n, w.view().data(), n, ascending.view().data(), &lwork),
            "cusolverDnDsyevd_bufferSize");
    cuda::device_buffer<T, 1> work({index_t(lwork > 0 ? lwork : 1)});
    if constexpr (std::is_same_v<T, float>)
      check(cusolverDnSsyevd(dn.handle, mode, lower, n, w.view().data(), n, ascending.view().data(), work.view().data(),
                             lwork, info.view().data()),
            "cusolverDnSsyevd");
    else
      check(cusolverDnDsyevd(dn.handle, mode, lower, n, w.view().data(), n, ascending.view().data(), work.view().data(),
                             lwork, info.view().data()),
            "cusolverDnDsyevd");
    int status = 0;
    deep_copy(tensor_view<const int, 1, cuda_space>(info.view()), tensor_view<int, 1, host_space>(&status, 1));
    if (status != 0)
      throw value_error(detail::message("posttrain::ops::symmetric_eigen: cuSOLVER syevd returned info = ", status,
                                        " on a ", a));
    // Eigenvector j is column j of w column-major, row j read row-major.
    ops::for_each_row(*this, m, detail::descending_eigen_kernel{}, tensor_view<const T, 2, cuda_space>(w.view()),
                      tensor_view<const T, 1, cuda_space>(ascending.view()), values, vectors);
  }

  template <class T>
  void softmax(tensor_view<const T, 2, cuda_space> x, tensor_view<T, 2, cuda_space> y) const {
    launch_softmax<false>(x, y);
  }
  template <class T>
  void log_softmax(tensor_view<const T, 2, cuda_space> x, tensor_view<T, 2, cuda_space> y) const {
    launch_softmax<true>(x, y);
  }

  template <class T, class I>
  void topk(tensor_view<const T, 2, cuda_space> x, tensor_view<T, 2, cuda_space> values,
            tensor_view<I, 2, cuda_space> indices) const {
    if (x.extent(0) == 0 || values.extent(1) == 0) return;
    if (values.extent(1) <= cuda::kernels::radix_topk_max_k) {
      cuda::kernels::topk_radix<<<row_grid(x.extent(0)), cuda::kernels::block_threads, 0, stream>>>(x, values, indices);
      return check_launch();
    }
    cuda::kernels::topk<<<row_grid(x.extent(0)), cuda::kernels::block_threads, 0, stream>>>(x, values, indices);
    check_launch();
  }

  template <class T, class I>
  void gather(tensor_view<const T, 2, cuda_space> x, tensor_view<const I, 2, cuda_space> index,
              tensor_view<T, 2, cuda_space> out) const {
    if (out.empty()) return;
    auto* bad = static_cast<unsigned long long*>(workspace.data);
    const unsigned long long none = ~0ull;
    POSTTRAIN_CUDA_CHECK(cudaMemcpyAsync(bad, &none, sizeof none, cudaMemcpyHostToDevice, stream));
    cuda::kernels::gather<<<grid_for(out.size()), cuda::kernels::block_threads, 0, stream>>>(x, index, out, bad);
    check_launch();
    unsigned long long first = none;
    POSTTRAIN_CUDA_CHECK(cudaMemcpyAsync(&first, bad, sizeof first, cudaMemcpyDeviceToHost, stream));
    synchronize();
    if (first != none) {
      const index_t i = static_cast<index_t>(first) / out.extent(1), j = static_cast<index_t>(first) % out.extent(1);
      I value{};
      POSTTRAIN_CUDA_CHECK(cudaMemcpy(&value, &index(i, j), sizeof value, cudaMemcpyDeviceToHost));
      throw value_error(detail::message("posttrain::ops::gather: index(", i, ",", j, ") = ", +value,
                                        " is outside [0, ", x.extent(1), ") of x ", x));
    }
  }

  /// Row kernels: one block per row; synchronises to read back the first position a kernel
  /// flagged (rows < 2^28 and flagged columns < 2^32, the packing of that position).
  template <class Kernel, class... Args>
  row_error for_each_row(index_t rows, const Kernel& kernel, const Args&... args) const {
    if (rows >= (index_t(1) << 28))
      throw value_error(detail::message("posttrain::ops::for_each_row: ", rows,
                                        " rows; the CUDA backend takes fewer than 2^28 per call"));
    auto* error = static_cast<unsigned long long*>(workspace.data);
    const unsigned long long none = cuda::kernels::no_row_error;
    POSTTRAIN_CUDA_CHECK(cudaMemcpyAsync(error, &none, sizeof none, cudaMemcpyHostToDevice, stream));
    cuda::kernels::for_each_row<<<row_grid(rows), cuda::kernels::row_threads, 0, stream>>>(kernel, rows, error, args...);
    check_launch();
    unsigned long long first = none;
    POSTTRAIN_CUDA_CHECK(cudaMemcpyAsync(&first, error, sizeof first, cudaMemcpyDeviceToHost, stream));
    synchronize();
    return cuda::kernels::unpack_row_error(first);
  }

  template <class T, class Coeff>
  void reverse_scan(tensor_view<const T, 2, cuda_space> x, const Coeff& c, tensor_view<T, 2, cuda_space> y) const {
    if (x.empty()) return;
    const auto rows = x.extent(0);  // one warp per row, 8 rows a block
    const auto grid = static_cast<unsigned>(std::min<index_t>((rows + 7) / 8, 1 << 16));
    cuda::kernels::reverse_scan<<<grid, 256, 0, stream>>>(x, c, y);
    check_launch();
  }

 private:
  static unsigned grid_for(index_t n) {
    return static_cast<unsigned>(std::clamp<index_t>((n + cuda::kernels::block_threads - 1) / cuda::kernels::block_threads, 1, 1 << 16));
  }
  static unsigned row_grid(index_t rows) { return static_cast<unsigned>(std::clamp<index_t>(rows, 1, 1 << 16)); }
  static void check_launch() { POSTTRAIN_CUDA_CHECK(cudaGetLastError()); }

  template <bool Log, class T>
  void launch_softmax(tensor_view<const T, 2, cuda_space> x, tensor_view<T, 2, cuda_space> y) const {
    if (x.empty()) return;
    cuda::kernels::softmax<Log><<<row_grid(x.extent(0)), cuda::kernels::block_threads, 0, stream>>>(x, y);
    check_launch();
  }
};

}  // namespace posttrain
