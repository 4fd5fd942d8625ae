"""Counterfactuals: the smallest changes to a row that give the outcome asked for.

``counterfactuals(model, x, desired=...)`` answers "what would have to change"
for one row ``x``: up to ``n`` rows near ``x`` that the model gives the
desired class (or a prediction in the desired interval), each with its changes
``(feature, from, to)`` and its cost, re-checked on the model (``valid``).

Cost (Wachter et al. 2017; DiCE's proximity): the L1 distance to ``x`` with
each numeric feature divided by its median absolute deviation on ``X`` (a
change of one "typical spread" costs 1), a categorical change costing 1, plus
``SPARSITY`` per changed feature, so that of two equally near rows the one
changing fewer features wins. ``cost`` replaces the per-feature weights.

Constraints the returned rows always satisfy: ``immutable`` features keep
their value, ``bounds`` (by default the range seen in ``X``, as DiCE does),
``monotone`` ("up" / "down": the feature may only grow / shrink), categorical
features take only levels seen in ``X`` (or in the model's schema), and
integer features (every value in ``X`` integral) stay integers.

Solvers (``method``):

- ``"linear"``: glassbox GLMs and scikit-learn linear models. The model is
  affine in its design, so its scores are read by probing it at ``x`` (one
  unit step per numeric feature, every level of a categorical one) and the
  nearest counterfactual is a small mixed-integer program (scipy ``milp``,
  HiGHS): exact under the cost above. Further rows are the nearest ones that
  do not change every feature an earlier row changed.
- ``"tree"``: glassbox trees and scikit-learn decision trees. Every leaf of the
  desired outcome is a box; the nearest point of a box under a separable cost
  is found feature by feature, so sorting the leaves by that cost gives the
  provably nearest counterfactual; rows are the nearest points of the ``n``
  nearest leaves. A point just above a threshold ``t`` is the shortest decimal
  in ``(t, t + 1e-4 / weight]`` (``exact`` up to that resolution).
- ``"additive"``: glassbox EBMs without pair terms (binary or regression).
  The link-scale output is a sum of per-feature step functions, so each
  feature's candidates (x's value, or a value next to a bin cut) and their
  gains are read by probing once, and the nearest counterfactual is a
  multiple-choice knapsack solved by branch and bound (exact).
- ``"cells"``: rule lists, OneR, EBMs with pairs and scikit-learn forests /
  extra trees / gradient boosting. The model is constant on the cells cut by
  its thresholds, so the nearest point of any cell is x's value or a value
  next to a cut in each feature; these grid points are enumerated best-first
  in order of cost (batched model calls) and the first valid one is provably
  the nearest. Under ``time_limit`` (half of it; the search gets the rest) it
  stops with an honest bound: ``lower_bound`` is the cost below which every
  point has been checked.
- ``"search"``: any model with ``predict`` (or a callable returning labels or
  values). Seeds are the rows of ``X`` the model already gives the desired
  outcome and growing spheres around ``x`` (Laugel et al. 2018: random sparse
  moves in cost units, radius doubling until enough are valid), in batches;
  each valid seed is then sparsified (changes reverted one at a time while
  still valid) and pulled towards ``x`` (a line search per feature). The ``n``
  rows returned are chosen for low cost and for distance to each other
  (DiCE's diversity). Every candidate is checked on the model. The search
  stops at ``time_limit`` seconds with what it has and says so
  (``complete=False``); results are deterministic for a fixed
  ``random_state`` when it does not stop early.

``method="auto"`` takes the exact solver when the model has one (tree,
linear, additive, cells, in that order), the search otherwise. GAMs (smooth
splines) and xgboost models go to the search. There is no
``explain_counterfactual`` method on glassbox estimators: glassbox never
imports surrogates (design.md); call ``counterfactuals(model, x)``. The result is a frozen ``Counterfactuals``; ``str`` of it reads
"Income 2,100 -> 2,650 and Debt 800 -> 0 turns 'refused' into 'approved'".
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from glassbox._format import shortest_between

#: cost of changing a feature at all (half a typical spread): fewer changes are easier to act on
SPARSITY = 0.5
_METHODS = ("auto", "linear", "tree", "additive", "cells", "search")


# --------------------------------------------------------------------------- result


def _fmt(v) -> str:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
        return repr(v) if isinstance(v, str) else str(v)
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.6g}"


@dataclass(frozen=True)
class Counterfactuals:
    """Counterfactual rows of one row ``x`` and what they change.

    ``rows`` holds one counterfactual per row (columns as in ``x``);
    ``changes[i]`` the ``(feature, from, to)`` of row i; ``costs[i]`` its cost;
    ``valid[i]`` whether the model, called again on the row, gives the desired
    outcome; ``outcomes[i]`` that prediction. ``exact`` is True when the
    first row is proven the nearest under the cost (and, with no rows, that no
    counterfactual exists under the constraints). ``complete`` is False when
    the search stopped at the time limit. ``lower_bound`` is a proven lower
    bound on the cost of the nearest counterfactual (``costs[0]`` when exact;
    the honest gap is ``costs[0] - lower_bound``; NaN when nothing is proven).
    """

    x: pd.DataFrame
    rows: pd.DataFrame
    changes: tuple[tuple[tuple[str, object, object], ...], ...]
    costs: np.ndarray
    valid: np.ndarray
    outcomes: tuple
    original: object
    desired: object
    exact: bool
    method: str
    complete: bool = True
    message: str = ""
    n_calls: int = 0
    feature_weights: dict = field(default_factory=dict)
    lower_bound: float = float("nan")

    def __len__(self) -> int:
        return len(self.rows)

    def describe(self, i: int) -> str:
        """One sentence for row ``i``."""
        parts = [f"{f} {_fmt(a)} -> {_fmt(b)}" for f, a, b in self.changes[i]]
        what = " and ".join(parts) if parts else "no change"
        tail = "" if self.valid[i] else " (NOT valid: the model says otherwise)"
        return f"{what} turns {_fmt(self.original)} into {_fmt(self.outcomes[i])}{tail}"

    def __str__(self) -> str:
        head = f"Counterfactuals ({self.method}, {'exact' if self.exact else 'searched'})"
        if self.message:
            head += f": {self.message}"
        if not len(self):
            return head + "\n  none found"
        lines = [head]
        for i in range(len(self)):
            lines.append(f"  {i + 1}. {self.describe(i)}  [cost {self.costs[i]:.4g}]")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The rows with their cost, number of changes, validity and outcome."""
        out = self.rows.copy()
        out["cost"] = self.costs
        out["n_changes"] = [len(c) for c in self.changes]
        out["valid"] = self.valid
        out["outcome"] = list(self.outcomes)
        return out


