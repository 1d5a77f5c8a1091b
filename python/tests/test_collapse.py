# SPDX-License-Identifier: Apache-2.0
"""posttrain's neural-collapse metrics against numpy (d×d covariances and numpy.linalg.pinv, as
Papyan's and Li et al.'s code compute them), and the streaming ClassStatistics: batches in any
order, merged shards and a pickle round trip give the same metrics."""
import pickle

import numpy as np
import pytest

import posttrain


@pytest.fixture
def features():
    rng = np.random.default_rng(6)
    k, d, n = 4, 6, 400
    centres = 3 * rng.normal(size=(k, d))
    labels = rng.integers(0, k, size=n)
    h = centres[labels] + rng.normal(size=(n, d))
    return h, labels, k


def reference(h, labels, k, weight=None):
    n, d = h.shape
    means = np.stack([h[labels == c].mean(axis=0) for c in range(k)])
    mu_g = h.mean(axis=0)
    centred = h - means[labels]
    sigma_w = centred.T @ centred / n
    m = means - mu_g
    sigma_b = m.T @ m / k
    nc1 = np.trace(sigma_w @ np.linalg.pinv(sigma_b, rcond=max(d, k) * np.finfo(float).eps)) / k
    sq = ((h[:, None, :] - means[None]) ** 2).sum(axis=2)
    out = {"nc1": nc1, "within_trace": np.trace(sigma_w), "between_trace": np.trace(sigma_b),
           "ncc_accuracy": (sq.argmin(axis=1) == labels).mean()}
    norms = np.linalg.norm(m, axis=1)
    out["equinorm"] = norms.std(ddof=1) / norms.mean()
    if weight is not None:
        out["ncc_mismatch"] = (sq.argmin(axis=1) != (h @ weight.T).argmax(axis=1)).mean()
    return out


def test_nc_metrics_match_numpy(features):
    h, labels, k = features
    weight = np.random.default_rng(1).normal(size=(k, h.shape[1]))
    got = posttrain.nc_metrics(h, labels, k, weight=weight)
    want = reference(h, labels, k, weight)
    for key in ("nc1", "within_trace", "between_trace"):
        assert got[key] == pytest.approx(want[key], rel=1e-9), key
    assert got["nc4_ncc_accuracy"] == want["ncc_accuracy"]
    assert got["nc4_ncc_mismatch"] == want["ncc_mismatch"]
    assert got["nc2_means"]["equinorm"] == pytest.approx(want["equinorm"], rel=1e-9)
    assert got["nc2_classifier"] is not None and got["nc3_self_duality"] is not None
    assert (got["samples"], got["classes"], got["dim"]) == (400, 4, 6)
    # float32, strided, in small batches: the same metrics to float32's accuracy.
    wide = np.zeros((400, 12), np.float32)
    wide[:, ::2] = h
    f32 = posttrain.nc_metrics(wide[:, ::2], labels.astype(np.int32), k, batch_rows=37)
    assert f32["nc1"] == pytest.approx(want["nc1"], rel=1e-4)
    assert f32["nc2_classifier"] is None and f32["nc4_ncc_mismatch"] is None


def test_class_statistics_stream_merge_and_pickle(features):
    h, labels, k = features
    whole = posttrain.ClassStatistics(k, h.shape[1], route="gram")
    whole.add(h, labels)
    shards = [posttrain.ClassStatistics(k, h.shape[1], route="gram") for _ in range(3)]
    for s, rows in zip(shards, np.array_split(np.random.default_rng(0).permutation(400), 3)):
        s.add(h[rows], labels[rows])
    shards[0].merge(shards[1])
    shards[0].merge(shards[2])
    a, b = whole.metrics(), shards[0].metrics()
    assert b["nc1"] == pytest.approx(a["nc1"], rel=1e-12)
    assert a["nc1"] == pytest.approx(reference(h, labels, k)["nc1"], rel=1e-9)
    assert a["nc4_ncc_accuracy"] is None  # NC4 needs the second pass
    np.testing.assert_array_equal(whole.counts(), np.bincount(labels, minlength=k))
    np.testing.assert_allclose(whole.class_means(), np.stack([h[labels == c].mean(axis=0) for c in range(k)]),
                               rtol=1e-12)
    copy = pickle.loads(pickle.dumps(whole))
    assert (copy.classes, copy.dim, copy.samples, copy.route) == (k, 6, 400, "gram")
    assert copy.metrics() == whole.metrics()  # hexadecimal floats: exact


