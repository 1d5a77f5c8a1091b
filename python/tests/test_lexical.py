# SPDX-License-Identifier: Apache-2.0
"""Lexical simplification from Python: LexicalSimplifier against the pipeline written out in
Python (select the known candidates, rank by the sum of competition ranks, ties in generator
order, choose the first), with a thesaurus file, in-memory word vectors (neighbours against
numpy's cosines) and both together; the TSAR-2022 reader and metrics; the real MyThes thesaurus;
and the errors."""
import numpy as np
import pytest

import posttrain
from peers import require_file

THESAURUS = """UTF-8
commence|2
(verb)|begin|start|initiate|commence|unheardofword
(verb)|get going|start
difficult|1
(adj)|hard|tough|arduous
"""


@pytest.fixture
def thesaurus(tmp_path):
    path = tmp_path / "th.dat"
    path.write_text(THESAURUS, encoding="utf-8")
    return str(path)


def competition_ranks(values, larger_is_better):
    return [1 + sum((w > v) if larger_is_better else (w < v) for w in values) for v in values]


def reference_pipeline(word, generated, frequency, features, only_if_more_frequent=False, cosine=None):
    """The pipeline as docs/simplify.md defines it, in Python."""
    selected, seen = [], {word}
    for c in generated:
        if frequency.get(c.lower(), 0) > 0 and c not in seen:
            seen.add(c)
            selected.append(c)
    if len(selected) < 2:
        ranked = selected
    else:
        columns = {"frequency": ([frequency[c.lower()] for c in selected], True),
                   "order": (list(range(len(selected))), False),
                   "length": ([abs(len(c) - len(word)) for c in selected], False)}
        if cosine is not None:
            columns["cosine"] = ([cosine(c) for c in selected], True)
        sums = [0] * len(selected)
        for name in features:
            values, larger = columns[name]
            sums = [s + r for s, r in zip(sums, competition_ranks(values, larger))]
        ranked = [selected[i] for i in sorted(range(len(selected)), key=lambda i: sums[i])]
    choice = word
    if ranked and (not only_if_more_frequent or frequency[ranked[0].lower()] > frequency.get(word, 0)):
        choice = ranked[0]
    return selected, ranked, choice


def test_thesaurus_pipeline_matches_its_definition(thesaurus):
    frequency = {"begin": 500, "start": 900, "initiate": 5, "commence": 10, "get going": 40, "hard": 300,
                 "tough": 300, "arduous": 2, "difficult": 50}
    for features in (["frequency", "order"], ["frequency"], ["order", "length"], ["frequency", "length", "order"]):
        s = posttrain.LexicalSimplifier("en", frequencies=frequency, thesaurus=thesaurus, features=features)
        assert s.generators == ["thesaurus"] and s.features == features
        got = s.run([("They will commence work.", "commence"), {"sentence": "A difficult day.", "word": "difficult"}])
        assert got[0]["generated"] == ["begin", "start", "initiate", "unheardofword", "get going"]
        for result, word in zip(got, ["commence", "difficult"]):
            selected, ranked, choice = reference_pipeline(word, result["generated"], frequency, features)
            assert (result["selected"], result["ranked"], result["choice"]) == (selected, ranked, choice), features
        assert got[0]["features"]["order"]["ranks"] == [1, 2, 3, 4] if "order" in features else True
    # tough and hard tie on frequency and differ in order: the rank sum keeps the thesaurus' order.
    s = posttrain.LexicalSimplifier("en", frequencies=frequency, thesaurus=thesaurus)
    assert s.run([("A difficult day.", "difficult")])[0]["ranked"][:2] == ["hard", "tough"]


def test_only_if_more_frequent_keeps_a_frequent_word(thesaurus):
    frequency = {"difficult": 1000, "hard": 300, "tough": 200}
    s = posttrain.LexicalSimplifier("en", frequencies=frequency, thesaurus=thesaurus, only_if_more_frequent=True)
    result = s.run([("A difficult day.", "difficult")])[0]
    assert result["ranked"] == ["hard", "tough"] and result["choice"] == "difficult"
    frequency["hard"] = 5000
    s = posttrain.LexicalSimplifier("en", frequencies=frequency, thesaurus=thesaurus, only_if_more_frequent=True)
    assert s.run([("A difficult day.", "difficult")])[0]["choice"] == "hard"


