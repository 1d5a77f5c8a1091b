// SPDX-License-Identifier: Apache-2.0
#pragma once
// Streaming statistics of labelled features h_i ∈ R^d, y_i ∈ {0..K−1}, that the neural-collapse
// metrics (nc_metrics.hpp) are computed from. Two passes over the data, both mergeable:
//
//   class_statistics         pass 1: per-class counts, feature sums and within-class sums of
//                            squares, and (gram route) the d×d within-class scatter; all in
//                            double, merged with Chan's parallel update.
//   second_pass_statistics   pass 2, once the class means are known: the K×K projected scatter
//                            M̃ᵀ S_W M̃ (projected route) and the nearest-class-centre counts.
//
// Which route carries the within-class scatter into NC1 (scatter_route): `projected` costs
// O(N·d·K) in the second pass and K×K memory; `gram` costs O(N·d²) in the first pass and d×d
// memory. `automatic` takes the smaller: gram when d ≤ K, projected otherwise.
//
// Backends: any. The batches are read where they are: the per-class sums, the centring and the
// nearest-class-centre rule are row kernels (kernels.hpp), the products GEMMs. The statistics
// themselves, O(K·d + d²) numbers, stay on the host in double, where they are merged and written
// to files (io/collapse_statistics.hpp); the labels come to the host to be checked and grouped
// by class.

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../core.hpp"
#include "kernels.hpp"

namespace posttrain::collapse {

enum class scatter_route { automatic, projected, gram };

/// The global mean μ_G that M̃ = [μ_c − μ_G] is centred on.
enum class global_mean {
  sample,       ///< the mean of all samples (Li et al., the default)
  class_means,  ///< the mean of the class means (Papyan et al.)
};

/// A linear classifier W [K, d] and bias b [K] (empty bias = no bias), kept in double on the host.
struct linear_classifier {
  index_t classes = 0, dim = 0;
  std::vector<double> weight;  ///< row-major [K, d]
  std::vector<double> bias;    ///< [K] or empty