# --------------------------------------------------------------------------- the row space


def _is_text(col: pd.Series) -> bool:
    return not (
        pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)
    )


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
                Xf = X.copy()
                if self.as_frame:
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
        for j in range(p):
            spec = spec_of.get(self.names[j])
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
        if Xf is not None:
            for j in range(p):
                if self.kind[j] == "categorical":
                    continue
                v = Xf[j].to_numpy(dtype=np.float64)
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
        if Xf is not None:
            for j in range(p):
                if self.kind[j] != "categorical":
                    v = Xf[j].to_numpy(dtype=np.float64)
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
        self.X = None if Xf is None else self.encode(Xf)
        # the model gets what it was fitted on: named columns, or a bare array
        # for a model fitted without names (scikit-learn warns otherwise)
        fitted_named = getattr(model, "feature_names_in_", None) is not None or (
            schema is not None and schema.named
        )
        fitted_bare = hasattr(model, "n_features_in_") and not fitted_named
        self.frame_input = fitted_named or (self.as_frame and not fitted_bare)

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
        num = ~self.categorical
        ok = np.all((Z[:, num] >= self.lo[num]) & (Z[:, num] <= self.hi[num]), axis=1)
        ok &= np.all(Z[:, ~self.mutable] == self.x0[~self.mutable], axis=1)
        ok &= np.all(Z[:, self.integer] == np.round(Z[:, self.integer]), axis=1)
        return ok

    def project(self, Z: np.ndarray) -> np.ndarray:
        Z = np.clip(Z, self.lo, self.hi)
        Z[:, self.integer] = np.clip(
            np.round(Z[:, self.integer]), self.lo[self.integer], self.hi[self.integer]
        )
        Z[:, ~self.mutable] = self.x0[~self.mutable]
        return Z


# --------------------------------------------------------------------------- the model


class _Oracle:
    """The model's predictions on coded rows, and the test of the desired outcome."""

    def __init__(self, model, space: _Space, desired):
        self.model = model
        self.space = space
        self.n_calls = 0
        from sklearn.base import is_classifier

        try:
            self.classifier = bool(is_classifier(model)) or hasattr(model, "classes_")
        except Exception:  # a plain callable without tags
            self.classifier = hasattr(model, "classes_")
        if desired is not None and np.ndim(desired) == 0:
            self.classifier = True  # one outcome asked for: a class (e.g. of a callable)
        if not callable(getattr(model, "predict", None)) and not callable(model):
            raise TypeError(
                f"model must have a predict method or be a callable, got {type(model).__name__}"
            )
        self.original = self.predict(space.x0[None, :])[0]
        if self.classifier:
            classes = list(getattr(model, "classes_", []))
            if desired is None:
                if len(classes) != 2:
                    raise ValueError(
                        "desired=None needs a binary classifier; pass the class you want"
                    )
                desired = classes[1] if classes[0] == self.original else classes[0]
            elif classes and desired not in classes:
                raise ValueError(f"desired={desired!r} is not a class of the model: {classes}")
            self.target = desired
        else:
            if desired is None or np.ndim(desired) != 1 or len(desired) != 2:
                raise ValueError(
                    "a regressor needs desired=(low, high), the interval of predictions wanted "
                    "(None for an open side)"
                )
            lo, hi = desired
            lo = -np.inf if lo is None else float(lo)
            hi = np.inf if hi is None else float(hi)
            if not lo <= hi:
                raise ValueError(f"desired interval must have low <= high, got {desired}")
            self.target = (lo, hi)
        self.desired = self.target

    def predict(self, Z: np.ndarray) -> np.ndarray:
        if len(Z) == 0:
            return np.empty(0, dtype=object)
        self.n_calls += len(Z)
        Xin = self.space.model_input(Z)
        fn = getattr(self.model, "predict", None)
        out = np.asarray(fn(Xin) if fn is not None else self.model(Xin))
        if out.ndim == 2:
            if out.shape[1] == 1:
                out = out[:, 0]
            else:
                out = np.argmax(out, axis=1)
                if getattr(self.model, "classes_", None) is not None:
                    out = np.asarray(self.model.classes_)[out]
        return out

    def ok(self, out: np.ndarray) -> np.ndarray:
        if self.classifier:
            return np.asarray(out == self.target, dtype=bool)
        out = out.astype(np.float64)
        return (out >= self.target[0]) & (out <= self.target[1])

    def valid(self, Z: np.ndarray) -> np.ndarray:
        return self.ok(self.predict(Z))


# --------------------------------------------------------------------------- exact: trees


