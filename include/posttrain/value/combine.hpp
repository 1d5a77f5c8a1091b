#pragma once
// Combining score rows at decoding (or training) time: every scheme of the logit-arithmetic
// literature is a weighted sum of rows [B, V_i], each taken raw or as log-softmax:
//
//   residual (IVL, the paper's transferable scheme)   z_B + α·z_V                          raw
//   proxy tuning (Liu et al. 2024)                     z_B + α·(z_expert − z_antiexpert)    raw
//   EFT / up-scaling (Mitchell et al. 2023)            lsm(z_B^large) + β·(lsm(z_ft^small) − lsm(z_B^small))
//   CMC (Wu et al. 2024) add                           z_B + Δ
//                        normalization                 lsm(z_B) + lsm(Δ)
//                        basenormalization             lsm(z_B) + Δ
//   contrastive decoding (Li et al. 2023)              lsm(z_exp) − lsm(z_ama) where p_exp ≥ α_cd·max p_exp,
//                                                      −inf elsewhere (α_cd = 0.1)
//
// (lsm = log-softmax over the row.) Softmax is invariant to a constant per row, so the raw and
// log-softmax forms of a term give the same distribution, until something that is not a
// per-row constant intervenes: a constant fill for unmapped tokens, a threshold mask, low
// precision. The tests show both the invariance and where it breaks.
//
// A term wider than the output is truncated to the output's width (proxy tuning's expert with a
// longer vocabulary); its log-softmax is taken over its full width first. A narrower term is a
// shape_error. A term of weight 0 is skipped (0·(−inf) would be NaN); a NaN in the result (a −inf
// subtracted from a −inf) is a value_error naming the row and column.

#include <cmath>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "../core.hpp"

namespace posttrain::value {

enum class score_form { raw, log_softmax };

template <class View>
struct score_term {
  View scores;  // [B, V_i], V_i ≥ the output's V
  double weight = 1.0;
  score_form form = score_form::raw;
};

namespace detail {

/// log Σ_v e^{x_v} of row r (−inf for an all −inf row), in double.
template <class View>
double row_log_sum_exp(const View& x, index_t r) {
  double top = -std::numeric_limits<double>::infinity();
  for (index_t v = 0; v < x.extent(1); ++v) top = std::max(top, double(x(r, v)));
  if (top == -std::numeric_limits<double>::infinity() || !std::isfinite(top)) return top;
  double sum = 0;
  for (index_t v = 0; v < x.extent(1); ++v) sum += std::exp(double(x(r, v)) - top);
  return top + std::log(sum);
}

}  // namespace detail

/// out[b, v] = Σ_i w_i · (t_i[b, v] − (log-softmax ? logsumexp_v t_i[b, ·] : 0)).
template <host_backend B, tensor_of_rank<2> View, tensor_of_rank<2> O>
  requires accessible_by<View, B> && accessible_by<O, B> && mutable_tensor<O>
void combine(const B& be, std::span<const score_term<View>> terms, const O& out) {
  constexpr std::string_view who = "value::combine";
  if (terms.empty()) throw value_error("posttrain::value::combine: no terms");
  const auto ov = posttrain::detail::to_view(out);
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const auto& t = terms[i].scores;
    if (t.extent(0) != ov.extent(0) || t.extent(1) < ov.extent(1))
      throw shape_error(posttrain::detail::message(
          "posttrain::", who, ": term ", i, " is ", posttrain::detail::to_view(t), " but out is ", ov,
          "; a term needs out's rows and at least out's columns (wider terms are truncated)"));
    if (!std::isfinite(terms[i].weight))
      throw value_error(posttrain::detail::message("posttrain::", who, ": term ", i, " has weight ",
                                                   terms[i].weight, "; weights must be finite"));
  }
  using T = typename O::value_type;
  const index_t n = ov.extent(1);
  posttrain::detail::host::for_rows(be, ov.extent(0), [&](index_t r0, index_t r1) {
    std::vector<double> acc(static_cast<std::size_t>(n));
    for (index_t r = r0; r < r1; ++r) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (const auto& term : terms) {
        if (term.weight == 0) continue;
        const auto tv = posttrain::detail::to_const_view(term.scores);
        const double shift = term.form == score_form::log_softmax ? detail::row_log_sum_exp(tv, r) : 0.0;
        for (index_t v = 0; v < n; ++v) acc[std::size_t(v)] += term.weight * (double(tv(r, v)) - shift);
      }
      for (index_t v = 0; v < n; ++v) {
        if (std::isnan(acc[std::size_t(v)]))
          throw value_error(posttrain::detail::message(
              "posttrain::", who, ": row ", r, " column ", v,
              " is NaN (a −inf subtracted from a −inf, or a NaN input); the combination is undefined there"));
        ov(r, v) = static_cast<T>(acc[std::size_t(v)]);
      }
    }
  });
}

/// residual: z_base + α·z_value.
template <host_backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
  requires accessible_by<Z, B> && accessible_by<O, B> && mutable_tensor<O>
