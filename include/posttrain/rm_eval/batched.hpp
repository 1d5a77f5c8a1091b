// SPDX-License-Identifier: Apache-2.0
#pragma once
// Per-prompt metrics on [P, k] matrices (P prompts, k responses each) through a backend.
//   prompt_best_of_n_agreement(be, proxy, gold, out)  any backend (composed from ops)
//   prompt_all_pairs_accuracy(be, proxy, gold, out)    any backend (a row kernel over the k² pairs)
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

/// The counts of the ordered position (a, b) of a row: the pair's when a < b (score_pair's rules
/// in accuracy.hpp), and on the diagonal whether response a has a NaN score.
template <class T>
POSTTRAIN_HOST_DEVICE pair_counts count_pair(T proxy_a, T proxy_b, T gold_a, T gold_b, bool diagonal, bool upper,
                                             tie_policy policy) {
  if (diagonal) return {0, 0, (proxy_a != proxy_a || gold_a != gold_a) ? 1 : 0};
  if (!upper || gold_a == gold_b) return {0, 0, 0};
  if (proxy_a == proxy_b) {
    if (policy == tie_policy::exclude) return {0, 0, 0};
    return {1, policy == tie_policy::half ? 1 : 0, 0};
  }
  return {1, (proxy_a > proxy_b) == (gold_a > gold_b) ? 2 : 0, 0};
}

struct all_pairs_kernel {
  tie_policy policy;
  template <class Team, class P, class G, class O>
  POSTTRAIN_HOST_DEVICE void operator()(const Team& team, index_t i, const P& proxy, const G& gold, const O& out) const {
    const index_t k = proxy.extent(1);
    const auto c = team.reduce(k * k, pair_count_reduction{}, [&](index_t j) {
      const index_t a = j / k, b = j - a * k;
      return count_pair(proxy(i, a), proxy(i, b), gold(i, a), gold(i, b), a == b, a < b, policy);
    });
    team.single([&] {
      using R = typename O::value_type;
      out(i) = c.nans > 0 || c.pairs == 0 ? posttrain::detail::quiet_nan<R>()
                                           : static_cast<R>(double(c.credit2) / (2.0 * double(c.pairs)));
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
/// proxy and gold [P, k], on any backend: one row kernel per prompt, a reduction over the k²
/// ordered positions (a, b) that counts those with a < b. The counts are integers, so every
/// backend gives the same result whatever the order of the sum.
template <backend B, tensor_of_rank<2> P, tensor_of_rank<2> G, mutable_tensor O>
  requires accessible_by<P, B> && accessible_by<G, B> && accessible_by<O, B> && (O::rank == 1)
void prompt_all_pairs_accuracy(const B& be, const P& proxy, const G& gold, const O& out,
                               tie_policy policy = tie_policy::zero) {
  detail::check_batched("rm_eval::prompt_all_pairs_accuracy", proxy, gold, out);
  ops::for_each_row(be, proxy.extent(0), detail::all_pairs_kernel{policy}, posttrain::detail::to_const_view(proxy),
                    posttrain::detail::to_const_view(gold), posttrain::detail::to_view(out));
}

}  // namespace posttrain::rm_eval
