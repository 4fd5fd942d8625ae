"""Exact for models constant on the cells cut by their thresholds (rule lists,
OneR, EBMs with pairs, tree ensembles): best-first enumeration of the candidate
grid in order of cost, with an honest lower bound under the time limit."""

from __future__ import annotations

import time

import numpy as np

from ._oracle import _Oracle
from ._space import SPARSITY, _Space

#: ``method="auto"`` enumerates a tree ensemble's cells only up to this many split
#: nodes (in all trees), and for at most ``AUTO_SECONDS``: on larger ensembles the
#: enumeration rarely proves anything within seconds (a 100-tree forest of depth 8
#: did not in 5 s on any query tried) while the search takes milliseconds;
#: ``method="cells"`` enumerates any ensemble, for half of ``time_limit``
AUTO_NODES = 512
AUTO_SECONDS = 0.25
#: ``method="auto"`` enumerates an EBM with pair terms for at most this long: with
#: hundreds of bins per feature the grid of cells is vast, and on 8 features of
#: breast cancer the enumeration proved no row within 5 s on any query tried,
#: while the search answers in a fraction of a second; ``method="cells"`` keeps
#: half of ``time_limit``
AUTO_SECONDS_EBM = 0.5


def _thresholds(model, space: _Space):
    """Per feature, every number the model compares it with, for models whose
    output depends on each numeric feature only through such comparisons
    (rule lists, OneR, EBM, and scikit-learn and xgboost tree ensembles as read
    by ``surrogates.shap``: forests, extra trees, (hist) gradient boosting,
    XGBClassifier / XGBRegressor); None for any other model."""
    from glassbox.models._rules import _RuleListMixin

    cuts: list[list[float]] = [[] for _ in range(space.p)]
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
    from ._fast import tree_scores

    trees = tree_scores(model, space)  # scikit-learn and xgboost ensembles, numeric rows
    if trees is not None:
        ens = trees.ens
        inner = ens.left >= 0
        for j, thr in zip(ens.feature[inner], ens.threshold[inner]):
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


def _auto_budget(model, space: _Space, time_limit: float) -> tuple[float | None, str]:
    """Seconds ``method="auto"`` gives the enumeration (None: skip it, the search
    answers) and why it was skipped. Rule lists and OneR keep half of
    ``time_limit``, an EBM (with pairs) ``AUTO_SECONDS_EBM``; a tree ensemble is
    enumerated only when it is small."""
    from ._fast import tree_scores

    if _ebm_backend(model) is not None:
        return min(time_limit / 2, AUTO_SECONDS_EBM), ""
    trees = tree_scores(model, space)
    if trees is None:
        return time_limit / 2, ""
    nodes = int((trees.ens.left >= 0).sum())
    if nodes > AUTO_NODES:
        return None, (
            f"searched: the ensemble has {nodes:,} split nodes, too many for the exact cell "
            f"enumeration at method='auto' (up to {AUTO_NODES}); method='cells' runs it"
        )
    return min(time_limit / 2, AUTO_SECONDS), ""


def _ebm_backend(model):
    from glassbox.models.ebm import EBMClassifier, EBMRegressor

    if isinstance(model, (EBMClassifier, EBMRegressor)):
        return model.estimator_
    return None


def _by_cost(space: _Space, j: int, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate values of feature j (x's first) and their costs, cheapest first."""
    x0 = space.x0[j]
    if space.categorical[j]:
        c = np.where(v == x0, 0.0, space.w[j] + SPARSITY)
    else:
        c = np.where(v == x0, 0.0, space.w[j] * np.abs(v - x0) + SPARSITY)
    order = np.argsort(c, kind="stable")
    return v[order], c[order]


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
        v, c = _by_cost(space, j, v)
        vals.append(v)
        costs.append(c)
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
