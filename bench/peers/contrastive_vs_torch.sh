#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Contrastive losses forward + backward, N = 8192, d = 256, float32, 2 threads: posttrain
# (bench_contrastive, Eigen backend, with the time of the GEMMs each loss needs) and PyTorch
# autograd of the same losses, one after the other in the same run. Needs python3-torch.
#   bench/peers/contrastive_vs_torch.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build/release}
OMP_NUM_THREADS=2 "$build/bench/bench_contrastive" --benchmark_filter=loss_and --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true 2>/dev/null | grep median
/usr/bin/python3 "$(dirname "$0")/contrastive_torch.py" 8192 256 --threads 2
