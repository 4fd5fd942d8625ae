"""tree_shap on the model types added for issue 17, ours vs shap.TreeExplainer
in one process, both at their defaults (ours checks additivity against the
model's own predict on every call; shap's check is switched off, in its favour).
Each timing is the best of 3 calls and includes reading the model. Ratio =
shap / ours.

Data: make_regression(5_000, 10, n_informative=6, noise=10, random_state=0)
(classification targets: y > median). Where shap cannot read the model
(xgboost categorical splits) xgboost's own pred_contribs is the peer; where shap
gives different values (interventional HistGradientBoosting, see
tests/surrogates/test_tree_shap_models.py) the ratio is still printed.
Run: .venv/bin/python benchmarks/tree_shap_models.py [--rows N]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numba  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import make_regression  # noqa: E402

THREADS = 2


def once(fn, repeat: int = 3):
    """Best of ``repeat`` wall times (the machine is shared), and the result."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def report(name, n, ours_t, peer_t, ours, ref, peer="shap"):
    ours, ref = np.asarray(ours), np.asarray(ref)
    err = np.abs(ours - ref).max() / np.abs(ref).max() if ref.shape == ours.shape else np.nan
    print(
        f"{name:<48s} ours {1e3 * ours_t / n:8.3f} ms/row  {peer} {1e3 * peer_t / n:8.3f} "
        f"ms/row  ratio {peer_t / ours_t:7.1f}x  (max rel diff {err:.1e})"
    )


def bench(name, model, rows, *, background=None, model_output="raw", shap_rows=None):
    import shap

    from surrogates.shap.tree import tree_shap

    kw = {"background": background, "progress": False}
    if model_output != "raw":
        kw["model_output"] = model_output
    tree_shap(model, rows[:5], **kw)  # JIT warm-up (cached on disk after the first run)
    ours_t, ours = once(lambda: tree_shap(model, rows, **kw).values)
    srows = rows if shap_rows is None else rows[:shap_rows]
    if background is None:
        ex = shap.TreeExplainer(model)
    else:
        ex = shap.TreeExplainer(
            model, data=background, feature_perturbation="interventional", model_output=model_output
        )
    shap_t, ref = once(lambda: ex.shap_values(srows, check_additivity=False))
    ref = np.asarray(ref)
    if ref.ndim == 3 and model_output == "probability":
        ref = ref[..., 1]
    # per-row times, shap possibly on fewer rows (its cost is linear in rows)
    scale = len(rows) / len(srows)
    report(name, len(rows), ours_t, shap_t * scale, ours[: len(srows)], ref)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument(
        "--interactions",
        action="store_true",
        help="also interaction values vs xgboost pred_interactions (300 rows, ~1 min)",
    )
    args = parser.parse_args()
    numba.set_num_threads(THREADS)
    import pandas as pd
    import xgboost as xgb
    from sklearn.ensemble import (
        ExtraTreesRegressor,
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        IsolationForest,
        RandomForestRegressor,
    )

    X, y = make_regression(5_000, 10, n_informative=6, noise=10, random_state=0)
    rng = np.random.default_rng(0)
    Xn = X.copy()
    Xn[rng.random(X.shape) < 0.05] = np.nan
    yc = (y > np.median(y)).astype(int)
    rows, B = X[: args.rows], X[-100:]
    print(f"threads: numba {numba.get_num_threads()}; shap (its own); {args.rows} rows")

    hgb = HistGradientBoostingRegressor(max_iter=200, random_state=0).fit(Xn, y)
    bench("HistGradientBoostingRegressor(200), NaN", hgb, Xn[: args.rows])
    hgbc = HistGradientBoostingClassifier(max_iter=200, random_state=0).fit(Xn, yc)
    bench("HistGradientBoostingClassifier(200), NaN", hgbc, Xn[: args.rows])
    bench(
        "  interventional, 100 background",
        hgbc,
        Xn[: args.rows],
        background=Xn[-100:],
        shap_rows=200,
    )
    iso = IsolationForest(n_estimators=100, random_state=0).fit(X)
    bench("IsolationForest(100)", iso, rows)
    bench("  interventional, 100 background", iso, rows, background=B, shap_rows=200)
    Y = np.column_stack([y, X[:, 0] * X[:, 1], np.abs(X[:, 2])])
    rf = RandomForestRegressor(n_estimators=50, max_depth=10, n_jobs=THREADS, random_state=0)
    bench("RandomForestRegressor(50, depth 10), 3 outputs", rf.fit(X, Y), rows[:500])
    et = ExtraTreesRegressor(n_estimators=50, max_depth=10, n_jobs=THREADS, random_state=0)
    bench("ExtraTreesRegressor(50, depth 10), 3 outputs", et.fit(X, Y), rows[:500])
    dart = xgb.XGBRegressor(
        n_estimators=200, max_depth=6, booster="dart", rate_drop=0.1, n_jobs=THREADS
    ).fit(X, y)
    bench("XGBRegressor dart(200, depth 6)", dart, rows)
    xc = xgb.XGBClassifier(n_estimators=200, max_depth=6, n_jobs=THREADS, random_state=0)
    xc.fit(X, yc)
    bench(
        'XGBClassifier(200), model_output="probability"',
        xc,
        rows,
        background=B,
        model_output="probability",
        shap_rows=200,
    )
    miss = xgb.XGBClassifier(
        n_estimators=200, max_depth=6, missing=0.0, n_jobs=THREADS, random_state=0
    ).fit(np.round(X), yc)
    bench("XGBClassifier(200, missing=0.0)", miss, np.round(rows))

    # categorical splits: shap cannot read them, xgboost's pred_contribs is the peer
    from surrogates.shap.tree import tree_shap

    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(10)])
    frame["c"] = pd.Categorical(rng.choice(list("abcdefghij"), len(frame)))
    yy = y + 30 * frame["c"].isin(list("aceg")).to_numpy()
    cat = xgb.XGBRegressor(
        n_estimators=200, max_depth=6, enable_categorical=True, n_jobs=THREADS, random_state=0
    ).fit(frame, yy)
    fr = frame.iloc[: args.rows]
    tree_shap(cat, fr.iloc[:5], progress=False)
    ours_t, ours = once(lambda: tree_shap(cat, fr, progress=False).values)
    booster = cat.get_booster()
    booster.set_param({"nthread": THREADS})
    peer_t, ref = once(
        lambda: booster.predict(
            xgb.DMatrix(fr, enable_categorical=True, nthread=THREADS), pred_contribs=True
        )[:, :-1]
    )
    report("XGBRegressor(200) categorical splits", len(fr), ours_t, peer_t, ours, ref, "xgboost")
    if args.interactions:
        interactions(THREADS)


