#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The IVL loss + gradient and decode_step: posttrain (bench_value, Eigen backend, with a plain
# copy of the same bytes as the yardstick) and PyTorch autograd / transformers' warpers on the
# CPU, one after the other in the same run, 2 threads. Needs python3-torch.
#   bench/peers/value_vs_torch.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build/release}
OMP_NUM_THREADS=2 "$build/bench/bench_value" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  2>/dev/null | grep median
/usr/bin/python3 "$(dirname "$0")/value_torch.py" all --threads 2