def _tree_arrays(model, space: _Space):
    """(left, right, feature, threshold, leaf outcome, float32 compare, level codes)
    of a glassbox or scikit-learn decision tree, or None."""
    from sklearn.tree import BaseDecisionTree

    from glassbox.models.tree import _BaseTree

    if isinstance(model, _BaseTree):
        nd = model.nodes()
        value = np.asarray(nd.value)
        if hasattr(model, "classes_"):
            out = np.asarray(model.classes_)[np.argmax(value, axis=1)]
        else:
            out = value[:, 0]
        # the tree's own code of each of our levels (its nominal order is its own)
        codes = []
        for j in range(space.p):
            if not space.categorical[j]:
                codes.append(None)
                continue
            Z = np.repeat(space.x0[None, :], len(space.levels[j]), axis=0)
            Z[:, j] = np.arange(len(space.levels[j]))
            codes.append(model.encoded(space.decode(Z))[:, j])
        return nd.left, nd.right, nd.feature, nd.threshold, out, False, codes
    if isinstance(model, BaseDecisionTree):
        if space.categorical.any():
            return None
        t = model.tree_
        value = t.value[:, 0, :]
        if hasattr(model, "classes_") and np.ndim(model.classes_) == 1:
            out = np.asarray(model.classes_)[np.argmax(value, axis=1)]
        elif not hasattr(model, "classes_") and value.shape[1] == 1:
            out = value[:, 0]
        else:
            return None
        return (
            t.children_left,
            t.children_right,
            t.feature,
            t.threshold,
            out,
            True,
            [None] * space.p,
        )
    return None


def _just_above(t: float, f32: bool) -> float:
    if f32:
        return float(np.nextafter(np.float32(t), np.float32(np.inf)))
    return float(np.nextafter(t, np.inf))


def _in(v: float, a: float, b: float, f32: bool) -> bool:
    """Is v in (a, b] as the tree compares (scikit-learn: v as float32)?"""
    v = float(np.float32(v)) if f32 else v
    return a < v <= b


def _leaf_boxes(left, right, feature, threshold, p):
    """(leaf, lower (exclusive), upper (inclusive)) of every leaf."""
    stack = [(0, np.full(p, -np.inf), np.full(p, np.inf))]
    while stack:
        node, lo, hi = stack.pop()
        if left[node] < 0:
            yield node, lo, hi
            continue
        j, t = int(feature[node]), float(threshold[node])
        lh = hi.copy()
        lh[j] = min(hi[j], t)
        rl = lo.copy()
        rl[j] = max(lo[j], t)
        stack.append((int(right[node]), rl, hi))
        stack.append((int(left[node]), lo, lh))


def _nearest_in_box(space: _Space, a, b, f32: bool, codes):
    """The feasible point of the box (a, b] nearest x under the cost, or None."""
    z = space.x0.copy()
    for j in range(space.p):
        if space.categorical[j]:
            c = codes[j]
            inside = (c > a[j]) & (c <= b[j])
            if not space.mutable[j]:
                inside[:] = False
            cur = int(space.x0[j])
            if (c[cur] > a[j]) and (c[cur] <= b[j]):
                continue
            ok = np.flatnonzero(inside)
            if not ok.size:
                return None
            z[j] = ok[0]  # levels are sorted most frequent first
            continue
        if _in(space.x0[j], a[j], b[j], f32):
            continue
        if not space.mutable[j]:
            return None
        lo, hi = space.lo[j], space.hi[j]
        if np.isfinite(a[j]):
            lo = max(lo, _just_above(a[j], f32))
        if np.isfinite(b[j]):
            top = b[j]
            if f32:  # the largest float32 that is still <= the threshold
                f = np.float32(top)
                top = float(f if f <= top else np.nextafter(f, np.float32(-np.inf)))
            hi = min(hi, top)
        if space.integer[j]:
            lo, hi = np.ceil(lo), np.floor(hi)
            while np.isfinite(a[j]) and not _in(lo, a[j], np.inf, f32):
                lo += 1
        if lo > hi:
            return None
        v = min(max(space.x0[j], lo), hi)
        if not space.integer[j] and np.isfinite(a[j]) and v == lo and lo > space.lo[j]:
            # a short decimal just above the threshold reads better than nextafter
            top = min(hi, a[j] + 1e-4 / space.w[j])
            s = shortest_between(a[j], top, closed="right")
            if _in(s, a[j], top, f32):
                v = s
        z[j] = v
    return z


def _tree_solve(model, space: _Space, oracle: _Oracle, n: int):
    arrs = _tree_arrays(model, space)
    if arrs is None:
        return None
    left, right, feature, threshold, out, f32, codes = arrs
    cands = []
    for leaf, a, b in _leaf_boxes(left, right, feature, threshold, space.p):
        if not oracle.ok(np.asarray([out[leaf]]))[0]:
            continue
        z = _nearest_in_box(space, a, b, f32, codes)
        if z is not None:
            cands.append(z)
    if not cands:
        return np.empty((0, space.p)), True
    Z = np.asarray(cands)
    order = np.argsort(space.costs(Z), kind="stable")
    return Z[order[:n]], True


# --------------------------------------------------------------------------- exact: cells


def _thresholds(model, space: _Space):
    """Per feature, every number the model compares it with, for models whose
    output depends on each numeric feature only through such comparisons
    (rule lists, OneR, tree ensembles, EBM); None for any other model."""
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )

    from glassbox.models._rules import _RuleListMixin

    cuts: list[list[float]] = [[] for _ in range(space.p)]
    forests = (
        RandomForestClassifier,
        RandomForestRegressor,
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
    )
    if isinstance(model, _RuleListMixin) and getattr(model, "rule_list_", None) is not None:
        for rule in model.rule_list_:
            for c in rule.conds:
                name, level = model.source_[c.column]
                j = space.index(name)
                if c.codes or level is not None or space.categorical[j]:
                    continue  # level conditions: every level is a candidate anyway
                if np.isfinite(c.threshold):
                    cuts[j].append(float(c.threshold))
        return cuts
    if isinstance(model, forests) and not space.categorical.any():
        trees = np.ravel(model.estimators_)
        for t in trees:
            tr = t.tree_
            inner = tr.children_left >= 0
            for j, thr in zip(tr.feature[inner], tr.threshold[inner]):
                cuts[int(j)].append(float(thr))
        return cuts
    ebm = _ebm_backend(model)
    if ebm is not None:
        names = [str(n) for n in getattr(ebm, "feature_names_in_", [])]
        if names != space.names:
            return None
        for f, bins in enumerate(ebm.bins_):
            for b in bins:
                if not isinstance(b, dict):
                    cuts[f] += [float(v) for v in np.asarray(b, dtype=float)]
        return cuts
    return None


