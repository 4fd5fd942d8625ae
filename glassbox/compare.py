"""Fit several families on one data set: held-out score against complexity."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.model_selection import train_test_split


def _reason(exc: BaseException) -> str:
    """The first line of an error, as one short reason (a schema error's facts only:
    its advice is for the caller to give)."""
    facts = getattr(exc, "facts", None)
    if facts:
        return str(facts).strip().splitlines()[0]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def compare(
    estimators,
    X,
    y,
    *,
    test_size: float = 0.25,
    random_state: int | None = 0,
    progress: bool = False,
    fitted: dict | None = None,
    errors: str = "raise",
) -> pd.DataFrame:
    """Fit clones of ``estimators`` on one split and tabulate them.

    ``estimators`` is a list of estimators or a dict ``name -> estimator``.
    Returns one row per model: held-out score (accuracy for classifiers, R^2
    for regressors), complexity (``complexity_``) and fit seconds, best first.
    Pass a dict as ``fitted`` to receive the fitted models by name.

    ``errors="skip"``: a model that cannot be fitted or scored on this data
    (e.g. a family that refuses missing values, or a backend that fails on the
    values) gets a row with a NaN score and the reason in a ``note`` column,
    after the others; the reasons are also in ``table.attrs["skipped"]``
    (name -> reason). ``errors="raise"`` lets the first error through.
    """
    from tqdm.auto import tqdm

    if errors not in ("raise", "skip"):
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
    if not isinstance(estimators, dict):
        estimators = {type(e).__name__: e for e in estimators}
    if not estimators:
        raise ValueError("compare needs at least one estimator")
    stratify = None
    if all(is_classifier(e) for e in estimators.values()):
        counts = pd.Series(np.asarray(y)).value_counts()
        if counts.min() >= 2:  # train_test_split refuses to stratify a class of one row
            stratify = y
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=stratify
    )
    rows, skipped = [], {}
    bar = tqdm(estimators.items(), disable=not progress, desc="fitting", unit="model", delay=2.0)
    for name, est in bar:
        bar.set_postfix_str(name)
        model = clone(est)
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            score = model.score(X_test, y_test)
        except (ValueError, TypeError, ArithmeticError, RuntimeError) as exc:
            if errors == "raise":
                raise
            skipped[name] = _reason(exc)
            continue
        rows.append(
            {
                "model": name,
                "metric": "accuracy" if is_classifier(model) else "R^2",
                "score": score,
                "complexity": getattr(model, "complexity_", float("nan")),
                "fit_seconds": seconds,
            }
        )
        if fitted is not None:
            fitted[name] = model
    columns = ["model", "metric", "score", "complexity", "fit_seconds"]
    table = pd.DataFrame(rows, columns=columns)
    table = table.sort_values("score", ascending=False, ignore_index=True)
    if skipped:
        table["note"] = ""
        metric = (
            "accuracy"
            if stratify is not None or is_classifier(next(iter(estimators.values())))
            else "R^2"
        )
        extra = pd.DataFrame(
            [
                {
                    "model": n,
                    "metric": metric,
                    "score": np.nan,
                    "complexity": np.nan,
                    "fit_seconds": np.nan,
                    "note": f"skipped: {r}",
                }
                for n, r in skipped.items()
            ]
        )
        table = pd.concat([table, extra], ignore_index=True) if len(table) else extra
    table.attrs["skipped"] = skipped
    return table


def compare_families(
    X,
    y,
    *,
    classifier: bool,
    families: Sequence[str] | None = None,
    progress: bool = False,
    quick: bool = True,
    params: Mapping[str, Mapping] | None = None,
    test_size: float = 0.25,
    random_state: int | None = 0,
    errors: str = "skip",
    fitted: dict | None = None,
) -> pd.DataFrame:
    """Fit every glassbox family of one task and ``compare`` them.

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
    quick : bool, default=True
        Start each family from its quick settings (``traits.quick_params``);
        False: the library defaults.
    params : mapping, default=None
        Family name -> extra parameters for that family's estimator.
    test_size, random_state : float, int
        The held-out share and the seed of the split.
    errors : {"skip", "raise"}, default="skip"
        "skip": a family that cannot fit (or score) this data gets a row with
        its reason in the ``note`` column and the rest are still compared.
    fitted : dict or None
        Receives the fitted models by class name.

    Returns
    -------
    DataFrame
        ``compare``'s table (one row per class, best first, skipped ones last),
        ready for ``glassbox.render.html.report(..., comparison=...)``.
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
    params = params or {}
    estimators = {}
    for cls in pool:
        est = fast(cls) if quick else cls()
        if "verbose" in est.get_params():
            est.set_params(verbose=False)
        extra = dict(params.get(cls.traits.family, {}))
        if extra:
            est.set_params(**extra)
        estimators[cls.__name__] = est
    return compare(
        estimators,
        X,
        y,
        progress=progress,
        test_size=test_size,
        random_state=random_state,
        errors=errors,
        fitted=fitted,
    )
