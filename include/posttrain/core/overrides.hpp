// SPDX-License-Identifier: Apache-2.0
#pragma once
// Which ops a backend provides itself, declared, so that dispatch cannot silently miss:
//
//   struct my_backend {
//     using memory_space = posttrain::host_space;
//     static constexpr bool is_backend = true;
//     using overrides = posttrain::ops::op_list<posttrain::ops::op::gemm, posttrain::ops::op::softmax>;
//     template <class T> void gemm(...) const;  template <class T> void softmax(...) const;
//   };
//
// Every op checks at compile time, for the arguments of the call, that a listed op's member is
// the one reached (a member whose signature does not fit would otherwise be skipped for the
// generic path without a word), and that a member that fits is listed. A backend without
// `overrides` provides no op itself.

#include <type_traits>

namespace posttrain::ops {

/// Tags naming the ops (and the memory primitives) a backend can provide.
namespace op {
struct allocate;
struct deep_copy;
struct fill;
struct copy;
struct map;
struct transform_reduce;
struct gemm;
struct row_logsumexp;
struct softmax;
struct log_softmax;
struct topk;
struct argmax;
struct gather;
struct reverse_scan;
struct for_each_row;
struct symmetric_eigen;
}  // namespace op

template <class... Ops>
struct op_list {};

}  // namespace posttrain::ops

namespace posttrain::detail {
template <class List, class Op>
inline constexpr bool lists = false;
template <class... Ops, class Op>
inline constexpr bool lists<ops::op_list<Ops...>, Op> = (std::is_same_v<Ops, Op> || ...);
}  // namespace posttrain::detail

namespace posttrain::ops {

/// Whether backend B lists Op in its `overrides`.
template <class B, class Op>
inline constexpr bool declares = [] {
  if constexpr (requires { typename B::overrides; }) return posttrain::detail::lists<typename B::overrides, Op>;
  else return false;
}();

}  // namespace posttrain::ops

/// In an op's dispatch: `has` is whether backend B's member `name` takes this call's arguments.
#define POSTTRAIN_CHECK_OVERRIDE(B, name, has)                                                          \
  static_assert(!::posttrain::ops::declares<B, ::posttrain::ops::op::name> || (has),                    \
                "posttrain::ops::" #name ": the backend lists " #name " in its overrides but has no "   \
                "member " #name " that takes these arguments (see docs/backends.md for the signature)"); \
  static_assert(::posttrain::ops::declares<B, ::posttrain::ops::op::name> || !(has),                    \
                "posttrain::ops::" #name ": the backend has a member " #name " that takes these "       \
                "arguments but does not list posttrain::ops::op::" #name " in its overrides")
