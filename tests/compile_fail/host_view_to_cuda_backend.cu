// SPDX-License-Identifier: Apache-2.0
// Must compile as is; must NOT compile with POSTTRAIN_EXPECT_FAIL: a host view handed to the
// CUDA backend.
#include <posttrain/backends/cuda.cuh>

void call(const posttrain::cuda_backend& be, float* host_ptr, float* device_ptr) {
  posttrain::tensor_view<float, 2> host(host_ptr, 2, 2);
  posttrain::tensor_view<float, 2, posttrain::cuda_space> device(device_ptr, 2, 2);
#if defined(POSTTRAIN_EXPECT_FAIL)
  posttrain::ops::softmax(be, host, host);
#else
  posttrain::ops::softmax(be, device, device);
  (void)host;
#endif
}
