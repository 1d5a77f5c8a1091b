# SPDX-License-Identifier: Apache-2.0
"""posttrain's value module against its formulas written out in numpy: the IVL loss and the token
cross-entropy (F.cross_entropy's convention) with their gradients (also against central
differences), the logit combinations, the processed log-probabilities of transformers' warpers
(temperature, top-k, top-p, min-p), and seeded decoding (reproducible, drawn from the processed
distribution)."""
import numpy as np
import pytest

import posttrain
from gradients import numeric_gradient


def log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def reference_ivl(zb, zv, labels, lam, ignore_index=-100):
    """(loss, grad, cross_entropy, norm): mean CE of zb + zv over the labelled rows + lam * mean |zv|."""
    t, v = zv.shape
    lsm = log_softmax(zb + zv)
    rows = labels != ignore_index
    ce = -lsm[rows, labels[rows]].sum() / max(rows.sum(), 1)
    norm = np.abs(zv).sum() / (t * v)
    grad = lam * np.sign(zv) / (t * v)
    onehot = np.zeros_like(zv)
    onehot[np.arange(t)[rows], labels[rows]] = 1
    grad[rows] += (np.exp(lsm[rows]) - onehot[rows]) / max(rows.sum(), 1)
    return ce + lam * norm, grad, ce, norm



@pytest.fixture
def logits():
    rng = np.random.default_rng(5)
    zb = rng.normal(0, 2, size=(7, 13))
    zv = rng.normal(0, 0.5, size=(7, 13))
    labels = rng.integers(0, 13, size=7)
    labels[2] = -100
    return zb, zv, labels


def test_ivl_loss_matches_the_formula_and_central_differences(logits):
    zb, zv, labels = logits
    loss, grad, info = posttrain.ivl_loss(zb, zv, labels, lam=0.3)
    want_loss, want_grad, ce, norm = reference_ivl(zb, zv, labels, 0.3)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    assert info["cross_entropy"] == pytest.approx(ce, rel=1e-12)
    assert info["norm"] == pytest.approx(norm, rel=1e-12)
    assert info["labelled"] == 6
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-14)
    numeric = numeric_gradient(lambda z: posttrain.ivl_loss(zb, z, labels, lam=0.3)[0], zv)
    np.testing.assert_allclose(grad, numeric, atol=1e-7)


def test_ivl_loss_float32_strided_and_int32_labels(logits):
    zb, zv, labels = logits
    wide_b = np.zeros((7, 26), dtype=np.float32)
    wide_b[:, ::2] = zb
    wide_v = np.asfortranarray(zv.astype(np.float32))
    loss, grad, _ = posttrain.ivl_loss(wide_b[:, ::2], wide_v, labels.astype(np.int32), lam=1.0)
    want_loss, want_grad, _, _ = reference_ivl(zb.astype(np.float32), zv.astype(np.float32), labels, 1.0)
    assert grad.dtype == np.float32
    assert loss == pytest.approx(want_loss, rel=1e-5)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-4, atol=1e-6)


def test_cross_entropy_is_f_cross_entropys_mean_over_labelled_rows(logits):
    zb, _, labels = logits
    loss, grad, labelled = posttrain.cross_entropy(zb, labels)
    lsm = log_softmax(zb)
    rows = labels != -100
    assert labelled == rows.sum()
    assert loss == pytest.approx(-lsm[rows, labels[rows]].mean(), rel=1e-12)
    numeric = numeric_gradient(lambda z: posttrain.cross_entropy(z, labels)[0], zb)
    np.testing.assert_allclose(grad, numeric, atol=1e-7)
    assert np.all(grad[2] == 0)  # the ignored row
    # Every row ignored: loss 0 and a zero gradient, not NaN.
    loss, grad, labelled = posttrain.cross_entropy(zb, np.full(7, -100))
    assert (loss, labelled) == (0.0, 0) and not grad.any()


def test_value_losses_reject_bad_labels_and_shapes(logits):
    zb, zv, labels = logits
    bad = labels.copy()
    bad[4] = 13
    with pytest.raises(ValueError, match="4"):
        posttrain.ivl_loss(zb, zv, bad)
    with pytest.raises(TypeError, match="labels must be int32 or int64"):
        posttrain.ivl_loss(zb, zv, labels.astype(np.float64))
    with pytest.raises(ValueError, match="labels must be 1-D"):
        posttrain.ivl_loss(zb, zv, labels[:5])
    with pytest.raises(ValueError, match="z_base"):
        posttrain.ivl_loss(zb[:, :12], zv, labels)
    with pytest.raises(TypeError, match="give them one dtype"):
        posttrain.ivl_loss(zb.astype(np.float32), zv, labels)
    nan = zv.copy()
    nan[1, 3] = np.nan
    with pytest.raises(ValueError, match="row 1"):
        posttrain.ivl_loss(zb, nan, labels)


