"""LinearSVMClassifier against scikit-learn's LinearSVC fitted directly on the same
standardized design (computed here, independently), numpy's covariance for the
activation patterns, a brute-force check of the calibration, and the guarantee
argmax(predict_proba) == predict over many seeds and crafted edge scores."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.svm import LinearSVC, l1_min_c

from glassbox import LinearSVMClassifier
from glassbox.models.svm import _proba


def _data(seed=0, n=150, n_classes=2, categorical=False, scales=(1.0, 100.0, 0.01)):
    rng = np.random.default_rng(seed)
    p = len(scales)
    Z = rng.normal(size=(n, p))
    Z[:, 1] += 0.7 * Z[:, 0]  # correlated features: patterns differ from weights
    X = pd.DataFrame(Z * np.asarray(scales) + 3.0, columns=[f"f{j}" for j in range(p)])
    score = Z @ rng.normal(size=p) + 0.5 * rng.normal(size=n)
    if categorical:
        X["home"] = rng.choice(["own", "rent", "other"], n)
        score = score + np.where(X["home"] == "own", 1.0, 0.0)
    if n_classes == 2:
        y = np.where(score > 0, "yes", "no")
    else:
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y


def _design(X: pd.DataFrame) -> np.ndarray:
    """Reference coding written out: numeric columns, then a 0/1 column per level
    of a text column except its first (sorted) level."""
    cols = []
    for name in X.columns:
        col = X[name]
        if not pd.api.types.is_numeric_dtype(col):
            for level in sorted(set(col))[1:]:
                cols.append((col == level).to_numpy(float))
        else:
            cols.append(col.to_numpy(float))
    return np.column_stack(cols)


def _direct(X, y, sw=None, **params):
    """LinearSVC fitted on the standardized design: (estimator, mean, sd)."""
    D = _design(X)
    mean = np.average(D, axis=0, weights=sw)
    sd = np.sqrt(np.average((D - mean) ** 2, axis=0, weights=sw))
    est = LinearSVC(dual=False, tol=1e-8, max_iter=10_000, **params)
    est.fit((D - mean) / sd, y, sample_weight=sw)
    return est, mean, sd


@pytest.mark.parametrize(
    "n_classes, categorical, penalty, weighted",
    [
        (2, False, "l2", False),
        (3, True, "l2", False),
        (2, True, "l1", True),
        (4, False, "l1", False),
    ],
)
def test_decision_function_equals_liblinear_on_standardized_data(
    n_classes, categorical, penalty, weighted
):
    X, y = _data(1, n_classes=n_classes, categorical=categorical)
    sw = np.random.default_rng(2).uniform(0.2, 3.0, len(y)) if weighted else None
    model = LinearSVMClassifier(C=0.5, penalty=penalty, random_state=0).fit(X, y, sample_weight=sw)
    est, mean, sd = _direct(X, y, sw, C=0.5, penalty=penalty, random_state=0)
    X_new, _ = _data(7, n=40, n_classes=n_classes, categorical=categorical)
    D_new = _design(X_new)
    want = est.decision_function((D_new - mean) / sd)
    np.testing.assert_allclose(model.decision_function(X_new), want, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(model.predict(X_new), est.predict((D_new - mean) / sd))
    # weights in original units: score = intercept + coef @ x
    np.testing.assert_allclose(
        D_new @ model.coef_.T + model.intercept_, np.atleast_2d(want.T).T, atol=1e-8
    )
    # margin width 2 / ||w|| of the standardized weights
    np.testing.assert_allclose(model.margin_width_, 2 / np.linalg.norm(est.coef_, axis=1))
    if penalty == "l1":
        assert model.complexity_ == np.count_nonzero(np.any(est.coef_ != 0, axis=0))


def test_patterns_are_covariance_times_weights():
    X, y = _data(3, categorical=True)
    model = LinearSVMClassifier().fit(X, y)
    D = _design(X)
    np.testing.assert_allclose(model.patterns_, (np.cov(D, rowvar=False) @ model.coef_.T).T)
    g = model.explain_global()
    np.testing.assert_allclose(g.extras["patterns"], model.patterns_[0])
    # correlated features: patterns are not the weights rescaled feature by feature
    D_sd = D.std(axis=0, ddof=1)
    assert not np.allclose(model.patterns_[0], model.coef_[0] * D_sd**2, rtol=0.05)
    assert "pattern cov(term, score)" in str(model)


def test_support_vectors_are_the_rows_with_margin_at_most_one():
    X, y = _data(4, n_classes=3)
    model = LinearSVMClassifier(C=0.3).fit(X, y)
    est, mean, sd = _direct(X, y, C=0.3)
    D = _design(X)
    F = est.decision_function((D - mean) / sd)
    signs = np.where(y[:, None] == est.classes_[None, :], 1.0, -1.0)
    want = np.flatnonzero(((signs * F) <= 1 + 1e-9).any(axis=1))
    np.testing.assert_array_equal(model.support_, want)
    np.testing.assert_allclose(model.support_vectors_, D[want])
    np.testing.assert_array_equal(model.n_support_, [np.sum(y[want] == c) for c in est.classes_])


def test_local_explanations_add_up_to_the_decision_function():
    for n_classes in (2, 3):
        X, y = _data(5, n_classes=n_classes, categorical=True)
        model = LinearSVMClassifier().fit(X, y)
        loc = model.explain_local(X.iloc[:30])
        np.testing.assert_allclose(loc.output(), model.decision_function(X.iloc[:30]), atol=1e-8)
        # weight x (x - training mean), a text column's dummies summed
        D = _design(X)
        per_term = (D[:30] - D.mean(axis=0))[:, :, None] * model.coef_.T[None]
        numeric = per_term[:, :3]
        got = loc.values if loc.values.ndim == 3 else loc.values[:, :, None]
        np.testing.assert_allclose(got[:, :3], numeric, atol=1e-10)
        np.testing.assert_allclose(got[:, 3], per_term[:, 3:].sum(axis=1), atol=1e-10)


def test_argmax_of_proba_is_predict_on_many_seeds():
    for seed in range(25):
        n_classes = 2 + seed % 3
        X, y = _data(seed, n=60, n_classes=n_classes, scales=(1.0, 1e4, 1e-3))
        model = LinearSVMClassifier(C=10.0 ** (seed % 5 - 2)).fit(X, y)
        X_new, _ = _data(seed + 100, n=200, n_classes=n_classes, scales=(1.0, 1e4, 1e-3))
        P = model.predict_proba(X_new)
        np.testing.assert_array_equal(model.classes_[P.argmax(axis=1)], model.predict(X_new))
        np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)


def test_argmax_of_proba_is_predict_at_ties_and_extremes():
    f = np.array([0.0, 1e-300, -1e-300, 5e-324, 1e-17, -1e-17, 1e3, -1e3])
    for a in (1e-5, 1.0, 1e5):
        P = _proba(f, a)
        np.testing.assert_array_equal(P.argmax(axis=1), (f > 0).astype(int))
    S = np.array([[1.0, np.nextafter(1.0, 2.0), 0.0], [3.0, 3.0 + 4e-16, 3.0], [0.0, 0.0, 0.0]])
    for a in (1e-5, 1.0, 1e5):
        np.testing.assert_array_equal(_proba(S, a).argmax(axis=1), S.argmax(axis=1))


def test_calibration_is_monotone_and_minimizes_platt_loss():
    X, y = _data(8)
    model = LinearSVMClassifier().fit(X, y)
    f = model.decision_function(X)
    p = model.predict_proba(X)[:, 1]
    order = np.argsort(f)
    assert np.all(np.diff(p[order]) >= 0)
    a = model.calibration_
    assert a > 0
    np.testing.assert_allclose(p, expit(a * f), rtol=1e-12)
    t = y == "yes"
    n1, n0 = t.sum(), (~t).sum()
    target = np.where(t, (n1 + 1) / (n1 + 2), 1 / (n0 + 2))  # Platt's smoothed targets

    def loss(b):
        return np.sum(np.logaddexp(0, b * f) - target * b * f)

    grid = a * np.linspace(0.9, 1.1, 201)
    assert loss(a) <= min(loss(b) for b in grid) + 1e-9


def test_no_convergence_warning_and_l1_path():
    from sklearn.exceptions import ConvergenceWarning

    X, y = _data(9, n=300, scales=(1e-4, 1.0, 1e5), categorical=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for params in ({}, {"penalty": "l1"}, {"C": 100.0}, {"loss": "hinge", "random_state": 0}):
            LinearSVMClassifier(**params).fit(X, y)
        path = LinearSVMClassifier().l1_path(X, y, n_Cs=5)
    D = _design(X)
    Xs = (D - D.mean(axis=0)) / D.std(axis=0)
    np.testing.assert_allclose(path["C"].iloc[0], l1_min_c(Xs, y, loss="squared_hinge"))
    assert path["n_nonzero"].iloc[0] == 0 and path["n_nonzero"].iloc[-1] >= 3


def test_missing_value_refused_naming_column_and_row():
    X, y = _data(10)
    X.loc[12, "f1"] = np.nan
    with pytest.raises(ValueError, match=r"'f1'.*row 12"):
        LinearSVMClassifier().fit(X, y)
    with pytest.raises(ValueError, match="squared_hinge"):
        LinearSVMClassifier(penalty="l1", loss="hinge").fit(*_data(10))


def _printed_scores(text: str, X: pd.DataFrame) -> np.ndarray:
    """Evaluate the printed equation `score = b0 + w1*f0 ...` on the rows of X."""
    tokens = text.split("score = ", 1)[1].split("\npredict", 1)[0].split()
    out = np.full(len(X), float(tokens[0]))
    for sign, term in zip(tokens[1::2], tokens[2::2]):
        coef, name = term.split("*")
        out += (1.0 if sign == "+" else -1.0) * float(coef) * X[name].to_numpy()
    return out


def test_printout_evaluates_to_the_scores_and_states_one_vs_rest():
    X, y = _data(11)
    model = LinearSVMClassifier().fit(X, y)
    text = str(model)
    # 8 significant digits per printed number: error below 1e-7 of the sum of |terms|
    bound = 1e-7 * (abs(model.intercept_[0]) + np.abs(X.to_numpy() * model.coef_[0]).sum(axis=1))
    err = np.abs(_printed_scores(text, X) - model.decision_function(X))
    assert np.all(err <= bound), (err.max(), bound.min())
    assert "support vectors:" in text and "margin width" in text
    X3, y3 = _data(11, n_classes=3)
    assert "one-vs-rest" in str(LinearSVMClassifier().fit(X3, y3))


def test_in_compare_and_distill():
    from glassbox.compare import compare_families
    from surrogates import distill

    X, y = _data(12, n=120)
    table = compare_families(X, y, classifier=True, families=["svm"])
    assert list(table["model"]) == ["LinearSVMClassifier"] and table["score"].iloc[0] > 0.7
    sur = distill(
        LinearSVMClassifier().fit(X, y).predict_proba,
        X,
        student=LinearSVMClassifier(),
        n_queries=300,
        random_state=0,
    )
    assert type(sur.student_) is LinearSVMClassifier and sur.fidelity(X).value > 0.8
