"""explain_text against shap's Partition explainer on the same masker and tokens.

shap's Partition explainer computes Owen values over its own token hierarchy and
ours over a balanced span hierarchy, so the two agree where Owen values do not
depend on the hierarchy: on an additive game (a bag-of-words linear model), where
every Owen value is the Shapley value. Both mask a token with "..." (no word for
the vectorizer, so the token drops out), and both must give the same tokens, the
same base value (every token masked) and the same values, for a text long enough
that ours takes its Owen path.
"""

from __future__ import annotations

import numpy as np
import pytest

from surrogates import explain_text

shap = pytest.importorskip("shap")


def _model():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    vocab = "good great fine film bad awful boring plot acting story the a and but".split()
    texts = [" ".join(rng.choice(vocab, 8)) for _ in range(200)]
    clf = make_pipeline(CountVectorizer(token_pattern=r"\w+"), LinearRegression())
    return clf.fit(texts, rng.normal(size=200))


@pytest.mark.parametrize(
    "text",
    [
        "a great film but awful acting and boring plot with the good story and a fine bad end",
        "good good good bad the film",
    ],
)
def test_owen_values_equal_shap_partition_on_an_additive_model(text):
    clf = _model()

    def f(texts):
        return clf.predict(list(texts))

    theirs = shap.explainers.Partition(f, shap.maskers.Text(mask_token="..."))([text])
    ours = explain_text(f, [text], mask_token="...")
    assert [t.strip() for t in theirs.data[0]] == list(ours.tokens[0])
    np.testing.assert_allclose(ours.base_values.ravel(), np.ravel(theirs.base_values), atol=1e-12)
    np.testing.assert_allclose(ours.values[0].ravel(), theirs.values[0], atol=1e-12)
    # and both are the closed form: coefficient of the word (0 for words not in the vocabulary)
    vec, lin = clf[0], clf[1]
    coef = {w: lin.coef_[i] for w, i in vec.vocabulary_.items()}
    want = [coef.get(t.lower(), 0.0) for t in ours.tokens[0]]
    np.testing.assert_allclose(ours.values[0].ravel(), want, atol=1e-10)
