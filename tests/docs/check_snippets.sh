#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every fenced block of README.md and docs/*.md is compiled or run by the tests, or says it is
# not code:
#   <!-- example: NAME -->  before the block: it must equal, line for line (indentation aside), the
#                           region between `// example-begin NAME` and `// example-end NAME` of
#                           compiled code (tests/, examples/, include/, backends/), or between
#                           `# example-begin NAME` and `# example-end NAME` of a CMake file under
#                           tests/ that the tests configure;
#   <!-- run: cli -->, <!-- run: install -->  before an `sh` block: tests/docs/run_commands.sh
#                           runs each line (test docs/commands_run);
#   <!-- run: ci -->        before an `sh` block of scripts: each line runs a script of the
#                           project (scripts/test is what CI runs);
#   <!-- run: pytest -->    before a `python` block: python/tests/test_docs.py runs it;
#   <!-- run: pytest-torch --> the same for a block that needs torch: python/tests/test_torch.py;
#   ```text                 formulas and sample output, not code.
# Every example region must be shown somewhere. Usage: check_snippets.sh <project root>
set -u
root=$1
cd "$root" || exit 1
failures=0 checked=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

region() {  # region <name>: the lines of the example region, wherever it is
  local hits
  hits=$(grep -rlE --include="*.cpp" --include="*.hpp" --include="*.cu" --include="*.cuh" \
           -- "// example-begin $1\$" tests examples include backends
         grep -rlE --include="CMakeLists.txt" --include="*.cmake" -- "# example-begin $1\$" tests)
  [[ $(wc -l <<<"$hits") -eq 1 && -n $hits ]] || return 1
  awk -v n="$1" '$0 ~ "(//|#) example-end " n "$" {f=0} f {print} $0 ~ "(//|#) example-begin " n "$" {f=1}' "$hits"
}

# Each block as: file, line, language, marker (the line before the opening fence), separated by US.
blocks() {
  for doc in README.md docs/*.md; do
    awk -v F="$doc" 'inb && /^```/ {inb=0; next}
                     !inb && /^```/ {inb=1; print F "\037" NR "\037" substr($0, 4) "\037" prev; next}
                     !inb {prev=$0}' "$doc"
  done
}
block_text() {  # block_text <doc> <line of the opening fence>
  awk -v s="$2" 'NR > s && /^```/ {exit} NR > s {print}' "$1"
}

shown=()
while IFS=$'\037' read -r doc line lang marker; do
  checked=$((checked + 1))
  where="$doc:$line"
  if [[ $marker =~ ^\<!--\ example:\ ([a-z0-9_-]+)\ --\>$ ]]; then
    name=${BASH_REMATCH[1]}
    shown+=("$name")
    if ! code=$(region "$name"); then
      fail "$where shows example '$name', but no single file has its example-begin region"
    elif ! diff <(sed -E 's/^ +//' <<<"$code") <(block_text "$doc" "$line" | sed -E 's/^ +//') >/dev/null; then
      fail "$where (example '$name') differs from the compiled code:"
      diff <(sed -E 's/^ +//' <<<"$code") <(block_text "$doc" "$line" | sed -E 's/^ +//') | sed 's/^/    /'
    fi
  elif [[ $marker =~ ^\<!--\ run:\ (cli|install)\ --\>$ && $lang == sh ]]; then
    :  # run by tests/docs/run_commands.sh
  elif [[ $marker == "<!-- run: ci -->" && $lang == sh ]]; then
    while read -r cmd _; do
      [[ -z $cmd || -x $cmd ]] || fail "$where runs '$cmd', which is not an executable of the project"
    done < <(block_text "$doc" "$line")
  elif [[ $marker =~ ^\<!--\ run:\ pytest(-torch)?\ --\>$ && $lang == python ]]; then
    :  # run by python/tests/test_docs.py or test_torch.py
  elif [[ $lang == text ]]; then
    :
  else
    fail "$where: a \`\`\`$lang block that nothing compiles or runs (mark it <!-- example: NAME --> or <!-- run: ... -->, or make it \`\`\`text if it is not code)"
  fi
done < <(blocks)

while read -r name; do
  printf '%s\n' "${shown[@]}" | grep -qx -- "$name" || fail "example region '$name' is not shown in README.md or docs/"
done < <(grep -rhoE --include="*.cpp" --include="*.hpp" --include="*.cu" --include="*.cuh" --include="CMakeLists.txt" \
           --include="*.cmake" -- "(//|#) example-begin [a-z0-9_-]+" tests examples include backends | awk '{print $3}')

echo "$checked blocks checked, $failures failed"
[[ $failures -eq 0 && $checked -gt 10 ]]
