"""linear_shap against the closed form coef * (x - mean(background)),
shap.LinearExplainer, exact_shap on the linear predictor and the GLMs' own
explain_local."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
)
from sklearn.tree import DecisionTreeRegressor

from glassbox import GLMClassifier, GLMRegressor
from surrogates.shap.exact import exact_shap
from surrogates.shap.linear import linear_shap


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5)) * [1, 2, 0.5, 3, 1] + [0, 1, -2, 0, 5]
    eta = X @ np.array([0.5, -0.2, 0.3, 0.1, -0.4])
    return X, eta, rng


def _closed_form(coef, intercept, X, bg):
    coef = np.atleast_2d(coef)
    mean = bg.mean(axis=0)
    values = (X - mean)[:, :, None] * coef.T[None]
    base = np.atleast_1d(intercept) + coef @ mean
    return values, base


def _shap_linear(model, X, bg):
    import shap

    explainer = shap.LinearExplainer(model, bg)  # Independent masker: mean of bg (<= 100 rows)
    return np.asarray(explainer.shap_values(X)), np.asarray(explainer.expected_value)


def test_linear_regression_vs_closed_form_and_shap(data):
    X, eta, rng = data
    y = eta + rng.normal(size=len(X))
    for model in (LinearRegression().fit(X, y), Ridge(alpha=3.0).fit(X, y)):
        bg = X[:50]
        phi = linear_shap(model, X[:7], bg)
        values, base = _closed_form(model.coef_, model.intercept_, X[:7], bg)
        np.testing.assert_allclose(phi.values, values[:, :, 0], rtol=0, atol=1e-10)
        np.testing.assert_allclose(phi.base_values, base[0], rtol=0, atol=1e-10)
        sv, ev = _shap_linear(model, X[:7], bg)
        np.testing.assert_allclose(phi.values, sv, rtol=0, atol=1e-10)
        np.testing.assert_allclose(phi.base_values, ev, atol=1e-10)
        assert phi.link == "identity" and phi.method == "linear_shap"


def test_logistic_binary_log_odds(data):
    X, eta, rng = data
    y = (eta + rng.logistic(size=len(X)) > eta.mean()).astype(int)
    model = LogisticRegression().fit(X, y)
    phi = linear_shap(model, X[:6], X)
    assert phi.values.shape == (6, 5) and phi.link == "logit" and phi.output_names == ("1",)
    np.testing.assert_allclose(phi.output(), model.decision_function(X[:6]), atol=1e-10)
    values, base = _closed_form(model.coef_, model.intercept_, X[:6], X)
    np.testing.assert_allclose(phi.values, values[:, :, 0], rtol=0, atol=1e-10)
    sv, _ = _shap_linear(model, X[:6], X[:80])
    np.testing.assert_allclose(phi.values, sv, rtol=0, atol=1e-10)


def test_logistic_multiclass(data):
    X, eta, rng = data
    y = np.digitize(eta + 0.3 * rng.normal(size=len(X)), np.quantile(eta, [0.33, 0.66]))
    model = LogisticRegression().fit(X, y)
    phi = linear_shap(model, X[:4], X)
    assert phi.values.shape == (4, 5, 3) and phi.link == "softmax"
    values, base = _closed_form(model.coef_, model.intercept_, X[:4], X)
    np.testing.assert_allclose(phi.values, values, rtol=0, atol=1e-10)
    np.testing.assert_allclose(phi.output(), model.decision_function(X[:4]), atol=1e-10)
    sv, _ = _shap_linear(model, X[:4], X)
    np.testing.assert_allclose(phi.values, sv, rtol=0, atol=1e-10)


def test_poisson_on_log_scale_equals_exact_shap_of_eta(data):
    X, eta, rng = data
    y = rng.poisson(np.exp(0.3 * eta))
    model = PoissonRegressor(alpha=0.01).fit(X, y)
    phi = linear_shap(model, X[:5], X[:30])
    assert phi.link == "log"
    np.testing.assert_allclose(phi.output(), np.log(model.predict(X[:5])), atol=1e-10)
    ex = exact_shap(lambda Z: np.log(model.predict(Z)), X[:5], X[:30], progress=False)
    np.testing.assert_allclose(phi.values, ex.values, rtol=0, atol=1e-10)


def test_glassbox_glms_equal_their_own_explanations(data):
    X, eta, rng = data
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    reg = GLMRegressor(family="poisson").fit(frame, rng.poisson(np.exp(0.3 * eta)))
    phi = linear_shap(reg, frame.iloc[:5])  # background defaults to the training mean
    ref = reg.explain_local(frame.iloc[:5])
    np.testing.assert_allclose(phi.values, ref.values, rtol=0, atol=1e-10)
    np.testing.assert_allclose(phi.base_values, ref.base_values, rtol=0, atol=1e-10)
    assert phi.feature_names == ("a", "b", "c", "d", "e") and phi.link == "log"
    np.testing.assert_allclose(
        linear_shap(reg, frame.iloc[:5], frame).values, ref.values, atol=1e-10
    )

    clf = GLMClassifier().fit(X, (eta > eta.mean()).astype(int))
    phi = linear_shap(clf, X[:5], X)
    np.testing.assert_allclose(phi.values, clf.explain_local(X[:5]).values, rtol=0, atol=1e-10)
    ex = exact_shap(clf.decision_function, X[:5], X, progress=False)
    np.testing.assert_allclose(phi.values, ex.values, rtol=0, atol=1e-10)


def test_errors(data):
    X, eta, _ = data
    with pytest.raises(TypeError, match="coef_"):
        linear_shap(DecisionTreeRegressor().fit(X, eta), X[:2], X)
    model = LinearRegression().fit(X, eta)
    with pytest.raises(ValueError, match="background"):
        linear_shap(model, X[:2])
    with pytest.raises(ValueError, match="features"):
        linear_shap(model, X[:2, :3], X)
    with pytest.raises(ValueError, match="NaN"):
        linear_shap(model, np.full((1, 5), np.nan), X)


def test_frames_are_matched_to_the_model_by_column_name():
    from sklearn.linear_model import LinearRegression

    from surrogates.shap import exact_shap

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
    model = LinearRegression().fit(X, X @ np.array([1.0, -2.0, 3.0, 0.5]))
    ref = linear_shap(model, X[:5], X)
    shuffled = X[["d", "c", "b", "a"]]
    np.testing.assert_allclose(linear_shap(model, X[:5], shuffled).values, ref.values)
    np.testing.assert_allclose(linear_shap(model, shuffled[:5], X).values, ref.values)
    ex = exact_shap(model, X[:5], shuffled[:20])
    np.testing.assert_allclose(ex.values, exact_shap(model, X[:5], X[:20]).values, atol=1e-12)
    # a callable gets the background matched to X's columns
    f = lambda Z: np.asarray(Z) @ np.array([1.0, -2.0, 3.0, 0.5])  # noqa: E731
    np.testing.assert_allclose(exact_shap(f, X[:5], shuffled[:20]).values, ex.values, atol=1e-12)
    with pytest.raises(ValueError, match=r"background columns do not match.*missing \['a'\]"):
        linear_shap(model, X[:5], X.rename(columns={"a": "z"}))
    with pytest.raises(ValueError, match=r"background columns do not match X's columns"):
        exact_shap(f, X[:5], X.rename(columns={"a": "z"}))


def test_non_finite_model_output_is_an_error_not_nan_values():
    from surrogates.shap import exact_shap, permutation_shap

    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3))
    bg = X.copy()
    bg[5, 1] = np.nan  # NaN in one background row reaches the model through masking
    for explain in (exact_shap, permutation_shap):
        with pytest.raises(ValueError, match="NaN or infinity for the row"):
            explain(lambda Z: Z[:, 0] * 2 + Z[:, 1], X[:3], bg)
    with pytest.raises(ValueError, match="has no columns"):
        exact_shap(lambda Z: Z.sum(1), np.empty((3, 0)), np.empty((3, 0)))
    with pytest.raises(ValueError, match="X is None"):
        exact_shap(lambda Z: Z.sum(1), None, X)


def test_seed_width_and_pandas_na_errors_are_named():
    from surrogates.shap import exact_shap, permutation_shap
    from surrogates.shap._masking import seed_of

    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3))
    with pytest.raises(TypeError, match="random_state must be None"):
        permutation_shap(lambda Z: Z.sum(1), X[:2], X, random_state="x")
    with pytest.raises(ValueError, match="non-negative integer"):
        seed_of(-1)
    assert seed_of(7) == 7
    calls = []

    def widening(Z):  # 1 output on the first call (the background probe), 2 later
        calls.append(1)
        return Z[:, :1] if len(calls) == 1 else Z[:, :2]

    with pytest.raises(ValueError, match="same number of outputs on every call"):
        exact_shap(widening, X[:2], X)
    frame = pd.DataFrame({"a": pd.array([1, None, 3] * 3, dtype="Int64"), "b": np.ones(9)})
    with pytest.raises(ValueError, match="contains NaN"):
        linear_shap(GLMRegressor().fit(frame.fillna(0), np.arange(9.0)), frame)


def test_frames_without_string_names_are_read_by_position():
    from sklearn.linear_model import LinearRegression

    from surrogates.shap import exact_shap, tree_shap

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    model = LinearRegression().fit(X, X @ np.array([1.0, 2.0, -1.0]))
    unnamed = pd.DataFrame(X.to_numpy())  # columns 0, 1, 2: positions, as scikit-learn reads them
    np.testing.assert_allclose(
        linear_shap(model, X[:4], unnamed).values, linear_shap(model, X[:4], X).values
    )
    np.testing.assert_allclose(
        exact_shap(model, X[:4], unnamed[:10]).values,
        exact_shap(model, X[:4], X[:10]).values,
        atol=1e-12,
    )
    from sklearn.tree import DecisionTreeRegressor

    tree = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, X["a"])
    np.testing.assert_allclose(
        tree_shap(tree, unnamed[:4], progress=False).values,
        tree_shap(tree, X[:4], progress=False).values,
    )


def _brute_shapley(f, x_row, background):
    """Interventional Shapley values of f at one row over the frame's columns, by
    enumerating every coalition (columns outside it come from the background)."""
    import itertools
    import math

    cols = list(background.columns)
    p = len(cols)

    def v(subset):
        rows = background.copy()
        for c in subset:
            rows[c] = x_row[c].iloc[0]
        return np.asarray(f(rows), dtype=float).mean(axis=0)

    cache = {s: v(s) for r in range(p + 1) for s in itertools.combinations(cols, r)}
    phi = []
    for c in cols:
        others = [o for o in cols if o != c]
        total = 0.0
        for r in range(p):
            w = math.factorial(r) * math.factorial(p - r - 1) / math.factorial(p)
            for s in itertools.combinations(others, r):
                with_c = tuple(o for o in cols if o in s or o == c)
                total = total + w * (cache[with_c] - cache[s])
        phi.append(total)
    return np.array(phi)


@pytest.mark.parametrize("task", ["classifier", "poisson"])
def test_glm_with_text_columns_matches_brute_force_shapley(credit_table, task):
    from glassbox import GLMClassifier, GLMRegressor

    d = credit_table(n=200).dropna()
    X = d[["Seniority", "Home", "Records", "Grade", "Income"]]
    if task == "classifier":
        model = GLMClassifier().fit(X, d["Status"])
        f = model.decision_function
    else:
        model = GLMRegressor(family="poisson").fit(X, d["Visits"])
        f = model.linear_predictor
    bg = X.iloc[:25]
    got = linear_shap(model, X.iloc[:3], background=bg)
    assert got.feature_names == tuple(X.columns)
    for i in range(3):
        ref = _brute_shapley(f, X.iloc[[i]], bg)
        np.testing.assert_allclose(got.values[i], ref, atol=1e-9)
    # without background: the training mean of every level dummy, as explain_local
    np.testing.assert_allclose(
        linear_shap(model, X.iloc[:3]).values, model.explain_local(X.iloc[:3]).values
    )


# ---------------------------------------------------------------- scipy sparse
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_X_matches_shap_and_dense(fmt):
    import scipy.sparse as sp
    import shap
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = sp.random(200, 30, density=0.1, random_state=0, format="csr")
    y = (X @ rng.normal(size=30) > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    # shap's masker keeps at most 100 background rows: 80 are used whole
    B, rows = X[:80].asformat(fmt), X[100:120].asformat(fmt)
    got = linear_shap(model, rows, background=B)  # additivity against decision_function
    ref = shap.LinearExplainer(model, X[:80]).shap_values(X[100:120])
    ref = ref.toarray() if sp.issparse(ref) else np.asarray(ref)
    np.testing.assert_allclose(got.values, ref, rtol=1e-10, atol=1e-12)
    dense = linear_shap(model, rows.toarray(), background=B.toarray())
    np.testing.assert_allclose(got.values, dense.values, atol=1e-14)
    np.testing.assert_allclose(got.base_values, dense.base_values, atol=1e-14)
    bad = X[:5].tolil()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        linear_shap(model, bad.tocsr(), background=B)