def test_combinations_match_their_formulas():
    rng = np.random.default_rng(9)
    a, b, c = (rng.normal(size=(4, 10)) for _ in range(3))
    np.testing.assert_allclose(posttrain.residual(a, b, alpha=0.5), a + 0.5 * b, rtol=1e-14)
    long_b, long_c = rng.normal(size=(4, 12)), rng.normal(size=(4, 12))
    np.testing.assert_allclose(posttrain.proxy_tuning(a, long_b, long_c, alpha=2.0),
                               a + 2.0 * (long_b[:, :10] - long_c[:, :10]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(posttrain.emulated_fine_tuning(a, b, c, beta=0.7),
                               log_softmax(a) + 0.7 * (log_softmax(b) - log_softmax(c)), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(posttrain.cmc(a, b), a + b, rtol=1e-14)
    np.testing.assert_allclose(posttrain.cmc(a, b, mode="normalization"), log_softmax(a) + log_softmax(b),
                               rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(posttrain.cmc(a, b, mode="basenormalization"), log_softmax(a) + b, rtol=1e-12,
                               atol=1e-13)
    got = posttrain.contrastive_decoding(a, b, alpha=0.2)
    plausible = np.exp(log_softmax(a)) >= 0.2 * np.exp(log_softmax(a)).max(axis=1, keepdims=True)
    want = np.where(plausible, log_softmax(a) - log_softmax(b), -np.inf)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    with pytest.raises(ValueError, match="mode must be"):
        posttrain.cmc(a, b, mode="sum")


def reference_processed(z, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, keep_at_least=1):
    """transformers' warpers in generate's order on a row without ties: the log-probabilities
    renormalised over the survivors, -inf elsewhere."""
    z = np.asarray(z, dtype=np.float64) / temperature
    order = np.argsort(-z, kind="stable")
    keep = len(z)
    if top_k > 0:
        keep = min(max(top_k, keep_at_least), keep)
    p = np.exp(log_softmax(z[order[:keep]]))
    if top_p < 1:
        cut = int(np.searchsorted(np.cumsum(p), top_p - 1e-12) + 1)
        keep = min(max(cut, keep_at_least), keep)
        p = np.exp(log_softmax(z[order[:keep]]))
    if min_p > 0:
        keep = max(int((p >= min_p * p[0]).sum()), min(keep_at_least, keep))
    out = np.full(len(z), -np.inf)
    out[order[:keep]] = log_softmax(z[order[:keep]])
    return out


@pytest.mark.parametrize("options", [dict(), dict(temperature=0.7), dict(top_k=5), dict(top_p=0.8),
                                     dict(min_p=0.1), dict(temperature=1.3, top_k=20, top_p=0.9, min_p=0.05),
                                     dict(top_p=0.01, min_tokens_to_keep=3)])
def test_processed_log_probs_are_transformers_warpers(options):
    rng = np.random.default_rng(3)
    z = rng.normal(0, 2, size=(6, 50))
    got = posttrain.processed_log_probs(z, **options)
    ref_options = dict(options)
    if "min_tokens_to_keep" in ref_options:
        ref_options["keep_at_least"] = ref_options.pop("min_tokens_to_keep")
    for b in range(6):
        np.testing.assert_allclose(got[b], reference_processed(z[b], **ref_options), rtol=1e-11, atol=1e-12)


def test_decode_step_is_seeded_and_samples_the_processed_distribution():
    rng = np.random.default_rng(4)
    z = rng.normal(0, 2, size=(8, 30))
    seeds = np.arange(100, 108, dtype=np.uint64)
    tokens, log_probs = posttrain.decode_step(z, seeds, step=3, top_k=10, top_p=0.9)
    again, _ = posttrain.decode_step(z, seeds.astype(np.int64), step=3, top_k=10, top_p=0.9)
    np.testing.assert_array_equal(tokens, again)
    assert tokens.dtype == np.int64
    processed = posttrain.processed_log_probs(z, top_k=10, top_p=0.9)
    np.testing.assert_allclose(log_probs, processed[np.arange(8), tokens], rtol=1e-12)
    assert np.all(np.isfinite(log_probs))
    others = [posttrain.decode_step(z, seeds, step=s, top_k=10, top_p=0.9)[0] for s in range(4, 12)]
    assert any((o != tokens).any() for o in others)  # another step, other draws
    greedy, lp = posttrain.decode_step(z, greedy=True)
    np.testing.assert_array_equal(greedy, z.argmax(axis=1))
    np.testing.assert_allclose(lp, log_softmax(z)[np.arange(8), greedy], rtol=1e-12)


def test_decode_step_frequencies_follow_the_probabilities():
    z = np.log(np.array([[0.1, 0.2, 0.3, 0.05, 0.35]]))
    rows = 20000
    batch = np.repeat(z, rows, axis=0)
    tokens, _ = posttrain.decode_step(batch, np.arange(rows, dtype=np.uint64), step=0)
    freq = np.bincount(tokens, minlength=5) / rows
    np.testing.assert_allclose(freq, np.exp(z[0]), atol=0.015)
    # top_p = 0.6 keeps 0.35 and 0.3 (0.65 ≥ 0.6), renormalised.
    tokens, _ = posttrain.decode_step(batch, np.arange(rows, dtype=np.uint64), step=1, top_p=0.6)
    freq = np.bincount(tokens, minlength=5) / rows
    np.testing.assert_allclose(freq, [0, 0, 0.3 / 0.65, 0, 0.35 / 0.65], atol=0.015)


def test_decode_step_errors():
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match="seeds is required"):
        posttrain.decode_step(z)
    with pytest.raises(ValueError, match="seeds must be 1-D"):
        posttrain.decode_step(z, np.arange(2, dtype=np.uint64))
    with pytest.raises(TypeError, match="seeds must be uint64 or int64"):
        posttrain.decode_step(z, np.zeros(3))
    with pytest.raises(ValueError, match="temperature"):
        posttrain.decode_step(z, np.arange(3, dtype=np.uint64), temperature=0.0)
    with pytest.raises(ValueError, match="top_p"):
        posttrain.processed_log_probs(z, top_p=1.5)
