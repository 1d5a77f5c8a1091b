# SPDX-License-Identifier: Apache-2.0
"""jieba's side of segment_vs_jieba.sh: speed of jieba.cut (without and with its HMM) on the same
lines, the median of 3 runs each after the dictionary is loaded, and the agreement of posttrain's
output with both.

    python segment_jieba.py TEXT POSTTRAIN_OUTPUT
"""
import statistics
import sys
import time

import jieba


def spans(tokens):
    out, at = set(), 0
    for t in tokens:
        out.add((at, at + len(t)))
        at += len(t)
    return out


def main():
    text_path, ours_path = sys.argv[1], sys.argv[2]
    jieba.setLogLevel(60)
    jieba.initialize()
    with open(text_path, encoding="utf-8") as f:
        lines = f.read().split("\n")[:-1]
    with open(ours_path, encoding="utf-8") as f:
        ours = [l.split(" / ") if l else [] for l in f.read().split("\n")[:-1]]
    megabytes = sum(len(l.encode("utf-8")) + 1 for l in lines) / 1e6
    for hmm in (False, True):
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            cut = [list(jieba.cut(l, HMM=hmm)) for l in lines]
            runs.append(time.perf_counter() - start)
        same = sum(a == b for a, b in zip(cut, ours))
        both = sum(len(spans(a) & spans(b)) for a, b in zip(cut, ours))
        theirs = sum(len(a) for a in cut)
        mine = sum(len(b) for b in ours)
        print(f"jieba.cut(HMM={hmm}): {megabytes / statistics.median(runs):.3f} MB/s (median of 3); "
              f"posttrain agrees on {same}/{len(lines)} lines, token F1 {2 * both / (theirs + mine):.4f} "
              f"({theirs} tokens against {mine})")


if __name__ == "__main__":
    main()