  linear_classifier() = default;
  /// From host views of any floating type: weight [K, d], bias [K] or empty. Non-finite
  /// values are a value_error naming the position.
  template <tensor_of_rank<2> W, tensor_of_rank<1> Bv>
    requires W::space::host_accessible && Bv::space::host_accessible
  linear_classifier(const W& w, const Bv& b) : classes(w.extent(0)), dim(w.extent(1)) {
    using posttrain::detail::message, posttrain::detail::to_view;
    if (b.extent(0) != 0 && b.extent(0) != classes)
      throw shape_error(message("posttrain::collapse::linear_classifier: bias is ", to_view(b), " but weight is ",
                                to_view(w), "; the bias needs one value per class (", classes, ") or none"));
    weight.resize(static_cast<std::size_t>(classes * dim));
    for (index_t c = 0; c < classes; ++c)
      for (index_t j = 0; j < dim; ++j) {
        const double v = static_cast<double>(w(c, j));
        if (!std::isfinite(v))
          throw value_error(message("posttrain::collapse::linear_classifier: weight(", c, ",", j, ") is ", v));
        weight[static_cast<std::size_t>(c * dim + j)] = v;
      }
    for (index_t c = 0; c < b.extent(0); ++c) {
      const double v = static_cast<double>(b(c));
      if (!std::isfinite(v)) throw value_error(message("posttrain::collapse::linear_classifier: bias(", c, ") is ", v));
      bias.push_back(v);
    }
  }
  template <tensor_of_rank<2> W>
    requires W::space::host_accessible
  explicit linear_classifier(const W& w) : linear_classifier(w, tensor_view<const double, 1>(nullptr, 0)) {}
};

namespace detail {

using posttrain::detail::message;

/// Checks one batch of features [n, d] and labels [n] (y_host, brought to the host) at the API
/// boundary: d, n and labels in [0, K), each error naming the row (offset by the rows seen
/// before). Finiteness is checked after the pass, through the sums it produced (NaN and Inf
/// propagate into them), so a clean batch costs no extra read: see report_non_finite.
template <class H, class Y>
void check_batch(std::string_view who, const H& h, const Y& y_host, index_t classes, index_t dim, index_t rows_before) {
  if (h.extent(1) != dim)
    throw shape_error(message("posttrain::collapse::", who, ": features are ", posttrain::detail::to_view(h),
                              "; expected ", dim, " columns (the feature dimension these statistics were made for)"));
  if (y_host.extent(0) != h.extent(0))
    throw shape_error(message("posttrain::collapse::", who, ": labels are [", y_host.extent(0), "] but features are ",
                              posttrain::detail::to_view(h), "; one label per feature row"));
  for (index_t i = 0; i < h.extent(0); ++i) {
    const auto label = y_host(i);
    if (label < 0 || static_cast<index_t>(label) >= classes)
      throw value_error(message("posttrain::collapse::", who, ": label of row ", rows_before + i, " is ",
                                static_cast<long long>(label), ", outside 0..", classes - 1));
  }
}

/// Called when a pass's results are not finite: names the first non-finite feature, or (all
/// features finite) says that the values overflowed. The features come to the host to be searched
/// (this is the error path).
template <backend B, class H>
[[noreturn]] void report_non_finite(const B& be, std::string_view who, const H& features, index_t rows_before) {
  const auto copy = posttrain::detail::to_host(be, features);
  const auto h = copy.view();
  for (index_t i = 0; i < h.extent(0); ++i)
    for (index_t j = 0; j < h.extent(1); ++j)
      if (!std::isfinite(static_cast<double>(h(i, j))))
        throw value_error(message("posttrain::collapse::", who, ": feature row ", rows_before + i, " column ", j,
                                  " is ", static_cast<double>(h(i, j)), "; features must be finite"));
  throw value_error(message("posttrain::collapse::", who, ": the features of rows ", rows_before, "..",
                            rows_before + h.extent(0) - 1, " overflow in double; scale them down"));
}

template <class Range>
bool all_finite(const Range& r) {
  for (const auto v : r)
    if (!std::isfinite(static_cast<double>(v))) return false;
  return true;
}

/// A contiguous host array copied into be's memory space: [n], or [rows, cols].
template <backend B, class T>
auto on_backend(const B& be, const T* host, index_t n) {
  auto buffer = allocate<T>(be, {n});
  deep_copy(be, tensor_view<const T, 1>(host, n), buffer.view());
  return buffer;
}
template <backend B, class T>
auto on_backend(const B& be, const T* host, index_t rows, index_t cols) {
  auto buffer = allocate<T>(be, {rows, cols});
  deep_copy(be, tensor_view<const T, 2>(host, rows, cols), buffer.view());
  return buffer;
}

/// A dense view in be's memory space (rank 1 or 2) copied into a host vector, row-major.
template <backend B, class V>
std::vector<std::remove_const_t<typename V::value_type>> host_copy(const B& be, const V& v) {
  using T = std::remove_const_t<typename V::value_type>;
  const auto m = as_matrix(posttrain::detail::to_const_view(v));
  std::vector<T> out(static_cast<std::size_t>(m.extent(0) * m.extent(1)));
  deep_copy(be, m, tensor_view<T, 2>(out.data(), m.extent(0), m.extent(1)));
  return out;
}

/// Rows per chunk when a batch is centred into a scratch matrix of `cols` columns before a GEMM
/// reads it: on a host backend 2^20 elements (4–8 MiB), so that the chunk is still in the
/// last-level cache when the GEMM reads it (with 2^24, pass 2 took 1.8× the time of its GEMM
/// instead of 1.0×); on a device 2^24, for large GEMMs.
template <class B>
index_t chunk_rows(index_t rows, index_t cols) {
  const index_t budget = index_t{1} << (host_backend<B> ? 20 : 24);
  return std::max<index_t>(1, std::min<index_t>(rows, budget / std::max<index_t>(cols, 1)));
}

/// The rows of a batch grouped by class: rows order[offset[c] .. offset[c + 1]) have label c.
/// A counting sort of the labels on the host (an O(n) integer pass).
struct class_groups {
  std::vector<index_t> offset;  ///< [K + 1]
  std::vector<index_t> order;   ///< [n]
};
template <class Y>
class_groups group_by_class(const Y& y_host, index_t classes) {
  const index_t n = y_host.extent(0);
  class_groups g;
  g.offset.assign(std::size_t(classes + 1), 0);
  for (index_t i = 0; i < n; ++i) ++g.offset[std::size_t(y_host(i)) + 1];
  for (index_t c = 0; c < classes; ++c) g.offset[std::size_t(c + 1)] += g.offset[std::size_t(c)];
  std::vector<index_t> next(g.offset.begin(), g.offset.end() - 1);
  g.order.resize(std::size_t(n));
  for (index_t i = 0; i < n; ++i) g.order[std::size_t(next[std::size_t(y_host(i))]++)] = i;
  return g;
}

}  // namespace detail

/// Pass 1: per-class counts, sums and within-class scatter, in double, mergeable and
/// serialisable. Adding batches in any order, or merging shards, changes only the rounding.
class class_statistics {
 public:
  class_statistics() = default;
  /// K ≥ 2 classes of d ≥ 1 features; `route` picks how the within-class scatter is kept.
  class_statistics(index_t classes, index_t dim, scatter_route route = scatter_route::automatic)
      : classes_(classes), dim_(dim) {
    if (classes < 2)
      throw value_error(detail::message("posttrain::collapse::class_statistics: ", classes,
                                        " classes; neural collapse needs at least 2"));
    if (dim < 1) throw value_error(detail::message("posttrain::collapse::class_statistics: feature dimension ", dim));
    gram_ = chosen_route(route, classes, dim) == scatter_route::gram;
    counts_.assign(static_cast<std::size_t>(classes), 0);
    sums_.assign(static_cast<std::size_t>(classes * dim), 0.0);
    within_ss_.assign(static_cast<std::size_t>(classes), 0.0);
    if (gram_) scatter_.assign(static_cast<std::size_t>(dim * dim), 0.0);
  }

