# SPDX-License-Identifier: Apache-2.0
"""processed_log_probs and decode_step against transformers' own logits warpers, applied in
generate's order (temperature, top-k, top-p, min-p) in the same process: the log-probabilities
over the survivors, -inf elsewhere. Skipped without torch and transformers, unless
POSTTRAIN_REQUIRE names them (peers.py)."""
import numpy as np
import pytest

from peers import require

torch = require("torch")
require("transformers")
from transformers.generation.logits_process import (  # noqa: E402
    LogitsProcessorList, MinPLogitsWarper, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)

import posttrain  # noqa: E402


def warped_log_probs(z, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, min_tokens_to_keep=1):
    """What generate() samples from: its warpers, then a log-softmax."""
    warpers = LogitsProcessorList()
    if temperature != 1.0:
        warpers.append(TemperatureLogitsWarper(temperature))
    if top_k > 0:
        warpers.append(TopKLogitsWarper(top_k, min_tokens_to_keep=min_tokens_to_keep))
    if top_p < 1.0:
        warpers.append(TopPLogitsWarper(top_p, min_tokens_to_keep=min_tokens_to_keep))
    if min_p > 0.0:
        warpers.append(MinPLogitsWarper(min_p, min_tokens_to_keep=min_tokens_to_keep))
    scores = warpers(torch.zeros(len(z), 1, dtype=torch.long), torch.tensor(z))
    return torch.log_softmax(scores, dim=-1).numpy()


OPTIONS = [dict(), dict(temperature=0.7), dict(top_k=5), dict(top_k=1), dict(top_p=0.8), dict(top_p=0.3),
           dict(min_p=0.1), dict(temperature=1.3, top_k=20, top_p=0.9, min_p=0.05),
           dict(top_p=0.01, min_tokens_to_keep=3), dict(top_k=2, min_tokens_to_keep=4),
           dict(min_p=0.9, min_tokens_to_keep=2)]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_processed_log_probs_equal_transformers_warpers(options, dtype):
    rng = np.random.default_rng(7)
    z = rng.normal(0, 2.5, size=(16, 300)).astype(dtype)
    ours = posttrain.processed_log_probs(z, **options)
    theirs = warped_log_probs(z, **options)
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))  # the same survivors
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(ours[np.isfinite(ours)], theirs[np.isfinite(theirs)], rtol=tol, atol=tol)


def test_ties_at_the_kth_logit_are_kept_as_transformers_keeps_them():
    z = np.array([[3.0, 1.0, 2.0, 2.0, 2.0, 0.5]])
    ours = posttrain.processed_log_probs(z, top_k=2)
    theirs = warped_log_probs(z, top_k=2)
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
    assert np.isfinite(ours).sum() == 4  # the 3.0 and every 2.0
    np.testing.assert_allclose(ours[np.isfinite(ours)], theirs[np.isfinite(theirs)], rtol=1e-13)


def test_decode_step_draws_only_what_the_warpers_keep():
    rng = np.random.default_rng(8)
    z = rng.normal(0, 2.0, size=(64, 500))
    options = dict(temperature=0.8, top_k=40, top_p=0.9, min_p=0.02)
    theirs = warped_log_probs(z, **options)
    for step in range(5):
        tokens, log_probs = posttrain.decode_step(z, np.arange(64, dtype=np.uint64), step=step, **options)
        np.testing.assert_allclose(log_probs, theirs[np.arange(64), tokens], rtol=1e-12)
