"""counterfactuals on more model kinds: tree ensembles read into arrays (checked
against the model's own predict), xgboost and gradient boosting cells (exact,
against brute force), GAM splines (exact on their grid, against brute force over
the same grid), and the black-box search's polish (no returned row keeps a
change it could drop, checked on the model)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_counterfactual import _check_result, _cost, _data, _grid, _mad_weights

from surrogates.counterfactual import counterfactuals
from surrogates.counterfactual._oracle import _Oracle
from surrogates.counterfactual._space import _Space


def _numeric_data(n=200):
    X, y = _data(n=n)
    return X.astype(float), y


@pytest.mark.parametrize(
    "make",
    [
        lambda: RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0),
        lambda: RandomForestRegressor(n_estimators=10, max_depth=5, random_state=0),
        lambda: GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0),
        lambda: HistGradientBoostingClassifier(max_iter=15, random_state=0),
        lambda: __import__("xgboost").XGBClassifier(n_estimators=15, max_depth=3, n_jobs=1),
        lambda: __import__("xgboost").XGBRegressor(n_estimators=15, max_depth=3, n_jobs=1),
    ],
    ids=["rf", "rf_reg", "gb", "hgb", "xgb", "xgb_reg"],
)
def test_read_trees_predict_as_the_model(make):
    """The search's predictions through the read trees equal the model's own,
    also on rows exactly at (and one float32 step either side of) thresholds."""
    X, y = _numeric_data()
    regressor = "Regressor" in type(make()).__name__
    target = X.Income - X.Debt if regressor else (y == "approved").astype(int)
    model = make().fit(X, target)
    x = X.iloc[[0]]
    pred = float(model.predict(x)[0])
    desired = (pred + 100, None) if regressor else 1 - int(pred)
    space = _Space(model, x, X, (), None, None, None)
    oracle = _Oracle(model, space, desired)
    assert oracle.fast is not None  # the trees were read and agreed with predict
    rng = np.random.default_rng(0)
    Z = X.to_numpy()[rng.integers(0, len(X), 300)]
    thr = oracle.fast.ens.threshold[oracle.fast.ens.left >= 0]
    feat = oracle.fast.ens.feature[oracle.fast.ens.left >= 0]
    at = np.repeat(Z[:60], 3, axis=0)
    t32 = thr[: len(at)].astype(np.float32)
    steps = np.tile([0, 1, -1], len(at) // 3)[: len(t32)]
    vals = np.where(
        steps == 0,
        t32,
        np.where(
            steps > 0, np.nextafter(t32, np.float32(np.inf)), np.nextafter(t32, np.float32(-np.inf))
        ),
    )
    at[np.arange(len(t32)), feat[: len(t32)]] = vals.astype(np.float64)
    Z = np.concatenate([Z, at])
    ours = oracle.predict(Z)
    theirs = model.predict(pd.DataFrame(Z, columns=X.columns))
    if regressor:
        np.testing.assert_allclose(ours.astype(float), theirs, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_array_equal(ours.astype(theirs.dtype), theirs)


@pytest.mark.parametrize(
    "make",
    [
        lambda: __import__("xgboost").XGBClassifier(n_estimators=3, max_depth=2, n_jobs=1),
        lambda: GradientBoostingClassifier(n_estimators=4, max_depth=2, random_state=0),
    ],
    ids=["xgboost", "gradient_boosting"],
)
def test_boosting_cells_exact_equals_brute_force(make):
    X, y = _numeric_data(n=160)
    yy = (y == "approved").astype(int)
    model = make().fit(X, yy)
    ok = lambda out: out == 1  # noqa: E731
    for i in np.flatnonzero(model.predict(X) == 0)[:2]:
        x = X.iloc[[i]]
        res = counterfactuals(model, x, X=X, n=2, desired=1, time_limit=60)
        assert res.method == "cells" and res.exact and res.complete
        assert res.valid.all()
        np.testing.assert_array_equal(model.predict(res.rows), 1)
        w = _mad_weights(X)
        np.testing.assert_allclose(res.costs, _cost(X, x, res.rows, w), rtol=1e-9)
        best, spacing = _grid(X, x, model, ok, steps=81)
        assert res.costs[0] <= best + 1e-6
        assert best <= res.costs[0] + spacing + 1e-6


def _same_grid(X, x, G):
    """The GAM solver's grid, written out independently: per numeric feature G
    even steps over the observed range (integers: rounded, deduplicated) and x's
    own value; every level of a categorical one."""
    axes = []
    for c in X.columns:
        if not pd.api.types.is_numeric_dtype(X[c].dtype):
            axes.append(sorted(X[c].unique()))
            continue
        lo, hi = float(X[c].min()), float(X[c].max())
        if pd.api.types.is_integer_dtype(X[c].dtype):
            g = (
                np.arange(lo, hi + 1)
                if hi - lo + 1 <= G
                else np.unique(np.round(np.linspace(lo, hi, G)))
            )
        else:
            g = np.linspace(lo, hi, G)
        axes.append(np.unique(np.append(g, float(x[c].iloc[0]))))
    rows = pd.DataFrame(list(itertools.product(*axes)), columns=X.columns)
    for c in X.columns:
        rows[c] = rows[c].astype(X[c].dtype)
    return rows


def test_gam_nearest_on_its_grid_equals_brute_force(monkeypatch):
    from glassbox import GAMClassifier, GAMRegressor
    from surrogates.counterfactual import _additive

    G = 15
    monkeypatch.setattr(_additive, "GAM_GRID", G)
    X, y = _data(n=200, text=True)
    model = GAMClassifier(n_splines=8, lam=1.0).fit(X, y)
    w = _mad_weights(X)
    for i in np.flatnonzero(model.predict(X) == "refused")[:2]:
        x = X.iloc[[i]]
        res = counterfactuals(model, x, X=X, n=2)
        assert res.method == "additive-grid" and not res.exact and "grid of 15" in res.message
        _check_result(res, X, x, model, lambda out: out == "approved")
        rows = _same_grid(X, x, G)
        good = rows[model.predict(rows) == "approved"]
        np.testing.assert_allclose(res.costs[0], _cost(X, x, good, w).min(), rtol=1e-9)
    Xn = X.drop(columns="Home")
    reg = GAMRegressor(n_splines=8, lam=1.0).fit(Xn, 2 * Xn.Income - Xn.Debt)
    x = Xn.iloc[[0]]
    lo = float(reg.predict(x)[0]) + 300
    hi = lo + 400
    res = counterfactuals(reg, x, X=Xn, desired=(lo, hi), n=1)
    assert res.method == "additive-grid"
    okr = lambda out: (out >= lo) & (out <= hi)  # noqa: E731
    _check_result(res, Xn, x, reg, okr)
    rows = _same_grid(Xn, x, G)
    good = rows[okr(reg.predict(rows))]
    np.testing.assert_allclose(res.costs[0], _cost(Xn, x, good, _mad_weights(Xn)).min(), rtol=1e-9)


def test_search_rows_keep_no_change_they_could_drop():
    """The polish: reverting any one changed feature of a returned row loses the
    desired class (asked of the model here), and the rows are deterministic."""
    X, y = _numeric_data(n=300)
    mlp = make_pipeline(StandardScaler(), MLPClassifier((16,), max_iter=1500, random_state=0)).fit(
        X, y
    )
    for i in np.flatnonzero(mlp.predict(X) == "refused")[:3]:
        x = X.iloc[[i]]
        kw = dict(X=X, n=4, random_state=3, time_limit=60, method="search")
        res = counterfactuals(mlp, x, **kw)
        assert res.complete and len(res) == 4
        _check_result(res, X, x, mlp, lambda out: out == "approved")
        pd.testing.assert_frame_equal(res.rows, counterfactuals(mlp, x, **kw).rows)
        for r in range(len(res)):
            row = res.rows.iloc[[r]]
            for f, a, _ in res.changes[r]:
                back = row.copy()
                back[f] = a
                assert mlp.predict(back)[0] == "refused", (r, f)


def test_ruleset_exact_equals_brute_force():
    from glassbox import RuleSetClassifier, RuleSetRegressor

    X, y = _data(n=200)
    model = RuleSetClassifier(random_state=0, max_rules=15, n_estimators=30).fit(X, y)
    cls = model.predict(X)
    other = {model.classes_[0]: model.classes_[1], model.classes_[1]: model.classes_[0]}
    for i in [int(np.flatnonzero(cls == c)[0]) for c in model.classes_]:  # both directions
        x = X.iloc[[i]]
        target = other[cls[i]]
        ok = lambda out, t=target: out == t  # noqa: E731
        res = counterfactuals(model, x, X=X, n=2)
        assert res.method == "ruleset" and res.exact
        _check_result(res, X, x, model, ok)
        best, spacing = _grid(X, x, model, ok, steps=81)
        assert res.costs[0] <= best + 1e-6
        assert best <= res.costs[0] + spacing + 1e-6
    reg = RuleSetRegressor(random_state=0, max_rules=15, n_estimators=30).fit(X, X.Income - X.Debt)
    x = X.iloc[[0]]
    lo = float(reg.predict(x)[0]) + 100
    hi = lo + 2000
    okr = lambda out: (out >= lo) & (out <= hi)  # noqa: E731
    res = counterfactuals(reg, x, X=X, desired=(lo, hi), n=2)
    assert res.method == "ruleset" and res.exact and len(res)
    _check_result(res, X, x, reg, okr)
    best, spacing = _grid(X, x, reg, okr, steps=81)
    assert res.costs[0] <= best + 1e-6 and best <= res.costs[0] + spacing + 1e-6


def test_search_on_a_pipeline_that_selects_columns_by_name():
    """A model that needs its named columns (a column transformer selecting by
    name) still gets them: every returned row is valid on the model."""
    from sklearn.compose import ColumnTransformer
    from sklearn.neighbors import KNeighborsClassifier

    X, y = _numeric_data(n=200)
    pipe = make_pipeline(
        ColumnTransformer([("s", StandardScaler(), ["Debt", "Income"])]), KNeighborsClassifier()
    ).fit(X, y)
    x = X.iloc[[int(np.flatnonzero(pipe.predict(X) == "refused")[0])]]
    res = counterfactuals(pipe, x, X=X, n=3, random_state=0, method="search")
    assert len(res) == 3
    _check_result(res, X, x, pipe, lambda out: out == "approved")


def test_a_wrong_reading_of_the_trees_is_caught(monkeypatch):
    """If the read trees disagreed with the model (they never should), the final
    call finds it out and everything is solved again with the model alone."""
    from surrogates.counterfactual import _fast

    X, y = _numeric_data()
    rf = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    real = _fast.TreeScores.predict

    def flipped(self, Z):
        out, sure = real(self, Z)
        a, b = self.classes
        return np.where(out == a, b, a), sure

    monkeypatch.setattr(_fast.TreeScores, "predict", flipped)
    x = X.iloc[[int(np.flatnonzero(rf.predict(X) == "refused")[0])]]
    res = counterfactuals(rf, x, X=X, n=2, random_state=0, method="search")
    assert res.original == "refused" and res.desired == "approved"
    _check_result(res, X, x, rf, lambda out: out == "approved")


def test_search_prefers_fewer_changes():
    """Two ways to the desired outcome: one feature far (fewer changes) or three
    features a little (cheaper under the L1 part of the cost). The choice prefers
    the sparse way for every row it returns (the documented ``_EXTRA`` per extra
    changed feature outweighs the cost difference here); every row is checked
    on the function itself."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(0.0, 1.5, size=(400, 4)), columns=list("abcd"))
    X.loc[:3, "a"] = 20.0  # room to move a (the default bounds are X's range)
    w = _mad_weights(X)

    def fn(A):
        A = np.asarray(A, dtype=float)
        far = A[:, 0] >= 2.5 / w[0]  # a alone: 2.5 L1 + 1 change
        near = (A[:, 1:] >= 0.5 / w[1:]).all(axis=1)  # b, c, d: 1.5 L1 + 3 changes
        return (far | near).astype(int)

    x = pd.DataFrame([[0.0, 0.0, 0.0, 0.0]], columns=list("abcd"))
    assert fn(x)[0] == 0
    res = counterfactuals(fn, x, X=X, desired=1, n=4, random_state=0)
    assert len(res) == 4 and res.valid.all()
    np.testing.assert_array_equal(fn(res.rows), 1)
    assert [len(c) for c in res.changes] == [1, 1, 1, 1]
    assert all(c[0][0] == "a" for c in res.changes)
    # the rows are distinct ways (DiCE's diversity): at least 0.25 cost units apart
    a = np.sort(res.rows["a"].to_numpy()) * w[0]
    assert (np.diff(a) >= 0.25 - 1e-9).all()