  /// The route `route` resolves to for K classes of d features: automatic keeps the d×d scatter
  /// (gram) when d ≤ K, else projects it (projected).
  static constexpr scatter_route chosen_route(scatter_route route, index_t classes, index_t dim) noexcept {
    if (route != scatter_route::automatic) return route;
    return dim <= classes ? scatter_route::gram : scatter_route::projected;
  }

  index_t classes() const noexcept { return classes_; }
  index_t dim() const noexcept { return dim_; }
  index_t samples() const noexcept { return samples_; }
  /// The route chosen (never automatic): gram when the d×d scatter is kept.
  scatter_route route() const noexcept { return gram_ ? scatter_route::gram : scatter_route::projected; }
  std::span<const std::int64_t> counts() const noexcept { return counts_; }
  /// Σ_{i: y_i = c} h_i, row-major [K, d].
  std::span<const double> sums() const noexcept { return sums_; }
  /// Σ_{i: y_i = c} ‖h_i − μ_c‖², [K].
  std::span<const double> within_sum_squares() const noexcept { return within_ss_; }
  /// Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ, row-major [d, d]; empty on the projected route.
  std::span<const double> within_scatter() const noexcept { return scatter_; }

  /// The class means [K, d] (a class with no sample is a value_error naming it).
  std::vector<double> class_means() const {
    check_every_class_seen("class_means");
    std::vector<double> m(sums_.size());
    for (index_t c = 0; c < classes_; ++c)
      for (index_t j = 0; j < dim_; ++j) m[at(c, j)] = sums_[at(c, j)] / static_cast<double>(counts_[std::size_t(c)]);
    return m;
  }
  /// μ_G under the given convention, [d].
  std::vector<double> global_mean_of(global_mean convention) const {
    check_every_class_seen("global_mean_of");
    std::vector<double> g(static_cast<std::size_t>(dim_), 0.0);
    for (index_t c = 0; c < classes_; ++c)
      for (index_t j = 0; j < dim_; ++j)
        g[std::size_t(j)] += convention == global_mean::sample
                                 ? sums_[at(c, j)] / static_cast<double>(samples_)
                                 : sums_[at(c, j)] / static_cast<double>(counts_[std::size_t(c)]) / double(classes_);
    return g;
  }

