"""Fit several families on one data set: held-out score against complexity."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.model_selection import train_test_split


def compare(
    estimators,
    X,
    y,
    *,
    test_size: float = 0.25,
    random_state: int | None = 0,
    progress: bool = False,
    fitted: dict | None = None,
) -> pd.DataFrame:
    """Fit clones of ``estimators`` on one split and tabulate them.

    ``estimators`` is a list of estimators or a dict ``name -> estimator``.
    Returns one row per model: held-out score (accuracy for classifiers, R^2
    for regressors), complexity (``complexity_``) and fit seconds, best first.
    Pass a dict as ``fitted`` to receive the fitted models by name.
    """
    from tqdm.auto import tqdm

    if not isinstance(estimators, dict):
        estimators = {type(e).__name__: e for e in estimators}
    if not estimators:
        raise ValueError("compare needs at least one estimator")
    stratify = y if all(is_classifier(e) for e in estimators.values()) else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=stratify
    )
    rows = []
    bar = tqdm(estimators.items(), disable=not progress, desc="fitting", unit="model")
    for name, est in bar:
        bar.set_postfix_str(name)
        model = clone(est)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "model": name,
                "metric": "accuracy" if is_classifier(model) else "R^2",
                "score": model.score(X_test, y_test),
                "complexity": getattr(model, "complexity_", float("nan")),
                "fit_seconds": seconds,
            }
        )
        if fitted is not None:
            fitted[name] = model
    return pd.DataFrame(rows).sort_values("score", ascending=False, ignore_index=True)


def compare_families(
    X,
    y,
    *,
    classifier: bool,
    families: Sequence[str] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Fit every glassbox family of one task, with its quick settings, and ``compare`` them.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_rows, n_features)
    y : array-like of shape (n_rows,)
    classifier : bool
        Compare the classifiers (True) or the regressors (False).
    families : sequence of str, default=None
        Family names (``glassbox.FAMILIES``) to limit the comparison to; None: all.
    progress : bool, default=False
        Show a progress bar over the fits.

    Returns
    -------
    DataFrame
        ``compare``'s table (one row per class, best first), ready for
        ``glassbox.render.html.report(..., comparison=...)``.
    """
    from .registry import CLASSIFIERS, FAMILIES, REGRESSORS, fast

    if X is None or y is None:
        raise ValueError("compare_families needs both X and y")
    pool = CLASSIFIERS if classifier else REGRESSORS
    if families:
        unknown = [name for name in families if name not in FAMILIES]
        if unknown:
            raise ValueError(f"unknown family name(s) {unknown}; choose from {sorted(FAMILIES)}")
        pool = [c for name in families for c in FAMILIES[name] if c in pool]
        if not pool:
            task = "classification" if classifier else "regression"
            raise ValueError(f"none of the families {list(families)} has a {task} model")
    estimators = {}
    for cls in pool:
        est = fast(cls)
        if "verbose" in est.get_params():
            est.set_params(verbose=False)
        estimators[cls.__name__] = est
    return compare(estimators, X, y, progress=progress)
