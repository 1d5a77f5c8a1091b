# SPDX-License-Identifier: Apache-2.0
"""The speed table of docs/python.md: medians of 7 timeit runs, float32, with the numpy formula
beside the calls it replaces. Threads: OMP_NUM_THREADS (the kernels use every core by default).

    OMP_NUM_THREADS=1 python python/bench/speed.py
"""
import statistics
import timeit

import numpy as np

import posttrain


def median_seconds(f, number):
    return statistics.median(timeit.repeat(f, number=number, repeat=7)) / number


def show(name, seconds):
    print(f"{name:55s} {seconds * 1e6:10.1f} us" if seconds < 1e-3 else f"{name:55s} {seconds * 1e3:10.1f} ms")


def numpy_ivl(zb, zv, y, lam):
    """The IVL loss and its gradient written in numpy (what a Python user would write)."""
    t, v = zv.shape
    z = zb + zv
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    ce = (np.log(s[:, 0]) + m[:, 0] - z[np.arange(t), y]).mean()
    g = e / s
    g[np.arange(t), y] -= 1
    g /= t
    g += lam * np.sign(zv) / (t * v)
    return ce + lam * np.abs(zv).mean(), g


def main():
    rng = np.random.default_rng(0)
    small = rng.normal(size=(8, 128)).astype(np.float32)
    mask = np.ones((8, 128), bool)
    show("compute_gae [8, 128] (the binding's overhead)", median_seconds(lambda: posttrain.compute_gae(small, small), 2000))
    show("kl_penalty [8, 128]", median_seconds(lambda: posttrain.kl_penalty(small, small), 2000))
    show("policy_loss [8, 128]", median_seconds(lambda: posttrain.policy_loss(small, small, small, mask), 2000))
    big = rng.normal(size=(512, 4096)).astype(np.float32)
    show("compute_gae [512, 4096]", median_seconds(lambda: posttrain.compute_gae(big, big), 10))

    t, v = 64, 152064
    zb = rng.normal(size=(t, v)).astype(np.float32)
    zv = (0.1 * rng.normal(size=(t, v))).astype(np.float32)
    y = rng.integers(0, v, size=t)
    ours, theirs = posttrain.ivl_loss(zb, zv, y, lam=0.01), numpy_ivl(zb, zv, y, 0.01)
    assert abs(ours[0] - theirs[0]) < 1e-4 * abs(theirs[0]) and np.allclose(ours[1], theirs[1], atol=1e-9)
    show("ivl_loss [64, 152064], loss and gradient", median_seconds(lambda: posttrain.ivl_loss(zb, zv, y, lam=0.01), 1))
    show("  the same in numpy", median_seconds(lambda: numpy_ivl(zb, zv, y, 0.01), 1))
    z = zb + zv
    seeds = np.arange(t, dtype=np.uint64)
    show("decode_step [64, 152064], top-k 50, top-p 0.9",
         median_seconds(lambda: posttrain.decode_step(z, seeds, 0, top_k=50, top_p=0.9), 1))


def python_judge_pair(reference, translation, textstat, sacrebleu):
    """The Trans-SS rule as a Python user writes it: sacrebleu's sentence BLEU and textstat's
    Flesch reading ease (textstat counts syllables its own way: the rule, not the numbers).
    textstat 0.7.3 (pyphen; it needs setuptools<70): 0.7.13 downloads NLTK's CMU dictionary."""
    if reference.lower() == translation.lower():
        return "identical"
    if len(reference.split()) <= 3 or len(translation.split()) <= 3:
        return "too_short"
    if "<unk>" in translation.split():
        return "unknown_token"
    if sacrebleu.sentence_bleu(translation, [reference], lowercase=True).score <= 15:
        return "low_bleu"
    if abs(textstat.flesch_reading_ease(reference) - textstat.flesch_reading_ease(translation)) <= 10:
        return "small_difference"
    return "kept"


def pair_corpus(n, seed=1):
    rng = np.random.default_rng(seed)
    words = ("the a cat dog committee government sat ran decided announced on under near mat house "
             "quickly extraordinarily complicated simple yesterday organisation it was is").split()
    sentence = lambda: " ".join(rng.choice(words, size=int(rng.integers(4, 25)))).capitalize() + "."
    refs = [sentence() for _ in range(n)]
    # Two thirds are the reference with hard words replaced (or unchanged), one third unrelated.
    trs = [r if i % 3 else sentence() for i, r in enumerate(refs)]
    trs = [t.replace("extraordinarily complicated", "hard").replace("organisation", "group") for t in trs]
    return refs, trs


def simplify_rows():
    refs, trs = pair_corpus(100_000)
    show("judge_pairs, 100 000 pairs", median_seconds(lambda: posttrain.judge_pairs(refs, trs), 1))
    try:
        import sacrebleu
        import textstat
    except ImportError:
        print("(sacrebleu and textstat are not installed: no Python row)")
        return
    # The Python loop over 10 000 pairs, scaled to 100 000 (it takes minutes otherwise).
    few = list(zip(refs[:10_000], trs[:10_000]))
    seconds = median_seconds(lambda: [python_judge_pair(r, t, textstat, sacrebleu) for r, t in few], 1)
    show("the same rule with sacrebleu + textstat (x10 of 10 000)", 10 * seconds)


if __name__ == "__main__":
    main()
    simplify_rows()