  /// Adds a batch: features [n, d] (float or double, any strides) and labels [n] (integers),
  /// in the backend's memory. A label outside 0..K−1 or a non-finite feature is a value_error
  /// naming the row (counted from the first row ever added).
  ///
  /// The labels come to the host, where they are checked and the rows sorted by class (a counting
  /// sort, O(n) integers); a row kernel per class then sums its rows and their squares about the
  /// class mean, and on the gram route the centred rows' d×d product is a GEMM, a chunk of rows at
  /// a time. The batch's statistics come back to the host and are merged (Chan's update).
  template <backend B, tensor_of_rank<2> H, tensor_of_rank<1> Y>
    requires accessible_by<H, B> && accessible_by<Y, B> && std::is_integral_v<typename Y::value_type>
  void add(const B& be, const H& features, const Y& labels) {
    const auto h = posttrain::detail::to_const_view(features);
    const auto y = posttrain::detail::to_const_view(labels);
    // The labels on the host: checked there, and the rows sorted by class.
    const auto y_host = posttrain::detail::to_host(be, as_matrix(y));
    detail::check_batch("class_statistics::add", h, y_host.view().row(0), classes_, dim_, samples_);
    const index_t n = h.extent(0), K = classes_, d = dim_;
    if (n == 0) return;
    const auto groups = detail::group_by_class(y_host.view().row(0), K);
    const auto order = detail::on_backend(be, groups.order.data(), n);
    const auto offset = detail::on_backend(be, groups.offset.data(), K + 1);
    auto sums = allocate<double>(be, {K, d});
    auto ss = allocate<double>(be, {K});
    ops::for_each_row(be, K, detail::class_sums_kernel{}, h, order.view(), offset.view(), sums.view(), ss.view());
    class_statistics batch;
    batch.classes_ = K, batch.dim_ = d, batch.gram_ = gram_, batch.samples_ = n;
    batch.counts_.resize(std::size_t(K));
    for (index_t c = 0; c < K; ++c)
      batch.counts_[std::size_t(c)] = groups.offset[std::size_t(c + 1)] - groups.offset[std::size_t(c)];
    batch.sums_ = detail::host_copy(be, sums.view());
    batch.within_ss_ = detail::host_copy(be, ss.view());
    // NaN and Inf features propagate into the sums of squares.
    if (!detail::all_finite(batch.within_ss_)) detail::report_non_finite(be, "class_statistics::add", h, samples_);
    if (gram_) {
      std::vector<double> means(batch.sums_.size());
      for (index_t c = 0; c < K; ++c)
        for (index_t j = 0; j < d; ++j)
          if (batch.counts_[std::size_t(c)] > 0)
            means[at(c, j)] = batch.sums_[at(c, j)] / static_cast<double>(batch.counts_[std::size_t(c)]);
      const auto shift = detail::on_backend(be, means.data(), K, d);
      auto scatter = allocate<double>(be, {d, d});
      const index_t chunk = detail::chunk_rows<B>(n, d);
      auto centred = allocate<double>(be, {chunk, d});
      for (index_t r0 = 0; r0 < n; r0 += chunk) {
        const index_t rows = std::min(chunk, n - r0);
        const auto c = centred.view().rows(0, rows);
        ops::for_each_row(be, rows, detail::centre_rows_kernel{true}, h.rows(r0, rows), y.slice(r0, rows),
                          shift.view(), c);
        const auto cc = tensor_view<const double, 2, typename B::memory_space>(c);
        ops::gemm(be, cc, cc, scatter.view(), {.beta = r0 == 0 ? 0.0 : 1.0, .transpose_a = true});
      }
      batch.scatter_ = detail::host_copy(be, scatter.view());
    }
    merge(be, batch);
  }

  /// Adds another shard's statistics (same K, d and route) with Chan's parallel update:
  /// S = S_a + S_b + Σ_c n_a n_b / (n_a + n_b) · δ_c δ_cᵀ, δ_c the difference of the two means.
  /// The statistics live on the host; on the gram route the δ_c δ_cᵀ sum is a GEMM on `be`.
  template <backend B>
  void merge(const B& be, const class_statistics& other) {
    if (other.classes_ != classes_ || other.dim_ != dim_ || other.gram_ != gram_)
      throw shape_error(detail::message("posttrain::collapse::class_statistics::merge: merging statistics of K = ",
                                        other.classes_, ", d = ", other.dim_, ", route ", other.gram_ ? "gram" : "projected",
                                        " into K = ", classes_, ", d = ", dim_, ", route ", gram_ ? "gram" : "projected"));
    std::vector<double> deltas;  // rows √w_c · δ_c of the classes both sides have
    for (index_t c = 0; c < classes_; ++c) {
      const double na = static_cast<double>(counts_[std::size_t(c)]), nb = static_cast<double>(other.counts_[std::size_t(c)]);
      if (nb == 0) continue;
      if (na > 0) {
        const double w = na * nb / (na + nb), root_w = std::sqrt(w);
        double dist2 = 0;
        for (index_t j = 0; j < dim_; ++j) {
          const double d = sums_[at(c, j)] / na - other.sums_[at(c, j)] / nb;
          dist2 += d * d;
          if (gram_) deltas.push_back(root_w * d);
        }
        within_ss_[std::size_t(c)] += w * dist2;
      }
      within_ss_[std::size_t(c)] += other.within_ss_[std::size_t(c)];
      counts_[std::size_t(c)] += other.counts_[std::size_t(c)];
      for (index_t j = 0; j < dim_; ++j) sums_[at(c, j)] += other.sums_[at(c, j)];
    }
    samples_ += other.samples_;
    if (gram_) {
      for (std::size_t k = 0; k < scatter_.size(); ++k) scatter_[k] += other.scatter_[k];
      const auto rows = static_cast<index_t>(deltas.size()) / dim_;
      if (rows > 0) {
        const auto dv = detail::on_backend(be, deltas.data(), rows, dim_);
        const auto dc = tensor_view<const double, 2, typename B::memory_space>(dv.view());
        auto product = allocate<double>(be, {dim_, dim_});
        ops::gemm(be, dc, dc, product.view(), {.transpose_a = true});
        const auto host = detail::host_copy(be, product.view());
        for (std::size_t k = 0; k < scatter_.size(); ++k) scatter_[k] += host[k];
      }
    }
  }
  void merge(const class_statistics& other) { merge(sequential_backend{}, other); }

