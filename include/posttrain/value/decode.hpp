// SPDX-License-Identifier: Apache-2.0
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
// One row kernel per row (ops::for_each_row, any backend), with no sort. Every filter keeps a
// prefix of the rank order, so the survivors are "every key above w, and the first c (by index)
// of the keys equal to w", where a key is the logit's bits mapped to an unsigned integer in the
// same order. w is found by radix selection from the top: team.histogram over 8-bit digits of
// the key, 4 passes for float logits (8 for double), each pass counting (top-k, the rank of
// min_tokens_to_keep) or adding probability mass (top-p) of the keys still in range.
//
// Determinism: the sampled token is the same on every backend, thread count and batch layout
// for the same (seed, step). Masses are e^{(z − z_max)/T} from exp_reproducible (the same bits on
// a CPU and a GPU), added exactly in 96-bit fixed point (core/reproducible.hpp), so that every
// decision (the top-p cut, the inverse CDF) compares integers that no reduction order changes.
// A token whose probability is below 2^-96 (≈ 1e-29) of the top token's counts as mass 0: it is
// never drawn. The log-probabilities returned are computed in double and agree across backends
// to rounding.
//
// Bad rows are errors naming the row (and the column): a NaN or +inf logit, or a row whose
// logits are all −inf. Inputs are never modified.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "../core.hpp"
#include "../core/reproducible.hpp"

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

using posttrain::detail::fixed96;

/// Masses of a row add up in fixed96, whose integer part holds 32 bits.
inline void check_vocabulary(std::string_view who, index_t n) {
  if (n >= (index_t(1) << 31))
    throw shape_error(message("posttrain::", who, ": logits has ", n, " columns; at most 2^31 − 1 are supported"));
}

/// The sampling options as the kernel takes them: plain numbers worked out once on the host.
struct sampling_plan {
  bool greedy = false;
  double inv_temperature = 1;
  index_t top_k = 0;                   // min(max(k, min_keep), V); 0 when off or ≥ V
  bool top_p = false;                  // top_p < 1
  std::uint64_t top_p_fraction = 0;    // ⌊(top_p − 1e-12) · 2^53⌋, 0 when ≤ 0
  bool min_p = false;                  // min_p > 0
  double min_p_cut = 0;                // log(min_p) − 1e-12: a survivor's score is ≥ this
  index_t min_keep = 1;
};

inline sampling_plan plan_of(const sampling_options& o, index_t n) {
  sampling_plan p;
  p.greedy = o.greedy;
  p.inv_temperature = 1.0 / o.temperature;
  const index_t k = o.top_k > 0 ? std::min(std::max(o.top_k, o.min_tokens_to_keep), n) : 0;
  p.top_k = k < n ? k : 0;
  p.top_p = o.top_p < 1;
  const double fraction = o.top_p - 1e-12;
  p.top_p_fraction = fraction > 0 ? static_cast<std::uint64_t>(fraction * 0x1p53) : 0;
  p.min_p = o.min_p > 0;
  p.min_p_cut = p.min_p ? std::log(o.min_p) - 1e-12 : 0;
  p.min_keep = o.min_tokens_to_keep;
  return p;
}

/// Keys: the logit's bits as an unsigned integer in the logit's order (−0 and +0 are one key).
/// Logits of 4 bytes or fewer are read as float, wider ones as double.
template <class T>
using key_value_t = std::conditional_t<(sizeof(T) <= 4), float, double>;
template <class T>
using key_t = std::conditional_t<(sizeof(T) <= 4), std::uint32_t, std::uint64_t>;

template <class F>
POSTTRAIN_HOST_DEVICE auto ordered_key(F x) {
  // x + 0 turns −0 into +0; negative numbers flip all bits, the others only the sign bit.
  const auto bits = posttrain::detail::bits_of(x + F(0));
  using K = decltype(bits);
  using S = std::make_signed_t<K>;
  constexpr K sign = K(1) << (8 * sizeof(K) - 1);
  const K negative = K(S(bits) >> (8 * sizeof(K) - 1));  // all ones for a negative x
  return K(bits ^ (negative | sign));
}
template <class K>
POSTTRAIN_HOST_DEVICE auto key_value(K key) {
  constexpr K sign = K(1) << (8 * sizeof(K) - 1);
  return posttrain::detail::from_bits((key & sign) ? K(key & ~sign) : K(~key));
}

