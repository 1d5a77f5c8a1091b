# SPDX-License-Identifier: Apache-2.0
"""posttrain's contrastive losses against their formulas written out in numpy: PyGCL's InfoNCE
(and its DualBranchContrast, the symmetric form), GraphCL's (the positive not in the
denominator), SimCLR's NT-Xent, the complementary loss with a given mask, the highlighted
dimensions, and the diagnostics; the gradients against central differences."""
import numpy as np
import pytest

import posttrain
from gradients import numeric_gradient


def normalise(z):
    return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)


def logsumexp(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def reference_loss(z1, z2, objective="infonce", tau=0.2, symmetric=False):
    u, v = normalise(z1), normalise(z2)
    n = len(u)
    if objective == "nt_xent":
        w = np.vstack([u, v])
        s = w @ w.T / tau
        np.fill_diagonal(s, -np.inf)
        positive = np.concatenate([np.arange(n, 2 * n), np.arange(n)])
        return (-s[np.arange(2 * n), positive] + logsumexp(s, 1)).mean()
    s = u @ v.T / tau
    if objective == "graphcl":
        off = s.copy()
        np.fill_diagonal(off, -np.inf)
        return (-np.diag(s) + logsumexp(off, 1)).mean()
    one_way = (-np.diag(s) + logsumexp(s, 1)).mean()
    if not symmetric:
        return one_way
    return 0.5 * (one_way + (-np.diag(s) + logsumexp(s, 0)).mean())



@pytest.fixture
def views():
    rng = np.random.default_rng(8)
    z1 = rng.normal(size=(9, 6))
    z2 = z1 + 0.5 * rng.normal(size=(9, 6))
    return z1, z2


@pytest.mark.parametrize("objective,symmetric", [("infonce", False), ("infonce", True), ("graphcl", False),
                                                 ("nt_xent", False)])
def test_contrastive_losses_match_their_formulas_and_gradients(views, objective, symmetric):
    z1, z2 = views
    loss, g1, g2 = posttrain.contrastive_loss(z1, z2, objective, temperature=0.5, symmetric=symmetric)
    assert loss == pytest.approx(reference_loss(z1, z2, objective, 0.5, symmetric), rel=1e-10)
    n1 = numeric_gradient(lambda z: reference_loss(z, z2, objective, 0.5, symmetric), z1)
    n2 = numeric_gradient(lambda z: reference_loss(z1, z, objective, 0.5, symmetric), z2)
    np.testing.assert_allclose(g1, n1, atol=1e-7)
    np.testing.assert_allclose(g2, n2, atol=1e-7)


def test_contrastive_loss_float32_and_strided(views):
    z1, z2 = views
    wide = np.zeros((9, 12), np.float32)
    wide[:, ::2] = z1
    loss, g1, _ = posttrain.contrastive_loss(wide[:, ::2], np.asfortranarray(z2.astype(np.float32)))
    assert g1.dtype == np.float32
    assert loss == pytest.approx(reference_loss(z1, z2), rel=1e-5)


def test_complementary_loss_with_a_given_mask(views):
    z1, z2 = views
    rng = np.random.default_rng(2)
    mask = rng.random(z1.shape) < 0.3
    total, g1, g2, terms = posttrain.complementary_loss(z1, z2, mask, weight=0.7, temperature=0.5)
    plain = reference_loss(z1, z2, tau=0.5)
    comp = reference_loss(z1, z2 * ~mask, tau=0.5)
    assert terms["plain"] == pytest.approx(plain, rel=1e-10)
    assert terms["complementary"] == pytest.approx(comp, rel=1e-10)
    assert total == pytest.approx(plain + 0.7 * comp, rel=1e-10)
    f = lambda a, b: reference_loss(a, b, tau=0.5) + 0.7 * reference_loss(a, b * ~mask, tau=0.5)  # noqa: E731
    np.testing.assert_allclose(g1, numeric_gradient(lambda z: f(z, z2), z1), atol=1e-7)
    np.testing.assert_allclose(g2, numeric_gradient(lambda z: f(z1, z), z2), atol=1e-7)


def test_highlighted_dimensions_and_the_default_mask(views):
    z1, z2 = views
    mask = posttrain.highlighted_dimensions(z1, z2, count=2)
    contribution = normalise(z1) * normalise(z2)
    want = np.zeros_like(mask)
    for i, row in enumerate(contribution):
        want[i, np.argsort(-row, kind="stable")[:2]] = 1
    np.testing.assert_array_equal(mask, want)
    assert mask.dtype == np.uint8 and (mask.sum(axis=1) == 2).all()
    magnitude = posttrain.highlighted_dimensions(z1, z2, ratio=0.5, rule="anchor_magnitude")
    assert (magnitude.sum(axis=1) == 3).all()  # ceil(0.5 * 6)
    # No mask given: the highlighted dimensions' mask, as computed above.
    given = posttrain.complementary_loss(z1, z2, want, count=2)
    default = posttrain.complementary_loss(z1, z2, count=2)
    assert default[0] == given[0]
    np.testing.assert_array_equal(default[1], given[1])


def test_diagnostics(views):
    z1, z2 = views
    c = posttrain.dimension_contributions(z1, z2)
    assert c.shape == (6,)
    assert c.sum() == pytest.approx((normalise(z1) * normalise(z2)).sum(axis=1).mean(), rel=1e-12)
    sigma = np.linalg.svd(z1, compute_uv=False)
    p = sigma / sigma.sum()
    assert posttrain.effective_rank(z1) == pytest.approx(np.exp(-(p * np.log(p)).sum()), rel=1e-9)
    assert posttrain.effective_rank(np.zeros((4, 3))) == 0


def test_contrastive_errors(views):
    z1, z2 = views
    with pytest.raises(ValueError, match="objective must be"):
        posttrain.contrastive_loss(z1, z2, "simclr")
    with pytest.raises(ValueError, match="z2"):
        posttrain.contrastive_loss(z1, z2[:8])
    bad = z1.copy()
    bad[3, 2] = np.inf
    with pytest.raises(ValueError, match=r"z1\(3,2\) is inf"):
        posttrain.contrastive_loss(bad, z2)
    with pytest.raises(ValueError, match="symmetric"):
        posttrain.contrastive_loss(z1, z2, "graphcl", symmetric=True)
    with pytest.raises(ValueError, match="rule must be"):
        posttrain.highlighted_dimensions(z1, z2, rule="largest")
