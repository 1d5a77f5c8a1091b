# SPDX-License-Identifier: Apache-2.0
"""posttrain's PPO losses and critic-free advantages against verl's and trl's formulas written out
in numpy: the clipped policy loss (with dual clip and the three aggregation modes), the clipped
value loss, their gradients against central differences, GRPO, RLOO and REINFORCE++."""
import numpy as np
import pytest

import posttrain
from gradients import numeric_gradient


def aggregate(losses, mask, mode):
    """verl's agg_loss."""
    if mode == "token-mean":
        return (losses * mask).sum() / mask.sum()
    rows = mask.sum(axis=1) > 0
    if mode == "seq-mean-token-mean":
        per_row = (losses * mask).sum(axis=1)[rows] / mask.sum(axis=1)[rows]
        return per_row.mean()
    return (losses * mask).sum(axis=1).mean()  # seq-mean-token-sum: over every row


def verl_policy_loss(logp, old, adv, mask, clip_low, clip_high, dual_clip, mode):
    """verl's compute_policy_loss (vanilla)."""
    ratio = np.exp(logp - old)
    l1 = -adv * ratio
    l2 = -adv * np.clip(ratio, 1 - clip_low, 1 + clip_high)
    clipped = np.maximum(l1, l2)
    if dual_clip is not None:
        clipped = np.where(adv < 0, np.minimum(-adv * dual_clip, clipped), clipped)
    clip_fraction = ((l2 > l1) * mask).sum() / mask.sum()
    approx_kl = ((old - logp) * mask).sum() / mask.sum()
    return aggregate(clipped, mask, mode), clip_fraction, approx_kl


def trl_value_loss(values, old, returns, mask, clip, mode):
    """trl's (and verl's) clipped value loss, ½·max((v − R)², (clip(v, old ± ε) − R)²)."""
    clipped = np.clip(values, old - clip, old + clip)
    losses = 0.5 * np.maximum((values - returns) ** 2, (clipped - returns) ** 2)
    return aggregate(losses, mask, mode)



@pytest.fixture
def rollout():
    rng = np.random.default_rng(11)
    shape = (5, 23)
    logp = rng.normal(-1.0, 0.3, size=shape)
    old = logp + rng.normal(0, 0.25, size=shape)
    adv = rng.normal(size=shape)
    mask = (rng.random(shape) > 0.25).astype(np.float64)
    mask[3] = 0  # a row with no valid token
    return logp, old, adv, mask


