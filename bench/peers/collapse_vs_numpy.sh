#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# NC1–NC4: posttrain (bench_collapse, Eigen backend, float32 features) against numpy forming the
# d×d Σ_W and Σ_B and pseudo-inverting Σ_B, on the same data in the same run; then the metrics
# of `posttrain nc-metrics` on the same files compared with numpy's, value by value.
# Needs python3-numpy and libopenblas0-pthread.
#   bench/peers/collapse_vs_numpy.sh [BUILD_DIR] [N d K]
set -euo pipefail
build=${1:-build/release}
shift || true
dims=("${@:-60000 2048 100}")
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
/usr/bin/python3 "$(dirname "$0")/collapse_numpy.py" "$data" ${dims[*]} --runs 3 | grep -v '^metrics:'
POSTTRAIN_NC_DATA=$data "$build/bench/bench_collapse" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true 2>/dev/null | grep -E "median"
"$build/examples/posttrain" nc-metrics --features "$data/features.npy" --labels "$data/labels.npy" \
  --classifier "$data/weight.npy" --bias "$data/bias.npy" >"$data/posttrain_metrics.json"
/usr/bin/python3 - "$data" <<'PY'
import json, sys
d = sys.argv[1]
ours = json.load(open(f"{d}/posttrain_metrics.json"))
ref = json.load(open(f"{d}/numpy_metrics.json"))
def flat(prefix, x):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from flat(f"{prefix}{k}.", v)
    else:
        yield prefix[:-1], x
worst = 0
for key, r in flat("", ref):
    o = dict(flat("", ours))[key]
    rel = abs(o - r) / max(abs(r), 1e-12)
    worst = max(worst, rel if abs(r) > 1e-12 else abs(o - r))
    print(f"  {key:34s} numpy {r:<22.12g} posttrain {o:<22.12g} rel.diff {rel:.1e}")
print(f"largest relative difference: {worst:.1e}")
PY
