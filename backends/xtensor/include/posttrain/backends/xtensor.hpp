// SPDX-License-Identifier: Apache-2.0
#pragma once
// posttrain::xtensor_backend: host memory, xtensor-blas (OpenBLAS through its cxxblas layer)
// for GEMM, xtensor expressions (xsimd-vectorised) for the row kernels, OpenMP across rows.
// Views enter xtensor as non-owning adaptors here and nowhere else; row maxima and sums use
// xsimd (xtensor's SIMD layer) directly, with independent accumulators. Reductions are evaluated
// into scalars before they are broadcast (xtensor's lazy reducers would be re-evaluated per
// element otherwise).

#include <cmath>
#include <limits>
#include <vector>
#include <xtensor-blas/xblas.hpp>
#include <xtensor-blas/xlapack.hpp>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xsimd/xsimd.hpp>

#include <posttrain/core.hpp>
#include <posttrain/core/detail/blas_layout.hpp>
#include <posttrain/core/detail/parallel.hpp>

namespace posttrain {

struct xtensor_backend {
  using memory_space = host_space;
  static constexpr bool is_backend = true;
  using overrides = ops::op_list<ops::op::gemm, ops::op::softmax, ops::op::log_softmax, ops::op::row_logsumexp,
                                 ops::op::symmetric_eigen>;
  static constexpr const char* name = "xtensor";

  template <class Body>
  void parallel_for(index_t rows, const Body& body) const {
    detail::openmp_for_rows(rows, body);
  }

  /// LAPACK's divide-and-conquer syevd (OpenBLAS ships LAPACK in the library it links), on a copy
  /// of a's upper triangle; values descending (see core/symmetric_eigen.hpp).
  template <class T>
  void symmetric_eigen(tensor_view<const T, 2> a, tensor_view<T, 1> values, tensor_view<T, 2> vectors) const {
    using xt::blas_index_t;
    const index_t m = a.extent(0);
    // Row i of w holds a(i, j ≥ i): read column-major, that is the lower triangle ('L'). LAPACK
    // leaves eigenvector j in column j, which is row j of w read row-major.
    host_buffer<T, 2> w({m, m});
    const auto wv = w.view();
    for (index_t i = 0; i < m; ++i)
      for (index_t j = i; j < m; ++j) wv(i, j) = a(i, j);
    host_buffer<T, 1> ascending({m});
    const auto n = static_cast<blas_index_t>(m);
    T work_size = 0;
    blas_index_t iwork_size = 0;
    auto info = cxxlapack::syevd<blas_index_t>('V', 'L', n, wv.data(), n, ascending.view().data(), &work_size,
                                                blas_index_t(-1), &iwork_size, blas_index_t(-1));
    std::vector<T> work(static_cast<std::size_t>(work_size));
    std::vector<blas_index_t> iwork(static_cast<std::size_t>(iwork_size));
    if (info == 0)
      info = cxxlapack::syevd<blas_index_t>('V', 'L', n, wv.data(), n, ascending.view().data(), work.data(),
                                            static_cast<blas_index_t>(work.size()), iwork.data(),
                                            static_cast<blas_index_t>(iwork.size()));
    if (info != 0)
      throw value_error(detail::message("posttrain::ops::symmetric_eigen: LAPACK syevd returned info = ", info,
                                        " on a ", a));
    ops::for_each_row(*this, m, detail::descending_eigen_kernel{}, tensor_view<const T, 2>(wv),
                      tensor_view<const T, 1>(ascending.view()), values, vectors);
  }

  /// BLAS needs one unit stride per matrix: a row-major view (unit column stride) goes in as
  /// is, a column-major one (unit row stride, e.g. a transposed view) as the transpose of a
  /// row-major matrix. Anything else is copied to a dense temporary first.
  template <class T>
  void gemm(tensor_view<const T, 2> a, tensor_view<const T, 2> b, tensor_view<T, 2> c, T alpha, T beta) const {
    const auto c_layout = detail::blas_layout_of(c);
    if (!c_layout || c_layout->transposed) {  // BLAS writes C row-major here: go through a dense copy
      host_buffer<T, 2> tmp({c.extent(0), c.extent(1)});
      auto t = tmp.view();
      if (beta != T(0)) ops::copy(*this, tensor_view<const T, 2>(c), t);
      gemm(a, b, t, alpha, beta);
      ops::copy(*this, tensor_view<const T, 2>(t), c);
      return;
    }
    host_buffer<T, 2> a_dense, b_dense;
    const auto [a_ptr, a_trans, a_ld] = blas_operand(a, a_dense);
    const auto [b_ptr, b_trans, b_ld] = blas_operand(b, b_dense);
    using xt::blas_index_t;
    cxxblas::gemm<blas_index_t>(cxxblas::StorageOrder::RowMajor, a_trans, b_trans,
                                static_cast<blas_index_t>(c.extent(0)), static_cast<blas_index_t>(c.extent(1)),
                                static_cast<blas_index_t>(a.extent(1)), alpha, a_ptr, a_ld, b_ptr, b_ld, beta, c.data(),
                                static_cast<blas_index_t>(c_layout->ld));
  }

