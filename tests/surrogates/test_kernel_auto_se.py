"""kernel_shap(n_samples="auto") on a piecewise-constant black box: honest standard errors.

A boosted tree model gives a game with flat stretches and rare large jumps; a
variance estimated from few coalition pairs is then often too small, and a
rule that stops as soon as the SE looks small enough stops on exactly those
underestimates (measured: 90th percentile of |error| / SE at 2.1-3.0 with 32
pairs and no degrees-of-freedom factor). Oracle: exact_shap (all 2^M coalitions). Calibrated SEs give
|error| / SE quantiles near the half-normal's 0.67 (median) and 1.64 (90%).
"""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from surrogates.shap.exact import exact_shap
from surrogates.shap.kernel import kernel_shap

M = 12


@pytest.fixture(scope="module")
def tree_game():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, M))
    y = np.sin(X[:, :-1] * X[:, 1:]).sum(1) + 2 * np.tanh(X @ rng.normal(size=M))
    model = HistGradientBoostingRegressor(max_iter=60, random_state=0).fit(X, y)
    bg, rows = X[:12], X[-10:]
    return model.predict, rows, bg, exact_shap(model.predict, rows, bg, progress=False).values


def test_auto_stops_with_calibrated_standard_errors(tree_game):
    f, rows, bg, exact = tree_game
    z, n = [], []
    for seed in range(4):
        k = kernel_shap(f, rows, bg, random_state=seed, progress=False)
        se = k.extras["standard_error"]
        n.append(k.extras["n_coalitions"])
        sampled = se > 0
        z.append(np.abs(k.values - exact)[sampled] / se[sampled])
    z, n = np.concatenate(z), np.concatenate(n)
    assert (n < 2**M - 2).mean() > 0.5  # mostly stopped on the SE, not by enumerating
    assert z.size > 100
    assert 0.4 < np.median(z) < 0.9
    assert np.quantile(z, 0.9) < 2.0  # before the fix (32 pairs, no df factor): 2.11; now 1.63
