# SPDX-License-Identifier: Apache-2.0
"""posttrain's simplify module: BLEU against sacrebleu in the same process (sentence and corpus,
every smoothing method, lowercase), readability against its formulas and hand counts, and the
Trans-SS pair rule case by case, in bulk and on bad input."""
import numpy as np
import pytest
import sacrebleu

import posttrain

HYPOTHESES = [
    "The cat sat on the mat.",
    "It's 3.5 km to the station, isn't it?",
    "A quick brown fox jumps over the lazy dog!",
    "Prices rose by 12% in 2023 -- analysts said (again).",
    "hello",
    "The committee will meet on Monday; it has not decided yet.",
    "",
    "Das ist ein Haus mit \"Anführungszeichen\" & Symbolen <tag>.",
]
REFERENCES = [
    "The cat is sitting on the mat.",
    "It is 3.5 km to the station, is it not?",
    "The quick brown fox jumped over a lazy dog.",
    "Prices rose 12% in 2023, analysts said again.",
    "hello there",
    "On Monday the committee meets; nothing is decided yet.",
    "Something.",
    "Das ist ein Haus mit \"Anführungszeichen\" und Symbolen <tag>.",
]


@pytest.mark.parametrize("lowercase", [False, True])
@pytest.mark.parametrize("method", ["exp", "floor", "add-k", "none"])
def test_sentence_bleu_is_sacrebleus(method, lowercase):
    for hyp, ref in zip(HYPOTHESES, REFERENCES):
        ours = posttrain.sentence_bleu(hyp.upper() if lowercase else hyp, ref, smooth_method=method,
                                       lowercase=lowercase)
        theirs = sacrebleu.sentence_bleu(hyp.upper() if lowercase else hyp, [ref], smooth_method=method,
                                         lowercase=lowercase)
        assert ours["score"] == pytest.approx(theirs.score, rel=1e-9, abs=1e-9), (hyp, ref)
        assert ours["bp"] == pytest.approx(theirs.bp, rel=1e-12)
        assert (ours["sys_len"], ours["ref_len"]) == (theirs.sys_len, theirs.ref_len)
        assert ours["counts"] == list(map(float, theirs.counts))
        assert ours["totals"] == list(map(float, theirs.totals))


def test_corpus_bleu_is_sacrebleus():
    for method in ["exp", "floor", "none"]:
        ours = posttrain.corpus_bleu(HYPOTHESES, REFERENCES, smooth_method=method)
        theirs = sacrebleu.corpus_bleu(HYPOTHESES, [REFERENCES], smooth_method=method)
        assert ours["score"] == pytest.approx(theirs.score, rel=1e-9)
        assert ours["precisions"] == pytest.approx(theirs.precisions, rel=1e-9)
    floor = posttrain.corpus_bleu(HYPOTHESES, REFERENCES, smooth_method="floor", smooth_value=0.3)
    assert floor["score"] == pytest.approx(
        sacrebleu.corpus_bleu(HYPOTHESES, [REFERENCES], smooth_method="floor", smooth_value=0.3).score, rel=1e-9)


def test_readability_is_the_formula_of_the_counts():
    c = posttrain.text_counts("The cat sat. It was happy.")
    assert (c["words"], c["sentences"], c["syllables"], c["invalid_bytes"]) == (6, 2, 7, 0)
    texts = ["The cat sat. It was happy.", "Readability formulas estimate difficulty from counts.", "", "Yes."]
    counts = [posttrain.text_counts(t) for t in texts]

    def per(c):
        return c["words"] / max(c["sentences"], 1), c["syllables"] / max(c["words"], 1)

    fre = posttrain.readability(texts)
    fkgl = posttrain.readability(texts, score="fkgl")
    assert fre.dtype == np.float64 and fre.shape == (4,)
    for k, c in enumerate(counts):
        w, s = per(c)
        assert fre[k] == pytest.approx(206.835 - 1.015 * w - 84.6 * s, rel=1e-12)
        assert fkgl[k] == pytest.approx(0.39 * w + 11.8 * s - 15.59, rel=1e-12)
    # The other languages' Flesch constants (Kandel-Moles, Fernández Huerta, Amstad).
    w, s = per(posttrain.text_counts("Le chat est assis sur le tapis.", lang="fr"))
    assert posttrain.readability(["Le chat est assis sur le tapis."], lang="fr")[0] == pytest.approx(
        207 - 1.015 * w - 73.6 * s, rel=1e-12)
    w, s = per(posttrain.text_counts("Das Haus ist groß.", lang="de"))
    assert posttrain.readability(["Das Haus ist groß."], lang="de")[0] == pytest.approx(180 - w - 58.5 * s, rel=1e-12)
    # Many texts at once (the scoring runs in parallel) give the one-at-a-time values.
    many = [f"Sentence number {i} is here. Another follows it, quite a bit longer than the first." * (i % 3 + 1)
            for i in range(500)]
    assert np.array_equal(posttrain.readability(many), [posttrain.readability([t])[0] for t in many])


