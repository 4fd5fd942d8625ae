"""interaction_strength (Friedman's H) against a slow per-row reference."""

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingRegressor

from surrogates import interaction_strength


def _slow_pd(f, X, cols):
    """PD of ``cols`` at each row's own values, one model call per row, centred."""
    out = []
    for i in range(len(X)):
        Z = X.copy()
        Z[:, cols] = X[i, cols]
        out.append(f(Z).mean())
    out = np.array(out)
    return out - out.mean()


def _slow_h(f, X):
    p = X.shape[1]
    fx = f(X) - f(X).mean()
    one = [_slow_pd(f, X, [j]) for j in range(p)]
    h = []
    for j in range(p):
        rest = _slow_pd(f, X, [c for c in range(p) if c != j])
        h.append(np.sqrt(((fx - one[j] - rest) ** 2).sum() / (fx**2).sum()))
    pair = np.full((p, p), np.nan)
    for j in range(p):
        for k in range(j + 1, p):
            both = _slow_pd(f, X, [j, k])
            pair[j, k] = pair[k, j] = np.sqrt(
                ((both - one[j] - one[k]) ** 2).sum() / (both**2).sum()
            )
    return np.array(h), pair


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).uniform(-1, 1, size=(40, 3))


def test_equals_slow_reference(X):
    def f(Z):
        return Z[:, 0] * Z[:, 1] + np.sin(2 * Z[:, 2]) + 0.5 * Z[:, 0] ** 2 * Z[:, 2]

    res = interaction_strength(f, X, batch_rows=300)  # several calls, uneven blocks
    h, pair = _slow_h(f, X)
    np.testing.assert_allclose(res.importances, h, atol=1e-12)
    np.testing.assert_allclose(res.extras["pair_h"], pair, atol=1e-12)
    assert res.extras["pair_names"] == (("x0", "x1"), ("x0", "x2"), ("x1", "x2"))


def test_zero_on_additive_model(X):
    def f(Z):
        return Z[:, 0] ** 3 + np.exp(Z[:, 1]) - 2 * Z[:, 2]

    res = interaction_strength(f, X)
    np.testing.assert_allclose(res.importances, 0, atol=1e-7)
    off = res.extras["pair_h"][~np.eye(3, dtype=bool)]
    np.testing.assert_allclose(off, 0, atol=1e-7)


def test_pure_product_is_all_interaction():
    X = np.random.default_rng(1).uniform(-1, 1, size=(150, 3))
    res = interaction_strength(lambda Z: Z[:, 0] * Z[:, 1] + Z[:, 2], X, features=["x0", "x1"])
    assert res.extras["pair_h"][0, 1] > 0.9  # 1 in the population
    assert res.term_names == ("x0", "x1")


def test_gradient_boosting_stumps_have_no_interactions(X):
    y = X[:, 0] ** 2 + X[:, 1]
    stumps = GradientBoostingRegressor(max_depth=1, n_estimators=30, random_state=0).fit(X, y)
    res = interaction_strength(stumps, X, max_rows=30, random_state=0)
    np.testing.assert_allclose(res.importances, 0, atol=1e-7)
    deep = GradientBoostingRegressor(max_depth=3, n_estimators=30, random_state=0).fit(
        X, y + X[:, 0] * X[:, 2]
    )
    assert interaction_strength(deep, X, pairs=False).importances.max() > 0.05


@pytest.mark.parametrize("kind", ["gb", "rf_clf", "xgb"])
def test_tree_path_equals_brute(X, kind):
    """The H statistic from the exact tree PD equals the one from asking the model."""
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(3)
    Xw = np.column_stack([X, rng.normal(size=len(X))])
    y = Xw[:, 0] * Xw[:, 1] + np.sin(2 * Xw[:, 2]) + 0.3 * Xw[:, 3] * Xw[:, 0]
    if kind == "gb":
        model = GradientBoostingRegressor(max_depth=3, n_estimators=25, random_state=0).fit(Xw, y)
    elif kind == "rf_clf":
        model = RandomForestClassifier(10, max_depth=6, random_state=0).fit(Xw, y > 0)
    else:
        xgb = pytest.importorskip("xgboost")
        model = xgb.XGBRegressor(n_estimators=30, max_depth=3).fit(Xw, y)
    tree = interaction_strength(model, Xw, method="tree")
    brute = interaction_strength(model, Xw, method="brute")
    assert tree.importances.max() > 0.05
    # xgboost's own prediction sums float32 values; the trees are summed in float64
    tol = 1e-5 if kind == "xgb" else 1e-10
    np.testing.assert_allclose(tree.importances, brute.importances, rtol=0, atol=tol)
    np.testing.assert_allclose(tree.extras["pair_h"], brute.extras["pair_h"], rtol=0, atol=tol)
    np.testing.assert_allclose(
        tree.extras["h_unnormalised"], brute.extras["h_unnormalised"], rtol=0, atol=tol
    )
    with pytest.raises(TypeError, match="method='tree'"):
        interaction_strength(model.predict, Xw, method="tree")
