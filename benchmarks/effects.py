"""Effects benchmarks: ours vs the peer in one process, ratio printed (one run each).

- permutation_importance vs sklearn.inspection.permutation_importance (n_jobs=1)
- partial_dependence(method="tree") vs sklearn partial_dependence(method="brute"),
  RandomForest(100) and XGBoost(500)
- ale vs dalex model_profile(type="accumulated") when dalex is installed

Run: .venv/bin/python benchmarks/effects.py
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import partial_dependence as sk_pd
from sklearn.inspection import permutation_importance as sk_pi

from surrogates import ale, partial_dependence, permutation_importance


def _time(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench_permutation(X, y, model, name):
    ours_t, ours = _time(lambda: permutation_importance(model, X, y, n_repeats=5, random_state=0))
    ref_t, ref = _time(lambda: sk_pi(model, X, y, n_repeats=5, random_state=0, n_jobs=1))
    same = np.allclose(ours.extras["importances_raw"], ref.importances, atol=1e-12)
    print(
        f"permutation_importance {name}: ours {ours_t:.3f}s sklearn {ref_t:.3f}s "
        f"ratio {ref_t / ours_t:.1f}x (same numbers: {same})"
    )


def bench_pd(X, model, name, grid=50):
    partial_dependence(model, X[:20], 0, grid=5, method="tree")  # compile / load cache
    ours_t, ours = _time(lambda: partial_dependence(model, X, 0, grid=grid, method="tree"))
    ref_t, ref = _time(
        lambda: sk_pd(
            model, X, [0], method="brute", custom_values={0: ours.grid[0]}, kind="average"
        )
    )
    err = np.abs(ours.average[:, 0] - ref["average"][0]).max()
    print(
        f"partial_dependence {name}, {len(X)} rows, grid {grid}: ours {ours_t:.3f}s "
        f"sklearn brute {ref_t:.3f}s ratio {ref_t / ours_t:.1f}x (max diff {err:.1e})"
    )
    ours_t, ours = _time(lambda: partial_dependence(model, X, [0, 1], grid=20, method="tree"))
    ref_t, ref = _time(
        lambda: sk_pd(
            model,
            X,
            [0, 1],
            method="brute",
            custom_values={0: ours.grid[0], 1: ours.grid[1]},
            kind="average",
        )
    )
    err = np.abs(ours.average[..., 0] - ref["average"][0]).max()
    print(
        f"partial_dependence {name} pair 20x20: ours {ours_t:.3f}s sklearn brute {ref_t:.3f}s "
        f"ratio {ref_t / ours_t:.1f}x (max diff {err:.1e})"
    )


def bench_ale(X, model, name):
    try:
        import dalex
    except ImportError:
        print("ale: dalex is not installed; skipped (pip install dalex to compare)")
        return
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    ale(model, X, 0, bins=20)
    ours_t, _ = _time(lambda: [ale(model, X, j, bins=20) for j in range(X.shape[1])])
    exp = dalex.Explainer(model, frame, verbose=False)
    ref_t, _ = _time(
        lambda: exp.model_profile(type="accumulated", N=None, grid_points=21, verbose=False)
    )
    print(
        f"ale {name} (all features): ours {ours_t:.3f}s dalex {ref_t:.3f}s ratio {ref_t / ours_t:.1f}x"
    )


def main():
    X, y = make_friedman1(n_samples=2000, n_features=8, random_state=0)
    rf = RandomForestRegressor(100, random_state=0, n_jobs=1).fit(X, y)
    bench_permutation(X, y, rf, "RandomForest(100), 2000 rows x 8")
    import pandas as pd
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    mlp = make_pipeline(
        StandardScaler(), MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0)
    ).fit(frame, y)
    bench_permutation(frame, y, mlp, "Pipeline(StandardScaler, MLP(32)) on a DataFrame")
    bench_pd(X, rf, "RandomForest(100)")
    try:
        import xgboost as xgb
    except ImportError:
        print("xgboost not installed; skipped")
    else:
        xg = xgb.XGBRegressor(n_estimators=500, max_depth=6, n_jobs=1, random_state=0).fit(X, y)
        bench_permutation(X, y, xg, "XGBoost(500)")
        bench_pd(X, xg, "XGBoost(500)")
    bench_ale(X, rf, "RandomForest(100)")


if __name__ == "__main__":
    main()
