# SPDX-License-Identifier: Apache-2.0
"""posttrain.reward against the peers' own loops, written out in numpy: trl's GAE and
masked_whiten, verl's masked GAE, the KL estimators; strides, dtypes, masks and bad input."""
import numpy as np
import pytest

import posttrain


def trl_gae(rewards, values, mask, gamma, lam):
    """trl's PPO loop: rewards and values zeroed where mask = 0, then the plain recursion."""
    rewards, values = rewards * mask, values * mask
    batch, length = rewards.shape
    last = np.zeros(batch)
    reversed_adv = []
    for t in reversed(range(length)):
        next_values = values[:, t + 1] if t < length - 1 else 0.0
        delta = rewards[:, t] + gamma * next_values - values[:, t]
        last = delta + gamma * lam * last
        reversed_adv.append(last)
    advantages = np.stack(reversed_adv[::-1], axis=1)
    return advantages, advantages + values


def verl_gae(rewards, values, mask, gamma, lam):
    """verl's compute_gae_advantage_return with its response mask: masked positions carry the next
    valid position's value and advantage."""
    batch, length = rewards.shape
    next_values = np.zeros(batch)
    last = np.zeros(batch)
    reversed_adv = []
    for t in reversed(range(length)):
        delta = rewards[:, t] + gamma * next_values - values[:, t]
        candidate = delta + gamma * lam * last
        next_values = values[:, t] * mask[:, t] + (1 - mask[:, t]) * next_values
        last = candidate * mask[:, t] + (1 - mask[:, t]) * last
        reversed_adv.append(last)
    advantages = np.stack(reversed_adv[::-1], axis=1)
    return advantages, advantages + values


def trl_masked_whiten(x, mask, shift_mean=True, unbiased=True, eps=1e-8):
    n = mask.sum()
    mean = (x * mask).sum() / n
    var = (((x - mean) ** 2) * mask).sum() / n
    if unbiased:
        var = var * n / (n - 1)
    out = (x - mean) / np.sqrt(var + eps)
    return out if shift_mean else out + mean


@pytest.fixture
def batch():
    rng = np.random.default_rng(7)
    rewards = rng.normal(size=(6, 37))
    values = rng.normal(size=(6, 37))
    mask = (rng.random((6, 37)) > 0.3).astype(np.float64)
    mask[2] = 0  # an all-masked row
    return rewards, values, mask


@pytest.mark.parametrize("gamma,lam", [(1.0, 0.95), (0.99, 0.9), (1.0, 1.0)])
def test_gae_zero_masking_is_trls(batch, gamma, lam):
    rewards, values, mask = batch
    adv, ret = posttrain.compute_gae(rewards, values, mask, gamma=gamma, lam=lam)
    want_adv, want_ret = trl_gae(rewards, values, mask, gamma, lam)
    np.testing.assert_allclose(adv, want_adv, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ret, want_ret, rtol=1e-12, atol=1e-12)


def test_gae_skip_masking_is_verls(batch):
    rewards, values, mask = batch
    adv, ret = posttrain.compute_gae(rewards, values, mask, gamma=0.99, lam=0.95, masking="skip")
    want_adv, want_ret = verl_gae(rewards, values, mask, 0.99, 0.95)
    np.testing.assert_allclose(adv, want_adv, rtol=1e-12, atol=1e-12)
    valid = mask != 0  # verl's returns add the (unused) value at masked positions; ours count it as 0
    np.testing.assert_allclose(ret[valid], want_ret[valid], rtol=1e-12, atol=1e-12)


def test_gae_float32_strides_and_mask_dtypes(batch):
    rewards, values, mask = batch
    want_adv, _ = trl_gae(rewards[:, ::2], values[:, ::2], mask[:, ::2], 1.0, 0.95)
    r32, v32 = rewards.astype(np.float32), values.astype(np.float32)
    for m in (mask[:, ::2], mask[:, ::2].astype(bool), mask[:, ::2].astype(np.uint8), mask[:, ::2].astype(np.int64),
              mask[:, ::2].astype(np.int32), mask[:, ::2].astype(np.float32)):
        adv, ret = posttrain.compute_gae(r32[:, ::2], v32[:, ::2], m)  # strided views, read in place
        assert adv.dtype == np.float32 and ret.dtype == np.float32
        np.testing.assert_allclose(adv, want_adv, rtol=2e-5, atol=2e-5)
    # Fortran order (a transposed view) gives the same as a C-ordered copy
    adv_f, _ = posttrain.compute_gae(np.asfortranarray(rewards), np.asfortranarray(values), np.asfortranarray(mask))
    adv_c, _ = posttrain.compute_gae(rewards, values, mask)
    np.testing.assert_array_equal(adv_f, adv_c)


def test_gae_without_mask_and_nan_behind_the_mask(batch):
    rewards, values, mask = batch
    adv, _ = posttrain.compute_gae(rewards, values)
    np.testing.assert_allclose(adv, trl_gae(rewards, values, np.ones_like(mask), 1.0, 0.95)[0], rtol=1e-12, atol=1e-12)
    poisoned = np.where(mask != 0, rewards, np.nan)
    adv_p, _ = posttrain.compute_gae(poisoned, values, mask)
    adv_c, _ = posttrain.compute_gae(rewards, values, mask)
    np.testing.assert_array_equal(adv_p[mask != 0], adv_c[mask != 0])
    assert not np.isnan(adv_p[mask != 0]).any()


def test_gae_empty_shapes():
    for shape in ((0, 5), (3, 0)):
        adv, ret = posttrain.compute_gae(np.zeros(shape), np.zeros(shape))
        assert adv.shape == shape and ret.shape == shape


