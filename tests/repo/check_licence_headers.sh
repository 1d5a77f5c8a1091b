#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source, build and script file of the project carries the SPDX licence line within its
# first two lines (after a shebang). Usage: check_licence_headers.sh <project root>
set -euo pipefail
cd "$1"
missing=0
checked=0
while IFS= read -r -d '' f; do
  checked=$((checked + 1))
  if ! head -n 2 "$f" | grep -q "SPDX-License-Identifier: Apache-2.0"; then
    echo "no SPDX-License-Identifier line at the top of $f"
    missing=$((missing + 1))
  fi
done < <(find include backends tests examples bench fuzz cmake scripts python CMakeLists.txt \
              \( -path fuzz/corpus -o -path python/build \) -prune -o -type f \
              \( -name '*.hpp' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' -o -name '*.cmake' \
                 -o -name '*.cmake.in' -o -name 'CMakeLists.txt' -o -name '*.sh' -o -name '*.py' \
                 -o -path 'scripts/*' \) -print0)
[[ $checked -gt 200 ]] || { echo "only $checked files found: wrong root?"; exit 1; }
[[ $missing -eq 0 ]] || exit 1
echo "$checked files carry the SPDX line"
