"""Overhead of the GAM / EBM wrappers over pygam / interpret called directly.

Same data, same settings, one process; each fit is timed ``REPEATS`` times
alternating wrapper and direct call, the minimum is kept. Prints the fit-time
ratio (target: < 1.05) and the held-out score of both, which must be equal.

    .venv/bin/python benchmarks/additive_overhead.py
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split

from glassbox import EBMClassifier, EBMRegressor, GAMClassifier, GAMRegressor
from glassbox.models.gam import DEFAULT_LAM_GRID

REPEATS = 3
EBM_SETTINGS = dict(outer_bags=4, n_jobs=1)  # interpret's defaults otherwise
N_SPLINES = 20


def _time(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def _pygam_terms(p):
    from pygam import s

    terms = s(0, n_splines=N_SPLINES)
    for j in range(1, p):
        terms += s(j, n_splines=N_SPLINES)
    return terms


def _cases():
    Xc, yc = load_breast_cancer(return_X_y=True, as_frame=True)
    Xr, yr = load_diabetes(return_X_y=True, as_frame=True)
    Xc = Xc.iloc[:, :10]  # ten features keep the pygam grid search affordable
    from interpret.glassbox import ExplainableBoostingClassifier, ExplainableBoostingRegressor
    from pygam import GAM, LogisticGAM

    def gam_direct(make, y_kind):
        def fit(X, y):
            gam = make(_pygam_terms(X.shape[1]))
            gam.gridsearch(
                X.to_numpy(), np.asarray(y, float), lam=np.array(DEFAULT_LAM_GRID), progress=False
            )
            return gam

        return fit

    def gam_pred(task):
        if task == "reg":
            return lambda m, X: m.predict(X.to_numpy())
        return lambda m, X: (m.predict_mu(X.to_numpy()) > 0.5).astype(int)

    return [
        (
            "GAMRegressor  (diabetes)",
            Xr,
            yr,
            "reg",
            lambda: GAMRegressor(n_splines=N_SPLINES),
            gam_direct(lambda t: GAM(t, distribution="normal", link="identity"), "reg"),
            gam_pred("reg"),
        ),
        (
            "GAMClassifier (breast cancer)",
            Xc,
            yc,
            "clf",
            lambda: GAMClassifier(n_splines=N_SPLINES),
            gam_direct(lambda t: LogisticGAM(t), "clf"),
            gam_pred("clf"),
        ),
        (
            "EBMRegressor  (diabetes)",
            Xr,
            yr,
            "reg",
            lambda: EBMRegressor(**EBM_SETTINGS),
            lambda X, y: ExplainableBoostingRegressor(
                feature_names=list(X.columns), **EBM_SETTINGS
            ).fit(X.to_numpy(), y),
            lambda m, X: m.predict(X.to_numpy()),
        ),
        (
            "EBMClassifier (breast cancer)",
            Xc,
            yc,
            "clf",
            lambda: EBMClassifier(**EBM_SETTINGS),
            lambda X, y: ExplainableBoostingClassifier(
                feature_names=list(X.columns), **EBM_SETTINGS
            ).fit(X.to_numpy(), y),
            lambda m, X: m.predict(X.to_numpy()),
        ),
    ]


def main() -> None:
    print(
        f"{'model':32s} {'ours s':>8s} {'direct s':>9s} {'ratio':>6s} {'score ours':>11s} {'score direct':>13s}"
    )
    for name, X, y, task, ours, direct, direct_predict in _cases():
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
        t_ours, t_direct = [], []
        for _ in range(REPEATS):
            t, model = _time(ours().fit, Xtr, ytr)
            t_ours.append(t)
            t, peer = _time(direct, Xtr, ytr)
            t_direct.append(t)
        metric = r2_score if task == "reg" else accuracy_score
        s_ours = metric(yte, model.predict(Xte))
        s_direct = metric(yte, direct_predict(peer, Xte))
        ratio = min(t_ours) / min(t_direct)
        print(
            f"{name:32s} {min(t_ours):8.3f} {min(t_direct):9.3f} {ratio:6.3f} {s_ours:11.6f} {s_direct:13.6f}"
        )


if __name__ == "__main__":
    main()
