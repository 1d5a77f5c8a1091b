# SPDX-License-Identifier: Apache-2.0
"""The speed tables of docs/python.md: medians of 7 timeit runs, float32, with the numpy formula
beside the calls it replaces and, where torch is installed, the PyTorch versions a trl or verl
user runs today. Threads: OMP_NUM_THREADS (posttrain's kernels and torch's both follow it).

    OMP_NUM_THREADS=1 python python/bench/speed.py
    OMP_NUM_THREADS=2 build/pyenv-torch/bin/python python/bench/speed.py torch   # torch rows only
"""
import statistics
import sys
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


def trl_gae(values, rewards, gamma=1.0, lam=0.95):
    """trl's PPO loop (compute_advantages), one reversed step per token, in torch."""
    import torch
    lastgaelam = 0
    reversed_advantages = []
    length = rewards.shape[-1]
    for t in reversed(range(length)):
        nextvalues = values[:, t + 1] if t < length - 1 else 0.0
        delta = rewards[:, t] + gamma * nextvalues - values[:, t]
        lastgaelam = delta + gamma * lam * lastgaelam
        reversed_advantages.append(lastgaelam)
    advantages = torch.stack(reversed_advantages[::-1], axis=1)
    return advantages, advantages + values


def torch_nc1(features, labels, classes):
    """NC1 = tr(Sigma_W pinv(Sigma_B)) / K as the neural-collapse papers' code computes it:
    class means by scatter-add, the within-class scatter as one GEMM, torch.linalg.pinv."""
    import torch
    n, d = features.shape
    counts = torch.bincount(labels, minlength=classes).to(features.dtype)
    means = torch.zeros(classes, d, dtype=features.dtype).index_add_(0, labels, features) / counts[:, None]
    centred = features - means[labels]
    within = centred.T @ centred / n
    between_rows = means - features.mean(0)
    between = between_rows.T @ between_rows / classes
    return torch.trace(within @ torch.linalg.pinv(between, hermitian=True)).item() / classes


def torch_rows():
    """posttrain beside PyTorch, in one run: the same inputs, the results checked equal first."""
    import torch
    import torch.nn.functional as F

    import posttrain.torch as ptt
    import re
    torch.ones(64, 64) @ torch.ones(64, 64)  # loads the BLAS torch calls
    with open("/proc/self/maps") as maps:
        loaded = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})
    built = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS_INFO={built.group(1) if built else '?'}, "
          f"BLAS loaded: {', '.join(loaded) or 'none'}")
    g = torch.Generator().manual_seed(0)

    small = torch.randn(8, 128, generator=g)
    show("compute_gae [8, 128] on torch tensors", median_seconds(lambda: posttrain.compute_gae(small, small), 2000))
    show("  trl's loop in torch", median_seconds(lambda: trl_gae(small, small), 20))
    big = torch.randn(512, 4096, generator=g)
    ours, theirs = posttrain.compute_gae(big, big)[0], trl_gae(big, big)[0]
    assert np.allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-3)
    show("compute_gae [512, 4096]", median_seconds(lambda: posttrain.compute_gae(big, big), 10))
    show("  trl's loop in torch", median_seconds(lambda: trl_gae(big, big), 1))

    def step(loss_fn):
        zv.grad = None
        loss_fn().backward()

    zb, zv, y = torch.randn(8, 128, generator=g), torch.randn(8, 128, generator=g, requires_grad=True), torch.arange(8)
    show("posttrain.torch.cross_entropy [8, 128], fwd + bwd (overhead)", median_seconds(lambda: step(lambda: ptt.cross_entropy(zv, y)), 500))
    show("  F.cross_entropy, the same", median_seconds(lambda: step(lambda: F.cross_entropy(zv, y)), 500))

    t, v = 64, 152064
    zb = torch.randn(t, v, generator=g)
    zv = (0.1 * torch.randn(t, v, generator=g)).requires_grad_(True)
    y = torch.randint(0, v, (t,), generator=g)
    ours = lambda: ptt.ivl_loss(zb, zv, y, lam=0.01)
    theirs = lambda: F.cross_entropy(zb + zv, y) + 0.01 * zv.abs().mean()
    step(ours)
    mine = zv.grad.clone()
    step(theirs)
    assert torch.allclose(mine, zv.grad, atol=1e-9)
    show("posttrain.torch.ivl_loss [64, 152064], forward + backward", median_seconds(lambda: step(ours), 1))
    show("  F.cross_entropy(zb + zv) + lam * |zv|.mean(), the same", median_seconds(lambda: step(theirs), 1))

    z1 = torch.randn(8192, 256, generator=g)
    z2 = (z1 + 0.5 * torch.randn(8192, 256, generator=g)).requires_grad_(True)
    z1.requires_grad_(True)

    def pygcl_infonce():
        u, w = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
        return F.cross_entropy(u @ w.T / 0.2, torch.arange(len(u)))

    def both(loss_fn):
        z1.grad = z2.grad = None
        loss_fn().backward()

    show("posttrain.torch.contrastive_loss N = 8192, d = 256, fwd + bwd",
         median_seconds(lambda: both(lambda: ptt.contrastive_loss(z1, z2)), 1))
    show("  PyGCL's InfoNCE in torch, the same", median_seconds(lambda: both(pygcl_infonce), 1))

    n, d, k = 60000, 512, 100
    labels = torch.randint(0, k, (n,), generator=g)
    centres = 3 * torch.randn(k, d, generator=g)
    features = centres[labels] + torch.randn(n, d, generator=g)
    ours = posttrain.nc_metrics(features, labels, k)["nc1"]
    theirs = torch_nc1(features.double(), labels, k)
    assert abs(ours - theirs) < 1e-3 * abs(theirs), (ours, theirs)
    show(f"nc_metrics N = {n}, d = {d}, K = {k} (NC1 to NC4)", median_seconds(lambda: posttrain.nc_metrics(features, labels, k), 1))
    show("  NC1 alone in torch (float32 features)", median_seconds(lambda: torch_nc1(features, labels, k), 1))


if __name__ == "__main__":
    if sys.argv[1:] == ["torch"]:
        torch_rows()
    else:
        main()
        simplify_rows()