  /// Statistics from their parts, as io/collapse_statistics.hpp reads them from a file: counts
  /// [K], sums [K, d] and within-class sums of squares [K], and the scatter [d, d] on the gram
  /// route (empty on the projected one). A size that does not fit is a shape_error, a negative
  /// count or a non-finite number a value_error.
  static class_statistics from_parts(index_t classes, index_t dim, scatter_route route, std::vector<std::int64_t> counts,
                                     std::vector<double> sums, std::vector<double> within_ss,
                                     std::vector<double> scatter) {
    if (route == scatter_route::automatic)
      throw value_error("posttrain::collapse::class_statistics::from_parts: the route must be gram or projected");
    class_statistics s(classes, dim, route);
    const auto check_size = [](const char* what, std::size_t got, std::size_t expected) {
      if (got != expected)
        throw shape_error(detail::message("posttrain::collapse::class_statistics::from_parts: ", what, " has ", got,
                                          " numbers; expected ", expected));
    };
    check_size("counts", counts.size(), s.counts_.size());
    check_size("sums", sums.size(), s.sums_.size());
    check_size("within_ss", within_ss.size(), s.within_ss_.size());
    check_size("scatter", scatter.size(), s.scatter_.size());
    for (std::size_t c = 0; c < counts.size(); ++c) {
      if (counts[c] < 0)
        throw value_error(detail::message("posttrain::collapse::class_statistics::from_parts: count ", c, " is ",
                                          counts[c]));
      s.samples_ += counts[c];
    }
    if (!detail::all_finite(sums) || !detail::all_finite(within_ss) || !detail::all_finite(scatter))
      throw value_error("posttrain::collapse::class_statistics::from_parts: the sums must be finite");
    s.counts_ = std::move(counts), s.sums_ = std::move(sums), s.within_ss_ = std::move(within_ss);
    s.scatter_ = std::move(scatter);
    return s;
  }

  /// A value_error naming the first class with no sample.
  void check_every_class_seen(std::string_view who) const {
    for (index_t c = 0; c < classes_; ++c)
      if (counts_[std::size_t(c)] == 0)
        throw value_error(detail::message("posttrain::collapse::", who, ": class ", c, " of ", classes_,
                                          " has no sample; every class needs at least one"));
  }

 private:
  std::size_t at(index_t c, index_t j) const { return static_cast<std::size_t>(c * dim_ + j); }

