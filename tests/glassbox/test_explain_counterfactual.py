"""``model.explain_counterfactual(x, ...)`` on glassbox estimators: the solvers of
``surrogates.counterfactuals``, lent to glassbox when surrogates is imported
(glassbox never imports surrogates, design.md "Layers")."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import surrogates
from glassbox import GLMClassifier, TreeClassifier


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 2)) * [1.0, 2.0], columns=["income", "debt"])
    y = (X["income"] - 0.5 * X["debt"] + 0.3 * rng.normal(size=300) > 0).astype(int)
    return X, y


def _brute_force_cost(model, x, X, weights, sparsity, steps=401):
    """Least cost over a fine grid of the data's box whose prediction differs from x's."""
    lo, hi = X.min().to_numpy(), X.max().to_numpy()
    g0, g1 = np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps)
    # x's own coordinates are on the grid, so one-feature changes are reachable
    g0, g1 = np.union1d(g0, x[0]), np.union1d(g1, x[1])
    A, B = np.meshgrid(g0, g1, indexing="ij")
    Z = np.column_stack([A.ravel(), B.ravel()])
    flip = model.predict(pd.DataFrame(Z, columns=X.columns)) != model.predict(
        pd.DataFrame([x], columns=X.columns)
    )
    D = np.abs(Z - x)
    cost = (D * weights).sum(axis=1) + sparsity * (D > 0).sum(axis=1)
    return cost[flip].min()


@pytest.mark.parametrize(
    "make", [lambda: GLMClassifier(), lambda: TreeClassifier(max_depth=3, random_state=0)]
)
def test_method_equals_the_function_and_is_exact(data, make):
    X, y = data
    model = make().fit(X, y)
    x = X.iloc[[3]]
    got = model.explain_counterfactual(x, X=X, n=2)
    ref = surrogates.counterfactuals(model, x, X=X, n=2)
    pd.testing.assert_frame_equal(got.rows, ref.rows)
    assert got.changes == ref.changes and got.exact and got.valid.all()
    # the first row is the nearest: no point of a fine grid that changes the
    # prediction costs less (under the result's own weights and sparsity term)
    w = np.array([got.feature_weights[c] for c in X.columns])
    best = _brute_force_cost(model, X.iloc[3].to_numpy(), X, w, surrogates.counterfactual.SPARSITY)
    assert got.costs[0] <= best + 1e-9
    # and the grid comes close to it (the grid is fine: within a step's cost)
    step = (X.max() - X.min()).to_numpy() / 400
    assert best <= got.costs[0] + (w * step).sum() + 1e-9


def test_options_and_constraints_pass_through(data):
    X, y = data
    model = GLMClassifier().fit(X, y)
    got = model.explain_counterfactual(X.iloc[[3]], X=X, immutable=("income",), n=1)
    assert got.valid.all() and got.exact
    assert got.rows["income"].iloc[0] == X["income"].iloc[3]  # immutable kept
    assert got.rows["debt"].iloc[0] != X["debt"].iloc[3]


def test_without_surrogates_the_error_says_what_to_do():
    # a fresh interpreter that imports glassbox only: the solvers are not lent yet
    code = (
        "import numpy as np\n"
        "from glassbox import GLMClassifier\n"
        "X = np.random.default_rng(0).normal(size=(50, 2)); y = (X[:, 0] > 0).astype(int)\n"
        "m = GLMClassifier().fit(X, y)\n"
        "try:\n"
        "    m.explain_counterfactual(X[:1])\n"
        "except RuntimeError as e:\n"
        "    print('ERR', e)\n"
        "import sys; print('surrogates' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "ERR" in out.stdout and "import surrogates" in out.stdout
    assert out.stdout.strip().endswith("False")  # glassbox did not import surrogates itself
