#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The posttrain tool's skeleton: help, version, exit codes, reader errors with file:line:column.
set -u
tool=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
failures=0
checks=0
expect() {  # expect <exit code> <regex on stdout+stderr> <args...>
  checks=$((checks + 1))
  local code=$1 pattern=$2
  shift 2
  local out
  out=$("$tool" "$@" 2>&1)
  local rc=$?
  if [[ $rc -ne $code ]] || ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "FAIL: posttrain $* -> exit $rc (want $code), output:"
    echo "$out" | sed 's/^/    /'
    failures=$((failures + 1))
  fi
}
printf 'prompt_id,score\n1,0.5\n2,"x"y\n' >"$work/bad.csv"
printf 'a\tb\n1\t2\n3\t4\n' >"$work/good.tsv"
printf '{"text": "a"}\n{"text": [1,}\n' >"$work/bad.jsonl"

printf 'prompt_id,response_id,proxy,gold\na,1,0.5,1\na,2,0.1,0\nb,1,0.3,0.2\nb,2,0.3,0.9\n' >"$work/scores.csv"
printf 'prompt_id,response_id,proxy,gold\na,1,0.5,1\na,2,high,0\n' >"$work/text_score.csv"
printf 'prompt_id,response_id,proxy,gold\na,1,0.5,1\na,2,nan,0\n' >"$work/nan_score.csv"
printf 'prompt_id,response_id,proxy,gold\na,1,0.5,1\na,2,,0\n' >"$work/missing_score.csv"
printf 'prompt,response_id,proxy,gold\na,1,0.5,1\n' >"$work/bad_header.csv"

expect 0 "usage: posttrain <command>" --help
expect 0 "validate +check" --help
expect 0 "^  simplify-pairs     keep translation pairs" --help
expect 0 "^  info               print the version" --help
expect 0 "^posttrain [0-9]+\.[0-9]+\.[0-9]+$" --version
expect 0 "usage: posttrain validate" validate --help
expect 0 "backends: sequential" info
expect 2 "^posttrain: no command given \(see posttrain --help\)$"
expect 2 "^posttrain: unknown command 'frobnicate' \(see posttrain --help\)$" frobnicate
expect 2 "unknown option --nope" validate --nope x.csv
expect 2 "option --format needs a value" validate x.csv --format
expect 2 "validate needs at least one FILE" validate
expect 0 "good.tsv: 3 records" validate "$work/good.tsv"
expect 1 "bad.csv:3:6: unexpected 'y' after a closing quote" validate "$work/bad.csv"
expect 1 "bad.jsonl:2:13: unexpected character '}', expected a value" validate "$work/bad.jsonl"
expect 1 "cannot open" validate "$work/missing.csv"
expect 0 "<stdin>: 3 records" validate --format tsv - <"$work/good.tsv"

