"""Interventional SHAP interaction values (tree_shap with a background) against
enumeration: shap's convention -- off the diagonal half the Shapley interaction
index of the game v(S) = mean over background rows b of f(x on S, b elsewhere),
on the diagonal phi_i minus the row's off-diagonal sum. shap itself computes
interaction values for path-dependent TreeSHAP only."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor

from surrogates.shap.tree import tree_shap


def _game(predict, x, B):
    M = len(x)
    subsets = list(itertools.product([0, 1], repeat=M))
    H = np.concatenate([np.where(np.array(s, bool), x, B) for s in subsets])
    out = np.asarray(predict(H), dtype=np.float64).reshape(len(subsets), len(B), -1)
    return dict(zip(subsets, out.mean(axis=1), strict=True))


def _brute_interactions(v, M):
    def add(s, *idx):
        s = list(s)
        for i in idx:
            s[i] = 1
        return tuple(s)

    phi = np.zeros((M,) + next(iter(v.values())).shape)
    inter = np.zeros((M, M) + phi.shape[1:])
    for s, val in v.items():
        k = sum(s)
        for i in range(M):
            if s[i]:
                continue
            phi[i] += (
                math.factorial(k)
                * math.factorial(M - k - 1)
                / math.factorial(M)
                * (v[add(s, i)] - val)
            )
            for j in range(M):
                if j == i or s[j]:
                    continue
                w = math.factorial(k) * math.factorial(M - k - 2) / math.factorial(M - 1)
                delta = v[add(s, i, j)] - v[add(s, i)] - v[add(s, j)] + val
                inter[i, j] += w * delta / 2.0
    for i in range(M):
        inter[i, i] = phi[i] - inter[i].sum(axis=0)
    return inter, phi


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = np.nan_to_num(X[:, 0]) * np.nan_to_num(X[:, 1]) + np.sin(np.nan_to_num(X[:, 2]))
    return X, y


def test_forest_interventional_interactions(data):
    X, y = data
    model = RandomForestRegressor(n_estimators=8, max_depth=5, random_state=0).fit(X, y)
    rows, B = X[:6], X[200:240]
    got = tree_shap(model, rows, background=B, interactions=True, progress=False)
    inter = got.extras["interaction_values"]
    assert inter.shape == (6, 5, 5)
    for r in range(len(rows)):
        ref, phi = _brute_interactions(_game(model.predict, rows[r], B), 5)
        np.testing.assert_allclose(inter[r], ref[..., 0], atol=1e-12)
        np.testing.assert_allclose(got.values[r], phi[:, 0], atol=1e-12)
    np.testing.assert_allclose(inter.sum(axis=2), got.values, atol=1e-12)


def test_xgboost_and_multiclass_interventional_interactions(data):
    xgb = pytest.importorskip("xgboost")
    X, y = data
    rows, B = X[:4], X[200:230]
    model = xgb.XGBRegressor(n_estimators=15, max_depth=4, n_jobs=1).fit(X, y)
    got = tree_shap(model, rows, background=B, interactions=True, progress=False)

    def margin(Z):
        return model.predict(Z, output_margin=True)

    for r in range(len(rows)):
        ref, _ = _brute_interactions(_game(margin, rows[r], B), 5)
        scale = np.abs(ref).max()
        np.testing.assert_allclose(
            got.extras["interaction_values"][r], ref[..., 0], atol=1e-5 * scale
        )
    Xf = np.nan_to_num(X)
    clf = GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0).fit(
        Xf, (y > 0).astype(int) + (y > 1)
    )
    got = tree_shap(clf, Xf[:3], background=Xf[200:220], interactions=True, progress=False)
    assert got.extras["interaction_values"].shape == (3, 5, 5, 3)
    for r in range(3):
        ref, _ = _brute_interactions(_game(clf.decision_function, Xf[r], Xf[200:220]), 5)
        np.testing.assert_allclose(got.extras["interaction_values"][r], ref, atol=1e-10)
