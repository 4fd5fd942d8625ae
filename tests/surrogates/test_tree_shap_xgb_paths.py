"""tree_shap explains what an xgboost model's own ``predict`` computes.

Oracles: the shap package, and xgboost's own ``pred_contribs`` on a DMatrix
built with the model's ``missing`` value / its own iteration range (or a sliced
booster). Compared at 1e-5 of the largest |value| (xgboost works in float32).
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

from surrogates.shap import tree as tree_mod
from surrogates.shap.tree import tree_shap

xgb = pytest.importorskip("xgboost")
shap = pytest.importorskip("shap")

MISSING = 1e-8


def _rel(a, b):
    return np.abs(np.asarray(a) - np.asarray(b)).max() / np.abs(np.asarray(b)).max()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    X[rng.random(X.shape) < 0.2] = MISSING  # the model's "missing" marker
    y = (X[:, 0] + X[:, 1] * X[:, 2] + 0.3 * rng.normal(size=400) > 0).astype(int)
    return X, y


def _contribs(booster, X, missing=np.nan, **kw):
    return booster.predict(xgb.DMatrix(X, missing=missing), pred_contribs=True, **kw)[:, :-1]


@pytest.mark.parametrize("cls", ["XGBClassifier", "XGBRFClassifier"])
def test_non_nan_missing_value_is_honoured(data, cls):
    X, y = data
    model = getattr(xgb, cls)(n_estimators=12, max_depth=3, missing=MISSING, n_jobs=1).fit(X, y)
    rows = X[:60]
    got = tree_shap(model, rows, progress=False)
    ref = np.asarray(shap.TreeExplainer(model).shap_values(rows))
    assert _rel(got.values, ref) < 1e-5
    assert _rel(got.values, _contribs(model.get_booster(), rows, MISSING)) < 1e-5
    # the rows are kept as given (the marker, not NaN)
    assert np.any(got.data == MISSING)
    # values add up to the model's own margin (which treats MISSING as missing)
    total = got.values.sum(axis=1) + got.base_values
    np.testing.assert_allclose(total, model.predict(rows, output_margin=True), atol=1e-4)
    # NaN is missing as well
    nan_rows = np.where(rows == MISSING, np.nan, rows)
    np.testing.assert_allclose(
        tree_shap(model, nan_rows, progress=False).values, got.values, atol=1e-12
    )


def _brute_interventional(predict, x, B):
    """Shapley values of v(S) = mean over b in B of predict(x on S, b elsewhere)."""
    M = len(x)
    subsets = list(itertools.product([0, 1], repeat=M))
    hybrid = np.concatenate([np.where(np.array(s, bool), x, B) for s in subsets])
    v = dict(zip(subsets, predict(hybrid).reshape(len(subsets), len(B)).mean(axis=1)))
    phi = np.zeros(M)
    for s in subsets:
        k = sum(s)
        for i in range(M):
            if not s[i]:
                w = math.factorial(k) * math.factorial(M - k - 1) / math.factorial(M)
                phi[i] += w * (v[s[:i] + (1,) + s[i + 1 :]] - v[s])
    return phi


def test_non_nan_missing_value_interventional(data):
    """shap 0.51's interventional explainer ignores ``missing`` (it traverses the
    trees itself, NaN only): brute force on the model's own predict instead, and
    shap on rows with the marker replaced by NaN."""
    X, y = data
    model = xgb.XGBClassifier(n_estimators=12, max_depth=3, missing=MISSING, n_jobs=1).fit(X, y)
    B, rows = X[300:340], X[:40]
    got = tree_shap(model, rows, background=B, progress=False)

    def margin(Z):
        return model.predict(Z, output_margin=True)

    ref = np.array([_brute_interventional(margin, x, B) for x in rows[:8]])
    assert _rel(got.values[:8], ref) < 1e-5
    ex = shap.TreeExplainer(
        model, data=np.where(B == MISSING, np.nan, B), feature_perturbation="interventional"
    )
    nan_rows = np.where(rows == MISSING, np.nan, rows)
    ref = np.asarray(ex.shap_values(nan_rows, check_additivity=False))
    assert _rel(got.values, ref) < 1e-5
    margin = model.predict(B, output_margin=True).mean()
    np.testing.assert_allclose(got.base_values[0], margin, rtol=1e-5, atol=1e-5)


def test_additivity_check_uses_the_models_own_missing(data, monkeypatch):
    """Read the model as if ``missing`` were NaN (the old bug): the check, which
    predicts through the model's own path, must catch it and name a row."""
    X, y = data
    model = xgb.XGBClassifier(n_estimators=12, max_depth=3, missing=MISSING, n_jobs=1).fit(X, y)
    real = tree_mod.read_model

    def wrong(m, **kw):
        return dataclasses.replace(real(m, **kw), missing=float("nan"))

    monkeypatch.setattr(tree_mod, "read_model", wrong)
    with pytest.raises(ValueError, match=r"additivity check failed at row \d+"):
        tree_shap(model, X[:60], progress=False)