expect 0 '"all_pairs_accuracy"' rm-eval --bootstrap 20 "$work/scores.csv"
expect 0 '"proxy_ties": 1' rm-eval --bootstrap 20 "$work/scores.csv"
expect 0 '"accuracy": 0.75' rm-eval --ties half --bootstrap 20 "$work/scores.csv"
expect 1 "text_score.csv:3:5: field 3 is not a number: 'high'" rm-eval "$work/text_score.csv"
expect 1 "nan_score.csv:3:5: field 3 \(proxy\) is not a finite number: 'nan'" rm-eval "$work/nan_score.csv"
expect 1 "missing_score.csv:3:5: field 3 is not a number: ''" rm-eval "$work/missing_score.csv"
expect 1 "bad_header.csv:1:1: the header has no 'prompt_id' column" rm-eval "$work/bad_header.csv"
expect 2 "--ties must be zero, half or exclude" rm-eval --ties some "$work/scores.csv"
expect 2 "rm-eval takes one FILE" rm-eval
expect 0 "usage: posttrain rm-eval" rm-eval --help
expect 0 '^  "version": "[0-9]+\.[0-9]+\.[0-9]+",$' rm-eval --bootstrap 20 "$work/scores.csv"
expect 0 '^  "settings": "ties:zero\|best-of:1,2\|bootstrap:20\|seed:1\|ci:95%-percentile-over-prompts\|pairs:all-within-prompt\|version:[0-9.]+",$' rm-eval --best_of 1,2 --bootstrap 20 "$work/scores.csv"
# A reward-bench style table of pairs, with subsets.
printf 'id,subset,scores_chosen,scores_rejected\n1,chat,2,1\n2,chat,1,3\n3,safety,0.5,0.5\n4,safety,4,-1\n5,chat,3,0\n' >"$work/pairs_table.csv"
expect 0 '"pairs": 5,' rm-eval --bootstrap 50 "$work/pairs_table.csv"
expect 0 '^    "accuracy": 0.6,$' rm-eval --bootstrap 50 "$work/pairs_table.csv"
expect 0 '"subset": "chat",' rm-eval --bootstrap 50 "$work/pairs_table.csv"
expect 0 '^      "accuracy": 0.6666666666666666,$' rm-eval --bootstrap 50 "$work/pairs_table.csv"
expect 0 '^      "accuracy": 0.75,$' rm-eval --ties half --bootstrap 50 "$work/pairs_table.csv"
expect 0 '^      "accuracy": 1,$' rm-eval --ties exclude --bootstrap 50 "$work/pairs_table.csv"
expect 0 '^  "mean_of_subsets": 0.5833333333333333,$' rm-eval --bootstrap 50 "$work/pairs_table.csv"
expect 0 '"settings": "table:pairs\|chosen:scores_chosen\|rejected:scores_rejected\|subset:subset\|ties:zero\|' rm-eval --bootstrap 50 "$work/pairs_table.csv"
expect 2 "--best-of needs responses grouped by prompt" rm-eval --best-of 2 "$work/pairs_table.csv"
# The interval over all pairs resamples them in the file's order: the subset column (here it
# interleaves two subsets) does not change it.
awk 'BEGIN { print "subset,scores_chosen,scores_rejected"
             for (i = 0; i < 40; i++) print (i % 3 ? "chat" : "safety") "," (i * 7 % 11) "," (i * 5 % 13) }' \
  >"$work/pairs_interleaved.csv"
cut -d, -f2,3 "$work/pairs_interleaved.csv" >"$work/pairs_no_subset.csv"
with_subsets=$("$tool" rm-eval --bootstrap 50 "$work/pairs_interleaved.csv" 2>&1 | grep -m1 -A6 '"accuracy": {' | grep ci_)
without=$("$tool" rm-eval --bootstrap 50 "$work/pairs_no_subset.csv" 2>&1 | grep -m1 -A6 '"accuracy": {' | grep ci_)
checks=$((checks + 1))
if [[ -z "$with_subsets" || "$with_subsets" != "$without" ]]; then
  echo "FAIL: rm-eval's interval over all pairs depends on the subsets: '$with_subsets' against '$without'"
  failures=$((failures + 1))
fi
printf 'id,scores_chosen\n1,2\n' >"$work/half_table.csv"
expect 1 "half_table.csv:1:1: a table of pairs needs both a chosen and a rejected score column" rm-eval "$work/half_table.csv"
printf 'chosen\trejected\n2\t1\n0\t1\n' >"$work/pairs_table.tsv"
expect 0 '^    "accuracy": 0.5,$' rm-eval --bootstrap 0 "$work/pairs_table.tsv"