  template <class T>
  void softmax(tensor_view<const T, 2> x, tensor_view<T, 2> y) const {
    softmax_rows<false>(x, y);
  }

  template <class T>
  void log_softmax(tensor_view<const T, 2> x, tensor_view<T, 2> y) const {
    softmax_rows<true>(x, y);
  }

  template <class T, class O>
  void row_logsumexp(tensor_view<const T, 2> x, tensor_view<O, 1> out) const {
    if (!unit_rows(x)) return generic_logsumexp(x, out, 0, x.extent(0));
    parallel_for(x.extent(0), [&](index_t r0, index_t r1) {
      std::vector<T> scratch(static_cast<std::size_t>(x.extent(1)));
      for (index_t i = r0; i < r1; ++i) {
        const T m = row_max(&x(i, 0), x.extent(1));
        if (!plain_row(m)) {
          generic_logsumexp(x, out, i, i + 1);
          continue;
        }
        shifted_exp(&x(i, 0), m, scratch.data(), x.extent(1));
        out(i) = static_cast<O>(m + std::log(sum(scratch.data(), x.extent(1))));
      }
    });
  }

 private:
  /// A vectorised sum of a dense row: 16 independent partial sums (which the compiler maps to
  /// SIMD lanes without needing OpenMP's `simd` or -ffast-math), added pairwise at the end.
  template <class T>
  static T sum(const T* p, index_t n) {
    constexpr index_t lanes = 16;
    T part[lanes] = {};
    index_t j = 0;
    for (; j + lanes <= n; j += lanes)
      for (index_t k = 0; k < lanes; ++k) part[k] += p[j + k];
    for (index_t k = 0; j < n; ++j, ++k) part[k] += p[j];
    for (index_t width = lanes / 2; width > 0; width /= 2)
      for (index_t k = 0; k < width; ++k) part[k] += part[k + width];
    return part[0];
  }

  /// out[j] = exp(x[j] - m) over a dense row of n elements with finite maximum m (out may be x).
  /// A difference below `exp_floor` is raised to it first: its exp is 0 either way (the floor is
  /// below the log of the smallest subnormal, -744.4 in double, -103.3 in float), so no result
  /// changes. The reason is xsimd's exp: it converts its argument times log2(e) to an integer,
  /// one element at a time where the instruction set has no vector conversion (AVX2, AVX-512
  /// without DQ), and that conversion of -inf (a masked element) or of NaN is undefined
  /// behaviour. A NaN goes to exp as the floor, and is put back in the result. Written with
  /// xsimd batches: through xtensor's expressions one select cost 18% in row_logsumexp.
  template <class T>
  static void shifted_exp(const T* x, T m, T* out, index_t n) {
    using batch = xsimd::batch<T>;
    constexpr index_t w = static_cast<index_t>(batch::size);
    const batch shift(m), floor(T(std::numeric_limits<T>::min_exponent - std::numeric_limits<T>::digits));
    index_t j = 0;
    for (; j + w <= n; j += w) {
      const batch d = batch::load_unaligned(x + j) - shift;
      const batch e = xsimd::exp(xsimd::select(d >= floor, d, floor));  // NaN and -inf: floor
      xsimd::select(xsimd::isnan(d), d, e).store_unaligned(out + j);     // and a NaN put back
    }
    for (; j < n; ++j) out[j] = std::exp(x[j] - m);
  }

  template <bool Log, class T>
  void softmax_rows(tensor_view<const T, 2> x, tensor_view<T, 2> y) const {
    if (!unit_rows(x) || !unit_rows(y)) return generic_softmax<Log>(x, y);
    parallel_for(x.extent(0), [&](index_t r0, index_t r1) {
      // log_softmax puts exp into a scratch row, not into y: y may be x (in place).
      std::vector<T> scratch(Log ? static_cast<std::size_t>(x.extent(1)) : 0);
      for (index_t i = r0; i < r1; ++i) {
        auto xr = row(x, i);
        auto yr = row(y, i);
        const T m = row_max(&x(i, 0), x.extent(1));
        if (!plain_row(m)) {
          fallback_row<Log>(x, y, i);
        } else if constexpr (Log) {
          shifted_exp(&x(i, 0), m, scratch.data(), x.extent(1));
          xt::noalias(yr) = xr - (m + std::log(sum(scratch.data(), x.extent(1))));
        } else {
          shifted_exp(&x(i, 0), m, &y(i, 0), x.extent(1));
          xt::noalias(yr) = yr * (T(1) / sum(&y(i, 0), y.extent(1)));
        }
      }
    });
  }