@pytest.fixture(scope="module")
def early_stopped(data):
    X, y = data
    rng = np.random.default_rng(1)
    Xv = rng.normal(size=(200, 5))
    yv = (Xv[:, 0] > 0).astype(int)
    model = xgb.XGBClassifier(
        n_estimators=150, max_depth=3, learning_rate=0.5, early_stopping_rounds=4, n_jobs=1
    ).fit(X, y, eval_set=[(Xv, yv)], verbose=False)
    n_rounds = model.get_booster().num_boosted_rounds()
    assert model.best_iteration + 1 < n_rounds  # the test needs unused rounds
    return model


def test_early_stopping_explains_best_iteration(data, early_stopped):
    X, _ = data
    model, rows = early_stopped, X[:60]
    got = tree_shap(model, rows, progress=False)
    best = (0, model.best_iteration + 1)
    ref = _contribs(model.get_booster(), rows, iteration_range=best)
    assert _rel(got.values, ref) < 1e-5
    assert _rel(got.values, np.asarray(shap.TreeExplainer(model).shap_values(rows))) < 1e-5
    total = got.values.sum(axis=1) + got.base_values
    np.testing.assert_allclose(total, model.predict(rows, output_margin=True), atol=1e-4)
    # all rounds on request, as xgboost's predict with iteration_range
    n = model.get_booster().num_boosted_rounds()
    every = tree_shap(model, rows, progress=False, iteration_range=(0, n))
    assert _rel(every.values, _contribs(model.get_booster(), rows)) < 1e-5


def test_iteration_range_and_booster(data, early_stopped):
    X, _ = data
    booster, rows = early_stopped.get_booster(), X[:40]
    # a middle slice: xgboost's pred_contribs refuses start > 0, a sliced booster does not
    got = tree_shap(booster, rows, progress=False, iteration_range=(2, 6))
    assert _rel(got.values, _contribs(booster[2:6], rows)) < 1e-5
    # a Booster's predict uses every round by default, and so do we
    got = tree_shap(booster, rows, progress=False)
    assert _rel(got.values, _contribs(booster, rows)) < 1e-5
    with pytest.raises(ValueError, match="iteration_range"):
        tree_shap(booster, rows, progress=False, iteration_range=(5, 2))
    with pytest.raises(ValueError, match="outside"):
        tree_shap(booster, rows, progress=False, iteration_range=(0, 10_000))


@pytest.mark.parametrize("objective", ["reg:squarederror", "binary:logistic"])
def test_dart_tree_weights(data, objective):
    X, y = data
    target = y if objective.startswith("binary") else X[:, 0] * 2 + X[:, 1]
    cls = xgb.XGBClassifier if objective.startswith("binary") else xgb.XGBRegressor
    model = cls(
        n_estimators=15, booster="dart", rate_drop=0.3, max_depth=3, n_jobs=1, random_state=0
    ).fit(X, target)
    rows = X[:50]
    got = tree_shap(model, rows, progress=False)  # additivity checked against predict
    ref = np.asarray(shap.TreeExplainer(model).shap_values(rows))
    assert _rel(got.values, ref) < 1e-5
    total = got.values.sum(axis=1) + got.base_values
    np.testing.assert_allclose(total, model.predict(rows, output_margin=True), atol=1e-4)


# ---------------------------------------------------------------------------
# output scale, one-row and DMatrix inputs


@pytest.mark.parametrize("kind", ["xgb", "gb"])
def test_probability_output_matches_shap(data, kind):
    from sklearn.ensemble import GradientBoostingClassifier

    X, y = data
    X = np.where(X == MISSING, 0.3, X)
    if kind == "xgb":
        model = xgb.XGBClassifier(n_estimators=15, max_depth=3, n_jobs=1).fit(X, y)
    else:
        model = GradientBoostingClassifier(n_estimators=15, max_depth=3, random_state=0).fit(X, y)
    B, rows = X[300:340], X[:40]
    got = tree_shap(model, rows, background=B, model_output="probability", progress=False)
    ex = shap.TreeExplainer(
        model, data=B, feature_perturbation="interventional", model_output="probability"
    )
    ref = np.asarray(ex.shap_values(rows))
    ref = ref[..., 1] if ref.ndim == 3 else ref
    assert _rel(got.values, ref) < 1e-5
    assert got.link == "identity" and got.extras["output_scale"] == "probability"
    # adds up to the predicted probability; base = mean probability over the background
    proba = model.predict_proba(rows)[:, 1]
    np.testing.assert_allclose(got.values.sum(axis=1) + got.base_values, proba, atol=1e-6)
    np.testing.assert_allclose(got.base_values[0], model.predict_proba(B)[:, 1].mean(), atol=1e-6)
    raw = tree_shap(model, rows, background=B, progress=False)
    assert raw.extras["output_scale"] == "log-odds" and raw.link == "logit"