# nc-metrics: the hand-checked case (two classes at (±2, 0), unit within-class spread).
r=1.4142135623730951
printf 'x,y\n%s\n' "$(echo 3.4142135623730951,0 0.5857864376269049,0 2,$r 2,-$r -0.5857864376269049,0 -3.4142135623730951,0 -2,$r -2,-$r | tr ' ' '\n')" >"$work/nc_features.csv"
printf '0\n0\n0\n0\n1\n1\n1\n1\n' >"$work/nc_labels.csv"
printf '0\n0\n0\n0\n1\n1\n1\n2\n' >"$work/nc_labels3.csv"
printf '0\n0\n0\n0\n1\n1\n1\n' >"$work/nc_labels7.csv"
sed 's/^-2,-1.41.*/-2,nan/' "$work/nc_features.csv" >"$work/nc_nan.csv"
printf '1,0\n-1,0\n' >"$work/nc_w.csv"
expect 0 '^  "nc1": 0.125,$' nc-metrics --features "$work/nc_features.csv" --labels "$work/nc_labels.csv"
expect 0 '^  "nc4_ncc_accuracy": 1,$' nc-metrics --features "$work/nc_features.csv" --labels "$work/nc_labels.csv"
expect 0 '"settings": "classes:2\|global-mean:sample\|divide-by-classes:yes\|route:auto:gram\|' nc-metrics --features "$work/nc_features.csv" --labels "$work/nc_labels.csv"
# 0.25 within rounding (the eigen-solver is the backend's): 0.25, 0.2500000000000000x, 0.2499999999999999x.
expect 0 '"nc1": 0\.2(5(0{12}[0-9]*)?|49{13}[0-9]*),' nc-metrics --no-divide --route projected --features "$work/nc_features.csv" --labels "$work/nc_labels.csv"
expect 0 '"nc3_self_duality": 0,' nc-metrics --classifier "$work/nc_w.csv" --features "$work/nc_features.csv" --labels "$work/nc_labels.csv"
expect 0 '"nc4_ncc_mismatch": 0$' nc-metrics --classifier "$work/nc_w.csv" --features "$work/nc_features.csv" --labels "$work/nc_labels.csv"
expect 1 'label of row 7 is 2, outside 0\.\.1' nc-metrics --classes 2 --features "$work/nc_features.csv" --labels "$work/nc_labels3.csv"
expect 1 'class 2 of 3 has no sample' nc-metrics --classes 3 --features "$work/nc_features.csv" --labels "$work/nc_labels.csv"
expect 1 'feature row 7 column 1 is nan' nc-metrics --features "$work/nc_nan.csv" --labels "$work/nc_labels.csv"
expect 1 'different numbers of rows' nc-metrics --features "$work/nc_features.csv" --labels "$work/nc_labels7.csv"
expect 2 '--features and --labels are required' nc-metrics --features "$work/nc_features.csv"
expect 2 '--route must be auto, projected or gram' nc-metrics --route fast --features "$work/nc_features.csv" --labels "$work/nc_labels.csv"

# trace-rewards and gae: JSONL in, JSONL out; malformed lines name FILE:LINE or are skipped.
cat >"$work/trace.jsonl" <<'JSONL'
{"id": "a", "response": "Yes it is. No.", "token_offsets": [[0,3],[4,6],[7,10],[11,14]], "ends_with_eos": false, "sentences": [{"text": "Yes it is.", "statements": [{"text": "it is", "truth": "wrong", "helpfulness": 2}]}]}
{"id": "b", "response": "x", "token_offsets": [[0,1]], "ends_with_eos": true, "sentences": [{"text": "x", "statements": [{"text": "x", "truth": "maybe", "helpfulness": 2}]}]}
{"id": "c", "response": "x", "token_offsets": [[0,1]], "sentences": "none"}
not json
JSONL
head -1 "$work/trace.jsonl" >"$work/trace_one.jsonl"
printf '{"id":"r1","rewards":[0.5,-0.25,1,0,2],"values":[0.1,0.4,-0.3,0.2,0.6],"mask":[1,1,1,1,0]}\n' >"$work/gae.jsonl"
printf '{"rewards":[1,2],"values":[1]}\n{"rewards":[1],"values":[1]}\n' >"$work/gae_bad.jsonl"
expect 0 '"token_rewards":\[0,0,-1.3068528194400546,-1\],"unmatched_statements":0' trace-rewards "$work/trace_one.jsonl"
expect 0 '"token_rewards":\[0,0,-1.3068528194400546,0\]' trace-rewards --eos-penalty 0 "$work/trace_one.jsonl"
expect 1 "trace.jsonl:2: .*truthfulness label 'maybe'" trace-rewards "$work/trace.jsonl"
expect 0 "skipped 3 malformed line\(s\); the first: .*trace.jsonl:2:" trace-rewards --skip-bad "$work/trace.jsonl"
expect 2 "--granularity must be token, sentence or response" trace-rewards --granularity word "$work/trace.jsonl"
expect 0 '"advantages":\[0.79018[0-9]*,0.0419.*,0\],"returns"' gae --gamma 0.9 --lambda 0.8 "$work/gae.jsonl"
expect 1 "gae_bad.jsonl:1: rewards, values and mask have 2, 1 and 2 elements" gae "$work/gae_bad.jsonl"
expect 0 "1 row\(s\), 1 valid position\(s\), 1 line\(s\) skipped" gae --skip-bad "$work/gae_bad.jsonl"
expect 1 "variance needs at least 2" gae --whiten trl --skip-bad "$work/gae_bad.jsonl"
expect 2 "--masking must be zero or skip" gae --masking some "$work/gae.jsonl"
expect 0 "settings gamma:0.9\|lambda:0.8\|masking:skip\|whiten:none\|version:[0-9.]+$" gae --gamma 0.9 --lambda=0.8 --masking skip "$work/gae.jsonl"
expect 0 "settings granularity:token\|offsets:code-points\|eos-penalty:-1\|questions:skipped\|min-sentence-match:0.5\|version:" trace-rewards "$work/trace_one.jsonl"

