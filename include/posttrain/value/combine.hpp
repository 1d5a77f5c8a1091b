// SPDX-License-Identifier: Apache-2.0
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
#include <span>
#include <string_view>

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

/// The terms of a combination as kernel arguments: up to max_terms views with their weights and
/// forms, by value (a GPU kernel cannot read the caller's span).
template <class View>
struct term_list {
  static constexpr int max_terms = 8;
  View scores[max_terms];
  double weight[max_terms];
  bool log_softmax[max_terms];
  int count;
};


/// out(r, v) = Σ_k w_k·(t_k(r, v) − shift_k) with shift_k the row's log Σ e^{t_k} over t_k's full
/// width for the log-softmax terms; a NaN in the result is flagged at its column.
struct combine_kernel {
  template <class Team, class View, class O>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t r, const term_list<View>& terms, const O& out) const {
    using T = typename O::value_type;
    double shift[term_list<View>::max_terms];
    for (int k = 0; k < terms.count; ++k) {
      shift[k] = 0;
      if (terms.log_softmax[k] && terms.weight[k] != 0) {
        const View& t = terms.scores[k];
        shift[k] = team.reduce(t.extent(1), reduction::logsumexp<double>{}, [&](index_t v) { return double(t(r, v)); });
      }
    }
    const auto value = [&](index_t v) {
      double acc = 0;
      for (int k = 0; k < terms.count; ++k)
        if (terms.weight[k] != 0) acc += terms.weight[k] * (double(terms.scores[k](r, v)) - shift[k]);
      return acc;
    };
    const index_t n = out.extent(1);
    team.for_each(n, [&](index_t v) { out(r, v) = static_cast<T>(value(v)); });
    const index_t bad = team.reduce(n, reduction::first_index{}, [&](index_t v) {
      const double x = value(v);
      return x != x ? v : index_t(-1);
    });
    if (bad >= 0) team.fail(bad, 1);
  }
};

/// Contrastive decoding of one row: lsm(z_e) − lsm(z_a) where z_e ≥ max z_e + log α, else −inf.
struct contrastive_decoding_kernel {
  double log_alpha;
  template <class Team, class E, class A, class O>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t r, const E& e, const A& a, const O& out) const {
    using T = typename O::value_type;
    const index_t n = e.extent(1);
    const auto expert = [&](index_t v) { return double(e(r, v)); };
    const double le = team.reduce(n, reduction::logsumexp<double>{}, expert);
    const double la = team.reduce(n, reduction::logsumexp<double>{}, [&](index_t v) { return double(a(r, v)); });
    const double top = team.reduce(n, reduction::max<double>{}, expert);
    const double inf = posttrain::detail::infinity<double>();
    // p_e(v) ≥ α·max p_e  ⟺  z_e(v) ≥ max z_e + log α
    const auto plausible = [&](index_t v) { return expert(v) > -inf && expert(v) >= top + log_alpha; };
    const auto score = [&](index_t v) { return (expert(v) - le) - (double(a(r, v)) - la); };
    team.for_each(n, [&](index_t v) { out(r, v) = plausible(v) ? static_cast<T>(score(v)) : static_cast<T>(-inf); });
    const index_t bad = team.reduce(n, reduction::first_index{}, [&](index_t v) {
      const double s = score(v);
      return plausible(v) && s != s ? v : index_t(-1);
    });
    if (bad >= 0) team.fail(bad, 1);
  }
};

}  // namespace detail

/// out[b, v] = Σ_i w_i · (t_i[b, v] − (log-softmax ? logsumexp_v t_i[b, ·] : 0)); at most 8 terms.
template <backend B, tensor_of_rank<2> View, tensor_of_rank<2> O>
  requires accessible_by<View, B> && accessible_by<O, B> && mutable_tensor<O>
void combine(const B& be, std::span<const score_term<View>> terms, const O& out) {
  constexpr std::string_view who = "value::combine";
  if (terms.empty()) throw value_error("posttrain::value::combine: no terms");
  using CV = decltype(posttrain::detail::to_const_view(terms[0].scores));
  detail::term_list<CV> list{};
  if (index_t(terms.size()) > detail::term_list<CV>::max_terms)
    throw value_error(posttrain::detail::message("posttrain::", who, ": ", terms.size(), " terms; at most ",
                                                 detail::term_list<CV>::max_terms));
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
    list.scores[i] = posttrain::detail::to_const_view(t);
    list.weight[i] = terms[i].weight;
    list.log_softmax[i] = terms[i].form == score_form::log_softmax;
  }
  list.count = int(terms.size());
  if (const auto e = ops::for_each_row(be, ov.extent(0), detail::combine_kernel{}, list, ov))
    throw value_error(posttrain::detail::message(
        "posttrain::", who, ": row ", e.row, " column ", e.column,
        " is NaN (a −inf subtracted from a −inf, or a NaN input); the combination is undefined there"));
}

/// residual: z_base + α·z_value.
template <backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
  requires accessible_by<Z, B> && accessible_by<O, B> && mutable_tensor<O>
void residual(const B& be, const Z& z_base, const Z& z_value, const O& out, double alpha = 1.0) {
  using V = decltype(posttrain::detail::to_const_view(z_base));
  const score_term<V> t[] = {{posttrain::detail::to_const_view(z_base)},
                             {posttrain::detail::to_const_view(z_value), alpha}};
  combine(be, std::span<const score_term<V>>(t), out);
}

/// proxy tuning: z_base + α·(z_expert − z_antiexpert), raw logits; the experts may have a longer
/// vocabulary (truncated to the base's).
template <backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
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
template <backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
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
template <backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
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
template <backend B, tensor_of_rank<2> Z, tensor_of_rank<2> O>
  requires accessible_by<Z, B> && accessible_by<O, B> && mutable_tensor<O>
void contrastive_decoding(const B& be, const Z& z_expert, const Z& z_amateur, const O& out, double alpha = 0.1) {
  constexpr std::string_view who = "value::contrastive_decoding";
  if (!(alpha >= 0 && alpha <= 1))
    throw value_error(posttrain::detail::message("posttrain::", who, ": alpha is ", alpha, "; it must be in [0, 1]"));
  posttrain::detail::check_same_shape(who, "z_expert", z_expert, "z_amateur", z_amateur);
  posttrain::detail::check_same_shape(who, "z_expert", z_expert, "out", out);
  const auto error = ops::for_each_row(be, z_expert.extent(0), detail::contrastive_decoding_kernel{std::log(alpha)},
                                       posttrain::detail::to_const_view(z_expert),
                                       posttrain::detail::to_const_view(z_amateur), posttrain::detail::to_view(out));
  if (error)
    throw value_error(posttrain::detail::message("posttrain::", who, ": row ", error.row, " column ", error.column,
                                                 " is NaN (an input is NaN or infinite)"));
}

}  // namespace posttrain::value