def test_probability_output_refusals(data):
    from sklearn.ensemble import RandomForestClassifier

    X, y = data
    model = xgb.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(X, y)
    with pytest.raises(ValueError, match="background"):
        tree_shap(model, X[:5], model_output="probability", progress=False)
    with pytest.raises(ValueError, match="model_output"):
        tree_shap(model, X[:5], model_output="log_loss", progress=False)
    multi = xgb.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(X, (X[:, 0] > 0) + y)
    with pytest.raises(ValueError, match="binary logistic"):
        tree_shap(multi, X[:5], background=X[:20], model_output="probability", progress=False)
    # a forest classifier already explains probabilities: the same values
    rf = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
    a = tree_shap(rf, X[:5], background=X[:20], model_output="probability", progress=False)
    b = tree_shap(rf, X[:5], background=X[:20], progress=False)
    np.testing.assert_array_equal(a.values, b.values)
    assert b.extras["output_scale"] == "probability"


def test_one_row_as_1d_array_or_series(data):
    import pandas as pd

    X, y = data
    frame = pd.DataFrame(X, columns=list("abcde"))
    model = xgb.XGBClassifier(n_estimators=8, max_depth=3, n_jobs=1).fit(frame, y)
    ref = model.get_booster().predict(xgb.DMatrix(frame.iloc[:6]), pred_contribs=True)[:, :-1]
    one = tree_shap(model, frame.iloc[4], progress=False)
    assert one.values.shape == (1, 5) and one.feature_names == tuple("abcde")
    assert _rel(one.values[0], ref[4]) < 1e-5
    plain = xgb.XGBClassifier(n_estimators=8, max_depth=3, n_jobs=1).fit(X, y)
    ref = plain.get_booster().predict(xgb.DMatrix(X[:6]), pred_contribs=True)[:, :-1]
    one = tree_shap(plain, X[4], progress=False)
    assert one.values.shape == (1, 5) and _rel(one.values[0], ref[4]) < 1e-5


def test_dmatrix_for_a_booster(data):
    X, y = data
    Xm = np.where(X == MISSING, -999.0, X)
    booster = xgb.train(
        {"max_depth": 3, "objective": "binary:logistic", "nthread": 1},
        xgb.DMatrix(Xm, label=y, missing=-999.0),
        num_boost_round=10,
    )
    dm = xgb.DMatrix(Xm[:30], missing=-999.0)
    got = tree_shap(booster, dm, progress=False)  # additivity against booster.predict
    ref = booster.predict(dm, pred_contribs=True)[:, :-1]
    assert _rel(got.values, ref) < 1e-5
    assert np.isnan(got.data).any()  # the DMatrix's absent entries are missing


# ---------------------------------------------------------------------------
# categorical splits (enable_categorical=True)


@pytest.fixture(scope="module")
def cat_frame():
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "c": pd.Categorical(rng.choice(list("pqrstu"), n)),
            "b": rng.normal(size=n),
        }
    )
    frame.loc[rng.random(n) < 0.05, "c"] = np.nan
    y = frame.a + 2.0 * frame.c.isin(["p", "r", "t"]) + frame.b * (frame.c == "q")
    return frame, y.to_numpy()


