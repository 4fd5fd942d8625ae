"""Exact interventional partial dependence of tree ensembles (numba).

For a background row x and grid values v for the features S, the ensemble's
output at (v, x_C) is a sum of leaf values. Walking each tree once per row, a
split on a feature in S sends a contiguous range of grid indices left (the grid
is sorted, so the values going left are a prefix) and the rest right; any other
split follows x. Each reached leaf adds its value to a rectangle of grid cells
through a difference array, so one walk fills the whole grid for that row. The
result equals predicting every (grid value, row) pair and averaging, which is
what scikit-learn's ``partial_dependence(method="brute")`` does; it is not
scikit-learn's ``method="recursion"``, which weighs branches by training cover
and so computes a different quantity when features are correlated.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._tree_predict import _right

_CHUNK = 128  # rows walked together, tree by tree, so a tree's nodes stay in cache


@njit(cache=True, parallel=True)
def _ice_kernel(
    X,  # (n, n_features) float64, already in the trees' comparison precision
    left,
    right,
    feature,
    threshold,
    default_left,
    value,  # (n_nodes, n_values)
    tree_start,
    tree_group,
    n_outputs,
    s1,
    s2,  # -1 for one feature
    count1,  # (n_nodes,) int64: grid points of s1 that go left at each node
    count2,
    g1,
    g2,
    out,  # (n, g1, g2, n_outputs) float64, zero on entry
):
    n = X.shape[0]
    n_trees = tree_start.shape[0] - 1
    n_values = value.shape[1]
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    for chunk in prange(n_chunks):
        lo_row = chunk * _CHUNK
        hi_row = min(n, lo_row + _CHUNK)
        # each thread its own difference arrays and stack
        diff = np.zeros((hi_row - lo_row, g1 + 1, g2 + 1, n_outputs))
        stack = np.empty((256, 5), dtype=np.int64)
        for t in range(n_trees):
            grp = tree_group[t]
            for i in range(lo_row, hi_row):
                r = i - lo_row
                stack[0, 0] = tree_start[t]
                stack[0, 1] = 0
                stack[0, 2] = g1
                stack[0, 3] = 0
                stack[0, 4] = g2
                top = 1
                while top > 0:
                    top -= 1
                    node = stack[top, 0]
                    a1 = stack[top, 1]
                    b1 = stack[top, 2]
                    a2 = stack[top, 3]
                    b2 = stack[top, 4]
                    # follow x through splits on other features without touching the stack
                    while left[node] >= 0 and feature[node] != s1 and feature[node] != s2:
                        x = X[i, feature[node]]
                        if np.isnan(x):
                            go_left = default_left[node] != 0
                        else:
                            go_left = x <= threshold[node]
                        node = left[node] if go_left else right[node]
                    if left[node] < 0:
                        for k in range(n_values):
                            o = k if grp < 0 else grp
                            v = value[node, k]
                            diff[r, a1, a2, o] += v
                            diff[r, b1, a2, o] -= v
                            diff[r, a1, b2, o] -= v
                            diff[r, b1, b2, o] += v
                        continue
                    f = feature[node]
                    c = count1[node] if f == s1 else count2[node]
                    lo = a1 if f == s1 else a2
                    hi = b1 if f == s1 else b2
                    # grid indices [lo, min(hi, c)) go left, [max(lo, c), hi) right
                    for side in range(2):
                        if side == 0:
                            nlo = lo
                            nhi = min(hi, c)
                            child = left[node]
                        else:
                            nlo = max(lo, c)
                            nhi = hi
                            child = right[node]
                        if nlo < nhi:
                            stack[top, 0] = child
                            if f == s1:
                                stack[top, 1] = nlo
                                stack[top, 2] = nhi
                                stack[top, 3] = a2
                                stack[top, 4] = b2
                            else:
                                stack[top, 1] = a1
                                stack[top, 2] = b1
                                stack[top, 3] = nlo
                                stack[top, 4] = nhi
                            top += 1
        # prefix sums turn the difference arrays into cell values
        for r in range(hi_row - lo_row):
            for o in range(n_outputs):
                for p in range(g1):
                    run = 0.0
                    for q in range(g2):
                        run += diff[r, p, q, o]
                        diff[r, p, q, o] = run
                for q in range(g2):
                    run = 0.0
                    for p in range(g1):
                        run += diff[r, p, q, o]
                        out[lo_row + r, p, q, o] = run


@njit(cache=True, parallel=True)
def _ice_kernel_1d_packed(X, child, feat, thr, dleft, value, root, tree_group, s1, count1, g1, out):
    """One feature on the packed layout (``_tree_predict._pack_kernel``: siblings
    side by side, leaves pointing to themselves): splits on other features are
    single branch-free steps; a split on s1 sends grid indices [a, c) left and
    [c, b) right, each reached leaf adds its value to its grid range through a
    difference array, so the cost is the leaves a row can reach, not grid x depth."""
    n = X.shape[0]
    n_trees = root.shape[0]
    n_values = value.shape[1]
    n_outputs = out.shape[2]
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    for chunk in prange(n_chunks):
        lo_row = chunk * _CHUNK
        hi_row = min(n, lo_row + _CHUNK)
        diff = np.zeros((hi_row - lo_row, g1 + 1, n_outputs))
        st_node = np.empty(g1 + 1, dtype=np.int64)
        st_lo = np.empty(g1 + 1, dtype=np.int64)
        st_hi = np.empty(g1 + 1, dtype=np.int64)
        for t in range(n_trees):
            grp = tree_group[t]
            for i in range(lo_row, hi_row):
                r = i - lo_row
                st_node[0] = root[t]
                st_lo[0] = 0
                st_hi[0] = g1
                top = 1
                while top > 0:
                    top -= 1
                    nd = st_node[top]
                    a = st_lo[top]
                    b = st_hi[top]
                    while child[nd] != nd:
                        f = feat[nd]
                        if f == s1:
                            c = count1[nd]
                            if c <= a:
                                nd = child[nd] + 1
                            elif c >= b:
                                nd = child[nd]
                            else:  # [a, c) left now, [c, b) right later
                                st_node[top] = child[nd] + 1
                                st_lo[top] = c
                                st_hi[top] = b
                                top += 1
                                b = c
                                nd = child[nd]
                        else:
                            nd = child[nd] + _right(X[i, f], nd, thr, dleft)
                    if grp < 0:
                        for k in range(n_values):
                            diff[r, a, k] += value[nd, k]
                            diff[r, b, k] -= value[nd, k]
                    else:
                        diff[r, a, grp] += value[nd, 0]
                        diff[r, b, grp] -= value[nd, 0]
        for r in range(hi_row - lo_row):
            for o in range(n_outputs):
                run = 0.0
                for p in range(g1):
                    run += diff[r, p, o]
                    out[lo_row + r, p, o] = run


def tree_ice(ens, X: np.ndarray, feats: list[int], grids: list[np.ndarray]) -> np.ndarray:
    """ICE curves (n, g1, g2, n_outputs) on the ensemble's raw scale (bias included)."""
    Xc = np.asarray(X, dtype=np.float64)
    cmp_grids = [np.asarray(g, dtype=np.float64) for g in grids]
    if ens.encode is not None:  # glassbox trees split on their own encoding of X

        def encode(rows):
            if ens.feature_names is not None:  # the model checks names
                import pandas as pd

                rows = pd.DataFrame(rows, columns=list(ens.feature_names))
            return np.asarray(ens.encode(rows), dtype=np.float64)

        Xc = encode(Xc)
        enc = []
        for f, g in zip(feats, grids, strict=True):
            rows = np.repeat(X[:1], len(g), axis=0)
            rows[:, f] = g
            enc.append(encode(rows)[:, f])
        cmp_grids = enc
    if ens.float32_inputs:  # the libraries compare float32(x) with the threshold
        Xc = Xc.astype(np.float32).astype(np.float64)
        cmp_grids = [g.astype(np.float32).astype(np.float64) for g in cmp_grids]
    missing = getattr(ens, "missing", np.nan)
    if not np.isnan(missing):  # xgboost's own missing value: inputs equal to it are missing
        Xc = np.where(Xc == missing, np.nan, Xc)
        if any(np.any(g == missing) for g in cmp_grids):
            raise ValueError(
                f"the grid holds the model's missing value {missing:g}; choose other grid "
                "values or use method='brute'"
            )
    for g in cmp_grids:
        if np.any(np.diff(g) < 0):
            raise ValueError("grid values must be increasing for the tree method")
    counts = [np.searchsorted(g, ens.threshold, side="right").astype(np.int64) for g in cmp_grids]
    g1 = len(grids[0])
    g2 = len(grids[1]) if len(grids) == 2 else 1
    s2 = feats[1] if len(feats) == 2 else -1
    count2 = counts[1] if len(feats) == 2 else np.zeros_like(counts[0])
    depth_ok = _max_depth(ens) < 200
    if not depth_ok:
        raise ValueError("trees deeper than 200 levels are not supported by method='tree'")
    if len(feats) == 1:
        from ._tree_predict import _packed

        child, feat, thr, dleft, orig, root, _ = _packed(ens)
        out1 = np.zeros((Xc.shape[0], g1, ens.n_outputs))
        _ice_kernel_1d_packed(
            np.ascontiguousarray(Xc),
            child,
            feat,
            thr,
            dleft,
            np.ascontiguousarray(ens.value[orig]),
            root,
            ens.tree_group,
            feats[0],
            counts[0][orig],
            g1,
            out1,
        )
        return (out1 + np.asarray(ens.bias, dtype=np.float64))[:, :, None, :]
    out = np.zeros((Xc.shape[0], g1, g2, ens.n_outputs))
    _ice_kernel(
        np.ascontiguousarray(Xc),
        ens.left,
        ens.right,
        ens.feature,
        ens.threshold,
        ens.default_left,
        ens.value,
        ens.tree_start,
        ens.tree_group,
        ens.n_outputs,
        feats[0],
        s2,
        counts[0],
        count2,
        g1,
        g2,
        out,
    )
    out += np.asarray(ens.bias, dtype=np.float64)
    return out


@njit(cache=True)
def _depth_kernel(left, right) -> int:
    """Longest root-to-leaf path: a stack walk from every root (depth 0 marks roots)."""
    n = left.shape[0]
    is_child = np.zeros(n, dtype=np.bool_)
    for node in range(n):
        if left[node] >= 0:
            is_child[left[node]] = True
            is_child[right[node]] = True
    depth = np.zeros(n, dtype=np.int64)
    best = 0
    stack = np.empty(n, dtype=np.int64)
    for root in range(n):
        if is_child[root]:
            continue
        top = 1
        stack[0] = root
        while top > 0:
            top -= 1
            node = stack[top]
            best = max(best, depth[node])
            if left[node] >= 0:
                depth[left[node]] = depth[node] + 1
                depth[right[node]] = depth[node] + 1
                stack[top] = left[node]
                stack[top + 1] = right[node]
                top += 2
    return best


def _max_depth(ens) -> int:
    return int(_depth_kernel(ens.left, ens.right))
