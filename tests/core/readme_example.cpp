// SPDX-License-Identifier: Apache-2.0
// The README's first example, compiled and checked (tests/docs/check_snippets.sh keeps the
// README's copy identical to the region below).
#include <catch2/catch.hpp>

#include <vector>

// example-begin readme-include
#include <posttrain/backends/eigen.hpp>  // or xtensor.hpp, or cuda.cuh (nvcc)
// example-end readme-include

TEST_CASE("README: softmax of logits on the Eigen backend, then a shape error") {
  const long rows = 3, vocab = 5;
  std::vector<float> storage(rows * vocab, 1.0f), result(rows * vocab);
  const float* data = storage.data();
  float* out = result.data();
  // example-begin readme-softmax
  namespace pt = posttrain;
  pt::tensor_view<const float, 2> logits(data, rows, vocab);  // non-owning, any strides
  pt::tensor_view<float, 2> probs(out, rows, vocab);
  pt::ops::softmax(pt::eigen_backend{}, logits, probs);  // the backend is the first argument
  // example-end readme-softmax
  for (float p : result) CHECK(p == Approx(0.2f));
  CHECK_THROWS_WITH(pt::ops::softmax(pt::eigen_backend{}, logits, pt::tensor_view<float, 2>(out, 3, 4)),
                    "posttrain::ops::softmax: out is f32[3,4]@host but x is f32[3,5]@host; they must have the same shape");
}
