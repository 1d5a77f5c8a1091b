#pragma once
#include <posttrain/backends/eigen.hpp>
using bench_backend = posttrain::eigen_backend;
