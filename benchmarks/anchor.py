"""Anchors: ours vs the anchor-exp package (Ribeiro et al.'s code), same black box.

Black box: scikit-learn MLP 2x64 (scaled) on breast cancer; the first test rows
explained with precision threshold 0.95 (20 rows: both methods take seconds per anchor). Each anchor is then judged by one
neutral procedure, the same for both methods:
- precision on fresh perturbations: 2,000 held-out rows with the anchor's
  features redrawn from training rows that satisfy the anchor's conditions,
  share predicted as the explained row's class (each feature redrawn on its
  own, which breaks correlations such as radius/area: implausible rows);
- precision on real covered rows: held-out rows that satisfy the anchor;
- coverage: share of held-out rows the anchor applies to.
anchor-exp: pip install anchor-exp (if it is missing, ours is reported alone).

Run: python benchmarks/anchor.py
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox.datasets import breast_cancer
from surrogates import anchor

warnings.filterwarnings("ignore")
N_ROWS, THRESHOLD = 20, 0.95
# this file is itself named anchor.py: keep its folder off the path so that
# `import anchor` finds the anchor-exp package
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]


def judge(conds, label, predict, X_tr, X_te, rng):
    """conds: list of (feature, fn(column values) -> bool mask)."""
    holds = np.ones(len(X_te), dtype=bool)
    Z = X_te[rng.integers(0, len(X_te), 2000)].copy()
    for f, ok in conds:
        holds &= ok(X_te[:, f])
        pool = X_tr[ok(X_tr[:, f]), f]
        if len(pool) == 0:
            pool = X_te[ok(X_te[:, f]), f]
        Z[:, f] = pool[rng.integers(0, len(pool), len(Z))]
    fresh = float(np.mean(predict(Z) == label))
    real = float(np.mean(predict(X_te[holds]) == label)) if holds.any() else np.nan
    return fresh, real, float(holds.mean()), len(conds)


def ours(model, x, X_tr):
    a = anchor(model.predict_proba, x, X_tr, precision=THRESHOLD, random_state=0)
    conds = [
        (j, (lambda v, lo=lo, hi=hi: (v > lo) & (v <= hi)))
        for (_, lo, hi), j in zip(a.conditions, a.features)
    ]
    return conds, a.prediction, a.valid


def theirs(explainer, model, x):
    from anchor import anchor_base

    sample_fn, mapping = explainer.get_sample_fn(x, model.predict, desired_label=None)
    exp = anchor_base.AnchorBaseBeam.anchor_beam(
        sample_fn, delta=0.1, epsilon=0.15, batch_size=100, desired_confidence=THRESHOLD
    )
    conds = []
    for idx in exp["feature"]:
        f, op, v = mapping[idx]

        def ok(col, f=f, op=op, v=v):
            Xd = np.zeros((len(col), len(x)))  # discretize() reads every column
            Xd[:, f] = col
            d = explainer.disc.discretize(Xd)[:, f]
            return d <= v if op == "leq" else (d > v if op == "geq" else d == v)

        conds.append((f, ok))
    return conds


def main() -> None:
    X, y = breast_cancer()
    codes = (y == "malignant").astype(int).to_numpy()
    X_tr, X_te, y_tr, _ = train_test_split(X.to_numpy(), codes, test_size=0.3, random_state=0)
    model = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(64, 64), random_state=0, max_iter=1000)
    ).fit(X_tr, y_tr)
    try:
        from anchor import anchor_tabular

        explainer = anchor_tabular.AnchorTabularExplainer(
            ["benign", "malignant"], list(X.columns), X_tr
        )
    except ImportError:
        explainer = None
        print("anchor-exp is not installed: reporting ours alone")
    rng = np.random.default_rng(0)
    res = {"ours": [], "anchor-exp": []}
    times = {"ours": 0.0, "anchor-exp": 0.0}
    n_valid = 0
    for x in X_te[:N_ROWS]:
        label = model.predict(x[None])[0]
        t0 = time.perf_counter()
        conds, _, valid = ours(model, x, X_tr)
        times["ours"] += time.perf_counter() - t0
        n_valid += valid
        res["ours"].append(judge(conds, label, model.predict, X_tr, X_te, rng))
        if explainer is not None:
            np.random.seed(0)  # anchor-exp draws from numpy's global state
            t0 = time.perf_counter()
            conds = theirs(explainer, model, x)
            times["anchor-exp"] += time.perf_counter() - t0
            res["anchor-exp"].append(judge(conds, label, model.predict, X_tr, X_te, rng))
    rows = []
    for name, r in res.items():
        if not r:
            continue
        a = np.array(r, dtype=float)
        rows.append(
            {
                "method": name,
                "precision fresh (mean)": np.nanmean(a[:, 0]),
                "precision fresh (min)": np.nanmin(a[:, 0]),
                "share >= 0.95 fresh": np.mean(a[:, 0] >= THRESHOLD),
                "precision real covered rows": np.nanmean(a[:, 1]),
                "coverage (mean)": np.mean(a[:, 2]),
                "conditions (mean)": np.mean(a[:, 3]),
                "conditions (max)": np.max(a[:, 3]),
                "s/anchor": times[name] / N_ROWS,
            }
        )
    print(f"ours certified (lower bound >= {THRESHOLD}) on {n_valid}/{N_ROWS} rows")
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
