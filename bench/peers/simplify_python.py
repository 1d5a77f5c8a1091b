#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The simplify peers in Python on the same inputs as bench_simplify:

  lines DIR N   write N text lines (the fortunes entries, one per line, repeated) to DIR/lines.txt
                and N pairs (a line and the line with every third word dropped) to DIR/pairs.tsv
  textstat DIR  textstat.flesch_reading_ease of every line: lines/s and MB/s
  pairs DIR     the reference pipeline on the first 20 000 pairs: textstat FRE of both sides and
                sacrebleu's sentence BLEU (13a, lowercase, exp smoothing), pairs/s

Needs textstat and sacrebleu (PyPI): run with PYTHON=<venv python> from simplify_vs_python.sh.
"""
import sys
import time


def fortunes_lines():
    import os

    root = "/usr/share/games/fortunes"
    out = []
    for name in sorted(os.listdir(root)):
        if "." in name:
            continue
        entry = []
        with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if line == "%":
                    if entry:
                        out.append(" ".join(entry))
                    entry = []
                else:
                    entry.append(line.strip())
        if entry:
            out.append(" ".join(entry))
    return [l for l in out if l.strip() and "\t" not in l]


def write_lines(directory, n):
    base = fortunes_lines()
    lines = [base[i % len(base)] for i in range(n)]
    with open(f"{directory}/lines.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(f"{directory}/pairs.tsv", "w", encoding="utf-8") as f:
        for l in lines:
            words = l.split()
            shorter = " ".join(w for i, w in enumerate(words) if i % 3 != 2)
            f.write(f"{l}\t{shorter}\n")


def read(directory, name):
    with open(f"{directory}/{name}", encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]


def textstat_rate(directory):
    import textstat

    lines = read(directory, "lines.txt")[:50000]
    t0 = time.perf_counter()
    total = 0.0
    for l in lines:
        total += textstat.flesch_reading_ease(l)
    dt = time.perf_counter() - t0
    mb = sum(len(l.encode()) + 1 for l in lines) / 1e6
    print(f"textstat flesch_reading_ease: {len(lines) / dt:.0f} lines/s, {mb / dt:.3f} MB/s ({len(lines)} lines)")


def pairs_rate(directory):
    import sacrebleu
    import textstat

    pairs = [l.split("\t") for l in read(directory, "pairs.tsv")[:20000]]
    bleu = sacrebleu.metrics.BLEU(lowercase=True, effective_order=True)
    t0 = time.perf_counter()
    kept = 0
    for ref, hyp in pairs:
        if ref.lower() == hyp.lower() or len(ref.split()) <= 3 or len(hyp.split()) <= 3 or "<unk>" in hyp:
            continue
        b = bleu.sentence_score(hyp, [ref]).score
        r1, r2 = textstat.flesch_reading_ease(ref), textstat.flesch_reading_ease(hyp)
        kept += b > 15 and abs(r1 - r2) > 10
    dt = time.perf_counter() - t0
    print(f"reference pipeline (textstat + sacrebleu): {len(pairs) / dt:.0f} pairs/s ({len(pairs)} pairs, kept {kept})")


if __name__ == "__main__":
    what, directory = sys.argv[1], sys.argv[2]
    if what == "lines":
        write_lines(directory, int(sys.argv[3]))
    elif what == "textstat":
        textstat_rate(directory)
    elif what == "pairs":
        pairs_rate(directory)
