// SPDX-License-Identifier: Apache-2.0
#pragma once
// Streaming statistics of labelled features h_i ∈ R^d, y_i ∈ {0..K−1}, that the neural-collapse
// metrics (nc_metrics.hpp) are computed from. Two passes over the data, both mergeable:
//
//   class_statistics         pass 1: per-class counts, feature sums and within-class sums of
//                            squares, and (gram route) the d×d within-class scatter; all in
//                            double, merged with Chan's parallel update, saved and loaded as text.
//   second_pass_statistics   pass 2, once the class means are known: the K×K projected scatter
//                            M̃ᵀ S_W M̃ (projected route) and the nearest-class-centre counts.
//
// Which route carries the within-class scatter into NC1 (scatter_route): `projected` costs
// O(N·d·K) in the second pass and K×K memory; `gram` costs O(N·d²) in the first pass and d×d
// memory. `automatic` takes the smaller: gram when d ≤ K, projected otherwise.
//
// Backends: the passes take host backends only. Their per-class sums and NCC counts are host
// loops over the batch, not yet row kernels; the GEMMs within them are the backend's.

#include <cmath>
#include <cstdint>
#include <istream>
#include <mutex>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "../core.hpp"
#include "../io/numbers.hpp"

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
    if (b.extent(0) != 0 && b.extent(0) != classes)
      throw shape_error(detail::message("posttrain::collapse::linear_classifier: bias is ", detail::to_view(b),
                                        " but weight is ", detail::to_view(w), "; the bias needs one value per class (",
                                        classes, ") or none"));
    weight.resize(static_cast<std::size_t>(classes * dim));
    for (index_t c = 0; c < classes; ++c)
      for (index_t j = 0; j < dim; ++j) {
        const double v = static_cast<double>(w(c, j));
        if (!std::isfinite(v))
          throw value_error(detail::message("posttrain::collapse::linear_classifier: weight(", c, ",", j, ") is ", v));
        weight[static_cast<std::size_t>(c * dim + j)] = v;
      }
    for (index_t c = 0; c < b.extent(0); ++c) {
      const double v = static_cast<double>(b(c));
      if (!std::isfinite(v))
        throw value_error(detail::message("posttrain::collapse::linear_classifier: bias(", c, ") is ", v));
      bias.push_back(v);
    }
  }
  template <tensor_of_rank<2> W>
    requires W::space::host_accessible
  explicit linear_classifier(const W& w) : linear_classifier(w, tensor_view<const double, 1>(nullptr, 0)) {}
};

