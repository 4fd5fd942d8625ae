"""counterfactuals: exact solvers against brute force over a fine grid, constraints,
validity re-checked on the model, the search's determinism and time limit."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassbox import GLMClassifier, TreeClassifier, TreeRegressor
from surrogates.counterfactual import SPARSITY, Counterfactuals, counterfactuals


def _data(n=200, seed=0, text=False):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "Income": rng.normal(2500, 600, n).round(1),
            "Debt": rng.uniform(0, 2000, n).round(1),
            "Age": rng.integers(18, 70, n),
        }
    )
    signal = X.Income / 1000 - X.Debt / 1000 + 0.02 * (X.Age - 40)
    if text:
        X["Home"] = rng.choice(["rent", "own", "parents"], n)
        signal = signal + 0.8 * (X.Home == "own")
    y = np.where(signal + rng.normal(0, 0.3, n) > 1.4, "approved", "refused")
    return X, y


def _is_cat(col: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(col.dtype)


def _mad_weights(X: pd.DataFrame) -> np.ndarray:
    """1 / median absolute deviation: the default cost, computed here independently."""
    out = []
    for c in X.columns:
        if _is_cat(X[c]):
            out.append(1.0)
            continue
        v = X[c].to_numpy(float)
        out.append(1.0 / np.median(np.abs(v - np.median(v))))
    return np.array(out)


def _cost(X, x, rows, w):
    """Weighted L1 (categorical change = 1) plus SPARSITY per changed feature."""
    total = np.zeros(len(rows))
    for j, c in enumerate(X.columns):
        a, b = x[c].iloc[0], rows[c].to_numpy()
        changed = b != a
        mag = changed.astype(float) if _is_cat(X[c]) else np.abs(b.astype(float) - a)
        total += w[j] * mag + SPARSITY * changed
    return total


def _grid(X, x, model, ok, steps, fixed=(), ranges=None, levels=None):
    """Brute force: every combination of a fine grid per feature (the observed
    range, or ``ranges``), the model asked on all of them; min cost of the valid
    ones, with the weights of the whole X."""
    ranges, levels = ranges or {}, levels or {}
    axes = []
    for c in X.columns:
        lo, hi = ranges.get(c, (X[c].min(), X[c].max()))
        if c in fixed:
            axes.append([x[c].iloc[0]])
        elif _is_cat(X[c]):
            axes.append(levels.get(c, sorted(X[c].unique())))
        elif pd.api.types.is_integer_dtype(X[c].dtype):
            axes.append(np.arange(lo, hi + 1))
        else:
            g = np.linspace(lo, hi, steps)
            axes.append(np.unique(np.append(g, x[c].iloc[0])))
    rows = pd.DataFrame(list(itertools.product(*axes)), columns=X.columns)
    for c in X.columns:
        rows[c] = rows[c].astype(X[c].dtype)
    good = ok(model.predict(rows))
    w = _mad_weights(X)
    costs = _cost(X, x, rows[good], w)
    spacing = max(
        (ranges.get(c, (X[c].min(), X[c].max()))[1] - ranges.get(c, (X[c].min(),))[0])
        / (steps - 1)
        * wj
        for c, wj in zip(X.columns, w)
        if not _is_cat(X[c]) and not pd.api.types.is_integer_dtype(X[c].dtype) and c not in fixed
    )
    return (costs.min() if len(costs) else np.inf), spacing


def _check_result(res: Counterfactuals, X, x, model, ok):
    assert len(res) >= 1
    assert res.valid.all()
    np.testing.assert_array_equal(ok(model.predict(res.rows)), True)  # re-check ourselves
    np.testing.assert_allclose(res.costs, _cost(X, x, res.rows, _mad_weights(X)), rtol=1e-9)
    for c in X.columns:
        if pd.api.types.is_integer_dtype(X[c].dtype):
            v = res.rows[c].to_numpy(float)
            np.testing.assert_array_equal(v, np.round(v))
        elif _is_cat(X[c]):
            assert set(res.rows[c]) <= set(X[c])
        else:  # default bounds: the observed range
            assert (res.rows[c] >= X[c].min()).all() and (res.rows[c] <= X[c].max()).all()


@pytest.mark.parametrize(
    "make",
    [
        lambda: TreeClassifier(max_depth=4),
        lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
    ],
    ids=["glassbox", "sklearn"],
)
def test_tree_exact_equals_brute_force(make):
    X, y = _data()
    model = make().fit(X, y)
    ok = lambda out: out == "approved"  # noqa: E731
    for i in np.flatnonzero(model.predict(X) == "refused")[:2]:
        x = X.iloc[[i]]
        res = counterfactuals(model, x, X=X, n=3)
        assert res.exact and res.method == "tree"
        _check_result(res, X, x, model, ok)
        best, spacing = _grid(X, x, model, ok, steps=81)
        # exact is never worse than any grid point and the fine grid comes close to it
        assert res.costs[0] <= best + 1e-6
        assert best <= res.costs[0] + spacing + 1e-6
        assert np.all(np.diff(res.costs) >= -1e-12)


def test_tree_with_text_column_and_regressor():
    X, y = _data(text=True)
    model = TreeClassifier(max_depth=4).fit(X, y)
    ok = lambda out: out == "approved"  # noqa: E731
    x = X.iloc[[int(np.flatnonzero(model.predict(X) == "refused")[0])]]
    res = counterfactuals(model, x, X=X, n=4)
    _check_result(res, X, x, model, ok)
    best, spacing = _grid(X, x, model, ok, steps=41)
    assert res.costs[0] <= best + 1e-6 and best <= res.costs[0] + spacing + 1e-6

    Xn = X.drop(columns="Home")
    target = 2 * Xn.Income.to_numpy() - Xn.Debt.to_numpy()
    for reg in (TreeRegressor(max_depth=4), DecisionTreeRegressor(max_depth=4, random_state=0)):
        reg.fit(Xn, target)
        x = Xn.iloc[[0]]
        lo = float(reg.predict(x)[0]) + 500
        okr = lambda out, lo=lo: out >= lo  # noqa: E731
        res = counterfactuals(reg, x, X=Xn, desired=(lo, None), n=2)
        _check_result(res, Xn, x, reg, okr)
        best, spacing = _grid(Xn, x, reg, okr, steps=81)
        assert res.costs[0] <= best + 1e-6 and best <= res.costs[0] + spacing + 1e-6


def test_linear_exact_equals_brute_force():
    X, y = _data(text=True)
    model = GLMClassifier().fit(X, y)
    ok = lambda out: out == "approved"  # noqa: E731
    for i in np.flatnonzero(model.predict(X) == "refused")[:2]:
        x = X.iloc[[i]]
        res = counterfactuals(model, x, X=X, n=3)
        assert res.exact and res.method == "linear"
        _check_result(res, X, x, model, ok)
        best, spacing = _grid(X, x, model, ok, steps=51)
        assert res.costs[0] <= best + 1e-6
        assert best <= res.costs[0] + spacing + 1e-6
        # later rows never change all the features an earlier one changed
        sets = [frozenset(f for f, _, _ in ch) for ch in res.changes]
        for a, b in itertools.combinations(sets, 2):
            assert not a <= b


def test_linear_sklearn_multiclass_and_regression():
    X, _ = _data()
    rng = np.random.default_rng(1)
    y3 = np.digitize(X.Income / 1000 - X.Debt / 1000 + rng.normal(0, 0.2, len(X)), [0.5, 1.8])
    model = LogisticRegression(max_iter=2000).fit(X, y3)
    x = X.iloc[[int(np.flatnonzero(model.predict(X) == 0)[0])]]
    ok = lambda out: out == 2  # noqa: E731
    res = counterfactuals(model, x, X=X, desired=2, n=2)
    assert res.method == "linear" and res.exact
    _check_result(res, X, x, model, ok)
    best, spacing = _grid(X, x, model, ok, steps=81)
    assert res.costs[0] <= best + 1e-6 and best <= res.costs[0] + spacing + 1e-6

    reg = LinearRegression().fit(X, X.Income - 0.5 * X.Debt)
    x = X.iloc[[3]]
    lo, hi = float(reg.predict(x)[0]) + 300, float(reg.predict(x)[0]) + 400
    okr = lambda out: (out >= lo) & (out <= hi)  # noqa: E731
    res = counterfactuals(reg, x, X=X, desired=(lo, hi), n=1)
    _check_result(res, X, x, reg, okr)
    best, spacing = _grid(X, x, reg, okr, steps=81)
    assert res.costs[0] <= best + 1e-6 and best <= res.costs[0] + spacing + 1e-6


@pytest.mark.parametrize("method", ["tree", "linear", "search"])
def test_constraints_always_held(method):
    X, y = _data(text=True)
    model = (GLMClassifier() if method == "linear" else TreeClassifier(max_depth=5)).fit(X, y)
    for i in np.flatnonzero(model.predict(X) == "refused")[:4]:
        x = X.iloc[[i]]
        res = counterfactuals(
            model,
            x,
            X=X,
            n=4,
            immutable=["Age"],
            monotone={"Debt": "down"},
            bounds={"Income": (None, x.Income.iloc[0] + 800), "Home": ["rent", "parents"]},
            method=method,
            random_state=0,
        )
        assert res.valid.all()
        r = res.rows
        assert method != "search" or len(res)
        assert (r.Age == x.Age.iloc[0]).all()
        assert (r.Debt <= x.Debt.iloc[0]).all()
        assert (r.Income <= x.Income.iloc[0] + 800).all()
        assert set(r.Home) <= {"rent", "parents", x.Home.iloc[0]}
        if method != "search":  # exact: brute force over the same constrained box
            xi, xd = x.Income.iloc[0], x.Debt.iloc[0]
            best, spacing = _grid(
                X,
                x,
                model,
                lambda out: out == "approved",
                steps=81,
                fixed=("Age",),
                ranges={"Income": (X.Income.min(), xi + 800), "Debt": (X.Debt.min(), xd)},
                levels={"Home": sorted({"rent", "parents", x.Home.iloc[0]})},
            )
            if len(res):
                assert res.costs[0] <= best + 1e-6
                assert best <= res.costs[0] + spacing + 1e-6
            else:
                assert best == np.inf
    if method != "search":
        assert res.exact


def test_no_counterfactual_is_proven():
    X, y = _data()
    model = TreeClassifier(max_depth=3).fit(X, y)
    x = X.iloc[[int(np.flatnonzero(model.predict(X) == "refused")[0])]]
    res = counterfactuals(model, x, X=X, immutable=list(X.columns))
    assert len(res) == 0 and res.exact and "none" in str(res)


def test_search_black_box_valid_deterministic_diverse():
    X, y = _data(text=False)
    rf = RandomForestClassifier(n_estimators=30, max_depth=5, random_state=0).fit(X, y)
    ok = lambda out: out == "approved"  # noqa: E731
    xs = np.flatnonzero(rf.predict(X) == "refused")[:3]
    for i in xs:
        x = X.iloc[[i]]
        kw = dict(X=X, n=4, random_state=7, time_limit=60, method="search")
        a = counterfactuals(rf, x, **kw)
        b = counterfactuals(rf, x, **kw)
        assert a.method == "search" and not a.exact and a.complete
        _check_result(a, X, x, rf, ok)
        pd.testing.assert_frame_equal(a.rows, b.rows)
        assert len({tuple(r) for r in a.rows.to_numpy()}) == len(a)  # no duplicates
    # a callable black box on a numpy row: labels out
    w = np.array([1 / 600, -1 / 800, 0.01])

    def fn(A):
        return (np.asarray(A, float) @ w > 2.5).astype(int)

    x = np.array([2000.0, 900.0, 40.0])
    res = counterfactuals(fn, x, X=X.to_numpy(float), desired=1, random_state=0)
    assert res.valid.all() and len(res) >= 1
    np.testing.assert_array_equal(fn(res.rows.to_numpy(float)), 1)


def test_search_stops_at_time_limit():
    X, y = _data()
    rf = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    x = X.iloc[[int(np.flatnonzero(rf.predict(X) == "refused")[0])]]
    res = counterfactuals(rf, x, X=None, time_limit=1e-6, random_state=0, method="search")
    assert not res.complete and "time_limit" in res.message
    assert res.valid.all()  # whatever it returns is still checked


def test_text_and_frame():
    X, y = _data()
    model = TreeClassifier(max_depth=3).fit(X, y)
    x = X.iloc[[int(np.flatnonzero(model.predict(X) == "refused")[0])]]
    res = counterfactuals(model, x, X=X, n=2)
    line = res.describe(0)
    assert line.endswith("turns 'refused' into 'approved'")
    for f, a, b in res.changes[0]:
        assert f in line and "->" in line
        assert x[f].iloc[0] == a and res.rows[f].iloc[0] == b
    # the same row as a bare array (names from the model) and as a Series
    for other in (x.to_numpy()[0], x.iloc[0]):
        again = counterfactuals(model, other, X=X, n=2)
        np.testing.assert_allclose(again.costs, res.costs, rtol=1e-12)
        assert again.changes == res.changes
    frame = res.to_frame()
    assert list(frame.columns[-4:]) == ["cost", "n_changes", "valid", "outcome"]
    assert str(res).count("turns") == len(res)


def test_bad_input():
    X, y = _data()
    model = TreeClassifier(max_depth=3).fit(X, y)
    x = X.iloc[[0]]
    with pytest.raises(ValueError, match="not a class"):
        counterfactuals(model, x, X=X, desired="maybe")
    with pytest.raises(ValueError, match="unknown feature"):
        counterfactuals(model, x, X=X, immutable=["Salary"])
    with pytest.raises(ValueError, match="one row"):
        counterfactuals(model, X.iloc[:2], X=X)
    with pytest.raises(ValueError, match="method"):
        counterfactuals(model, x, X=X, method="magic")
    reg = TreeRegressor(max_depth=2).fit(X, X.Income)
    with pytest.raises(ValueError, match="low, high"):
        counterfactuals(reg, x, X=X)
    with pytest.raises(ValueError, match="monotone"):
        counterfactuals(model, x, X=X, monotone={"Debt": "sideways"})


@pytest.mark.parametrize(
    "make",
    [
        lambda: __import__("glassbox").OneRClassifier(),
        lambda: __import__("glassbox").RuleListClassifier(),
        lambda: RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0),
    ],
    ids=["one_r", "rule_list", "small_forest"],
)
def test_cells_exact_equals_brute_force(make):
    X, y = _data(n=160)
    model = make().fit(X, y)
    ok = lambda out: out == "approved"  # noqa: E731
    for i in np.flatnonzero(model.predict(X) == "refused")[:2]:
        x = X.iloc[[i]]
        res = counterfactuals(model, x, X=X, n=2, time_limit=60, method="cells")
        assert res.method == "cells" and res.exact and res.complete
        _check_result(res, X, x, model, ok)
        assert res.lower_bound == res.costs[0]
        best, spacing = _grid(X, x, model, ok, steps=81)
        assert res.costs[0] <= best + 1e-6
        assert best <= res.costs[0] + spacing + 1e-6
        # the default method: the same proven nearest row (on the small forest
        # within its short enumeration budget, then the search may fill up)
        auto = counterfactuals(model, x, X=X, n=2, random_state=0)
        assert auto.method.startswith("cells") and auto.exact
        _check_result(auto, X, x, model, ok)
        np.testing.assert_allclose(auto.costs[0], res.costs[0], rtol=1e-12)


def test_auto_searches_a_large_forest():
    """At the defaults a 100-tree forest is searched (milliseconds), not enumerated
    (seconds); the result says so and its rows are valid on the model."""
    X, y = _data(n=300)
    rf = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0).fit(X, y)
    ok = lambda out: out == "approved"  # noqa: E731
    x = X.iloc[[int(np.flatnonzero(rf.predict(X) == "refused")[0])]]
    res = counterfactuals(rf, x, X=X, random_state=0)
    assert res.method == "search" and not res.exact and res.complete
    assert "split nodes" in res.message and "method='cells'" in res.message
    assert len(res) == 4
    _check_result(res, X, x, rf, ok)
    pd.testing.assert_frame_equal(res.rows, counterfactuals(rf, x, X=X, random_state=0).rows)


def test_cells_gap_is_honest_under_time_limit():
    X, y = _data(n=300)
    rf = RandomForestClassifier(n_estimators=60, max_depth=7, random_state=0).fit(X, y)
    ok = lambda out: out == "approved"  # noqa: E731
    x = X.iloc[[int(np.flatnonzero(rf.predict(X) == "refused")[1])]]
    res = counterfactuals(rf, x, X=X, n=2, time_limit=0.5, random_state=0, method="cells")
    assert res.valid.all() and res.method.startswith("cells")
    best, spacing = _grid(X, x, rf, ok, steps=61)
    # the proven bound never exceeds the true nearest cost (nor what was found)
    assert res.lower_bound <= best + 1e-9
    if len(res):
        assert res.lower_bound <= res.costs[0] + 1e-9
    if not res.exact:
        assert not res.complete and "at least" in res.message


def test_additive_ebm_exact_equals_brute_force():
    from glassbox import EBMClassifier, EBMRegressor

    X, y = _data(n=300, text=True)
    model = EBMClassifier(outer_bags=1, interactions=0, max_bins=32).fit(X, y)
    ok = lambda out: out == "approved"  # noqa: E731
    for i in np.flatnonzero(model.predict(X) == "refused")[:2]:
        x = X.iloc[[i]]
        res = counterfactuals(model, x, X=X, n=3)
        assert res.method == "additive" and res.exact
        _check_result(res, X, x, model, ok)
        best, spacing = _grid(X, x, model, ok, steps=41)
        assert res.costs[0] <= best + 1e-6
        assert best <= res.costs[0] + spacing + 1e-6
    Xn = X.drop(columns="Home")
    reg = EBMRegressor(outer_bags=1, interactions=0, max_bins=32).fit(Xn, 2 * Xn.Income - Xn.Debt)
    x = Xn.iloc[[0]]
    lo = float(reg.predict(x)[0]) + 300
    hi = lo + 200
    okr = lambda out: (out >= lo) & (out <= hi)  # noqa: E731
    res = counterfactuals(reg, x, X=Xn, desired=(lo, hi), n=2)
    assert res.method == "additive" and res.exact
    _check_result(res, Xn, x, reg, okr)
    best, spacing = _grid(Xn, x, reg, okr, steps=81)
    assert res.costs[0] <= best + 1e-6 and best <= res.costs[0] + spacing + 1e-6


def test_ebm_pairs_auto_short_enumeration_then_search(monkeypatch):
    """An EBM with pair terms: method="cells" (asked for) still proves the nearest
    row as brute force finds it; at method="auto" the enumeration gets a short
    budget (forced to nothing here), the search fills up, and the message and
    lower bound say what was proven (never above the true nearest cost)."""
    from glassbox import EBMClassifier
    from surrogates.counterfactual import _cells

    X, y = _data(n=200)
    model = EBMClassifier(outer_bags=1, interactions=2, max_bins=8, max_interaction_bins=4)
    model.fit(X, y)
    assert any(len(t) == 2 for t in model.term_features_)
    ok = lambda out: out == "approved"  # noqa: E731
    x = X.iloc[[int(np.flatnonzero(model.predict(X) == "refused")[0])]]
    res = counterfactuals(model, x, X=X, n=2, method="cells", time_limit=60, progress=False)
    assert res.method == "cells" and res.exact and res.complete
    _check_result(res, X, x, model, ok)
    best, spacing = _grid(X, x, model, ok, steps=41)
    assert res.costs[0] <= best + 1e-6 and best <= res.costs[0] + spacing + 1e-6
    monkeypatch.setattr(_cells, "AUTO_SECONDS_EBM", 1e-9)
    auto = counterfactuals(model, x, X=X, n=2, random_state=0, progress=False)
    assert auto.method == "cells+search" and not auto.exact and not auto.complete
    assert "at least" in auto.message and "method='cells'" in auto.message
    assert auto.lower_bound <= res.costs[0] + 1e-9
    _check_result(auto, X, x, model, ok)


def test_progress_flag_reaches_the_ticker(monkeypatch):
    """``progress`` switches the elapsed-time line around the solve on and off."""
    from surrogates.counterfactual import _api

    seen = []

    class Ticker:
        def __init__(self, desc, enabled=True):
            seen.append(enabled)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    monkeypatch.setattr(_api, "progress_ticker", Ticker)
    X, y = _data(n=120)
    model = GLMClassifier().fit(X, y)
    x = X.iloc[[int(np.flatnonzero(model.predict(X) == "refused")[0])]]
    counterfactuals(model, x, X=X, n=1)
    counterfactuals(model, x, X=X, n=1, progress=False)
    assert seen == [True, False]
