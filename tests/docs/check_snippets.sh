#!/usr/bin/env bash
# Documentation examples cannot rot: every region of compiled test code between
# `// example-begin NAME` and `// example-end NAME` must appear verbatim in the code block that
# follows `<!-- example: NAME -->` in docs/*.md or README.md, and every such marker must name a
# region.
set -u
root=$1
failures=0 checked=0
extract_code() {  # extract_code <file> <name>: the region's lines, common indentation removed
  awk -v n="$2" '$0 ~ "// example-end " n "$" {f=0} f {print} $0 ~ "// example-begin " n "$" {f=1}' "$1" |
    sed -E 's/^  //'
}
extract_doc() {  # extract_doc <file> <name>: the fenced block after the marker
  awk -v n="$2" 'f==2 && /^```/ {exit} f==2 {print} f==1 && /^```/ {f=2} $0 == "<!-- example: " n " -->" {f=1}' "$1"
}
while IFS= read -r line; do
  file=${line%%:*}
  name=${line##*example-begin }
  doc=$(grep -l -- "<!-- example: $name -->" "$root"/docs/*.md "$root"/README.md | head -1)
  if [[ -z $doc ]]; then
    echo "FAIL: example '$name' ($file) is not shown in docs/ (no <!-- example: $name --> marker)"
    failures=$((failures + 1))
    continue
  fi
  checked=$((checked + 1))
  if ! diff <(extract_code "$file" "$name" | sed -E 's/^ +//') <(extract_doc "$doc" "$name" | sed -E 's/^ +//') >/dev/null; then
    echo "FAIL: docs example '$name' in $doc differs from $file:"
    diff <(extract_code "$file" "$name") <(extract_doc "$doc" "$name") | sed 's/^/    /'
    failures=$((failures + 1))
  fi
done < <(grep -rHoE --include="*.cpp" --include="*.hpp" --include="*.cu" -- "// example-begin [a-z0-9_-]+" "$root/tests" "$root/examples" | sed 's/:\/\/ /:/')
for name in $(grep -ho -- "<!-- example: [a-z0-9_-]* -->" "$root"/docs/*.md "$root"/README.md | sed -E 's/<!-- example: (.*) -->/\1/'); do
  grep -rq -- "// example-begin $name\$" "$root/tests" "$root/examples" ||
    { echo "FAIL: docs marker '$name' has no example-begin region in tests/ or examples/"; failures=$((failures + 1)); }
done
echo "$checked passed, $failures failed"
[[ $failures -eq 0 && $checked -gt 0 ]]
