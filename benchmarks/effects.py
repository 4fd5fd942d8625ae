"""Effects benchmarks: ours vs the peer in one process, ratio printed (one run each).

- permutation_importance vs sklearn.inspection.permutation_importance (n_jobs=1),
  RandomForest(100), a scaled MLP pipeline on a DataFrame, XGBoost(500); the same
  permutations, so the numbers must agree (printed)
- partial_dependence(method="tree") vs sklearn partial_dependence(method="brute"),
  RandomForest(100) and XGBoost(500): the first call on a model (which reads its
  trees) and a repeated call (trees cached per model object)
- ale vs dalex model_profile(type="accumulated") when dalex is installed
  (a benchmark-only peer: pip install dalex)
- interaction_strength: the tree path vs our own brute path (same numbers)

Permutation importance and the repeated one-feature PD report the best of 3
runs for ours and the peer alike (a shared machine is noisy); the rest one run.

Run: .venv/bin/python benchmarks/effects.py [--quick]
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import partial_dependence as sk_pd
from sklearn.inspection import permutation_importance as sk_pi

from surrogates import ale, interaction_strength, partial_dependence, permutation_importance

REPEAT = 3  # permutation importance and one-feature PD: best of 3 runs, ours and peer alike


def _time(fn, repeat: int = 1):
    """Best of ``repeat`` runs (the same for ours and the peer), and the result."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench_permutation(X, y, model, name):
    permutation_importance(model, X[:50], y[:50], n_repeats=1, random_state=0)  # compile
    ours_t, ours = _time(
        lambda: permutation_importance(model, X, y, n_repeats=5, random_state=0), REPEAT
    )
    ref_t, ref = _time(lambda: sk_pi(model, X, y, n_repeats=5, random_state=0, n_jobs=1), REPEAT)
    diff = np.abs(ours.extras["importances_raw"] - ref.importances).max()
    print(
        f"permutation_importance {name}: ours {ours_t:.3f}s sklearn {ref_t:.3f}s "
        f"ratio peer/ours = {ref_t / ours_t:.1f}x (max diff {diff:.1e})"
    )


def bench_pd(X, make_model, name, grid=50):
    model = make_model()
    partial_dependence(make_model().fit(X[:50], X[:50, 0]), X[:20], 0, grid=5, method="tree")
    cold_t, ours = _time(lambda: partial_dependence(model, X, 0, grid=grid, method="tree"))
    warm_t, ours = _time(lambda: partial_dependence(model, X, 0, grid=grid, method="tree"), REPEAT)
    ref_t, ref = _time(
        lambda: sk_pd(
            model, X, [0], method="brute", custom_values={0: ours.grid[0]}, kind="average"
        ),
        REPEAT,
    )
    err = np.abs(ours.average[:, 0] - ref["average"][0]).max()
    print(
        f"partial_dependence {name}, {len(X)} rows, grid {grid}, first call (reads the trees): "
        f"ours {cold_t:.3f}s sklearn brute {ref_t:.3f}s ratio peer/ours = {ref_t / cold_t:.1f}x"
    )
    print(
        f"partial_dependence {name}, {len(X)} rows, grid {grid}, repeated call: ours "
        f"{warm_t:.3f}s sklearn brute {ref_t:.3f}s ratio peer/ours = {ref_t / warm_t:.1f}x "
        f"(max diff {err:.1e})"
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
        f"ratio peer/ours = {ref_t / ours_t:.1f}x (max diff {err:.1e})"
    )
    return model


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
    with warnings.catch_warnings():  # the forest was fitted on an array, dalex hands a frame
        warnings.simplefilter("ignore")
        ref_t, _ = _time(
            lambda: exp.model_profile(type="accumulated", N=None, grid_points=21, verbose=False)
        )
    print(
        f"ale {name} (all {X.shape[1]} features, {len(X)} rows): ours {ours_t:.3f}s "
        f"dalex {ref_t:.3f}s ratio peer/ours = {ref_t / ours_t:.1f}x"
    )


def bench_h(X, model, name, rows=100):
    interaction_strength(model, X[:20], features=[0, 1], method="tree")
    tree_t, tree = _time(
        lambda: interaction_strength(model, X, max_rows=rows, random_state=0, method="tree")
    )
    brute_t, brute = _time(
        lambda: interaction_strength(model, X, max_rows=rows, random_state=0, method="brute")
    )
    diff = max(
        np.abs(tree.importances - brute.importances).max(),
        np.nanmax(np.abs(tree.extras["pair_h"] - brute.extras["pair_h"])),
    )
    print(
        f"interaction_strength {name}, {rows} rows, all features and pairs: tree {tree_t:.3f}s "
        f"brute {brute_t:.3f}s ratio brute/tree = {brute_t / tree_t:.1f}x (max diff {diff:.1e})"
    )


def main(quick: bool = False):
    n = 500 if quick else 2000
    n_trees = 20 if quick else 100
    n_rounds = 50 if quick else 500
    X, y = make_friedman1(n_samples=n, n_features=8, random_state=0)
    rf = RandomForestRegressor(n_trees, random_state=0, n_jobs=1).fit(X, y)
    bench_permutation(X, y, rf, f"RandomForest({n_trees}), {n} rows x 8")
    import pandas as pd
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    mlp = make_pipeline(
        StandardScaler(), MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0)
    ).fit(frame, y)
    bench_permutation(frame, y, mlp, "Pipeline(StandardScaler, MLP(32)) on a DataFrame")
    bench_pd(
        X,
        lambda: RandomForestRegressor(n_trees, random_state=0, n_jobs=1).fit(X, y),
        f"RandomForest({n_trees})",
    )
    try:
        import xgboost as xgb
    except ImportError:
        print("xgboost not installed; skipped")
    else:

        def make_xgb():
            return xgb.XGBRegressor(
                n_estimators=n_rounds, max_depth=6, n_jobs=1, random_state=0
            ).fit(X, y)

        xg = make_xgb()
        bench_permutation(X, y, xg, f"XGBoost({n_rounds})")
        bench_pd(X, make_xgb, f"XGBoost({n_rounds})")
    bench_ale(X, rf, f"RandomForest({n_trees})")
    bench_h(X, rf, f"RandomForest({n_trees})", rows=50 if quick else 100)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
