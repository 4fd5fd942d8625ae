"""Exact for single decision trees: the nearest point of every leaf box of the
desired outcome (the cost is separable, so feature by feature)."""

from __future__ import annotations

import numpy as np

from glassbox._format import shortest_between

from ._oracle import _Oracle
from ._space import _Space


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
