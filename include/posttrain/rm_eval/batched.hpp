// SPDX-License-Identifier: Apache-2.0
#pragma once
// Per-prompt metrics on [P, k] matrices (P prompts, k responses each) through a backend.
//   prompt_best_of_n_agreement(be, proxy, gold, out)  any backend (composed from ops)
//   prompt_all_pairs_accuracy(be, proxy, gold, out)    any backend (a row kernel over the pairs)
// A row containing NaN gives NaN.

#include <cstdint>

#include "../core.hpp"
#include "accuracy.hpp"

namespace posttrain::rm_eval {

namespace detail {

template <class T>
struct favourite_count {
  T favourites;  // responses tied at the proxy's top
  T hits;        // of those, the ones with the top gold score
};

/// (proxy, gold, top proxy of the row, top gold of the row) -> is it a favourite, a hit.
struct favourite_and_hit {
  template <class T>
  POSTTRAIN_HOST_DEVICE favourite_count<T> operator()(T proxy, T gold, T top_proxy, T top_gold) const {
    const bool favourite = proxy == top_proxy;
    return {favourite ? T(1) : T(0), favourite && gold == top_gold ? T(1) : T(0)};
  }
};

template <class T>
struct agreement_reduction {
  using accumulator = favourite_count<T>;
  POSTTRAIN_HOST_DEVICE accumulator init() const { return {T(0), T(0)}; }
  POSTTRAIN_HOST_DEVICE accumulator combine(accumulator a, accumulator x, index_t) const { return merge(a, x); }
  POSTTRAIN_HOST_DEVICE accumulator merge(accumulator a, accumulator b) const {
    return {a.favourites + b.favourites, a.hits + b.hits};
  }
  POSTTRAIN_HOST_DEVICE T result(accumulator a) const {
    return a.favourites > T(0) ? a.hits / a.favourites : posttrain::detail::quiet_nan<T>();
  }
};

/// Pair counts of one prompt: the denominator, twice the credit (a tie earns ½ under
/// tie_policy::half), and the responses with a NaN score.
struct pair_counts {
  std::int64_t pairs, credit2, nans;
};

struct pair_count_reduction {
  using accumulator = pair_counts;
  POSTTRAIN_HOST_DEVICE accumulator init() const { return {0, 0, 0}; }
  POSTTRAIN_HOST_DEVICE accumulator combine(accumulator a, accumulator x, index_t) const { return merge(a, x); }
  POSTTRAIN_HOST_DEVICE accumulator merge(accumulator a, accumulator b) const {
    return {a.pairs + b.pairs, a.credit2 + b.credit2, a.nans + b.nans};
  }
  POSTTRAIN_HOST_DEVICE accumulator result(accumulator a) const { return a; }
};

/// Adds the pair (a, b) to c by score_pair's rules (accuracy.hpp), without branches so that a
/// loop over b can vectorise: a pair counts when gold is not tied (and, under
/// tie_policy::exclude, proxy is not tied either); it earns 2 (twice the credit) when proxy agrees
/// with gold strictly, 1 for a proxy tie under tie_policy::half.
template <class T>
POSTTRAIN_HOST_DEVICE inline void add_pair(pair_counts& c, T pa, T pb, T ga, T gb, std::int64_t exclude,
                                           std::int64_t half) {
  const std::int64_t informative = ga != gb, tie = pa == pb, agree = (pa > pb) == (ga > gb);
  c.pairs += informative & ~(tie & exclude);
  c.credit2 += informative * (tie * half + (1 - tie) * 2 * agree);
}

/// The same with branches (score_pair's early returns), which is faster in the short scalar
/// loops of a few responses, where a branch is well predicted.
template <class T>
POSTTRAIN_HOST_DEVICE inline void add_pair_branching(pair_counts& c, T pa, T pb, T ga, T gb, tie_policy policy) {
  if (ga == gb) return;
  if (pa == pb) {
    if (policy == tie_policy::exclude) return;
    ++c.pairs;
    if (policy == tie_policy::half) ++c.credit2;
    return;
  }
  ++c.pairs;
  if ((pa > pb) == (ga > gb)) c.credit2 += 2;
}

/// Response a's pairs (a, b > a) of prompt i, and whether a has a NaN score.
template <class P, class G>
POSTTRAIN_HOST_DEVICE pair_counts pairs_from(const P& proxy, const G& gold, index_t i, index_t a, tie_policy policy) {
  const auto pa = proxy(i, a), ga = gold(i, a);
  const std::int64_t exclude = policy == tie_policy::exclude, half = policy == tie_policy::half;
  pair_counts c{0, 0, (pa != pa || ga != ga) ? 1 : 0};
  for (index_t b = a + 1; b < proxy.extent(1); ++b) add_pair(c, pa, proxy(i, b), ga, gold(i, b), exclude, half);
  return c;
}

template <class R>
POSTTRAIN_HOST_DEVICE R accuracy_of(pair_counts c) {
  return c.nans > 0 || c.pairs == 0 ? posttrain::detail::quiet_nan<R>()
                                    : static_cast<R>(double(c.credit2) / (2.0 * double(c.pairs)));
}

/// Many responses: one prompt per kernel row, the team reducing over its responses.
struct all_pairs_kernel {
  tie_policy policy;
  template <class Team, class P, class G, class O>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const P& proxy, const G& gold, const O& out) const {
    const auto c = team.reduce(proxy.extent(1), pair_count_reduction{},
                               [&](index_t a) { return pairs_from(proxy, gold, i, a, policy); });
    team.single([&] { out(i) = accuracy_of<typename O::value_type>(c); });
  }
};

/// Few responses (a reduction per prompt would cost more than its pairs): a block of prompts
/// per kernel row, one lane per prompt counting all its pairs; with fewer than 8 responses the
/// branching rules, faster in such short loops.
template <bool branching>
struct all_pairs_per_lane_kernel {
  tie_policy policy;
  index_t prompts_per_row;
  template <class Team, class P, class G, class O>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t row, const P& proxy, const G& gold, const O& out) const {
    const index_t first = row * prompts_per_row, rest = proxy.extent(0) - first;
    team.for_each(rest < prompts_per_row ? rest : prompts_per_row, [&](index_t t) {
      const index_t i = first + t, k = proxy.extent(1);
      pair_counts c{0, 0, 0};
      const std::int64_t exclude = policy == tie_policy::exclude, half = policy == tie_policy::half;
      for (index_t a = 0; a < k; ++a) {
        const auto pa = proxy(i, a), ga = gold(i, a);
        c.nans += (pa != pa || ga != ga) ? 1 : 0;
        for (index_t b = a + 1; b < k; ++b) {
          if constexpr (branching) add_pair_branching(c, pa, proxy(i, b), ga, gold(i, b), policy);
          else add_pair(c, pa, proxy(i, b), ga, gold(i, b), exclude, half);
        }
      }
      out(i) = accuracy_of<typename O::value_type>(c);
    });
  }
};

