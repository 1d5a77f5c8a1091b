# SPDX-License-Identifier: Apache-2.0
"""posttrain's per-token PPO rewards: shaped_rewards against OpenRLHF's compute_reward written out
in numpy, and trace_rewards (RLFH) on a hand-traced response, with offsets as a Hugging Face
tokenizer gives them, in code points and in bytes, and its bad input."""
import math

import numpy as np
import pytest

import posttrain


def openrlhf_compute_reward(r, kl_coef, kl, mask, clip=None):
    """OpenRLHF's compute_reward: -kl_coef * kl, plus the clipped sequence reward at each row's
    last valid position (the EOS index), zero outside the mask."""
    if clip is not None:
        r = np.clip(r, -clip, clip)
    reward = -kl_coef * kl
    last = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
    reward[np.arange(len(r)), last] += r
    return reward * mask


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shaped_rewards_are_openrlhfs(dtype):
    rng = np.random.default_rng(5)
    kl = rng.normal(size=(6, 20)).astype(dtype)
    mask = np.ones((6, 20), bool)
    for b, length in enumerate([20, 13, 7, 1, 18, 5]):
        mask[b, length:] = False
    scores = rng.normal(scale=3, size=6)
    got = posttrain.shaped_rewards(kl, scores, mask, kl_coef=0.1, clip=2.0)
    want = openrlhf_compute_reward(scores, 0.1, kl.astype(np.float64), mask, clip=2.0)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-6)
    # With token-level scores, the clip applies to the score at each position.
    token = rng.normal(size=(6, 20)).astype(dtype)
    got = posttrain.shaped_rewards(kl, scores, mask, token_scores=token, kl_coef=0.1, clip=2.5)
    score = token.astype(np.float64)
    last = 19 - np.argmax(mask[:, ::-1], axis=1)
    score[np.arange(6), last] += scores
    want = (np.clip(score, -2.5, 2.5) - 0.1 * kl) * mask
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-6)
    with pytest.raises(ValueError, match="one score per row"):
        posttrain.shaped_rewards(kl, scores[:5], mask)
    with pytest.raises(TypeError, match="one dtype"):
        posttrain.shaped_rewards(kl, scores, mask, token_scores=token.astype(np.float64 if dtype == np.float32
                                                                              else np.float32))


def word_offsets(text):
    """[begin, end) of each whitespace-separated word: what a word-level tokenizer's
    return_offsets_mapping gives (offsets into the Python str, so in code points)."""
    spans, start = [], None
    for i, ch in enumerate(text + " "):
        if ch != " " and start is None:
            start = i
        elif ch == " " and start is not None:
            spans.append((start, i))
            start = None
    return spans


FEEDBACK = [
    {"text": "The sky is blue.", "statements": [{"text": "The sky is blue", "truth": "correct", "helpfulness": 5}]},
    {"text": "Grass is red.", "statements": [{"text": "Grass is red", "truth": "wrong", "helpfulness": 3}]},
]


def test_trace_rewards_by_hand():
    response = "The sky is blue. Grass is red."
    offsets = word_offsets(response)  # The sky is blue. Grass is red.
    rewards, info = posttrain.trace_rewards(response, offsets, FEEDBACK)
    # r_T = w_T · V[truth] · |I[helpfulness]| on the token of the statement's last character;
    # r_I = ln(max(-0.9, Σ I) + 1) on the token of the sentence's last character.
    want = np.zeros(7)
    want[3] = 1.0 * 1.3 + math.log(1.3 + 1)   # "blue."
    want[6] = -2.0 * 1.1 + math.log(1.1 + 1)  # "red."
    np.testing.assert_allclose(rewards, want, rtol=1e-12)
    assert info == {"unmatched_statements": 0, "unmatched_sentences": 0, "filtered_sentences": 0}
    # Everything on the last token; and -1 there when the response was cut before EOS.
    whole, _ = posttrain.trace_rewards(response, offsets, FEEDBACK, granularity="response")
    assert whole[:-1].tolist() == [0.0] * 6 and whole[-1] == pytest.approx(want.sum(), rel=1e-12)
    cut, _ = posttrain.trace_rewards(response, np.array(offsets), FEEDBACK, ends_with_eos=False)
    np.testing.assert_allclose(cut, want + np.eye(7)[6] * -1.0, rtol=1e-12)
    # Other maps and weights.
    scaled, _ = posttrain.trace_rewards(response, offsets, FEEDBACK, truth_values={"correct": 2.0, "wrong": -4.0},
                                        truth_weight=0.5, informativeness_weight=0.0)
    np.testing.assert_allclose(scaled, [0, 0, 0, 0.5 * 2.0 * 1.3, 0, 0, 0.5 * -4.0 * 1.1], rtol=1e-12)


def test_trace_rewards_offsets_in_bytes_and_unmatched_feedback():
    response = "Über den Fluß. Es regnet."
    # Token spans in UTF-8 bytes (Ü and ß take two bytes each).
    data = response.encode()
    spans, start = [], None
    for i, b in enumerate(data + b" "):
        if b != 0x20 and start is None:
            start = i
        elif b == 0x20 and start is not None:
            spans.append((start, i))
            start = None
    feedback = [
        {"text": "Über den Fluß.", "statements": [{"text": "Über den Fluß", "truth": "hedged_correct",
                                                   "helpfulness": 4}]},
        {"text": "Completely different words here?", "statements": []},
        {"text": "Nothing like it at all", "statements": [{"text": "zzz", "truth": "vague", "helpfulness": 2}]},
    ]
    in_bytes, info = posttrain.trace_rewards(response, spans, feedback, offset_unit="bytes")
    in_points, _ = posttrain.trace_rewards(response, word_offsets(response), feedback)
    np.testing.assert_array_equal(in_bytes, in_points)
    assert in_bytes[2] == pytest.approx(0.5 * 1.2 + math.log(1.2 + 1), rel=1e-12)  # "Fluß."
    assert info["filtered_sentences"] == 1   # the question
    assert info["unmatched_sentences"] == 1  # absent from the response
    assert info["unmatched_statements"] == 1


def test_trace_rewards_bad_input():
    response = "The sky is blue. Grass is red."
    offsets = word_offsets(response)
    with pytest.raises(ValueError, match="granularity"):
        posttrain.trace_rewards(response, offsets, FEEDBACK, granularity="word")
    with pytest.raises(ValueError, match=r"sentences\[0\] has no 'statements'"):
        posttrain.trace_rewards(response, offsets, [{"text": "The sky is blue."}])
    with pytest.raises(TypeError, match=r"sentences\[0\]\['statements'\]\[0\]\['helpfulness'\] has the wrong type"):
        posttrain.trace_rewards(response, offsets, [{"text": "The sky is blue.", "statements": [
            {"text": "sky", "truth": "correct", "helpfulness": "high"}]}])
    with pytest.raises(ValueError, match="truth"):  # a label outside the map names itself
        posttrain.trace_rewards(response, offsets, [{"text": "The sky is blue.", "statements": [
            {"text": "sky", "truth": "plausible", "helpfulness": 5}]}])
    with pytest.raises(ValueError, match="min_sentence_match"):
        posttrain.trace_rewards(response, offsets, FEEDBACK, min_sentence_match=1.5)
