"""The text of explained rows (glassbox.render.rows): what `glassbox explain` prints."""

from __future__ import annotations

import re

import numpy as np

from glassbox.explanation import LocalExplanation
from glassbox.render.rows import explained_rows

LINE = re.compile(r"^\s+([+-]\S+)\s+(\S+) = (.*)$", re.M)


def _expl(values, base, names, outputs, link="logit", method="ebm", extras=None):
    values = np.asarray(values, dtype=float)
    return LocalExplanation(
        values=values,
        base_values=np.asarray(base, dtype=float),
        data=np.zeros(values.shape[:2]),
        feature_names=tuple(names),
        output_names=tuple(outputs),
        link=link,
        method=method,
        extras=extras or {},
    )


def test_sorted_by_size_with_values_and_zero_hidden():
    e = _expl([[0.2, -1.5, 2.17e-16, 0.7]], [0.4], ["Age", "Records", "Home", "Income"], ["good"])
    raw = [{"Age": 31, "Records": "yes", "Home": "ignore", "Income": float("nan")}]
    proba = np.array([[0.3, 0.7]])
    text = explained_rows(e, row_ids=["line 7"], raw_rows=raw, classes=["bad", "good"], proba=proba)
    assert text.splitlines()[0] == "line 7: predicted good (P = 0.7)"
    # the sum printed is the base plus every contribution (oracle: arithmetic by hand)
    assert "log-odds of good = base 0.4 + contributions -0.6 = -0.2" in text
    found = LINE.findall(text)
    assert [n for _, n, _ in found] == ["Records", "Income", "Age"]  # by |value|
    assert [float(v) for v, _, _ in found] == [-1.5, 0.7, 0.2]
    assert dict((n, v) for _, n, v in found) == {
        "Records": "yes",
        "Income": "(missing)",
        "Age": "31",
    }
    assert "Home =" not in text  # +2.17e-16 is zero up to rounding
    assert "1 zero contribution hidden" in text


def test_binary_two_outputs_shows_positive_class_only():
    v = np.array([[[-0.25, 0.25], [0.1, -0.1]]])  # mirrored columns, as tree SHAP gives
    e = _expl(v, [[0.6, 0.4]], ["a", "b"], ["no", "yes"], link="identity", method="tree_path")
    text = explained_rows(
        e, row_ids=["line 2"], classes=["no", "yes"], proba=np.array([[0.45, 0.55]])
    )
    assert "P(yes) = base 0.4 + contributions +0.15 = 0.55" in text
    assert "P(no)" not in text
    assert [float(x) for x, _, _ in LINE.findall(text)] == [0.25, -0.1]


def test_multiclass_shows_predicted_class():
    v = np.zeros((2, 2, 3))
    v[0, :, 2] = [0.5, -0.2]
    v[1, :, 0] = [0.1, 0.9]
    e = _expl(v, np.zeros((2, 3)), ["a", "b"], ["x", "y", "z"], link="identity", method="kernel")
    proba = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]])
    text = explained_rows(e, row_ids=["r1", "r2"], classes=["x", "y", "z"], proba=proba)
    first, second = text.split("\n\n")[:2]
    assert "predicted z (P = 0.7)" in first and "P(z)" in first
    assert "predicted x (P = 0.8)" in second and "P(x)" in second
    assert [float(x) for x, _, _ in LINE.findall(second)] == [0.9, 0.1]


def test_top_k_sums_the_rest_and_regression_prediction():
    e = _expl([[3.0, -2.0, 1.0, 0.5]], [10.0], list("abcd"), ["y"], link="identity")
    text = explained_rows(e, row_ids=["line 2"], prediction=np.array([12.5]), top=2)
    assert text.startswith("line 2: predicted 12.5\n")
    assert "prediction = base 10 + contributions +2.5 = 12.5" in text
    assert "2 smaller contributions not shown, sum +1.5" in text
    assert re.findall(r"^\s+([+-]\S+)\s+(\w) =", text, re.M) == [("+3", "a"), ("-2", "b")]


def test_local_surrogate_prints_black_box_and_local_fit_and_r2():
    extras = {
        "model_output": np.array([-3.62]),
        "local_prediction": np.array([0.015]),
        "local_fidelity": np.array([0.42]),
        "target": np.array(["good"]),
    }
    e = _expl([[0.5, -0.2]], [-0.285], ["a", "b"], ["good"], method="lime", extras=extras)
    text = explained_rows(
        e, row_ids=["line 3"], classes=["bad", "good"], proba=np.array([[0.97, 0.03]])
    )
    assert "black box: log-odds of good = -3.62" in text
    assert "local fit: log-odds of good = base -0.285 + contributions +0.3 = 0.015" in text
    assert "local R^2 0.420" in text


def test_pair_terms_show_both_values():
    e = _expl([[0.3]], [0.0], ["Home & Amount"], ["y"], link="identity")
    text = explained_rows(
        e, row_ids=["line 2"], raw_rows=[{"Home": "rent", "Amount": 600}], prediction=[0.3]
    )
    assert "+0.3  Home = rent & Amount = 600" in text