def test_weights_follow_a_changed_X():
    """Weights derived from X (1 / MAD, kept per data set) follow X when it is
    changed in place: compared with the MAD computed here each time."""
    X, y = _numeric_data(n=200)
    rf = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
    x = X.iloc[[0]]
    for scale in (1.0, 3.0):
        X["Debt"] = X["Debt"] * scale  # in place, same object
        res = counterfactuals(rf, x, X=X, n=1, random_state=0, method="search")
        np.testing.assert_allclose(list(res.feature_weights.values()), _mad_weights(X), rtol=1e-12)


def test_auto_on_a_named_pipeline_with_desired_given():
    """With the outcome asked for, x's own prediction comes with the search's first
    model call; a pipeline selecting columns by name refuses the bare matrix there
    and gets named rows instead: every returned row is still valid."""
    from sklearn.compose import ColumnTransformer
    from sklearn.neighbors import KNeighborsClassifier

    X, y = _numeric_data(n=200)
    pipe = make_pipeline(
        ColumnTransformer([("s", StandardScaler(), ["Debt", "Income"])]), KNeighborsClassifier()
    ).fit(X, y)
    x = X.iloc[[int(np.flatnonzero(pipe.predict(X) == "refused")[0])]]
    res = counterfactuals(pipe, x, X=X, n=3, desired="approved", random_state=0)
    assert res.method == "search" and res.original == "refused" and len(res) == 3
    _check_result(res, X, x, pipe, lambda out: out == "approved")
    mlp = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=2000, random_state=0))
    mlp.fit(X, y)
    i = int(np.flatnonzero(mlp.predict(X) == "refused")[0])
    a = counterfactuals(mlp, X.iloc[[i]], X=X, n=3, desired="approved", random_state=0)
    b = counterfactuals(mlp, X.iloc[[i]], X=X, n=3, random_state=0)  # desired found from x
    assert a.original == b.original == "refused"
    pd.testing.assert_frame_equal(a.rows, b.rows)
    _check_result(a, X, X.iloc[[i]], mlp, lambda out: out == "approved")


