#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The contrastive losses forward + backward with PyTorch autograd on the CPU, the way users
write them (F.normalize, a similarity GEMM, cross_entropy / logsumexp), N = 8192, d = 256,
float32, on the same number of threads as the library's bench (2). Prints the median of 3 runs
per form. Use /usr/bin/python3 with python3-torch.

    contrastive_torch.py [N d] [--threads T]
"""
import sys
import time

import torch
import torch.nn.functional as F


def infonce(z1, z2, tau, symmetric=False):
    u, v = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    s = u @ v.T / tau
    labels = torch.arange(s.shape[0])
    loss = F.cross_entropy(s, labels)
    if symmetric:
        loss = 0.5 * loss + 0.5 * F.cross_entropy(s.T, labels)
    return loss


def graphcl(z1, z2, tau):
    u, v = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    s = u @ v.T / tau
    pos = s.diagonal()
    masked = s.masked_fill(torch.eye(s.shape[0], dtype=torch.bool), float("-inf"))
    return (torch.logsumexp(masked, dim=1) - pos).mean()


def nt_xent(z1, z2, tau):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    s = (z @ z.T / tau).masked_fill(torch.eye(2 * z1.shape[0], dtype=torch.bool), float("-inf"))
    n = z1.shape[0]
    labels = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(s, labels)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    threads = 2
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
        args.remove(str(threads))
    n, d = (int(args[0]), int(args[1])) if len(args) >= 2 else (8192, 256)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, N={n} d={d}, float32")
    forms = {
        "infonce": lambda a, b: infonce(a, b, 0.2),
        "graphcl": lambda a, b: graphcl(a, b, 0.2),
        "infonce_symmetric": lambda a, b: infonce(a, b, 0.2, True),
        "nt_xent": lambda a, b: nt_xent(a, b, 0.2),
    }
    for name, f in forms.items():
        times = []
        for _ in range(3):
            z1 = torch.randn(n, d, requires_grad=True)
            z2 = torch.randn(n, d, requires_grad=True)
            t0 = time.perf_counter()
            loss = f(z1, z2)
            loss.backward()
            times.append(time.perf_counter() - t0)
        times.sort()
        print(f"torch autograd {name:18s} median {times[1] * 1e3:8.0f} ms   loss {loss.item():.5f}")


if __name__ == "__main__":
    main()