def _ebm_backend(model):
    from glassbox.models.ebm import EBMClassifier, EBMRegressor

    if isinstance(model, (EBMClassifier, EBMRegressor)):
        return model.estimator_
    return None


def _candidates(space: _Space, cuts):
    """Per feature: values (x's first) and their costs, sorted by cost. The
    model is constant between consecutive cuts, so the nearest point of every
    cell is x's value or a value next to a cut (either comparison, float64 or
    float32 as scikit-learn trees compare)."""
    vals, costs = [], []
    for j in range(space.p):
        x0 = space.x0[j]
        if not space.mutable[j]:
            v = np.array([x0])
        elif space.categorical[j]:
            v = np.arange(len(space.levels[j]), dtype=np.float64)
            v = np.concatenate([[x0], v[v != x0]])
        else:
            t = np.unique(np.asarray(cuts[j], dtype=np.float64))
            t32 = t.astype(np.float32)
            near = [
                t,
                np.nextafter(t, np.inf),
                np.nextafter(t, -np.inf),
                t32.astype(np.float64),
                np.nextafter(t32, np.float32(np.inf)).astype(np.float64),
                np.nextafter(t32, np.float32(-np.inf)).astype(np.float64),
            ]
            v = np.concatenate(near)
            if space.integer[j]:
                v = np.concatenate([np.floor(v), np.ceil(v), np.floor(v) + 1, np.ceil(v) - 1])
            v = v[(v >= space.lo[j]) & (v <= space.hi[j]) & np.isfinite(v) & (v != x0)]
            v = np.concatenate([[x0], np.unique(v)])
        if space.categorical[j]:
            c = np.where(v == x0, 0.0, space.w[j] + SPARSITY)
        else:
            c = np.where(v == x0, 0.0, space.w[j] * np.abs(v - x0) + SPARSITY)
        order = np.argsort(c, kind="stable")
        vals.append(v[order])
        costs.append(c[order])
    return vals, costs


def _cells_solve(model, space: _Space, oracle: _Oracle, n: int, time_limit: float, batch=2048):
    """Best-first enumeration of the candidate grid in order of cost: the first
    valid point is the nearest (every cheaper one was checked). Returns
    (rows, first row proven nearest, finished) or, when nothing was found in
    time, (no rows, False, lower bound on the nearest cost); None for other models."""
    import heapq

    cuts = _thresholds(model, space)
    if cuts is None:
        return None
    vals, costs = _candidates(space, cuts)
    p = space.p
    deadline = time.monotonic() + time_limit
    start = (0,) * p
    heap = [(0.0, start)]
    seen = {start}
    found, supports = [], []
    lower = 0.0
    while heap and len(found) < n:
        if time.monotonic() > deadline:
            if found:  # the first one found is still proven nearest
                return np.asarray(found).reshape(-1, p), True, False
            return np.asarray(found).reshape(-1, p), False, lower
        states = []
        while heap and len(states) < batch:
            c, st = heapq.heappop(heap)
            states.append(st)
            for j in range(p):  # successors: one feature one step further
                if st[j] + 1 < len(vals[j]):
                    nxt = st[:j] + (st[j] + 1,) + st[j + 1 :]
                    if nxt not in seen:
                        seen.add(nxt)
                        nc = c - costs[j][st[j]] + costs[j][st[j] + 1]
                        heapq.heappush(heap, (nc, nxt))
        Z = np.array([[vals[j][st[j]] for j in range(p)] for st in states])
        ok = oracle.valid(Z)
        for z, good in zip(Z, ok):
            if not good:
                continue
            sup = frozenset(np.flatnonzero(z != space.x0).tolist())
            if any(s <= sup for s in supports):
                continue  # changes all an earlier row changes: not a new way
            found.append(z)
            supports.append(sup)
            if len(found) == n:
                break
        lower = heap[0][0] if heap else np.inf
    return np.asarray(found).reshape(-1, p), True, True


# --------------------------------------------------------------------------- exact: additive


