// SPDX-License-Identifier: Apache-2.0
#pragma once
// Neural-collapse metrics NC1–NC4 (Papyan, Han & Donoho 2020; Li et al. 2024, arXiv 2212.12206)
// from the streaming statistics of stats.hpp.
//
// With class means μ_c, global mean μ_G, M̃ = [μ_c − μ_G] ∈ R^{d×K},
// Σ_W = (1/N) Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ and Σ_B = M̃M̃ᵀ/K:
//   NC1  tr(Σ_W Σ_B⁺)/K, the quotient tr Σ_W / tr Σ_B, and the class-distance normalised
//        variance CDNV = mean over pairs c < c' of (σ_c² + σ_c'²) / (2‖μ_c − μ_c'‖²).
//   NC2  equinorm std(‖v_c‖)/mean(‖v_c‖), equiangularity mean |cos(v_c, v_c') + 1/(K−1)| and the
//        std of those cosines, the ETF error ‖VVᵀ/‖VVᵀ‖_F − (I − 11ᵀ/K)/√(K−1)‖_F, for the
//        centred means v_c = μ_c − μ_G and for the classifier's rows.
//   NC3  self-duality ‖Wᵀ/‖W‖_F − M̃/‖M̃‖_F‖_F² and ‖WM̃/‖WM̃‖_F − (I − 11ᵀ/K)/√(K−1)‖_F.
//   NC4  the nearest-class-centre (NCC) rule's accuracy against the labels and its mismatch rate
//        against the classifier's argmax (ties go to the lower class).
//
// NC1 never pseudo-inverts a d×d matrix when K < d: Σ_B lives in span(M̃), and with
// M̃ᵀM̃ = QΛQᵀ,  tr(Σ_W Σ_B⁺) = K · Σ_k λ_k⁻² (Qᵀ P Q)_kk / N  with P = M̃ᵀ (N Σ_W) M̃,
// the K×K projected scatter of the second pass. When d ≤ K the d×d side is the small one:
// with M̃M̃ᵀ = U diag(μ) Uᵀ,  tr(Σ_W Σ_B⁺) = K · Σ_k μ_k⁻¹ (Uᵀ S_W U)_kk / N.
// The pseudo-inverse keeps the eigenvalues above rtol·λ_max + K·atol, at most max_rank of them.
//
// Backends: any. The statistics are on the host (stats.hpp); the metrics take their O(K·d)
// means, norms and traces there, and everything larger on the backend: the K×K products a block
// of rows at a time, each block reduced by a row kernel (kernels.hpp) to the few sums CDNV, NC2
// and the ETF errors need; the m×m product of the small side, its eigen-decomposition (the
// backend's solver, ops::symmetric_eigen) and NC1's weighted trace.

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../core.hpp"
#include "../core/linalg.hpp"
#include "stats.hpp"

namespace posttrain::collapse {

struct nc_options {
  global_mean mean = global_mean::sample;
  /// NC1 = tr(Σ_W Σ_B⁺)/K (the paper's form); false reports tr(Σ_W Σ_B⁺).
  bool divide_by_classes = true;
  /// Relative pseudo-inverse cut-off; negative means max(d, K)·ε (scipy.linalg.pinv's rule
  /// taken on the larger side). numpy.linalg.pinv's is 1e-15.
  double pinv_rtol = -1;
  /// Absolute cut-off, in the units of Σ_B's eigenvalues.
  double pinv_atol = 0;
  /// At most this many eigenvalues are inverted; negative means min(d, K − 1), the largest
  /// rank Σ_B can have (Papyan's code inverts the top K − 1 with svds).
  index_t max_rank = -1;
  /// How the in-memory functions keep the within-class scatter (stats.hpp).
  scatter_route route = scatter_route::automatic;
  /// Rows per batch when the in-memory functions stream a feature matrix.
  index_t batch_rows = 8192;
};

/// Geometry of K vectors (class means or classifier rows), NC2's quantities.
struct simplex_geometry {
  double equinorm = 0;        ///< std(‖v_c‖) / mean(‖v_c‖), std unbiased
  double equiangularity = 0;  ///< mean over c < c' of |cos + 1/(K−1)|
  double cosine_std = 0;      ///< population std of those cosines
  double etf_error = 0;       ///< ‖VVᵀ/‖VVᵀ‖_F − (I − 11ᵀ/K)/√(K−1)‖_F
};

struct nc_result {
  index_t samples = 0, classes = 0, dim = 0;
  // NC1
  double nc1 = 0;              ///< tr(Σ_W Σ_B⁺)/K (or without /K, see nc_options)
  double within_trace = 0;     ///< tr Σ_W
  double between_trace = 0;    ///< tr Σ_B
  double trace_ratio = 0;      ///< tr Σ_W / tr Σ_B
  double cdnv = 0;
  index_t between_rank = 0;    ///< eigenvalues of Σ_B kept by the pseudo-inverse
  // NC2
  simplex_geometry means;
  std::optional<simplex_geometry> classifier;
  // NC3
  std::optional<double> self_duality;
  std::optional<double> classifier_means_etf_error;
  // NC4
  std::optional<double> ncc_accuracy;  ///< needs the second pass
  std::optional<double> ncc_mismatch;  ///< needs the second pass and a classifier