/// A token's score s = (z − z_max) / T and its probability mass e^s (unnormalised, exact bits).
POSTTRAIN_HOST_DEVICE inline double score(double z, double top, double inv_t) { return (z - top) * inv_t; }
POSTTRAIN_HOST_DEVICE inline fixed96 mass(double s) {
  return posttrain::detail::to_fixed96(posttrain::detail::exp_reproducible(s));
}

enum : int { bad_logit = 1, no_finite_logit = 2 };

/// A row's largest logit, after checking the row: a NaN or +inf is recorded at its first column,
/// a row with no finite logit at column 0 (ok is then false).
template <class F>
struct row_top {
  bool ok;
  F top;
};

/// The largest key of a row, a NaN's key counted as the largest of all: an unsigned maximum,
/// which vectorises (a float maximum that keeps NaN does not, with GCC).
template <class F>
struct max_key {
  using K = key_t<F>;
  using accumulator = K;
  POSTTRAIN_HOST_DEVICE K init() const { return K(0); }
  POSTTRAIN_HOST_DEVICE K combine(K a, F x, index_t) const {
    K k = ordered_key(x);
    k = k < ordered_key(-posttrain::detail::infinity<F>()) ? K(~K(0)) : k;  // NaNs with the sign bit
    return a > k ? a : k;
  }
  POSTTRAIN_HOST_DEVICE K merge(K a, K b) const { return a > b ? a : b; }
  POSTTRAIN_HOST_DEVICE K result(K a) const { return a; }
};

template <class F, class Team, class Row>
POSTTRAIN_HOST_DEVICE row_top<F> checked_top(const Team& team, index_t n, const Row& z) {
  constexpr F inf = posttrain::detail::infinity<F>();
  const auto top_key = team.reduce(n, max_key<F>{}, [&](index_t j) { return z(j); });
  if (top_key >= ordered_key(inf)) {  // a NaN or +inf
    const index_t bad = team.reduce(n, reduction::first_index{}, [&](index_t j) { return z(j) < inf ? index_t(-1) : j; });
    team.fail(bad, bad_logit);
    return {false, inf};
  }
  const F top = key_value(top_key);
  if (!(top > -inf)) {  // every logit −inf, or none
    team.fail(0, no_finite_logit);
    return {false, top};
  }
  return {true, top};
}

/// Where a radix selection stopped: the key w, the totals of the keys above it and at it, and
/// the total of the whole range it started from.
template <class K>
struct selection {
  K key;
  bin_total above, at, whole;
};

/// Among the elements whose key is in [low, high], the key w at which the running total from the
/// top reaches its target: reached(total of keys > w) is false, reached(total of keys ≥ w) is
/// true. Totals count the elements and, when with_mass, add their masses. reached(cumulative,
/// whole) gets the total of the whole range too (top-p's target is a fraction of it); the
/// target must be reachable within the range. Passes of Team::radix_bits-bit digits of key − low.
template <bool with_mass, class Team, class Key, class Mass, class K, class Reached>
POSTTRAIN_HOST_DEVICE selection<K> select_from_top(const Team& team, index_t n, const Key& key, const Mass& mass_at, K low,
                                                   K high, const Reached& reached) {
  int shift = 0;
  constexpr int digit = Team::radix_bits, bins_per_pass = 1 << digit;
  for (K d = K(high - low) >> digit; d != 0; d >>= 1) ++shift;
  bin_total above{}, whole{};
  for (bool first = true;; first = false) {
    const K range = K(high - low);
    const int last = static_cast<int>(range >> shift);
    const bin_total* bins = team.template histogram<bins_per_pass>(
        n,
        [&key, low, range, shift](index_t j) {
          const K offset = K(key(j) - low);  // wraps for keys below low
          const int bin = static_cast<int>(offset >> shift);
          return offset <= range ? bin : -1;
        },
        [&](index_t j) { return with_mass ? mass_at(j) : fixed96{}; }, last + 1);
    if (first) {
      whole = above;
      for (int b = 0; b <= last; ++b) whole = whole + bins[b];
    }
    int b = last;
    for (; b > 0; --b) {
      const bin_total next = above + bins[b];
      if (reached(next, whole)) break;
      above = next;
    }
    low = K(low + (K(b) << shift));
    if (shift == 0) return {low, above, bins[b], whole};
    const K width = K((K(1) << shift) - 1);
    high = K(high - low) > width ? K(low + width) : high;
    shift = shift > digit ? shift - digit : 0;
  }
}

