"""Input validation in one place.

Every glassbox estimator calls these helpers at the top of ``fit`` and
``predict`` so bad input is refused with a message that names the problem and
what to do, before any backend (scikit-learn, pygam, interpret, ...) sees it.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data


def feature_names(est) -> list[str]:
    """The names a fitted estimator prints: ``feature_names_in_`` or x0, x1, ..."""
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    return [f"x{i}" for i in range(est.n_features_in_)]


def _check_numeric_frame(X) -> None:
    """Refuse non-numeric DataFrame columns by name, before numpy casts them."""
    if isinstance(X, pd.DataFrame):
        bad = [
            str(c)
            for c in X.columns
            if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
        ]
        if bad:
            raise TypeError(
                f"column(s) {bad} are not numeric (dtype "
                f"{X[bad[0]].dtype}); encode them as numbers first, e.g. with "
                "sklearn.preprocessing.OneHotEncoder or pandas.get_dummies"
            )
    elif hasattr(X, "dtype") and X.dtype.kind in "OUSV":
        try:
            np.asarray(X, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"X contains non-numeric values ({exc}); encode them as numbers first, "
                "e.g. with sklearn.preprocessing.OneHotEncoder"
            ) from None


def _check_finite(X: np.ndarray, allow_nan: bool, est_name: str) -> None:
    if X.dtype.kind not in "fc":
        return
    if np.isinf(X).any():
        rows, cols = np.nonzero(np.isinf(X))
        raise ValueError(
            f"X contains infinity (first at row {rows[0]}, column {cols[0]}); "
            f"replace or drop infinite values before calling {est_name}"
        )
    if not allow_nan and np.isnan(X).any():
        rows, cols = np.nonzero(np.isnan(X))
        raise ValueError(
            f"X contains NaN (first at row {rows[0]}, column {cols[0]}); {est_name} "
            "does not accept missing values: impute them (sklearn.impute.SimpleImputer) "
            "or use EBMClassifier/EBMRegressor, which handle NaN natively"
        )


def check_X(est, X, *, reset: bool, allow_nan: bool = False) -> np.ndarray:
    """Validate X for ``fit`` (reset=True) or ``predict`` (reset=False).

    Returns a float64 C-ordered array. Column count and names are checked by
    scikit-learn's ``validate_data`` so messages match scikit-learn's.
    """
    name = type(est).__name__
    if not reset:
        check_is_fitted(est)
    if X is None:
        raise ValueError(f"{name} got X=None; pass a 2-D array or DataFrame of features")
    _check_numeric_frame(X)
    if isinstance(X, pd.DataFrame) and len(X.columns) and X.shape[0] == 0:
        raise ValueError(f"X is empty (0 rows); {name} needs at least one row")
    X = validate_data(
        est,
        X,
        reset=reset,
        dtype=np.float64,
        ensure_all_finite=False,
        order="C",
    )
    _check_finite(X, allow_nan, name)
    return X


def check_X_y(est, X, y, *, allow_nan: bool = False, classifier: bool):
    """Validate training data; returns (X float64, y as given but 1-D)."""
    name = type(est).__name__
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None")
    _check_numeric_frame(X)
    X = validate_data(
        est,
        X,
        reset=True,
        dtype=np.float64,
        ensure_all_finite=False,
        order="C",
    )
    _check_finite(X, allow_nan, name)
    y_arr = np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = column_or_1d(y_arr, warn=True)  # DataConversionWarning, as sklearn
    if y_arr.ndim != 1:
        raise ValueError(
            f"y must be 1-D (one target per row), got shape {y_arr.shape}; "
            f"{name} fits a single target"
        )
    if len(y_arr) != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} rows but y has {len(y_arr)}; they must match"
        )
    if classifier:
        if y_arr.dtype.kind == "f" and not np.isfinite(y_arr).all():
            raise ValueError("y contains NaN or infinity; drop those rows before fitting")
        kind = type_of_target(y_arr, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type: {kind!r}. {name} needs class labels "
                "(binary or multiclass); for a continuous target use a regressor"
            )
        if np.unique(y_arr).size < 2:
            raise ValueError(
                f"y has a single class ({y_arr[0]!r}): only one class in the target; "
                f"{name} needs at least 2 classes to learn anything"
            )
    else:
        if y_arr.dtype.kind in "OUSb" and y_arr.dtype.kind != "b":
            try:
                y_arr = y_arr.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(
                    f"y is not numeric (dtype {y_arr.dtype}); {name} is a regressor "
                    "and needs a numeric target"
                ) from None
        y_arr = y_arr.astype(np.float64)
        if not np.isfinite(y_arr).all():
            raise ValueError(
                "y contains NaN or infinity; drop those rows before fitting"
            )
    return X, y_arr


def check_sample_weight(sample_weight, n: int) -> np.ndarray | None:
    """None or a validated non-negative 1-D float array of length n."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        return np.full(n, float(sample_weight))
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (n,):
        raise ValueError(f"sample_weight has shape {sw.shape}; expected ({n},)")
    if not np.isfinite(sw).all() or (sw < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    if sw.sum() <= 0:
        raise ValueError("sample_weight sums to zero; at least one row needs weight")
    return sw