def _additive_solve(model, space: _Space, oracle: _Oracle, n: int, time_limit: float):
    """EBM without pair terms: the link-scale output is a sum of per-feature
    step functions, so the nearest counterfactual is a multiple-choice knapsack
    over the candidate values of each feature (x's value or a value next to a
    bin cut): branch and bound on cost, with the most each remaining feature
    can still add as the feasibility bound. None for other models."""
    ebm = _ebm_backend(model)
    if ebm is None or any(len(t) != 1 for t in model.term_features_):
        return None
    classes = getattr(model, "classes_", None)
    if classes is not None and len(classes) != 2:
        return None
    cuts = _thresholds(model, space)
    if cuts is None:
        return None
    vals, costs = _candidates(space, cuts)
    p = space.p
    # per-feature gain of each candidate on the link scale (one batch of probes)
    probes, owner = [space.x0.copy()], []
    for j in range(p):
        for v in vals[j][1:]:
            z = space.x0.copy()
            z[j] = v
            probes.append(z)
            owner.append(j)
    out = np.asarray(model.link_output(space.model_input(np.asarray(probes))), dtype=float)
    base, rest = out[0], out[1:]
    gains = []
    k = 0
    for j in range(p):
        m = len(vals[j]) - 1
        gains.append(np.concatenate([[0.0], rest[k : k + m] - base]))
        k += m
    # the desired outcome as lo <= sum of gains <= hi
    margin = 1e-9 * (1 + abs(base))
    if classes is not None:
        if oracle.target == classes[1]:
            lo, hi = -base + margin, np.inf
        else:
            lo, hi = -np.inf, -base - margin  # class 0 needs output <= 0: a margin too
    else:
        t_lo, t_hi = oracle.target
        if ebm.link_ == "log":
            t_lo = np.log(t_lo) if t_lo > 0 else -np.inf
            t_hi = np.log(t_hi) if t_hi > 0 else -np.inf
        elif ebm.link_ != "identity":
            return None
        lo, hi = t_lo - base, t_hi - base
    if np.isneginf(lo) and np.isfinite(hi):  # one-sided from above: flip
        gains = [-g for g in gains]
        lo, hi = -hi, np.inf
    one_sided = np.isinf(hi)
    # one-sided: only candidates that gain more than every cheaper one matter
    keep = []
    for j in range(p):
        if one_sided:
            best, idx = -np.inf, []
            for i in range(len(vals[j])):
                if gains[j][i] > best:
                    idx.append(i)
                    best = gains[j][i]
            keep.append(np.asarray(idx))
        else:
            keep.append(np.arange(len(vals[j])))
    order = np.argsort([-(gains[j][keep[j]].max() - gains[j][keep[j]].min()) for j in range(p)])
    gmax = np.array([gains[j][keep[j]].max() for j in order])
    gmin = np.array([gains[j][keep[j]].min() for j in order])
    rest_max = np.concatenate([np.cumsum(gmax[::-1])[::-1], [0.0]])
    rest_min = np.concatenate([np.cumsum(gmin[::-1])[::-1], [0.0]])
    deadline = time.monotonic() + time_limit
    found, supports = [], []
    finished = True

    def solve():
        nonlocal finished
        best = [np.inf, None]
        choice = [0] * p

        def dfs(d, cost, gain):
            nonlocal finished
            if cost >= best[0]:
                return
            if gain + rest_max[d] < lo or gain + rest_min[d] > hi:
                return
            if time.monotonic() > deadline:
                finished = False
                return
            if d == p:
                sup = frozenset(int(order[i]) for i in range(p) if choice[i] != 0)
                if any(sv <= sup for sv in supports):
                    return
                best[0], best[1] = cost, list(choice)
                return
            j = order[d]
            for i in keep[j]:  # sorted by cost: x's value first
                c = costs[j][i]
                if cost + c >= best[0]:
                    break
                choice[d] = i
                dfs(d + 1, cost + c, gain + gains[j][i])
            choice[d] = 0

        dfs(0, 0.0, 0.0)
        return best[1]

    while len(found) < n:
        ch = solve()
        if ch is None:
            break
        z = space.x0.copy()
        for d, i in enumerate(ch):
            z[order[d]] = vals[order[d]][i]
        found.append(z)
        sup = frozenset(int(j) for j in np.flatnonzero(z != space.x0))
        if not sup:
            break
        supports.append(sup)
        if not finished:
            break
    return np.asarray(found).reshape(-1, p), finished


# --------------------------------------------------------------------------- exact: linear


def _linear_scores(model):
    """A function Z-input -> scores (n, k) that is affine in the features, and the
    kind of test on them ("binary", "multiclass", "identity", "log"), or None."""
    from sklearn.linear_model._base import LinearClassifierMixin, LinearModel

    from glassbox.models.glm import GLMClassifier, GLMRegressor

    if isinstance(model, GLMClassifier):
        return model.decision_function, "binary" if len(model.classes_) == 2 else "multiclass"
    if isinstance(model, GLMRegressor):
        return model.linear_predictor, "identity" if model.link_ == "identity" else "log"
    if isinstance(model, LinearClassifierMixin):
        return model.decision_function, "binary" if len(model.classes_) == 2 else "multiclass"
    if isinstance(model, LinearModel) and type(model).__module__.startswith("sklearn.linear_model"):
        if "_glm" in type(model).__module__:
            return None
        return model.predict, "identity"
    return None