/// The survivors of a row: every token whose key is above `key`, and the first `ties` (by
/// index) of those whose key equals it; `mass` is the exact sum of their masses.
template <class K>
struct survivor_set {
  bool ok = false;  // false: the row is bad, and the team has recorded why
  double top = 0;   // the row's largest logit
  K key{};
  std::uint64_t ties = 0;
  fixed96 mass{};
  fixed96 mass_at_key{};  // the mass of one token whose key is `key`
};

/// The filters of one row, as collective calls (see the top of this file).
template <class F, class Team, class Row>
POSTTRAIN_HOST_DEVICE survivor_set<key_t<F>> select_survivors(const Team& team, index_t n, const Row& z,
                                                               const sampling_plan& o) {
  using K = key_t<F>;
  survivor_set<K> s;
  const row_top<F> checked = checked_top<F>(team, n, z);
  if (!checked.ok) return s;
  // Keys from −inf's to the top's (a pass for the smallest logit would not save a radix pass).
  const struct {
    K low, high;
  } ext{ordered_key(-posttrain::detail::infinity<F>()), ordered_key(checked.top)};
  s.ok = true;
  s.top = double(checked.top);
  const double top = s.top, inv_t = o.inv_temperature;
  const auto key = [&](index_t j) { return ordered_key(z(j)); };
  const auto mass_at = [&](index_t j) { return mass(score(double(z(j)), top, inv_t)); };
  const auto mass_of_key = [&](K k) { return mass(score(double(key_value(k)), top, inv_t)); };
  const auto count_reaches = [](std::uint64_t q) {
    return [q](bin_total c, bin_total) { return c.count >= q; };
  };

  // The population: keys ≥ low, all their ties; q tokens.
  K low = ext.low;
  std::uint64_t q = std::uint64_t(n);
  if (o.top_k > 0) {
    // The k-th largest of the first sixteenth of the row is a lower bound of the row's k-th
    // largest: the selection over the row then skips most of it from its first pass. (Any part
    // of the row gives a bound; a contiguous one is read at full speed. A poor bound costs
    // time, never correctness.)
    K bound = ext.low;
    if (o.top_k * 64 <= n)
      bound = select_from_top<false>(team, n / 16, key, mass_at, ext.low, ext.high, count_reaches(std::uint64_t(o.top_k))).key;
    const auto sel = select_from_top<false>(team, n, key, mass_at, bound, ext.high, count_reaches(std::uint64_t(o.top_k)));
    low = sel.key;
    q = sel.above.count + sel.at.count;
  }
  // The cut, when known: `key` and `ties` of the survivors for q, and their mass.
  bool cut_known = true, mass_known = false;
  s.key = low;
  s.ties = ~std::uint64_t(0);

  if (o.top_p) {
    std::uint64_t kept = 0;
    if (o.top_p_fraction > 0) {
      const std::uint64_t fraction = o.top_p_fraction;
      const auto sel = select_from_top<true>(team, n, key, mass_at, low, ext.high, [fraction](bin_total c, bin_total whole) {
        return posttrain::detail::scaled_by_fraction(whole.weight, fraction) <= c.weight;
      });
      const fixed96 target = posttrain::detail::scaled_by_fraction(sel.whole.weight, fraction);
      // Ties at the cut: the j-th (from 0) is kept while the mass ranked above it is below the
      // target; j = 0 always is (the selection stopped there).
      const fixed96 one = mass_of_key(sel.key);
      std::uint64_t lo = 1, hi = sel.at.count;
      while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo + 1) / 2;
        if (sel.above.weight + one * (mid - 1) < target) lo = mid;
        else hi = mid - 1;
      }
      kept = sel.above.count + lo;
      s.key = sel.key;
      s.ties = lo;
      s.mass_at_key = one;
      s.mass = sel.above.weight + one * lo;
      mass_known = true;
    }
    const std::uint64_t at_least = kept > std::uint64_t(o.min_keep) ? kept : std::uint64_t(o.min_keep);
    const std::uint64_t q2 = at_least < q ? at_least : q;
    if (q2 != kept) cut_known = mass_known = false;
    q = q2;
  }
  if (o.min_p) {
    const double cut = o.min_p_cut;
    const auto passing = std::uint64_t(team.reduce(n, reduction::sum<index_t>{}, [&](index_t j) {
      return index_t(score(double(z(j)), top, inv_t) >= cut);
    }));
    const std::uint64_t at_least = passing > std::uint64_t(o.min_keep) ? passing : std::uint64_t(o.min_keep);
    if (at_least < q) {
      q = at_least;
      cut_known = mass_known = false;
    }
  }
  if (!cut_known) {
    const auto sel = select_from_top<false>(team, n, key, mass_at, low, ext.high, count_reaches(q));
    s.key = sel.key;
    s.ties = q - sel.above.count;
  }
  if (!mass_known) {
    s.mass_at_key = mass_of_key(s.key);
    const K w = s.key;
    const bin_total* bins = team.template histogram<2>(
        n,
        [&](index_t j) {
          const K k = key(j);
          return k > w ? 1 : (k == w ? 0 : -1);
        },
        [&](index_t j) { return key(j) > w ? mass_at(j) : fixed96{}; });
    const std::uint64_t ties = bins[0].count < s.ties ? bins[0].count : s.ties;
    s.mass = bins[1].weight + s.mass_at_key * ties;
  }
  return s;
}

