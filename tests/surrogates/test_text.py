"""explain_text: exact Shapley / Owen values and occlusion against closed forms and references."""

import itertools
import re

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline

from surrogates import explain_text
from surrogates.text import TextExplanation

CORPUS = [
    "a wonderful film with a great cast",
    "terrible plot and awful acting",
    "great story, wonderful music",
    "boring, slow and terrible",
    "the acting was great but the plot was boring",
    "awful film, awful music, awful everything",
    "a slow start but a wonderful ending",
    "the cast was terrible and the story was slow",
]
SCORE = np.array([1.0, -1.0, 1.0, -1.0, 0.2, -1.0, 0.5, -0.8])
LABEL = (SCORE > 0).astype(int)


@pytest.fixture(scope="module")
def linear():
    return make_pipeline(CountVectorizer(), LinearRegression()).fit(CORPUS, SCORE)


def _closed_form(pipe, tokens):
    """Shapley value of each token of a bag-of-words linear model: its coefficient."""
    vec, lin = pipe[0], pipe[1]
    out = []
    for t in tokens:
        j = vec.vocabulary_.get(t.lower()) if re.fullmatch(r"\w\w+", t) else None
        out.append(0.0 if j is None else lin.coef_[j])
    return np.array(out)


def _words(tokens):
    return [t for t in tokens if t.strip()]


def test_exact_shapley_equals_closed_form(linear):
    text = "A wonderful film, but terrible acting!"
    e = explain_text(linear.predict, text)
    assert e.method == ("shapley",)
    assert e.tokens[0] == ("A", "wonderful", "film", ",", "but", "terrible", "acting", "!")
    np.testing.assert_allclose(e.values[0][:, 0], _closed_form(linear, e.tokens[0]), atol=1e-10)
    assert e.base_values[0, 0] == pytest.approx(linear.predict([" ,   !"])[0], abs=1e-12)
    assert e.output[0, 0] == pytest.approx(linear.predict([text])[0], abs=1e-12)


def test_owen_on_long_text_equals_closed_form_and_adds_up(linear):
    text = " ".join(CORPUS[:3])  # 20 tokens: Owen values
    e = explain_text(linear.predict, text, batch_size=64)
    assert e.method == ("owen",) and len(e.tokens[0]) > 12
    np.testing.assert_allclose(e.values[0][:, 0], _closed_form(linear, e.tokens[0]), atol=1e-10)
    assert abs(e.base_values[0, 0] + e.values[0][:, 0].sum() - e.output[0, 0]) < 1e-10


def _shapley_by_permutations(f, n):
    phi = np.zeros(n)
    perms = list(itertools.permutations(range(n)))
    for p in perms:
        s = set()
        for i in p:
            before = f(frozenset(s))
            s.add(i)
            phi[i] += f(frozenset(s)) - before
    return phi / len(perms)


def _owen_reference(f, n):
    """Owen value over the balanced binary split, from its definition (recursive)."""
    phi = np.zeros(n)

    def rec(a, b, outside):  # outside: list of sibling spans above this node
        if b - a == 1:
            total = 0.0
            for bits in itertools.product([0, 1], repeat=len(outside)):
                ctx = {i for (lo, hi), on in zip(outside, bits) if on for i in range(lo, hi)}
                total += f(frozenset(ctx | {a})) - f(frozenset(ctx))
            phi[a] = total / 2 ** len(outside)
            return
        mid = (a + b) // 2
        rec(a, mid, outside + [(mid, b)])
        rec(mid, b, outside + [(a, mid)])

    rec(0, n, [])
    return phi


def _interaction_model(texts):
    """A non-additive score: pairs of words interact, and a saturating total."""
    out = []
    for t in texts:
        w = set(t.split())
        s = 1.0 * ("good" in w) * ("very" in w) - 2.0 * ("not" in w) * ("good" in w)
        s += 0.3 * len(w) - 0.02 * len(w) ** 2 + 0.5 * ("end" in w)
        out.append([s, np.tanh(s)])
    return np.array(out)


def _coalition_game(words):
    def f(S):
        text = " ".join(w if i in S else "" for i, w in enumerate(words))
        return _interaction_model([text])[0, 0]

    return f


def test_exact_shapley_matches_permutation_reference():
    words = "very good not bad end".split()
    e = explain_text(_interaction_model, " ".join(words))
    ref = _shapley_by_permutations(_coalition_game(words), len(words))
    np.testing.assert_allclose(e.values[0][:, 0], ref, atol=1e-12)
    assert e.values[0].shape == (5, 2)
    for o in range(2):
        assert abs(e.base_values[0, o] + e.values[0][:, o].sum() - e.output[0, o]) < 1e-10


