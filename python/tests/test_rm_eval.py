# SPDX-License-Identifier: Apache-2.0
"""posttrain's reward-model evaluation against scipy.stats (the correlations, ties included) and
reward-bench's accuracy rule, written out in numpy; grouping by prompt and bad input."""
import itertools

import numpy as np
import pytest
from scipy import stats

import posttrain


@pytest.mark.parametrize("ties", [False, True])
def test_correlations_are_scipys(ties):
    rng = np.random.default_rng(2)
    x = rng.normal(size=500)
    y = x + rng.normal(size=500)
    if ties:  # rounded scores: many ties on both sides
        x, y = np.round(x, 1), np.round(y, 0)
    assert posttrain.pearson(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, rel=1e-12)
    assert posttrain.spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, rel=1e-12)
    assert posttrain.kendall_tau(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, rel=1e-12)
    assert posttrain.kendall_tau(x, y, variant="c") == pytest.approx(
        stats.kendalltau(x, y, variant="c").statistic, rel=1e-12)
    # float32 and strided inputs are read as they are.
    wide = np.zeros(1000, np.float32)
    wide[::2] = x
    assert posttrain.spearman(wide[::2], y) == pytest.approx(stats.spearmanr(x.astype(np.float32), y).statistic,
                                                             rel=1e-12)


def test_correlation_edge_cases():
    assert np.isnan(posttrain.pearson(np.array([1.0]), np.array([2.0])))
    assert np.isnan(posttrain.spearman(np.ones(5), np.arange(5.0)))  # a constant vector
    with pytest.raises(ValueError, match=r"x\[2\] is NaN"):
        posttrain.pearson(np.array([1.0, 2.0, np.nan]), np.arange(3.0))
    with pytest.raises(ValueError, match="3 values but y has 2"):
        posttrain.kendall_tau(np.arange(3.0), np.arange(2.0))
    with pytest.raises(ValueError, match="variant"):
        posttrain.kendall_tau(np.arange(3.0), np.arange(3.0), variant="d")


def test_pairwise_accuracy_and_tie_policies():
    chosen = np.array([1.0, 2.0, 0.5, 3.0, 1.0])
    rejected = np.array([0.0, 2.5, 0.5, 1.0, 1.0])
    zero = posttrain.pairwise_accuracy(chosen, rejected)  # reward-bench: a tie is not a win
    assert (zero["correct"], zero["ties"], zero["pairs"]) == (2, 2, 5)
    assert zero["accuracy"] == pytest.approx(np.mean(chosen > rejected))
    assert posttrain.pairwise_accuracy(chosen, rejected, ties="half")["accuracy"] == pytest.approx(3 / 5)
    assert posttrain.pairwise_accuracy(chosen, rejected, ties="exclude")["accuracy"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="ties"):
        posttrain.pairwise_accuracy(chosen, rejected, ties="drop")


def all_pairs_reference(proxy, gold, group):
    credit = pairs = 0
    for g in dict.fromkeys(group):
        idx = np.flatnonzero(group == g)
        for a, b in itertools.combinations(idx, 2):
            if gold[a] == gold[b]:
                continue
            pairs += 1
            credit += (proxy[a] > proxy[b]) == (gold[a] > gold[b]) and proxy[a] != proxy[b]
    return credit / pairs


def test_all_pairs_accuracy_over_prompts():
    rng = np.random.default_rng(4)
    group = np.repeat([7, 3, 11, 5], [4, 2, 6, 1])  # ids in any order; a prompt of one response
    gold = rng.integers(0, 4, size=group.size).astype(np.float64)  # ties in gold are skipped
    proxy = gold + rng.normal(0, 1.5, size=group.size)
    got = posttrain.all_pairs_accuracy(proxy, gold, group)
    assert got["accuracy"] == pytest.approx(all_pairs_reference(proxy, gold, group), rel=1e-12)
    assert got["pairs"] + got["gold_ties"] == 6 + 1 + 15
    first = posttrain.all_pairs_accuracy(proxy, gold, group, first_k=2)
    assert first["pairs"] + first["gold_ties"] == 3
    with pytest.raises(ValueError, match="prompt 7 reappears at position 13"):
        posttrain.all_pairs_accuracy(np.append(proxy, 0.0), np.append(gold, 1.0), np.append(group, 7))


def test_pairwise_accuracy_bootstrap_interval_is_seeded():
    rng = np.random.default_rng(8)
    chosen, rejected = rng.normal(0.3, 1, size=400), rng.normal(0, 1, size=400)
    a = posttrain.pairwise_accuracy(chosen, rejected, bootstrap=500, seed=1)
    b = posttrain.pairwise_accuracy(chosen, rejected, bootstrap=500, seed=1)
    c = posttrain.pairwise_accuracy(chosen, rejected, bootstrap=500, seed=2)
    assert a == b and a["lower"] != c["lower"]
    assert a["lower"] < a["accuracy"] < a["upper"] and a["valid_resamples"] == 500
    # The normal approximation of a proportion's 95% interval, as a sanity bound on the width.
    p = a["accuracy"]
    assert a["upper"] - a["lower"] == pytest.approx(2 * 1.96 * np.sqrt(p * (1 - p) / 400), rel=0.2)
    assert "lower" not in posttrain.pairwise_accuracy(chosen, rejected)
    with pytest.raises(ValueError, match="bootstrap"):
        posttrain.pairwise_accuracy(chosen, rejected, bootstrap=-1)


