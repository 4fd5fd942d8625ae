"""Tree family against scikit-learn fitted directly, a walk of the printed
tree, and a slow per-row path reference for the contributions."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassbox import TreeClassifier, TreeRegressor
from glassbox.datasets import breast_cancer, diabetes, wine

LINE = re.compile(r"^((?:\|   )*)\|--- (.*)$")


def _parse_printed_tree(text: str):
    """Parse the printed tree into nested dicts: {'feature','op','threshold',...}."""
    body = [
        line for line in text.splitlines() if line.startswith("|---") or line.startswith("|   ")
    ]
    items = []
    for line in body:
        m = LINE.match(line)
        depth = len(m.group(1)) // 4
        items.append((depth, m.group(2)))

    def build(i, depth):
        content = items[i][1]
        if content.startswith("class:") or content.startswith("value:"):
            return {"leaf": content}, i + 1
        # a split: "<name> <= thr  (samples=..)" then its subtree, then "<name> >  thr" and subtree
        name, thr = re.match(r"^(.*) <= (\S+)  \(samples=\d+\)$", content).groups()
        left, j = build(i + 1, depth + 1)
        assert re.match(rf"^{re.escape(name)} >  {re.escape(thr)}  \(samples=\d+\)$", items[j][1])
        right, k = build(j + 1, depth + 1)
        return {"feature": name, "threshold": float(thr), "left": left, "right": right}, k

    tree, end = build(0, 0)
    assert end == len(items)
    return tree


def _evaluate(tree, row: dict):
    while "feature" in tree:
        tree = tree["left"] if row[tree["feature"]] <= tree["threshold"] else tree["right"]
    return tree["leaf"]


def test_same_predictions_as_sklearn_directly():
    X, y = breast_cancer()
    ours = TreeClassifier(max_depth=3, random_state=0).fit(X, y)
    ref = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X))
    Xr, yr = diabetes()
    ours_r = TreeRegressor(max_depth=3, random_state=0).fit(Xr, yr)
    ref_r = DecisionTreeRegressor(max_depth=3, random_state=0).fit(Xr, yr)
    np.testing.assert_allclose(ours_r.predict(Xr), ref_r.predict(Xr))
    assert ours_r.complexity_ == ref_r.get_n_leaves()


def test_printed_regression_tree_reproduces_predict():
    X, y = diabetes()
    model = TreeRegressor(max_depth=4, random_state=0).fit(X, y)
    tree = _parse_printed_tree(str(model))
    printed = np.array([float(_evaluate(tree, row).split()[1]) for row in X.to_dict("records")])
    np.testing.assert_allclose(printed, model.predict(X), rtol=1e-6)


@pytest.mark.parametrize("loader", [breast_cancer, wine])
def test_printed_classification_tree_reproduces_predict_and_proba(loader):
    X, y = loader()
    model = TreeClassifier(max_depth=4, random_state=0).fit(X, y)
    tree = _parse_printed_tree(str(model))
    leaves = [_evaluate(tree, row) for row in X.to_dict("records")]
    labels = [re.match(r"class: (\S+)", leaf).group(1) for leaf in leaves]
    np.testing.assert_array_equal(np.array(labels), model.predict(X).astype(str))
    probs = np.array(
        [[float(p) for p in re.findall(r" ([0-9.e-]+)(?:,|\])", leaf)] for leaf in leaves]
    )
    np.testing.assert_allclose(probs, model.predict_proba(X), atol=1e-6)


def _slow_path_contributions(model, x):
    tree = model.estimator_.tree_
    values = model._node_values()
    contrib = np.zeros((len(x), values.shape[1]))
    node = 0
    while tree.children_left[node] >= 0:
        f = tree.feature[node]
        child = (
            tree.children_left[node]
            if np.float32(x[f]) <= tree.threshold[node]
            else tree.children_right[node]
        )
        contrib[f] += values[child] - values[node]
        node = child
    return values[0], contrib


def test_path_contributions_match_slow_reference_and_add_up():
    X, y = wine()
    model = TreeClassifier(max_depth=4, random_state=0).fit(X, y)
    loc = model.explain_local(X)
    for i in range(0, len(X), 7):
        base, contrib = _slow_path_contributions(model, X.to_numpy()[i])
        np.testing.assert_allclose(loc.values[i], contrib, atol=1e-12)
        np.testing.assert_allclose(loc.base_values[i], base, atol=1e-12)
    np.testing.assert_allclose(loc.output(), model.predict_proba(X), atol=1e-12)
    Xr, yr = diabetes()
    reg = TreeRegressor(max_depth=5, random_state=0).fit(Xr, yr)
    np.testing.assert_allclose(reg.explain_local(Xr).output(), reg.predict(Xr), rtol=1e-12)


def test_single_leaf_tree_prints():
    X, _ = diabetes()
    model = TreeRegressor(max_depth=3).fit(X, np.full(len(X), 7.0))
    text = str(model)
    assert "value: 7" in text and model.complexity_ == 1
