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
    est = model.estimator_  # oracle: scikit-learn's own tree (shape) and the model's predict
    leaves = np.array([_leaf_of(nodes, x) for x in X.to_numpy()])
    # the printed thresholds route rows as the model predicts (scikit-learn's float32
    # apply can differ for a value equal to a short printed cut, e.g. 2.4)
    if kind == "classifier":
        np.testing.assert_allclose(nodes.value[leaves], model.predict_proba(X), atol=1e-12)
    else:
        np.testing.assert_allclose(nodes.value[leaves, 0], model.predict(X), atol=1e-12)
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
        assert nodes.output_names == tuple(str(c) for c in est.classes_)


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


# --- to_frame order and short reprs ---------------------------------------------------


def test_global_to_frame_is_sorted_by_importance():
    g = GlobalExplanation(
        term_names=("a", "b", "c", "d"),
        importances=np.array([0.2, 3.0, 0.2, 1.0]),
        intercept=np.zeros(1),
        output_names=("y",),
        link="identity",
        method="t",
        coefficients=np.array([1.0, -2.0, 3.0, 4.0]),
    )
    frame = g.to_frame()
    assert frame["term"].tolist() == ["b", "d", "a", "c"]  # ties keep the model's order
    assert frame["coefficient"].tolist() == [-2.0, 4.0, 1.0, 3.0]  # rows move together
    multi = GlobalExplanation(
        term_names=("a", "b"),
        importances=np.array([[0.1, 2.0], [0.5, 1.0]]),
        intercept=np.zeros(2),
        output_names=("p", "q"),
        link="softmax",
        method="t",
    ).to_frame()
    assert multi[["output", "term"]].values.tolist() == [
        ["p", "b"],
        ["p", "a"],
        ["q", "a"],
        ["q", "b"],
    ]


def test_real_model_frame_is_sorted_within_each_output():
    X, y = wine()
    frame = GLMClassifier().fit(X, y).explain_global().to_frame()
    for _, part in frame.groupby("output", sort=False):
        imp = part["importance"].to_numpy()
        assert np.all(np.diff(imp) <= 0)


def test_reprs_are_short_summaries_not_arrays():
    big = LocalExplanation(
        values=np.arange(5000.0).reshape(1000, 5) * np.array([1, -3, 0.5, 2, 0]),
        base_values=np.zeros(1000),
        data=np.zeros((1000, 5)),
        feature_names=("a", "b", "c", "d", "e"),
        output_names=("y",),
        link="logit",
        method="tree_shap",
    )
    text = repr(big)
    assert len(text) < 250 and "\n" not in text and "array" not in text
    assert text.startswith("LocalExplanation(1000 rows; 5 features;")
    assert "method='tree_shap'" in text and "link='logit'" in text
    # top features by mean |value| (the oracle: numpy), largest first
    order = np.argsort(-np.abs(big.values).mean(axis=0))[:3]
    names = [big.feature_names[j] for j in order]
    tops = text.split("top by mean |value|: ", 1)[1]
    assert [part.split()[0] for part in tops.split(", ")[:3]] == names
    assert "2 more" in text
    assert repr(big[[3]]).startswith("LocalExplanation(1 row; ")
    X, y = wine()
    g = GLMClassifier().fit(X, y).explain_global()
    text = repr(g)
    assert text.startswith("GlobalExplanation(13 terms; 3 outputs; method='glm'")
    assert len(text) < 300 and "array" not in text


def test_single_output_to_shap_rows_feed_shaps_waterfall():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shap

    loc = _local()
    e = loc.to_shap()
    assert np.ndim(e[1].base_values) == 0 and float(e[1].base_values) == 0.5
    shap.plots.waterfall(e[1], show=False)  # shap's own plot accepts the row
    plt.close("all")