def test_owen_matches_definition_on_interacting_model():
    words = "the film was very good and not bad at all until the very end".split()
    e = explain_text(_interaction_model, " ".join(words))
    assert e.method == ("owen",)
    ref = _owen_reference(_coalition_game(words), len(words))
    np.testing.assert_allclose(e.values[0][:, 0], ref, atol=1e-12)
    for o in range(2):
        assert abs(e.base_values[0, o] + e.values[0][:, o].sum() - e.output[0, o]) < 1e-10


def test_classifier_probabilities_additive_and_deterministic():
    clf = make_pipeline(CountVectorizer(), LogisticRegression()).fit(CORPUS, LABEL)
    texts = ["great cast, terrible plot", " ".join(CORPUS[4:7])]
    a = explain_text(clf.predict_proba, texts, random_state=0)
    b = explain_text(clf.predict_proba, texts, batch_size=7, random_state=1)
    assert a.method == ("shapley", "owen")
    for va, vb in zip(a.values, b.values):
        np.testing.assert_array_equal(va, vb)
    for t in range(2):
        np.testing.assert_allclose(
            a.base_values[t] + a.values[t].sum(0), a.output[t], rtol=0, atol=1e-10
        )
        np.testing.assert_allclose(a.output[t], clf.predict_proba([texts[t]])[0], atol=1e-12)


def test_single_token_and_empty_texts(linear):
    e = explain_text(linear.predict, ["wonderful", "", "   "])
    assert e.tokens == (("wonderful",), (), ())
    assert e.values[0][0, 0] == pytest.approx(
        linear.predict(["wonderful"])[0] - linear.predict([""])[0], abs=1e-12
    )
    assert e.values[1].shape == (0, 1) and e.values[2].shape == (0, 1)
    assert e.output[1, 0] == pytest.approx(e.base_values[1, 0])
    assert e.output[2, 0] == pytest.approx(linear.predict(["   "])[0], abs=1e-12)


def test_occlusion_is_drop_one_difference(linear):
    text = "great story but awful acting"
    e = explain_text(linear.predict, text, method="occlusion")
    words = text.split()
    want = [
        linear.predict([text])[0]
        - linear.predict([" ".join(w if j != i else "" for j, w in enumerate(words))])[0]
        for i in range(len(words))
    ]
    np.testing.assert_allclose(e.values[0][:, 0], want, atol=1e-12)
    assert e.method == ("occlusion",)


def test_masks_rebuild_text_and_custom_tokenizer():
    seen = []

    def f(texts):
        seen.extend(texts)
        return np.array([len(t) for t in texts], dtype=float)

    text = "  Hi,  there!\n"
    e = explain_text(f, text, mask_token="[M]")
    assert text in seen and "  [M][M]  [M][M]\n" in seen
    e2 = explain_text(f, "ab-cd", tokenizer=lambda s: s.split("-"))
    assert e2.tokens == (("ab", "cd"),)
    with pytest.raises(ValueError, match="not a substring"):
        explain_text(f, "ab cd", tokenizer=lambda s: ["xy"])
    assert isinstance(e, TextExplanation)


def test_frame_and_text(linear):
    e = explain_text(linear.predict, ["great film", "awful"])
    df = e.to_frame()
    assert list(df.columns) == ["text", "position", "token", "output", "value"]
    assert len(df) == 3
    np.testing.assert_allclose(df["value"].to_numpy(), np.concatenate([v[:, 0] for v in e.values]))
    s = str(e)
    assert "great(" in s and "awful(" in s and "base" in s


def test_bad_input():
    f = lambda t: np.zeros(len(t))  # noqa: E731
    with pytest.raises(TypeError, match="callable"):
        explain_text("model", ["x"])
    with pytest.raises(TypeError, match="strings"):
        explain_text(f, [1, 2])
    with pytest.raises(ValueError, match="method"):
        explain_text(f, ["x"], method="kernel")
    with pytest.raises(ValueError, match="shape"):
        explain_text(lambda t: np.zeros(3), ["a b"])
    with pytest.raises(ValueError, match="n_samples"):
        explain_text(f, ["x"], n_samples=10)


def test_label_score_dicts_as_a_transformers_pipeline_returns_them():
    def pipe(texts):  # label order differs per text, as a pipeline sorts by score
        out = []
        for t in texts:
            p = 0.1 + 0.2 * ("good" in t.split())
            out.append(sorted([{"label": "POS", "score": p}, {"label": "NEG", "score": 1 - p}],
                              key=lambda d: -d["score"]))  # fmt: skip
        return out

    e = explain_text(pipe, "good film")
    assert e.output_names == ("NEG", "POS")
    np.testing.assert_allclose(e.values[0], [[-0.2, 0.2], [0.0, 0.0]], atol=1e-12)
    with pytest.raises(ValueError, match="top_k=None"):
        explain_text(lambda t: [{"label": "A", "score": 0.9} for _ in t], "a b")
    with pytest.raises(ValueError, match="top_k=None"):
        explain_text(lambda t: [[{"label": "A", "score": 0.9}] for _ in t], "a b")