@pytest.mark.parametrize("max_cat_to_onehot", [1, 10])  # partition / one-hot splits
def test_categorical_splits(cat_frame, max_cat_to_onehot):
    import pandas as pd

    frame, y = cat_frame
    model = xgb.XGBRegressor(
        n_estimators=10,
        max_depth=3,
        enable_categorical=True,
        max_cat_to_onehot=max_cat_to_onehot,
        n_jobs=1,
    ).fit(frame, y)
    rows = frame.iloc[:30]
    got = tree_shap(model, rows, progress=False)  # additivity against predict
    ref = model.get_booster().predict(
        xgb.DMatrix(rows, enable_categorical=True), pred_contribs=True
    )[:, :-1]
    assert _rel(got.values, ref) < 1e-5
    # the same categories in another order: coded by the model's training categories
    other = rows.copy()
    other["c"] = other["c"].astype(pd.CategoricalDtype(list("utsrqp")))
    np.testing.assert_array_equal(tree_shap(model, other, progress=False).values, got.values)
    # interventional: enumeration over the model's own predict on hybrid frames
    B = frame.iloc[300:325]
    inter = tree_shap(model, rows.iloc[:4], background=B, progress=False)

    def margin(H):
        return model.predict(H, output_margin=True)

    for r in range(4):
        x = rows.iloc[r]
        vals = {}
        for s in itertools.product([0, 1], repeat=3):
            H = B.copy()
            for j, col in enumerate(B.columns):
                if s[j]:
                    H[col] = pd.Series([x[col]] * len(B), index=B.index).astype(B[col].dtype)
            vals[s] = margin(H).mean()
        phi = np.zeros(3)
        for s, v in vals.items():
            k = sum(s)
            for i in range(3):
                if not s[i]:
                    w = math.factorial(k) * math.factorial(2 - k) / 6
                    phi[i] += w * (vals[s[:i] + (1,) + s[i + 1 :]] - v)
        np.testing.assert_allclose(inter.values[r], phi, atol=1e-5 * np.abs(phi).max())


# ---------------------------------------------------------------------------
# vector-leaf trees (multi_strategy="multi_output_tree"); xgboost's pred_contribs
# refuses them and shap cannot read them: enumeration instead


def _vector_leaf_expectation(trees, base, x, S):
    """Path-dependent v(S): each JSON tree walked directly, splits on features
    outside S weighted by sum_hessian, x < threshold in float32."""
    total = np.array(base, dtype=np.float64)
    for t in trees:
        left, right = t["left_children"], t["right_children"]
        k = int(t["tree_param"]["size_leaf_vector"])
        lw = np.asarray(t["leaf_weights"], dtype=np.float32).reshape(-1, k)
        cover = t["sum_hessian"]

        def rec(i, left=left, right=right, lw=lw, cover=cover, t=t):
            if left[i] < 0:
                return lw[right[i]].astype(np.float64)
            lo, hi = left[i], right[i]
            f = t["split_indices"][i]
            if f not in S:
                return (cover[lo] * rec(lo) + cover[hi] * rec(hi)) / cover[i]
            v = np.float32(x[f])
            if np.isnan(v):
                return rec(lo if t["default_left"][i] else hi)
            return rec(lo if v < np.float32(t["split_conditions"][i]) else hi)

        total += rec(0)
    return total


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_vector_leaf_trees(data, kind):
    import json

    X, y = data
    X = np.where(X == MISSING, np.nan, X)
    kw = dict(n_estimators=6, max_depth=3, multi_strategy="multi_output_tree", n_jobs=1)
    if kind == "reg":
        Y = np.column_stack([np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]), y])
        model = xgb.XGBRegressor(**kw).fit(X, Y)
    else:
        model = xgb.XGBClassifier(**kw).fit(X, y + (np.nan_to_num(X[:, 3]) > 0.5))
    rows, B = X[:4], X[300:320]
    got = tree_shap(model, rows, progress=False)  # additivity against predict
    assert got.values.shape == (4, 5, 2 if kind == "reg" else 3)
    doc = json.loads(model.get_booster().save_raw(raw_format="json"))
    trees = doc["learner"]["gradient_booster"]["model"]["trees"]
    n_out = got.values.shape[2]
    for r in range(len(rows)):

        def v(s, r=r):
            S = {j for j in range(5) if s[j]}
            return _vector_leaf_expectation(trees, np.zeros(n_out), rows[r], S)

        vals = {s: v(s) for s in itertools.product([0, 1], repeat=5)}
        phi = np.zeros((5, n_out))
        for s, val in vals.items():
            k = sum(s)
            for i in range(5):
                if not s[i]:
                    w = math.factorial(k) * math.factorial(4 - k) / math.factorial(5)
                    phi[i] += w * (vals[s[:i] + (1,) + s[i + 1 :]] - val)
        assert _rel(got.values[r], phi) < 1e-5
    inter = tree_shap(model, rows[:2], background=B, progress=False)

    def margin(H):
        return model.predict(H, output_margin=True).reshape(len(H), -1)

    for r in range(2):
        vals = {}
        for s in itertools.product([0, 1], repeat=5):
            vals[s] = margin(np.where(np.array(s, bool), rows[r], B)).mean(axis=0)
        phi = np.zeros((5, inter.values.shape[2]))
        for s, val in vals.items():
            k = sum(s)
            for i in range(5):
                if not s[i]:
                    w = math.factorial(k) * math.factorial(4 - k) / math.factorial(5)
                    phi[i] += w * (vals[s[:i] + (1,) + s[i + 1 :]] - val)
        assert _rel(inter.values[r], phi) < 1e-5
