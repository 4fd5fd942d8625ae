"""LocalSurrogate(n_samples="auto"): the sequential stopping rule against known answers.

Oracle: a black box f(z) = z . w + c (z_0 - m)^3. The offsets E around the row
are N(0, 1) in antithetic pairs and the fit is weighted by exp(-|E|^2 / (2 kw^2)),
so under the weights E is N(0, tau^2) with tau^2 = 1 / (1 + 1 / kw^2), and the
weighted linear fit (no ridge) converges to the closed-form slope
w + c (3 (x_0 - m)^2 + 3 tau^2 sd_0^2) e_0 (the even part of the cubic cancels
within each pair; E_0^3 projects on E_0 with 3 tau^2). Its finite-sample error
(the odd E_0^3 part) is the only error, so the reported standard errors and the
tolerance can be checked against the truth.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

from surrogates import LocalSurrogate

W = np.array([1.5, -1.0, 0.8, 0.0, 0.3, -0.2])
C = 0.6


@pytest.fixture(scope="module")
def quad():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    m = 0.2
    calls = []

    def f(Z):
        calls.append(len(Z))
        return Z @ W + C * (Z[:, 0] - m) ** 3

    kw2 = 0.75**2 * 6  # default kernel width^2 for 6 features
    tau2 = 1.0 / (1.0 + 1.0 / kw2)
    sd0 = X[:, 0].std()

    def truth(rows):
        slope0 = C * (3 * (rows[:, 0] - m) ** 2 + 3 * tau2 * sd0**2)
        return W + np.outer(slope0, np.eye(6)[0])

    return X, f, truth, calls


def test_tolerance_honoured_and_standard_errors_calibrated(quad):
    X, f, truth, _ = quad
    rows = X[:6]
    tol = 0.05
    sd = X.std(axis=0)
    # every row of one call shares the design, so their errors are alike: the
    # calibration pools independent designs (seeds)
    b_hat, b_true, se, n = [], [], [], []
    for seed in range(12):
        e = LocalSurrogate(
            f, X, n_features=6, alpha=0.0, tol=tol, random_state=seed, task="regression"
        ).explain(rows)
        b_hat.append(e.extras["coefficients"] * sd)  # per sd of each feature: tol's scale
        b_true.append(truth(rows) * sd)
        se.append(e.extras["coefficient_std"] * sd)
        n.append(e.extras["n_samples"])
    b_hat, b_true, se, n = map(np.concatenate, (b_hat, b_true, se, n))
    assert (n < 5000).all() and len(np.unique(n)) > 1  # it adapted, within the cap
    scale = np.abs(b_hat).max(axis=1, keepdims=True)
    # the rule: every standard error below tol x the largest |coefficient|
    assert (se <= tol * scale + 1e-12).all()
    # honoured against the truth: errors within 3 tolerances (normal tails)
    err = np.abs(b_hat - b_true)
    assert (err <= 3 * tol * scale).mean() > 0.99
    # standard errors calibrated: |error| / SE is half-normal
    z = (err / se).ravel()
    assert 0.45 < np.median(z) < 0.95  # half-normal median 0.674
    assert np.quantile(z, 0.95) < 2.6  # half-normal 95% quantile 1.96


def test_tighter_tolerance_buys_more_samples_and_smaller_error(quad):
    X, f, truth, _ = quad
    rows = X[:30]
    sd = X.std(axis=0)
    out = {}
    for tol in (0.2, 0.03):
        e = LocalSurrogate(
            f, X, n_features=6, alpha=0.0, tol=tol, random_state=1, task="regression"
        ).explain(rows)
        rmse = np.sqrt(np.mean(((e.extras["coefficients"] - truth(rows)) * sd) ** 2))
        out[tol] = (e.extras["n_samples"].mean(), rmse)
    assert out[0.03][0] > 2 * out[0.2][0]
    assert out[0.03][1] < out[0.2][1]


def test_selection_is_the_true_top_k(quad):
    X, f, truth, _ = quad
    rows = X[:20]
    e = LocalSurrogate(f, X, n_features=3, tol=0.05, random_state=2, task="regression").explain(
        rows
    )
    b_true = np.abs(truth(rows) * X.std(axis=0))
    for r in range(len(rows)):
        order = np.argsort(-b_true[r])
        # ties within the tolerance may go either way; clear gaps may not
        if b_true[r, order[2]] - b_true[r, order[3]] > 0.1 * b_true[r].max():
            assert set(np.nonzero(e.extras["selected"][r])[0]) == set(order[:3])
    assert ((e.extras["stability"] > 0) & (e.extras["stability"] <= 1)).all()


def test_calls_are_the_samples_used_no_reruns(quad):
    X, f, _, calls = quad
    calls.clear()
    e = LocalSurrogate(f, X, n_features=3, random_state=3, task="regression").explain(X[:15])
    # each row is evaluated once on each sample it used: nothing is redrawn or rerun
    assert sum(calls) == e.extras["n_samples"].sum()


def test_auto_equals_fixed_budget_at_the_size_it_stopped():
    """The grown design is a prefix of one draw: auto == n_samples=<where it stopped>."""
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    model = RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0).fit(X, y)
    a = LocalSurrogate(model, X, random_state=7).explain(X[:8])
    for r in range(8):
        n = int(a.extras["n_samples"][r])
        b = LocalSurrogate(model, X, n_samples=n, n_repeats=0, random_state=7).explain(X[r : r + 1])
        np.testing.assert_allclose(b.values[0], a.values[r], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(
            b.extras["local_fidelity"][0], a.extras["local_fidelity"][r], rtol=1e-9
        )


def test_each_row_stops_on_the_grid_where_the_rule_holds():
    """Where each row stopped, the rule holds on a fixed-size fit; one step earlier it
    did not, unless the row skipped that size (its errors forecast far more samples)."""
    from surrogates.local import _AUTO_GROWTH, auto_sizes, converged, fit_local_linear

    X, y = make_classification(n_samples=300, n_features=7, random_state=2)
    model = RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0).fit(X, y)
    sur = LocalSurrogate(model, X, random_state=5)
    a = sur.explain(X[:12])
    grid = auto_sizes(7, 5000, growth=_AUTO_GROWTH)
    n = a.extras["n_samples"]
    assert np.isin(n, grid).all() and len(np.unique(n)) > 2
    # the design of a fixed run is the same draw: the rule on its answers, from scratch
    E = sur._offsets(_seed(5), 5000)
    w = np.sqrt(np.exp(-np.sum(E**2, axis=1) / sur.kernel_width**2))
    P = np.clip(model.predict_proba((X[:12, None, :] + E * sur.sd_).reshape(-1, 7)), 1e-6, 1 - 1e-6)
    Y = np.log(P[:, 1] / P[:, 0]).reshape(12, 5000)
    earlier_fails = 0
    for r in range(12):
        fit = fit_local_linear(
            E[: n[r]], w[: n[r]], Y[r : r + 1, : n[r]], n_features=5, alpha=1.0,
            method="highest_weights", se=True,
        )  # fmt: skip
        assert converged(fit, tol=0.1, n_features=5)[0][0] or n[r] == 5000
        if n[r] > grid[0]:
            prev = grid[grid.index(n[r]) - 1]
            fit = fit_local_linear(
                E[:prev], w[:prev], Y[r : r + 1, :prev], n_features=5, alpha=1.0,
                method="highest_weights", se=True,
            )  # fmt: skip
            earlier_fails += not converged(fit, tol=0.1, n_features=5)[0][0]
    # a row that passed one step earlier stopped there, unless it skipped that size
    assert earlier_fails >= 0.75 * (n > grid[0]).sum()


def _seed(random_state):
    return np.random.SeedSequence(random_state).spawn(1)[0]


@pytest.mark.parametrize("n", [9, 10])
def test_sparse_fit_variance_is_the_clustered_sandwich(n):
    """The sparse fit's variances against a slow loop over clusters of its hat map."""
    from surrogates.local import _sparse_var

    rng = np.random.default_rng(4)
    R, d, k = 3, 6, 3
    A, Ec = rng.normal(size=(R, n)), rng.normal(size=(n, d))
    idx = np.sort(np.stack([rng.choice(d, k, replace=False) for _ in range(R)]), axis=1)
    M = np.linalg.inv(np.stack([np.cov(rng.normal(size=(k, 20))) for _ in range(R)]))
    # clusters as LocalSurrogate draws: the row, the pairs (1, 2), (3, 4), ..., a lone last
    clusters = [[0]] + [[i, i + 1] for i in range(1, n - 1, 2)] + ([[n - 1]] if n % 2 == 0 else [])
    for r in range(R):
        H = Ec[:, idx[r]] @ M[r]  # (n, k): the hat map of row r's sparse fit
        want = sum((A[r, c] @ H[c]) ** 2 for c in clusters)
        np.testing.assert_allclose(_sparse_var(A, Ec.T, idx, M)[r], want, rtol=1e-10)


