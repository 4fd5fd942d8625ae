"""Explanation dataclasses: validation, to_frame, to_shap round trip."""

import numpy as np
import pytest

from glassbox import GLMClassifier, GlobalExplanation, LocalExplanation
from glassbox.datasets import wine


def _local(n=4, f=3, k=None):
    rng = np.random.default_rng(0)
    shape = (n, f) if k is None else (n, f, k)
    base = np.zeros(n) if k is None else np.zeros((n, k))
    return LocalExplanation(
        values=rng.normal(size=shape),
        base_values=base + 0.5,
        data=rng.normal(size=(n, f)),
        feature_names=("a", "b", "c"),
        output_names=("y",) if k is None else tuple(f"c{i}" for i in range(k)),
        link="identity",
        method="test",
    )


def test_shape_mismatches_are_refused():
    with pytest.raises(ValueError, match="feature names"):
        LocalExplanation(
            np.zeros((2, 3)), np.zeros(2), np.zeros((2, 3)), ("a",), ("y",), "identity", "t"
        )
    with pytest.raises(ValueError, match="base_values"):
        LocalExplanation(
            np.zeros((2, 3)),
            np.zeros(5),
            np.zeros((2, 3)),
            ("a", "b", "c"),
            ("y",),
            "identity",
            "t",
        )
    with pytest.raises(ValueError, match="importances"):
        GlobalExplanation(("a", "b"), np.zeros(3), np.zeros(1), ("y",), "identity", "t")


def test_to_frame_is_long_and_sums_back():
    loc = _local()
    frame = loc.to_frame()
    assert len(frame) == 12
    sums = frame.groupby("row")["value"].sum().to_numpy() + 0.5
    np.testing.assert_allclose(sums, loc.output())
    multi = _local(k=2).to_frame()
    assert set(multi["output"]) == {"c0", "c1"} and len(multi) == 24


def test_to_shap_keeps_arrays():
    import shap

    loc = _local(k=2)
    exp = loc.to_shap()
    assert isinstance(exp, shap.Explanation)
    np.testing.assert_array_equal(exp.values, loc.values)
    np.testing.assert_array_equal(exp.base_values, loc.base_values)
    assert list(exp.feature_names) == ["a", "b", "c"]


def test_row_selection_and_global_frame():
    X, y = wine()
    model = GLMClassifier().fit(X, y)
    loc = model.explain_local(X)
    sub = loc[[0, 5]]
    np.testing.assert_array_equal(sub.values, loc.values[[0, 5]])
    g = model.explain_global().to_frame()
    assert set(g.columns) >= {"output", "term", "importance", "coefficient"}
    assert len(g) == 3 * X.shape[1]
    # importance is the mean |contribution| on the training data (closed form for linear)
    contrib = np.abs(loc.values).mean(axis=0)
    np.testing.assert_allclose(model.explain_global().importances, contrib, rtol=1e-10)


# --- plain data the renderer reads: tree nodes, EBM lookup tables -------------------


def _leaf_of(nodes, x) -> int:
    """Follow the printed rule `feature <= threshold` from the root to a leaf."""
    node = 0
    while nodes.left[node] >= 0:
        go_left = x[nodes.feature[node]] <= nodes.threshold[node]
        node = nodes.left[node] if go_left else nodes.right[node]
    return int(node)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_tree_nodes_route_rows_as_scikit_learn_does(kind):
    from glassbox import TreeClassifier, TreeRegressor

    X, y = wine()
    X = X.iloc[:, :5]
    if kind == "classifier":
        model = TreeClassifier(max_depth=3, random_state=0).fit(X, y)
    else:
        model = TreeRegressor(max_depth=3, random_state=0).fit(X, X.iloc[:, 0] * 2 + X.iloc[:, 1])
    nodes = model.nodes()
    est = model.estimator_  # oracle: scikit-learn's own tree
    leaves = np.array([_leaf_of(nodes, x) for x in X.to_numpy()])
    np.testing.assert_array_equal(leaves, est.apply(X.to_numpy(dtype=np.float32)))
    assert nodes.depth == est.get_depth() and nodes.n_leaves == est.get_n_leaves()
    assert nodes.samples[0] == len(X)
    internal = nodes.left >= 0
    np.testing.assert_array_equal(
        nodes.samples[internal],
        nodes.samples[nodes.left[internal]] + nodes.samples[nodes.right[internal]],
    )
    assert (nodes.feature[~internal] == -1).all() and np.isnan(nodes.threshold[~internal]).all()
    assert nodes.feature_names == tuple(X.columns)
    if kind == "classifier":
        np.testing.assert_allclose(nodes.value[leaves], est.predict_proba(X.to_numpy()))
        assert nodes.output_names == tuple(str(c) for c in est.classes_)
    else:
        np.testing.assert_allclose(nodes.value[leaves, 0], est.predict(X.to_numpy()))


def _cell(shape, i: int, x) -> int:
    """Row of the lookup table for value x of the term's i-th feature: 0 missing,
    then the bins (x in [lower, upper) between cuts) or levels, last: unseen level."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return 0
    if shape.cuts[i] is None:
        levels = list(shape.grid[i])
        return levels.index(x) + 1 if x in levels else len(levels) + 1
    return int(np.searchsorted(shape.cuts[i], x, side="right")) + 1


def test_ebm_lookup_tables_reproduce_predictions():
    import pandas as pd

    from glassbox import EBMRegressor
    from glassbox.datasets import diabetes
    from glassbox.registry import fast

    X, y = diabetes()
    X, y = X.iloc[:200, :3].copy(), y.iloc[:200]
    X["colour"] = np.random.default_rng(0).choice(["red", "green", "blue"], len(X))
    X.iloc[::17, 0] = np.nan
    model = fast(EBMRegressor, interactions=2).fit(X, y)
    g = model.explain_global()
    assert any(len(s.features) == 2 for s in g.shapes)
    bins = model.estimator_.bins_  # oracle: interpret's own bins and scores
    for t, (shape, feats) in enumerate(zip(g.shapes, model.term_features_)):
        np.testing.assert_array_equal(shape.lookup, model.estimator_.term_scores_[t])
        inner = tuple(slice(1, -1) for _ in feats)
        np.testing.assert_array_equal(shape.lookup[inner], shape.values)
        for i, f in enumerate(feats):
            b = bins[f][min(len(feats) - 1, len(bins[f]) - 1)]
            if isinstance(b, dict):
                assert shape.cuts[i] is None and list(shape.grid[i]) == sorted(b, key=b.get)
            else:
                np.testing.assert_array_equal(shape.cuts[i], b)
    X_new = pd.concat([X.iloc[:30], X.iloc[:2].assign(colour="purple")])  # an unseen level
    rows = X_new.astype(object).to_numpy()
    names = list(X.columns)
    by_hand = np.full(len(rows), float(g.intercept[0]))
    for shape in g.shapes:
        cols = [names.index(f) for f in shape.features]
        for r, x in enumerate(rows):
            by_hand[r] += shape.lookup[tuple(_cell(shape, i, x[c]) for i, c in enumerate(cols))]
    np.testing.assert_allclose(by_hand, model.predict(X_new), rtol=0, atol=1e-9)
