#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every `sh` block of README.md and docs/*.md marked <!-- run: cli --> (with the posttrain
# tool on PATH, in a scratch folder holding small input files of the names the docs use) or
# <!-- run: install --> (in a scratch folder where `posttrain` is the source tree; the prefix
# /opt/posttrain becomes a scratch one). Each line must exit 0.
# Usage: run_commands.sh <project root> <posttrain binary> <scratch folder>
set -uo pipefail
root=$(cd "$1" && pwd)
tool=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=$3
rm -rf "$work" && mkdir -p "$work/bin" "$work/cli" "$work/install"
ln -s "$tool" "$work/bin/posttrain"
ln -s "$root" "$work/install/posttrain"
failures=0 ran=0

# The inputs the documented commands name.
cd "$work/cli"
cat >responses.jsonl <<'JSONL'
{"id": "a", "response": "Yes it is. No.", "token_offsets": [[0,3],[4,6],[7,10],[11,14]], "ends_with_eos": true, "sentences": [{"text": "Yes it is.", "statements": [{"text": "it is", "truth": "wrong", "helpfulness": 2}]}]}
JSONL
printf '{"id":"r1","rewards":[0.5,-0.25,1,0,2],"values":[0.1,0.4,-0.3,0.2,0.6],"mask":[1,1,1,1,0]}\n{"id":"r2","rewards":[1,0,0],"values":[0.5,0.5,0.5],"mask":[1,1,1]}\n' >rows.jsonl
printf 'The committee deliberated extensively concerning the unprecedented proposal.\tThe group talked a lot about the new plan.\n' >corpus.tsv
printf 'The committee deliberated extensively concerning the unprecedented proposal.\n' >ref.txt
printf 'The group talked a lot about the new plan.\n' >mt.txt
printf 'Le comité a longuement délibéré sur la proposition.\n' >texte.txt
printf 'A critic is a bundle of biases held loosely together by a sense of taste.\n' >text.txt
mkdir -p zh  # tiny stand-ins for scripts/export-zh-resources' files, the CLS and TSAR sets, wordfreq
printf '鲜有 5 d\n少有 50 v\n很少 300 d\n却 100 d\n自己 90 r\n参加 80 v\n' >zh/jieba-dict.txt
printf 'start B -0.5\nstart S -1.0\ntrans B E -0.4\ntrans B M -1.1\ntrans E B -0.6\ntrans E S -0.8\ntrans M E -0.3\ntrans M M -1.3\ntrans S B -0.7\ntrans S S -0.7\n' >zh/jieba-hmm.txt
printf 'Ed03B01= 鲜有 少有 很少\n' >zh/cilin.txt
printf '却 鲜有 自己 参加\t鲜有\td\t1\t很少 少有 很少\n' >cls_dev.tsv
printf '却鲜有自己参加\n' >sentences.txt
printf 'mandatory\t50\nrequired\t300\n' >wordfreq-en.tsv
printf 'It is compulsory.\tcompulsory\n' >tsar2022_en_trial_none.tsv
printf 'It is compulsory.\tcompulsory\tmandatory\tmandatory\trequired\n' >tsar2022_en_trial_gold.tsv
dict=/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict
if [[ -f $dict ]]; then
  ln -s "$dict" cmudict-en-us.dict
else  # a tiny dictionary in the same format
  printf 'a AH0\ncritic K R IH1 T IH0 K\nthe DH AH0\n' >cmudict-en-us.dict
fi

run_blocks() {  # run_blocks <kind> <folder>
  local kind=$1 dir=$2 doc line
  for doc in "$root"/README.md "$root"/docs/*.md; do
    while IFS= read -r line; do
      [[ -z $line || $line == \#* ]] && continue
      line=${line//\/opt\/posttrain/$work/install/prefix}
      ran=$((ran + 1))
      if ! (cd "$dir" && PATH="$work/bin:$PATH" bash -euo pipefail -c "$line") >"$work/last.log" 2>&1; then
        echo "FAIL: ${doc#"$root"/}: $line"
        sed 's/^/    /' "$work/last.log" | tail -15
        failures=$((failures + 1))
      fi
    done < <(awk -v k="<!-- run: $kind -->" 'f==2 && /^```/ {f=0; next} f==2 {print} f==1 && /^```sh$/ {f=2; next} {f = ($0 == k) ? 1 : (f==2 ? 2 : 0)}' "$doc")
  done
}
run_blocks cli "$work/cli"
run_blocks install "$work/install"
[[ -f $work/install/prefix/include/posttrain/core.hpp ]] || { echo "FAIL: the documented install put no headers in the prefix"; failures=$((failures + 1)); }
echo "$ran documented commands run, $failures failed"
[[ $failures -eq 0 && $ran -ge 7 ]]
