#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Neural-collapse metrics the way the reference codes compute them, with numpy: form the d×d
Σ_W and Σ_B, pseudo-invert Σ_B (d×d), loop the NC2–NC4 quantities. Writes the data it used
(features/labels/weight/bias .npy) to a folder so that posttrain computes on the same input, and
prints the median time of several runs and the metrics as JSON.

    collapse_numpy.py OUT_DIR [N d K] [--runs R]

Use /usr/bin/python3 (Debian's numpy) with libopenblas0-pthread installed; the BLAS and its
thread count are printed.
"""
import json
import os
import sys
import time

import numpy as np


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        return [(i.get("internal_api"), i.get("num_threads")) for i in threadpool_info()]
    except ImportError:
        cfg = np.__config__
        return getattr(cfg, "blas_opt_info", {}).get("libraries", "unknown")


def make_data(n, d, k, seed=1):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)).astype(np.float32)
    labels = np.arange(n, dtype=np.int64) % k
    rng.shuffle(labels)
    features = centres[labels] + 20 * rng.standard_normal((n, d), dtype=np.float32)
    weight = centres.astype(np.float64) + 2 * rng.standard_normal((k, d))
    bias = 0.1 * rng.standard_normal(k)
    return features, labels, weight, bias


def etf_error(g):
    k = g.shape[0]
    target = (np.eye(k) - np.ones((k, k)) / k) / np.sqrt(k - 1)
    return float(np.linalg.norm(g / np.linalg.norm(g) - target))


def geometry(v):
    """NC2 of the rows of v [K, d]."""
    k = v.shape[0]
    norms = np.linalg.norm(v, axis=1)
    cos = (v @ v.T) / np.outer(norms, norms)
    iu = np.triu_indices(k, 1)
    return {
        "equinorm": float(norms.std(ddof=1) / norms.mean()),
        "equiangularity": float(np.abs(cos[iu] + 1 / (k - 1)).mean()),
        "cosine_std": float(cos[iu].std()),
        "etf_error": etf_error(v @ v.T),
    }


def nc_metrics(h, y, k, w, b):
    h = h.astype(np.float64)
    n, d = h.shape
    counts = np.bincount(y, minlength=k)
    means = np.zeros((k, d))
    np.add.at(means, y, h)
    means /= counts[:, None]
    g = h.mean(axis=0)
    m = (means - g).T  # d × K
    centred = h - means[y]
    sigma_w = centred.T @ centred / n  # d × d
    sigma_b = m @ m.T / k  # d × d
    # scipy.linalg.pinv's default cut-off (max(M, N)·eps·σ_max): numpy's 1e-15 keeps rounding
    # noise in the d − K + 1 null directions of Σ_B when d ≫ K.
    pinv = np.linalg.pinv(sigma_b, rcond=d * np.finfo(np.float64).eps, hermitian=True)
    nc1 = float(np.trace(sigma_w @ pinv) / k)
    within = float(np.trace(sigma_w))
    between = float(np.trace(sigma_b))
    var = np.bincount(y, weights=(centred ** 2).sum(axis=1), minlength=k) / counts
    dist2 = ((means[:, None, :] - means[None, :, :]) ** 2).sum(-1)
    iu = np.triu_indices(k, 1)
    cdnv = float(((var[:, None] + var[None, :])[iu] / (2 * dist2[iu])).mean())
    wn = w / np.linalg.norm(w)
    mn = m / np.linalg.norm(m)
    # NC4: nearest class centre by ‖h − μ_c‖² = ‖h‖² − 2 h·μ_c + ‖μ_c‖².
    scores = -2 * h @ means.T + (means ** 2).sum(1)
    ncc = scores.argmin(axis=1)
    clf = (h @ w.T + b).argmax(axis=1)
    return {
        "nc1": nc1, "within_trace": within, "between_trace": between, "trace_ratio": within / between,
        "cdnv": cdnv, "nc2_means": geometry(m.T), "nc2_classifier": geometry(w),
        "nc3_self_duality": float(((wn.T - mn) ** 2).sum()),
        "nc3_classifier_means_etf_error": etf_error(w @ m),
        "nc4_ncc_accuracy": float((ncc == y).mean()), "nc4_ncc_mismatch": float((ncc != clf).mean()),
    }


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = 3
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
        args.remove(str(runs))
    out = args[0]
    n, d, k = (int(x) for x in args[1:4]) if len(args) >= 4 else (60000, 2048, 100)
    os.makedirs(out, exist_ok=True)
    h, y, w, b = make_data(n, d, k)
    for name, a in (("features", h), ("labels", y), ("weight", w), ("bias", b)):
        np.save(os.path.join(out, name + ".npy"), a)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        metrics = nc_metrics(h, y, k, w, b)
        times.append(time.perf_counter() - t0)
    times.sort()
    print(f"numpy {np.__version__}, BLAS {blas_info()}, N={n} d={d} K={k}")
    print(f"numpy reference: median {times[len(times) // 2] * 1e3:.0f} ms over {runs} runs")
    with open(os.path.join(out, "numpy_metrics.json"), "w") as f:
        json.dump(metrics, f)
    print("metrics:", json.dumps(metrics))


if __name__ == "__main__":
    main()