/// The running totals of the inverse-CDF scan: ties seen at the cut key, mass of the keys above.
struct tie_mass {
  std::uint64_t ties = 0;
  fixed96 mass{};
};
struct tie_mass_plus {
  using value_type = tie_mass;
  POSTTRAIN_HOST_DEVICE tie_mass identity() const { return {}; }
  POSTTRAIN_HOST_DEVICE tie_mass combine(tie_mass a, tie_mass b) const { return {a.ties + b.ties, a.mass + b.mass}; }
};

/// One pass over the columns [first, first + count) in index order, `base` being the running
/// totals before first: visit(j, kept, mass before j, mass through j) for every token (kept false
/// for the others, masses then meaningless).
template <class F, class Team, class Row, class Visit>
POSTTRAIN_HOST_DEVICE void scan_survivors(const Team& team, index_t first, index_t count, const Row& z,
                                          const survivor_set<key_t<F>>& s, double inv_t, tie_mass base,
                                          const Visit& visit) {
  using K = key_t<F>;
  const K w = s.key;
  const double top = s.top;
  team.scan(
      count, tie_mass_plus{},
      [&](index_t i) {
        const index_t j = first + i;
        const K k = ordered_key(z(j));
        return k > w ? tie_mass{0, mass(score(double(z(j)), top, inv_t))} : tie_mass{k == w ? 1u : 0u, fixed96{}};
      },
      [&](index_t i, tie_mass through) {
        const index_t j = first + i;
        through = tie_mass_plus{}.combine(base, through);
        const K k = ordered_key(z(j));
        const bool kept = k > w || (k == w && through.ties <= s.ties);
        if (!kept) return visit(j, false, fixed96{}, fixed96{});
        const std::uint64_t ties = through.ties < s.ties ? through.ties : s.ties;
        const fixed96 after = through.mass + s.mass_at_key * ties;
        const fixed96 own = k > w ? mass(score(double(z(j)), top, inv_t)) : s.mass_at_key;
        visit(j, true, after - own, after);
      });
}

