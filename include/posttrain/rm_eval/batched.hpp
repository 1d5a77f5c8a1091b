// SPDX-License-Identifier: Apache-2.0
#pragma once
// Per-prompt metrics on [P, k] matrices (P prompts, k responses each) through a backend.
//   prompt_best_of_n_agreement(be, proxy, gold, out)  any backend (composed from ops)
//   prompt_all_pairs_accuracy(be, proxy, gold, out)    host backends (an all-pairs loop per row)
// A row containing NaN gives NaN.

#include <cmath>
#include <limits>

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
/// proxy and gold [P, k] on a host backend, rows in parallel.
template <host_backend B, tensor_of_rank<2> P, tensor_of_rank<2> G, mutable_tensor O>
  requires accessible_by<P, B> && accessible_by<G, B> && accessible_by<O, B> && (O::rank == 1)
void prompt_all_pairs_accuracy(const B& be, const P& proxy, const G& gold, const O& out,
                               tie_policy policy = tie_policy::zero) {
  detail::check_batched("rm_eval::prompt_all_pairs_accuracy", proxy, gold, out);
  const auto pv = posttrain::detail::to_const_view(proxy);
  const auto gv = posttrain::detail::to_const_view(gold);
  const auto ov = posttrain::detail::to_view(out);
  posttrain::detail::host::for_rows(be, pv.extent(0), [&](index_t r0, index_t r1) {
    for (index_t i = r0; i < r1; ++i) {
      accuracy_result acc;
      double credit = 0;
      bool has_nan = false;
      for (index_t a = 0; a < pv.extent(1); ++a) {
        has_nan = has_nan || std::isnan(double(pv(i, a))) || std::isnan(double(gv(i, a)));
        for (index_t b = a + 1; b < pv.extent(1); ++b)
          detail::score_pair(acc, pv(i, a), pv(i, b), gv(i, a), gv(i, b), policy, credit);
      }
      detail::finish(acc, credit);
      ov(i) = static_cast<typename O::value_type>(has_nan ? std::numeric_limits<double>::quiet_NaN() : acc.accuracy);
    }
  });
}

}  // namespace posttrain::rm_eval
