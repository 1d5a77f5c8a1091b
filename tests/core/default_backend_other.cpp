// SPDX-License-Identifier: Apache-2.0
// Compiles posttrain/default_backend.hpp with a default other than the build's (the build
// defines which one): the header, its inline namespace and its overloads must hold for each.
#include <posttrain/default_backend.hpp>

void softmax_with_default(posttrain::tensor_view<const float, 2, posttrain::default_backend::memory_space> x,
                          posttrain::tensor_view<float, 2, posttrain::default_backend::memory_space> y) {
  posttrain::softmax(x, y);
  posttrain::log_softmax(x, y);
}
