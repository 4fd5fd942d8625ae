"""surrogates.metrics against scipy / scikit-learn / by-hand oracles."""

from __future__ import annotations

import numpy as np
import pandas as pd
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
    return LocalExplanation(
        values=values,
        base_values=np.zeros(n),
        data=np.zeros((n, d)),
        feature_names=tuple(f"x{i}" for i in range(d)),
        output_names=("y",),
        link="identity",
        method="test",
    )


def test_agreement_rank_correlation_and_top_k():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 8))
    b = a + rng.normal(scale=0.7, size=(6, 8))
    table = agreement(_expl(a), _expl(b), k=3)
    for r in range(6):
        assert table["spearman"][r] == pytest.approx(
            spearmanr(np.abs(a[r]), np.abs(b[r]))[0], abs=1e-12
        )
        top_a = set(np.argsort(-np.abs(a[r]))[:3])
        top_b = set(np.argsort(-np.abs(b[r]))[:3])
        assert table["top3_overlap"][r] == len(top_a & top_b) / 3
    same = agreement(_expl(a), _expl(a), k=3)
    np.testing.assert_allclose(same["spearman"], 1.0)
    np.testing.assert_allclose(same["top3_overlap"], 1.0)
    with pytest.raises(ValueError, match="differ in shape"):
        agreement(a, a[:, :3])
    with pytest.raises(ValueError, match="different features: missing"):
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
    X, y = make_classification(
        n_samples=100, n_features=3, n_informative=2, n_redundant=0, random_state=0
    )
    glm = GLMClassifier().fit(X, y)
    e = glm.explain_local(X)
    err = additivity_error(e, glm.decision_function(X))
    assert err.max() < 1e-8
    err2 = additivity_error(e, glm.decision_function(X) + 0.5)
    np.testing.assert_allclose(err2, 0.5, atol=1e-8)
    with pytest.raises(ValueError, match="pass output="):
        additivity_error(e)


def test_stability_needs_a_list_of_at_least_two_explanations():
    a = np.arange(12.0).reshape(3, 4) - 5
    with pytest.raises(TypeError, match="single LocalExplanation; pass \\[e1, e2"):
        stability(_expl(a))  # used to iterate over its rows and return a table
    with pytest.raises(ValueError, match="at least two explanations.*got 0"):
        stability([])
    with pytest.raises(ValueError, match="must be 3-D"):
        stability(a)
    with pytest.raises(ValueError, match="differ in shape"):
        stability([_expl(a), _expl(a[:2])])
    # a 3-D array (runs, rows, features) is a list of runs: same as the list
    b = a[:, ::-1].copy()
    pd.testing.assert_frame_equal(stability(np.stack([a, b]), k=2), stability([a, b], k=2))


@pytest.mark.parametrize("k", [0, -1, 2.5])
def test_k_must_be_a_positive_integer(k):
    a = np.random.default_rng(0).normal(size=(3, 4))
    err = TypeError if isinstance(k, float) else ValueError
    with pytest.raises(err, match="k must be an integer >= 1"):
        stability([a, a], k=k)
    with pytest.raises(err, match="k must be an integer >= 1"):
        agreement(a, a, k=k)


def test_output_is_checked_against_the_outputs_of_the_explanation():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(4, 3, 2))
    e = LocalExplanation(
        values=v,
        base_values=np.zeros((4, 2)),
        data=np.zeros((4, 3)),
        feature_names=("a", "b", "c"),
        output_names=("no", "yes"),
        link="identity",
        method="test",
    )
    with pytest.raises(ValueError, match=r"output=5 is not an output.*2 outputs.*\['no', 'yes'\]"):
        agreement(e, e, output=5)
    with pytest.raises(ValueError, match="output='maybe' is not an output"):
        stability([e, e], output="maybe")
    # by name = by index, and the same as the 2-D slice
    by_name = agreement(e, v[:, :, 1] + 0.1, output="yes", k=2)
    pd.testing.assert_frame_equal(by_name, agreement(v[:, :, 1], v[:, :, 1] + 0.1, k=2))


