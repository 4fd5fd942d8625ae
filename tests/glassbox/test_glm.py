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


# --- categorical columns, unpenalized inference, extreme scales (issues 15, 16) ------


def _credit_design(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[str]]:
    """An independent reference coding: pandas' get_dummies(drop_first=True) on
    sorted levels (text) or the Categorical's own order, plus an intercept."""
    parts, names = [np.ones(len(frame))], ["(intercept)"]
    for c in columns:
        col = frame[c]
        if pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
            parts.append(col.to_numpy(float))
            names.append(c)
            continue
        if not isinstance(col.dtype, pd.CategoricalDtype):
            col = pd.Categorical(col, categories=sorted(col.unique()))
        d = pd.get_dummies(col, drop_first=True, dtype=float)
        for lv in d.columns:
            parts.append(d[lv].to_numpy())
            names.append(
                f"{c}: {lv} vs {col.categories[0] if hasattr(col, 'categories') else col.cat.categories[0]}"
            )
    return np.column_stack(parts), names


def _newton_logistic(A: np.ndarray, y: np.ndarray, iters: int = 50):
    """Maximum likelihood by Newton-Raphson; returns (beta, standard errors)."""
    beta = np.zeros(A.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(A @ beta)))
        info = A.T @ (A * (p * (1 - p))[:, None])
        beta = beta + np.linalg.solve(info, A.T @ (y - p))
    p = 1 / (1 + np.exp(-(A @ beta)))
    info = A.T @ (A * (p * (1 - p))[:, None])
    return beta, np.sqrt(np.diag(np.linalg.inv(info)))


CREDIT_COLS = ["Seniority", "Home", "Marital", "Records", "Job", "Grade", "Income", "Amount"]


