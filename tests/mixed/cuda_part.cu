// SPDX-License-Identifier: Apache-2.0
#include <vector>

#include <posttrain/backends/cuda.cuh>

void cuda_softmax(const std::vector<float>& x, std::vector<float>& y, long rows, long vocab) {
  const posttrain::tensor_view<const float, 2> host_logits(x.data(), rows, vocab);
  // example-begin cuda-softmax
  posttrain::cuda::context ctx;  // stream + cuBLAS handle + workspace (RAII)
  posttrain::cuda_backend be{ctx};
  auto logits = posttrain::allocate<float>(be, {rows, vocab});
  posttrain::deep_copy(be, host_logits, logits.view());
  posttrain::ops::softmax(be, logits.view(), logits.view());  // in place, on be.stream
  // example-end cuda-softmax
  posttrain::deep_copy(be, logits.view(), posttrain::tensor_view<float, 2>(y.data(), rows, vocab));
}