def test_judge_pair_rules_in_order():
    simple = "The cat sat on the mat."
    hard = "The domesticated feline positioned itself upon the decorative floor covering."
    assert posttrain.judge_pair(simple, simple.upper())["verdict"] == "identical"
    assert posttrain.judge_pair("Too short.", "Also short.")["verdict"] == "too_short"
    assert posttrain.judge_pair(simple + " Yes.", "The <unk> sat on the mat. Yes.")["verdict"] == "unknown_token"
    assert posttrain.judge_pair(simple, hard)["verdict"] == "low_bleu"
    assert posttrain.judge_pair("The cat sat on the red mat.", "The cat sat on the mat.")["verdict"] == \
        "small_difference"
    reference = "The cat sat on the mat near the door all day."
    translation = "The cat positioned itself on the mat near the entrance all day."
    d = posttrain.judge_pair(reference, translation, min_bleu=5)
    assert d["verdict"] == "kept" and d["kept"]
    assert d["reference_is_simple"] == (d["reference_score"] > d["translation_score"])
    assert abs(d["reference_score"] - d["translation_score"]) > 10
    # The BLEU of the rule: the translation against the reference, lowercased, sacrebleu's defaults.
    assert d["bleu"] == pytest.approx(sacrebleu.sentence_bleu(translation, [reference], lowercase=True).score,
                                      rel=1e-9)
    assert d["reference_score"] == pytest.approx(posttrain.readability([reference])[0], rel=1e-12)
    # FKGL: the lower grade is the simple side.
    g = posttrain.judge_pair(reference, translation, min_bleu=5, min_difference=1, score="fkgl")
    assert g["reference_is_simple"] == (g["reference_score"] < g["translation_score"])


def test_judge_pairs_equals_judge_pair():
    rng = np.random.default_rng(4)
    words = "the a cat dog sat ran on under mat house quickly extraordinarily complicated simple".split()
    refs = [" ".join(rng.choice(words, size=rng.integers(2, 15))) + "." for _ in range(1000)]
    trs = [" ".join(rng.choice(words, size=rng.integers(2, 15))) + "." for _ in range(1000)]
    trs[:100] = refs[:100]  # some identical pairs
    bulk = posttrain.judge_pairs(refs, trs, min_bleu=0)
    assert len(bulk["verdict"]) == 1000 and bulk["bleu"].dtype == np.float64
    assert bulk["reference_is_simple"].dtype == np.bool_
    for i in range(0, 1000, 7):
        one = posttrain.judge_pair(refs[i], trs[i], min_bleu=0)
        assert bulk["verdict"][i] == one["verdict"]
        assert bulk["bleu"][i] == one["bleu"]
        assert bulk["reference_score"][i] == one["reference_score"]
        assert bulk["reference_is_simple"][i] == one["reference_is_simple"]
    assert set(bulk["verdict"]) >= {"identical", "kept"}


def test_bad_input():
    with pytest.raises(ValueError, match="lang"):
        posttrain.readability(["x"], lang="xx")
    with pytest.raises(ValueError, match="score"):
        posttrain.readability(["x"], score="smog")
    with pytest.raises(ValueError, match="smooth_method"):
        posttrain.sentence_bleu("a", "a", smooth_method="add_k")
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        posttrain.corpus_bleu(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="one translation per reference"):
        posttrain.judge_pairs(["a"], [])
    with pytest.raises(ValueError, match="min_words"):
        posttrain.judge_pair("a", "b", min_words=-1)
    with pytest.raises(TypeError):
        posttrain.readability("not a list of strings but one string")  # a str is not taken as a list
