# SPDX-License-Identifier: Apache-2.0
"""posttrain: the library's post-training kernels on numpy arrays and torch tensors.

Arrays are read in place through their strides (numpy, torch CPU tensors, anything with DLPack);
results are new numpy arrays (``torch.from_numpy`` wraps them without a copy). The GIL is
released while a kernel runs. Wrong dtypes and devices raise TypeError, wrong shapes and values
ValueError, with the library's message.

reward (PPO maths, with the conventions of trl, verl and OpenRLHF):
    compute_gae(rewards, values, mask=None, gamma=1.0, lam=0.95, masking="zero")
    masked_whiten(x, mask=None, shift_mean=True, preset=None, unbiased=None, eps=None)
    kl_penalty(logp, ref_logp, mask=None, kind="k1", clamp=None)
"""
from ._core import __version__, backend, compute_gae, kl_penalty, masked_whiten

__all__ = ["__version__", "backend", "compute_gae", "kl_penalty", "masked_whiten"]
