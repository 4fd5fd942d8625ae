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


def default_feature_names(n: int) -> list[str]:
    """``x0, x1, ...``: the names of ``n`` columns that came without names."""
    return [f"x{i}" for i in range(n)]


def feature_names(est) -> list[str]:
    """The names a fitted estimator prints: ``feature_names_in_`` or x0, x1, ..."""
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    return default_feature_names(est.n_features_in_)


def is_categorical_column(col: pd.Series) -> bool:
    """Text, pandas category or object columns (booleans count as numeric)."""
    return not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col))


def has_categorical_columns(X) -> bool:
    """True for a DataFrame with at least one categorical column."""
    return isinstance(X, pd.DataFrame) and any(is_categorical_column(X[c]) for c in X.columns)


def _check_numeric_frame(X) -> None:
    """Refuse non-numeric DataFrame columns by name, before numpy casts them."""
    if isinstance(X, pd.DataFrame):
        bad = [str(c) for c in X.columns if is_categorical_column(X[c])]
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
        raise ValueError(f"X has {X.shape[0]} rows but y has {len(y_arr)}; they must match")
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
            raise ValueError("y contains NaN or infinity; drop those rows before fitting")
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


def drop_zero_weight(X: np.ndarray, y: np.ndarray, sw: np.ndarray | None, classifier: bool):
    """Rows of weight 0 are absent rows: drop them before the backend sees them
    (pygam would still place knots over them; interpret refuses zero weights)."""
    if sw is None or (sw > 0).all():
        return X, y, sw
    keep = sw > 0
    if classifier and np.unique(y[keep]).size < 2:
        raise ValueError(
            "only one class has non-zero sample_weight: a single class cannot be "
            "learned; give rows of at least 2 classes a positive weight"
        )
    return X[keep], y[keep], sw[keep]


# --- mixed numeric / categorical input, coded (GAM, EBM) ---------------------------


