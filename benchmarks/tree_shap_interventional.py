"""Interventional TreeSHAP: ours (numba, cost ~ rows + background) vs
shap.TreeExplainer(feature_perturbation="interventional") (cost ~ rows x
background), same process, 2 threads for ours and xgboost.

XGBRegressor(n_estimators=500, max_depth=6) on make_regression(10_000, 20,
n_informative=10, noise=10, random_state=0); 100-row background; 2,000 rows.
Run: .venv/bin/python benchmarks/tree_shap_interventional.py [--rows N]
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


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, out


MEMORY_NOTE = (
    "peak = tracemalloc peak of one call: numpy and Python allocations (all of ours but "
    "numba's small per-thread buffers); native C++ buffers inside shap/xgboost are not seen"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument(
        "--shap-rows",
        type=int,
        default=None,
        help="rows for shap (its cost is linear in rows; default: same)",
    )
    args = parser.parse_args()
    numba.set_num_threads(THREADS)
    import shap
    import xgboost as xgb

    from surrogates.shap.tree import tree_shap

    X, y = make_regression(10_000, 20, n_informative=10, noise=10, random_state=0)
    model = xgb.XGBRegressor(n_estimators=500, max_depth=6, n_jobs=THREADS, random_state=0).fit(
        X, y
    )
    bg = X[-100:]
    rows = X[: args.rows]
    shap_rows = rows[: args.shap_rows or args.rows]
    tree_shap(model, X[:5], background=bg[:10], progress=False)  # JIT warm-up
    ours_t, ours_mb, ours = timed(
        lambda: tree_shap(model, rows, background=bg, progress=False).values
    )

    def run_shap():
        ex = shap.TreeExplainer(model, data=bg, feature_perturbation="interventional")
        return ex.shap_values(shap_rows, check_additivity=False)

    shap_t, shap_mb, ref = timed(run_shap)
    err = np.abs(ours[: len(shap_rows)] - ref).max() / np.abs(ref).max()
    per_ours = 1e3 * ours_t / len(rows)
    per_shap = 1e3 * shap_t / len(shap_rows)
    print(MEMORY_NOTE)
    print(f"threads: numba {numba.get_num_threads()}; background {len(bg)} rows")
    print(
        f"  ours  {per_ours:8.3f} ms/row ({len(rows)} rows)  peak {ours_mb:7.1f} MB  "
        f"max rel diff vs shap {err:.1e}"
    )
    print(f"  shap  {per_shap:8.3f} ms/row ({len(shap_rows)} rows)  peak {shap_mb:7.1f} MB")
    print(f"  ratio shap/ours (per row) {per_shap / per_ours:6.2f}x")


if __name__ == "__main__":
    main()