namespace detail {

using posttrain::detail::message;

/// Checks one batch of features [n, d] and labels [n] at the API boundary: d, n and labels in
/// [0, K), each error naming the row (offset by the rows seen before). Finiteness is checked
/// after the pass, through the sums it produced (NaN and Inf propagate into them), so a clean
/// batch costs no extra read: see find_non_finite.
template <class H, class Y>
void check_batch(std::string_view who, const H& h, const Y& y, index_t classes, index_t dim, index_t rows_before) {
  if (h.extent(1) != dim)
    throw shape_error(message("posttrain::collapse::", who, ": features are ", posttrain::detail::to_view(h),
                              "; expected ", dim, " columns (the feature dimension these statistics were made for)"));
  if (y.extent(0) != h.extent(0))
    throw shape_error(message("posttrain::collapse::", who, ": labels are ", posttrain::detail::to_view(y),
                              " but features are ", posttrain::detail::to_view(h), "; one label per feature row"));
  for (index_t i = 0; i < h.extent(0); ++i) {
    const auto label = y(i);
    if (label < 0 || static_cast<index_t>(label) >= classes)
      throw value_error(message("posttrain::collapse::", who, ": label of row ", rows_before + i, " is ",
                                static_cast<long long>(label), ", outside 0..", classes - 1));
  }
}

/// Called when a pass's results are not finite: names the first non-finite feature, or (all
/// features finite) says that the values overflowed.
template <class H>
[[noreturn]] void report_non_finite(std::string_view who, const H& h, index_t rows_before) {
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

/// Calls f(row) with row[j] = h(i, j): a plain pointer when the rows are contiguous (so the
/// inner loops vectorise), a strided accessor otherwise.
template <class H, class F>
void with_row(const H& h, index_t i, F&& f) {
  using value = typename H::value_type;
  if (h.stride(1) == 1) {
    f(static_cast<const value*>(h.data() + i * h.stride(0)));
  } else {
    struct strided {
      const value* p;
      index_t s;
      const value& operator[](index_t j) const { return p[j * s]; }
    };
    f(strided{h.data() + i * h.stride(0), h.stride(1)});
  }
}

/// A host view over a std::vector<double> laid out [rows, cols].
inline tensor_view<double, 2> matrix_view(std::vector<double>& v, index_t rows, index_t cols) {
  return {v.data(), rows, cols};
}
inline tensor_view<const double, 2> matrix_view(const std::vector<double>& v, index_t rows, index_t cols) {
  return {v.data(), rows, cols};
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
  /// on a host backend. A label outside 0..K−1 or a non-finite feature is a value_error naming
  /// the row (counted from the first row ever added).
  template <host_backend B, tensor_of_rank<2> H, tensor_of_rank<1> Y>
    requires accessible_by<H, B> && accessible_by<Y, B> && std::is_integral_v<typename Y::value_type>
  void add(const B& be, const H& features, const Y& labels) {
    const auto h = posttrain::detail::to_const_view(features);
    const auto y = posttrain::detail::to_const_view(labels);
    detail::check_batch("class_statistics::add", h, y, classes_, dim_, samples_);
    const index_t n = h.extent(0);
    if (n == 0) return;
    class_statistics batch;
    batch.classes_ = classes_, batch.dim_ = dim_, batch.gram_ = gram_, batch.samples_ = n;
    batch.counts_.assign(counts_.size(), 0);
    batch.sums_.assign(sums_.size(), 0.0);
    batch.within_ss_.assign(within_ss_.size(), 0.0);
    for (index_t i = 0; i < n; ++i) ++batch.counts_[static_cast<std::size_t>(y(i))];
    // Sums and then sums of squares about the batch's own class means, columns split across
    // threads (each thread owns a column range, so the sums need no locks).
    posttrain::detail::host::for_rows(be, dim_, [&](index_t j0, index_t j1) {
      for (index_t i = 0; i < n; ++i) {
        double* sum = batch.sums_.data() + at(static_cast<index_t>(y(i)), 0);
        detail::with_row(h, i, [&](const auto row) {
          for (index_t j = j0; j < j1; ++j) sum[j] += static_cast<double>(row[j]);
        });
      }
    });
    std::mutex merge_lock;
    posttrain::detail::host::for_rows(be, dim_, [&](index_t j0, index_t j1) {
      std::vector<double> ss(static_cast<std::size_t>(classes_), 0.0);
      for (index_t i = 0; i < n; ++i) {
        const auto c = static_cast<index_t>(y(i));
        const double inv = 1.0 / static_cast<double>(batch.counts_[std::size_t(c)]);
        const double* sum = batch.sums_.data() + at(c, 0);
        // Eight partial sums: a single accumulator would serialise on the addition latency.
        double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        detail::with_row(h, i, [&](const auto row) {
          index_t j = j0;
          for (; j + 8 <= j1; j += 8)
            for (int k = 0; k < 8; ++k) {
              const double d = static_cast<double>(row[j + k]) - sum[j + k] * inv;
              part[k] += d * d;
            }
          for (; j < j1; ++j) {
            const double d = static_cast<double>(row[j]) - sum[j] * inv;
            part[0] += d * d;
          }
        });
        ss[std::size_t(c)] += ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
      }
      std::lock_guard lock(merge_lock);
      for (std::size_t c = 0; c < ss.size(); ++c) batch.within_ss_[c] += ss[c];
    });
    if (!detail::all_finite(batch.within_ss_)) detail::report_non_finite("class_statistics::add", h, samples_);
    if (gram_) {
      std::vector<double> centred(static_cast<std::size_t>(n * dim_));
      posttrain::detail::host::for_rows(be, n, [&](index_t i0, index_t i1) {
        for (index_t i = i0; i < i1; ++i) {
          const auto c = static_cast<index_t>(y(i));
          const double inv = 1.0 / static_cast<double>(batch.counts_[std::size_t(c)]);
          for (index_t j = 0; j < dim_; ++j)
            centred[static_cast<std::size_t>(i * dim_ + j)] = static_cast<double>(h(i, j)) - batch.sums_[at(c, j)] * inv;
        }
      });
      batch.scatter_.assign(scatter_.size(), 0.0);
      const auto d = detail::matrix_view(std::as_const(centred), n, dim_);
      ops::gemm(be, d, d, detail::matrix_view(batch.scatter_, dim_, dim_), {.transpose_a = true});
    }
    merge(be, batch);
  }

  /// Adds another shard's statistics (same K, d and route) with Chan's parallel update:
  /// S = S_a + S_b + Σ_c n_a n_b / (n_a + n_b) · δ_c δ_cᵀ, δ_c the difference of the two means.
  template <host_backend B>
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
        const auto dv = detail::matrix_view(std::as_const(deltas), rows, dim_);
        ops::gemm(be, dv, dv, detail::matrix_view(scatter_, dim_, dim_), {.beta = 1.0, .transpose_a = true});
      }
    }
  }
  void merge(const class_statistics& other) { merge(sequential_backend{}, other); }

  /// Writes the statistics as text (hexadecimal floats: a save/load round trip is exact).
  void save(std::ostream& out) const {
    out << "posttrain-class-statistics 1\n"
        << "classes " << classes_ << " dim " << dim_ << " route " << (gram_ ? "gram" : "projected") << "\n"
        << std::hexfloat;
    const auto line = [&](const char* name, auto first, std::size_t count) {
      out << name;
      for (std::size_t k = 0; k < count; ++k) out << ' ' << first[k];
      out << '\n';
    };
    line("counts", counts_.begin(), counts_.size());
    line("within_ss", within_ss_.begin(), within_ss_.size());
    for (index_t c = 0; c < classes_; ++c) line("sums", sums_.begin() + c * dim_, std::size_t(dim_));
    if (gram_)
      for (index_t j = 0; j < dim_; ++j) line("scatter", scatter_.begin() + j * dim_, std::size_t(dim_));
    out << std::defaultfloat;
  }

  /// Reads what save() wrote; a malformed file is a parse_error naming the line.
  static class_statistics load(std::istream& in, const std::string& name = "<stream>") {
    long line_no = 0;
    std::string line;
    const auto next = [&](const char* expected) {
      ++line_no;
      if (!std::getline(in, line)) throw parse_error(name, line_no, 1, detail::message("expected '", expected, "', found the end"));
      std::istringstream is(line);
      std::string key;
      is >> key;
      if (key != expected)
        throw parse_error(name, line_no, 1, detail::message("expected '", expected, "', found '", key, "'"));
      return is;
    };
    const auto fail = [&](const std::string& what) { throw parse_error(name, line_no, 1, what); };
    {
      auto is = next("posttrain-class-statistics");
      int version = 0;
      if (!(is >> version) || version != 1) fail("unsupported version");
    }
    index_t classes = 0, dim = 0;
    std::string k1, k2, route;
    {
      auto is = next("classes");
      if (!(is >> classes >> k1 >> dim >> k2 >> route) || k1 != "dim" || k2 != "route" ||
          (route != "gram" && route != "projected"))
        fail("expected 'classes K dim d route gram|projected'");
    }
    class_statistics s(classes, dim, route == "gram" ? scatter_route::gram : scatter_route::projected);
    const auto numbers = [&](const char* key, auto& dest, std::size_t offset, std::size_t count) {
      auto is = next(key);
      std::string token;
      for (std::size_t k = 0; k < count; ++k) {
        if (!(is >> token)) fail(detail::message("expected ", count, " numbers after '", key, "', found ", k));
        const auto v = io::read_hex_or_decimal_number(token);
        if (!v || !std::isfinite(*v)) fail(detail::message("'", token, "' is not a finite number"));
        dest[offset + k] = static_cast<std::remove_reference_t<decltype(dest[0])>>(*v);
      }
      if (is >> token) fail(detail::message("more than ", count, " numbers after '", key, "'"));
    };
    numbers("counts", s.counts_, 0, s.counts_.size());
    numbers("within_ss", s.within_ss_, 0, s.within_ss_.size());
    for (index_t c = 0; c < classes; ++c) numbers("sums", s.sums_, std::size_t(c * dim), std::size_t(dim));
    if (s.gram_)
      for (index_t j = 0; j < dim; ++j) numbers("scatter", s.scatter_, std::size_t(j * dim), std::size_t(dim));
    for (auto n : s.counts_) {
      if (n < 0) fail("a negative count");
      s.samples_ += n;
    }
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
  second_pass_statistics(const class_statistics& stats, global_mean convention = global_mean::sample,
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
    const index_t shifts = projected_ ? K : 1;
    score_base_.assign(static_cast<std::size_t>(shifts * K), 0.0);
    if (has_classifier_) logit_base_.assign(static_cast<std::size_t>(shifts * K), 0.0);
    // O(shifts·K·d): the tables' dot products in eight partial sums, so that they vectorise (one
    // accumulator would wait on each addition's latency); the same order on every machine.
    const auto dot8 = [d](const auto& term) {
      double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      index_t j = 0;
      for (; j + 8 <= d; j += 8)
        for (int k = 0; k < 8; ++k) part[k] += term(j + k);
      for (; j < d; ++j) part[0] += term(j);
      return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    };
    for (index_t r = 0; r < shifts; ++r) {
      const double* shift = projected_ ? means_.data() + r * d : global_mean_.data();
      for (index_t c = 0; c < K; ++c) {
        const double* mean = means_.data() + c * d;
        const double* centred_c = centred.data() + c * d;
        score_base_[std::size_t(r * K + c)] =
            projected_ ? dot8([&](index_t j) { const double e = shift[j] - mean[j]; return e * e; })
                       : dot8([&](index_t j) { return centred_c[j] * centred_c[j]; });
        if (has_classifier_) {
          const double* w = classifier->weight.data() + c * d;
          const double bias = classifier->bias.empty() ? 0.0 : classifier->bias[std::size_t(c)];
          logit_base_[std::size_t(r * K + c)] = bias + dot8([&](index_t j) { return w[j] * shift[j]; });
        }
      }
    }
    if (projected_) projected_scatter_.assign(static_cast<std::size_t>(K * K), 0.0);
  }

  index_t samples() const noexcept { return samples_; }
  bool projected() const noexcept { return projected_; }
  bool has_classifier() const noexcept { return has_classifier_; }
  /// Rows whose nearest class centre is their label.
  std::int64_t ncc_correct() const noexcept { return ncc_correct_; }
  /// Rows whose nearest class centre differs from the classifier's argmax (0 without one).
  std::int64_t ncc_mismatches() const noexcept { return ncc_mismatch_; }
  /// P = Σ_i p_i p_iᵀ, row-major [K, K]; empty on the gram route.
  std::span<const double> projected_scatter() const noexcept { return projected_scatter_; }

  /// Adds a batch of the same features as pass 1 (in any batching and order).
  template <host_backend B, tensor_of_rank<2> H, tensor_of_rank<1> Y>
    requires accessible_by<H, B> && accessible_by<Y, B> && std::is_integral_v<typename Y::value_type> &&
             std::same_as<typename H::value_type, T>
  void add(const B& be, const H& features, const Y& labels) {
    const auto h = posttrain::detail::to_const_view(features);
    const auto y = posttrain::detail::to_const_view(labels);
    detail::check_batch("second_pass_statistics::add", h, y, classes_, dim_, samples_);
    const index_t n = h.extent(0), K = classes_, d = dim_;
    if (n == 0) return;
    products_.resize(static_cast<std::size_t>(n * cols_));
    const tensor_view<T, 2> out(products_.data(), n, cols_);
    const tensor_view<const T, 2> right(right_.data(), d, cols_);
    posttrain::detail::host::for_rows(be, n, [&](index_t i0, index_t i1) {
      constexpr index_t block_rows = 128;
      std::vector<T> block(static_cast<std::size_t>(std::min(block_rows, i1 - i0) * d));
      for (index_t b0 = i0; b0 < i1; b0 += block_rows) {
        const index_t rows = std::min(block_rows, i1 - b0);
        for (index_t i = 0; i < rows; ++i) {
          const double* shift = projected_ ? means_.data() + static_cast<std::size_t>(y(b0 + i)) * std::size_t(d)
                                           : global_mean_.data();
          T* dst = block.data() + i * d;
          detail::with_row(h, b0 + i, [&](const auto row) {
            for (index_t j = 0; j < d; ++j) dst[j] = static_cast<T>(static_cast<double>(row[j]) - shift[j]);
          });
        }
        ops::gemm(be, tensor_view<const T, 2>(block.data(), rows, d), right, out.rows(b0, rows));
      }
    });
    // NaN·x is NaN for every x: a NaN or Inf feature reaches every product of its row.
    if (!detail::all_finite(products_)) detail::report_non_finite("second_pass_statistics::add", h, samples_);
    if (projected_) {
      wide_.resize(static_cast<std::size_t>(n * K));
      const tensor_view<double, 2> wv(wide_.data(), n, K);
      posttrain::detail::host::for_rows(be, n, [&](index_t i0, index_t i1) {
        for (index_t i = i0; i < i1; ++i)
          for (index_t c = 0; c < K; ++c) wv(i, c) = static_cast<double>(out(i, c));
      });
      const auto w = tensor_view<const double, 2>(wv);
      ops::gemm(be, w, w, detail::matrix_view(projected_scatter_, K, K), {.beta = 1.0, .transpose_a = true});
    }
    std::mutex count_lock;
    posttrain::detail::host::for_rows(be, n, [&](index_t i0, index_t i1) {
      std::int64_t correct = 0, mismatch = 0;
      for (index_t i = i0; i < i1; ++i) {
        const auto label = static_cast<index_t>(y(i));
        const double* base = score_base_.data() + (projected_ ? label * K : 0);
        index_t nearest = 0;
        double best = 0;
        for (index_t c = 0; c < K; ++c) {
          const double score = base[c] - 2 * static_cast<double>(out(i, c));
          if (c == 0 || score < best) nearest = c, best = score;  // ties: the lowest class
        }
        correct += nearest == label;
        if (has_classifier_) {
          const double* lbase = logit_base_.data() + (projected_ ? label * K : 0);
          index_t argmax = 0;
          double top = 0;
          for (index_t c = 0; c < K; ++c) {
            const double logit = lbase[c] + static_cast<double>(out(i, K + c));
            if (c == 0 || logit > top) argmax = c, top = logit;
          }
          mismatch += argmax != nearest;
        }
      }
      std::lock_guard lock(count_lock);
      ncc_correct_ += correct;
      ncc_mismatch_ += mismatch;
    });
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

  /// Writes the sums as text (hexadecimal floats), with a fingerprint of the pass-1 statistics,
  /// convention, classifier and T they were built with.
  void save(std::ostream& out) const {
    out << "posttrain-second-pass 1\n"
        << "classes " << classes_ << " dim " << dim_ << " route " << (projected_ ? "projected" : "gram")
        << " classifier " << has_classifier_ << " fingerprint " << std::hex << fingerprint() << std::dec << "\n"
        << "samples " << samples_ << " correct " << ncc_correct_ << " mismatch " << ncc_mismatch_ << "\n"
        << std::hexfloat;
    for (index_t r = 0; r < (projected_ ? classes_ : 0); ++r) {
      out << "scatter";
      for (index_t c = 0; c < classes_; ++c) out << ' ' << projected_scatter_[std::size_t(r * classes_ + c)];
      out << '\n';
    }
    out << std::defaultfloat;
  }

  /// Adds a shard that save() wrote (on another machine, say). It must come from the same
  /// pass-1 statistics, convention, classifier and T: else a shape_error; a malformed file is a
  /// parse_error naming the line.
  void merge(std::istream& in, const std::string& name = "<stream>") {
    long line_no = 0;
    std::string line;
    const auto fail = [&](const std::string& what) { throw parse_error(name, line_no, 1, what); };
    const auto next = [&]() {
      ++line_no;
      if (!std::getline(in, line)) fail("the file ends early");
      return std::istringstream(line);
    };
    std::string key, k1, k2, k3, k4, route;
    int version = 0, classifier = 0;
    index_t K = 0, d = 0, samples = 0;
    std::int64_t correct = 0, mismatch = 0;
    std::uint64_t print = 0;
    if (auto is = next(); !(is >> key >> version) || key != "posttrain-second-pass" || version != 1)
      fail("not a posttrain-second-pass 1 file");
    if (auto is = next(); !(is >> key >> K >> k1 >> d >> k2 >> route >> k3 >> classifier >> k4 >> std::hex >> print) ||
                          key != "classes" || k1 != "dim" || k2 != "route" || k3 != "classifier" || k4 != "fingerprint")
      fail("expected 'classes K dim d route R classifier 0|1 fingerprint F'");
    if (auto is = next(); !(is >> key >> samples >> k1 >> correct >> k2 >> mismatch) || key != "samples" ||
                          k1 != "correct" || k2 != "mismatch" || samples < 0 || correct < 0 || mismatch < 0)
      fail("expected 'samples N correct C mismatch M'");
    if (K != classes_ || d != dim_ || (route == "projected") != projected_ || (classifier != 0) != has_classifier_ ||
        print != fingerprint())
      throw shape_error(detail::message("posttrain::collapse::second_pass_statistics::merge: ", name,
                                        " was not built from the same class statistics, convention, classifier and "
                                        "feature type as this pass"));
    std::vector<double> scatter(projected_scatter_.size());
    for (index_t r = 0; r < (projected_ ? K : 0); ++r) {
      auto is = next();
      std::string token;
      if (!(is >> key) || key != "scatter") fail("expected a 'scatter' row");
      for (index_t c = 0; c < K; ++c) {
        if (!(is >> token)) fail(detail::message("expected ", K, " numbers after 'scatter'"));
        const auto v = io::read_hex_or_decimal_number(token);
        if (!v || !std::isfinite(*v)) fail("'" + token + "' is not a finite number");
        scatter[std::size_t(r * K + c)] = *v;
      }
    }
    for (std::size_t k = 0; k < scatter.size(); ++k) projected_scatter_[k] += scatter[k];
    samples_ += samples;
    ncc_correct_ += correct;
    ncc_mismatch_ += mismatch;
  }

 private:
  std::size_t at(index_t c, index_t j) const { return static_cast<std::size_t>(c * dim_ + j); }

  /// FNV-1a over what the sums depend on: the shifts, [M̃ | Wᵀ] in T and the score tables.
  std::uint64_t fingerprint() const {
    std::uint64_t h = 14695981039346656037ull;
    const auto bytes = [&](const auto& v) {
      const auto* p = reinterpret_cast<const unsigned char*>(v.data());
      for (std::size_t k = 0; k < v.size() * sizeof(v[0]); ++k) h = (h ^ p[k]) * 1099511628211ull;
    };
    bytes(means_), bytes(global_mean_), bytes(right_), bytes(score_base_), bytes(logit_base_);
    return h;
  }

  index_t classes_, dim_, cols_ = 0, samples_ = 0;
  bool projected_, has_classifier_ = false;
  std::vector<double> means_, global_mean_, score_base_, logit_base_, projected_scatter_;
  std::vector<T> right_;     // [M̃ | Wᵀ], [d, K or 2K]
  std::vector<T> products_;  // per-batch scratch, kept between batches
  std::vector<double> wide_;
  std::int64_t ncc_correct_ = 0, ncc_mismatch_ = 0;
};

}  // namespace posttrain::collapse
