// SPDX-License-Identifier: Apache-2.0
#pragma once
// posttrain::eigen_backend: host memory, Eigen 3.4 for GEMM, the symmetric eigen-solver and the
// vectorised row kernels (softmax, log_softmax, row_logsumexp), OpenMP across rows; every other op runs the generic
// host loop on all threads through parallel_for. Foreign memory becomes an Eigen::Map here
// and nowhere else.

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <cmath>
#include <limits>

#include <posttrain/core.hpp>
#include <posttrain/core/detail/parallel.hpp>

namespace posttrain {

struct eigen_backend {
  using memory_space = host_space;
  static constexpr bool is_backend = true;
  using overrides = ops::op_list<ops::op::gemm, ops::op::softmax, ops::op::log_softmax, ops::op::row_logsumexp,
                                 ops::op::argmax, ops::op::symmetric_eigen>;
  static constexpr const char* name = "eigen";

  template <class Body>
  void parallel_for(index_t rows, const Body& body) const {
    detail::openmp_for_rows(rows, body);
  }

  // Defined below the class, out of line: an inline member would be instantiated in every
  // translation unit despite an extern template declaration (POSTTRAIN_EIGEN_EXTERN_GEMM).
  template <class T>
  void gemm(tensor_view<const T, 2> a, tensor_view<const T, 2> b, tensor_view<T, 2> c, T alpha, T beta) const;

  /// Eigen's SelfAdjointEigenSolver (Householder tridiagonalisation, then implicit symmetric QR),
  /// on a copy of a's upper triangle; values descending (see core/symmetric_eigen.hpp).
  template <class T>
  void symmetric_eigen(tensor_view<const T, 2> a, tensor_view<T, 1> values, tensor_view<T, 2> vectors) const;

  template <class T>
  void softmax(tensor_view<const T, 2> x, tensor_view<T, 2> y) const {
    rows_kernel<kind::softmax>(x, y);
  }
  template <class T>
  void log_softmax(tensor_view<const T, 2> x, tensor_view<T, 2> y) const {
    rows_kernel<kind::log_softmax>(x, y);
  }
  template <class T, class O>
  void row_logsumexp(tensor_view<const T, 2> x, tensor_view<O, 1> out) const {
    rows_kernel<kind::logsumexp>(x, out);
  }

  /// Vectorised maximum (NaN propagates), then the first column holding it: the same answer
  /// as reduction::argmax (ties to the lower column, NaN counts as the largest), with the
  /// second pass over a row that is still in cache.
  template <class T, class I>
  void argmax(tensor_view<const T, 2> x, tensor_view<I, 1> out) const {
    using array = Eigen::Array<T, 1, Eigen::Dynamic>;
    const index_t cols = x.extent(1);
    parallel_for(x.extent(0), [&](index_t r0, index_t r1) {
      for (index_t i = r0; i < r1; ++i) {
        index_t best = 0;
        if (x.stride(1) == 1) {
          const T* row = &x(i, 0);
          const T m = Eigen::Map<const array>(row, cols).template maxCoeff<Eigen::PropagateNaN>();
          if (m == m)
            while (row[best] != m) ++best;
          else
            while (row[best] == row[best]) ++best;
        } else {
          for (index_t j = 1; j < cols; ++j)
            if (reduction::argmax<T>{}.merge({x(i, best), best}, {x(i, j), j}).column == j) best = j;
        }
        out(i) = static_cast<I>(best);
      }
    });
  }

 private:
  enum class kind { softmax, log_softmax, logsumexp };