  /// One JSON object; absent metrics and non-finite values are null.
  std::string to_json() const {
    std::string s = "{";
    const auto number = [](double v) {
      if (!std::isfinite(v)) return std::string("null");
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.15g", v);
      return std::string(buf);
    };
    const auto field = [&](const char* name, const std::string& value) {
      if (s.size() > 1) s += ", ";
      s += '"';
      s += name;
      s += "\": ";
      s += value;
    };
    const auto optional = [&](const std::optional<double>& v) { return v ? number(*v) : std::string("null"); };
    const auto geometry = [&](const simplex_geometry& g) {
      return "{\"equinorm\": " + number(g.equinorm) + ", \"equiangularity\": " + number(g.equiangularity) +
             ", \"cosine_std\": " + number(g.cosine_std) + ", \"etf_error\": " + number(g.etf_error) + "}";
    };
    field("samples", std::to_string(samples));
    field("classes", std::to_string(classes));
    field("dim", std::to_string(dim));
    field("nc1", number(nc1));
    field("within_trace", number(within_trace));
    field("between_trace", number(between_trace));
    field("trace_ratio", number(trace_ratio));
    field("cdnv", number(cdnv));
    field("between_rank", std::to_string(between_rank));
    field("nc2_means", geometry(means));
    field("nc2_classifier", classifier ? geometry(*classifier) : "null");
    field("nc3_self_duality", optional(self_duality));
    field("nc3_classifier_means_etf_error", optional(classifier_means_etf_error));
    field("nc4_ncc_accuracy", optional(ncc_accuracy));
    field("nc4_ncc_mismatch", optional(ncc_mismatch));
    return s + "}";
  }
};

namespace detail {

/// Per-row sums (product_row_sums_kernel) of X·Yᵀ for X, Y [K, d] in be's memory, computed a block
/// of rows at a time on the backend, so that a K×K matrix is never held for large K; the sums
/// are added on the host, in row order. error_scale < 0 gives the first pass's five sums, else
/// the ETF error's sum of squares.
template <backend B, class X, class Yv, class N, class V>
row_sums sum_product_rows(const B& be, const X& x, const Yv& y, const N& norms, const V& variances, double error_scale,
                          bool cosines, bool cdnv) {
  const index_t K = x.extent(0);
  const index_t block = std::max<index_t>(1, std::min<index_t>(K, (index_t{1} << 22) / K));
  auto rows = allocate<double>(be, {block, K});
  auto sums = allocate<double>(be, {K, index_t(row_sums::count)});
  for (index_t r0 = 0; r0 < K; r0 += block) {
    const index_t count = std::min(block, K - r0);
    const auto p = rows.view().rows(0, count);
    ops::gemm(be, x.rows(r0, count), y, p, {.transpose_b = true});
    ops::for_each_row(be, count, product_row_sums_kernel{r0, error_scale, cosines, cdnv},
                      tensor_view<const double, 2, typename B::memory_space>(p), norms, variances, sums.view());
  }
  const auto host = host_copy(be, sums.view());
  row_sums total{};
  for (index_t r = 0; r < K; ++r)
    for (int k = 0; k < row_sums::count; ++k) total.v[k] += host[std::size_t(r * row_sums::count + k)];
  return total;
}

/// ‖XYᵀ/‖XYᵀ‖_F − (I − 11ᵀ/K)/√(K−1)‖_F given ‖XYᵀ‖_F² (a second pass over the product's rows).
template <backend B, class X, class Yv>
double etf_error(const B& be, const X& x, const Yv& y, double frob2) {
  if (frob2 == 0) return std::numeric_limits<double>::quiet_NaN();
  const tensor_view<const double, 1, typename B::memory_space> unused(nullptr, 0);  // no norms or variances
  return std::sqrt(sum_product_rows(be, x, y, unused, unused, 1 / std::sqrt(frob2), false, false).v[0]);
}

inline std::vector<double> row_norms(const std::vector<double>& v, index_t K, index_t d) {
  std::vector<double> n(static_cast<std::size_t>(K), 0.0);
  for (index_t c = 0; c < K; ++c) {
    double s = 0;
    for (index_t j = 0; j < d; ++j) s += v[std::size_t(c * d + j)] * v[std::size_t(c * d + j)];
    n[std::size_t(c)] = std::sqrt(s);
  }
  return n;
}

/// NC2 for the rows of v [K, d] (host) and their copy v_be in be's memory; with variances (the
/// class means' case) it also returns the CDNV's sum over pairs.
template <backend B, class Vb>
simplex_geometry geometry_of(const B& be, const std::vector<double>& v, const Vb& v_be, index_t K, index_t d,
                             const std::vector<double>* variances = nullptr, double* cdnv_sum = nullptr) {
  simplex_geometry g;
  const auto norms = row_norms(v, K, d);
  double mean = 0;
  for (double x : norms) mean += x;
  mean /= double(K);
  double var = 0;
  for (double x : norms) var += (x - mean) * (x - mean);
  g.equinorm = std::sqrt(var / double(K - 1)) / mean;
  // Cosines about the ETF value −1/(K−1), so the sums do not cancel near a simplex.
  const auto norms_be = on_backend(be, norms.data(), K);
  const auto var_be = on_backend(be, variances ? variances->data() : norms.data(), variances ? K : 0);
  const auto nv = tensor_view<const double, 1, typename B::memory_space>(norms_be.view());
  const auto vv = tensor_view<const double, 1, typename B::memory_space>(var_be.view());
  const auto s = sum_product_rows(be, v_be, v_be, nv, vv, -1, true, variances != nullptr);
  const double pairs = double(K) * double(K - 1) / 2;
  g.equiangularity = s.v[1] / pairs;
  g.cosine_std = std::sqrt(std::max(0.0, s.v[3] / pairs - (s.v[2] / pairs) * (s.v[2] / pairs)));
  g.etf_error = etf_error(be, v_be, v_be, s.v[0]);
  if (cdnv_sum) *cdnv_sum = s.v[4];
  return g;
}

/// Σ_k (qₖᵀ A qₖ) / λₖ^power over the first `kept` eigenpairs (values, columns of q [m, m], both
/// in be's memory), A symmetric m×m row-major on the host: one GEMM A·Q_kept, then a row kernel
/// sums each row's terms.
template <backend B, class L, class Q>
double weighted_quadratic_trace(const B& be, const L& values, const Q& q, index_t kept, std::span<const double> a,
                                int power) {
  const index_t m = q.extent(0);
  if (kept == 0) return 0;
  using space = typename B::memory_space;
  const auto qk = q.cols(0, kept);
  const auto a_be = on_backend(be, a.data(), m, m);
  auto aq = allocate<double>(be, {m, kept});
  ops::gemm(be, tensor_view<const double, 2, space>(a_be.view()), qk, aq.view());
  auto rows = allocate<double>(be, {m});
  ops::for_each_row(be, m, weighted_row_kernel{power}, qk, tensor_view<const double, 2, space>(aq.view()),
                    values.slice(0, kept), rows.view());
  double total = 0;
  for (const double x : host_copy(be, rows.view())) total += x;
  return total;
}

template <backend B, class Pass2>
nc_result compute(const B& be, const class_statistics& stats, const Pass2* pass2, const nc_options& opt,
                  const linear_classifier* clf) {
  const index_t K = stats.classes(), d = stats.dim();
  const index_t N = stats.samples();
  if (opt.pinv_atol < 0 || !std::isfinite(opt.pinv_atol) || std::isnan(opt.pinv_rtol))
    throw value_error(message("posttrain::collapse::nc_metrics: pinv_atol = ", opt.pinv_atol, ", pinv_rtol = ",
                              opt.pinv_rtol, "; the cut-offs must be finite and atol ≥ 0"));
  if (clf && (clf->classes != K || clf->dim != d))
    throw shape_error(message("posttrain::collapse::nc_metrics: the classifier is [", clf->classes, ",", clf->dim,
                              "] but the statistics have K = ", K, " classes of d = ", d));
  stats.check_every_class_seen("nc_metrics");
  if (!pass2 && stats.route() == scatter_route::projected)
    throw value_error("posttrain::collapse::nc_metrics: on the projected route NC1 needs the second pass over the "
                      "features (second_pass_statistics); build class_statistics with scatter_route::gram for "
                      "one-pass metrics");
  if (pass2 && pass2->samples() != N)
    throw value_error(message("posttrain::collapse::nc_metrics: the second pass saw ", pass2->samples(),
                              " rows but the first saw ", N, "; both passes must cover the same features"));
  using space = typename B::memory_space;
  nc_result r;
  r.samples = N, r.classes = K, r.dim = d;

  // Centred means C [K, d] (the rows of M̃ᵀ), on the host where the statistics are, and on be.
  const auto means = stats.class_means();
  const auto g = stats.global_mean_of(opt.mean);
  std::vector<double> centred(means.size());
  for (index_t c = 0; c < K; ++c)
    for (index_t j = 0; j < d; ++j) centred[std::size_t(c * d + j)] = means[std::size_t(c * d + j)] - g[std::size_t(j)];
  const auto centred_buffer = on_backend(be, centred.data(), K, d);
  const auto cv = tensor_view<const double, 2, space>(centred_buffer.view());

  // Traces; CDNV and NC2 of the means from one pass over the rows of C·Cᵀ.
  const auto counts = stats.counts();
  const auto ss = stats.within_sum_squares();
  for (index_t c = 0; c < K; ++c) r.within_trace += ss[std::size_t(c)];
  r.within_trace /= double(N);
  const auto norms = row_norms(centred, K, d);
  for (double x : norms) r.between_trace += x * x;
  r.between_trace /= double(K);
  r.trace_ratio = r.within_trace / r.between_trace;
  std::vector<double> variances(static_cast<std::size_t>(K));
  for (index_t c = 0; c < K; ++c) variances[std::size_t(c)] = ss[std::size_t(c)] / double(counts[std::size_t(c)]);
  double cdnv = 0;
  r.means = geometry_of(be, centred, cv, K, d, &variances, &cdnv);
  r.cdnv = cdnv / (double(K) * double(K - 1) / 2);

  // NC1 through the small side, with the backend's eigen-solver (Eigen's, LAPACK's, cuSOLVER's;
  // the plain one on sequential).
  const bool gram = stats.route() == scatter_route::gram;
  const index_t m = gram ? d : K;
  auto small = allocate<double>(be, {m, m});
  ops::gemm(be, cv, cv, small.view(), {.transpose_a = gram, .transpose_b = !gram});
  auto values = allocate<double>(be, {m});
  auto vectors = allocate<double>(be, {m, m});
  ops::symmetric_eigen(be, tensor_view<const double, 2, space>(small.view()), values.view(), vectors.view());
  const auto host_values = host_copy(be, values.view());
  const double rtol = opt.pinv_rtol < 0 ? double(std::max(d, K)) * std::numeric_limits<double>::epsilon() : opt.pinv_rtol;
  const index_t max_rank = opt.max_rank < 0 ? std::min(d, K - 1) : std::min(opt.max_rank, m);
  const double lambda_max = m > 0 ? host_values[0] : 0.0;
  const double cutoff = rtol * lambda_max + double(K) * opt.pinv_atol;
  while (r.between_rank < max_rank && host_values[std::size_t(r.between_rank)] > cutoff &&
         host_values[std::size_t(r.between_rank)] > 0)
    ++r.between_rank;
  const auto lv = tensor_view<const double, 1, space>(values.view());
  const auto qv = tensor_view<const double, 2, space>(vectors.view());
  double trace_wb;
  if (gram) trace_wb = weighted_quadratic_trace(be, lv, qv, r.between_rank, stats.within_scatter(), 1);
  else trace_wb = weighted_quadratic_trace(be, lv, qv, r.between_rank, pass2->projected_scatter(), 2);
  trace_wb *= double(K) / double(N);
  if (r.between_rank == 0) trace_wb = std::numeric_limits<double>::infinity();  // no between-class spread at all
  r.nc1 = opt.divide_by_classes ? trace_wb / double(K) : trace_wb;

  // NC2 and NC3 of the classifier.
  if (clf) {
    const auto w_buffer = on_backend(be, clf->weight.data(), K, d);
    const auto wv = tensor_view<const double, 2, space>(w_buffer.view());
    r.classifier = geometry_of(be, clf->weight, wv, K, d);
    const auto wn = row_norms(clf->weight, K, d);
    double w2 = 0, m2 = 0;
    for (double x : wn) w2 += x * x;
    for (double x : norms) m2 += x * x;
    const double wi = 1 / std::sqrt(w2), mi = 1 / std::sqrt(m2);
    double dual = 0;
    for (std::size_t k = 0; k < centred.size(); ++k) {
      const double e = clf->weight[k] * wi - centred[k] * mi;
      dual += e * e;
    }
    r.self_duality = dual;
    const tensor_view<const double, 1, space> unused(nullptr, 0);
    const double frob2 = sum_product_rows(be, wv, cv, unused, unused, -1, false, false).v[0];
    r.classifier_means_etf_error = etf_error(be, wv, cv, frob2);
  }
  if (pass2) {
    r.ncc_accuracy = double(pass2->ncc_correct()) / double(N);
    if (clf && pass2->has_classifier()) r.ncc_mismatch = double(pass2->ncc_mismatches()) / double(N);
  }
  return r;
}

}  // namespace detail

/// NC1–NC4 from both passes. The classifier (optional) gives NC2/NC3 for W; the NCC mismatch
/// needs it in the second pass as well.
template <backend B, class T>
nc_result nc_metrics(const B& be, const class_statistics& stats, const second_pass_statistics<T>& pass2,
                     const nc_options& options = {}, const linear_classifier* classifier = nullptr) {
  return detail::compute(be, stats, &pass2, options, classifier);
}

/// NC1–NC3 from pass 1 alone (the gram route; NC4 needs a second pass and is absent).
template <backend B>
nc_result nc_metrics(const B& be, const class_statistics& stats, const nc_options& options = {},
                     const linear_classifier* classifier = nullptr) {
  return detail::compute(be, stats, static_cast<const second_pass_statistics<double>*>(nullptr), options, classifier);
}

/// NC1–NC4 of an in-memory feature matrix [N, d] with labels [N] in 0..K−1: both passes, in
/// batches of options.batch_rows (memory O(K·d + batch·d) beyond the input).
template <backend B, tensor_of_rank<2> H, tensor_of_rank<1> Y>
  requires accessible_by<H, B> && accessible_by<Y, B> && std::is_integral_v<typename Y::value_type>
nc_result nc_metrics(const B& be, const H& features, const Y& labels, index_t classes, const nc_options& options = {},
                     const linear_classifier* classifier = nullptr) {
  using T = typename H::value_type;
  const auto h = posttrain::detail::to_const_view(features);
  const auto y = posttrain::detail::to_const_view(labels);
  if (y.extent(0) != h.extent(0))
    throw shape_error(detail::message("posttrain::collapse::nc_metrics: labels are ", y, " but features are ", h,
                              "; one label per feature row"));
  if (options.batch_rows < 1)
    throw value_error(detail::message("posttrain::collapse::nc_metrics: batch_rows = ", options.batch_rows));
  class_statistics stats(classes, h.extent(1), options.route);
  const index_t n = h.extent(0), step = options.batch_rows;
  for (index_t r0 = 0; r0 < n; r0 += step) {
    const index_t count = std::min(step, n - r0);
    stats.add(be, h.rows(r0, count), y.slice(r0, count));
  }
  second_pass_statistics<T> pass2(be, stats, options.mean, classifier);
  for (index_t r0 = 0; r0 < n; r0 += step) {
    const index_t count = std::min(step, n - r0);
    pass2.add(be, h.rows(r0, count), y.slice(r0, count));
  }
  return nc_metrics(be, stats, pass2, options, classifier);
}

/// The metrics of each layer's features (all [N, d_l], one label vector), as Li et al. use
/// them to pick the layer to fine-tune (the one with the lowest NC1 on the downstream data).
template <backend B, tensor_of_rank<2> H, tensor_of_rank<1> Y>
  requires accessible_by<H, B> && accessible_by<Y, B> && std::is_integral_v<typename Y::value_type>
std::vector<nc_result> layerwise_nc_metrics(const B& be, std::span<const H> layers, const Y& labels, index_t classes,
                                            const nc_options& options = {}) {
  std::vector<nc_result> out;
  out.reserve(layers.size());
  for (const auto& layer : layers) out.push_back(nc_metrics(be, layer, labels, classes, options));
  return out;
}

}  // namespace posttrain::collapse