# simplify-pairs and readability: TSV in, TSV out; malformed lines counted, never merged.
printf 'The committee postponed the deliberation regarding the municipal expenditure.\tThe committee delayed the talk about the city spending.\nThe cat sat on the mat.\tthe cat sat on the mat.\nno tab here\nshort one\tanother short\n' >"$work/pairs.tsv"
printf 'The cat sat on the mat.\nCool dogs wear da sunglasses.\n' >"$work/text.txt"
expect 1 "kept 0; dropped identical 1, too_short 1, unknown_token 0, low_bleu 1, small_difference 0; 1 malformed line\(s\) .*first at line 3" simplify-pairs "$work/pairs.tsv"
expect 1 "1 of 4 records \(25.00%\) are malformed, more than --max-bad-fraction 0 allows" simplify-pairs "$work/pairs.tsv"
expect 0 "delayed the talk about the city spending.	-27.900	66.100	10.553" simplify-pairs --min-bleu 5 --max-bad-fraction 0.25 "$work/pairs.tsv"
expect 0 "^complex	simple	fre_complex	fre_simple	bleu$" simplify-pairs --max-bad-fraction 0.25 "$work/pairs.tsv"
expect 0 "^complex	simple	fkgl_complex	fkgl_simple	bleu$" simplify-pairs --score fkgl --max-bad-fraction 0.25 "$work/pairs.tsv"
expect 0 "settings score:fre\|lang:en\|min-bleu:5\|min-difference:10\|min-words:3\|unknown:<unk>\|syllables:heuristic\|bleu:13a-lc-exp\|max-bad-fraction:0.25\|version:[0-9.]+$" simplify-pairs --min_bleu 5 --max_bad_fraction 0.25 "$work/pairs.tsv"
expect 2 "--max-bad-fraction must be in \[0, 1\]" simplify-pairs --max-bad-fraction 2 "$work/pairs.tsv"
out=$("$tool" simplify-pairs --no-header --min-bleu 5 --max-bad-fraction 0.25 "$work/pairs.tsv" 2>/dev/null)
checks=$((checks + 1))
[[ $(head -1 <<<"$out") == "The committee postponed"* ]] || { echo "FAIL: simplify-pairs --no-header printed: $out"; failures=$((failures + 1)); }
# One TSV dialect (io::tsv_dialect): a quote is an ordinary character, a blank line no record.
printf 'He said "hi" to the committee members yesterday.\tHe said "hello" to the committee members yesterday.\n\n"Quoted" start here, then more words.\tQuoted start here, then more words!\n' >"$work/quotes.tsv"
expect 0 "quotes.tsv: 2 records" validate "$work/quotes.tsv"
expect 0 "posttrain simplify-pairs: 2 pairs: " simplify-pairs "$work/quotes.tsv"
printf 'a,b\n1,x\ry\n' >"$work/cr_field.csv"
expect 1 "cr_field.csv:2:4: a carriage return inside an unquoted field" validate "$work/cr_field.csv"
expect 2 "--score must be fre or fkgl" simplify-pairs --score x "$work/pairs.tsv"
expect 0 "6	1	6	116.145	-1.450	0" readability "$work/text.txt"
expect 0 "5	1	7	.*	2.880	0" readability "$work/text.txt"
expect 0 "^words	sentences	syllables	fre	fkgl	invalid_bytes$" readability "$work/text.txt"
expect 0 "^posttrain readability: 2 line\(s\); settings lang:en\|syllables:heuristic\|empty-line:nan\|version:[0-9.]+$" readability "$work/text.txt"
out=$("$tool" readability --no-header "$work/text.txt" 2>/dev/null)
checks=$((checks + 1))
[[ $out == "6	1	6	116.145	-1.450	0"* ]] || { echo "FAIL: readability --no-header printed: $out"; failures=$((failures + 1)); }
expect 2 "--language must be en, fr, es or de" readability --language it "$work/text.txt"
printf 'the DH AH0\ncat K AE1 T\nsat S AE1 T\non AA1 N\nmat M AE1 T\ncool K UW1 L\n' >"$work/dict.txt"
expect 0 "6	1	6	116.145	-1.450	0" readability --dictionary "$work/dict.txt" --learn-syllables "$work/text.txt"
expect 2 "--learn-syllables needs --dictionary" readability --learn-syllables "$work/text.txt"

