#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the compiler flags are worth to a consumer: bench/flags/hot_kernels.cpp built as a
# consumer would build it (plain -I, the backend's libraries) with each set of flags, run one
# after the other, for each backend. Prints a markdown table of median milliseconds.
#   bench/flags/run.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
flag_sets=("-O2" "-O3" "-O2 -march=native" "-O3 -march=native" "-O3 -march=native -fopenmp")
declare -A backend_flags=(
  [eigen]="-Ibackends/eigen/include -I/usr/include/eigen3"
  [xtensor]="-Ibackends/xtensor/include -DXTENSOR_USE_XSIMD -DPOSTTRAIN_FLAGS_XTENSOR -lopenblas"
)
for backend in eigen xtensor; do
  for i in "${!flag_sets[@]}"; do
    # shellcheck disable=SC2086
    g++ -std=c++20 -DNDEBUG ${flag_sets[$i]} -Iinclude bench/flags/hot_kernels.cpp -o "$out/hot_$backend$i" \
      ${backend_flags[$backend]}
  done
done
printf '| backend | kernel |'
for f in "${flag_sets[@]}"; do printf ' `%s` |' "$f"; done
printf '\n|---|---|'
for _ in "${flag_sets[@]}"; do printf -- '---:|'; done
printf '\n'
for backend in eigen xtensor; do
  for i in "${!flag_sets[@]}"; do OMP_NUM_THREADS=2 "$out/hot_$backend$i" >"$out/times_$backend$i.txt"; done
  while read -r kernel _; do
    printf '| %s | %s |' "$backend" "$kernel"
    for i in "${!flag_sets[@]}"; do printf ' %s |' "$(awk -v k="$kernel" '$1 == k {print $2}' "$out/times_$backend$i.txt")"; done
    printf '\n'
  done <"$out/times_${backend}0.txt"
done