void residual(const B& be, const Z& z_base, const Z& z_value, const O& out, double alpha = 1.0) {
  using V = decltype(posttrain::detail::to_const_view(z_base));
  const score_term<V> t[] = {{posttrain::detail::to_const_view(z_base)},
                             {posttrain::detail::to_const_view(z_value), alpha}};
  combine(be, std::span<const score_term<V>>(t), out);
}

/// proxy tuning: z_base + α·(z_expert − z_antiexpert), raw logits; the experts may have a longer
/// vocabulary (truncated to the base's).
template <host_backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
  requires accessible_by<Z, B> && accessible_by<O, B> && mutable_tensor<O>
void proxy_tuning(const B& be, const Z& z_base, const Z& z_expert, const Z& z_antiexpert, const O& out,
                  double alpha = 1.0) {
  using V = decltype(posttrain::detail::to_const_view(z_base));
  const score_term<V> t[] = {{posttrain::detail::to_const_view(z_base)},
                             {posttrain::detail::to_const_view(z_expert), alpha},
                             {posttrain::detail::to_const_view(z_antiexpert), -alpha}};
  combine(be, std::span<const score_term<V>>(t), out);
}

/// EFT up-scaling: lsm(z_base_large) + β·(lsm(z_tuned_small) − lsm(z_base_small)).
template <host_backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
  requires accessible_by<Z, B> && accessible_by<O, B> && mutable_tensor<O>
void emulated_fine_tuning(const B& be, const Z& z_base_large, const Z& z_tuned_small, const Z& z_base_small,
                          const O& out, double beta = 1.0) {
  using V = decltype(posttrain::detail::to_const_view(z_base_large));
  const score_term<V> t[] = {{posttrain::detail::to_const_view(z_base_large), 1.0, score_form::log_softmax},
                             {posttrain::detail::to_const_view(z_tuned_small), beta, score_form::log_softmax},
                             {posttrain::detail::to_const_view(z_base_small), -beta, score_form::log_softmax}};
  combine(be, std::span<const score_term<V>>(t), out);
}

enum class cmc_mode { add, normalization, basenormalization };

/// CMC: z_B + Δ, lsm(z_B) + lsm(Δ), or lsm(z_B) + Δ.
template <host_backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
  requires accessible_by<Z, B> && accessible_by<O, B> && mutable_tensor<O>
void cmc(const B& be, const Z& z_base, const Z& delta, const O& out, cmc_mode mode = cmc_mode::add) {
  using V = decltype(posttrain::detail::to_const_view(z_base));
  const score_form base = mode == cmc_mode::add ? score_form::raw : score_form::log_softmax;
  const score_form d = mode == cmc_mode::normalization ? score_form::log_softmax : score_form::raw;
  const score_term<V> t[] = {{posttrain::detail::to_const_view(z_base), 1.0, base},
                             {posttrain::detail::to_const_view(delta), 1.0, d}};
  combine(be, std::span<const score_term<V>>(t), out);
}

/// Contrastive decoding: lsm(z_expert) − lsm(z_amateur) on the plausible tokens
/// {v : p_expert(v) ≥ α·max p_expert}, −inf elsewhere.
template <host_backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
  requires accessible_by<Z, B> && accessible_by<O, B> && mutable_tensor<O>
void contrastive_decoding(const B& be, const Z& z_expert, const Z& z_amateur, const O& out, double alpha = 0.1) {
  constexpr std::string_view who = "value::contrastive_decoding";
  if (!(alpha >= 0 && alpha <= 1))
    throw value_error(posttrain::detail::message("posttrain::", who, ": alpha is ", alpha, "; it must be in [0, 1]"));
  posttrain::detail::check_same_shape(who, "z_expert", z_expert, "z_amateur", z_amateur);
  posttrain::detail::check_same_shape(who, "z_expert", z_expert, "out", out);
  const auto ev = posttrain::detail::to_const_view(z_expert);
  const auto av = posttrain::detail::to_const_view(z_amateur);
  const auto ov = posttrain::detail::to_view(out);
  using T = typename O::value_type;
  const double log_alpha = std::log(alpha);
  posttrain::detail::host::for_rows(be, ev.extent(0), [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const double le = detail::row_log_sum_exp(ev, r), la = detail::row_log_sum_exp(av, r);
      double top = -std::numeric_limits<double>::infinity();
      for (index_t v = 0; v < ev.extent(1); ++v) top = std::max(top, double(ev(r, v)));
      for (index_t v = 0; v < ev.extent(1); ++v) {
        const double e = double(ev(r, v));
        // p_e(v) ≥ α·max p_e  ⟺  z_e(v) ≥ max z_e + log α
        const bool plausible = e > -std::numeric_limits<double>::infinity() && e >= top + log_alpha;
        const double s = (e - le) - (double(av(r, v)) - la);
        if (plausible && std::isnan(s))
          throw value_error(posttrain::detail::message("posttrain::", who, ": row ", r, " column ", v,
                                                       " is NaN (an input is NaN or infinite)"));
        ov(r, v) = plausible ? static_cast<T>(s) : -std::numeric_limits<T>::infinity();
      }
    }
  });
}

}  // namespace posttrain::value
