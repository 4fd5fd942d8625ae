"""tree_shap against independent oracles.

1. A slow pure-numpy brute force kept here: Shapley values by enumerating all
   feature subsets of the game v(S) -- the cover-weighted conditional
   expectation walked directly on the scikit-learn tree arrays (path-dependent),
   or the mean of model.predict on hybrid rows (interventional) -- compared at
   1e-10 on float64 scikit-learn models.
2. The shap package on the same xgboost and scikit-learn models, to 1e-5 of the
   largest |value| (xgboost itself works in float32).
3. xgboost's own pred_contribs for NaN inputs.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import surrogates.shap._common as shap_common
from glassbox import LocalExplanation
from surrogates.shap import tree as tree_mod
from surrogates.shap.tree import tree_shap

# ---------------------------------------------------------------------------
# brute-force reference


def _cond_expectation(tree, x, S: set[int], scale: float) -> np.ndarray:
    """E[f(x) | x_S] on one scikit-learn tree, weighting unknown splits by cover."""
    t = tree.tree_
    value = t.value[:, 0, :] / (t.value[:, 0, :].sum(axis=1, keepdims=True) if scale < 0 else 1.0)

    def rec(node: int) -> np.ndarray:
        if t.children_left[node] < 0:
            return value[node]
        left, right = t.children_left[node], t.children_right[node]
        f = t.feature[node]
        if f in S:
            xv = np.float32(x[f])
            go_left = bool(t.missing_go_to_left[node]) if np.isnan(xv) else xv <= t.threshold[node]
            return rec(left if go_left else right)
        w = t.weighted_n_node_samples
        return (w[left] * rec(left) + w[right] * rec(right)) / w[node]

    return rec(0) * abs(scale)


def _shapley(v, M: int) -> np.ndarray:
    """Exact Shapley values of the game v (set -> array) over M players."""
    cache = {}

    def val(S):
        key = frozenset(S)
        if key not in cache:
            cache[key] = np.asarray(v(key), dtype=np.float64)
        return cache[key]

    phi = np.zeros((M,) + val(()).shape)
    for i in range(M):
        others = [j for j in range(M) if j != i]
        for k in range(M):
            w = math.factorial(k) * math.factorial(M - k - 1) / math.factorial(M)
            for S in itertools.combinations(others, k):
                phi[i] += w * (val(S + (i,)) - val(S))
    return phi


def _interactions(v, M: int) -> np.ndarray:
    """Shapley interaction index (shap's convention: off-diagonal halves, diagonal
    = phi_i minus the row's off-diagonal sum), by enumeration."""
    phi = _shapley(v, M)
    out = np.zeros((M, M) + phi.shape[1:])
    for i, j in itertools.permutations(range(M), 2):
        others = [k for k in range(M) if k not in (i, j)]
        for k in range(M - 1):
            w = math.factorial(k) * math.factorial(M - k - 2) / (2 * math.factorial(M - 1))
            for S in itertools.combinations(others, k):
                S = set(S)
                out[i, j] += w * (
                    np.asarray(v(frozenset(S | {i, j})))
                    - v(frozenset(S | {i}))
                    - v(frozenset(S | {j}))
                    + v(frozenset(S))
                )
    for i in range(M):
        out[i, i] = phi[i] - out[i].sum(axis=0) + out[i, i]
    return out


def _members(model):
    """(tree, scale, offset) for each tree: scale < 0 means normalise class counts."""
    name = type(model).__name__
    if name.startswith("GradientBoosting"):
        off = model._raw_predict_init(np.zeros((1, model.n_features_in_)))[0]
        return [(t, model.learning_rate) for t in model.estimators_[:, 0]], off
    trees = [model] if name.startswith("DecisionTree") else list(model.estimators_)
    sign = -1.0 if hasattr(model, "classes_") else 1.0
    return [(t, sign / len(trees)) for t in trees], 0.0


def _brute_path_dependent(model, x):
    members, off = _members(model)
    return _shapley(lambda S: sum(_cond_expectation(t, x, S, s) for t, s in members) + off, len(x))


def _brute_interventional(predict, x, B):
    M = len(x)

    def v(S):
        hybrid = B.copy()
        idx = list(S)
        hybrid[:, idx] = x[idx]
        return predict(hybrid).mean(axis=0)

    return _shapley(v, M)


# ---------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def reg_data():
    X, y = make_regression(300, 6, n_informative=4, noise=5.0, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def clf_data():
    X, y = make_classification(300, 6, n_informative=4, n_redundant=0, random_state=0)
    return X, y


def _sk_models(reg_data, clf_data):
    X, y = reg_data
    Xc, yc = clf_data
    return [
        ("tree_reg", DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y), X),
        ("rf_reg", RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(X, y), X),
        ("et_reg", ExtraTreesRegressor(n_estimators=4, max_depth=4, random_state=0).fit(X, y), X),
        (
            "gb_reg",
            GradientBoostingRegressor(n_estimators=8, max_depth=3, random_state=0).fit(X, y),
            X,
        ),
        ("tree_clf", DecisionTreeClassifier(max_depth=4, random_state=0).fit(Xc, yc), Xc),
        (
            "rf_clf",
            RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(Xc, yc),
            Xc,
        ),
        (
            "gb_clf",
            GradientBoostingClassifier(n_estimators=8, max_depth=3, random_state=0).fit(Xc, yc),
            Xc,
        ),
    ]


def _raw(model):
    if type(model).__name__ == "GradientBoostingClassifier":
        return lambda Z: model.decision_function(Z).reshape(len(Z), -1)
    if hasattr(model, "classes_"):
        return model.predict_proba
    return lambda Z: model.predict(Z)


# ---------------------------------------------------------------------------
# brute force vs kernels (1e-10)


@pytest.mark.parametrize("tables", [True, False], ids=["tables", "on_the_fly"])
def test_path_dependent_matches_brute_force(reg_data, clf_data, tables, monkeypatch):
    if not tables:
        monkeypatch.setattr(tree_mod, "_TABLE_D", 0)
    for name, model, X in _sk_models(reg_data, clf_data):
        rows = X[:3]
        got = tree_shap(model, rows, progress=False)
        vals = got.values if got.values.ndim == 3 else got.values[:, :, None]
        for r in range(len(rows)):
            ref = _brute_path_dependent(model, rows[r]).reshape(vals[r].shape)
            np.testing.assert_allclose(vals[r], ref, rtol=0, atol=1e-10, err_msg=name)
        # base value = E[f] with nothing known
        members, off = _members(model)
        base = sum(_cond_expectation(t, rows[0], set(), s) for t, s in members) + off
        np.testing.assert_allclose(
            np.ravel(got.base_values[0]), np.ravel(base), atol=1e-10, err_msg=name
        )
        # additivity against the model's own output
        np.testing.assert_allclose(
            got.output().reshape(len(rows), -1),
            np.asarray(_raw(model)(rows)).reshape(len(rows), -1),
            atol=1e-9,
        )


@pytest.mark.parametrize("tables", [True, False], ids=["tables", "sparse"])
def test_interventional_matches_brute_force(reg_data, clf_data, tables, monkeypatch):
    if not tables:
        monkeypatch.setattr(tree_mod, "_TABLE_D", 0)
    for name, model, X in _sk_models(reg_data, clf_data):
        B = X[100:130]
        rows = X[:3]
        got = tree_shap(model, rows, background=B, progress=False)
        assert got.method == "tree_shap_interventional"
        vals = got.values if got.values.ndim == 3 else got.values[:, :, None]
        predict = _raw(model)
        for r in range(len(rows)):
            ref = _brute_interventional(predict, rows[r], B).reshape(vals[r].shape)
            np.testing.assert_allclose(vals[r], ref, rtol=0, atol=1e-10, err_msg=name)
        base = np.asarray(predict(B)).reshape(len(B), -1).mean(axis=0)
        np.testing.assert_allclose(np.ravel(got.base_values[0]), base, atol=1e-10)


def test_interactions_match_brute_force(reg_data, clf_data):
    for name, model, X in _sk_models(reg_data, clf_data)[:5:2]:
        rows = X[:2]
        got = tree_shap(model, rows, interactions=True, progress=False)
        inter = got.extras["interaction_values"]
        members, off = _members(model)
        for r in range(len(rows)):
            ref = _interactions(
                lambda S, x=rows[r], ms=members, o=off: (
                    sum(_cond_expectation(t, x, S, s) for t, s in ms) + o
                ),
                rows.shape[1],
            )
            np.testing.assert_allclose(
                inter[r], ref.reshape(inter[r].shape), atol=1e-10, err_msg=name
            )
        np.testing.assert_allclose(inter.sum(axis=2), got.values, atol=1e-10)


def test_sklearn_nan_follows_missing_go_to_left():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 5))
    y = X[:, 0] * 2 + X[:, 1] + rng.normal(size=300)
    X[rng.random(X.shape) < 0.15] = np.nan
    model = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y)
    rows = X[:6]
    assert np.isnan(rows).any()
    got = tree_shap(model, rows, progress=False)  # additivity checks model.predict too
    for r in range(len(rows)):
        ref = _brute_path_dependent(model, rows[r]).reshape(got.values[r].shape)
        np.testing.assert_allclose(got.values[r], ref, atol=1e-10)


