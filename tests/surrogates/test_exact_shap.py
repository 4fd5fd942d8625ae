"""exact_shap and permutation_shap against a brute-force permutation reference,
shap's KernelExplainer (exhaustive, hence exact) and the GLM closed form; plus
the shared helpers in surrogates/shap/_common.py and _masking.py."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

import surrogates.shap._common as shap_common
from glassbox import GLMClassifier, GLMRegressor
from surrogates.shap._common import (
    as_rows,
    check_additivity,
    feature_names_of,
    is_dask,
    row_chunks,
)
from surrogates.shap._masking import fill_masked
from surrogates.shap.exact import exact_shap
from surrogates.shap.permutation import permutation_shap


# ---------------------------------------------------------------- reference
def brute_force_shap(f, x, bg):
    """Slow reference: average marginal contributions over all M! orderings,
    v(S) = mean over background rows of f with features in S taken from x."""
    M = len(x)
    cache = {}

    def v(S):
        key = frozenset(S)
        if key not in cache:
            Z = bg.copy()
            idx = list(S)
            Z[:, idx] = x[idx]
            cache[key] = np.asarray(f(Z), dtype=float).mean(axis=0)
        return cache[key]

    phi = None
    for order in itertools.permutations(range(M)):
        S, prev = [], v(())
        for i in order:
            S.append(i)
            cur = v(S)
            d = cur - prev
            if phi is None:
                phi = np.zeros((M,) + np.shape(d))
            phi[i] += d
            prev = cur
    return phi / math.factorial(M)


def make_f(M, n_out=None, seed=0):
    """A model with interactions of every order (tanh of products) and, for
    n_out, several outputs."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(M, n_out or 1))
    U = rng.normal(size=(M, M)) / np.sqrt(M)

    def f(X):
        X = np.asarray(X, dtype=float)
        h = np.tanh(X @ U)
        out = np.tanh(h @ W + X[:, :1] * X[:, 1:2]) + 0.1 * np.prod(
            np.tanh(X), axis=1, keepdims=True
        )
        return out[:, 0] if n_out is None else out

    return f


@pytest.fixture(scope="module")
def data6():
    rng = np.random.default_rng(1)
    return rng.normal(size=(4, 6)), rng.normal(size=(9, 6))


