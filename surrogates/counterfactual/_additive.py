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
    multiple-choice knapsack over the candidate values of each feature, solved
    by ``_branch_and_bound`` once per row (each later row changing no superset
    of an earlier row's features). Returns (rows, finished, on a grid); None for
    other models."""
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
    deadline = time.monotonic() + time_limit
    found, supports = [], []
    finished = True
    while len(found) < n:
        ch, done = _branch_and_bound(costs, gains, lo, hi, supports, deadline)
        finished = finished and done
        if ch is None:
            break
        z = space.x0.copy()
        for j, i in enumerate(ch):
            z[j] = vals[j][i]
        found.append(z)
        sup = frozenset(int(j) for j in np.flatnonzero(z != space.x0))
        if not sup:
            break
        supports.append(sup)
        if not finished:
            break
    return np.asarray(found).reshape(-1, p), finished, on_grid


def _rising(c: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Indices of the candidates worth taking when only more gain counts: each
    gains more than every cheaper one (x's own, cost 0 and gain 0, first)."""
    idx, top = [], -np.inf
    for i in np.lexsort((-g, c)):  # by cost, the larger gain first on equal costs
        if g[i] > top:
            idx.append(i)
            top = g[i]
    return np.asarray(idx, dtype=np.intp)


def _envelope(c: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cost steps, gain steps) of the rising part of the upper concave envelope
    of the points (c, g), from x's own (0, 0) on: one feature's choice relaxed
    to any mix of two neighbouring candidates."""
    hc: list[float] = []
    hg: list[float] = []
    for i in _rising(c, g):
        x, y = float(c[i]), float(g[i])
        while len(hc) >= 2 and (hg[-1] - hg[-2]) * (x - hc[-2]) <= (y - hg[-2]) * (hc[-1] - hc[-2]):
            hc.pop()
            hg.pop()
        hc.append(x)
        hg.append(y)
    return np.diff(hc), np.diff(hg)


#: the relaxation keeps its table at most this many depths (and the last): at the
#: depths between, the table of the nearest shallower depth (more features, so a
#: lower, still valid bound) is used, which bounds memory on wide data
RELAX_TABLES = 32


class _Relaxation:
    """Lower bounds on the cost still to pay for a gain still needed, from the
    features at depth d on: the multiple-choice knapsack's linear relaxation, a
    fractional knapsack over every such feature's envelope steps taken in order
    of gain per cost, tabulated per depth and read by interpolation."""

    def __init__(self, costs, gains, opts, order, sign: float, tol: float):
        depth = len(order)
        self.tol = tol
        parts_c, parts_g, parts_d = [], [], []
        for d, j in enumerate(order):
            dc, dg = _envelope(costs[j][opts[j]], sign * gains[j][opts[j]])
            parts_c.append(dc)
            parts_g.append(dg)
            parts_d.append(np.full(len(dc), d))
        sc = np.concatenate(parts_c) if parts_c else np.zeros(0)
        sg = np.concatenate(parts_g) if parts_g else np.zeros(0)
        sd = np.concatenate(parts_d) if parts_d else np.zeros(0, dtype=int)
        o = np.argsort(-(sg / np.maximum(sc, 1e-300)), kind="stable")  # steps: cost > 0
        sc, sg, sd = sc[o], sg[o], sd[o]
        every = max(1, -(-depth // RELAX_TABLES))
        self.at = np.zeros(depth + 1, dtype=np.intp)  # depth -> index of its table
        self.tables = []
        for d in range(depth + 1):
            if d % every == 0 or d == depth:
                keep = sd >= d  # the steps of the features not yet chosen
                c, g = sc[keep], sg[keep]
                cum_g = np.concatenate([[0.0], np.cumsum(g)])
                cum_c = np.concatenate([[0.0], np.cumsum(c)])
                per = np.concatenate([c / g, [np.inf]])  # cost per unit of gain, by step
                self.tables.append((cum_g, cum_c, per))
            self.at[d] = len(self.tables) - 1

    def __call__(self, d: int, need: np.ndarray) -> np.ndarray:
        """Least cost of gaining ``need`` (an array) with the features at depth d
        on, relaxed (never above the true least cost); inf where out of reach."""
        cum_g, cum_c, per = self.tables[self.at[d]]
        need = need - self.tol  # rounding in the sums only ever loosens the bound
        k = np.searchsorted(cum_g, need)  # first step that reaches need
        below = np.maximum(k - 1, 0)
        out = cum_c[below] + (need - cum_g[below]) * per[below]
        out = np.where(k >= len(cum_g), np.inf, out)
        return np.where(need <= 0, 0.0, out * (1 - 1e-12))


def _branch_and_bound(costs, gains, lo: float, hi: float, supports, deadline: float):
    """The cheapest choice of one candidate per feature whose gains sum into
    [lo, hi] and whose changed features include no earlier row's (``supports``):
    depth-first over the features, the children of a node tried in order of
    their bound (cost so far plus the relaxation's least cost for what is still
    needed) and cut once that bound reaches the best cost found. Returns (index
    per feature or None, finished before ``deadline``)."""
    p = len(costs)
    banned = {next(iter(s)) for s in supports if len(s) == 1}  # such a feature stays
    one_sided = np.isinf(hi)
    opts = []
    for j in range(p):
        if j in banned:
            opts.append(np.zeros(1, dtype=np.intp))
        elif one_sided:  # only candidates that gain more than every cheaper one matter
            opts.append(_rising(costs[j], gains[j]))
        else:
            opts.append(np.arange(len(costs[j])))
    # only features with a choice are branched on, the widest range of gains first
    active = [j for j in range(p) if len(opts[j]) > 1]
    order = sorted(active, key=lambda j: -np.ptp(gains[j][opts[j]]))
    depth_of = {j: d for d, j in enumerate(order)}
    # an earlier row's set of changed features, as bits by depth; a set with a
    # feature that cannot change now is out of reach, so it excludes nothing
    multi = [
        sum(1 << depth_of[j] for j in s)
        for s in supports
        if len(s) > 1 and all(j in depth_of for j in s)
    ]
    tol = 1e-9 * (1.0 + abs(lo if np.isfinite(lo) else 0.0) + sum(np.abs(g).max() for g in gains))
    up = _Relaxation(costs, gains, opts, order, 1.0, tol)
    down = None if one_sided else _Relaxation(costs, gains, opts, order, -1.0, tol)
    depth = len(order)
    best_cost, best = np.inf, None
    choice = [0] * depth
    finished = True

    def bound(d, g):
        if d == depth:  # every feature chosen: the constraint itself, exactly
            return np.where((g >= lo) & (g <= hi), 0.0, np.inf)
        b = up(d, lo - g)
        if down is not None:
            b = np.maximum(b, down(d, g - hi))
        return b

    def dfs(d, cost, gain, mask):
        nonlocal best_cost, best, finished
        if d == depth:
            best_cost, best = cost, list(choice)
            return
        if time.monotonic() > deadline:
            finished = False
            return
        j = order[d]
        idx = opts[j]
        c = cost + costs[j][idx]
        g = gain + gains[j][idx]
        b = c + bound(d + 1, g)
        bit = 1 << d
        for k in np.argsort(b, kind="stable"):
            if b[k] >= best_cost:
                break
            i = int(idx[k])
            m = mask | bit if i != 0 else mask
            if i != 0 and any(s & m == s for s in multi):
                continue  # changes all an earlier row changes: not a new way
            choice[d] = i
            dfs(d + 1, float(c[k]), float(g[k]), m)
            if not finished:
                return
        choice[d] = 0

    if depth:
        dfs(0, 0.0, 0.0, 0)
    elif lo <= 0.0 <= hi:  # nothing can change, and x itself gives the outcome
        best = []
    if best is None:
        return None, finished
    out = [0] * p
    for d, i in enumerate(best):
        out[order[d]] = i
    return out, finished