def _linear_solve(model, space: _Space, oracle: _Oracle, n: int):
    got = _linear_scores(model)
    if got is None:
        return None
    from scipy.optimize import Bounds, LinearConstraint, milp

    fn, kind = got
    p = space.p
    # probe: base row, one unit step per numeric feature, each level of categoricals
    rows, where = [space.x0.copy()], []
    for j in range(p):
        if space.categorical[j]:
            for lv in range(len(space.levels[j])):
                z = space.x0.copy()
                z[j] = lv
                rows.append(z)
                where.append((j, lv))
        else:
            z = space.x0.copy()
            z[j] += 1.0
            rows.append(z)
            where.append((j, None))
    S = np.asarray(fn(space.model_input(np.asarray(rows))), dtype=np.float64)
    if S.ndim == 1:
        S = S[:, None]
    base = S[0]
    # variables: per numeric j: up_j, down_j, used_j; per categorical j: one binary per level
    var = []  # (kind, j, level)
    for j in range(p):
        if space.categorical[j]:
            var += [("lvl", j, lv) for lv in range(len(space.levels[j]))]
        else:
            var += [("up", j, None), ("down", j, None), ("use", j, None)]
    nv = len(var)
    col = {v: i for i, v in enumerate(var)}
    G = np.zeros((S.shape[1], nv))  # change of every score per unit of each variable
    for r, (j, lv) in enumerate(where, start=1):
        delta = S[r] - base
        if lv is None:
            G[:, col[("up", j, None)]] = delta
            G[:, col[("down", j, None)]] = -delta
        else:
            G[:, col[("lvl", j, lv)]] = delta  # relative to x's level (delta 0 there)
    c = np.zeros(nv)
    lb, ub = np.zeros(nv), np.ones(nv)
    integrality = np.ones(nv)
    for i, (k, j, lv) in enumerate(var):
        if k == "lvl":
            cur = int(space.x0[j])
            c[i] = 0.0 if lv == cur else space.w[j] + SPARSITY
            if not space.mutable[j] and lv != cur:
                ub[i] = 0
        elif k in ("up", "down"):
            c[i] = space.w[j]
            room = space.hi[j] - space.x0[j] if k == "up" else space.x0[j] - space.lo[j]
            ub[i] = room if space.mutable[j] else 0.0
            integrality[i] = 1 if space.integer[j] else 0
        else:
            c[i] = SPARSITY
    # the desired outcome as rows of A z >= lo_target
    A_out, lo_out, hi_out = [], [], []
    if kind == "binary":
        classes = list(model.classes_)
        sign = 1.0 if oracle.target == classes[1] else -1.0
        A_out.append(sign * G[0])
        lo_out.append(-sign * base[0])
        hi_out.append(np.inf)
        strict = [True]  # class 1 needs score > 0; class 0 score <= 0: a margin for both
    elif kind == "multiclass":
        k = list(model.classes_).index(oracle.target)
        strict = []
        for m in range(S.shape[1]):
            if m == k:
                continue
            A_out.append(G[k] - G[m])
            lo_out.append(base[m] - base[k])
            hi_out.append(np.inf)
            strict.append(True)
    else:
        lo_t, hi_t = oracle.target
        if kind == "log":
            lo_t = np.log(lo_t) if lo_t > 0 else -np.inf
            hi_t = np.log(hi_t) if hi_t > 0 else -np.inf
            if hi_t == -np.inf:
                return np.empty((0, p)), True
        A_out.append(G[0])
        lo_out.append(lo_t - base[0])
        hi_out.append(hi_t - base[0])
        strict = [False]  # closed interval
    A_out = np.asarray(A_out)
    lo_out, hi_out = np.asarray(lo_out, dtype=np.float64), np.asarray(hi_out, dtype=np.float64)
    # one level per categorical feature
    A_eq = []
    for j in range(p):
        if space.categorical[j]:
            row = np.zeros(nv)
            for lv in range(len(space.levels[j])):
                row[col[("lvl", j, lv)]] = 1
            A_eq.append(row)

    def solve(big_m, cuts, margin):
        cons = []
        lo_m = lo_out + np.asarray([margin if s else 0.0 for s in strict])
        cons.append(LinearConstraint(A_out, lo_m, hi_out))
        if A_eq:
            cons.append(LinearConstraint(np.asarray(A_eq), 1, 1))
        links = []
        for j in range(p):
            if space.categorical[j]:
                continue
            for k in ("up", "down"):
                row = np.zeros(nv)
                row[col[(k, j, None)]] = 1
                row[col[("use", j, None)]] = -big_m[j]
                links.append(row)
        if links:
            cons.append(LinearConstraint(np.asarray(links), -np.inf, 0))
        for support, n_feat in cuts:
            row = np.zeros(nv)
            row[support] = 1  # one indicator (or one-hot sum) per changed feature
            cons.append(LinearConstraint(row[None, :], -np.inf, n_feat - 1))
        res = milp(c, constraints=cons, integrality=integrality, bounds=Bounds(lb, ub))
        if res.x is None:
            return None
        return res.x

    def to_row(sol):
        z = space.x0.copy()
        for j in range(p):
            if space.categorical[j]:
                z[j] = int(
                    np.argmax([sol[col[("lvl", j, lv)]] for lv in range(len(space.levels[j]))])
                )
            else:
                d = sol[col[("up", j, None)]] - sol[col[("down", j, None)]]
                z[j] = space.x0[j] + d
                if space.integer[j]:
                    z[j] = np.round(z[j])
                elif abs(d) < 1e-12 * (1 + abs(space.x0[j])):
                    z[j] = space.x0[j]
        return np.clip(
            z,
            np.where(space.categorical, -np.inf, space.lo),
            np.where(space.categorical, np.inf, space.hi),
        )

    def support_of(z):
        idx, n_feat = [], 0
        for j in range(p):
            if z[j] == space.x0[j]:
                continue
            n_feat += 1
            if space.categorical[j]:
                idx += [
                    col[("lvl", j, lv)]
                    for lv in range(len(space.levels[j]))
                    if lv != int(space.x0[j])
                ]
            else:
                idx.append(col[("use", j, None)])
        return idx, n_feat

    # HiGHS meets constraints to ~1e-7: a strict side gets a margin above that
    scale = 1e-6 * (1.0 + np.abs(base).max())
    # big-M: finite room where bounds are finite; else from a first feasible solution
    finite_room = np.maximum(space.hi - space.x0, space.x0 - space.lo)
    first = solve(np.where(np.isfinite(finite_room), finite_room, 1e12), [], scale)
    if first is None:
        return np.empty((0, p)), True
    z_first = to_row(first)
    upper = float(space.costs(z_first[None, :])[0])
    big_m = np.minimum(finite_room, upper / space.w + 1.0)
    out, cuts = [], []
    margin, tries = scale, 0
    while len(out) < n:
        sol = solve(big_m, cuts, margin)
        if sol is None:
            break
        z = to_row(sol)
        if not oracle.valid(z[None, :])[0]:
            tries += 1
            if tries > 5:
                break
            margin *= 10  # rounding put it on the boundary: ask for a clearer margin
            continue
        out.append(z)
        sup = support_of(z)
        if not sup[1]:
            break
        cuts.append(sup)
    return np.asarray(out).reshape(-1, p), True


# --------------------------------------------------------------------------- search


def _line_search(space, oracle, Z, deadline, steps=12):
    """Pull each changed numeric feature of each valid row towards x, keeping validity."""
    Z = Z.copy()
    fr = np.linspace(0, 1, steps + 1)[:-1]  # fraction of the change kept
    for j in np.flatnonzero(~space.categorical & space.mutable):
        if time.monotonic() > deadline:
            break
        rows = np.flatnonzero(Z[:, j] != space.x0[j])
        if not rows.size:
            continue
        cand = np.repeat(Z[rows], len(fr), axis=0)
        d = np.repeat(Z[rows, j] - space.x0[j], len(fr))
        cand[:, j] = space.x0[j] + d * np.tile(fr, len(rows))
        cand = space.project(cand)
        ok = oracle.valid(cand).reshape(len(rows), len(fr))
        for r, i in enumerate(rows):
            hit = np.flatnonzero(ok[r])
            if hit.size:
                Z[i] = cand[r * len(fr) + hit[0]]
    return Z