# ---------------------------------------------------------------- exact_shap
def test_exact_matches_brute_force_multi_output(data6):
    X, bg = data6
    f = make_f(6, n_out=3)
    e = exact_shap(f, X, bg, progress=False)
    assert e.values.shape == (4, 6, 3) and e.base_values.shape == (4, 3)
    ref = np.stack([brute_force_shap(f, x, bg) for x in X])
    np.testing.assert_allclose(e.values, ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(e.base_values[0], f(bg).mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(e.output(), f(X), atol=1e-10)


def test_exact_matches_brute_force_eight_features():
    rng = np.random.default_rng(2)
    X, bg = rng.normal(size=(1, 8)), rng.normal(size=(5, 8))
    f = make_f(8)
    e = exact_shap(f, X, bg, progress=False)
    assert e.values.shape == (1, 8)
    np.testing.assert_allclose(e.values[0], brute_force_shap(f, X[0], bg), rtol=0, atol=1e-10)


def test_exact_matches_shap_kernel_explainer_exhaustive(data6):
    # shap's KernelExplainer enumerates every coalition when nsamples >= 2^M - 2,
    # which makes it exact: an independent implementation of the same values.
    import shap

    X, bg = data6
    f = make_f(6)
    e = exact_shap(f, X, bg, progress=False)
    ke = shap.KernelExplainer(f, bg)
    ref = ke.shap_values(X, nsamples=2**6, silent=True, l1_reg=False)
    np.testing.assert_allclose(e.values, np.asarray(ref), rtol=0, atol=1e-10)
    np.testing.assert_allclose(e.base_values, ke.expected_value, atol=1e-12)


def test_exact_glm_regressor_closed_form():
    # interventional SHAP of a linear predictor, training data as background,
    # equals the GLM's centred contributions coef * (x - mean(X_train)).
    rng = np.random.default_rng(3)
    Xtr = rng.normal(size=(60, 5))
    y = np.exp(0.3 * Xtr[:, 0] - 0.2 * Xtr[:, 3] + 0.1 * rng.normal(size=60))
    model = GLMRegressor(family="gamma").fit(Xtr, y)
    X = rng.normal(size=(4, 5))
    e = exact_shap(model.linear_predictor, X, Xtr, progress=False)
    ref = model.explain_local(X)
    np.testing.assert_allclose(e.values, ref.values, rtol=0, atol=1e-10)
    np.testing.assert_allclose(e.base_values, ref.base_values, atol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_exact_glm_classifier_closed_form(n_classes):
    rng = np.random.default_rng(4)
    Xtr = rng.normal(size=(80, 4))
    y = (Xtr[:, 0] + 0.5 * Xtr[:, 1] + rng.normal(size=80) > 0).astype(int)
    if n_classes == 3:
        y[Xtr[:, 2] > 0.7] = 2
    model = GLMClassifier().fit(Xtr, y)
    X = rng.normal(size=(3, 4))
    e = exact_shap(model.decision_function, X, Xtr, progress=False)
    ref = model.explain_local(X)
    np.testing.assert_allclose(e.values, ref.values, rtol=0, atol=1e-10)


def test_exact_dataframe_names_and_estimator_input():
    rng = np.random.default_rng(5)
    Xtr = pd.DataFrame(rng.normal(size=(50, 3)), columns=["age", "bmi", "bp"])
    y = (Xtr["age"] - Xtr["bp"] > 0).astype(int)
    model = GLMClassifier().fit(Xtr, y)
    e = exact_shap(model, Xtr.iloc[:3], Xtr.iloc[:20], progress=False)  # uses predict_proba
    assert e.feature_names == ("age", "bmi", "bp")
    assert e.values.shape == (3, 3, 2) and e.output_names == ("0", "1")
    np.testing.assert_allclose(e.output(), model.predict_proba(Xtr.iloc[:3]), atol=1e-10)
    ref = brute_force_shap(
        lambda Z: model.predict_proba(pd.DataFrame(Z, columns=Xtr.columns)),
        Xtr.to_numpy()[0],
        Xtr.to_numpy()[:20],
    )
    np.testing.assert_allclose(e.values[0], ref, atol=1e-10)


def test_exact_errors():
    rng = np.random.default_rng(6)
    f = make_f(3)
    with pytest.raises(ValueError, match="above the limit"):
        exact_shap(lambda X: X.sum(1), rng.normal(size=(1, 17)), rng.normal(size=(2, 17)))
    with pytest.raises(ValueError, match="background"):
        exact_shap(f, rng.normal(size=(2, 3)))
    with pytest.raises(ValueError, match="background has 4 features"):
        exact_shap(f, rng.normal(size=(2, 3)), rng.normal(size=(2, 4)))
    with pytest.raises(TypeError, match="callable"):
        exact_shap(object(), rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))
    with pytest.raises(ValueError, match="1-D"):
        exact_shap(f, np.zeros(3), rng.normal(size=(2, 3)))
    with pytest.raises(ValueError, match="model returned shape"):
        exact_shap(lambda X: np.zeros(len(X) + 1), rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))


# ---------------------------------------------------------------- permutation
def test_permutation_exact_for_pairwise_games(data6):
    # A reversed permutation pairs with the forward one so every pairwise
    # interaction is split evenly: for a model of interaction order <= 2 any
    # number of antithetic pairs gives the exact values.
    X, bg = data6
    rng = np.random.default_rng(7)
    Q = rng.normal(size=(6, 6))

    def f(Z):
        return np.einsum("ni,ij,nj->n", Z, Q, Z) + Z @ np.arange(6.0)

    p = permutation_shap(f, X, bg, n_permutations=2, random_state=0, progress=False)
    e = exact_shap(f, X, bg, progress=False)
    np.testing.assert_allclose(p.values, e.values, rtol=0, atol=1e-10)


def test_permutation_converges_with_standard_errors(data6):
    X, bg = data6
    f = make_f(6, n_out=2)
    e = exact_shap(f, X, bg, progress=False)
    p = permutation_shap(f, X, bg, n_permutations=200, random_state=0, progress=False)
    se = p.extras["standard_error"]
    assert se.shape == p.values.shape and se.max() > 0
    assert np.all(np.abs(p.values - e.values) <= 5 * se + 1e-12)
    np.testing.assert_allclose(p.output(), f(X), atol=1e-10)  # telescoping sums are exact
    assert np.abs(p.values - e.values).max() < 0.02


def test_permutation_same_seed_same_values_across_calls(data6):
    X, bg = data6
    f = make_f(6)
    a = permutation_shap(f, X, bg, n_permutations=6, random_state=3, progress=False)
    b = np.concatenate(
        [
            permutation_shap(
                f, X[i : i + 1], bg, n_permutations=6, random_state=3, progress=False
            ).values
            for i in range(len(X))
        ]
    )
    np.testing.assert_allclose(a.values, b, atol=1e-12)


# ---------------------------------------------------------------- shared helpers
def test_fill_masked_matches_numpy():
    rng = np.random.default_rng(8)
    X, bg = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    masks = rng.random((6, 5)) < 0.5
    out = fill_masked(X, bg, masks)
    ref = np.where(masks[None, :, None, :], X[:, None, None, :], bg[None, None, :, :]).reshape(
        -1, 5
    )
    np.testing.assert_array_equal(out, ref)


def test_serial_and_parallel_fill_kernels_agree_and_are_cached_apart():
    from surrogates.shap import _masking

    rng = np.random.default_rng(9)
    X, bg = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    masks = rng.random((6, 5)) < 0.5
    ref = np.where(masks[None, :, None, :], X[:, None, None, :], bg[None, None, :, :]).reshape(
        -1, 5
    )
    for kernel in (_masking._fill_masked, _masking._fill_masked_parallel):
        out = np.empty_like(ref)
        kernel(X, bg, masks, out)
        np.testing.assert_array_equal(out, ref)
    # numba names its cache files after the function's qualified name and keys them
    # without the compile flags: one name for both builds would let either load the other
    serial, parallel = _masking._fill_masked, _masking._fill_masked_parallel
    assert serial.py_func.__code__ is parallel.py_func.__code__  # one source
    assert serial.py_func.__qualname__ != parallel.py_func.__qualname__
    assert parallel.targetoptions.get("parallel") and not serial.targetoptions.get("parallel")


def test_as_rows_and_names():
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    rows = as_rows(frame, allow_nan=False)
    assert rows.dtype == np.float64 and rows.flags.c_contiguous and rows.shape == (2, 2)
    assert feature_names_of(frame, 2) == ("a", "b")
    assert feature_names_of(rows, 2) == ("x0", "x1")
    assert feature_names_of(rows, 2, ["u", "v"]) == ("u", "v")
    with pytest.raises(ValueError, match="2 features"):
        feature_names_of(rows, 2, ["u"])
    with pytest.raises(TypeError, match="not numeric"):
        as_rows(pd.DataFrame({"s": ["a", "b"]}), allow_nan=False)
    with pytest.raises(ValueError, match="NaN"):
        as_rows(np.array([[1.0, np.nan]]), allow_nan=False)
    assert np.isnan(as_rows(np.array([[1.0, np.nan]]), allow_nan=True)).any()
    with pytest.raises(ValueError, match="infinity"):
        as_rows(np.array([[1.0, np.inf]]), allow_nan=True)
    with pytest.raises(ValueError, match="empty"):
        as_rows(np.zeros((0, 3)), allow_nan=False)
    assert not is_dask(rows) and not is_dask(frame)


def test_check_additivity_names_failing_row():
    values = np.ones((3, 2))
    base = np.zeros(3)
    check_additivity(values, base, np.full(3, 2.0), method="m")
    with pytest.raises(ValueError, match="row 1"):
        check_additivity(values, base, np.array([2.0, 2.5, 2.0]), method="m")
    values3 = np.ones((2, 2, 3))
    check_additivity(values3, np.zeros((2, 3)), np.full((2, 3), 2.0), method="m")
    with pytest.raises(ValueError, match="row 0"):
        check_additivity(
            values3, np.zeros((2, 3)), np.array([[2.0, 2.0, 9.0], [2.0, 2.0, 2.0]]), method="m"
        )


def test_row_chunks_cover_rows_and_progress_can_be_silenced(capsys, monkeypatch):
    # bars appear after PROGRESS_DELAY seconds; these jobs are far shorter
    monkeypatch.setattr(shap_common, "PROGRESS_DELAY", 0.0)
    slices = list(row_chunks(10, 3, progress=False, desc="t"))
    assert [(s.start, s.stop) for s in slices] == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert capsys.readouterr().err == ""
    list(row_chunks(10, 3, progress=True, desc="tbar"))
    assert "tbar" in capsys.readouterr().err


def test_permutation_standard_errors_calibrated_with_few_pairs():
    """|error| / SE against exact values, on a game with interactions of every order
    (not the one the prior was tuned on): with 5 pairs the 99th percentile stays
    near the t(4) quantile (4.6; 91 before pooling), and no SE is 0 while wrong."""
    from scipy import stats

    rng = np.random.default_rng(11)
    M = 7
    X, bg = rng.normal(size=(40, M)), rng.normal(size=(12, M))
    f = make_f(M, seed=5)
    exact = exact_shap(f, X, bg, progress=False).values
    for n_perm in (4, 10):
        ratios = []
        for seed in range(4):
            p = permutation_shap(f, X, bg, n_permutations=n_perm, random_state=seed, progress=False)
            se = p.extras["standard_error"]
            err = np.abs(p.values - exact)
            assert not np.any((se == 0) & (err > 1e-9 * np.abs(exact).max()))
            ratios.append(err / se)
        df = (n_perm + 1) // 2 - 1
        q50, q99 = np.quantile(np.concatenate(ratios), [0.5, 0.99])
        assert q99 < 1.3 * stats.t.ppf(0.995, df), (n_perm, q99)
        assert q50 > 0.3, (n_perm, q50)  # honest, not uselessly wide


def test_permutation_exact_when_pairs_cover_every_order():
    rng = np.random.default_rng(12)
    X, bg = rng.normal(size=(5, 3)), rng.normal(size=(6, 3))
    f = make_f(3, n_out=2)
    p = permutation_shap(f, X, bg, n_permutations=6, random_state=0, progress=False)
    ref = np.array([brute_force_shap(f, x, bg) for x in X])
    np.testing.assert_allclose(p.values, ref.reshape(p.values.shape), atol=1e-12)
    assert np.all(p.extras["standard_error"] == 0)
    # one pair of 4 features: no spread to estimate from, the SE is unknown (NaN), not 0
    X4, bg4 = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    one = permutation_shap(make_f(4), X4, bg4, n_permutations=2, random_state=0, progress=False)
    assert np.all(np.isnan(one.extras["standard_error"]))


def _brute_interactions(f, x, bg):
    """shap's convention by enumeration: off-diagonal half the Shapley interaction
    index of v(S) = mean f(x on S, bg elsewhere); diagonal phi_i minus the rest."""
    M = len(x)

    def v(S):
        Z = bg.copy()
        Z[:, list(S)] = x[list(S)]
        return np.asarray(f(Z), dtype=float).mean(axis=0)

    phi = brute_force_shap(f, x, bg)
    out = np.zeros((M, M) + phi.shape[1:])
    for i, j in itertools.permutations(range(M), 2):
        others = [k for k in range(M) if k not in (i, j)]
        for t in range(M - 1):
            w = math.factorial(t) * math.factorial(M - t - 2) / math.factorial(M - 1) / 2
            for T in itertools.combinations(others, t):
                T = list(T)
                out[i, j] += w * (v(T + [i, j]) - v(T + [i]) - v(T + [j]) + v(T))
    for i in range(M):
        out[i, i] = phi[i] - out[i].sum(axis=0) + out[i, i]
    return out


@pytest.mark.parametrize("n_out", [None, 2])
def test_exact_interaction_values_brute_force(data6, n_out):
    X, bg = data6
    X, bg = X[:, :5], bg[:, :5]
    f = make_f(5, n_out=n_out, seed=3)
    got = exact_shap(f, X, bg, interactions=True, progress=False)
    inter = got.extras["interaction_values"]
    assert inter.shape == (len(X), 5, 5) + ((n_out,) if n_out else ())
    for r in range(len(X)):
        np.testing.assert_allclose(inter[r], _brute_interactions(f, X[r], bg), atol=1e-12)
    np.testing.assert_allclose(inter.sum(axis=2), got.values, atol=1e-12)
    # symmetric, and the same model calls as without interactions
    np.testing.assert_allclose(inter, np.swapaxes(inter, 1, 2), atol=1e-12)
    plain = exact_shap(f, X, bg, progress=False)
    assert plain.extras["n_model_evaluations"] == got.extras["n_model_evaluations"]


def test_exact_interactions_match_tree_shap_interventional():
    from sklearn.ensemble import RandomForestRegressor

    from surrogates.shap.tree import tree_shap

    rng = np.random.default_rng(9)
    X = rng.normal(size=(200, 4))
    y = X[:, 0] * X[:, 1] + X[:, 2]
    model = RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(X, y)
    bg = X[100:130]
    a = exact_shap(model.predict, X[:5], bg, interactions=True, progress=False)
    b = tree_shap(model, X[:5], background=bg, interactions=True, progress=False)
    np.testing.assert_allclose(
        a.extras["interaction_values"], b.extras["interaction_values"], atol=1e-10
    )
