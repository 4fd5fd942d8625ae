"""LocalSurrogate vs lime.lime_tabular.LimeTabularExplainer.

100 rows of breast cancer explained for an MLP (scikit-learn 2x64, scaled) and an
XGBoost classifier, 5,000 samples per explanation, K = 5 features.
Reports time per explanation (ours: all rows in one batched call; lime: one
row at a time, as its API works), the top-5 overlap of ours with lime, and
each method's top-5 overlap with itself across two seeds (stability).
lime runs with its defaults (quartile discretization, forward selection for K <= 6,
fit on probabilities); ours with its defaults (fit on log-odds, link="logit").

Run: python benchmarks/local_vs_lime.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox.datasets import breast_cancer
from surrogates import LocalSurrogate

warnings.filterwarnings("ignore")
N_ROWS, N_SAMPLES, K = 100, 5000, 5


def lime_top(explainer, model, rows) -> tuple[list[set], float]:
    tops = []
    t0 = time.perf_counter()
    for x in rows:
        exp = explainer.explain_instance(
            x, model.predict_proba, num_features=K, num_samples=N_SAMPLES
        )
        tops.append({j for j, _ in exp.as_map()[1]})
    return tops, (time.perf_counter() - t0) / len(rows)


def ours_top(model, X, rows, seed, n_repeats=0):
    t0 = time.perf_counter()
    e = LocalSurrogate(
        model, X, n_samples=N_SAMPLES, n_features=K, n_repeats=n_repeats, random_state=seed
    ).explain(rows)
    dt = (time.perf_counter() - t0) / len(rows)
    return [set(np.nonzero(s)[0]) for s in e.extras["selected"]], dt, e


def overlap(a, b) -> float:
    return float(np.mean([len(x & y) / K for x, y in zip(a, b)]))


def main() -> None:
    from lime.lime_tabular import LimeTabularExplainer
    from xgboost import XGBClassifier

    X, y = breast_cancer()
    codes = (y == "malignant").astype(int).to_numpy()
    X_tr, X_te, y_tr, _ = train_test_split(X.to_numpy(), codes, test_size=0.3, random_state=0)
    rows = np.vstack([X_te, X_tr])[:N_ROWS]
    models = {
        "MLP 2x64": make_pipeline(
            StandardScaler(),
            MLPClassifier(hidden_layer_sizes=(64, 64), random_state=0, max_iter=1000),
        ),
        "XGBoost": XGBClassifier(n_estimators=100, max_depth=3, random_state=0, n_jobs=1),
    }
    out = []
    for name, model in models.items():
        model.fit(X_tr, y_tr)
        ours0, t_ours, e = ours_top(model, X_tr, rows, 0)
        ours1, _, _ = ours_top(model, X_tr, rows, 1)
        _, t_ours_stab, e_stab = ours_top(model, X_tr, rows, 0, n_repeats=2)
        lime0, t_lime = lime_top(LimeTabularExplainer(X_tr, random_state=0), model, rows)
        lime1, _ = lime_top(LimeTabularExplainer(X_tr, random_state=1), model, rows)
        out.append(
            {
                "model": name,
                "lime s/expl": t_lime,
                "ours s/expl": t_ours,
                "speed-up": t_lime / t_ours,
                "ours+stability s/expl": t_ours_stab,
                "top5 ours vs lime": overlap(ours0, lime0),
                "top5 lime seed0 vs seed1": overlap(lime0, lime1),
                "top5 ours seed0 vs seed1": overlap(ours0, ours1),
                "ours local R2 (median)": float(np.median(e.extras["local_fidelity"])),
                "ours stability (mean Jaccard)": float(np.mean(e_stab.extras["stability"])),
            }
        )
        print(f"done {name}", flush=True)
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(pd.DataFrame(out).to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