def test_embedding_neighbours_and_the_cosine_feature(thesaurus):
    rng = np.random.default_rng(0)
    words = ["difficult", "hard", "tough", "easy", "arduous", "banana", "complex"]
    table = rng.normal(size=(len(words), 16)).astype(np.float32)
    table[1] = table[0] + 0.2 * table[1]       # hard: close to difficult
    table[6] = table[0] + 0.5 * table[6]       # complex: less close
    table[2] = table[0] + 0.9 * table[2]       # tough: further still
    frequency = {w: 100 - 10 * i for i, w in enumerate(words)}
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)
    cos = dict(zip(words, unit @ unit[0]))
    s = posttrain.LexicalSimplifier("en", frequencies=frequency, vectors=(words, table), neighbours=3, min_cosine=0.3)
    assert s.generators == ["embedding"] and s.features == ["frequency", "order", "cosine"]
    result = s.run([("A difficult day.", "difficult")])[0]
    neighbours = [w for w in sorted(words[1:], key=lambda w: -cos[w])[:3] if cos[w] >= 0.3]
    assert result["generated"] == neighbours
    selected, ranked, choice = reference_pipeline("difficult", result["generated"], frequency,
                                                  ["frequency", "order", "cosine"], cosine=lambda c: cos[c])
    assert (result["ranked"], result["choice"]) == (ranked, choice)
    np.testing.assert_allclose(result["features"]["cosine"]["values"], [cos[c] for c in selected], rtol=1e-5)
    # Both generators: 'first' uses the thesaurus where it has the word, 'merge' appends the neighbours.
    first = posttrain.LexicalSimplifier("en", frequencies=frequency, thesaurus=thesaurus, vectors=(words, table),
                                        neighbours=3, min_cosine=0.3)
    merged = posttrain.LexicalSimplifier("en", frequencies=frequency, thesaurus=thesaurus, vectors=(words, table),
                                         neighbours=3, min_cosine=0.3, hybrid="merge")
    assert first.run([("x", "difficult")])[0]["generated"] == ["hard", "tough", "arduous"]
    assert merged.run([("x", "difficult")])[0]["generated"] == ["hard", "tough", "arduous"] + [
        w for w in neighbours if w not in ("hard", "tough", "arduous")]
    assert first.run([("x", "banana")])[0]["generated"] == [
        w for w in sorted([w for w in words if w != "banana"], key=lambda w: -(unit[words.index(w)] @ unit[5]))[:3]
        if unit[words.index(w)] @ unit[5] >= 0.3]


def test_tsar_reader_and_metrics(tmp_path):
    path = tmp_path / "trial.tsv"
    path.write_text("They will commence work.\tcommence\tbegin\tstart\tbegin\n"
                    "A difficult day.\tdifficult\thard\n", encoding="utf-8")
    instances = posttrain.read_lexical_dataset(str(path))
    assert [x["word"] for x in instances] == ["commence", "difficult"]
    assert instances[0]["gold"] == ["begin", "start", "begin"] and instances[0]["offset"] == 10
    assert instances[1]["line"] == 2
    metrics = posttrain.tsar_metrics([x["word"] for x in instances], [["start", "begin"], ["tough"]],
                                     [x["gold"] for x in instances], ks=[1, 2])
    # Instance 1: the first prediction (start) is gold but not the top gold (begin, twice); in
    # the top 2 it is. Instance 2: no prediction is gold.
    assert metrics[0] == {"k": 1, "acc_at_1": 0.5, "acc_at_k_top1": 0.0, "potential_at_k": 0.5, "map_at_k": 0.5}
    assert metrics[1]["acc_at_k_top1"] == 0.5 and metrics[1]["potential_at_k"] == 0.5
    lexical = posttrain.lexical_metrics(["commence", "difficult"], [["begin", "x"], ["tough"]], ["begin", "difficult"],
                                        [x["gold"] for x in instances])
    assert lexical["generation"]["potential"] == 0.5 and lexical["generation"]["precision"] == pytest.approx(1 / 3)
    assert lexical["pipeline"] == {"precision": 1.0, "accuracy": 0.5, "changed": 0.5}
    bad = tmp_path / "bad.tsv"
    bad.write_text("A sentence.\tword\n\tempty\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.tsv:2:1"):
        posttrain.read_lexical_dataset(str(bad))


def test_the_real_thesaurus():
    path = require_file("/usr/share/mythes/th_en_US_v2.dat", "mythes-en-us")
    s = posttrain.LexicalSimplifier("en", frequencies={"hard": 100, "unmanageable": 1, "difficult": 10}, thesaurus=path)
    result = s.run([("It was a difficult task.", "difficult")])[0]
    assert "hard" in result["generated"] and result["choice"] == "hard"


def test_lexical_errors(thesaurus, tmp_path):
    frequency = {"begin": 1}
    with pytest.raises(ValueError, match="lang must be"):
        posttrain.LexicalSimplifier("fr", frequencies=frequency, thesaurus=thesaurus)
    with pytest.raises(ValueError, match="no generator"):
        posttrain.LexicalSimplifier("en", frequencies=frequency)
    with pytest.raises(ValueError, match="needs frequencies"):
        posttrain.LexicalSimplifier("en", thesaurus=thesaurus)
    with pytest.raises(ValueError, match="needs dictionary"):
        posttrain.LexicalSimplifier("zh", cilin=thesaurus)
    with pytest.raises(ValueError, match="unknown feature 'fame'"):
        posttrain.LexicalSimplifier("en", frequencies=frequency, thesaurus=thesaurus, features=["fame"])
    with pytest.raises(ValueError, match="cosine feature needs vectors"):
        posttrain.LexicalSimplifier("en", frequencies=frequency, thesaurus=thesaurus, features=["cosine"])
    with pytest.raises(ValueError, match="frequencies\\['begin'\\]"):
        posttrain.LexicalSimplifier("en", frequencies={"begin": -1}, thesaurus=thesaurus)
    with pytest.raises(ValueError, match="2 words but 3 rows"):
        posttrain.LexicalSimplifier("en", frequencies=frequency, vectors=(["a", "b"], np.zeros((3, 4))))
    with pytest.raises(OSError, match="no such file"):
        posttrain.LexicalSimplifier("en", frequencies=frequency, thesaurus=str(tmp_path / "missing.dat"))
    s = posttrain.LexicalSimplifier("en", frequencies=frequency, thesaurus=thesaurus)
    with pytest.raises(ValueError, match=r"instances\[1\] has no 'sentence'"):
        s.run([("a b", "b"), {"word": "b"}])
    with pytest.raises(TypeError, match=r"instances\[0\] must be"):
        s.run(["just a string"])
    with pytest.raises(ValueError, match="format must be"):
        posttrain.read_lexical_dataset(thesaurus, format="csv")
