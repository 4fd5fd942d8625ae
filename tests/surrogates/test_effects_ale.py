"""ale: closed-form shapes, a slow loop reference, additive glassbox models."""

import numpy as np
import pytest

from surrogates import ale


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).uniform(-1, 1, size=(2000, 3))


def f_sq(Z):
    return Z[:, 0] ** 2 + Z[:, 1]


def _slow_first_order(f, X, j, edges):
    """Apley and Zhu's estimator written out bin by bin."""
    K = len(edges) - 1
    steps, counts = np.zeros(K), np.zeros(K)
    for k in range(1, K + 1):
        inside = (X[:, j] > edges[k - 1]) & (X[:, j] <= edges[k])
        if k == 1:
            inside |= X[:, j] == edges[0]
        rows = X[inside]
        lo, hi = rows.copy(), rows.copy()
        lo[:, j], hi[:, j] = edges[k - 1], edges[k]
        counts[k - 1] = len(rows)
        steps[k - 1] = np.mean(f(hi) - f(lo)) if len(rows) else 0.0
    acc = np.concatenate([[0.0], np.cumsum(steps)])
    centre = sum(counts[k] * (acc[k] + acc[k + 1]) / 2 for k in range(K)) / counts.sum()
    return acc - centre


def test_recovers_centred_true_shapes(X):
    a0 = ale(f_sq, X, 0, bins=20)
    a1 = ale(f_sq, X, 1, bins=20)
    # within bin error of the true shapes centred over the data
    np.testing.assert_allclose(a0.values[:, 0], a0.grid[0] ** 2 - np.mean(X[:, 0] ** 2), atol=5e-3)
    np.testing.assert_allclose(a1.values[:, 0], a1.grid[0] - np.mean(X[:, 1]), atol=5e-3)
    # the steps are exact differences of the true function
    np.testing.assert_allclose(np.diff(a0.values[:, 0]), np.diff(a0.grid[0] ** 2), atol=1e-12)
    flat = ale(f_sq, X, 2, bins=10)
    np.testing.assert_allclose(flat.values, 0, atol=1e-12)


def test_first_order_equals_slow_reference(X):
    def f(Z):
        return np.sin(3 * Z[:, 0]) * Z[:, 1] + Z[:, 2]

    Xc = X.copy()
    Xc[:, 1] = 0.7 * Xc[:, 0] + 0.3 * Xc[:, 1]  # correlated, where ALE differs from PD
    res = ale(f, Xc, 0, bins=13)
    ref = _slow_first_order(f, Xc, 0, res.grid[0])
    np.testing.assert_allclose(res.values[:, 0], ref, atol=1e-12)
    np.testing.assert_array_equal(
        res.grid[0], np.unique(np.quantile(Xc[:, 0], np.linspace(0, 1, 14)))
    )


def test_second_order_of_a_product(X):
    def g(Z):
        return Z[:, 0] * Z[:, 1] + Z[:, 0] ** 2 + np.exp(Z[:, 1])

    res = ale(g, X, [0, 1], bins=10)
    u, v = np.meshgrid(*res.grid, indexing="ij")
    truth = (u - X[:, 0].mean()) * (v - X[:, 1].mean())  # the pure interaction, centred
    assert np.abs(res.values[..., 0] - truth).max() < 0.06
    additive = ale(f_sq, X, [0, 1], bins=10)
    np.testing.assert_allclose(additive.values, 0, atol=1e-12)


def test_bootstrap_band_brackets_the_curve(X):
    def noisy(Z):
        return Z[:, 0] ** 2 + np.sin(40 * Z[:, 1]) * Z[:, 0]

    res = ale(noisy, X, 0, bins=10, n_bootstrap=30, random_state=0)
    assert res.lower.shape == res.values.shape
    assert np.all(res.lower <= res.values + 1e-9) and np.all(res.values <= res.upper + 1e-9)
    assert np.any(res.upper - res.lower > 1e-3)
    frame = res.to_frame()
    assert {"lower", "upper", "value"} <= set(frame.columns)