# lexical-simplify: TSAR or CLS in, ranked substitutes out; the metrics with --gold.
printf '鲜有 5 d\n少有 50 v\n很少 300 d\n罕见 20 a\n难得 80 a\n少见 40 v\n却 100 d\n自己 90 r\n参加 80 v\n' >"$work/zh_dict.txt"
printf 'Ed03B01= 鲜有 少有 罕见 很少 未知词\nEd03B02# 难得 少见 鲜有\n' >"$work/cilin.txt"
printf '却鲜有自己参加\t鲜有\n' >"$work/zh.tsv"
printf '却鲜有自己参加\t鲜有\t很少\t少有\t很少\n' >"$work/zh_gold.tsv"
printf '却 鲜有 自己 参加\t鲜有\td\t1\t很少 少有 很少\n' >"$work/zh.cls"
printf '却 鲜有 自己 参加\t鲜有\td\t0\t很少\n' >"$work/zh_bad.cls"
zh=(lexical-simplify --lang zh --dictionary "$work/zh_dict.txt" --cilin "$work/cilin.txt")
expect 0 "^  lexical-simplify   ranked substitutes" --help
expect 0 "^却鲜有自己参加	鲜有	少有	很少	难得	罕见	少见$" "${zh[@]}" "$work/zh.tsv"
expect 0 "^却鲜有自己参加	鲜有	少有	很少$" "${zh[@]}" --top 2 "$work/zh.tsv"
expect 0 "^却鲜有自己参加	鲜有	少有	很少	难得	罕见	少见$" "${zh[@]}" --format cls "$work/zh.cls"
expect 0 "the complex word a single token in 1; settings lang:zh\|format:tsar\|segment:jieba-no-hmm\|generator:cilin\|hybrid:none\|select:known-not-self-dedup\|features:frequency,length,order,shared-characters\|choose:first\|top:10\|version:" "${zh[@]}" "$work/zh.tsv"
expect 0 '"matches_over_generated": 0.3333333333333333' "${zh[@]}" --gold "$work/zh_gold.tsv" "$work/zh.tsv"
expect 0 '"accuracy": 1,' "${zh[@]}" --gold "$work/zh_gold.tsv" "$work/zh.tsv"
expect 0 '"matches_over_gold": 1,' "${zh[@]}" --format cls --gold "$work/zh.cls" "$work/zh.cls"
expect 0 "^却鲜有自己参加	鲜有	很少	难得	少有	少见	罕见$" "${zh[@]}" --features frequency "$work/zh.tsv"
"$tool" "${zh[@]}" --gold "$work/zh_gold.tsv" --output "$work/zh_out.tsv" "$work/zh.tsv" >/dev/null 2>&1
checks=$((checks + 1))
[[ $(cat "$work/zh_out.tsv" 2>/dev/null) == "却鲜有自己参加	鲜有	少有	很少	难得	罕见	少见" ]] || { echo "FAIL: lexical-simplify --output wrote: $(cat "$work/zh_out.tsv" 2>&1)"; failures=$((failures + 1)); }
expect 1 "zh_bad.cls:1:35: word 0 of the sentence \(of 4\) is not the complex word '鲜有'" "${zh[@]}" --format cls "$work/zh_bad.cls"
printf 'no tab\n' >"$work/no_tab.tsv"
expect 1 "no_tab.tsv:1:7: expected 'sentence<TAB>complex word\[<TAB>substitute\]...', found no tab" "${zh[@]}" "$work/no_tab.tsv"
printf '别的句子\t鲜有\n' >"$work/zh_other.tsv"
expect 1 "zh_other.tsv:1:1: this line's sentence or word differs from line 1 of the input" "${zh[@]}" --gold "$work/zh_other.tsv" "$work/zh.tsv"
printf '\n别的句子\t鲜有\n' >"$work/zh_other2.tsv"
expect 1 "zh_other2.tsv:2:1: this line's sentence or word differs from line 1 of the input" "${zh[@]}" --gold "$work/zh_other2.tsv" "$work/zh.tsv"
expect 1 "has 2 instance\(s\), the input 1" "${zh[@]}" --gold <(cat "$work/zh_gold.tsv" "$work/zh_gold.tsv") "$work/zh.tsv"
printf '鲜有 x\n' >"$work/zh_bad_dict.txt"
expect 1 "zh_bad_dict.txt:1:8: the frequency 'x' is not a whole number" lexical-simplify --lang zh --dictionary "$work/zh_bad_dict.txt" --cilin "$work/cilin.txt" "$work/zh.tsv"
printf 'Ed03B01 鲜有\n' >"$work/bad_cilin.txt"
expect 1 "bad_cilin.txt:1:8: expected an 8-character code" lexical-simplify --lang zh --dictionary "$work/zh_dict.txt" --cilin "$work/bad_cilin.txt" "$work/zh.tsv"
expect 2 "--lang is required \(zh, en, es or pt\)" lexical-simplify --cilin "$work/cilin.txt" "$work/zh.tsv"
expect 2 "--lang must be zh, en, es or pt, not 'fr'" lexical-simplify --lang fr "$work/zh.tsv"
expect 2 "--lang zh needs --dictionary" lexical-simplify --lang zh --cilin "$work/cilin.txt" "$work/zh.tsv"
expect 2 "no generator: give --cilin, --thesaurus or --vectors" lexical-simplify --lang zh --dictionary "$work/zh_dict.txt" "$work/zh.tsv"
expect 2 "--features: unknown feature 'speed'" "${zh[@]}" --features frequency,speed "$work/zh.tsv"
expect 2 "--features cosine needs --vectors" "${zh[@]}" --features cosine "$work/zh.tsv"
expect 2 "--format must be tsar or cls" "${zh[@]}" --format csv "$work/zh.tsv"
expect 2 "--top takes a whole number in \[1, 1000\]" "${zh[@]}" --top 0 "$work/zh.tsv"
expect 2 "--lang en needs --frequencies" lexical-simplify --lang en --thesaurus "$work/th.dat" "$work/zh.tsv"
printf 'UTF-8\ncompulsory|1\n(adj)|mandatory|obligatory|required\n' >"$work/th.dat"
printf 'mandatory\t50\nrequired\t300\nobligatory\t5\n' >"$work/en_freq.tsv"
printf 'It is compulsory.\tcompulsory\n' >"$work/en.tsv"
printf 'It is compulsory.\tcompulsory\tmandatory\tmandatory\trequired\n' >"$work/en_gold.tsv"
# frequency ranks: required 1, mandatory 2, obligatory 3; order: 1 2 3 → sums 3, 5, 4
expect 0 "^It is compulsory.	compulsory	mandatory	required	obligatory$" lexical-simplify --lang en --frequencies "$work/en_freq.tsv" --thesaurus "$work/th.dat" "$work/en.tsv"
expect 0 '"acc_at_k_top1": 1,' lexical-simplify --lang en --frequencies "$work/en_freq.tsv" --thesaurus "$work/th.dat" --gold "$work/en_gold.tsv" "$work/en.tsv"