def test_categorical_logistic_matches_newton_reference(credit_table):
    from scipy import stats

    frame = credit_table().dropna()
    X, y = frame[CREDIT_COLS], (frame["Status"] == "good").to_numpy(float)
    model = GLMClassifier().fit(X, frame["Status"])
    A, names = _credit_design(frame, CREDIT_COLS)
    beta, se = _newton_logistic(A, y)
    assert model.term_names_ == names[1:]
    assert "Grade: mid vs low" in model.term_names_  # ordered category keeps its order
    assert model.fallback_ is None and model.penalty_.startswith("none")
    np.testing.assert_allclose(model.intercept_[0], beta[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.coef_[0], beta[1:], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.standard_errors_, se, rtol=1e-4)
    z = beta / se
    np.testing.assert_allclose(model.p_values_, 2 * stats.norm.sf(np.abs(z)), rtol=1e-3, atol=1e-12)
    np.testing.assert_allclose(
        model.conf_int_,
        np.column_stack([beta - 1.959964 * se, beta + 1.959964 * se]),
        rtol=1e-4,
        atol=1e-6,
    )
    # per input column contributions add up to the log-odds
    loc = model.explain_local(X.iloc[:20])
    assert loc.feature_names == tuple(CREDIT_COLS)
    np.testing.assert_allclose(
        loc.values.sum(axis=1) + loc.base_values, A[:20] @ beta, rtol=1e-5, atol=1e-6
    )
    assert loc.data[0, 1] == X["Home"].iloc[0]


def test_categorical_normal_regression_matches_closed_form_with_t_tests(credit_table):
    from scipy import stats

    frame = credit_table().dropna()
    X, y = frame[CREDIT_COLS], frame["Amount"].to_numpy(float) * 0.01 + frame["Seniority"]
    X = X.drop(columns="Amount")
    cols = [c for c in CREDIT_COLS if c != "Amount"]
    model = GLMRegressor().fit(X, y)
    A, names = _credit_design(frame, cols)
    beta = np.linalg.lstsq(A, y, rcond=None)[0]
    resid = y - A @ beta
    dof = len(y) - A.shape[1]
    se = np.sqrt(np.diag(np.linalg.inv(A.T @ A)) * (resid @ resid) / dof)
    assert model.term_names_ == names[1:] and model.statistic_ == "t" and model.dof_ == dof
    np.testing.assert_allclose(model.coef_, beta[1:], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(model.standard_errors_, se, rtol=1e-6)
    np.testing.assert_allclose(
        model.p_values_, 2 * stats.t(dof).sf(np.abs(beta / se)), rtol=1e-4, atol=1e-14
    )
    q = stats.t(dof).ppf(0.975)
    np.testing.assert_allclose(
        model.conf_int_, np.column_stack([beta - q * se, beta + q * se]), rtol=1e-6, atol=1e-9
    )


def test_poisson_standard_errors_match_newton_reference(credit_table):
    frame = credit_table().dropna()
    cols = ["Seniority", "Records", "Home"]
    model = GLMRegressor("poisson").fit(frame[cols], frame["Visits"])
    A, _ = _credit_design(frame, cols)
    y = frame["Visits"].to_numpy(float)
    beta = np.zeros(A.shape[1])
    for _ in range(50):
        mu = np.exp(A @ beta)
        beta = beta + np.linalg.solve(A.T @ (A * mu[:, None]), A.T @ (y - mu))
    mu = np.exp(A @ beta)
    se = np.sqrt(np.diag(np.linalg.inv(A.T @ (A * mu[:, None]))))
    assert model.statistic_ == "z"
    np.testing.assert_allclose(np.r_[model.intercept_, model.coef_], beta, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(model.standard_errors_, se, rtol=1e-5)


def test_missing_value_refused_naming_column_and_row(credit_table):
    frame = credit_table()
    X = frame[CREDIT_COLS]
    first_nan = X.index[X["Home"].isna()][0]
    with pytest.raises(
        ValueError, match=rf"column 'Home' has a missing value \(NaN\) at row {first_nan}\b"
    ):
        GLMClassifier().fit(X.fillna({"Income": 0.0, "Job": "fixed"}), frame["Status"])
    clean = frame.dropna()
    model = GLMClassifier().fit(clean[CREDIT_COLS], clean["Status"])
    bad = clean[CREDIT_COLS].copy()
    bad.loc[bad.index[3], "Income"] = np.nan
    with pytest.raises(
        ValueError, match=rf"column 'Income' has a missing value \(NaN\) at row {bad.index[3]}"
    ):
        model.predict(bad)
    bad = clean[CREDIT_COLS].copy()
    bad.loc[bad.index[5], "Home"] = "castle"
    with pytest.raises(
        ValueError, match=rf"column 'Home' has the level 'castle' at row {bad.index[5]}"
    ):
        model.predict_proba(bad)


@pytest.mark.parametrize("factor", [1e300, 1e-300])
def test_extreme_feature_scales_give_the_same_model(factor):
    y = (ETA + rng.logistic(size=N) * 0.3 > ETA.mean()).astype(int)
    ref = GLMClassifier().fit(X_FRAME, y)
    big = GLMClassifier().fit(X_FRAME * factor, y)
    np.testing.assert_allclose(big.coef_ * factor, ref.coef_, rtol=1e-6)
    np.testing.assert_allclose(
        big.predict_proba(X_FRAME * factor), ref.predict_proba(X_FRAME), atol=1e-9
    )
    np.testing.assert_allclose(
        big.standard_errors_[1:] * factor, ref.standard_errors_[1:], rtol=1e-6
    )
    yr = 3 * ETA + rng.normal(0, 0.1, N)
    ref = GLMRegressor().fit(X_FRAME, yr)
    for Xs, ys, fx, fy in [
        (X_FRAME * factor, yr, factor, 1.0),
        (X_FRAME, yr * factor, 1.0, factor),
    ]:
        m = GLMRegressor().fit(Xs, ys)
        np.testing.assert_allclose(m.coef_ * fx / fy, ref.coef_, rtol=1e-7)
        np.testing.assert_allclose(m.predict(Xs) / fy, ref.predict(X_FRAME), rtol=1e-9)
        np.testing.assert_allclose(
            m.standard_errors_[1:] * fx / fy, ref.standard_errors_[1:], rtol=1e-6
        )
    yp = rng.poisson(np.exp(0.5 + 0.3 * X_FRAME["score"]))
    ref = GLMRegressor("poisson").fit(X_FRAME, yp)
    m = GLMRegressor("poisson").fit(X_FRAME, yp * factor)
    np.testing.assert_allclose(m.predict(X_FRAME) / factor, ref.predict(X_FRAME), rtol=1e-6)


def test_separation_falls_back_to_a_stated_minimal_ridge(credit_table):
    from glassbox.models.glm import RIDGE_FALLBACK

    frame = credit_table().dropna()
    status = frame["Status"].to_numpy().copy()
    status[(frame["Records"] == "yes").to_numpy()] = "bad"  # quasi-complete separation
    model = GLMClassifier().fit(frame[CREDIT_COLS], status)
    assert model.fallback_ is not None and "Records: yes vs no" in model.fallback_
    assert "separat" in model.penalty_ and "minimal ridge" in model.penalty_
    assert model.standard_errors_ is None and model.p_values_ is None
    np.testing.assert_allclose(model.C_, 1 / (RIDGE_FALLBACK * len(status)))
    assert np.all(np.isfinite(model.coef_))
    # the fallback is scikit-learn's ridge logistic with that C on standardized columns
    A, _ = _credit_design(frame, CREDIT_COLS)
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=model.C_, tol=1e-10, max_iter=10000))
    ref.fit(A[:, 1:], status)
    np.testing.assert_allclose(
        model.predict_proba(frame[CREDIT_COLS]), ref.predict_proba(A[:, 1:]), atol=1e-5
    )
    # without separation no fallback
    assert GLMClassifier().fit(frame[CREDIT_COLS], frame["Status"]).fallback_ is None


def test_collinearity_is_named_and_falls_back():
    X = X_FRAME.assign(age2=2 * X_FRAME["age"] + X_FRAME["score"])
    y = (ETA > ETA.mean()).astype(int) ^ (rng.uniform(size=N) < 0.2)
    model = GLMClassifier().fit(X, y)
    assert model.fallback_.startswith("collinearity")
    assert {"age", "score", "age2"} <= set(re.findall(r"\w+", model.fallback_))
    assert model.standard_errors_ is None
    reg = GLMRegressor().fit(X, ETA + rng.normal(0, 0.1, N))
    assert reg.fallback_.startswith("collinearity") and reg.alpha_ > 0


def test_penalty_is_opt_in_and_stated():
    y = (ETA > ETA.mean()).astype(int) ^ (rng.uniform(size=N) < 0.2)
    assert np.isinf(GLMClassifier().C)
    model = GLMClassifier(C=0.5).fit(X_FRAME, y)
    assert model.penalty_ == "ridge (L2) C=0.5 on standardized coefficients"
    assert model.standard_errors_ is None
    assert GLMClassifier().fit(X_FRAME, y).penalty_ == "none (maximum likelihood)"


def test_separation_detected_on_large_data_too():
    # above 200k design cells the linear program runs only after a suspicious fit
    rng2 = np.random.default_rng(3)
    X = pd.DataFrame(rng2.normal(size=(5200, 39)), columns=[f"v{i}" for i in range(39)])
    y = (X["v0"] + rng2.logistic(size=5200) > 0).astype(int)
    assert GLMClassifier().fit(X, y).fallback_ is None
    X["flag"] = np.where(np.arange(5200) % 50 == 0, "on", "off")
    y = np.where(X["flag"] == "on", 1, y)
    model = GLMClassifier(max_iter=200).fit(X, y)
    assert model.fallback_ is not None and "flag: on vs off" in model.fallback_


def _newton_multinomial(A: np.ndarray, codes: np.ndarray, K: int, iters: int = 60):
    """Multinomial maximum likelihood in R's nnet::multinom parameters (contrasts
    with class 0) by Newton-Raphson; returns (theta (K-1, q), cov of vec(theta))."""
    n, q = A.shape
    Y = np.eye(K)[codes]
    theta = np.zeros((K - 1, q))
    for _ in range(iters):
        S = np.column_stack([np.zeros(n), A @ theta.T])
        P = np.exp(S - S.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        grad = ((Y - P)[:, 1:].T @ A).ravel()
        H = np.zeros(((K - 1) * q, (K - 1) * q))
        for a in range(1, K):
            for b in range(1, K):
                v = P[:, a] * ((a == b) - P[:, b])
                H[(a - 1) * q : a * q, (b - 1) * q : b * q] = A.T @ (A * v[:, None])
        theta = theta + np.linalg.solve(H, grad).reshape(K - 1, q)
    return theta, np.linalg.inv(H)


def test_multinomial_standard_errors_match_newton_reference(credit_table):
    from scipy import stats

    frame = credit_table().dropna()
    cols = ["Seniority", "Records", "Income"]
    rng3 = np.random.default_rng(5)
    score = frame["Income"] / 30 + frame["Seniority"] / 8 + rng3.logistic(size=len(frame))
    y = np.array(["a", "b", "c"])[np.digitize(score, np.quantile(score, [0.3, 0.7]))]
    model = GLMClassifier().fit(frame[cols], y)
    A, _ = _credit_design(frame, cols)
    theta, cov = _newton_multinomial(A, np.unique(y, return_inverse=True)[1], 3)
    # sum-to-zero coefficients: beta_k = theta_k - mean_j theta_j (theta_0 = 0)
    T = np.vstack([np.zeros(A.shape[1]), theta])
    beta = T - T.mean(axis=0)
    M = np.kron(np.eye(3)[:, 1:] - 1 / 3, np.eye(A.shape[1]))  # vec(beta) = M vec(theta)
    se = np.sqrt(np.diag(M @ cov @ M.T)).reshape(3, A.shape[1])
    assert model.fallback_ is None and model.statistic_ == "z"
    np.testing.assert_allclose(
        np.column_stack([model.intercept_, model.coef_]), beta, rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(model.standard_errors_, se, rtol=1e-4)
    np.testing.assert_allclose(
        model.p_values_, 2 * stats.norm.sf(np.abs(beta / se)), rtol=1e-3, atol=1e-10
    )
    assert model.conf_int_.shape == (3, A.shape[1], 2)
    # contrasts with class "a" (R's parameters) follow from the printed coefficients
    np.testing.assert_allclose(model.coef_[1:] - model.coef_[0], theta[:, 1:], rtol=1e-4, atol=1e-6)