def interactions(threads: int) -> None:
    """Path-dependent interaction values vs xgboost's pred_interactions, and the
    time of interventional ones (shap has no peer for those)."""
    import xgboost as xgb

    from surrogates.shap.tree import tree_shap

    X, y = make_regression(10_000, 20, n_informative=10, noise=10, random_state=0)
    model = xgb.XGBRegressor(n_estimators=500, max_depth=6, n_jobs=threads, random_state=0)
    model.fit(X, y)
    rows = X[:300]
    tree_shap(model, rows[:5], interactions=True, progress=False)
    ours_t, ours = once(
        lambda: tree_shap(model, rows, interactions=True, progress=False).extras[
            "interaction_values"
        ],
        repeat=1,
    )
    booster = model.get_booster()
    booster.set_param({"nthread": threads})
    dm = xgb.DMatrix(rows, nthread=threads)
    peer_t, ref = once(lambda: booster.predict(dm, pred_interactions=True)[:, :-1, :-1], repeat=1)
    report("XGBRegressor(500, depth 6) interactions", 300, ours_t, peer_t, ours, ref, "xgboost")
    B = X[-100:]
    tree_shap(model, rows[:5], background=B, interactions=True, progress=False)
    t, _ = once(
        lambda: tree_shap(model, rows, background=B, interactions=True, progress=False),
        repeat=1,
    )
    print(f"  interventional interactions, 100 background: ours {1e3 * t / 300:.3f} ms/row")


if __name__ == "__main__":
    main()