def test_categorical_levels_ordered_by_similarity():
    rng = np.random.default_rng(1)
    n = 3000
    level = rng.integers(0, 4, n)
    code = np.array([2.0, 0.0, 3.0, 1.0])[level]  # codes whose numeric order is meaningless
    x0 = level + rng.normal(scale=0.8, size=n)  # the other feature orders the levels 0<1<2<3
    X = np.column_stack([x0, code])
    res = ale(lambda Z: Z[:, 1] ** 2, X, 1, categorical=True)
    order = list(res.grid[0])
    assert order in ([2.0, 0.0, 3.0, 1.0], [1.0, 3.0, 0.0, 2.0])
    # effect of level k minus level k-1 is the model's own difference
    expected = np.array(order) ** 2
    counts = np.array([np.count_nonzero(code == c) for c in order])
    np.testing.assert_allclose(
        res.values[:, 0], expected - (expected * counts).sum() / n, atol=1e-12
    )


def test_additive_glassbox_models_reproduce_their_shapes():
    from glassbox import EBMRegressor, GLMRegressor

    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, size=(400, 3))
    X[:, 2] = 0.5 * X[:, 0] + 0.5 * X[:, 2]
    y = X[:, 0] ** 2 + X[:, 1] + 0.1 * rng.normal(size=400)
    glm = GLMRegressor().fit(X, y)
    res = ale(glm, X, 2, bins=8)
    np.testing.assert_allclose(
        np.diff(res.values[:, 0]) / np.diff(res.grid[0]),
        glm.explain_global().coefficients[2],
        atol=1e-9,
    )
    ebm = EBMRegressor(outer_bags=1, interactions=0).fit(X, y)
    shape = ebm.explain_global().shapes[0]
    edges = shape.grid[0][(shape.grid[0] > -1.5) & (shape.grid[0] < 1.5)][::10]
    res = ale(ebm, X, 0, bins=edges)
    lookup = dict(zip(shape.grid[0], shape.values, strict=True))
    expected = np.array([lookup[e] for e in edges])
    diff = res.values[:, 0] - expected
    np.testing.assert_allclose(diff, diff[0], atol=1e-9)


def test_bad_input(X):
    with pytest.raises(ValueError, match="n_bootstrap"):
        ale(f_sq, X, 0, n_bootstrap=-1)
    with pytest.raises(ValueError, match="pair"):
        ale(f_sq, X, [0, 1, 2])
    with pytest.raises(ValueError, match="single value"):
        ale(f_sq, np.column_stack([np.ones(10), X[:10, 1:]]), 0)


def test_pair_with_bins_per_feature(X):
    res = ale(lambda Z: Z[:, 0] * Z[:, 1], X, [0, 1], bins=(4, 6))
    assert res.values.shape == (5, 7, 1) and res.counts.shape == (4, 6)
    assert res.counts.sum() == len(X)


def test_gam_shape_is_reproduced():
    from glassbox import GAMRegressor

    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, size=(200, 2))
    y = np.sin(X[:, 0]) + X[:, 1]
    gam = GAMRegressor(lam=1.0, verbose=False).fit(X, y)
    shape = gam.explain_global().shapes[0]
    inside = shape.grid[0][(shape.grid[0] >= X[:, 0].min()) & (shape.grid[0] <= X[:, 0].max())]
    edges = inside[::7]
    res = ale(gam, X, 0, bins=edges)
    expected = np.interp(edges, shape.grid[0], shape.values)  # edges are grid points
    diff = res.values[:, 0] - expected
    np.testing.assert_allclose(diff, diff[0], atol=1e-9)


@pytest.mark.parametrize("kind", ["rf", "gb_clf"])
def test_tree_models_equal_asking_the_model(X, kind):
    """Tree models' edge values come from their trees (no model call): the same ALE
    as through a plain function calling the model, first and second order."""
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor

    y = X[:, 0] ** 2 + X[:, 1] * X[:, 2]
    if kind == "rf":
        model = RandomForestRegressor(10, max_depth=8, random_state=0).fit(X, y)
        fn = model.predict
    else:
        model = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(X, y > 0.3)
        fn = model.predict_proba
    for feats in (0, [1, 2]):
        fast = ale(model, X, feats, bins=10)
        slow = ale(lambda Z: fn(Z), X, feats, bins=10)
        np.testing.assert_allclose(fast.values, slow.values, rtol=0, atol=1e-12)
        assert np.abs(fast.values).max() > 0.01
