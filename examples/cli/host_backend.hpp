// SPDX-License-Identifier: Apache-2.0
#pragma once
// The host backend the commands compute with: Eigen (all cores) when this build has it, else
// the sequential reference backend.

#include <posttrain/core/backend.hpp>
#if defined(POSTTRAIN_HAVE_EIGEN)
#include <posttrain/backends/eigen.hpp>
#endif

namespace posttrain::cli {
#if defined(POSTTRAIN_HAVE_EIGEN)
using host_backend_for_cli = eigen_backend;
#else
using host_backend_for_cli = sequential_backend;
#endif
}  // namespace posttrain::cli