  index_t classes_ = 0, dim_ = 0, samples_ = 0;
  bool gram_ = false;
  std::vector<std::int64_t> counts_;
  std::vector<double> sums_, within_ss_, scatter_;
};

/// Pass 2, over the same features once pass 1 is complete: on the projected route the K×K
/// projected scatter P = Σ_i p_i p_iᵀ with p_i = M̃ᵀ(h_i − μ_{y_i}); on every route the
/// nearest-class-centre (NCC) counts: against the labels, and against a classifier when one is
/// given. Mergeable (every member is a sum). T is the feature type the batches come in; the
/// batch GEMMs run in T on the backend, the accumulation in double.
///
/// Each block of rows is centred (h − μ_y on the projected route, h − μ_G on the gram route)
/// and multiplied once by [M̃ | Wᵀ] while it is in cache: the projections p_i, the NCC scores
/// and the classifier's logits all come from that one GEMM. Centring first keeps the products
/// accurate in float32: they are measured from the class means, not from the origin.
template <class T>
class second_pass_statistics {
 public:
  /// From the finished pass 1, a global-mean convention and optionally a classifier. The tables
  /// of the nearest-centre rule and of the logits (K×K on the projected route) are GEMMs on `be`.
  template <backend B>
  second_pass_statistics(const B& be, const class_statistics& stats, global_mean convention = global_mean::sample,
                         const linear_classifier* classifier = nullptr)
      : classes_(stats.classes()), dim_(stats.dim()), projected_(stats.route() == scatter_route::projected) {
    const index_t K = classes_, d = dim_;
    if (classifier && (classifier->classes != K || classifier->dim != d))
      throw shape_error(detail::message("posttrain::collapse::second_pass_statistics: the classifier is [",
                                        classifier->classes, ",", classifier->dim, "] but the features have K = ", K,
                                        " classes of d = ", d));
    has_classifier_ = classifier != nullptr;
    means_ = stats.class_means();
    global_mean_ = stats.global_mean_of(convention);
    cols_ = has_classifier_ ? 2 * K : K;
    // [M̃ | Wᵀ] as [d, cols] in T.
    right_.resize(static_cast<std::size_t>(d * cols_));
    std::vector<double> centred(static_cast<std::size_t>(K * d));
    for (index_t c = 0; c < K; ++c)
      for (index_t j = 0; j < d; ++j) {
        const double v = means_[at(c, j)] - global_mean_[std::size_t(j)];
        centred[at(c, j)] = v;
        right_[std::size_t(j * cols_ + c)] = static_cast<T>(v);
        if (has_classifier_) right_[std::size_t(j * cols_ + K + c)] = static_cast<T>(classifier->weight[at(c, j)]);
      }
    // NCC: argmin_c ‖h − μ_c‖² = argmin_c (E[s, c] − 2 (h − shift)·μ̃_c) where the shift is μ_y
    // (E[y, c] = ‖μ_y − μ_c‖²) on the projected route and μ_G (E[0, c] = ‖μ̃_c‖²) on the gram
    // route, whose K may be too large for a K×K table. The logits likewise:
    // W_k·h + b_k = W_k·(h − shift) + (W_k·shift + b_k).
    const auto bias = [&](index_t c) { return classifier->bias.empty() ? 0.0 : classifier->bias[std::size_t(c)]; };
    if (projected_) {
      // O(K²·d): E = diag(G)1ᵀ + 1diag(G)ᵀ − 2G with G = M̃M̃ᵀ (centred, so that the expansion does
      // not cancel), and the logits' table M Wᵀ + 1bᵀ: GEMMs on the backend.
      const auto cv = detail::on_backend(be, centred.data(), K, d);
      const auto c_const = tensor_view<const double, 2, typename B::memory_space>(cv.view());
      auto g = allocate<double>(be, {K, K});
      ops::gemm(be, c_const, c_const, g.view(), {.transpose_b = true});
      const auto gram = detail::host_copy(be, g.view());
      score_base_.resize(static_cast<std::size_t>(K * K));
      for (index_t r = 0; r < K; ++r)
        for (index_t c = 0; c < K; ++c)
          score_base_[std::size_t(r * K + c)] =
              r == c ? 0.0
                     : gram[std::size_t(r * K + r)] + gram[std::size_t(c * K + c)] - 2 * gram[std::size_t(r * K + c)];
      if (has_classifier_) {
        const auto mv = detail::on_backend(be, means_.data(), K, d);
        const auto wv = detail::on_backend(be, classifier->weight.data(), K, d);
        auto l = allocate<double>(be, {K, K});
        ops::gemm(be, tensor_view<const double, 2, typename B::memory_space>(mv.view()),
                  tensor_view<const double, 2, typename B::memory_space>(wv.view()), l.view(), {.transpose_b = true});
        logit_base_ = detail::host_copy(be, l.view());
        for (index_t r = 0; r < K; ++r)
          for (index_t c = 0; c < K; ++c) logit_base_[std::size_t(r * K + c)] += bias(c);
      }
      projected_scatter_.assign(static_cast<std::size_t>(K * K), 0.0);
    } else {
      // O(K·d) on the gram route: one row each.
      score_base_.assign(static_cast<std::size_t>(K), 0.0);
      if (has_classifier_) logit_base_.assign(static_cast<std::size_t>(K), 0.0);
      for (index_t c = 0; c < K; ++c) {
        double norm2 = 0, logit = has_classifier_ ? bias(c) : 0.0;
        for (index_t j = 0; j < d; ++j) {
          norm2 += centred[at(c, j)] * centred[at(c, j)];
          if (has_classifier_) logit += classifier->weight[at(c, j)] * global_mean_[std::size_t(j)];
        }
        score_base_[std::size_t(c)] = norm2;
        if (has_classifier_) logit_base_[std::size_t(c)] = logit;
      }
    }
    std::uint64_t h = 14695981039346656037ull;
    const auto bytes = [&](const auto& v) {
      const auto* p = reinterpret_cast<const unsigned char*>(v.data());
      for (std::size_t k = 0; k < v.size() * sizeof(v[0]); ++k) h = (h ^ p[k]) * 1099511628211ull;
    };
    bytes(means_), bytes(global_mean_), bytes(right_);
    if (classifier) bytes(classifier->weight), bytes(classifier->bias);
    fingerprint_ = h;
  }
  /// The same on the sequential backend (its tables' GEMMs are plain loops).
  explicit second_pass_statistics(const class_statistics& stats, global_mean convention = global_mean::sample,
                                  const linear_classifier* classifier = nullptr)
      : second_pass_statistics(sequential_backend{}, stats, convention, classifier) {}

