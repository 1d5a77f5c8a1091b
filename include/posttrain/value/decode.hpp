#pragma once
// Logit processing and sampling for a batch of score rows [B, V], in the transformers warpers'
// order and semantics: temperature → top-k → top-p → min-p → pick.
//
//   temperature  z / T, T > 0 (greedy is its own mode)
//   top-k        keep every token ≥ the k-th largest (ties with the k-th are kept);
//                k = min(max(k, min_tokens_to_keep), V); k = 0 disables
//   top-p        rank the survivors by (value descending, index ascending); keep rank i iff the
//                probability mass of the tokens ranked above it is < p (the minimal prefix with
//                mass ≥ p; a mass within 1e-12 of p counts as reaching it, so decimal
//                boundaries such as 0.5 + 0.3 = 0.8 behave as written); at least
//                min_tokens_to_keep; p = 1 keeps all, p = 0 the top token
//   min-p        keep tokens with probability ≥ min_p · (top probability) (within 1e-12 in log
//                space), at least min_tokens_to_keep
//   pick         greedy: the first index of the maximum; else one uniform draw of the Philox
//                stream (seed of the row, step), inverse CDF over the survivors in index order
//
// No full sort of V: top-k is one selection pass (a candidate buffer with a rising threshold),
// top-p sorts only the top candidates, widening until they hold mass p. Probabilities are
// computed in double with the row's maximum subtracted, so any T > 0 is finite.
//
// Determinism: a row's token depends only on its own logits and its (seed, step): not on the
// batch size, the other rows, the thread count or the backend.
//
// Bad rows are errors naming the row (and the column): a NaN or +inf logit, or a row whose
// logits are all −inf. Inputs are never modified.
//
// Host backends only, for now: the selection keeps a per-thread candidate buffer and sorts the
// few candidates of top-p. As a row kernel it needs a sort-free selection (threshold search by
// counts, as FlashInfer's sampling kernels do) and sums in a partition fixed by the data, so that
// the drawn token stays identical on every backend.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "../core.hpp"