def test_deterministic_and_batch_independent():
    X, y = make_classification(n_samples=300, n_features=8, random_state=1)
    model = RandomForestClassifier(n_estimators=15, random_state=0).fit(X, y)
    a = LocalSurrogate(model, X, random_state=3).explain(X[:10])
    b = LocalSurrogate(model, X, random_state=3).explain(X[:10])
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.extras["n_samples"], b.extras["n_samples"])
    np.testing.assert_array_equal(a.extras["stability"], b.extras["stability"])
    one = LocalSurrogate(model, X, random_state=3).explain(X[6:7])
    np.testing.assert_allclose(one.values[0], a.values[6], rtol=1e-12, atol=1e-14)
    assert one.extras["stability"][0] == a.extras["stability"][6]
    c = LocalSurrogate(model, X, random_state=4).explain(X[:10])
    assert not np.array_equal(a.values, c.values)


def test_linear_model_stops_at_the_first_batch_exactly():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 4))
    w = np.array([2.0, -1.0, 0.5, 0.0])
    e = LocalSurrogate(
        lambda Z: Z @ w, X, n_features=4, alpha=0.0, random_state=0, task="regression"
    ).explain(X[:5])
    assert (e.extras["n_samples"] == 251).all()
    np.testing.assert_allclose(e.extras["coefficients"], np.tile(w, (5, 1)), atol=1e-9)
    np.testing.assert_allclose(e.extras["coefficient_std"], 0.0, atol=1e-9)


