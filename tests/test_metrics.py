"""surrogates.metrics against scipy / scikit-learn / by-hand oracles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest, spearmanr
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import r2_score
from sklearn.tree import DecisionTreeClassifier

from glassbox import GLMClassifier
from glassbox.explanation import LocalExplanation
from surrogates import additivity_error, agreement, fidelity, stability
from surrogates.metrics import clopper_pearson, r2_fidelity


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (950, 1000), (1, 1), (4871, 5000)])
@pytest.mark.parametrize("conf", [0.9, 0.95, 0.99])
def test_clopper_pearson_matches_scipy_exact_interval(k, n, conf):
    ci = binomtest(k, n).proportion_ci(confidence_level=conf, method="exact")
    lo, hi = clopper_pearson(k, n, conf)
    np.testing.assert_allclose([lo, hi], [ci.low, ci.high], rtol=1e-10, atol=1e-12)


def test_fidelity_is_agreement_with_the_black_box():
    X, y = make_classification(n_samples=300, n_features=4, random_state=0)
    bb = LogisticRegression().fit(X, y)
    student = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, bb.predict(X))
    f = fidelity(bb, student, X)
    k = int(np.sum(student.predict(X) == bb.predict(X)))
    assert f.metric == "agreement" and f.n == 300
    assert f.value == k / 300
    ci = binomtest(k, 300).proportion_ci(confidence_level=0.95, method="exact")
    np.testing.assert_allclose([f.lower, f.upper], [ci.low, ci.high], rtol=1e-10)
    assert float(f) == f.value


def test_r2_bootstrap_matches_a_plain_loop():
    rng = np.random.default_rng(1)
    y = rng.normal(size=120)
    p = y + rng.normal(scale=0.5, size=120)
    f = r2_fidelity(y, p, 0.9, n_boot=300, random_state=7)
    assert f.value == pytest.approx(r2_score(y, p), rel=1e-12)
    idx = np.random.default_rng(7).integers(0, 120, size=(300, 120))
    stats = [r2_score(y[i], p[i]) for i in idx]
    np.testing.assert_allclose([f.lower, f.upper], np.quantile(stats, [0.05, 0.95]), rtol=1e-10)
    assert f.lower < f.value < f.upper


def _expl(values):
    values = np.asarray(values, dtype=float)
    n, d = values.shape
    return LocalExplanation(values=values, base_values=np.zeros(n), data=np.zeros((n, d)),
                            feature_names=tuple(f"x{i}" for i in range(d)), output_names=("y",),
                            link="identity", method="test")


def test_agreement_rank_correlation_and_top_k():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 8))
    b = a + rng.normal(scale=0.7, size=(6, 8))
    table = agreement(_expl(a), _expl(b), k=3)
    for r in range(6):
        assert table["spearman"][r] == pytest.approx(spearmanr(np.abs(a[r]), np.abs(b[r]))[0], abs=1e-12)
        top_a = set(np.argsort(-np.abs(a[r]))[:3])
        top_b = set(np.argsort(-np.abs(b[r]))[:3])
        assert table["top3_overlap"][r] == len(top_a & top_b) / 3
    same = agreement(_expl(a), _expl(a), k=3)
    np.testing.assert_allclose(same["spearman"], 1.0)
    np.testing.assert_allclose(same["top3_overlap"], 1.0)
    with pytest.raises(ValueError, match="differ in shape"):
        agreement(_expl(a), _expl(a[:, :3]))


def test_stability_of_identical_and_different_runs():
    a = np.arange(12.0).reshape(3, 4) - 5
    s = stability([_expl(a), _expl(a), _expl(a)], k=2)
    np.testing.assert_allclose(s["weight_std"], 0.0)
    np.testing.assert_allclose(s["top2_jaccard"], 1.0)
    b = a.copy()
    b[:, [0, 3]] = b[:, [3, 0]]  # swap a top feature with a small one
    s2 = stability([_expl(a), _expl(b)], k=1)
    # row 0: a=[-5,-4,-3,-2] top1 = x0, b=[-2,-4,-3,-5] top1 = x3 -> Jaccard 0
    assert s2["top1_jaccard"][0] == 0.0
    np.testing.assert_allclose(s2["weight_std"][0], np.abs(a[0] - b[0]).mean() / 2)
    with pytest.raises(ValueError, match="at least two"):
        stability([_expl(a)])


def test_additivity_error_of_an_additive_model():
    X, y = make_classification(n_samples=100, n_features=3, n_informative=2, n_redundant=0,
                               random_state=0)
    glm = GLMClassifier().fit(X, y)
    e = glm.explain_local(X)
    err = additivity_error(e, glm.decision_function(X))
    assert err.max() < 1e-8
    err2 = additivity_error(e, glm.decision_function(X) + 0.5)
    np.testing.assert_allclose(err2, 0.5, atol=1e-8)
    with pytest.raises(ValueError, match="pass output="):
        additivity_error(e)
