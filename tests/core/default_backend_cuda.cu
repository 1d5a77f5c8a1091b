// SPDX-License-Identifier: Apache-2.0
// The same check as default_backend_other.cpp, compiled by nvcc with the CUDA backend as the
// default (the build defines POSTTRAIN_DEFAULT_BACKEND_CUDA for this unit).
#include "default_backend_other.cpp"
