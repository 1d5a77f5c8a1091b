# SPDX-License-Identifier: Apache-2.0
"""scipy.stats.kendalltau and spearmanr on the data bench/rm_eval.cpp builds (same formula),
median of 3 runs; prints the statistics so the two sides can be checked to agree."""
import statistics
import sys
import time

import numpy as np
import scipy
from scipy import stats


def make_data(n):
    i = np.arange(n, dtype=np.float64)
    x = np.fmod(i * 0.6180339887498949, 1.0)
    y = np.rint((np.fmod(i * 1.4142135623730951, 1.0) + 0.5 * x) * 1e4) / 1e4
    return x, y


def median_seconds(fn, repeats=3):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), value


def main():
    print(f"scipy {scipy.__version__}, numpy {np.__version__}")
    for n in (1_000_000, 10_000_000):
        x, y = make_data(n)
        t, tau = median_seconds(lambda: stats.kendalltau(x, y).statistic)
        print(f"scipy kendalltau n={n}: {t * 1e3:.1f} ms (tau_b = {tau:.12f})")
        t, rho = median_seconds(lambda: stats.spearmanr(x, y).statistic)
        print(f"scipy spearmanr  n={n}: {t * 1e3:.1f} ms (rho = {rho:.12f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
