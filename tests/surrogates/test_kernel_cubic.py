"""kernel_shap's regression adjustment (cubic fit of the game) against exact values.

Oracle: exact_shap (all 2^M coalitions). The kernel ridge adjustment (the
default from M = 12, tested in test_kernel_ridge.py) is switched off here. The plain paired Kernel SHAP
estimator is the same code with the adjustment switched off
(CUBIC_RATIO = inf), so both see the same coalitions.
"""

import numpy as np
import pytest

import surrogates.shap.kernel as kernel
from surrogates.shap.exact import exact_shap
from surrogates.shap.kernel import kernel_shap

M = 10


@pytest.fixture(autouse=True)
def cubic_path(monkeypatch):
    # the kernel ridge adjustment is the default from M = 12; this module tests the
    # explicit cubic, its fallback when the sample is too small for the ridge
    monkeypatch.setattr(kernel, "RIDGE_MIN_M", 10**6)


def make_f(M, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=M)
    U = rng.normal(size=(M, M)) / np.sqrt(M)

    def f(X):
        X = np.asarray(X, dtype=float)
        out = np.tanh(np.tanh(X @ U) @ W + X[:, 0] * X[:, 1] * X[:, 2])
        return out + 0.1 * np.prod(np.tanh(X), axis=1)

    return f


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(1)
    X, bg = rng.normal(size=(6, M)), rng.normal(size=(8, M))
    f = make_f(M)
    return f, X, bg, exact_shap(f, X, bg, progress=False).values


def run(f, X, bg, budget, seeds):
    out = [kernel_shap(f, X, bg, n_samples=budget, random_state=s, progress=False) for s in seeds]
    return np.stack([k.values for k in out]), np.stack([k.extras["standard_error"] for k in out])


def test_adjusted_error_at_least_2x_lower_at_equal_budget(problem, monkeypatch):
    f, X, bg, exact = problem
    budget = 400  # 2.3 coalitions per cubic term (175 terms at M = 10)
    adj, _ = run(f, X, bg, budget, range(3))
    monkeypatch.setattr(kernel, "CUBIC_RATIO", np.inf)
    plain, _ = run(f, X, bg, budget, range(3))
    rmse_adj = np.sqrt(np.mean((adj - exact) ** 2))
    rmse_plain = np.sqrt(np.mean((plain - exact) ** 2))
    assert rmse_adj * 2 < rmse_plain, (rmse_adj, rmse_plain)


def test_standard_errors_calibrated_against_exact(problem):
    f, X, bg, exact = problem
    vals, se = run(f, X, bg, 300, range(4))
    assert (se > 0).all()
    z = (np.abs(vals - exact) / se).ravel()
    # half-normal: median 0.67, 90% 1.64; the SE is allowed to be conservative
    assert 0.3 < np.median(z) < 1.0
    assert np.quantile(z, 0.9) < 2.2
    assert np.mean(z > 4) < 0.01


def test_efficiency_and_determinism(problem):
    f, X, bg, _ = problem
    a = kernel_shap(f, X, bg, n_samples=300, random_state=5, progress=False)
    b = kernel_shap(f, X, bg, n_samples=300, random_state=5, progress=False)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.extras["standard_error"], b.extras["standard_error"])
    np.testing.assert_allclose(a.output(), f(X), atol=1e-10)  # sum of values = f(x) - E f
    c = kernel_shap(f, X, bg, n_samples=300, random_state=6, progress=False)
    assert not np.array_equal(a.values, c.values)


def test_cubic_terms_map_to_shapley_values():
    """The L map against the Shapley values of z_i z_j and z_i z_j z_k by enumeration."""
    from itertools import combinations
    from math import factorial

    m = 5
    pairs, trips, L = kernel._cubic_terms(m)

    def shapley(v):
        phi = np.zeros(m)
        for i in range(m):
            others = [j for j in range(m) if j != i]
            for s in range(m):
                for S in combinations(others, s):
                    w = factorial(s) * factorial(m - s - 1) / factorial(m)
                    z = np.zeros(m, dtype=bool)
                    z[list(S)] = True
                    zi = z.copy()
                    zi[i] = True
                    phi[i] += w * (v(zi) - v(z))
        return phi

    for k, t in enumerate(pairs):
        np.testing.assert_allclose(L[:, m + k], shapley(lambda z, t=t: float(z[t].all())))
    for k, t in enumerate(trips):
        np.testing.assert_allclose(
            L[:, m + len(pairs) + k], shapley(lambda z, t=t: float(z[t].all()))
        )
