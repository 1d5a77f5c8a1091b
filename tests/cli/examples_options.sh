#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The examples parse their command lines as `posttrain` does: --help exits 0, and an unknown
# option, a stray argument or a bad value is one line on stderr naming it, with exit status 2.
# Usage: examples_options.sh <folder with the example binaries>
set -uo pipefail
dir=$1
checks=0 failures=0
expect() {  # expect <status> <stderr regex> <command...>
  local want=$1 regex=$2
  shift 2
  local err status
  err=$("$@" 2>&1 >/dev/null)
  status=$?
  checks=$((checks + 1))
  if [[ $status -ne $want ]] || ! grep -qE -- "$regex" <<<"$err"; then
    echo "FAIL: $* exited $status (expected $want), stderr: $err"
    failures=$((failures + 1))
  fi
}
# example, then one numeric option it takes
declare -A numeric=([backends_tour]=rows [rm_goodhart]=prompts [rlfh_rewards]="" [nc_layers]=epochs
                    [contrastive_digits]=epochs [value_transfer]=epochs [lexical_simplify]=sentences
                    [simplify_corpus]=sentences)
found=0
for example in "${!numeric[@]}"; do
  bin=$dir/$example
  [[ -x $bin ]] || continue
  found=$((found + 1))
  expect 0 "" "$bin" --help
  expect 2 "^$bin: unknown option --bogus \(see $bin --help\)$" "$bin" --bogus 1
  expect 2 "unexpected argument 'stray'" "$bin" stray
  option=${numeric[$example]}
  if [[ -n $option ]]; then
    expect 2 "--$option takes a whole number in \[" "$bin" "--$option" abc
    expect 2 "--$option takes a whole number in \[" "$bin" "--${option}=1e300"
    expect 2 "--$option needs a value" "$bin" "--$option"
  fi
done
[[ $found -ge 3 ]] || { echo "FAIL: only $found example binaries in $dir"; exit 1; }
expect 2 "--granularity must be token, sentence or response, not 'word'" "$dir/rlfh_rewards" --granularity word
echo "$checks checks on $found examples, $failures failed"
[[ $failures -eq 0 ]]