  template <class T, class O>
  static void generic_logsumexp(tensor_view<const T, 2> x, tensor_view<O, 1> out, index_t r0, index_t r1) {
    const reduction::logsumexp<T> red;
    for (index_t i = r0; i < r1; ++i) {
      auto acc = red.init();
      for (index_t j = 0; j < x.extent(1); ++j) acc = red.combine(acc, x(i, j), j);
      out(i) = static_cast<O>(red.result(acc));
    }
  }

  // Rows whose maximum is -inf (all masked) or +inf take the one-pass reduction, whose answers
  // for them are the documented ones. (A NaN that row_max skips still makes the row NaN.)
  template <class T>
  static bool plain_row(T m) {
    return std::isfinite(m);
  }

  /// Maximum of a dense row with four independent xsimd accumulators. xt::amax is a single
  /// dependency chain (5x slower here), and it starts from lowest(), not -inf.
  template <class T>
  static T row_max(const T* p, index_t n) {
    using batch = xsimd::batch<T>;
    constexpr index_t w = static_cast<index_t>(batch::size);
    T m = -detail::infinity<T>();
    index_t j = 0;
    if (n >= 4 * w) {
      batch m0 = batch::load_unaligned(p), m1 = m0, m2 = m0, m3 = m0;
      for (; j + 4 * w <= n; j += 4 * w) {
        m0 = xsimd::max(m0, batch::load_unaligned(p + j));
        m1 = xsimd::max(m1, batch::load_unaligned(p + j + w));
        m2 = xsimd::max(m2, batch::load_unaligned(p + j + 2 * w));
        m3 = xsimd::max(m3, batch::load_unaligned(p + j + 3 * w));
      }
      alignas(64) T lanes[w];
      xsimd::max(xsimd::max(m0, m1), xsimd::max(m2, m3)).store_aligned(lanes);
      for (index_t l = 0; l < w; ++l) m = lanes[l] > m ? lanes[l] : m;
    }
    for (; j < n; ++j) m = p[j] > m ? p[j] : m;
    return m;
  }

  template <class T>
  static bool unit_rows(tensor_view<T, 2> v) {
    return (v.stride(1) == 1 || v.extent(1) <= 1) && v.extent(1) > 0;
  }

  template <class T>
  static auto row(tensor_view<T, 2> v, index_t i) {
    const std::array<std::size_t, 1> shape{static_cast<std::size_t>(v.extent(1))};
    return xt::adapt(&v(i, 0), static_cast<std::size_t>(v.extent(1)), xt::no_ownership(), shape);
  }

  // Rows with NaN or ±inf take the one-pass reduction, whose answers are the documented ones.
  template <bool Log, class T>
  static void fallback_row(tensor_view<const T, 2> x, tensor_view<T, 2> y, index_t i) {
    const reduction::logsumexp<T> red;
    auto acc = red.init();
    for (index_t j = 0; j < x.extent(1); ++j) acc = red.combine(acc, x(i, j), j);
    const T lse = red.result(acc);
    for (index_t j = 0; j < x.extent(1); ++j)
      y(i, j) = Log ? fn::minus_normaliser{}(x(i, j), lse) : fn::exp_minus{}(x(i, j), lse);
  }

  template <bool Log, class T>
  void generic_softmax(tensor_view<const T, 2> x, tensor_view<T, 2> y) const {
    parallel_for(x.extent(0), [&](index_t r0, index_t r1) {
      for (index_t i = r0; i < r1; ++i) fallback_row<Log>(x, y, i);
    });
  }

  template <class T>
  struct blas_matrix {
    const T* data;
    cxxblas::Transpose trans;
    xt::blas_index_t ld;
  };

  template <class T>
  static blas_matrix<T> blas_operand(tensor_view<const T, 2> v, host_buffer<T, 2>& dense) {
    if (const auto layout = detail::blas_layout_of(v))
      return {v.data(), layout->transposed ? cxxblas::Transpose::Trans : cxxblas::Transpose::NoTrans,
              static_cast<xt::blas_index_t>(layout->ld)};
    dense = host_buffer<T, 2>({v.extent(0), v.extent(1)});
    ops::copy(xtensor_backend{}, v, dense.view());
    return {dense.data(), cxxblas::Transpose::NoTrans, static_cast<xt::blas_index_t>(std::max<index_t>(1, v.extent(1)))};
  }
};

}  // namespace posttrain