def _sparsify(space, oracle, Z, deadline):
    """Revert changed features to x's value, cheapest-to-keep first, while valid."""
    Z = Z.copy()
    for _ in range(space.p):
        if time.monotonic() > deadline:
            break
        cand, owner = [], []
        for i, z in enumerate(Z):
            for j in np.flatnonzero(z != space.x0):
                c = z.copy()
                c[j] = space.x0[j]
                cand.append(c)
                owner.append(i)
        if not cand:
            break
        cand = np.asarray(cand)
        owner = np.asarray(owner)
        ok = oracle.valid(cand)
        cost = space.costs(cand)
        changed = False
        for i in range(len(Z)):
            sel = np.flatnonzero(ok & (owner == i))
            if sel.size:
                Z[i] = cand[sel[np.argmin(cost[sel])]]
                changed = True
        if not changed:
            break
    return Z


def _search(space: _Space, oracle: _Oracle, n: int, time_limit: float, rng, batch=256):
    start = time.monotonic()
    deadline = start + time_limit
    p = space.p
    free = np.flatnonzero(space.mutable & ((space.hi > space.lo) | space.categorical))
    found = []
    stopped = False
    # seeds 1: rows of X the model already gives the desired outcome (plausible)
    if space.X is not None:
        Xz = space.project(space.X.copy())
        cat = space.categorical
        Xz[:, cat & ~space.mutable] = space.x0[cat & ~space.mutable]
        okc = np.all((Xz[:, cat] >= 0), axis=1)
        Xz = Xz[okc]
        if len(Xz) > 2000:
            Xz = Xz[rng.choice(len(Xz), 2000, replace=False)]
        if len(Xz):
            ok = oracle.valid(Xz)
            good = Xz[ok]
            if len(good):
                good = good[np.argsort(space.costs(good), kind="stable")[: 8 * n]]
                # walk from x towards each, keep the first valid point
                fr = np.linspace(0, 1, 17)[1:]
                seg = space.x0 + (good[:, None, :] - space.x0) * fr[None, :, None]
                seg = seg.reshape(-1, p)
                for j in np.flatnonzero(cat):  # categoricals jump at once: take the target
                    seg[:, j] = np.repeat(good[:, j], len(fr))
                seg = space.project(seg)
                okseg = oracle.valid(seg).reshape(len(good), len(fr))
                first = np.argmax(okseg, axis=1)
                found.append(seg.reshape(len(good), len(fr), p)[np.arange(len(good)), first])
    # seeds 2: one feature at a time, along its whole allowed range (sparse rows)
    axis = []
    for j in free:
        if space.categorical[j]:
            for lv in range(len(space.levels[j])):
                z = space.x0.copy()
                z[j] = lv
                axis.append(z)
            continue
        for end in (space.lo[j], space.hi[j]):
            if not np.isfinite(end):
                end = space.x0[j] + np.sign(end) * 8.0 / space.w[j]
            for t in np.linspace(0, 1, 33)[1:]:
                z = space.x0.copy()
                z[j] = space.x0[j] + t * (end - space.x0[j])
                axis.append(z)
    if axis and time.monotonic() < deadline:
        A = space.project(np.asarray(axis))
        ok = oracle.valid(A)
        if ok.any():
            found.append(A[ok])
    # seeds 3: growing spheres of random sparse moves, radius in cost units
    radius = 0.25
    n_found = sum(len(f) for f in found)
    rounds = 0
    while free.size and n_found < 8 * n and rounds < 40:
        if time.monotonic() > deadline:
            stopped = True
            break
        rounds += 1
        k = np.minimum(rng.geometric(0.5, size=batch), free.size)
        Z = np.repeat(space.x0[None, :], batch, axis=0)
        for i in range(batch):
            feats = rng.choice(free, size=k[i], replace=False)
            share = rng.dirichlet(np.ones(k[i])) * radius * rng.uniform(0.5, 1.0)
            for f, s in zip(feats, share):
                if space.categorical[f]:
                    Z[i, f] = rng.integers(len(space.levels[f]))
                else:
                    Z[i, f] += rng.choice((-1.0, 1.0)) * s / space.w[f]
        Z = space.project(Z)
        ok = oracle.valid(Z)
        if ok.any():
            found.append(Z[ok])
            n_found += int(ok.sum())
        radius *= 1.6
    if not found:
        return np.empty((0, p)), (not stopped), stopped
    C = np.unique(np.concatenate(found), axis=0)
    C = C[space.feasible(C)]
    C = C[np.argsort(space.costs(C), kind="stable")[: 8 * n]]
    C = _sparsify(space, oracle, C, deadline)
    C = _line_search(space, oracle, C, deadline)
    C = _sparsify(space, oracle, C, deadline)
    if time.monotonic() > deadline:
        stopped = True
    C = np.unique(C, axis=0)
    C = C[oracle.valid(C) & space.feasible(C)]
    return _diverse(space, C, n), True, stopped


def _diverse(space: _Space, C: np.ndarray, n: int) -> np.ndarray:
    """Greedy: the cheapest, then each next one trading cost for distance to those taken."""
    if len(C) <= 1:
        return C
    cost = space.costs(C)
    w = np.where(space.categorical, 1.0, space.w)

    def dist(a, B):
        d = B - a
        return (np.where(space.categorical, (d != 0).astype(float), np.abs(d)) * w).sum(axis=1)

    taken = [int(np.argmin(cost))]
    near = dist(C[taken[0]], C)
    supports = {tuple(C[taken[0]] != space.x0)}
    while len(taken) < min(n, len(C)):
        # a new set of changed features first, then cost traded for distance;
        # near-copies (closer than 0.25 cost units to a row taken) last
        new = np.array([tuple(c != space.x0) not in supports for c in C])
        score = cost - 1.0 * np.minimum(near, 2.0) + 10.0 * (near < 0.25) - 1.0 * new
        score[taken] = np.inf
        i = int(np.argmin(score))
        if not np.isfinite(score[i]):
            break
        taken.append(i)
        supports.add(tuple(C[i] != space.x0))
        near = np.minimum(near, dist(C[i], C))
    return C[taken]


