// SPDX-License-Identifier: Apache-2.0
#pragma once
// Library-wide macros and the version. The only CUDA word in core is POSTTRAIN_HOST_DEVICE.

// The version's one source: CMakeLists.txt reads these three lines (and CHANGELOG.md names it).
#define POSTTRAIN_VERSION_MAJOR 0
#define POSTTRAIN_VERSION_MINOR 1
#define POSTTRAIN_VERSION_PATCH 0

#define POSTTRAIN_DETAIL_STRINGIFY2(x) #x
#define POSTTRAIN_DETAIL_STRINGIFY(x) POSTTRAIN_DETAIL_STRINGIFY2(x)
/// "MAJOR.MINOR.PATCH"
#define POSTTRAIN_VERSION_STRING                                                              \
  POSTTRAIN_DETAIL_STRINGIFY(POSTTRAIN_VERSION_MAJOR)                                         \
  "." POSTTRAIN_DETAIL_STRINGIFY(POSTTRAIN_VERSION_MINOR) "." POSTTRAIN_DETAIL_STRINGIFY(POSTTRAIN_VERSION_PATCH)

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