/// The survivor whose interval [mass before it, mass through it) in index order holds target
/// (< the survivors' mass): a histogram of the survivors over blocks of columns finds the block,
/// a scan of that block the token. visit(j, mass before j, mass through j) is called for it.
template <class F, class Team, class Row, class Visit>
POSTTRAIN_HOST_DEVICE void find_drawn(const Team& team, index_t n, const Row& z, const survivor_set<key_t<F>>& s,
                                      double inv_t, fixed96 target, const Visit& visit) {
  using K = key_t<F>;
  constexpr int blocks = 128;
  int shift = 0;
  while ((index_t(blocks) << shift) < n) ++shift;
  const K w = s.key;
  const double top = s.top;
  // Bin 2b: the keys above w in block b (with their masses); bin 2b + 1: the ties at w.
  const int used = static_cast<int>((n - 1) >> shift) + 1;  // blocks
  const bin_total* bins = team.template histogram<2 * blocks>(
      n,
      [&z, w, shift](index_t j) {
        const K k = ordered_key(z(j));
        const int b = 2 * static_cast<int>(j >> shift);
        return (b + int(k == w)) | -int(k < w);  // without branches, so that it vectorises
      },
      [&](index_t j) { return ordered_key(z(j)) > w ? mass(score(double(z(j)), top, inv_t)) : fixed96{}; },
      2 * used);
  tie_mass before{};
  int b = 0;
  for (; b < used - 1; ++b) {
    const tie_mass next{before.ties + bins[2 * b + 1].count, before.mass + bins[2 * b].weight};
    const std::uint64_t ties = next.ties < s.ties ? next.ties : s.ties;
    if (target < next.mass + s.mass_at_key * ties) break;
    before = next;
  }
  const index_t first = index_t(b) << shift;
  const index_t count = (n - first) < (index_t(1) << shift) ? n - first : index_t(1) << shift;
  scan_survivors<F>(team, first, count, z, s, inv_t, before, [&](index_t j, bool kept, fixed96 lo, fixed96 hi) {
    if (kept && lo <= target && target < hi) visit(j, lo, hi);
  });
}

/// The first index of the row's maximum and its log-softmax (any order of summation).
template <class F, class Team, class Row>
POSTTRAIN_HOST_DEVICE bool greedy_pick(const Team& team, index_t n, const Row& z, index_t& best, double& log_prob) {
  const row_top<F> checked = checked_top<F>(team, n, z);
  if (!checked.ok) return false;
  const F top = checked.top;
  best = team.reduce(n, reduction::first_index{}, [&](index_t j) { return z(j) == top ? j : index_t(-1); });
  const double total = team.reduce(n, reduction::sum<double>{}, [&](index_t j) { return ::exp(double(z(j)) - double(top)); });
  log_prob = -::log(total);
  return true;
}

template <class T>
struct decode_kernel {
  sampling_plan plan;
  std::uint64_t step;
  template <class Team, class L, class S, class K, class P>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t r, const L& logits, const S& seeds, const K& tokens,
                                        const P& log_probs) const {
    using F = key_value_t<T>;
    using TK = typename K::value_type;
    using TP = typename P::value_type;
    const index_t n = logits.extent(1);
    const auto z = [&](index_t j) { return F(logits(r, j)); };
    if (plan.greedy) {
      index_t best = -1;
      double lp = 0;
      if (!greedy_pick<F>(team, n, z, best, lp)) return;
      team.single([&] {
        tokens(r) = static_cast<TK>(best);
        log_probs(r) = static_cast<TP>(lp);
      });
      return;
    }
    const auto s = select_survivors<F>(team, n, z, plan);
    if (!s.ok) return;
    const double log_z = ::log(posttrain::detail::to_double(s.mass));
    const fixed96 target = posttrain::detail::scaled_by_fraction(s.mass, counter_rng(seeds(r), step).uniform_bits53(0));
    const double top = s.top, inv_t = plan.inv_temperature;
    find_drawn<F>(team, n, z, s, inv_t, target, [&](index_t j, fixed96, fixed96) {
      tokens(r) = static_cast<TK>(j);
      log_probs(r) = static_cast<TP>(score(double(z(j)), top, inv_t) - log_z);
    });
  }
};

