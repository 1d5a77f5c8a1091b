#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The value module's hot paths the way users compute them in PyTorch (CPU, same threads):

  ivl   cross_entropy(z_B + z_V, y, ignore_index=-100) + λ·|z_V|.mean() and its backward with
        autograd, for [2048, 32000] and [512, 152064] float32
  warp  transformers' logits warpers (TemperatureLogitsWarper, TopKLogitsWarper,
        TopPLogitsWarper, as in transformers/generation/logits_process.py) then softmax and
        torch.multinomial, for 32 rows × V = 152064, T = 0.7, top-k 50, top-p 0.9; and top-p alone

Prints the median of 3 runs of each. Use /usr/bin/python3 with python3-torch.

    value_torch.py [ivl|warp|all] [--threads N]
"""
import sys
import time

import torch
import torch.nn.functional as F


def median_ms(fn, reps=3):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] * 1e3


def ivl(T, V):
    g = torch.Generator().manual_seed(0)
    zb = torch.randn(T, V, generator=g) * 3
    zv0 = torch.randn(T, V, generator=g) * 0.5
    y = torch.randint(0, V, (T,), generator=g)
    y[torch.rand(T, generator=g) < 0.25] = -100

    def step():
        zv = zv0.clone().requires_grad_(True)
        loss = F.cross_entropy(zb + zv, y, ignore_index=-100) + 1.0 * zv.abs().mean()
        loss.backward()
        return zv.grad

    print(f"torch ivl loss + autograd backward [{T}, {V}] f32: median {median_ms(step):.1f} ms")


# transformers' warpers, transcribed (logits_process.py): the same tensor operations.
def temperature(scores, t):
    return scores / t


def top_k(scores, k, filter_value=-float("inf"), min_tokens_to_keep=1):
    k = min(max(k, min_tokens_to_keep), scores.size(-1))
    indices_to_remove = scores < torch.topk(scores, k)[0][..., -1, None]
    return scores.masked_fill(indices_to_remove, filter_value)


def top_p(scores, p, filter_value=-float("inf"), min_tokens_to_keep=1):
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)
    cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    sorted_indices_to_remove = cumulative_probs <= (1 - p)
    sorted_indices_to_remove[..., -min_tokens_to_keep:] = 0
    indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices, sorted_indices_to_remove)
    return scores.masked_fill(indices_to_remove, filter_value)


def warp(B=32, V=152064):
    g = torch.Generator().manual_seed(4)
    z = torch.randn(B, V, generator=g) * 2

    def with_top_k():
        s = top_p(top_k(temperature(z, 0.7), 50), 0.9)
        return torch.multinomial(s.softmax(dim=-1), 1)

    def top_p_only():
        s = top_p(temperature(z, 0.7), 0.9)
        return torch.multinomial(s.softmax(dim=-1), 1)

    print(f"transformers warpers + multinomial, {B} x {V}, T 0.7, top-k 50, top-p 0.9: "
          f"median {median_ms(with_top_k):.1f} ms")
    print(f"transformers warpers + multinomial, {B} x {V}, T 0.7, top-p 0.9 only: median {median_ms(top_p_only):.1f} ms")


if __name__ == "__main__":
    threads = 2
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
    torch.set_num_threads(threads)
    what = next((a for a in sys.argv[1:] if a in ("ivl", "warp", "all")), "all")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if what in ("ivl", "all"):
        ivl(2048, 32000)
        ivl(512, 152064)
    if what in ("warp", "all"):
        warp()
