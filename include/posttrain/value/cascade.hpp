// SPDX-License-Identifier: Apache-2.0
#pragma once
// The cascade input of IVL's Cascade / Cascade+ schemes: the value network reads the base
// model's belief as an expected embedding,
//
//   e_t = softmax(z_B[t]) · E          (Cascade; Cascade+ adds E[x_t])
//   ∂L/∂E += softmax(z_B)ᵀ · ∂L/∂e     (the backward into the embedding table; z_B is frozen)
//
// with z_B [T, V] and E [V, d]. Both run on any backend from ops::softmax and ops::gemm, a tile
// of rows at a time, so the [T, V] probabilities are never held whole (at most 2²⁴ elements).

#include <algorithm>
#include <string_view>

#include "../core.hpp"

namespace posttrain::value {

namespace detail {

inline index_t cascade_tile_rows(index_t rows, index_t vocab) {
  return std::clamp<index_t>((index_t{1} << 24) / std::max<index_t>(vocab, 1), 1, std::max<index_t>(rows, 1));
}

/// Calls f(r, count, p) for each tile of rows [r, r + count) of z [T, V], with p [count, V] the
/// tile's softmax, in one scratch buffer of at most 2²⁴ elements.
template <class T, backend B, class Z, class F>
void for_each_softmax_tile(const B& be, const Z& zv, F&& f) {
  const index_t rows = zv.extent(0), vocab = zv.extent(1), tile = cascade_tile_rows(rows, vocab);
  auto probs = allocate<T>(be, {tile * vocab});
  for (index_t r = 0; r < rows; r += tile) {
    const index_t count = std::min(tile, rows - r);
    const tensor_view<T, 2, typename B::memory_space> p(probs.view().data(), count, vocab);
    ops::softmax(be, zv.rows(r, count), p);
    f(r, count, p);
  }
}

}  // namespace detail

/// out [T, d] = softmax(z_base) [T, V] · embedding [V, d].
template <backend B, tensor_of_rank<2> Z, tensor_of_rank<2> E, tensor_of_rank<2> O>
  requires accessible_by<Z, B> && accessible_by<E, B> && accessible_by<O, B> && mutable_tensor<O> &&
           std::same_as<typename Z::value_type, typename E::value_type> &&
           std::same_as<typename E::value_type, typename O::value_type>
void expected_embedding(const B& be, const Z& z_base, const E& embedding, const O& out) {
  constexpr std::string_view who = "value::expected_embedding";
  posttrain::detail::check_extent(who, "embedding", embedding, 0, z_base.extent(1), "one row per token of z_base");
  posttrain::detail::check_extent(who, "out", out, 0, z_base.extent(0), "one row per row of z_base");
  posttrain::detail::check_extent(who, "out", out, 1, embedding.extent(1), "the embedding's width");
  using T = typename O::value_type;
  const auto zv = posttrain::detail::to_const_view(z_base);
  const auto ev = posttrain::detail::to_const_view(embedding);
  const auto ov = posttrain::detail::to_view(out);
  detail::for_each_softmax_tile<T>(be, zv, [&](index_t r, index_t count, const auto& p) {
    ops::gemm(be, p, ev, ov.rows(r, count));
  });
}

/// grad_embedding [V, d] += softmax(z_base)ᵀ · grad_out, for grad_out = ∂L/∂e [T, d].
template <backend B, tensor_of_rank<2> Z, tensor_of_rank<2> G, tensor_of_rank<2> GE>
  requires accessible_by<Z, B> && accessible_by<G, B> && accessible_by<GE, B> && mutable_tensor<GE> &&
           std::same_as<typename Z::value_type, typename G::value_type> &&
           std::same_as<typename G::value_type, typename GE::value_type>
void expected_embedding_backward(const B& be, const Z& z_base, const G& grad_out, const GE& grad_embedding) {
  constexpr std::string_view who = "value::expected_embedding_backward";
  posttrain::detail::check_extent(who, "grad_out", grad_out, 0, z_base.extent(0), "one row per row of z_base");
  posttrain::detail::check_extent(who, "grad_embedding", grad_embedding, 0, z_base.extent(1),
                                  "one row per token of z_base");
  posttrain::detail::check_extent(who, "grad_embedding", grad_embedding, 1, grad_out.extent(1),
                                  "grad_out's width");
  using T = typename GE::value_type;
  const auto zv = posttrain::detail::to_const_view(z_base);
  const auto gv = posttrain::detail::to_const_view(grad_out);
  const auto ge = posttrain::detail::to_view(grad_embedding);
  detail::for_each_softmax_tile<T>(be, zv, [&](index_t r, index_t count, const auto& p) {
    ops::gemm(be, p, gv.rows(r, count), ge, {.alpha = T(1), .beta = T(1), .transpose_a = true});
  });
}

}  // namespace posttrain::value
