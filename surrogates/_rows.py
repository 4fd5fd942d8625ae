"""Checking rows of features, shared by the black-box adapter and every SHAP
algorithm (kept outside surrogates.shap so `import surrogates` stays light)."""

from __future__ import annotations

import numpy as np


def as_rows(X, *, allow_nan: bool, name: str = "X") -> np.ndarray:
    """X (array or DataFrame) as a float64 C-ordered 2-D array, checked."""
    if hasattr(X, "to_numpy") and hasattr(X, "columns"):
        bad = [c for c in X.columns if X[c].dtype.kind not in "biuf"]
        if bad:
            raise TypeError(f"{name} column(s) {bad} are not numeric; encode them as numbers first")
        X = X.to_numpy()
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
    if np.isinf(X).any():
        raise ValueError(f"{name} contains infinity; replace or drop those values")
    if not allow_nan and np.isnan(X).any():
        row = int(np.nonzero(np.isnan(X).any(axis=1))[0][0])
        raise ValueError(f"{name} contains NaN (first in row {row}); impute or drop missing values")
    return X