namespace posttrain::value {

struct sampling_options {
  /// T > 0; ignored when greedy.
  double temperature = 1.0;
  /// 0 disables.
  index_t top_k = 0;
  /// In [0, 1]; 1 disables.
  double top_p = 1.0;
  /// In [0, 1]; 0 disables.
  double min_p = 0.0;
  index_t min_tokens_to_keep = 1;
  /// Argmax (ties to the lowest index) instead of sampling; the filters are not applied.
  bool greedy = false;
};

namespace detail {

using posttrain::detail::message;

inline void check_options(std::string_view who, const sampling_options& o) {
  if (!o.greedy && !(o.temperature > 0))
    throw value_error(message("posttrain::", who, ": temperature is ", o.temperature,
                              "; it must be > 0 (use greedy for argmax decoding)"));
  if (!(o.top_p >= 0 && o.top_p <= 1))
    throw value_error(message("posttrain::", who, ": top_p is ", o.top_p, "; it must be in [0, 1]"));
  if (!(o.min_p >= 0 && o.min_p <= 1))
    throw value_error(message("posttrain::", who, ": min_p is ", o.min_p, "; it must be in [0, 1]"));
  if (o.top_k < 0) throw value_error(message("posttrain::", who, ": top_k is ", o.top_k, "; it must be ≥ 0"));
  if (o.min_tokens_to_keep < 1)
    throw value_error(message("posttrain::", who, ": min_tokens_to_keep is ", o.min_tokens_to_keep, "; it must be ≥ 1"));
}

/// A surviving token: its index and its temperature-scaled score s = (z − z_max) / T.
struct candidate {
  double score;
  index_t index;
};

/// The (value descending, index ascending) order of ranks.
inline bool ranks_above(const candidate& a, const candidate& b) {
  return a.score > b.score || (a.score == b.score && a.index < b.index);
}

/// Per-thread buffers, reused across rows.
struct row_scratch {
  std::vector<float> buffer;
  std::vector<double> dbuffer;
  std::vector<candidate> survivors;
};

/// The k-th largest value of z (k ≥ 1, k ≤ n), by one pass with a candidate buffer: values below
/// the running threshold cannot be among the top k, so for most rows almost nothing is kept.
template <class Get, class T>
T kth_largest(index_t n, index_t k, const Get& z, std::vector<T>& buffer) {
  const std::size_t cap = std::size_t(std::max<index_t>(4 * k, 1024));
  buffer.clear();
  buffer.reserve(cap);
  T threshold = -std::numeric_limits<T>::infinity();
  const auto shrink = [&] {
    std::nth_element(buffer.begin(), buffer.begin() + (k - 1), buffer.end(), std::greater<>{});
    threshold = buffer[std::size_t(k - 1)];
    buffer.resize(std::size_t(k));
  };
  for (index_t v = 0; v < n; ++v) {
    const T x = z(v);
    if (x >= threshold) {
      buffer.push_back(x);
      if (buffer.size() == cap) shrink();
    }
  }
  shrink();
  return threshold;
}

/// Validates row r (NaN, +inf, all −inf) and returns its maximum.
template <class Row>
double checked_max(std::string_view who, const Row& z, index_t r, index_t n) {
  double top = -std::numeric_limits<double>::infinity();
  bool bad = false;
  for (index_t v = 0; v < n; ++v) {
    const double x = double(z(v));
    bad = bad || !(x < std::numeric_limits<double>::infinity());  // NaN or +inf
    top = x > top ? x : top;
  }
  if (bad)
    for (index_t v = 0; v < n; ++v) {
      const double x = double(z(v));
      if (!(x < std::numeric_limits<double>::infinity()))
        throw value_error(message("posttrain::", who, ": row ", r, " column ", v, " is ", x,
                                  "; logits must be finite or −inf"));
    }
  if (n == 0 || top == -std::numeric_limits<double>::infinity())
    throw value_error(message("posttrain::", who, ": row ", r, " has no token with a finite logit",
                              n == 0 ? " (V = 0)" : " (all −inf)"));
  return top;
}

/// The processed distribution of one row: survivors (in rank order) with their probabilities
/// p = exp(s − log Z) over the survivors; returns log Z. Greedy is handled by the caller.
template <class Row>
double process_row(std::string_view who, const Row& z, index_t r, index_t n, const sampling_options& o,
                   row_scratch& s) {
  using T = std::remove_cvref_t<decltype(z(0))>;
  const double top = checked_max(who, z, r, n);
  const double inv_t = 1.0 / o.temperature;
  auto& cand = s.survivors;
  cand.clear();
  // top-k: the survivors and their scores; order of z is the order of z / T.
  const index_t k = o.top_k > 0 ? std::min(std::max(o.top_k, o.min_tokens_to_keep), n) : 0;
  if (k > 0 && k < n) {
    T threshold;
    if constexpr (std::is_same_v<T, float>) threshold = kth_largest(n, k, z, s.buffer);
    else threshold = T(kth_largest(n, k, [&](index_t v) { return double(z(v)); }, s.dbuffer));
    for (index_t v = 0; v < n; ++v)
      if (z(v) >= threshold) cand.push_back({(double(z(v)) - top) * inv_t, v});
  } else {
    cand.reserve(std::size_t(n));
    for (index_t v = 0; v < n; ++v) cand.push_back({(double(z(v)) - top) * inv_t, v});
  }
  // The normaliser over the survivors (−inf scores contribute 0).
  double mass = 0;
  for (const auto& c : cand) mass += std::exp(c.score);
  double log_z = std::log(mass);
  constexpr double boundary = 1e-12;
  // top-p: rank the candidates that can hold mass p, widening the sorted prefix until it does.
  if (o.top_p < 1) {
    std::size_t m = std::min<std::size_t>(cand.size(), 64);
    for (;;) {
      if (m < cand.size())
        std::nth_element(cand.begin(), cand.begin() + std::ptrdiff_t(m), cand.end(), ranks_above);
      std::sort(cand.begin(), cand.begin() + std::ptrdiff_t(m), ranks_above);
      double above = 0;
      std::size_t keep = 0;
      while (keep < m && (above < o.top_p - boundary || keep < std::size_t(o.min_tokens_to_keep))) {
        above += std::exp(cand[keep].score - log_z);
        ++keep;
      }
      if (keep < m || m == cand.size()) {
        cand.resize(keep);
        break;
      }
      m = std::min(cand.size(), m * 8);
    }
    mass = 0;
    for (const auto& c : cand) mass += std::exp(c.score);
    log_z = std::log(mass);
  }
  // min-p: against the top survivor's probability.
  if (o.min_p > 0) {
    const auto best = std::min_element(cand.begin(), cand.end(), ranks_above);
    const double cut = std::log(o.min_p) + best->score;  // p ≥ min_p · p_max in log space
    std::sort(cand.begin(), cand.end(), ranks_above);
    std::size_t keep = 0;
    while (keep < cand.size() && (cand[keep].score >= cut - boundary || keep < std::size_t(o.min_tokens_to_keep)))
      ++keep;
    cand.resize(keep);
    mass = 0;
    for (const auto& c : cand) mass += std::exp(c.score);
    log_z = std::log(mass);
  }
  return log_z;
}

/// The first index of the row's maximum and its log-softmax.
template <class Row>
std::pair<index_t, double> greedy_row(std::string_view who, const Row& z, index_t r, index_t n) {
  const double top = checked_max(who, z, r, n);
  index_t best = -1;
  double mass = 0;
  for (index_t v = 0; v < n; ++v) {
    const double x = double(z(v));
    if (best < 0 && x == top) best = v;
    mass += std::exp(x - top);
  }
  return {best, -std::log(mass)};
}

}  // namespace detail

/// out[b, v] = the log-probability of token v under row b's processed distribution, −inf for
/// the tokens the filters removed (what generate samples from).
template <host_backend B, tensor_of_rank<2> L, tensor_of_rank<2> O>
  requires accessible_by<L, B> && accessible_by<O, B> && mutable_tensor<O>
void processed_log_probs(const B& be, const L& logits, const O& out, const sampling_options& o = {}) {
  constexpr std::string_view who = "value::processed_log_probs";
  posttrain::detail::check_same_shape(who, "logits", logits, "out", out);
  detail::check_options(who, o);
  const auto lv = posttrain::detail::to_const_view(logits);
  const auto ov = posttrain::detail::to_view(out);
  using TO = typename O::value_type;
  const index_t n = lv.extent(1);
  posttrain::detail::host::for_rows(be, lv.extent(0), [&](index_t r0, index_t r1) {
    detail::row_scratch s;
    for (index_t r = r0; r < r1; ++r) {
      const auto z = [&](index_t v) { return lv(r, v); };
      for (index_t v = 0; v < n; ++v) ov(r, v) = -std::numeric_limits<TO>::infinity();
      if (o.greedy) {
        const auto [best, lp] = detail::greedy_row(who, z, r, n);
        ov(r, best) = static_cast<TO>(lp);
        continue;
      }
      const double log_z = detail::process_row(who, z, r, n, o, s);
      for (const auto& c : s.survivors) ov(r, c.index) = static_cast<TO>(c.score - log_z);
    }
  });
}

/// One decoding step: for each row b, the token drawn from its processed distribution with the
/// Philox stream (seeds[b], step), and that token's processed log-probability.
template <host_backend B, tensor_of_rank<2> L, tensor_of_rank<1> K, tensor_of_rank<1> P>
  requires accessible_by<L, B> && accessible_by<K, B> && accessible_by<P, B> && mutable_tensor<K> &&
           mutable_tensor<P> && std::is_integral_v<typename K::value_type>
void decode_step(const B& be, const L& logits, std::span<const std::uint64_t> seeds, std::uint64_t step,
                 const K& tokens, const P& log_probs, const sampling_options& o = {}) {
  constexpr std::string_view who = "value::decode_step";
  const index_t rows = logits.extent(0), n = logits.extent(1);
  posttrain::detail::check_extent(who, "tokens", tokens, 0, rows, "one token per row of logits");
  posttrain::detail::check_extent(who, "log_probs", log_probs, 0, rows, "one value per row of logits");
  if (index_t(seeds.size()) != rows && !o.greedy)
    throw shape_error(posttrain::detail::message("posttrain::", who, ": seeds has ", seeds.size(),
                                                 " elements but logits has ", rows, " rows; one seed per row"));
  detail::check_options(who, o);
  const auto lv = posttrain::detail::to_const_view(logits);
  const auto kv = posttrain::detail::to_view(tokens);
  const auto pv = posttrain::detail::to_view(log_probs);
  using TK = typename K::value_type;
  using TP = typename P::value_type;
  posttrain::detail::host::for_rows(be, rows, [&](index_t r0, index_t r1) {
    detail::row_scratch s;
    for (index_t r = r0; r < r1; ++r) {
      const auto z = [&](index_t v) { return lv(r, v); };
      if (o.greedy) {
        const auto [best, lp] = detail::greedy_row(who, z, r, n);
        kv(r) = static_cast<TK>(best);
        pv(r) = static_cast<TP>(lp);
        continue;
      }
      const double log_z = detail::process_row(who, z, r, n, o, s);
      // Inverse CDF in index order, so the draw does not depend on how the survivors were ranked.
      auto& cand = s.survivors;
      std::sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
      const double u = counter_rng(seeds[std::size_t(r)], step).uniform_double(0);
      double cumulative = 0;
      std::size_t pick = cand.size() - 1;
      for (std::size_t i = 0; i < cand.size(); ++i) {
        cumulative += std::exp(cand[i].score - log_z);
        if (u < cumulative) {
          pick = i;
          break;
        }
      }
      // Rounding can leave the total just under 1: the last survivor with probability > 0 then.
      while (pick > 0 && cand[pick].score == -std::numeric_limits<double>::infinity()) --pick;
      kv(r) = static_cast<TK>(cand[pick].index);
      pv(r) = static_cast<TP>(cand[pick].score - log_z);
    }
  });
}

}  // namespace posttrain::value