# ---------------------------------------------------------------------------
# vs the shap package


def _rel(a, b):
    return np.abs(np.asarray(a) - np.asarray(b)).max() / np.abs(np.asarray(b)).max()


@pytest.fixture(scope="module")
def xgb_models(reg_data, clf_data):
    import xgboost as xgb

    X, y = reg_data
    Xc, yc = clf_data
    params = dict(n_estimators=30, max_depth=4, learning_rate=0.3, n_jobs=1, random_state=0)
    return {
        "reg": (xgb.XGBRegressor(**params).fit(X, y), X),
        "bin": (xgb.XGBClassifier(**params).fit(Xc, yc), Xc),
        "multi": (
            xgb.XGBClassifier(**params).fit(Xc, (Xc[:, 0] > 0).astype(int) + (Xc[:, 1] > 0.5)),
            Xc,
        ),
    }


@pytest.mark.parametrize("kind", ["reg", "bin", "multi"])
def test_xgboost_matches_shap(xgb_models, kind):
    import shap

    model, X = xgb_models[kind]
    rows = X[:80]
    got = tree_shap(model, rows, progress=False)
    ex = shap.TreeExplainer(model)
    ref = np.asarray(ex.shap_values(rows))
    assert got.values.shape == ref.shape
    assert _rel(got.values, ref) < 1e-5
    np.testing.assert_allclose(
        np.ravel(got.base_values[0]), np.ravel(ex.expected_value), rtol=1e-5, atol=1e-5
    )
    assert got.link == {"reg": "identity", "bin": "logit", "multi": "softmax"}[kind]
    # and xgboost's own exact contributions
    import xgboost as xgb

    contrib = model.get_booster().predict(xgb.DMatrix(rows), pred_contribs=True)
    contrib = np.moveaxis(contrib, 1, 2) if contrib.ndim == 3 else contrib
    assert _rel(got.values, contrib[:, :-1]) < 1e-5


