"""explain_text(method="lime") against the lime package, and its reproducibility."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline

from surrogates import explain_text

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

TEXT = "the wonderful cast saved a slow story with awful music and great acting"


@pytest.fixture(scope="module")
def linear():
    return make_pipeline(CountVectorizer(), LinearRegression()).fit(CORPUS, SCORE)


@pytest.fixture(scope="module")
def logistic():
    return make_pipeline(TfidfVectorizer(), LogisticRegression(C=10)).fit(CORPUS, LABEL)


def _top(tokens, values, k):
    order = np.argsort(-np.abs(values), kind="stable")[:k]
    return {tokens[i]: float(values[i]) for i in order}


@pytest.mark.parametrize("k", [4, 5])
def test_lime_top_words_recovered_on_linear_bag_of_words(linear, k):
    from lime.lime_text import LimeTextExplainer

    def f(texts):
        return linear.predict(texts).reshape(-1, 1)

    ref = LimeTextExplainer(random_state=0).explain_instance(
        TEXT, f, labels=(0,), num_features=k, num_samples=5000
    )
    want = dict(ref.as_list(label=0))
    # all tokens fitted, then the k largest; and lime's own K-sparse fit
    for n_features in (None, k):
        e = explain_text(linear.predict, TEXT, method="lime", n_features=n_features, random_state=0)
        got = _top(e.tokens[0], e.values[0][:, 0], k)
        assert set(got) == set(want)
        for w, v in want.items():
            assert np.sign(got[w]) == np.sign(v)
            assert got[w] == pytest.approx(v, abs=0.08)  # both are ridge fits on samples
    # the closed form: each word's coefficient, the k largest
    vec, lin = linear[0], linear[1]
    coef = {w: lin.coef_[vec.vocabulary_[w]] for w in TEXT.split() if w in vec.vocabulary_}
    closed = sorted(coef, key=lambda w: -abs(coef[w]))[:k]
    assert set(closed) == set(want)


def test_sparse_fit_keeps_k_tokens(linear):
    e = explain_text(linear.predict, TEXT, method="lime", n_features=3, random_state=1)
    assert np.count_nonzero(e.values[0][:, 0]) == 3
    assert e.method == ("lime",)
    assert 0 < e.extras["local_fidelity"][0, 0] <= 1


def test_seeded_deterministic_and_independent_of_other_texts(logistic):
    texts = [TEXT, "boring slow plot, awful acting", "great"]
    a = explain_text(logistic.predict_proba, texts, method="lime", random_state=3)
    b = explain_text(logistic.predict_proba, texts[::-1], method="lime", random_state=3)
    c = explain_text(logistic.predict_proba, texts[:1], method="lime", random_state=3)
    d = explain_text(logistic.predict_proba, texts[:1], method="lime", random_state=4)
    for i in range(3):
        np.testing.assert_array_equal(a.values[i], b.values[2 - i])
        np.testing.assert_array_equal(a.base_values[i], b.base_values[2 - i])
    np.testing.assert_array_equal(a.values[0], c.values[0])
    assert not np.array_equal(a.values[0], d.values[0])
    # two outputs fitted on one design: probabilities that sum to 1 give opposite values
    np.testing.assert_allclose(a.values[0][:, 0], -a.values[0][:, 1], atol=1e-10)
    np.testing.assert_allclose(a.output, logistic.predict_proba(texts), atol=1e-12)


def test_batches_bounded_and_result_independent_of_batch_size(logistic):
    sizes = []

    def f(texts):
        sizes.append(len(texts))
        return logistic.predict_proba(texts)

    texts = [TEXT, "boring slow plot, awful acting"]
    a = explain_text(f, texts, method="lime", n_samples=300, batch_size=7, random_state=0)
    assert max(sizes) <= 7
    assert sum(sizes) == 600  # exactly n_samples texts per text (the first is the text)
    sizes.clear()
    b = explain_text(f, texts, method="lime", n_samples=300, batch_size=1000, random_state=0)
    assert max(sizes) == 300
    for va, vb in zip(a.values, b.values):
        np.testing.assert_array_equal(va, vb)
    np.testing.assert_array_equal(a.extras["n_samples"], [300, 300])


def test_auto_samples_grow_on_a_nonlinear_model_and_stop_on_a_linear_one(linear, logistic):
    lin = explain_text(linear.predict, TEXT, method="lime", random_state=0)
    non = explain_text(
        lambda t: logistic.predict_proba(t) ** 3, TEXT, method="lime", tol=0.02, random_state=0
    )
    assert lin.extras["n_samples"][0] < non.extras["n_samples"][0] <= 5000
    assert lin.extras["local_fidelity"][0, 0] > 0.99


def test_lime_argument_checks(linear):
    with pytest.raises(ValueError, match="n_samples"):
        explain_text(linear.predict, TEXT, method="lime", n_samples="many")
    with pytest.raises(ValueError, match="n_samples"):
        explain_text(linear.predict, TEXT, method="lime", n_samples=5)
    with pytest.raises(ValueError, match="n_features"):
        explain_text(linear.predict, TEXT, method="shap", n_features=3)
    with pytest.raises(ValueError, match="tol"):
        explain_text(linear.predict, TEXT, method="lime", tol=0)


def test_design_sizes_follow_lime_kernel_and_tokens_are_balanced():
    from surrogates.text import _LimeDesign

    d, n = 20, 20001
    Z = _LimeDesign(d, np.random.default_rng(0)).rows(n, first=True)
    assert Z[0].all()
    kept = Z[1:].sum(axis=1)
    assert kept.max() < d  # every sample drops at least one token, as lime's
    # lime's kernel on 100 x cosine distance to the text, written out here
    cos = np.sqrt(np.arange(d) / d)
    w = np.sqrt(np.exp(-((100 * (1 - cos)) ** 2) / 25**2))
    freq = np.bincount(kept, minlength=d) / (n - 1)
    np.testing.assert_allclose(freq, w / w.sum(), atol=0.01)
    dropped = (~Z[1:]).sum(axis=0)
    # balanced: far tighter than independent draws (binomial sd ~ sqrt(mean) ~ 40)
    assert dropped.max() - dropped.min() <= 0.03 * dropped.mean()


def test_lime_fits_run_with_blas_on_one_thread_and_the_classifier_does_not(
    logistic, local_fit_threads
):
    """As LocalSurrogate's: the fits hold BLAS to one thread, the classifier keeps the
    user's threads (two here), restored after."""
    seen_fit, blas_threads = local_fit_threads
    seen_model = []

    def clf(texts):
        seen_model.append(blas_threads())
        return logistic.predict_proba(texts)

    explain_text(clf, TEXT, method="lime", n_samples="auto", random_state=0)
    assert blas_threads() == 2
    assert seen_fit and set(seen_fit) == {1}
    assert seen_model and set(seen_model) == {2}
