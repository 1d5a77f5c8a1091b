#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Readability scoring and the pair filter: posttrain against textstat and the reference pipeline
# (textstat + sacrebleu) on the same lines, one after the other in the same run.
#   PYTHON=<python with textstat and sacrebleu> bench/peers/simplify_vs_python.sh [BUILD_DIR] [PAIRS]
# PAIRS (default 1000000) lines of fortunes entries and pairs are written to a temporary folder;
# posttrain reads all of them, the Python peers the first 50 000 lines and 20 000 pairs.
set -euo pipefail
build=${1:-build/release}
pairs=${2:-1000000}
python=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(dirname "$0")
"$python" "$here/simplify_python.py" lines "$work" "$pairs"
echo "== the library in memory (bench_simplify on the same lines and pairs)"
POSTTRAIN_SIMPLIFY_DIR="$work" "$build/bench/bench_simplify" --benchmark_filter='readability|judge' \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>/dev/null | grep -E "median" || true
echo "== posttrain readability ($(wc -l <"$work/lines.txt") lines, $(du -m "$work/lines.txt" | cut -f1) MB)"
for threads in 1 2; do
  start=$(date +%s.%N)
  OMP_NUM_THREADS=$threads "$build/examples/posttrain" readability "$work/lines.txt" >/dev/null
  end=$(date +%s.%N)
  echo "  $threads thread(s) (reading and writing are serial, counting in parallel): $(echo "$end - $start" | bc) s"
done
"$python" "$here/simplify_python.py" textstat "$work"
echo "== posttrain simplify-pairs ($pairs pairs)"
for threads in 1 2; do
  start=$(date +%s.%N)
  OMP_NUM_THREADS=$threads "$build/examples/posttrain" simplify-pairs "$work/pairs.tsv" >/dev/null 2>"$work/summary"
  end=$(date +%s.%N)
  echo "  $threads thread(s): $(echo "$end - $start" | bc) s; $(cat "$work/summary")"
done
"$python" "$here/simplify_python.py" pairs "$work"