template <class T>
struct processed_kernel {
  sampling_plan plan;
  template <class Team, class L, class O>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t r, const L& logits, const O& out) const {
    using F = key_value_t<T>;
    using TO = typename O::value_type;
    const index_t n = logits.extent(1);
    const auto z = [&](index_t j) { return F(logits(r, j)); };
    const TO none = -posttrain::detail::infinity<TO>();
    if (plan.greedy) {
      index_t best = -1;
      double lp = 0;
      if (!greedy_pick<F>(team, n, z, best, lp)) return;
      team.for_each(n, [&](index_t j) { out(r, j) = j == best ? static_cast<TO>(lp) : none; });
      return;
    }
    const auto s = select_survivors<F>(team, n, z, plan);
    if (!s.ok) return;
    const double log_z = ::log(posttrain::detail::to_double(s.mass));
    const double top = s.top, inv_t = plan.inv_temperature;
    scan_survivors<F>(team, 0, n, z, s, inv_t, tie_mass{}, [&](index_t j, bool kept, fixed96, fixed96) {
      out(r, j) = kept ? static_cast<TO>(score(double(z(j)), top, inv_t) - log_z) : none;
    });
  }
};

/// Raises the error a decoding kernel recorded.
template <class B, class L>
void raise_row_error(std::string_view who, const B& be, const L& logits, const row_error& e) {
  if (!e) return;
  if (e.code == bad_logit)
    throw value_error(message("posttrain::", who, ": row ", e.row, " column ", e.column, " is ",
                              double(posttrain::detail::element_at(be, logits, e.row, e.column)),
                              "; logits must be finite or −inf"));
  throw value_error(message("posttrain::", who, ": row ", e.row, " has no token with a finite logit",
                            logits.extent(1) == 0 ? " (V = 0)" : " (all −inf)"));
}

}  // namespace detail

/// out[b, v] = the log-probability of token v under row b's processed distribution, −inf for
/// the tokens the filters removed (what generate samples from).
template <backend B, tensor_of_rank<2> L, tensor_of_rank<2> O>
  requires accessible_by<L, B> && accessible_by<O, B> && mutable_tensor<O>
void processed_log_probs(const B& be, const L& logits, const O& out, const sampling_options& o = {}) {
  constexpr std::string_view who = "value::processed_log_probs";
  posttrain::detail::check_same_shape(who, "logits", logits, "out", out);
  detail::check_options(who, o);
  detail::check_vocabulary(who, logits.extent(1));
  const auto lv = posttrain::detail::to_const_view(logits);
  const auto ov = posttrain::detail::to_view(out);
  const auto plan = detail::plan_of(o, lv.extent(1));
  const row_error e =
      ops::for_each_row(be, lv.extent(0), detail::processed_kernel<typename L::value_type>{plan}, lv, ov);
  detail::raise_row_error(who, be, lv, e);
}

/// One decoding step: for each row b, the token drawn from its processed distribution with the
/// Philox stream (seeds[b], step), and that token's processed log-probability. `seeds` is host
/// memory (one per row; unused, and may be empty, when greedy).
template <backend B, tensor_of_rank<2> L, tensor_of_rank<1> K, tensor_of_rank<1> P>
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
  detail::check_vocabulary(who, n);
  const auto lv = posttrain::detail::to_const_view(logits);
  // The seeds in the backend's memory (a copy of a few bytes per row).
  auto seed_buffer = allocate<std::uint64_t>(be, {o.greedy ? index_t(0) : rows});
  if (!o.greedy)
    deep_copy(be, tensor_view<const std::uint64_t, 1>(seeds.data(), rows), seed_buffer.view());
  const auto sv = posttrain::detail::to_const_view(seed_buffer.view());
  const row_error e = ops::for_each_row(be, rows, detail::decode_kernel<typename L::value_type>{detail::plan_of(o, n), step},
                                        lv, sv, posttrain::detail::to_view(tokens), posttrain::detail::to_view(log_probs));
  detail::raise_row_error(who, be, lv, e);
}

}  // namespace posttrain::value
