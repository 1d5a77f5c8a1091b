#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The PPO maths the way the peers write it, in PyTorch: trl's compute_advantages and
masked_whiten, verl's multi-turn GAE, OpenRLHF's advantage normalisation and KL estimators.

    reward_torch.py bench [B T] [--threads N]   time GAE + returns + whitening (median of 3)
    reward_torch.py known                       print the known-answer vectors the tests use
    reward_torch.py lcs DIR                     write two 20 kB texts to DIR/{a,b}.txt and time
                                                pylcs's longest common substring on them (PyPI)

Use /usr/bin/python3 with python3-torch.
"""
import sys
import time

try:
    import torch
except ImportError:  # the lcs mode runs without it
    torch = None


def masked_mean(x, mask):
    return (x * mask).sum() / mask.sum()


def masked_var(x, mask, unbiased=True):
    mean = masked_mean(x, mask)
    var = masked_mean((x - mean) ** 2, mask)
    if unbiased:
        n = mask.sum()
        var = var * n / (n - 1)
    return var


def masked_whiten(x, mask, shift_mean=True):  # trl, verl
    mean, var = masked_mean(x, mask), masked_var(x, mask)
    w = (x - mean) * torch.rsqrt(var + 1e-8)
    return w if shift_mean else w + mean


def trl_compute_advantages(values, rewards, mask, gamma, lam):
    """trl's PPOTrainer.compute_advantages: r and V multiplied by the mask, then the loop."""
    values = values * mask
    rewards = rewards * mask
    T = rewards.shape[-1]
    last = 0
    rev = []
    for t in reversed(range(T)):
        nextvalues = values[:, t + 1] if t < T - 1 else 0.0
        delta = rewards[:, t] + gamma * nextvalues - values[:, t]
        last = delta + gamma * lam * last
        rev.append(last)
    adv = torch.stack(rev[::-1]).transpose(0, 1)
    returns = adv + values
    return adv, returns


def verl_gae(rewards, values, mask, gamma, lam):
    """verl's compute_gae_advantage_return (multi-turn: masked positions are skipped)."""
    nextvalues = 0
    last = 0
    rev = []
    for t in reversed(range(rewards.shape[-1])):
        delta = rewards[:, t] + gamma * nextvalues - values[:, t]
        new = delta + gamma * lam * last
        nextvalues = values[:, t] * mask[:, t] + (1 - mask[:, t]) * nextvalues
        last = new * mask[:, t] + (1 - mask[:, t]) * last
        rev.append(last)
    adv = torch.stack(rev[::-1], dim=1)
    return adv, adv + values


def openrlhf_normalise(adv, mask):
    n = mask.sum()
    mean = (adv * mask).sum() / n
    var = ((adv - mean).pow(2) * mask).sum() / n
    return (adv - mean) * var.clamp(min=1e-8).rsqrt()


def kl(logp, ref, kind):
    r = logp - ref
    if kind == "k2":
        r = r**2 / 2.0
    elif kind == "k3":
        r = -r
        r = r.exp() - 1 - r
    elif kind == "abs":
        r = r.abs()
    return r


def show(name, t):
    flat = [f"{v:.17g}" for v in t.flatten().tolist()]
    print(f"{name} = {{{', '.join(flat)}}};")


def known():
    torch.set_default_dtype(torch.float64)
    r = torch.tensor([[0.5, -0.25, 1.0, 0.0, 2.0], [1.5, 0.0, -1.0, 0.75, 0.25]])
    v = torch.tensor([[0.1, 0.4, -0.3, 0.2, 0.6], [0.0, -0.5, 0.25, 0.9, -0.2]])
    m = torch.tensor([[1.0, 1.0, 1.0, 1.0, 0.0], [1.0, 0.0, 1.0, 1.0, 1.0]])
    a, g = trl_compute_advantages(v, r, m, 0.9, 0.8)
    show("trl_advantages", a)
    show("trl_returns", g)
    show("trl_whitened", masked_whiten(a, m))
    show("trl_whitened_no_shift", masked_whiten(a, m, shift_mean=False))
    a, g = verl_gae(r, v, m, 0.9, 0.8)
    show("verl_advantages", a)
    show("verl_returns", g)
    show("openrlhf_normalised", openrlhf_normalise(a, m))
    lp = torch.tensor([-0.5, -2.0, -0.01, -7.5])
    lr = torch.tensor([-0.7, -1.0, -0.02, -0.5])
    for k in ("k1", "k2", "k3", "abs"):
        show("kl_" + k, kl(lp, lr, k))


def bench(B, T, threads):
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    r = torch.randn(B, T, generator=g)
    v = torch.randn(B, T, generator=g)
    m = (torch.rand(B, T, generator=g) < 0.9).float()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        a, ret = trl_compute_advantages(v, r, m, 1.0, 0.95)
        a = masked_whiten(a, m)
        times.append(time.perf_counter() - t0)
    times.sort()
    print(f"torch trl-style GAE + returns + whitening [{B}, {T}] f32: median {times[1] * 1e3:.1f} ms")


def lcs(directory):
    import random

    words = ["the", "model", "was", "born", "in", "a", "city", "of", "light", "and", "won", "two", "prizes",
             "for", "physics", "chemistry", "she", "is", "known", "as"]
    texts = []
    for seed, name in ((1, "a"), (2, "b")):
        rng = random.Random(seed)
        t = ""
        while len(t) < 20000:
            t += rng.choice(words) + " "
        t = t[:20000]
        texts.append(t)
        with open(f"{directory}/{name}.txt", "w") as f:
            f.write(t)
    try:
        import pylcs
    except ImportError:
        print("pylcs is not installed (pip install pylcs): no peer timing")
        return
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        n = pylcs.lcs_string_length(texts[0], texts[1])
        times.append(time.perf_counter() - t0)
    times.sort()
    print(f"pylcs lcs_string_length of two 20 kB texts: {n} characters, median {times[1] * 1e3:.1f} ms")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    threads = 2
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
        args.remove(str(threads))
    if not args or args[0] == "bench":
        B, T = (int(args[1]), int(args[2])) if len(args) >= 3 else (512, 4096)
        bench(B, T, threads)
    elif args[0] == "known":
        known()
    elif args[0] == "lcs":
        lcs(args[1])