# --------------------------------------------------------------------------- entry point


def counterfactuals(
    model,
    x,
    *,
    desired=None,
    n: int = 4,
    X=None,
    immutable=(),
    bounds=None,
    monotone=None,
    cost=None,
    method: str = "auto",
    time_limit: float = 10.0,
    random_state=None,
) -> Counterfactuals:
    """Up to ``n`` rows near ``x`` that ``model`` gives the ``desired`` outcome.

    Parameters
    ----------
    model : fitted classifier or regressor (glassbox, scikit-learn, any object
        with ``predict``) or a callable returning labels / values.
    x : one row: a one-row DataFrame, a Series, or a 1-D array.
    desired : a class (classifiers; default the other class of a binary one)
        or ``(low, high)`` of the prediction (regressors; None for an open side).
    n : number of counterfactuals.
    X : data the model was trained on (or like it): feature scales for the cost,
        observed levels, integer features, default bounds, plausible seeds.
    immutable : features that must not change.
    bounds : ``{feature: (low, high)}`` for numeric features (None for an open
        side; default the range in ``X``), ``{feature: [levels]}`` for categorical ones.
    monotone : ``{feature: "up" | "down"}``.
    cost : ``{feature: weight}`` or one weight per feature (default 1 / MAD on X).
    method : "auto", "linear", "tree", "additive", "cells" or "search".
    time_limit : seconds the search (and the cell enumeration) may take; the
        tree and linear solvers are not limited.
    random_state : seed of the search.

    Returns
    -------
    Counterfactuals
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    if isinstance(immutable, str):
        immutable = (immutable,)
    space = _Space(model, x, X, immutable, bounds, monotone, cost)
    oracle = _Oracle(model, space, desired)
    rng = np.random.default_rng(random_state)
    result = None
    used = method
    complete, message = True, ""
    if method in ("auto", "tree"):
        result = _tree_solve(model, space, oracle, n)
        used = "tree"
        if result is None and method == "tree":
            raise ValueError(f"method='tree' needs a decision tree, got {type(model).__name__}")
    if result is None and method in ("auto", "linear"):
        result = _linear_solve(model, space, oracle, n)
        used = "linear"
        if result is None and method == "linear":
            raise ValueError(f"method='linear' needs a linear model, got {type(model).__name__}")
    lower = float("nan")
    if result is None and method in ("auto", "additive"):
        got = _additive_solve(model, space, oracle, n, float(time_limit))
        if got is None and method == "additive":
            raise ValueError(
                "method='additive' needs an EBM without pair terms (binary or regression), "
                f"got {type(model).__name__}"
            )
        if got is not None:
            used = "additive"
            result = got
            if not got[1]:
                complete = False
                message = f"branch and bound stopped at time_limit={time_limit:g}s"
    if result is None and method in ("auto", "cells"):
        got = _cells_solve(model, space, oracle, n, float(time_limit) / 2)
        if got is None and method == "cells":
            raise ValueError(
                "method='cells' needs a rule list, OneR, EBM or scikit-learn tree "
                f"ensemble, got {type(model).__name__}"
            )
        if got is not None:
            used = "cells"
            Zc, proven, extra = got
            if proven and (extra is True or len(Zc) >= n):
                result = (Zc, True)
            else:  # out of time: fill up with what the search finds
                Zs, _, _ = _search(space, oracle, n, float(time_limit) / 2, rng)
                Zs = Zs[[not any(np.array_equal(z, c) for c in Zc) for z in Zs]]
                result = (np.concatenate([Zc, Zs])[:n].reshape(-1, space.p), proven)
                used = "cells+search"
                complete = False
                if proven:
                    message = (
                        f"enumeration stopped at time_limit={time_limit:g}s; row 1 is "
                        "proven nearest, the others were searched"
                    )
                else:
                    lower = float(extra)
                    message = (
                        f"enumeration stopped at time_limit={time_limit:g}s; the nearest "
                        f"costs at least {lower:.4g}"
                    )
    if result is None:
        Z, _, stopped = _search(space, oracle, n, float(time_limit), rng)
        used, exact = "search", False
        if stopped:
            complete = False
            message = f"stopped at time_limit={time_limit:g}s with what it had"
    else:
        Z, exact = result
        if not len(Z) and exact:
            message = "no counterfactual exists under these constraints (proven)"
    Z = np.asarray(Z, dtype=np.float64).reshape(-1, space.p)
    out = oracle.predict(Z)  # re-checked on the model, always
    valid = oracle.ok(out)
    changes = []
    for z in Z:
        ch = []
        for j in np.flatnonzero(z != space.x0):
            ch.append((space.names[j], space.value(j, space.x0[j]), space.value(j, z[j])))
        changes.append(tuple(ch))
    if not len(Z) and used == "search":
        message = message or "no counterfactual found by the search"
    original = oracle.original
    costs = space.costs(Z)
    return Counterfactuals(
        x=space.x_frame,
        rows=space.decode(Z),
        changes=tuple(changes),
        costs=costs,
        valid=valid,
        outcomes=tuple(o.item() if hasattr(o, "item") else o for o in out),
        original=original.item() if hasattr(original, "item") else original,
        desired=oracle.desired,
        exact=bool(exact) and bool(valid.all()),
        method=used,
        complete=complete,
        message=message,
        n_calls=oracle.n_calls,
        feature_weights=dict(zip(space.names, space.w.tolist())),
        lower_bound=float(costs[0]) if exact and len(Z) and valid.all() else lower,
    )