def _sequential_nearest(rows, costs, good, x0, n):
    """Brute force of the additive solver's rule: the cheapest valid row, then
    the cheapest whose changed features include no earlier row's, n times."""
    changed = rows.to_numpy() != x0
    picked, supports = [], []
    for _ in range(n):
        free = good.copy()
        for s in supports:
            free &= ~changed[:, s].all(axis=1)
        if not free.any():
            break
        k = int(np.flatnonzero(free)[np.argmin(costs[free])])
        picked.append(costs[k])
        supports.append(np.flatnonzero(changed[k]))
        if not len(supports[-1]):
            break
    return np.array(picked)


def test_gam_far_rows_proven_like_brute_force(monkeypatch):
    """The kind of query that ran the branch and bound to its time limit: n rows
    where the later ones must avoid every feature an earlier one changed, so they
    lie far from x. All n costs equal brute force over the same grid, and the
    search finishes (``complete``)."""
    from glassbox import GAMClassifier
    from surrogates.counterfactual import _additive

    G = 9
    monkeypatch.setattr(_additive, "GAM_GRID", G)
    X, y = _data(n=200, text=True)
    model = GAMClassifier(n_splines=8, lam=1.0).fit(X, y)
    w = _mad_weights(X)
    refused = np.flatnonzero(model.predict(X) == "refused")
    for i in refused[[0, len(refused) // 2, -1]]:
        x = X.iloc[[i]]
        res = counterfactuals(model, x, X=X, n=4, progress=False)
        assert res.method == "additive-grid" and res.complete
        _check_result(res, X, x, model, lambda out: out == "approved")
        rows = _same_grid(X, x, G)
        good = np.asarray(model.predict(rows) == "approved")
        costs = _cost(X, x, rows, w)
        want = _sequential_nearest(rows, costs, good, x.to_numpy()[0], 4)
        assert len(res) == len(want)
        np.testing.assert_allclose(res.costs, want, rtol=1e-9)


def test_branch_and_bound_equals_brute_force_on_random_tables():
    """The knapsack itself on random cost / gain tables (ties, negative gains,
    one- and two-sided targets, earlier rows' feature sets to avoid): its choice
    is valid and as cheap as enumerating every combination."""
    import time

    from surrogates.counterfactual._additive import _branch_and_bound

    rng = np.random.default_rng(0)
    for _ in range(300):
        sizes = rng.integers(1, 6, rng.integers(1, 5))
        costs = [
            np.concatenate([[0.0], np.sort(1 + rng.uniform(0, 3, s - 1).round(1))]) for s in sizes
        ]
        gains = [np.concatenate([[0.0], rng.normal(0, 1, s - 1).round(1)]) for s in sizes]
        lo = rng.normal(0.5, 1)
        hi = np.inf if rng.random() < 0.5 else lo + rng.uniform(0, 1.5)
        combos = np.array(list(itertools.product(*[range(s) for s in sizes])))
        C = sum(np.asarray(costs[j])[combos[:, j]] for j in range(len(sizes)))
        Gs = sum(np.asarray(gains[j])[combos[:, j]] for j in range(len(sizes)))
        free = (Gs >= lo) & (Gs <= hi)
        supports = []
        for _ in range(3):
            ch, done = _branch_and_bound(costs, gains, lo, hi, supports, time.monotonic() + 60)
            assert done
            if not free.any():
                assert ch is None
                break
            k = int(np.flatnonzero((combos == ch).all(axis=1))[0])
            assert free[k]
            np.testing.assert_allclose(C[k], C[free].min(), rtol=1e-12)
            sup = np.flatnonzero(combos[k] != 0)
            if not len(sup):
                break
            supports.append(frozenset(sup.tolist()))
            free &= ~(combos[:, sup] != 0).all(axis=1)