template <class P, class G, class O>
void check_batched(std::string_view who, const P& proxy, const G& gold, const O& out) {
  posttrain::detail::check_same_shape(who, "proxy", proxy, "gold", gold);
  posttrain::detail::check_extent(who, "out", out, 0, proxy.extent(0), "one value per prompt (row)");
}

}  // namespace detail

/// out[p] = best-of-k agreement of row p (see best_of_n.hpp), for proxy and gold [P, k].
template <backend B, tensor_of_rank<2> P, tensor_of_rank<2> G, mutable_tensor O>
  requires accessible_by<P, B> && accessible_by<G, B> && accessible_by<O, B> && (O::rank == 1)
void prompt_best_of_n_agreement(const B& be, const P& proxy, const G& gold, const O& out) {
  using T = typename P::value_type;
  detail::check_batched("rm_eval::prompt_best_of_n_agreement", proxy, gold, out);
  const index_t prompts = proxy.extent(0), k = proxy.extent(1);
  auto top_proxy = allocate<T>(be, {prompts});
  auto top_gold = allocate<T>(be, {prompts});
  ops::reduce(be, reduction::max<T>{}, proxy, top_proxy.view());
  ops::reduce(be, reduction::max<T>{}, gold, top_gold.view());
  using space = typename B::memory_space;
  ops::transform_reduce(be, detail::agreement_reduction<T>{}, detail::favourite_and_hit{}, proxy, gold,
                        broadcast_columns(tensor_view<const T, 1, space>(top_proxy.view()), k),
                        broadcast_columns(tensor_view<const T, 1, space>(top_gold.view()), k), out);
}

/// out[p] = accuracy over the C(k, 2) pairs of row p (NaN when no pair is informative), for
/// proxy and gold [P, k], on any backend: a row kernel, one prompt per kernel row (k ≥ 32) or one
/// prompt per lane. The counts are integers, so every backend gives the same result whatever the
/// order of the sum.
template <backend B, tensor_of_rank<2> P, tensor_of_rank<2> G, mutable_tensor O>
  requires accessible_by<P, B> && accessible_by<G, B> && accessible_by<O, B> && (O::rank == 1)
void prompt_all_pairs_accuracy(const B& be, const P& proxy, const G& gold, const O& out,
                               tie_policy policy = tie_policy::zero) {
  detail::check_batched("rm_eval::prompt_all_pairs_accuracy", proxy, gold, out);
  const auto pv = posttrain::detail::to_const_view(proxy);
  const auto gv = posttrain::detail::to_const_view(gold);
  const auto ov = posttrain::detail::to_view(out);
  const index_t prompts = pv.extent(0), k = pv.extent(1);
  if (k >= 32) {
    ops::for_each_row(be, prompts, detail::all_pairs_kernel{policy}, pv, gv, ov);
  } else {
    constexpr index_t per_row = 256;
    const index_t rows = (prompts + per_row - 1) / per_row;
    if (k < 8) ops::for_each_row(be, rows, detail::all_pairs_per_lane_kernel<true>{policy, per_row}, pv, gv, ov);
    else ops::for_each_row(be, rows, detail::all_pairs_per_lane_kernel<false>{policy, per_row}, pv, gv, ov);
  }
}

}  // namespace posttrain::rm_eval
