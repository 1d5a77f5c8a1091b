#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""How far posttrain's readability is from textstat's on the same lines.

  readability_agreement.py LINES POSTTRAIN_TSV [LABEL]

LINES is one text per line; POSTTRAIN_TSV is `posttrain readability` of it (header line first).
Prints, for the textstat of the running Python: the share of lines whose syllable count, word
count and sentence count equal posttrain's, and the mean and median |FRE difference|.
"""
import statistics
import sys

import textstat


def main():
    lines_path, tsv_path = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else "posttrain"
    with open(lines_path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f]
    with open(tsv_path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, l.rstrip("\n").split("\t"))) for l in f]
    assert len(rows) == len(lines), (len(rows), len(lines))
    same_syllables = same_words = same_sentences = 0
    fre_gaps = []
    kept = 0
    for text, row in zip(lines, rows):
        if int(row["words"]) == 0:
            continue
        kept += 1
        same_syllables += textstat.syllable_count(text) == int(row["syllables"])
        same_words += textstat.lexicon_count(text) == int(row["words"])
        same_sentences += textstat.sentence_count(text) == int(row["sentences"])
        fre_gaps.append(abs(textstat.flesch_reading_ease(text) - float(row["fre"])))
    from importlib.metadata import version as package_version
    version = package_version("textstat")
    print(f"{label} vs textstat {version} on {kept} lines: syllables equal {100 * same_syllables / kept:.1f}%, "
          f"words {100 * same_words / kept:.1f}%, sentences {100 * same_sentences / kept:.1f}%; "
          f"|FRE difference| mean {statistics.mean(fre_gaps):.2f}, median {statistics.median(fre_gaps):.2f}")


if __name__ == "__main__":
    main()