def split_mixed(est, X, *, reset: bool, allow_nan: bool, allow_categorical_nan: bool):
    """Validate X that may hold categorical columns.

    Returns a float64 array with every column (categorical columns hold integer
    level codes, NaN for missing, ``len(levels)`` for an unseen level when
    ``allow_categorical_nan``), and at fit time stores ``categories_``
    {column index: array of levels}. Without categorical columns this is
    exactly ``check_X``.
    """
    name = type(est).__name__
    if reset:
        has_cats = has_categorical_columns(X)
    else:
        check_is_fitted(est)
        has_cats = bool(getattr(est, "categories_", None))
    if not has_cats:
        if reset:
            est.categories_ = {}
        return check_X(est, X, reset=reset, allow_nan=allow_nan)
    if X is None:
        raise ValueError(f"{name} got X=None; pass a 2-D array or DataFrame of features")
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=object))
    if frame.shape[0] == 0:
        raise ValueError(f"X is empty (0 rows); {name} needs at least one row")
    # names and column count through scikit-learn, so messages match check_X's
    validate_data(est, X, reset=reset, skip_check_array=True)
    if reset:
        est.categories_ = {
            j: np.array(sorted(frame.iloc[:, j].dropna().astype(str).unique()), dtype=object)
            for j in range(frame.shape[1])
            if is_categorical_column(frame.iloc[:, j])
        }
    out = np.empty(frame.shape, dtype=np.float64)
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        cname = str(frame.columns[j])
        if j in est.categories_:
            levels = est.categories_[j]
            missing = col.isna().to_numpy()
            if missing.any() and not allow_categorical_nan:
                raise ValueError(
                    f"X contains NaN in categorical column {cname!r} (first at row "
                    f"{int(np.argmax(missing))}); {name} does not accept missing values: "
                    "fill them (e.g. with a level 'missing') or use EBMClassifier/EBMRegressor"
                )
            text = col.astype(str).to_numpy()
            codes = np.searchsorted(levels, text)
            codes = np.minimum(codes, len(levels) - 1)
            unseen = (levels[codes] != text) & ~missing
            if unseen.any():
                if not allow_categorical_nan:
                    raise ValueError(
                        f"column {cname!r} has level(s) {sorted(set(text[unseen]))[:5]} "
                        f"not seen in fit (known levels: {list(levels)})"
                    )
                codes[unseen] = len(levels)  # EBM: interpret's 'unseen' score
            codes = codes.astype(np.float64)
            codes[missing] = np.nan
            out[:, j] = codes
        else:
            if is_categorical_column(col):
                raise TypeError(f"column {cname!r} is not numeric but was numeric in fit")
            out[:, j] = pd.to_numeric(col, errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
    num_cols = [j for j in range(out.shape[1]) if j not in est.categories_]
    _check_finite(np.ascontiguousarray(out[:, num_cols]), allow_nan, name)
    return out


def check_mixed_X_y(est, X, y, *, classifier: bool, allow_nan: bool):
    """``check_X_y`` for data that may hold categorical DataFrame columns.

    Categorical columns are coded by ``split_mixed`` first; y goes through
    ``check_X_y`` on the coded array, then the DataFrame's names are restored
    (``check_X_y`` on an array would forget them).
    """
    if not has_categorical_columns(X):
        est.categories_ = {}
        return check_X_y(est, X, y, classifier=classifier, allow_nan=allow_nan)
    if y is None:
        raise ValueError(f"{type(est).__name__} requires y to be passed, but the target y is None")
    Xc = split_mixed(est, X, reset=True, allow_nan=allow_nan, allow_categorical_nan=allow_nan)
    names = est.feature_names_in_
    categories = est.categories_
    Xc, y = check_X_y(est, Xc, y, classifier=classifier, allow_nan=True)
    est.feature_names_in_, est.n_features_in_ = names, len(names)
    est.categories_ = categories
    return Xc, y


# --- one-hot encoded categorical input (rule families) -----------------------------


def one_hot_levels(X: pd.DataFrame, est_name: str) -> dict[str, list[str]]:
    """Sorted levels (as text) of every categorical column of X, by column name.

    Refuses an empty frame and a missing category, which no rule could test.
    """
    cats = [c for c in X.columns if is_categorical_column(X[c])]
    if X.shape[0] == 0:
        raise ValueError(f"X is empty (0 rows); {est_name} needs at least one row")
    for c in cats:
        if X[c].isna().any():
            raise ValueError(
                f"column {c!r} contains NaN (missing category); "
                f"{est_name} does not accept missing values: fill them "
                "(e.g. with a 'missing' level) before fitting"
            )
    return {str(c): sorted(map(str, X[c].unique())) for c in cats}


def one_hot_encode(X: pd.DataFrame, levels: dict[str, list[str]]) -> pd.DataFrame:
    """X with each categorical column replaced by 0/1 columns ``name == level``."""
    parts = {}
    for c in X.columns:
        name = str(c)
        if name in levels:
            values = X[c].astype(str).to_numpy()
            for level in levels[name]:
                parts[f"{name} == {level}"] = (values == level).astype(np.float64)
        else:
            parts[name] = X[c]
    return pd.DataFrame(parts, index=X.index)


def one_hot_sources(columns, levels: dict[str, list[str]] | None) -> list[tuple[str, str | None]]:
    """Per encoded column: (original column name, level or None when numeric)."""
    src = []
    for c in columns:
        c = str(c)
        if levels is not None and c in levels:
            src += [(c, level) for level in levels[c]]
        else:
            src.append((c, None))
    return src


def check_one_hot_X(est, X, levels: dict[str, list[str]]) -> np.ndarray:
    """Predict-time X of a model fitted on one-hot encoded columns: the float
    matrix it was fitted on (an unseen level is 0 in every dummy of its column)."""
    check_is_fitted(est)
    validate_data(est, X, reset=False, skip_check_array=True)
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(np.asarray(X, dtype=object), columns=est.feature_names_in_)
    for c in levels:
        if X[c].isna().any():
            raise ValueError(f"column {c!r} contains NaN (missing category)")
    Xe = one_hot_encode(X, levels).to_numpy(dtype=np.float64)
    _check_finite(Xe, False, type(est).__name__)
    return np.ascontiguousarray(Xe)
