// SPDX-License-Identifier: Apache-2.0
#pragma once
// Memory-space tags carried by tensor views. A view is usable by a backend only when the view's
// space is the backend's memory_space; deep_copy is the only way across spaces.

namespace posttrain {

/// Ordinary host memory (std::vector, new, mmap, ...).
struct host_space {
  static constexpr const char* name = "host";
  static constexpr bool host_accessible = true;
};

/// CUDA device memory (cudaMalloc). Not dereferenceable on the host.
struct cuda_space {
  static constexpr const char* name = "cuda";
  static constexpr bool host_accessible = false;
};

}  // namespace posttrain