  index_t classes() const noexcept { return classes_; }
  index_t dim() const noexcept { return dim_; }
  index_t samples() const noexcept { return samples_; }
  bool projected() const noexcept { return projected_; }
  bool has_classifier() const noexcept { return has_classifier_; }
  /// Rows whose nearest class centre is their label.
  std::int64_t ncc_correct() const noexcept { return ncc_correct_; }
  /// Rows whose nearest class centre differs from the classifier's argmax (0 without one).
  std::int64_t ncc_mismatches() const noexcept { return ncc_mismatch_; }
  /// P = Σ_i p_i p_iᵀ, row-major [K, K]; empty on the gram route.
  std::span<const double> projected_scatter() const noexcept { return projected_scatter_; }

  /// Adds a batch of the same features as pass 1 (in any batching and order), in the backend's
  /// memory. A chunk of rows at a time: a row kernel centres it (in T), one GEMM by [M̃ | Wᵀ] gives
  /// the projections and logits, and a row kernel takes each row's nearest centre and argmax
  /// (and widens the projections to double, whose K×K product is a second GEMM on the projected
  /// route). The labels are checked on the host; the sums come back to it.
  template <backend B, tensor_of_rank<2> H, tensor_of_rank<1> Y>
    requires accessible_by<H, B> && accessible_by<Y, B> && std::is_integral_v<typename Y::value_type> &&
             std::same_as<typename H::value_type, T>
  void add(const B& be, const H& features, const Y& labels) {
    const auto h = posttrain::detail::to_const_view(features);
    const auto y = posttrain::detail::to_const_view(labels);
    detail::check_batch("second_pass_statistics::add", h, posttrain::detail::to_host(be, as_matrix(y)).view().row(0),
                        classes_, dim_, samples_);
    const index_t n = h.extent(0), K = classes_, d = dim_, shifts = projected_ ? K : 1;
    if (n == 0) return;
    using space = typename B::memory_space;
    const auto right = detail::on_backend(be, right_.data(), d, cols_);
    const auto shift = detail::on_backend(be, projected_ ? means_.data() : global_mean_.data(), shifts, d);
    const auto score = detail::on_backend(be, score_base_.data(), shifts, K);
    const auto logit = detail::on_backend(be, logit_base_.data(), has_classifier_ ? shifts : 0, K);
    const index_t chunk = detail::chunk_rows<B>(n, std::max(d, cols_));
    auto block = allocate<T>(be, {chunk, d});
    auto products = allocate<T>(be, {chunk, cols_});
    auto wide = allocate<double>(be, {projected_ ? chunk : 0, K});
    auto outcome = allocate<std::int32_t>(be, {n});
    auto scatter = allocate<double>(be, {projected_ ? K : 0, K});
    const detail::nearest_centre_kernel ncc{K, projected_, has_classifier_, projected_};
    std::int64_t correct = 0, mismatch = 0;
    for (index_t r0 = 0; r0 < n; r0 += chunk) {
      const index_t rows = std::min(chunk, n - r0);
      const auto hc = h.rows(r0, rows);
      const auto yc = y.slice(r0, rows);
      const auto b = block.view().rows(0, rows);
      const auto p = products.view().rows(0, rows);
      const auto w = wide.view().rows(0, projected_ ? rows : 0);
      ops::for_each_row(be, rows, detail::centre_rows_kernel{projected_}, hc, yc, shift.view(), b);
      ops::gemm(be, tensor_view<const T, 2, space>(b), tensor_view<const T, 2, space>(right.view()), p);
      if (ops::for_each_row(be, rows, ncc, p, yc, score.view(), logit.view(), outcome.view().slice(r0, rows), w))
        detail::report_non_finite(be, "second_pass_statistics::add", hc, samples_ + r0);
      if (projected_) {
        const auto wc = tensor_view<const double, 2, space>(w);
        ops::gemm(be, wc, wc, scatter.view(), {.beta = r0 == 0 ? 0.0 : 1.0, .transpose_a = true});
      }
    }
    for (const auto o : detail::host_copy(be, outcome.view())) correct += o & 1, mismatch += o >> 1;
    if (projected_) {
      const auto host = detail::host_copy(be, scatter.view());
      for (std::size_t k = 0; k < host.size(); ++k) projected_scatter_[k] += host[k];
    }
    ncc_correct_ += correct;
    ncc_mismatch_ += mismatch;
    samples_ += n;
  }

