"""Path-dependent TreeSHAP: ours (numba) vs shap.TreeExplainer and xgboost's
own pred_contribs, same process, 2 threads everywhere.

Reference: XGBRegressor(n_estimators=500, max_depth=6) on
make_regression(10_000, 20, n_informative=10, noise=10, random_state=0),
2,000 rows explained; also max_depth=10 and a RandomForestRegressor.
Run: .venv/bin/python benchmarks/tree_shap.py [--rows N]
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numba  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import make_regression  # noqa: E402

THREADS = 2


def timed(fn, repeat: int = 1):
    """(best wall seconds, peak traced MB, result). Memory from tracemalloc, in a
    separate run so tracing does not slow the timed one."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, out


def bench(name, model, X, rows, *, xgb_model=None):
    import shap

    from surrogates.shap.tree import tree_shap

    tree_shap(model, X[:5], progress=False)  # JIT warm-up (cached after first run)
    # both timings include reading the model (ours: tree_shap does it per call)
    ours_t, ours_mb, ours = timed(lambda: tree_shap(model, rows, progress=False).values)
    shap_t, shap_mb, ref = timed(
        lambda: shap.TreeExplainer(model).shap_values(rows, check_additivity=False)
    )
    err = np.abs(ours - ref).max() / np.abs(ref).max()
    n = len(rows)
    print(f"\n{name}: {n} rows")
    print(
        f"  ours          {1e3 * ours_t / n:8.3f} ms/row  peak {ours_mb:8.1f} MB  "
        f"(max rel diff vs shap {err:.1e})"
    )
    print(
        f"  shap          {1e3 * shap_t / n:8.3f} ms/row  peak {shap_mb:8.1f} MB  "
        f"ratio shap/ours {shap_t / ours_t:6.2f}x"
    )
    if xgb_model is not None:
        import xgboost as xgb

        booster = xgb_model.get_booster()
        booster.set_param({"nthread": THREADS})
        dm = xgb.DMatrix(rows.astype(np.float32), nthread=THREADS)
        xgb_t, xgb_mb, _ = timed(lambda: booster.predict(dm, pred_contribs=True))
        print(
            f"  xgboost       {1e3 * xgb_t / n:8.3f} ms/row  peak {xgb_mb:8.1f} MB  "
            f"ratio xgboost/ours {xgb_t / ours_t:6.2f}x"
        )


MEMORY_NOTE = (
    "peak = tracemalloc peak of one call: numpy and Python allocations (all of ours but "
    "numba's small per-thread buffers); native C++ buffers inside shap/xgboost are not seen"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--skip-deep", action="store_true")
    args = parser.parse_args()
    numba.set_num_threads(THREADS)
    import xgboost as xgb
    from sklearn.ensemble import RandomForestRegressor

    X, y = make_regression(10_000, 20, n_informative=10, noise=10, random_state=0)
    rows = X[: args.rows]
    print(MEMORY_NOTE)
    print(f"threads: numba {numba.get_num_threads()}, xgboost nthread {THREADS}, shap (its own)")
    m6 = xgb.XGBRegressor(n_estimators=500, max_depth=6, n_jobs=THREADS, random_state=0).fit(X, y)
    bench("XGBRegressor(500, depth 6)", m6, X, rows, xgb_model=m6)
    if args.skip_deep:
        return
    m10 = xgb.XGBRegressor(n_estimators=500, max_depth=10, n_jobs=THREADS, random_state=0).fit(X, y)
    bench("XGBRegressor(500, depth 10)", m10, X, rows[: max(1, args.rows // 4)], xgb_model=m10)
    rf = RandomForestRegressor(n_estimators=100, max_depth=10, n_jobs=THREADS, random_state=0).fit(
        X, y
    )
    bench("RandomForestRegressor(100, depth 10)", rf, X, rows[: max(1, args.rows // 4)])


if __name__ == "__main__":
    main()
