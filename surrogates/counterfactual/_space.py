"""The row space: rows as float codes, the cost (weighted L1 plus a sparsity
term) and the constraints (immutable, bounds, monotone, levels, integers)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: cost of changing a feature at all (one typical spread): fewer changes are easier to
#: act on (and DiCE's sparsity metric counts them)
SPARSITY = 1.0


def _is_text(col: pd.Series) -> bool:
    return _is_text_dtype(col.dtype)


def _is_text_dtype(dtype) -> bool:
    return not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


class _BlockStats:
    """Per column of an all-number X: any NaN, all integral, min, max, and the
    default cost weight 1 / MAD (1 / std where the MAD is 0; 1 where both are)."""

    def __init__(self, A: np.ndarray):
        self.nan = np.isnan(A).any(axis=0)
        self.integral = np.all(A == np.round(A), axis=0)
        if self.nan.any():  # refused by the caller: the rest is not needed
            self.lo = self.hi = self.w = np.full(A.shape[1], np.nan)
            return
        self.lo, self.hi = A.min(axis=0), A.max(axis=0)
        med = np.median(A, axis=0)
        mad = np.median(np.abs(A - med), axis=0)
        low = mad <= 0
        if low.any():
            mad[low] = np.std(A[:, low], axis=0)
        self.w = np.where(mad > 0, 1.0 / np.where(mad > 0, mad, 1.0), 1.0)


_STATS: dict = {}


def _block_stats(A: np.ndarray) -> _BlockStats:
    """``_BlockStats`` of A, kept for the last 8 data sets by their exact bytes
    (explaining many rows against one X computes its medians once; any change
    to X is a new key)."""
    key = (A.shape, hash(A.tobytes()))
    hit = _STATS.get(key)
    if hit is None:
        while len(_STATS) >= 8:
            _STATS.pop(next(iter(_STATS)))
        hit = _STATS[key] = _BlockStats(A)
    return hit


class _Space:
    """Rows as float codes: numbers as they are, a categorical value as the index
    of its level; decodes back to what the model takes (frame or array)."""

    def __init__(self, model, x, X, immutable, bounds, monotone, cost):
        schema = getattr(model, "input_schema_", None)
        if isinstance(x, pd.Series):
            x = x.to_frame().T
        if isinstance(x, pd.DataFrame):
            if len(x) != 1:
                raise ValueError(f"x must be one row, got {len(x)} rows; pass X.iloc[[i]]")
            self.as_frame = True
            self.names = [str(c) for c in x.columns]
            self.columns = list(x.columns)
            xf = x.reset_index(drop=True)
        else:
            arr = np.asarray(x, dtype=object)
            if arr.ndim == 2 and arr.shape[0] == 1:
                arr = arr[0]
            if arr.ndim != 1:
                raise ValueError(f"x must be one row (1-D), got shape {arr.shape}")
            self.as_frame = False
            names = None
            if schema is not None and schema.named and len(schema) == arr.size:
                names = list(schema.names)
            elif getattr(model, "feature_names_in_", None) is not None:
                names = [str(n) for n in model.feature_names_in_]
            self.names = names if names is not None else [f"x{j}" for j in range(arr.size)]
            self.columns = list(range(arr.size))
            xf = pd.DataFrame([list(arr)], columns=self.names)
        p = len(self.names)
        self.p = p
        if X is not None:
            if isinstance(X, pd.DataFrame):
                Xf = X.copy(deep=False)  # only relabelled below, never written
                if self.as_frame and list(X.columns) != self.columns:
                    missing = [c for c in self.columns if c not in X.columns]
                    if missing:
                        raise ValueError(f"X lacks column(s) {missing} of x")
                    Xf = X[self.columns]
            else:
                Xa = np.asarray(X, dtype=object)
                if Xa.ndim != 2 or Xa.shape[1] != p:
                    raise ValueError(f"X must have shape (n, {p}), got {Xa.shape}")
                Xf = pd.DataFrame(Xa, columns=self.columns if self.as_frame else self.names)
                for c in Xf.columns:
                    try:
                        Xf[c] = pd.to_numeric(Xf[c])
                    except (TypeError, ValueError):
                        pass
            Xf = Xf.reset_index(drop=True)
            Xf.columns = range(p)
        else:
            Xf = None
        xf.columns = range(p)
        if not self.as_frame:
            for c in xf.columns:
                try:
                    xf[c] = pd.to_numeric(xf[c])
                except (TypeError, ValueError):
                    pass
        self.dtypes = [xf[j].dtype for j in range(p)]
        self.kind: list[str] = []
        self.levels: list[list] = []
        x0 = np.zeros(p)
        spec_of = {}
        if schema is not None:
            spec_of = {c.name: c for c in schema.columns}
        Xnum: dict[int, np.ndarray] = {}  # numeric columns of X as float arrays
        # dtypes looked up once, and all-number data copied as one block (column
        # by column through pandas costs ~30 us a column)
        x_text = [_is_text_dtype(d) for d in xf.dtypes]
        X_text = [_is_text_dtype(d) for d in Xf.dtypes] if Xf is not None else [False] * p
        x_row = xf.to_numpy(dtype=object)[0]
        X_block = None
        stats = None
        if Xf is not None and not any(X_text) and not any(x_text):
            X_block = Xf.to_numpy(dtype=np.float64)
            stats = _block_stats(X_block)
        for j in range(p):
            spec = spec_of.get(self.names[j])
            if (spec is None or spec.kind == "numeric") and not x_text[j] and not X_text[j]:
                # numbers: numpy only (the pandas route below costs ~1 ms a column)
                xv = float(x_row[j])
                if X_block is not None:
                    v = X_block[:, j]
                else:
                    v = Xf[j].to_numpy(dtype=np.float64) if Xf is not None else np.empty(0)
                if np.isnan(xv) or (stats.nan[j] if stats else np.isnan(v).any()):
                    raise ValueError(
                        f"feature {self.names[j]!r} has a missing value in x or X; "
                        "counterfactuals need complete rows"
                    )
                whole = stats.integral[j] if stats else bool(np.all(v == np.round(v)))
                integral = Xf is not None and xv == round(xv) and bool(whole)
                self.kind.append("integer" if integral else "numeric")
                self.levels.append([])
                x0[j] = xv
                Xnum[j] = v
                continue
            col = xf[j] if Xf is None else pd.concat([xf[j], Xf[j]], ignore_index=True)
            cat = (spec is not None and spec.kind != "numeric") or _is_text(col)
            if col.isna().any():
                raise ValueError(
                    f"feature {self.names[j]!r} has a missing value in x or X; "
                    "counterfactuals need complete rows"
                )
            if cat:
                self.kind.append("categorical")
                seen = list(pd.unique(col))
                if Xf is None and spec is not None and spec.kind == "categorical":
                    seen += [lv for lv in spec.levels if lv not in [str(s) for s in seen]]
                if Xf is None and spec is not None and spec.kind == "boolean":
                    seen += [b for b in (False, True) if b not in seen]
                # most frequent level first: the plausible choice when any level will do
                counts = col.value_counts()
                seen.sort(key=lambda v: -int(counts.get(v, 0)))
                self.levels.append(seen)
                x0[j] = seen.index(xf[j].iloc[0])
            else:
                v = col.to_numpy(dtype=np.float64)
                integral = Xf is not None and bool(np.all(v == np.round(v)))
                self.kind.append("integer" if integral else "numeric")
                self.levels.append([])
                x0[j] = float(xf[j].iloc[0])
        self.x0 = x0
        self.x_frame = x if self.as_frame else pd.DataFrame([list(xf.iloc[0])], columns=self.names)
        # per-feature weights: 1 / MAD on X (DiCE), 1 for categorical changes
        w = np.ones(p)
        if stats is not None and not any(k == "categorical" for k in self.kind):
            w = stats.w.copy()  # all numbers: computed once per X (same values)
        elif Xf is not None:
            for j in range(p):
                if self.kind[j] == "categorical":
                    continue
                v = Xnum[j] if j in Xnum else Xf[j].to_numpy(dtype=np.float64)
                mad = float(np.median(np.abs(v - np.median(v))))
                if mad <= 0:
                    mad = float(np.std(v))
                w[j] = 1.0 / mad if mad > 0 else 1.0
        if cost is not None:
            if isinstance(cost, Mapping):
                for k, val in cost.items():
                    w[self.index(k)] = float(val)
            else:
                c = np.asarray(cost, dtype=np.float64)
                if c.shape != (p,):
                    raise ValueError(f"cost must be a mapping or {p} weights, got shape {c.shape}")
                w = c.copy()
            if not np.all(np.isfinite(w)) or np.any(w <= 0):
                raise ValueError("cost weights must be finite and > 0")
        self.w = w
        # feasible box per feature
        lo = np.full(p, -np.inf)
        hi = np.full(p, np.inf)
        if stats is not None:
            num = np.array([k != "categorical" for k in self.kind])
            lo[num] = np.minimum(stats.lo, x0)[num]
            hi[num] = np.maximum(stats.hi, x0)[num]
        elif Xf is not None:
            for j in range(p):
                if self.kind[j] != "categorical":
                    v = Xnum[j] if j in Xnum else Xf[j].to_numpy(dtype=np.float64)
                    lo[j] = min(v.min(), x0[j])
                    hi[j] = max(v.max(), x0[j])
        for k, b in (bounds or {}).items():
            j = self.index(k)
            if self.kind[j] == "categorical":
                allowed = list(b)
                bad = [v for v in allowed if v not in self.levels[j]]
                if bad:
                    raise ValueError(f"bounds of {k!r}: level(s) {bad} were never observed")
                keep = set(allowed) | {self.levels[j][int(x0[j])]}
                self.levels[j] = [v for v in self.levels[j] if v in keep]
                x0[j] = self.levels[j].index(xf[j].iloc[0])
                continue
            b_lo, b_hi = b
            lo[j] = -np.inf if b_lo is None else float(b_lo)
            hi[j] = np.inf if b_hi is None else float(b_hi)
            if not lo[j] <= x0[j] <= hi[j]:
                raise ValueError(f"x's {k!r} = {x0[j]} is outside its bounds {b}")
        for k, d in (monotone or {}).items():
            j = self.index(k)
            if d not in ("up", "down"):
                raise ValueError(f"monotone[{k!r}] must be 'up' or 'down', got {d!r}")
            if self.kind[j] == "categorical":
                raise ValueError(f"monotone applies to numeric features; {k!r} is categorical")
            if d == "up":
                lo[j] = x0[j]
            else:
                hi[j] = x0[j]
        self.mutable = np.ones(p, dtype=bool)
        for k in immutable:
            j = self.index(k)
            self.mutable[j] = False
            lo[j] = hi[j] = x0[j]
        integer = np.array([k == "integer" for k in self.kind])
        lo[integer] = np.ceil(lo[integer])
        hi[integer] = np.floor(hi[integer])
        self.lo, self.hi = lo, hi
        self.integer = integer
        self.categorical = np.array([k == "categorical" for k in self.kind])
        if Xf is None:
            self.X = None
        else:  # numeric columns are already arrays; levels are looked up
            self.X = np.empty((len(Xf), p))
            for j in range(p):
                if j in Xnum:
                    self.X[:, j] = Xnum[j]
                else:
                    lookup = {v: k for k, v in enumerate(self.levels[j])}
                    self.X[:, j] = [lookup.get(v, -1) for v in Xf[j]]
        # the model gets what it was fitted on: named columns, or a bare array
        # for a model fitted without names (scikit-learn warns otherwise)
        fitted_named = getattr(model, "feature_names_in_", None) is not None or (
            schema is not None and schema.named
        )
        fitted_bare = hasattr(model, "n_features_in_") and not fitted_named
        self.frame_input = fitted_named or (self.as_frame and not fitted_bare)
        # columns that decode to anything but float64 (levels, integer dtypes)
        self._mixed = bool(self.categorical.any()) or any(
            not (pd.api.types.is_float_dtype(d) and np.dtype(d) == np.float64) for d in self.dtypes
        )
        self._index = pd.Index(self.columns if self.as_frame else self.names)
        # a scikit-learn model fitted on exactly our float columns, in our order,
        # may take the bare matrix during the search (the names only get checked)
        fitted = getattr(model, "feature_names_in_", None)
        self.bare_ok = (
            not self._mixed
            and type(model).__module__.startswith("sklearn")
            and fitted is not None
            and [str(c) for c in fitted] == self.names
        )

    def index(self, name) -> int:
        key = str(name)
        if key in self.names:
            return self.names.index(key)
        if isinstance(name, (int, np.integer)) and 0 <= name < self.p:
            return int(name)
        raise ValueError(f"unknown feature {name!r}; features are {self.names}")

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        Z = np.empty((len(frame), self.p))
        for j in range(self.p):
            col = frame.iloc[:, j]
            if self.categorical[j]:
                lookup = {v: k for k, v in enumerate(self.levels[j])}
                Z[:, j] = [lookup.get(v, -1) for v in col]
            else:
                Z[:, j] = col.to_numpy(dtype=np.float64)
        return Z

    def value(self, j: int, z: float):
        if self.categorical[j]:
            return self.levels[j][int(z)]
        if self.integer[j]:
            return int(round(z))
        return float(z)

    def decode(self, Z: np.ndarray) -> pd.DataFrame:
        if not self._mixed:  # all float columns: one block, no per-column work
            return pd.DataFrame(np.asarray(Z, dtype=np.float64), columns=self._index, copy=False)
        cols = {}
        for j in range(self.p):
            if self.categorical[j]:
                lv = np.empty(len(self.levels[j]), dtype=object)
                lv[:] = self.levels[j]
                col = pd.Series(lv[Z[:, j].astype(np.intp)])
            else:
                col = pd.Series(Z[:, j])
                if self.integer[j] and pd.api.types.is_integer_dtype(self.dtypes[j]):
                    col = col.round().astype(self.dtypes[j])
            if self.categorical[j] and isinstance(self.dtypes[j], pd.CategoricalDtype):
                col = col.astype(self.dtypes[j])
            elif self.categorical[j] and pd.api.types.is_bool_dtype(self.dtypes[j]):
                col = col.astype(bool)
            cols[j] = col
        out = pd.DataFrame(cols)
        out.columns = self.columns if self.as_frame else self.names
        return out

    def model_input(self, Z: np.ndarray):
        if not self.frame_input and not self._mixed:
            return np.ascontiguousarray(Z, dtype=np.float64)
        frame = self.decode(Z)
        if self.frame_input or self.categorical.any():
            return frame
        return frame.to_numpy(dtype=np.float64)

    def costs(self, Z: np.ndarray) -> np.ndarray:
        D = Z - self.x0
        changed = D != 0
        mag = np.where(self.categorical, changed.astype(np.float64), np.abs(D))
        return (mag * self.w).sum(axis=1) + SPARSITY * changed.sum(axis=1)

    def feasible(self, Z: np.ndarray) -> np.ndarray:
        # one test for all: a categorical's box is open unless it is immutable, and
        # an immutable feature's box is x's value itself (lo = hi = x0)
        ok = np.all((Z >= self.lo) & (Z <= self.hi), axis=1)
        if self.integer.any():
            Zi = Z[:, self.integer]
            ok &= np.all(Zi == np.round(Zi), axis=1)
        return ok

    def project(self, Z: np.ndarray) -> np.ndarray:
        Z = np.clip(Z, self.lo, self.hi)
        Z[:, self.integer] = np.clip(
            np.round(Z[:, self.integer]), self.lo[self.integer], self.hi[self.integer]
        )
        Z[:, ~self.mutable] = self.x0[~self.mutable]
        return Z