# segment: jieba's precise mode, without and with the HMM (hand-made tables: jieba's finalseg with
# the same tables gives 我 / 来到 / 甲丙乙 / 丁).
printf '甲乙 1\n我 10\n来到 5\n' >"$work/seg_dict.txt"
printf 'start B -0.5\nstart S -1.0\ntrans B E -0.4\ntrans B M -1.1\ntrans E B -0.6\ntrans E S -0.8\ntrans M E -0.3\ntrans M M -1.3\ntrans S B -0.7\ntrans S S -0.7\nemit B 甲 -1.0\nemit E 乙 -1.0\nemit M 丙 -0.5\nemit S 丁 -0.2\n' >"$work/seg_hmm.txt"
printf '我来到甲丙乙丁\nab12 我\xff\n' >"$work/seg.txt"
expect 0 "^我 / 来到 / 甲 / 丙 / 乙 / 丁$" segment --dictionary "$work/seg_dict.txt" "$work/seg.txt"
expect 0 "^我 / 来到 / 甲丙乙 / 丁$" segment --dictionary "$work/seg_dict.txt" --hmm "$work/seg_hmm.txt" "$work/seg.txt"
expect 0 "^ab12| | 我|\xff$" segment --dictionary "$work/seg_dict.txt" --delimiter "|" "$work/seg.txt"
expect 0 "posttrain segment: 2 line\(s\), .* the dictionary \(3 words\) loaded in .*settings method:jieba-dag-hmm\|version:" segment --dictionary "$work/seg_dict.txt" --hmm "$work/seg_hmm.txt" "$work/seg.txt"
expect 2 "--dictionary is required" segment "$work/seg.txt"
printf 'emit B 甲乙 -1\n' >"$work/bad_hmm.txt"
expect 1 "bad_hmm.txt:1:8: expected one character" segment --dictionary "$work/seg_dict.txt" --hmm "$work/bad_hmm.txt" "$work/seg.txt"
expect 2 "--hmm is the Chinese segmenter's" lexical-simplify --lang en --frequencies "$work/seg_dict.txt" --hmm "$work/seg_hmm.txt" --thesaurus x "$work/seg.txt"

