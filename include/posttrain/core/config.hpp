#pragma once
// Library-wide macros and the version. The only CUDA word in core is POSTTRAIN_HOST_DEVICE.

#define POSTTRAIN_VERSION_MAJOR 0
#define POSTTRAIN_VERSION_MINOR 1
#define POSTTRAIN_VERSION_PATCH 0
#define POSTTRAIN_VERSION_STRING "0.1.0"

#if defined(__CUDACC__)
#define POSTTRAIN_HOST_DEVICE __host__ __device__
#else
#define POSTTRAIN_HOST_DEVICE
#endif

#include <cstdint>

namespace posttrain {

/// Signed index type of every extent, stride and position (ptrdiff_t-sized).
using index_t = std::int64_t;

}  // namespace posttrain
