# SPDX-License-Identifier: Apache-2.0
"""jieba's side of segment_vs_jieba.sh: the speed of jieba.cut without and with its HMM on the same
lines (the median of 3 runs each, after the dictionary is loaded), and the agreement of
posttrain's output (without and with --hmm) with each.

    python segment_jieba.py TEXT POSTTRAIN_OUTPUT POSTTRAIN_OUTPUT_WITH_HMM
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


def read_segmented(path):
    with open(path, encoding="utf-8") as f:
        return [l.split(" / ") if l else [] for l in f.read().split("\n")[:-1]]


def main():
    text_path = sys.argv[1]
    outputs = {False: read_segmented(sys.argv[2]), True: read_segmented(sys.argv[3])}
    jieba.setLogLevel(60)
    jieba.initialize()
    with open(text_path, encoding="utf-8") as f:
        lines = f.read().split("\n")[:-1]
    megabytes = sum(len(l.encode("utf-8")) + 1 for l in lines) / 1e6
    for hmm in (False, True):
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            cut = [list(jieba.cut(l, HMM=hmm)) for l in lines]
            runs.append(time.perf_counter() - start)
        ours = outputs[hmm]
        same = sum(a == b for a, b in zip(cut, ours))
        both = sum(len(spans(a) & spans(b)) for a, b in zip(cut, ours))
        theirs, mine = sum(len(a) for a in cut), sum(len(b) for b in ours)
        print(f"jieba.cut(HMM={hmm}): {megabytes / statistics.median(runs):.3f} MB/s (median of 3); posttrain "
              f"{'with' if hmm else 'without'} --hmm agrees on {same}/{len(lines)} lines, token F1 "
              f"{2 * both / (theirs + mine):.4f} ({theirs} tokens against {mine})")


if __name__ == "__main__":
    main()