  // One row at a time: max, then one exp per element. A row with NaN, +inf, or a non-unit
  // column stride takes the generic path (the one-pass logsumexp reduction), whose answers
  // for those inputs are the documented ones.
  template <kind K, class T, class Out>
  void rows_kernel(tensor_view<const T, 2> x, Out out) const {
    using array = Eigen::Array<T, 1, Eigen::Dynamic>;
    const index_t cols = x.extent(1);
    const bool unit = x.stride(1) == 1 && (K == kind::logsumexp || out.stride(1) == 1);
    parallel_for(x.extent(0), [&](index_t r0, index_t r1) {
      for (index_t i = r0; i < r1; ++i) {
        T m = -detail::infinity<T>();
        if (unit && cols > 0) m = Eigen::Map<const array>(&x(i, 0), cols).template maxCoeff<Eigen::PropagateNaN>();
        const bool plain = unit && cols > 0 && std::isfinite(m);
        T lse;
        if (plain) {
          Eigen::Map<const array> xr(&x(i, 0), cols);
          if constexpr (K == kind::softmax) {
            Eigen::Map<array> yr(&out(i, 0), cols);
            yr = (xr - m).exp();
            // Eigen's vectorised exp clamps its argument, so exp(-inf) comes out as a subnormal
            // (about 1e-39 for float) instead of 0: flush subnormals to the exact 0 a masked
            // logit must get, in the same pass as the normalisation (a select() in the Eigen
            // expression would cost 8x: it is not vectorised).
            const T inv = T(1) / yr.sum(), smallest = std::numeric_limits<T>::min();
            T* y = &out(i, 0);
            for (index_t j = 0; j < cols; ++j) y[j] = y[j] < smallest ? T(0) : y[j] * inv;
            continue;
          } else {
            lse = m + std::log((xr - m).exp().sum());
            if constexpr (K == kind::log_softmax) {
              Eigen::Map<array>(&out(i, 0), cols) = xr - lse;
              continue;
            }
          }
        } else {
          const reduction::logsumexp<T> red;
          auto acc = red.init();
          for (index_t j = 0; j < cols; ++j) acc = red.combine(acc, x(i, j), j);
          lse = red.result(acc);
        }
        if constexpr (K == kind::logsumexp) {
          out(i) = lse;
        } else {
          for (index_t j = 0; j < cols; ++j)
            out(i, j) = K == kind::softmax ? fn::exp_minus{}(x(i, j), lse) : fn::minus_normaliser{}(x(i, j), lse);
        }
      }
    });
  }
};

template <class T>
void eigen_backend::gemm(tensor_view<const T, 2> a, tensor_view<const T, 2> b, tensor_view<T, 2> c, T alpha,
                         T beta) const {
  using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  auto run = [&](auto am, auto bm, auto cm) {
    if (beta == T(0)) cm.noalias() = alpha * am * bm;
    else {
      cm *= beta;
      cm.noalias() += alpha * am * bm;
    }
  };
  // Eigen's packed GEMM reads a map with a unit inner stride at full speed, row- or
  // column-major (a transposed view is a column-major map); anything else takes the slower
  // fully strided path.
  const auto unit = [](const auto& v) { return v.stride(1) == 1 || v.stride(0) == 1; };
  if (c.stride(1) == 1 && unit(a) && unit(b)) {
    using outer = Eigen::OuterStride<>;
    using column_major = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
    const auto with_map = [&](tensor_view<const T, 2> v, auto&& f) {
      if (v.stride(1) == 1)
        f(Eigen::Map<const matrix, Eigen::Unaligned, outer>(v.data(), v.extent(0), v.extent(1), outer(v.stride(0))));
      else
        f(Eigen::Map<const column_major, Eigen::Unaligned, outer>(v.data(), v.extent(0), v.extent(1),
                                                                   outer(v.stride(1))));
    };
    Eigen::Map<matrix, Eigen::Unaligned, outer> cm(c.data(), c.extent(0), c.extent(1), outer(c.stride(0)));
    with_map(a, [&](auto am) { with_map(b, [&](auto bm) { run(am, bm, cm); }); });
  } else {
    using stride = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
    auto map = [](auto v) {
      using E = std::remove_pointer_t<decltype(v.data())>;
      using M = std::conditional_t<std::is_const_v<E>, const matrix, matrix>;
      return Eigen::Map<M, Eigen::Unaligned, stride>(v.data(), v.extent(0), v.extent(1),
                                                     stride(v.stride(0), v.stride(1)));
    };
    run(map(a), map(b), map(c));
  }
}

template <class T>
void eigen_backend::symmetric_eigen(tensor_view<const T, 2> a, tensor_view<T, 1> values,
                                    tensor_view<T, 2> vectors) const {
  using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  const index_t m = a.extent(0);
  matrix full(m, m);
  for (index_t i = 0; i < m; ++i)
    for (index_t j = i; j < m; ++j) full(i, j) = full(j, i) = a(i, j);
  const Eigen::SelfAdjointEigenSolver<matrix> solver(full);
  if (solver.info() != Eigen::Success)
    throw value_error(detail::message("posttrain::ops::symmetric_eigen: Eigen's solver did not converge on a ", a));
  // Ascending from Eigen; descending here.
  for (index_t k = 0; k < m; ++k) {
    values(k) = solver.eigenvalues()(m - 1 - k);
    for (index_t i = 0; i < m; ++i) vectors(i, k) = solver.eigenvectors()(i, m - 1 - k);
  }
}

// Opt-in explicit instantiation. Eigen's packed GEMM is most of the compile time of a translation
// unit that multiplies (about 20 s of 28 at -O2 on test_gemm_eigen; 90 s instrumented). With
// POSTTRAIN_EIGEN_EXTERN_GEMM defined in every translation unit, the float and double GEMMs are
// compiled once, by backends/eigen/src/eigen_gemm_instances.cpp: the package's target
// posttrain::eigen_gemm adds that file (installed in share/posttrain/src) and the definition to
// a program.
#ifdef POSTTRAIN_EIGEN_EXTERN_GEMM
extern template void eigen_backend::gemm<float>(tensor_view<const float, 2>, tensor_view<const float, 2>,
                                                tensor_view<float, 2>, float, float) const;
extern template void eigen_backend::gemm<double>(tensor_view<const double, 2>, tensor_view<const double, 2>,
                                                 tensor_view<double, 2>, double, double) const;
extern template void eigen_backend::symmetric_eigen<float>(tensor_view<const float, 2>, tensor_view<float, 1>,
                                                           tensor_view<float, 2>) const;
extern template void eigen_backend::symmetric_eigen<double>(tensor_view<const double, 2>, tensor_view<double, 1>,
                                                            tensor_view<double, 2>) const;
#endif

}  // namespace posttrain
