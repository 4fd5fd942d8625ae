"""Checking rows of features, shared by the black-box adapter and every SHAP
algorithm (kept outside surrogates.shap so `import surrogates` stays light)."""

from __future__ import annotations

import numpy as np


def align_columns(
    X,
    names,
    *,
    name: str = "X",
    against: str = "the model's features",
    unnamed_by_position: bool = True,
):
    """A DataFrame X with its columns in the order of ``names`` (same set, other
    order: reordered; a different set: an error naming the difference). Arrays,
    and frames when ``names`` is None, pass through unchanged; so do frames with
    non-string labels (0, 1, 2, ...) unless ``unnamed_by_position`` is False."""
    if names is None or not hasattr(X, "columns"):
        return X
    names = [str(n) for n in names]
    if unnamed_by_position and not all(isinstance(c, str) for c in X.columns):
        # 0, 1, 2, ... are positions (as scikit-learn reads them), unless the model
        # was fitted on those very labels (glassbox keeps any label type as a name)
        if sorted(str(c) for c in X.columns) != sorted(names):
            return X
    cols = [str(c) for c in X.columns]
    if cols == names:
        return X
    missing = [c for c in names if c not in cols]
    extra = [c for c in cols if c not in names]
    if missing or extra or len(cols) != len(names):
        raise ValueError(
            f"{name} columns do not match {against}: missing {missing[:5]}, unexpected "
            f"{extra[:5]}; pass the same columns"
        )
    # reordered under the labels X has (a model fitted on 0, 1, 2 is handed 0, 1, 2)
    return X[[X.columns[cols.index(n)] for n in names]]


#: entries a sparse X may have once made dense (400 MB of float64)
_MAX_DENSE = 50_000_000


def as_rows(X, *, allow_nan: bool, name: str = "X") -> np.ndarray:
    """X (array, DataFrame or scipy sparse matrix) as a float64 C-ordered 2-D array, checked."""
    if X is None:
        raise ValueError(f"{name} is None; pass a 2-D array or DataFrame of features")
    if type(X).__module__.startswith("scipy.sparse"):
        # masking mixes rows with the background, so the rows become dense anyway
        if X.shape[0] * X.shape[1] > _MAX_DENSE:
            raise ValueError(
                f"{name} is sparse with {X.shape[0]} x {X.shape[1]} entries, too many to make "
                "dense; explain fewer rows at a time"
            )
        X = X.toarray()
    if hasattr(X, "to_numpy") and hasattr(X, "columns"):
        bad = [c for c in X.columns if X[c].dtype.kind not in "biuf"]
        if bad:
            raise TypeError(f"{name} column(s) {bad} are not numeric; encode them as numbers first")
        X = X.to_numpy(dtype=np.float64, na_value=np.nan)  # pandas NA -> NaN, checked below
    try:
        X = np.ascontiguousarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from None
    if X.ndim == 1:
        raise ValueError(
            f"{name} is 1-D (shape {X.shape}); pass a 2-D array, e.g. X.reshape(1, -1) for one row"
        )
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows)")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no columns; pass at least one feature")
    if np.isinf(X).any():
        raise ValueError(f"{name} contains infinity; replace or drop those values")
    if not allow_nan and np.isnan(X).any():
        row = int(np.nonzero(np.isnan(X).any(axis=1))[0][0])
        raise ValueError(f"{name} contains NaN (first in row {row}); impute or drop missing values")
    return X