# Hostile and careless input: directories, lost output, numbers that are not what was meant.
mkdir -p "$work/a_dir"
expect 1 "a_dir: is a directory, not a file" readability "$work/a_dir"
expect 1 "a_dir: is a directory, not a file" gae "$work/a_dir"
expect 1 "a_dir: is a directory, not a file" rm-eval "$work/a_dir"
expect 1 "a_dir: is a directory, not a file" validate --format csv "$work/a_dir"
expect 1 "a_dir: is a directory, not a file" nc-metrics --features "$work/a_dir" --labels "$work/nc_labels.csv"
expect_full() {  # expect_full <args...>: standard output is /dev/full, so the command must fail
  checks=$((checks + 1))
  local out rc
  out=$("$tool" "$@" 2>&1 >/dev/full)
  rc=$?
  if [[ $rc -ne 1 ]] || ! grep -q "writing to standard output failed" <<<"$out"; then
    echo "FAIL: posttrain $* >/dev/full -> exit $rc (want 1), output:"
    echo "$out" | sed 's/^/    /'
    failures=$((failures + 1))
  fi
}
expect_full --version
expect_full readability "$work/text.txt"
expect_full simplify-pairs --min-bleu 5 "$work/pairs.tsv"
expect_full gae "$work/gae.jsonl"
expect_full trace-rewards "$work/trace_one.jsonl"
expect_full rm-eval --bootstrap 0 "$work/scores.csv"
expect_full nc-metrics --features "$work/nc_features.csv" --labels "$work/nc_labels.csv"
expect_full validate "$work/good.tsv"
expect_full "${zh[@]}" "$work/zh.tsv"
expect_full segment --dictionary "$work/seg_dict.txt" "$work/seg.txt"
printf '{"rewards":[],"values":[]}\n' >"$work/gae_empty.jsonl"
expect 0 '^\{"advantages":\[\],"returns":\[\]\}' gae "$work/gae_empty.jsonl"
printf '{"id":9007199254740993,"rewards":[1],"values":[0]}\n{"id":1.50,"rewards":[1],"values":[0]}\n' >"$work/gae_ids.jsonl"
expect 0 '^\{"id":9007199254740993,' gae "$work/gae_ids.jsonl"
expect 0 '^\{"id":1.50,' gae "$work/gae_ids.jsonl"
printf '{"rewards":[1e308,1e308],"values":[0,0]}\n' >"$work/gae_overflow.jsonl"
expect 1 "gae_overflow.jsonl:1: advantages\[0\] is not finite" gae "$work/gae_overflow.jsonl"
printf '{"rewards":[1,1,1],"values":[0,0,0],"mask":[0.5,-1,7]}\n' >"$work/gae_mask.jsonl"
expect 1 "gae_mask.jsonl:1: mask\[0\] is 0.5; a mask holds 0 or 1" gae "$work/gae_mask.jsonl"
printf '{"rewards":[1],"values":[0],"rewards":[2]}\n' >"$work/gae_dup.jsonl"
expect 1 'gae_dup.jsonl:1:29: the member name "rewards" repeats' gae "$work/gae_dup.jsonl"
sed 's/\[11,14\]/[11,14.5]/' "$work/trace_one.jsonl" >"$work/trace_frac.jsonl"
expect 1 'token_offsets\[3\]\[1\] must be a whole number in \[0, 9007199254740992\], not 14.5' trace-rewards "$work/trace_frac.jsonl"
sed 's/"helpfulness": 2/"helpfulness": 1e300/' "$work/trace_one.jsonl" >"$work/trace_help.jsonl"
expect 1 'helpfulness must be a whole number in \[-1000000, 1000000\], not 1e300' trace-rewards "$work/trace_help.jsonl"
expect 2 "--min-words takes a whole number in \[0, 2\^63\), not '1e300'" simplify-pairs --min-words 1e300 "$work/pairs.tsv"
expect 2 "--min-words takes a whole number .*not 'nan'" simplify-pairs --min-words nan "$work/pairs.tsv"
expect 2 "--min-bleu needs a finite number, not 'nan'" simplify-pairs --min-bleu nan "$work/pairs.tsv"
expect 2 "--eos-penalty needs a finite number, not 'nan'" trace-rewards --eos-penalty nan "$work/trace_one.jsonl"
expect 2 "--bootstrap takes a whole number in \[0, 100000000\], not '0x10'" rm-eval --bootstrap 0x10 "$work/scores.csv"
printf 'prompt_id,response_id,proxy,gold\na,1,0x10,1\na,2,1,0\n' >"$work/hex_score.csv"
expect 1 "hex_score.csv:2:5: field 3 is not a number: '0x10'" rm-eval "$work/hex_score.csv"
printf 'prompt_id,response_id,proxy,gold\na,1,0.5,1\na,2,0.1,0\nb,1,0.3,0.2\n' >"$work/lonely.csv"
expect 0 '"prompts_without_pair": 1' rm-eval --bootstrap 20 "$work/lonely.csv"
sed 's/"ends_with_eos": false, //' "$work/trace_one.jsonl" >"$work/trace_no_eos.jsonl"
expect 1 'trace_no_eos.jsonl:1: no "ends_with_eos" field' trace-rewards "$work/trace_no_eos.jsonl"
printf 'One line.\rAnother line.\r' >"$work/cr_only.txt"
expect 1 "cr_only.txt:1: a carriage return inside the line" readability "$work/cr_only.txt"
printf 'The cat sat.\n\nA dog.\n' >"$work/empty_line.txt"
expect 0 "^0	0	0	nan	nan	0$" readability "$work/empty_line.txt"
head -c 3000 /dev/zero | tr '\0' 'a' >"$work/long_line.txt"
expect 1 "long_line.txt:1: the line is longer than 1000 bytes \(--max-line-bytes\)" readability --max-line-bytes 1000 "$work/long_line.txt"
expect 1 "long_line.txt:1: the line is longer than 1000 bytes" gae --max-line-bytes 1000 "$work/long_line.txt"
printf '0\n0\n0\n0\n1\n1\n1\n100000000\n' >"$work/nc_stray_label.csv"
expect 1 "the largest label is 100000000, so K would be 100000001, but only 3 distinct labels occur" nc-metrics --features "$work/nc_features.csv" --labels "$work/nc_stray_label.csv"
out=$("$tool" rm-eval --bootstrap 0 "$work/scores.csv" 2>&1)
checks=$((checks + 1))
if grep -q "ci_lower" <<<"$out"; then echo "FAIL: rm-eval --bootstrap 0 still prints intervals"; failures=$((failures + 1)); fi

echo "$((checks - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
