"""Additive models: a multiple-choice knapsack over per-feature candidate values,
solved by branch and bound. Exact for EBMs without pairs (step functions: the
nearest point of every cell is x's value or a value next to a bin cut); for
GAMs (pygam splines) exact over a grid of ``GAM_GRID`` values per feature plus
x's own (the spline between grid points is not searched)."""

from __future__ import annotations

import time

import numpy as np

from ._cells import _by_cost, _candidates, _ebm_backend, _thresholds
from ._oracle import _Oracle
from ._space import _Space

#: values per numeric feature on which a GAM's spline shapes are searched (plus x's own)
GAM_GRID = 256


def _gam_candidates(space: _Space, grid: int):
    """Per feature: x's value first, then an even grid over its allowed range
    (the integers when they are fewer), every level of a categorical one."""
    vals, costs = [], []
    for j in range(space.p):
        x0 = space.x0[j]
        if not space.mutable[j]:
            v = np.array([x0])
        elif space.categorical[j]:
            v = np.arange(len(space.levels[j]), dtype=np.float64)
        else:
            lo, hi = space.lo[j], space.hi[j]
            lo = lo if np.isfinite(lo) else x0 - 8.0 / space.w[j]
            hi = hi if np.isfinite(hi) else x0 + 8.0 / space.w[j]
            if space.integer[j] and hi - lo + 1 <= grid:
                v = np.arange(lo, hi + 1)
            else:
                v = np.linspace(lo, hi, grid)
                if space.integer[j]:
                    v = np.unique(np.round(v))
        v = np.concatenate([[x0], v[v != x0]])
        v, c = _by_cost(space, j, v)
        vals.append(v)
        costs.append(c)
    return vals, costs


def _additive_parts(model, space: _Space):
    """(candidate values, their costs, link-scale output function, link, grid?)
    of an additive model, or None: EBM without pairs (step functions: exact over
    the values next to bin cuts), glassbox GAM (splines: exact on a grid)."""
    from glassbox.models.gam import GAMClassifier, GAMRegressor

    ebm = _ebm_backend(model)
    if ebm is not None:
        if any(len(t) != 1 for t in model.term_features_):
            return None
        cuts = _thresholds(model, space)
        if cuts is None:
            return None
        vals, costs = _candidates(space, cuts)
        link = ebm.link_ if not hasattr(model, "classes_") else "logit"
        return vals, costs, model.link_output, link, False
    if isinstance(model, (GAMClassifier, GAMRegressor)):
        # one term per feature (spline, factor or linear): additive, no pairs

        def link_output(frame):
            e = model.explain_local(frame)
            return e.values.sum(axis=1) + e.base_values

        vals, costs = _gam_candidates(space, GAM_GRID)
        link = model.link_ if isinstance(model, GAMRegressor) else "logit"
        return vals, costs, link_output, link, True
    return None


def _additive_solve(model, space: _Space, oracle: _Oracle, n: int, time_limit: float):
    """Additive models (EBM without pair terms, GAM): the link-scale output is a
    sum of per-feature functions, so the nearest counterfactual is a
    multiple-choice knapsack over the candidate values of each feature: branch
    and bound on cost, with the most each remaining feature can still add as
    the feasibility bound. Returns (rows, finished, on a grid); None for other
    models."""
    classes = getattr(model, "classes_", None)
    if classes is not None and len(classes) != 2:
        return None
    parts = _additive_parts(model, space)
    if parts is None:
        return None
    vals, costs, link_output, link, on_grid = parts
    p = space.p
    # per-feature gain of each candidate on the link scale (one batch of probes)
    probes, owner = [space.x0.copy()], []
    for j in range(p):
        for v in vals[j][1:]:
            z = space.x0.copy()
            z[j] = v
            probes.append(z)
            owner.append(j)
    out = np.asarray(link_output(space.model_input(np.asarray(probes))), dtype=float)
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
        if link == "log":
            t_lo = np.log(t_lo) if t_lo > 0 else -np.inf
            t_hi = np.log(t_hi) if t_hi > 0 else -np.inf
        elif link != "identity":
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
    return np.asarray(found).reshape(-1, p), finished, on_grid