@pytest.mark.parametrize("mode", ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum"])
@pytest.mark.parametrize("dual_clip", [None, 3.0])
def test_policy_loss_is_verls(rollout, mode, dual_clip):
    logp, old, adv, mask = rollout
    loss, grad, info = posttrain.policy_loss(logp, old, adv, mask, clip_low=0.2, clip_high=0.28,
                                             dual_clip=dual_clip, loss_agg_mode=mode)
    expected, clip_fraction, approx_kl = verl_policy_loss(logp, old, adv, mask, 0.2, 0.28, dual_clip, mode)
    assert loss == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert info["approx_kl"] == pytest.approx(approx_kl, rel=1e-12)
    assert info["valid_positions"] == mask.sum()
    if dual_clip is None:
        assert info["clip_fraction"] == pytest.approx(clip_fraction, rel=1e-12)
    numeric = numeric_gradient(
        lambda x: verl_policy_loss(x, old, adv, mask, 0.2, 0.28, dual_clip, mode)[0], logp)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    assert np.all(grad[mask == 0] == 0)


@pytest.mark.parametrize("mode", ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum"])
def test_value_loss_is_trls(rollout, mode):
    _, _, returns, mask = rollout
    rng = np.random.default_rng(3)
    old = returns + rng.normal(0, 0.5, size=returns.shape)
    values = old + rng.normal(0, 0.4, size=returns.shape)
    loss, grad, info = posttrain.value_loss(values, old, returns, mask, clip=0.2, loss_agg_mode=mode)
    assert loss == pytest.approx(trl_value_loss(values, old, returns, mask, 0.2, mode), rel=1e-12)
    assert 0 < info["clip_fraction"] < 1
    numeric = numeric_gradient(lambda v: trl_value_loss(v, old, returns, mask, 0.2, mode), values)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    plain, _, _ = posttrain.value_loss(values, old, returns, mask, clip=None, loss_agg_mode=mode)
    assert plain == pytest.approx(aggregate(0.5 * (values - returns) ** 2, mask, mode), rel=1e-12)


def test_losses_float32_and_strided_views(rollout):
    logp, old, adv, mask = rollout
    wide = np.zeros((logp.shape[0], 2 * logp.shape[1]))
    wide[:, ::2] = logp
    loss64, grad64, _ = posttrain.policy_loss(wide[:, ::2], old, adv, mask)
    loss, grad, _ = posttrain.policy_loss(logp, old, adv, mask)
    assert loss64 == loss and np.array_equal(grad64, grad)
    loss32, grad32, _ = posttrain.policy_loss(*(a.astype(np.float32) for a in (logp, old, adv)), mask)
    assert grad32.dtype == np.float32
    assert loss32 == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(grad32, grad, rtol=1e-4, atol=1e-7)


def test_all_masked_batch_gives_zero_not_nan(rollout):
    logp, old, adv, mask = rollout
    loss, grad, info = posttrain.policy_loss(logp, old, adv, np.zeros_like(mask))
    assert loss == 0 and not grad.any() and info["valid_positions"] == 0


def test_loss_bad_input_names_the_argument(rollout):
    logp, old, adv, mask = rollout
    with pytest.raises(ValueError, match="advantages"):
        posttrain.policy_loss(logp, old, adv[:, :-1], mask)
    with pytest.raises(ValueError, match="dual_clip"):
        posttrain.policy_loss(logp, old, adv, mask, dual_clip=0.5)
    with pytest.raises(ValueError, match="loss_agg_mode"):
        posttrain.policy_loss(logp, old, adv, mask, loss_agg_mode="seq-mean")
    with pytest.raises(TypeError, match="old_values"):
        posttrain.value_loss(logp, old.astype(np.float32), adv, mask)


def grpo_loop(scores, group, eps=1e-6):
    """verl's compute_grpo_outcome_advantage: torch.std (unbiased); a group of one: mean 0, std 1."""
    out = np.zeros_like(scores)
    for g in np.unique(group):
        members = group == g
        s = scores[members]
        mean, std = (s.mean(), s.std(ddof=1)) if len(s) > 1 else (0.0, 1.0)
        out[members] = (s - mean) / (std + eps)
    return out


def test_grpo_and_rloo_match_the_peers_loops():
    rng = np.random.default_rng(5)
    scores = rng.normal(size=40)
    group = np.repeat(np.arange(10), 4)[rng.permutation(40)]
    group[0] = 99  # a group of one
    np.testing.assert_allclose(posttrain.grpo_advantages(scores, group), grpo_loop(scores, group), rtol=1e-12)
    np.testing.assert_allclose(posttrain.grpo_advantages(scores, group.astype(np.int32), scale_by_std=False),
                               [s - scores[group == g].mean() if (group == g).sum() > 1 else s
                                for s, g in zip(scores, group)], rtol=1e-12, atol=1e-15)
    rloo = [s if (group == g).sum() == 1 else s - (scores[group == g].sum() - s) / ((group == g).sum() - 1)
            for s, g in zip(scores, group)]
    np.testing.assert_allclose(posttrain.rloo_advantages(scores, group), rloo, rtol=1e-12, atol=1e-15)
    # A response without a valid token is left out of its group and gets 0.
    counted = np.ones(40, dtype=bool)
    counted[5] = False
    a = posttrain.grpo_advantages(scores, group, counted=counted)
    keep = np.arange(40) != 5
    assert a[5] == 0
    np.testing.assert_allclose(a[keep], grpo_loop(scores[keep], group[keep]), rtol=1e-12)
    with pytest.raises(ValueError, match="group"):
        posttrain.grpo_advantages(scores, group[:-1])
    with pytest.raises(TypeError, match="group"):
        posttrain.rloo_advantages(scores, group.astype(np.float64))


def verl_reinforce_plus_plus(rewards, mask, gamma):
    """verl's compute_reinforce_plus_plus_outcome_advantage, then masked_whiten and the mask."""
    returns = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[0])
    for t in reversed(range(rewards.shape[1])):
        running = rewards[:, t] + gamma * running
        returns[:, t] = running
        running = running * mask[:, t]
    n = mask.sum()
    mean = (returns * mask).sum() / n
    var = (((returns - mean) ** 2) * mask).sum() / (n - 1)
    return (returns - mean) / np.sqrt(var + 1e-8) * mask


def test_reinforce_plus_plus_is_verls():
    rng = np.random.default_rng(9)
    rewards = np.zeros((4, 16))
    mask = np.ones((4, 16))
    for row, length in enumerate([16, 9, 12, 5]):
        mask[row, length:] = 0
        rewards[row, length - 1] = rng.normal()
    rewards[1, 3] = 0.5  # a token-level reward inside a response
    got = posttrain.reinforce_plus_plus_advantages(rewards, mask, gamma=0.99)
    np.testing.assert_allclose(got, verl_reinforce_plus_plus(rewards, mask, 0.99), rtol=1e-10, atol=1e-12)