def test_collapse_errors(features):
    h, labels, k = features
    bad = labels.copy()
    bad[17] = k
    with pytest.raises(ValueError, match="17"):
        posttrain.nc_metrics(h, bad, k)
    with pytest.raises(ValueError, match="mean must be"):
        posttrain.nc_metrics(h, labels, k, mean="global")
    with pytest.raises(ValueError, match="bias without weight"):
        posttrain.nc_metrics(h, labels, k, bias=np.zeros(k))
    with pytest.raises(ValueError, match="2"):
        posttrain.ClassStatistics(1, 6)
    projected = posttrain.ClassStatistics(k, 6, route="projected")
    projected.add(h, labels)
    with pytest.raises(ValueError, match="second pass"):
        projected.metrics()
    empty = posttrain.ClassStatistics(k, 6)
    with pytest.raises(ValueError, match="class"):
        empty.class_means()


@pytest.mark.parametrize("route", ["gram", "projected"])
def test_second_pass_streams_merges_and_pickles_to_nc_metrics(features, route):
    """Both passes by hand, over shards (each pass merged in its own order), give nc_metrics'
    dict, NC4 and the classifier's mismatch included; a pickled pass merges like the original."""
    h, labels, k = features
    weight = np.random.default_rng(2).normal(size=(k, h.shape[1]))
    bias = np.arange(k, dtype=float)
    want = posttrain.nc_metrics(h, labels, k, weight=weight, bias=bias, route=route)
    rows = np.array_split(np.random.default_rng(3).permutation(len(h)), 3)
    stats = posttrain.ClassStatistics(k, h.shape[1], route=route)
    for r in rows:
        stats.add(h[r], labels[r])
    shards = [posttrain.SecondPassStatistics(stats, weight, bias, dtype="float64") for _ in rows]
    for s, r in zip(shards, rows):
        s.add(h[r], labels[r])
    assert len({s.fingerprint for s in shards}) == 1
    merged = pickle.loads(pickle.dumps(shards[2]))
    assert merged.samples == len(rows[2]) and merged.dtype == "float64"
    merged.merge(shards[0])
    merged.merge(pickle.loads(pickle.dumps(shards[1])))
    got = merged.metrics()
    assert got["samples"] == 400
    assert got["nc4_ncc_accuracy"] == want["nc4_ncc_accuracy"]
    assert got["nc4_ncc_mismatch"] == want["nc4_ncc_mismatch"]
    nearest = ((h[:, None, :] - stats.class_means()[None]) ** 2).sum(axis=2).argmin(axis=1)
    assert got["nc4_ncc_mismatch"] == (nearest != (h @ weight.T + bias).argmax(axis=1)).mean()
    assert got["nc1"] == pytest.approx(want["nc1"], rel=1e-11)
    assert got["nc3_self_duality"] == pytest.approx(want["nc3_self_duality"], rel=1e-11)
    assert got["nc4_ncc_accuracy"] == reference(h, labels, k)["ncc_accuracy"]


def test_second_pass_errors(features):
    h, labels, k = features
    stats = posttrain.ClassStatistics(k, h.shape[1], route="projected")
    stats.add(h, labels)
    f32 = posttrain.SecondPassStatistics(stats)
    assert f32.dtype == "float32"
    with pytest.raises(TypeError, match="built for float32"):
        f32.add(h, labels)
    f32.add(h.astype(np.float32), labels)
    with pytest.raises(ValueError, match="float64 features into one of float32"):
        f32.merge(posttrain.SecondPassStatistics(stats, dtype="float64"))
    other = posttrain.ClassStatistics(k, h.shape[1], route="projected")
    other.add(h[:200], labels[:200])
    with pytest.raises(ValueError, match="same"):
        f32.merge(posttrain.SecondPassStatistics(other))
    with pytest.raises(ValueError, match="dtype must be"):
        posttrain.SecondPassStatistics(stats, dtype="float16")
    with pytest.raises(ValueError, match="classifier"):
        posttrain.SecondPassStatistics(stats, weight=np.zeros((k + 1, h.shape[1])))
    with pytest.raises(ValueError, match="17"):
        bad = labels.copy()
        bad[17] = -1
        f32.add(h.astype(np.float32), bad)