def test_best_of_n_agreement_per_prompt():
    group = np.repeat([0, 1, 2], [3, 4, 2])
    proxy = np.array([0.9, 0.1, 0.5, 0.2, 0.8, 0.8, 0.1, 0.3, 0.3])
    gold = np.array([1.0, 0.0, 0.5, 0.0, 1.0, 0.2, 0.0, 0.7, 0.1])
    # prompt 0: the proxy's favourite is gold's best (1); prompt 1: two favourites, one is gold's
    # best (1/2); prompt 2: tied favourites, one is gold's best (1/2).
    got = posttrain.best_of_n_agreement(proxy, gold, group)
    assert got["prompts"] == 3
    assert got["agreement"] == pytest.approx((1 + 0.5 + 0.5) / 3)


def test_subset_accuracy_is_reward_benchs_report():
    rng = np.random.default_rng(9)
    n = 300
    chosen = np.round(rng.normal(size=n) + 0.3, 1)  # rounded: some ties
    rejected = np.round(rng.normal(size=n), 1)
    subset = [["chat", "chat-hard", "safety", "reasoning"][i % 4 if i % 7 else 0] for i in range(n)]
    report = posttrain.subset_accuracy(chosen, rejected, subset, bootstrap=200, seed=3)
    names = list(dict.fromkeys(subset))
    assert list(report["subsets"]) == names  # in order of first appearance
    means = []
    for name in names:
        mask = np.array([s == name for s in subset])
        got = report["subsets"][name]
        # reward-bench's rule: chosen scored strictly higher; a tie is not a win.
        assert got["accuracy"] == pytest.approx(np.mean(chosen[mask] > rejected[mask]), rel=1e-12)
        assert got["pairs"] == mask.sum()
        # The interval is pairwise_accuracy's on the subset's pairs, with the same seed.
        alone = posttrain.pairwise_accuracy(chosen[mask], rejected[mask], bootstrap=200, seed=3)
        assert (got["lower"], got["upper"]) == (alone["lower"], alone["upper"])
        means.append(got["accuracy"])
    assert report["mean_of_subsets"] == pytest.approx(np.mean(means), rel=1e-12)
    assert report["accuracy"]["accuracy"] == pytest.approx(np.mean(chosen > rejected), rel=1e-12)
    assert report["accuracy"]["lower"] <= report["accuracy"]["accuracy"] <= report["accuracy"]["upper"]
    # Without subsets: one group, "all".
    plain = posttrain.subset_accuracy(chosen, rejected, ties="half")
    assert list(plain["subsets"]) == ["all"]
    assert plain["mean_of_subsets"] == plain["accuracy"]["accuracy"] == pytest.approx(
        posttrain.pairwise_accuracy(chosen, rejected, ties="half")["accuracy"])
    with pytest.raises(ValueError, match="one subset per pair"):
        posttrain.subset_accuracy(chosen, rejected, subset[:-1])
    with pytest.raises(ValueError, match="one score each per pair"):
        posttrain.subset_accuracy(chosen, rejected[:-1])


def best_of_n_brute_force(proxy, gold, group, n):
    """Every N-subset of each prompt's responses: the gold score of the proxy's pick (tied
    favourites share it), averaged over subsets, then over prompts."""
    per_prompt = []
    for g in dict.fromkeys(group):
        idx = np.flatnonzero(group == g)
        values = []
        for subset in itertools.combinations(idx, n):
            sub = np.array(subset)
            top = proxy[sub].max()
            values.append(gold[sub][proxy[sub] == top].mean())
        per_prompt.append(np.mean(values))
    return float(np.mean(per_prompt))


def test_best_of_n_curve_against_every_subset():
    rng = np.random.default_rng(21)
    group = np.repeat([0, 1, 2], [6, 8, 7])
    gold = rng.normal(size=group.size)
    proxy = np.round(gold + rng.normal(scale=0.8, size=group.size), 0)  # rounded: ties among favourites
    curve = posttrain.best_of_n_curve(proxy, gold, group, n=[1, 2, 3, 5])
    assert curve["n"] == [1, 2, 3, 5]
    for n, value, gain in zip(curve["n"], curve["gold"], curve["gain"]):
        assert value == pytest.approx(best_of_n_brute_force(proxy, gold, group, n), rel=1e-12)
        if n == 1:
            assert np.isnan(gain)  # nothing to improve on best-of-1
        else:
            base = best_of_n_brute_force(proxy, gold, group, 1)
            oracle = best_of_n_brute_force(gold, gold, group, n)
            assert gain == pytest.approx((value - base) / (oracle - base), rel=1e-10)
    with pytest.raises(ValueError, match="fewer than N = 7"):
        posttrain.best_of_n_curve(proxy, gold, group, n=[7])
