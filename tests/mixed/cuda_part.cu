#include <vector>

#include <posttrain/backends/cuda.cuh>

void cuda_softmax(const std::vector<float>& x, std::vector<float>& y, long rows, long cols) {
  using namespace posttrain;
  cuda::context ctx;
  cuda_backend be{ctx};
  auto dx = allocate<float>(be, {rows, cols});
  deep_copy(be, tensor_view<const float, 2>(x.data(), rows, cols), dx.view());
  ops::softmax(be, dx.view(), dx.view());
  deep_copy(be, dx.view(), tensor_view<float, 2>(y.data(), rows, cols));
}
