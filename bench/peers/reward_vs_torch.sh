#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# GAE + returns + whitening of [512, 4096] float32: posttrain (bench_reward, Eigen backend, with
# a plain copy of the same bytes as the yardstick) and the peers' loop over T in PyTorch
# (trl's compute_advantages + masked_whiten), one after the other in the same run, 2 threads.
# Then the longest common substring of two 20 kB texts against pylcs (PyPI) on the same texts.
# Needs python3-torch; PYTHON names an interpreter with pylcs (default /usr/bin/python3).
#   bench/peers/reward_vs_torch.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build/release}
texts=$(mktemp -d)
trap 'rm -rf "$texts"' EXIT
"${PYTHON:-/usr/bin/python3}" "$(dirname "$0")/reward_torch.py" lcs "$texts"
POSTTRAIN_LCS_TEXTS=$texts "$build/bench/bench_reward" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true 2>/dev/null | grep median
/usr/bin/python3 "$(dirname "$0")/reward_torch.py" bench 512 4096 --threads 2