@pytest.mark.parametrize(
    "kw,err,match",
    [
        (dict(n_samples="many"), ValueError, "n_samples must be 'auto' or an integer"),
        (dict(tol=0.0), ValueError, "tol must be a finite number > 0"),
        (dict(max_samples=3), ValueError, "max_samples must be an integer >= 10"),
    ],
)
def test_bad_auto_settings(kw, err, match):
    X = np.random.default_rng(0).normal(size=(50, 3))
    with pytest.raises(err, match=match):
        LocalSurrogate(lambda Z: Z.sum(axis=1), X, **kw)


@pytest.mark.parametrize("z,settled", [(3.0, True), (2.3, True), (0.84, False), (0.0, False)])
def test_selection_settles_once_a_rerun_would_keep_the_top_k(z, settled):
    """Top-1 of two competing features (the others far below): a rerun keeps it with
    probability Phi(gap / SE of the difference), the closed form the stability must
    match (to the Monte Carlo error of its 32 draws), and the row is settled iff that is
    at least 1 - tol = 0.9. An exact tie is never settled, however small the errors
    against tol (the earlier rule called it a tie and stopped; a rerun flips it)."""
    from scipy.stats import norm

    from surrogates.local import converged

    d, tol, sd = 6, 0.1, 0.05  # sd: SE of the difference, 0.5% of the largest coefficient
    full = np.full(d, 0.01)
    full[0], full[1] = 10.0, 10.0 - z * sd
    se_full = np.full(d, 1e-6)
    se_full[:2] = sd / np.sqrt(2)
    beta = np.zeros(d)
    beta[0] = full[0]
    fit = dict(
        beta=beta[None], se=np.zeros((1, d)), full=full[None], se_full=se_full[None],
        idx=np.array([[0]]),
    )  # fmt: skip
    ok, stab = converged(fit, tol=tol, n_features=1)
    assert bool(ok[0]) is settled
    assert stab[0] == pytest.approx(norm.cdf(z), abs=0.15)


@pytest.mark.parametrize("n_samples", ["auto", 501])
def test_fits_run_with_blas_on_one_thread_and_the_black_box_does_not(local_fit_threads, n_samples):
    """The fits hold BLAS to one thread (a woken BLAS pool spins between the black
    box's calls and slows an OpenMP model several times on few cores); the black box
    itself runs with the user's threads (two here), and they are restored afterwards."""
    seen_fit, blas_threads = local_fit_threads
    seen_model = []

    def f(Z):
        seen_model.append(blas_threads())
        return Z @ W

    X = np.random.default_rng(0).normal(size=(200, 6))
    LocalSurrogate(f, X, random_state=0, n_samples=n_samples).explain(X[:3])
    assert blas_threads() == 2
    assert seen_fit and set(seen_fit) == {1}
    assert seen_model and set(seen_model) == {2}
