#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Kendall's τ_b and Spearman: posttrain (bench_rm_eval) against scipy on the same data, one
# after the other in the same run. Needs python3-scipy (apt-get install python3-scipy).
#   bench/peers/rm_eval_vs_scipy.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build/release}
"$build/bench/bench_rm_eval" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>/dev/null |
  grep median
/usr/bin/python3 "$(dirname "$0")/rm_eval_scipy.py"