@pytest.mark.parametrize("kind", ["reg", "bin", "multi"])
def test_xgboost_interventional_matches_shap(xgb_models, kind):
    import shap

    model, X = xgb_models[kind]
    B, rows = X[200:260], X[:40]
    got = tree_shap(model, rows, background=B, progress=False)
    ex = shap.TreeExplainer(model, data=B, feature_perturbation="interventional")
    ref = np.asarray(ex.shap_values(rows, check_additivity=False))
    assert got.values.shape == ref.shape
    assert _rel(got.values, ref) < 1e-5
    # base value = mean margin over the background, from xgboost itself (shap 0.51's
    # interventional expected_value is off for xgboost 3 multiclass: it mixes up the
    # per-class base scores, while its values agree with ours)
    margin = model.predict(B, output_margin=True).reshape(len(B), -1).mean(axis=0)
    np.testing.assert_allclose(np.ravel(got.base_values[0]), margin, rtol=1e-5, atol=1e-5)
    if kind != "multi":
        np.testing.assert_allclose(
            np.ravel(got.base_values[0]), np.ravel(ex.expected_value), rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize("kind", ["reg", "multi"])
def test_xgboost_interactions_match_shap(xgb_models, kind):
    import shap

    model, X = xgb_models[kind]
    rows = X[:10]
    got = tree_shap(model, rows, interactions=True, progress=False)
    ref = np.asarray(shap.TreeExplainer(model).shap_interaction_values(rows))
    inter = got.extras["interaction_values"]
    assert inter.shape == ref.shape
    assert _rel(inter, ref) < 1e-5


def test_sklearn_models_match_shap(reg_data, clf_data):
    import shap

    for name, model, X in _sk_models(reg_data, clf_data):
        rows = X[:50]
        got = tree_shap(model, rows, progress=False)
        ref = np.asarray(shap.TreeExplainer(model).shap_values(rows))
        assert got.values.shape == ref.shape, name
        assert _rel(got.values, ref) < 1e-5, name


def test_deep_forest_mixed_tables_and_on_the_fly_match_shap(monkeypatch):
    """Deep forests: a budget that tables only part of the leaves, so row blocks
    mix table leaves and on-the-fly leaves; a row count that leaves a partial
    block; one- and multi-output values."""
    import shap

    X, y = make_regression(600, 12, n_informative=8, random_state=1)
    Xc, yc = make_classification(600, 12, n_informative=6, n_classes=3, random_state=1)
    models = [
        (RandomForestRegressor(n_estimators=6, max_depth=10, random_state=0).fit(X, y), X),
        (RandomForestClassifier(n_estimators=4, max_depth=9, random_state=0).fit(Xc, yc), Xc),
    ]
    for model, data in models:
        prep = tree_mod._Prepared(tree_mod.read_model(model))
        need = int((2.0**prep.leaf_d).sum())
        monkeypatch.setattr(tree_mod, "_TABLE_BUDGET", need // 2)
        off = tree_mod._Explainer(prep, None, False).tab_off
        assert (off < 0).any() and (off >= 0).any()
        rows = data[:150]
        got = tree_shap(model, rows, progress=False)
        ref = np.asarray(shap.TreeExplainer(model).shap_values(rows))
        assert got.values.shape == ref.shape
        assert _rel(got.values, ref) < 1e-5


def test_xgboost_nan_matches_pred_contribs():
    import xgboost as xgb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    y = X[:, 0] - 2 * X[:, 1] * (X[:, 2] > 0) + rng.normal(size=400) * 0.1
    X[rng.random(X.shape) < 0.2] = np.nan
    model = xgb.XGBRegressor(n_estimators=25, max_depth=4, n_jobs=1).fit(X, y)
    rows = X[:100]
    got = tree_shap(model.get_booster(), rows, progress=False)
    contrib = model.get_booster().predict(xgb.DMatrix(rows, missing=np.nan), pred_contribs=True)
    assert _rel(got.values, contrib[:, :-1]) < 1e-5
    np.testing.assert_allclose(got.base_values, contrib[:, -1], rtol=1e-5)


def test_xgboost_categorical_integer_levels():
    """Integer category levels (more cases in test_tree_shap_xgb_paths.py)."""
    import pandas as pd
    import xgboost as xgb

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": pd.Categorical(rng.integers(0, 4, 200)), "b": rng.normal(size=200)})
    y = df["a"].cat.codes.to_numpy() * 1.0 + df["b"]
    model = xgb.XGBRegressor(
        n_estimators=3, max_depth=2, enable_categorical=True, tree_method="hist"
    ).fit(df, y)
    got = tree_shap(model, df.iloc[:20], progress=False)
    dm = xgb.DMatrix(df.iloc[:20], enable_categorical=True)
    ref = model.get_booster().predict(dm, pred_contribs=True)[:, :-1]
    assert _rel(got.values, ref) < 1e-5


# ---------------------------------------------------------------------------
# checks, inputs, output forms


def test_additivity_failure_names_the_row(reg_data, monkeypatch):
    X, y = reg_data
    model = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    real = tree_mod.read_model

    def corrupted(m):
        ens = real(m)
        leaf = model.apply(X[5:6].astype(np.float32))[0]
        ens.value[leaf, 0] += 100.0  # only rows reaching this leaf break
        return ens

    monkeypatch.setattr(tree_mod, "read_model", corrupted)
    leaves = model.apply(X[:10].astype(np.float32))
    first = int(np.nonzero(leaves == leaves[5])[0][0])
    with pytest.raises(ValueError, match=f"additivity check failed at row {first}"):
        tree_shap(model, X[:10], progress=False)
    tree_shap(model, X[:10], progress=False, check_additivity=False)  # can be switched off


def test_glassbox_trees(reg_data, clf_data):
    from glassbox import TreeClassifier, TreeRegressor

    X, y = reg_data
    reg = TreeRegressor(max_depth=3).fit(X, y)
    got = tree_shap(reg, X[:4], progress=False)
    for r in range(4):
        ref = _brute_path_dependent(reg.estimator_, X[r]).reshape(got.values[r].shape)
        np.testing.assert_allclose(got.values[r], ref, atol=1e-10)
    Xc, yc = clf_data
    clf = TreeClassifier(max_depth=3).fit(Xc, yc)
    got = tree_shap(clf, Xc[:4], progress=False)
    assert got.values.shape == (4, 6, 2)
    np.testing.assert_allclose(got.output(), clf.predict_proba(Xc[:4]), atol=1e-12)


def test_dataframe_names_and_explanation_fields(reg_data):
    import pandas as pd

    X, y = reg_data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    model = RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(df, y)
    got = tree_shap(model, df.iloc[:5], progress=False)
    assert isinstance(got, LocalExplanation)
    assert got.feature_names == tuple(df.columns)
    assert got.method == "tree_shap" and got.link == "identity"
    assert got.values.shape == (5, 6) and got.base_values.shape == (5,)
    np.testing.assert_array_equal(got.data, X[:5])


def test_bad_inputs(reg_data):
    from sklearn.linear_model import LinearRegression

    X, y = reg_data
    gb = GradientBoostingRegressor(n_estimators=3, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="does not support"):
        tree_shap(LinearRegression().fit(X, y), X[:2])
    with pytest.raises(ValueError, match="columns"):
        tree_shap(gb, X[:2, :4], progress=False)
    bad = X[:3].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tree_shap(gb, bad, progress=False)
    # one row may be 1-D (explained as a one-row table); 3-D is refused
    one = tree_shap(gb, X[0], progress=False)
    np.testing.assert_array_equal(one.values, tree_shap(gb, X[:1], progress=False).values)
    with pytest.raises(ValueError, match="2-D"):
        tree_shap(gb, X[None, :3], progress=False)


def test_progress_bar(reg_data, monkeypatch, capsys):
    X, y = reg_data
    model = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    monkeypatch.setattr(tree_mod, "_CHUNK", 20)
    # bars appear after PROGRESS_DELAY seconds; this job is far shorter
    monkeypatch.setattr(shap_common, "PROGRESS_DELAY", 0.0)
    a = tree_shap(model, X[:100], progress=True)
    assert "tree_shap" in capsys.readouterr().err
    b = tree_shap(model, X[:100], progress=False)
    assert capsys.readouterr().err == ""
    np.testing.assert_array_equal(a.values, b.values)


def test_dask_array(xgb_models):
    import dask
    import dask.array as da

    for kind in ("reg", "multi"):
        model, X = xgb_models[kind]
        rows = X[:90]
        expected = tree_shap(model, rows, progress=False).values
        lazy = tree_shap(model, da.from_array(rows, chunks=(30, 6)))
        assert lazy.shape == expected.shape
        with dask.config.set(scheduler="threads"):
            np.testing.assert_allclose(lazy.compute(), expected, atol=1e-12)
        inter = tree_shap(model, da.from_array(rows[:20], chunks=(10, 6)), interactions=True)
        with dask.config.set(scheduler="threads"):
            np.testing.assert_allclose(
                inter.compute(),
                tree_shap(model, rows[:20], interactions=True, progress=False).extras[
                    "interaction_values"
                ],
                atol=1e-12,
            )


def test_dask_dataframe_interventional(xgb_models):
    import dask
    import dask.dataframe as dd
    import pandas as pd
    import pyarrow  # noqa: F401  (dask.dataframe needs it; a test extra)

    model, X = xgb_models["reg"]
    ddf = dd.from_pandas(pd.DataFrame(X[:60], columns=[f"c{i}" for i in range(6)]), npartitions=3)
    bg = X[100:130]
    with dask.config.set(scheduler="threads"):
        got = tree_shap(model, ddf, background=bg).compute()
    np.testing.assert_allclose(
        got, tree_shap(model, X[:60], background=bg, progress=False).values, atol=1e-12
    )


def test_inputs_exactly_on_thresholds():
    """xgboost sends x < t left and scikit-learn x <= t, both on float32 inputs."""
    import json

    import xgboost as xgb

    rng = np.random.default_rng(3)
    X = np.round(rng.normal(size=(300, 4)), 1)  # few distinct values: many ties
    y = X[:, 0] + (X[:, 1] > 0.2) + rng.normal(size=300) * 0.1
    model = xgb.XGBRegressor(n_estimators=10, max_depth=3, n_jobs=1).fit(X, y)
    trees = json.loads(model.get_booster().save_raw("json"))["learner"]["gradient_booster"]
    rows = np.repeat(X[:1], 40, axis=0)
    k = 0
    for t in trees["model"]["trees"]:
        for f, c, left in zip(
            t["split_indices"], t["split_conditions"], t["left_children"], strict=True
        ):
            if left >= 0 and k < len(rows):
                rows[k, f] = np.float32(c)
                k += 1
    got = tree_shap(model, rows, progress=False)
    contrib = model.get_booster().predict(xgb.DMatrix(rows), pred_contribs=True)
    assert _rel(got.values, contrib[:, :-1]) < 1e-5
    sk = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y)
    inner = sk.tree_.children_left >= 0
    rows = np.repeat(X[:1], int(inner.sum()), axis=0)
    rows[np.arange(len(rows)), sk.tree_.feature[inner]] = sk.tree_.threshold[inner]
    got = tree_shap(sk, rows, progress=False)  # additivity is checked against sk.predict
    np.testing.assert_allclose(got.output(), sk.predict(rows), atol=1e-10)


def test_xgboost_fitted_on_dataframe_matches_shap():
    """Boosters fitted on DataFrames check feature names on every DMatrix."""
    import pandas as pd
    import shap
    import xgboost as xgb

    X, y = make_regression(300, 5, random_state=3)
    frame = pd.DataFrame(X, columns=[f"col {i}" for i in range(5)])
    model = xgb.XGBRegressor(n_estimators=20, max_depth=3).fit(frame, y)
    ours = tree_shap(model, frame, progress=False)
    theirs = shap.TreeExplainer(model).shap_values(frame)
    np.testing.assert_allclose(ours.values, theirs, atol=1e-5 * np.abs(theirs).max())
    assert ours.feature_names == tuple(frame.columns)
    inter = tree_shap(model, frame.iloc[:20], background=frame.iloc[:50], progress=False)
    theirs_i = shap.TreeExplainer(model, frame.iloc[:50], feature_perturbation="interventional")
    np.testing.assert_allclose(
        inter.values, theirs_i.shap_values(frame.iloc[:20]), atol=1e-5 * np.abs(theirs).max()
    )


def test_frames_are_matched_to_the_fitted_names_not_positions():
    import xgboost as xgb
    from sklearn.ensemble import RandomForestRegressor

    from glassbox import TreeRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    y = X["a"] * 2 + X["b"] * X["c"] - X["d"]
    shuffled = X[["d", "c", "b", "a"]]
    for model in (
        RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(X, y),
        xgb.XGBRegressor(n_estimators=5, max_depth=3).fit(X, y),
        TreeRegressor(max_depth=3).fit(X, y),
    ):
        ref = tree_shap(model, X[:20], progress=False)
        got = tree_shap(model, shuffled[:20], progress=False)
        np.testing.assert_allclose(got.values, ref.values)
        assert list(got.feature_names) == list("abcd")
        inter = tree_shap(model, X[:5], background=shuffled[:30], progress=False)
        np.testing.assert_allclose(
            inter.values, tree_shap(model, X[:5], background=X[:30], progress=False).values
        )
        with pytest.raises(ValueError, match=r"X columns do not match.*missing \['a'\]"):
            tree_shap(model, X.rename(columns={"a": "z"}), progress=False)
    # a model fitted on an array takes any column names, by position
    plain = RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(X.to_numpy(), y)
    np.testing.assert_allclose(
        tree_shap(plain, shuffled[:5], progress=False).values,
        tree_shap(plain, shuffled.to_numpy()[:5], progress=False).values,
    )


@pytest.mark.parametrize("acc_budget", [1, 5 * 4 * 3])  # blocks of 1 row, and of 5 rows
def test_small_blocks_for_wide_models_give_the_same_values(monkeypatch, acc_budget):
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    model = RandomForestClassifier(n_estimators=4, max_depth=6, random_state=0).fit(X, y)
    ref = tree_shap(model, X[:23], progress=False).values
    monkeypatch.setattr(tree_mod, "_ACC_BUDGET", acc_budget)
    assert tree_mod._block_rows(4, 3) == (1 if acc_budget == 1 else 5)
    np.testing.assert_allclose(
        tree_shap(model, X[:23], progress=False).values, ref, rtol=0, atol=1e-12
    )
