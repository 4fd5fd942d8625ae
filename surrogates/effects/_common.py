"""What every effect method shares: the black box, the checked rows, the outputs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..blackbox import BlackBox, as_blackbox


def prepare(blackbox, X, *, allow_nan: bool = False) -> tuple[BlackBox, np.ndarray, list[str]]:
    """The adapted black box, X as float64 rows checked against it, and feature names."""
    bb = as_blackbox(blackbox)
    Xa = bb.check_X(X)
    if not allow_nan and np.isnan(Xa).any():
        row = int(np.nonzero(np.isnan(Xa).any(axis=1))[0][0])
        raise ValueError(f"X has NaN (first in row {row}); impute it before computing effects")
    if Xa.shape[0] == 0:
        raise ValueError("X has no rows; pass the data the effects are averaged over")
    return bb, Xa, bb.feature_names(Xa)


def outputs(bb: BlackBox, X: np.ndarray) -> np.ndarray:
    """The black box's scores as (n, n_outputs): the positive class's probability for a
    binary classifier (as scikit-learn's partial dependence), every class otherwise."""
    scores = bb(X, checked=True)
    if bb.task == "classification" and scores.shape[1] == 2:
        return scores[:, 1:]
    return scores


def output_names(bb: BlackBox, n_outputs: int) -> tuple[str, ...]:
    if bb.task == "classification" and bb.classes_ is not None:
        classes = [str(c) for c in bb.classes_]
        return tuple(classes[1:]) if len(classes) == 2 and n_outputs == 1 else tuple(classes)
    return () if n_outputs == 1 else tuple(f"output{k}" for k in range(n_outputs))


def feature_index(features, names: Sequence[str], *, what: str = "features") -> list[int]:
    """Feature positions from names or integers, each checked."""
    if isinstance(features, (str, int, np.integer)):
        features = [features]
    out = []
    for f in features:
        if isinstance(f, (int, np.integer)) and not isinstance(f, bool):
            if not 0 <= int(f) < len(names):
                raise ValueError(f"{what}: index {f} is out of range for {len(names)} features")
            out.append(int(f))
        elif isinstance(f, str):
            if f not in names:
                raise ValueError(f"{what}: no feature named {f!r}; the features are {list(names)}")
            out.append(list(names).index(f))
        else:
            raise TypeError(f"{what} must be feature names or column indices, got {f!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"{what} names a feature twice: {features}")
    return out


def make_grid(x: np.ndarray, grid, percentiles=(0.05, 0.95)) -> np.ndarray:
    """Grid values for one feature: the sorted unique values when there are at most
    ``grid`` of them, else ``grid`` points evenly spaced between the percentiles
    (scikit-learn's rule); an array is used as given (sorted, unique)."""
    if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool):
        if grid < 2:
            raise ValueError(f"grid must be at least 2 points, got {grid}")
        uniq = np.unique(x)
        if len(uniq) <= grid:
            return uniq.astype(np.float64)
        lo, hi = np.quantile(x, percentiles, method="linear")
        if np.isclose(lo, hi):
            return uniq.astype(np.float64)
        return np.linspace(lo, hi, int(grid))
    values = np.unique(np.asarray(grid, dtype=np.float64).reshape(-1))
    if values.size == 0 or not np.isfinite(values).all():
        raise ValueError("grid values must be finite numbers, at least one")
    return values