  /// Adds another shard's second pass (built from the same pass-1 statistics).
  void merge(const second_pass_statistics& other) {
    if (other.classes_ != classes_ || other.dim_ != dim_ || other.projected_ != projected_ ||
        other.has_classifier_ != has_classifier_ || other.means_ != means_ || other.right_ != right_)
      throw shape_error("posttrain::collapse::second_pass_statistics::merge: the shards were not built from the same "
                        "class statistics, route and classifier");
    for (std::size_t k = 0; k < projected_scatter_.size(); ++k) projected_scatter_[k] += other.projected_scatter_[k];
    samples_ += other.samples_;
    ncc_correct_ += other.ncc_correct_;
    ncc_mismatch_ += other.ncc_mismatch_;
  }

  /// Adds the sums of a shard read from a file (io/collapse_statistics.hpp), built from the same
  /// pass-1 statistics (the caller compares fingerprints): rows, NCC counts and, on the projected
  /// route, P [K, K] (empty on the gram route).
  void merge_sums(index_t samples, std::int64_t correct, std::int64_t mismatch, std::span<const double> scatter) {
    if (scatter.size() != projected_scatter_.size())
      throw shape_error(detail::message("posttrain::collapse::second_pass_statistics::merge_sums: the scatter has ",
                                        scatter.size(), " numbers; expected ", projected_scatter_.size()));
    if (samples < 0 || correct < 0 || mismatch < 0 || correct > samples || mismatch > samples)
      throw value_error(detail::message("posttrain::collapse::second_pass_statistics::merge_sums: ", samples,
                                        " samples with ", correct, " correct and ", mismatch, " mismatched"));
    if (!detail::all_finite(scatter))
      throw value_error("posttrain::collapse::second_pass_statistics::merge_sums: the scatter must be finite");
    for (std::size_t k = 0; k < scatter.size(); ++k) projected_scatter_[k] += scatter[k];
    samples_ += samples;
    ncc_correct_ += correct;
    ncc_mismatch_ += mismatch;
  }

  /// FNV-1a over what the sums depend on: the class means, the global mean, [M̃ | Wᵀ] in T and the
  /// classifier in double. Two passes whose fingerprints agree were built from the same
  /// statistics, convention, classifier and feature type, on any backend (the tables derived
  /// from them are not hashed: their rounding may differ between backends' GEMMs).
  std::uint64_t fingerprint() const noexcept { return fingerprint_; }

 private:
  std::size_t at(index_t c, index_t j) const { return static_cast<std::size_t>(c * dim_ + j); }

  index_t classes_, dim_, cols_ = 0, samples_ = 0;
  bool projected_, has_classifier_ = false;
  std::vector<double> means_, global_mean_, score_base_, logit_base_, projected_scatter_;
  std::vector<T> right_;  // [M̃ | Wᵀ], [d, K or 2K]
  std::uint64_t fingerprint_ = 0;
  std::int64_t ncc_correct_ = 0, ncc_mismatch_ = 0;
};

}  // namespace posttrain::collapse