@pytest.mark.parametrize("shift_mean", [True, False])
def test_masked_whiten_is_trls(batch, shift_mean):
    _, values, mask = batch
    out = posttrain.masked_whiten(values, mask, shift_mean=shift_mean, preset="trl")
    np.testing.assert_allclose(out, trl_masked_whiten(values, mask, shift_mean), rtol=1e-10, atol=1e-12)


def test_masked_whiten_openrlhf_preset(batch):
    _, values, mask = batch
    n = mask.sum()
    mean = (values * mask).sum() / n
    var = (((values - mean) ** 2) * mask).sum() / n  # biased, ε as a floor
    want = (values - mean) / np.sqrt(max(var, 1e-8))
    np.testing.assert_allclose(posttrain.masked_whiten(values, mask, preset="openrlhf"), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["k1", "k2", "k3", "abs"])
def test_kl_estimators(batch, kind):
    logp, ref, mask = batch
    d = logp - ref
    want = {"k1": d, "k2": 0.5 * d * d, "k3": np.expm1(-d) + d, "abs": np.abs(d)}[kind] * mask
    np.testing.assert_allclose(posttrain.kl_penalty(logp, ref, mask, kind=kind), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(posttrain.kl_penalty(logp, ref, mask, kind=kind, clamp=0.5), np.clip(want, -0.5, 0.5),
                               rtol=1e-12, atol=1e-12)


def test_bad_input_raises_with_the_librarys_message(batch):
    rewards, values, mask = batch
    with pytest.raises(TypeError, match="values is float32 but rewards is float64"):
        posttrain.compute_gae(rewards, values.astype(np.float32))
    with pytest.raises(TypeError, match="rewards must be float32 or float64, not int64"):
        posttrain.compute_gae(rewards.astype(np.int64), values)
    with pytest.raises(TypeError, match="mask must be float32 or float64 \\(or bool"):
        posttrain.compute_gae(rewards, values, mask.astype(np.complex128))
    with pytest.raises(ValueError, match="same shape"):
        posttrain.compute_gae(rewards, values[:, :3])
    with pytest.raises(ValueError, match="rewards must be 2-D"):
        posttrain.compute_gae(rewards[0], values[0])
    with pytest.raises(ValueError, match="masking must be 'zero'"):
        posttrain.compute_gae(rewards, values, masking="drop")
    with pytest.raises(ValueError, match="gamma"):
        posttrain.compute_gae(rewards, values, gamma=1.5)
    with pytest.raises(ValueError, match="preset must be"):
        posttrain.masked_whiten(values, preset="ray")
    with pytest.raises(ValueError, match="kind must be"):
        posttrain.kl_penalty(rewards, values, kind="k4")
    with pytest.raises(ValueError, match="clamp"):
        posttrain.kl_penalty(rewards, values, clamp=-1.0)


def test_results_own_their_memory(batch):
    rewards, values, mask = batch
    import sys
    adv, ret = posttrain.compute_gae(rewards, values, mask)
    assert adv.flags.c_contiguous and adv.flags.writeable
    assert sys.getrefcount(adv) == 2  # this name and the call's argument: nothing else holds it
    del rewards, values
    assert np.isfinite(adv).all()


def test_version_matches_the_headers():
    assert posttrain.__version__.count(".") == 2
    assert posttrain.backend == "eigen"


def test_out_arrays_are_written_in_place():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(4, 9))
    mask = rng.random((4, 9)) > 0.3
    want = posttrain.masked_whiten(x, mask, preset="trl")
    # Into a given array, which is returned as it was given.
    out = np.empty_like(x)
    assert posttrain.masked_whiten(x, mask, preset="trl", out=out) is out
    np.testing.assert_array_equal(out, want)
    # In place: x itself (the statistics are taken before anything is written).
    y = x.copy()
    assert posttrain.masked_whiten(y, mask, preset="trl", out=y) is y
    np.testing.assert_array_equal(y, want)
    # A strided view of a larger array: only its elements change.
    big = np.zeros((4, 18))
    posttrain.masked_whiten(x, mask, preset="trl", out=big[:, ::2])
    np.testing.assert_array_equal(big[:, ::2], want)
    assert not big[:, 1::2].any()
    # The KL estimate into logp's own memory, and the shaped reward into kl's.
    logp, ref = rng.normal(size=(2, 4, 9)).astype(np.float32)
    kl_want = posttrain.kl_penalty(logp, ref, mask, kind="k3")
    assert posttrain.kl_penalty(logp, ref, mask, kind="k3", out=logp) is logp
    np.testing.assert_array_equal(logp, kl_want)
    scores = rng.normal(size=4)
    shaped_want = posttrain.shaped_rewards(logp, scores, mask, kl_coef=0.2)
    posttrain.shaped_rewards(logp, scores, mask, kl_coef=0.2, out=logp)
    np.testing.assert_array_equal(logp, shaped_want)
    # Wrong dtype, shape, read-only memory.
    with pytest.raises(TypeError, match="out must be float64"):
        posttrain.masked_whiten(x, mask, out=np.empty((4, 9), np.float32))
    with pytest.raises(ValueError, match=r"out has shape \(4, 8\); the result is \(4, 9\)"):
        posttrain.masked_whiten(x, mask, out=np.empty((4, 8)))
    frozen = np.empty_like(x)
    frozen.flags.writeable = False
    with pytest.raises(TypeError, match="writable"):
        posttrain.masked_whiten(x, mask, out=frozen)
