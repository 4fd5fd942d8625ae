"""GLM family against independent oracles: closed-form least squares,
scikit-learn fitted directly, the likelihood score equations, shap's
LinearExplainer, and the printed equation re-evaluated."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox import GLMClassifier, GLMRegressor
from glassbox.datasets import breast_cancer, wine

rng = np.random.default_rng(42)
N = 300
X_FRAME = pd.DataFrame(
    {
        "age": rng.uniform(20, 70, N),
        "income": rng.lognormal(3, 0.5, N),
        "score": rng.normal(0, 1, N),
    }
)
X_ARR = X_FRAME.to_numpy()
ETA = 0.3 + 0.02 * X_ARR[:, 0] - 0.01 * X_ARR[:, 1] + 0.25 * X_ARR[:, 2]


def _evaluate_equation(rhs: str, X: pd.DataFrame) -> np.ndarray:
    """Evaluate the printed right-hand side `b0 + c1*name1 - c2*name2 ...`."""
    tokens = re.findall(r"([+-]) ([0-9.eE+-]+?)\*([^\n+]+?)(?=\s+[+-] [0-9]|\s*$)", rhs, re.S)
    intercept = float(rhs.split()[0])
    out = np.full(len(X), intercept)
    for sign, coef, name in tokens:
        out += (1 if sign == "+" else -1) * float(coef) * X[name.strip()].to_numpy()
    return out


def _equation_block(text: str, lhs: str) -> str:
    """The right-hand side of the printed equation `lhs = ...` (one or many lines)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(lhs + " = "))
    block = [lines[start][len(lhs) + 3 :]]
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        block.append(line.strip())
    return " ".join(block)


def test_normal_equals_least_squares_closed_form():
    y = 3 * ETA + rng.normal(0, 0.1, N)
    model = GLMRegressor().fit(X_FRAME, y)
    A = np.column_stack([np.ones(N), X_ARR])
    beta = np.linalg.solve(A.T @ A, A.T @ y)
    np.testing.assert_allclose(model.intercept_, beta[0], rtol=1e-9)
    np.testing.assert_allclose(model.coef_, beta[1:], rtol=1e-9)
    # Wald standard errors: sigma^2 (A'A)^-1, sigma^2 = RSS / (n - p)
    resid = y - A @ beta
    sigma2 = resid @ resid / (N - A.shape[1])
    se = np.sqrt(np.diag(np.linalg.inv(A.T @ A)) * sigma2)
    np.testing.assert_allclose(model.standard_errors_, se, rtol=1e-8)


def test_unit_sample_weight_equals_unweighted_and_duplicates_equal_weights():
    y = 3 * ETA + rng.normal(0, 0.1, N)
    a = GLMRegressor(family="normal").fit(X_ARR, y)
    b = GLMRegressor(family="normal").fit(X_ARR, y, sample_weight=np.ones(N))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)
    w = np.where(np.arange(N) < 50, 2.0, 1.0)
    c = GLMRegressor(family="normal").fit(X_ARR, y, sample_weight=w)
    d = GLMRegressor(family="normal").fit(np.vstack([X_ARR, X_ARR[:50]]), np.r_[y, y[:50]])
    np.testing.assert_allclose(c.coef_, d.coef_, rtol=1e-9)


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
def test_log_link_families_solve_score_equations(family):
    mu = np.exp(ETA)
    if family == "poisson":
        y = rng.poisson(mu).astype(float)
        power = 1.0
    elif family == "gamma":
        y = rng.gamma(shape=5.0, scale=mu / 5.0)
        power = 2.0
    else:
        y = rng.poisson(mu) * rng.gamma(2.0, 0.5, N)
        power = 1.5
    model = GLMRegressor(family=family, power=1.5).fit(X_FRAME, y)
    assert model.link_ == "log"
    mu_hat = model.predict(X_FRAME)
    # MLE with log link: sum_i x_i (y_i - mu_i) mu_i^(1-p) = 0 for every column (and intercept)
    A = np.column_stack([np.ones(N), X_ARR])
    score = A.T @ ((y - mu_hat) * mu_hat ** (1 - power))
    np.testing.assert_allclose(score / N, 0, atol=1e-6 * np.abs(A).max())


def test_poisson_matches_sklearn_directly():
    from sklearn.linear_model import PoissonRegressor

    y = rng.poisson(np.exp(ETA)).astype(float)
    ours = GLMRegressor(family="poisson").fit(X_ARR, y)
    theirs = PoissonRegressor(alpha=0, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(
        X_ARR, y
    )
    np.testing.assert_allclose(ours.predict(X_ARR), theirs.predict(X_ARR), rtol=1e-6)


def test_logistic_matches_sklearn_pipeline():
    X, y = breast_cancer()
    ours = GLMClassifier(C=0.5).fit(X, y)
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, tol=1e-10, max_iter=5000)).fit(
        X, y
    )
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert (ours.predict(X) == ref.predict(X)).all()


def test_multiclass_matches_sklearn_pipeline():
    X, y = wine()
    ours = GLMClassifier(C=1.0).fit(X, y)
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-10, max_iter=5000)).fit(
        X, y
    )
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert ours.coef_.shape == (3, X.shape[1])


