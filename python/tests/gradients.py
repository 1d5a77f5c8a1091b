# SPDX-License-Identifier: Apache-2.0
"""Central differences, the tests' check of every analytic gradient."""
import numpy as np


def numeric_gradient(f, x, h=1e-6):
    """d f / d x by central differences, one element at a time (f: array -> float)."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        g[idx] = (f(up) - f(down)) / (2 * h)
    return g
