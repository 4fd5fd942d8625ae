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
        LocalExplanation(np.zeros((2, 3)), np.zeros(2), np.zeros((2, 3)), ("a",), ("y",), "identity", "t")
    with pytest.raises(ValueError, match="base_values"):
        LocalExplanation(np.zeros((2, 3)), np.zeros(5), np.zeros((2, 3)), ("a", "b", "c"), ("y",), "identity", "t")
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