def test_local_contributions_add_up_and_equal_linear_shap():
    import shap

    y = 3 * ETA + rng.normal(0, 0.1, N)
    model = GLMRegressor().fit(X_FRAME, y)
    loc = model.explain_local(X_FRAME)
    np.testing.assert_allclose(loc.output(), model.predict(X_FRAME), rtol=0, atol=1e-8)
    masker = shap.maskers.Independent(X_ARR, max_samples=N)  # all rows, not a sample
    explainer = shap.LinearExplainer((model.coef_, model.intercept_), masker)
    np.testing.assert_allclose(loc.values, explainer.shap_values(X_ARR), atol=1e-8)


def test_local_contributions_logit_and_softmax_scale():
    X, y = breast_cancer()
    model = GLMClassifier().fit(X, y)
    loc = model.explain_local(X)
    np.testing.assert_allclose(loc.output(), model.decision_function(X), atol=1e-8)
    assert loc.link == "logit"
    Xw, yw = wine()
    mc = GLMClassifier().fit(Xw, yw)
    locw = mc.explain_local(Xw)
    assert locw.values.shape == (len(Xw), Xw.shape[1], 3)
    np.testing.assert_allclose(locw.output(), mc.decision_function(Xw), atol=1e-8)
    # softmax of the link-scale outputs gives back the probabilities
    p = np.exp(locw.output())
    np.testing.assert_allclose(p / p.sum(1, keepdims=True), mc.predict_proba(Xw), atol=1e-10)


@pytest.mark.parametrize("family", ["normal", "poisson"])
def test_printed_equation_reproduces_predict(family):
    y = np.exp(ETA) * 3 if family == "normal" else rng.poisson(np.exp(ETA)).astype(float)
    model = GLMRegressor(family=family).fit(X_FRAME, y)
    text = str(model)
    lhs = "E[y]" if family == "normal" else "log(E[y])"
    eta = _evaluate_equation(_equation_block(text, lhs), X_FRAME)
    pred = eta if family == "normal" else np.exp(eta)
    # 8 printed digits: 1e-6 relative to the scale of the predictions (a single
    # prediction near 0 can lose digits to cancellation between terms)
    expected = model.predict(X_FRAME)
    np.testing.assert_allclose(pred, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).mean())
    assert "age" in text and "income" in text


def test_printed_logistic_equation_reproduces_probabilities():
    X, y = breast_cancer()
    model = GLMClassifier().fit(X, y)
    text = str(model)
    eta = _evaluate_equation(_equation_block(text, "log-odds(y = malignant)"), X)
    np.testing.assert_allclose(
        1 / (1 + np.exp(-eta)), model.predict_proba(X)[:, 1], rtol=1e-6, atol=1e-9
    )
    assert "odds ratio" in text and "worst radius" in text


def test_printed_multiclass_scores_reproduce_probabilities():
    X, y = wine()
    model = GLMClassifier().fit(X, y)
    text = str(model)
    scores = np.column_stack(
        [_evaluate_equation(_equation_block(text, f"score({c})"), X) for c in model.classes_]
    )
    p = np.exp(scores - scores.max(1, keepdims=True))
    np.testing.assert_allclose(p / p.sum(1, keepdims=True), model.predict_proba(X), atol=1e-6)


def test_bad_target_for_family_is_named():
    with pytest.raises(ValueError, match="y > 0"):
        GLMRegressor(family="gamma").fit(X_ARR, np.r_[0.0, np.ones(N - 1)])
    with pytest.raises(ValueError, match="y >= 0"):
        GLMRegressor(family="poisson").fit(X_ARR, -np.ones(N))


def test_l1_gives_sparse_model_and_complexity_counts_nonzero():
    X, y = breast_cancer()
    model = GLMClassifier(C=0.05, l1_ratio=1.0, max_iter=5000).fit(X, y)
    nonzero = int(np.count_nonzero(model.coef_))
    assert 0 < nonzero < X.shape[1]
    assert model.complexity_ == nonzero


def test_unpenalized_logistic_standard_errors_match_fisher_information():
    rng2 = np.random.default_rng(7)
    X = rng2.normal(size=(400, 2))
    p = 1 / (1 + np.exp(-(0.5 + 1.2 * X[:, 0] - 0.7 * X[:, 1])))
    y = (rng2.uniform(size=400) < p).astype(int)
    model = GLMClassifier(C=np.inf).fit(X, y)
    A = np.column_stack([np.ones(400), X])
    p_hat = model.predict_proba(X)[:, 1]
    # MLE: score equations A'(y - p) = 0; SEs from the inverse Fisher information
    np.testing.assert_allclose(A.T @ (y - p_hat), 0, atol=1e-5)
    info = A.T @ (A * (p_hat * (1 - p_hat))[:, None])
    np.testing.assert_allclose(
        model.standard_errors_, np.sqrt(np.diag(np.linalg.inv(info))), rtol=1e-6
    )


def test_printed_effect_per_standard_deviation():
    X, y = breast_cancer()
    model = GLMClassifier().fit(X, y)
    row = next(line for line in str(model).splitlines() if line.startswith("worst radius "))
    per_sd = float(row.split("×")[-1])
    expected = np.exp(
        model.coef_[0][list(X.columns).index("worst radius")] * X["worst radius"].std(ddof=0)
    )
    np.testing.assert_allclose(per_sd, expected, rtol=1e-3)  # printed to 4 significant digits
