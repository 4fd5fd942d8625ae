"""kernel_shap's kernel ridge adjustment (widths above the explicit cubic) against exact values.

Oracle: exact_shap (all 2^M coalitions). The adjustment is forced on at M = 12
(RIDGE_MIN_M) so that exact values are cheap; the plain paired estimator is the
same code with both adjustments off, on the same coalitions.
"""

from itertools import combinations
from math import factorial

import numpy as np
import pytest

import surrogates.shap._kernel_ridge as kr
import surrogates.shap.kernel as kernel
from surrogates.shap.exact import exact_shap
from surrogates.shap.kernel import kernel_shap

M = 12


def make_f(M, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=M)
    U = rng.normal(size=(M, M)) / np.sqrt(M)

    def f(X):
        X = np.asarray(X, dtype=float)
        return np.tanh(np.tanh(X @ U) @ W + X[:, 0] * X[:, 1] * X[:, 2]) + 0.2 * np.sin(X).prod(1)

    return f


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(3)
    X, bg = rng.normal(size=(8, M)), rng.normal(size=(8, M))
    f = make_f(M)
    return f, X, bg, exact_shap(f, X, bg, progress=False).values


def run(f, X, bg, budget, seeds):
    out = [kernel_shap(f, X, bg, n_samples=budget, random_state=s, progress=False) for s in seeds]
    return np.stack([k.values for k in out]), np.stack([k.extras["standard_error"] for k in out])


def test_ridge_adjustment_beats_plain_and_its_se_is_calibrated(problem, monkeypatch):
    f, X, bg, exact = problem
    budget = 300
    monkeypatch.setattr(kernel, "RIDGE_MIN_M", M)
    adj, se = run(f, X, bg, budget, range(4))
    monkeypatch.setattr(kernel, "RIDGE_MIN_M", 10**6)
    monkeypatch.setattr(kernel, "CUBIC_RATIO", np.inf)
    plain, _ = run(f, X, bg, budget, range(4))
    rmse_adj = np.sqrt(np.mean((adj - exact) ** 2))
    rmse_plain = np.sqrt(np.mean((plain - exact) ** 2))
    assert rmse_adj * 1.3 < rmse_plain, (rmse_adj, rmse_plain)
    assert (se > 0).all()
    z = (np.abs(adj - exact) / se).ravel()
    # half-normal: median 0.67, 90% 1.64; conservative is allowed, optimistic is not
    assert 0.3 < np.median(z) < 0.95
    assert np.quantile(z, 0.9) < 2.0


def test_default_above_cubic_width_efficient_and_deterministic():
    m = 20  # >= RIDGE_MIN_M, above the cubic: the ridge adjustment is the default here
    assert m >= kernel.RIDGE_MIN_M
    rng = np.random.default_rng(0)
    X, bg = rng.normal(size=(3, m)), rng.normal(size=(4, m))
    f = make_f(m)
    a = kernel_shap(f, X, bg, n_samples=400, random_state=1, progress=False)
    b = kernel_shap(f, X, bg, n_samples=400, random_state=1, progress=False)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_allclose(a.output(), f(X), atol=1e-8)  # efficiency holds exactly
    # one row alone gives the same values as in the batch (no dependence on the block)
    one = kernel_shap(f, X[1:2], bg, n_samples=400, random_state=1, progress=False)
    np.testing.assert_allclose(one.values[0], a.values[1], rtol=1e-9, atol=1e-12)
    assert (a.extras["standard_error"] > 0).all()


def test_kernel_game_shapley_values_by_enumeration():
    """The Shapley value of z -> K(A, z) (a function of |A & z|) is K(A, 1) / |A| on A."""
    m = 5
    A = np.array([1, 0, 1, 1, 0], dtype=bool)

    def v(z):
        return float(kr._kern(np.array(float((A & z).sum()))))

    phi = np.zeros(m)
    for i in range(m):
        others = [j for j in range(m) if j != i]
        for s in range(m):
            for S in combinations(others, s):
                wt = factorial(s) * factorial(m - s - 1) / factorial(m)
                z = np.zeros(m, dtype=bool)
                z[list(S)] = True
                zi = z.copy()
                zi[i] = True
                phi[i] += wt * (v(zi) - v(z))
    expect = np.where(A, kr._kern(np.array(3.0)) / 3, 0.0)
    np.testing.assert_allclose(phi, expect, atol=1e-12)