def test_agreement_matches_features_by_name():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    names = ("w", "x", "y", "z")

    def expl(values, feature_names):
        return LocalExplanation(
            values=values,
            base_values=np.zeros(5),
            data=np.zeros((5, 4)),
            feature_names=feature_names,
            output_names=("y",),
            link="identity",
            method="test",
        )

    ea = expl(a, names)
    perm = [2, 0, 3, 1]
    eb_perm = expl(b[:, perm], tuple(names[j] for j in perm))  # same values, other column order
    pd.testing.assert_frame_equal(agreement(ea, eb_perm, k=2), agreement(ea, expl(b, names), k=2))
    pd.testing.assert_frame_equal(
        stability([ea, eb_perm], k=2), stability([ea, expl(b, names)], k=2)
    )
    with pytest.raises(
        ValueError, match=r"different features: missing \['z'\], unexpected \['q'\]"
    ):
        agreement(ea, expl(b, ("w", "x", "y", "q")))


@pytest.fixture(scope="module")
def models():
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    clf = LogisticRegression().fit(X, (X[:, 0] + X[:, 1] > 0).astype(int))
    reg = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(X, 2 * X[:, 0])
    return X, clf, reg


@pytest.mark.parametrize("confidence", [2, -1, 0, 1, np.nan])
def test_confidence_must_be_in_0_1(models, confidence):
    X, clf, reg = models
    for bb, sur in [(clf, clf), (reg, reg)]:
        with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\)"):
            fidelity(bb, sur, X, confidence=confidence)
    with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\)"):
        clopper_pearson(3, 10, confidence)


def test_regression_surrogate_predictions_are_checked(models):
    X, _, reg = models
    with pytest.raises(ValueError, match=r"shape \(3,\) for 200 rows.*one value per row"):
        fidelity(reg, lambda Z: np.zeros(3), X)
    with pytest.raises(ValueError, match=r"shape \(200, 2\) for 200 rows"):
        fidelity(reg, lambda Z: np.zeros((len(Z), 2)), X)
    with pytest.raises(ValueError, match="surrogate returned NaN"):
        fidelity(reg, lambda Z: np.full(len(Z), np.nan), X)
    # (n, 1) is one value per row: same R^2 as scikit-learn's on the flat predictions
    f = fidelity(reg, lambda Z: 2 * Z[:, :1], X)
    assert f.value == pytest.approx(r2_score(reg.predict(X), 2 * X[:, 0]), rel=1e-12)


def test_classification_surrogate_labels_are_checked(models):
    X, clf, _ = models
    with pytest.raises(
        ValueError, match=r"labels \{'0', '1'\} but the black box's classes are \{0, 1\}"
    ):
        fidelity(clf, lambda Z: np.where(Z[:, 0] > 0, "1", "0"), X)
    with pytest.raises(ValueError, match="predict, not predict_proba"):
        fidelity(clf, clf.predict_proba, X)
    with pytest.raises(ValueError, match=r"shape \(3,\) for 200 rows.*one class label"):
        fidelity(clf, lambda Z: np.zeros(3, dtype=int), X)
    # one class only, among the black box's: a legitimate (poor) surrogate
    f = fidelity(clf, lambda Z: np.zeros(len(Z), dtype=int), X)
    assert f.value == np.mean(clf.predict(X) == 0)


def test_surrogate_and_explanation_types_are_named(models):
    X, clf, _ = models
    with pytest.raises(
        TypeError, match="surrogate must be a fitted model with predict\\(\\) or a callable"
    ):
        fidelity(clf, "notamodel", X)
    with pytest.raises(ValueError, match="surrogate LogisticRegression is not fitted"):
        fidelity(clf, LogisticRegression(), X)
    with pytest.raises(TypeError, match="additivity_error takes a LocalExplanation.*got ndarray"):
        additivity_error(np.zeros((3, 4)))
