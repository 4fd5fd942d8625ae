"""Exact for RuleFit rule sets (glassbox ``RuleSetClassifier`` binary,
``RuleSetRegressor``) on numeric features: one mixed-integer program.

The score is ``intercept + sum_j a_j * clip(x_j, lo_j, hi_j) + sum_k w_k [rule k
holds]``. Cut each feature at every rule threshold and clip bound: on each piece
(the open stretch between two cuts, or a cut itself) every condition is constant
and the clipped term is linear, so with one binary per piece (which piece z_j is
in), a continuous z_j inside the chosen piece, one binary per rule (holds iff
each of its conditions' pieces is chosen), the score is linear and the nearest
counterfactual under the cost is a MILP (scipy ``milp``, HiGHS). Beyond the
outermost cut nothing changes, so the outer pieces end at x's value or next to
the cut. An open end is approached to ``1e-6 / w_j`` (a cost of 1e-6): exact to
that; every row is re-checked on the model."""

from __future__ import annotations

import numpy as np

from ._oracle import _Oracle
from ._space import SPARSITY, _Space


def _rulefit_parts(model, space: _Space):
    """(intercept, coef, clip lo, clip hi, rules as [(j, op, t)], weights), or None."""
    from glassbox.models.rule_set import RuleSetClassifier, RuleSetRegressor

    if not isinstance(model, (RuleSetClassifier, RuleSetRegressor)):
        return None
    if isinstance(model, RuleSetClassifier) and (len(model.classes_) != 2 or model._ovr()):
        return None
    if space.categorical.any() or len(model.source_) != space.p:
        return None
    if [s for s in model.source_] != [(n, None) for n in space.names]:
        return None
    rules = []
    for conds in model.rule_conditions_:
        r = []
        for c in conds:
            if c.codes or c.op not in ("<", "<=", ">", ">="):
                return None
            r.append((int(c.column), c.op, float(c.threshold)))
        rules.append(r)
    lo, hi = np.asarray(model.linear_bounds_, dtype=np.float64)
    parts = (
        float(model.intercept_),
        np.asarray(model.linear_coef_, dtype=np.float64),
        lo,
        hi,
        rules,
        np.asarray(model.rule_weights_, dtype=np.float64),
    )
    # the reading must give the model's own score (on x and rows of X), or it is not used
    Z = space.x0[None, :] if space.X is None else np.vstack([space.x0, space.X[:64]])
    own = (
        (model.decision_function(space.model_input(Z)) + 1) / 2
        if isinstance(model, RuleSetClassifier)
        else model.predict(space.model_input(Z))
    )
    if not np.allclose(_score(parts, Z), own, rtol=1e-9, atol=1e-9):
        return None
    return parts


def _score(parts, Z: np.ndarray) -> np.ndarray:
    c0, coef, lo, hi, rules, rw = parts
    out = c0 + (np.clip(Z, lo, hi) * coef).sum(axis=1)
    ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    for r, w in zip(rules, rw):
        holds = np.ones(len(Z), dtype=bool)
        for j, op, t in r:
            holds &= ops[op](Z[:, j], t)
        out = out + w * holds
    return out


def _pieces(space: _Space, j: int, cuts: np.ndarray):
    """[(low, high)] closed pieces of feature j within its allowed range: each cut,
    and the stretches between (ends moved 1e-6 / w inwards; integers: inside)."""
    x0, lo, hi = space.x0[j], space.lo[j], space.hi[j]
    if not space.mutable[j]:
        return [(x0, x0)]
    eps = 1e-6 / space.w[j]
    t = np.unique(cuts[np.isfinite(cuts)])
    out = []
    edges = [-np.inf, *t.tolist(), np.inf]
    for a, b in zip(edges[:-1], edges[1:]):
        p_lo = a + eps if np.isfinite(a) else min(x0, b - eps)
        p_hi = b - eps if np.isfinite(b) else max(x0, a + eps)
        if np.isfinite(a) and np.isfinite(b) and b - a <= 2 * eps:
            continue  # no room between two cuts this close
        out.append((p_lo, p_hi))
    out += [(v, v) for v in t]
    res = []
    for p_lo, p_hi in out:
        p_lo, p_hi = max(p_lo, lo), min(p_hi, hi)
        if space.integer[j]:
            p_lo, p_hi = np.ceil(p_lo - 1e-12), np.floor(p_hi + 1e-12)
        if p_lo <= p_hi:
            res.append((float(p_lo), float(p_hi)))
    return sorted(set(res))


def _holds(op: str, t: float, a: float, b: float) -> bool:
    """Does ``z op t`` hold on the whole piece [a, b] (constant there by construction)?"""
    v = (a + b) / 2 if a != b else a
    return {"<": v < t, "<=": v <= t, ">": v > t, ">=": v >= t}[op]


def _ruleset_solve(model, space: _Space, oracle: _Oracle, n: int):
    parts = _rulefit_parts(model, space)
    if parts is None:
        return None
    from scipy.optimize import Bounds, LinearConstraint, milp

    c0, coef, clo, chi, rules, rw = parts
    p = space.p
    cuts = [[] for _ in range(p)]
    for r in rules:
        for j, _, t in r:
            cuts[j].append(t)
    for j in range(p):
        if coef[j] != 0:
            cuts[j] += [clo[j], chi[j]]
    pieces = [_pieces(space, j, np.asarray(cuts[j], dtype=np.float64)) for j in range(p)]
    if any(not pc for pc in pieces):
        return np.empty((0, p)), True
    # variables: per feature: v (binary) and y (continuous) per piece, up, down, use;
    # then one binary per rule
    names: list[tuple] = []
    for j in range(p):
        for s in range(len(pieces[j])):
            names += [("v", j, s), ("y", j, s)]
        names += [("up", j, 0), ("down", j, 0), ("use", j, 0)]
    names += [("r", k, 0) for k in range(len(rules))]
    col = {v: i for i, v in enumerate(names)}
    nv = len(names)
    lb, ub = np.zeros(nv), np.ones(nv)
    integ = np.ones(nv)
    cost = np.zeros(nv)
    A, a_lo, a_hi = [], [], []

    def row(entries, low, high):
        r = np.zeros(nv)
        for key, val in entries:
            r[col[key]] += val
        A.append(r)
        a_lo.append(low)
        a_hi.append(high)

    score = np.zeros(nv)  # the score's linear part (plus c0 and constants below)
    const = c0
    for j in range(p):
        P = pieces[j]
        x0 = space.x0[j]
        big = max(max(b for _, b in P) - x0, x0 - min(a for a, _ in P), 1e-12)
        for s, (a, b) in enumerate(P):
            i = col[("y", j, s)]
            lb[i], ub[i] = min(a, 0.0), max(b, 0.0)
            integ[i] = 1 if space.integer[j] else 0
            row([(("y", j, s), 1.0), (("v", j, s), -a)], 0.0, np.inf)  # y >= a v
            row([(("y", j, s), 1.0), (("v", j, s), -b)], -np.inf, 0.0)  # y <= b v
            if coef[j] != 0:  # clip(z): z on pieces inside [lo, hi], a bound outside
                if b <= clo[j]:
                    score[col[("v", j, s)]] += coef[j] * clo[j]
                elif a >= chi[j]:
                    score[col[("v", j, s)]] += coef[j] * chi[j]
                else:
                    score[i] += coef[j]
        row([(("v", j, s), 1.0) for s in range(len(P))], 1.0, 1.0)
        # z - x = up - down, each at most big * use
        row(
            [(("y", j, s), 1.0) for s in range(len(P))]
            + [(("up", j, 0), -1.0), (("down", j, 0), 1.0)],
            space.x0[j],
            space.x0[j],
        )
        for k in ("up", "down"):
            i = col[(k, j, 0)]
            ub[i], integ[i], cost[i] = big, 0, space.w[j]
            row([((k, j, 0), 1.0), (("use", j, 0), -big)], -np.inf, 0.0)
        cost[col[("use", j, 0)]] = SPARSITY
    for k, r in enumerate(rules):
        key = ("r", k, 0)
        score[col[key]] += rw[k]
        allowed = []
        for j, op, t in r:
            ok = [("v", j, s) for s, (a, b) in enumerate(pieces[j]) if _holds(op, t, a, b)]
            allowed.append(ok)
            row([(key, 1.0)] + [(v, -1.0) for v in ok], -np.inf, 0.0)  # r <= each condition
        flat = [v for ok in allowed for v in ok]
        row([(key, 1.0)] + [(v, -1.0) for v in flat], -(len(r) - 1), np.inf)  # all hold -> r
    classes = getattr(model, "classes_", None)
    if classes is not None:  # class 1 iff score > 0.5
        want_one = oracle.target == classes[1]
        target_lo, target_hi = (0.5, np.inf) if want_one else (-np.inf, 0.5)
    else:
        target_lo, target_hi = oracle.target
    base_A = np.asarray(A)

    def solve(margin, no_goods):
        # HiGHS meets constraints to ~1e-7: every finite side gets a margin inwards
        lo_s = target_lo - const + margin
        hi_s = target_hi - const - margin
        cons = [
            LinearConstraint(base_A, np.asarray(a_lo), np.asarray(a_hi)),
            LinearConstraint(score[None, :], lo_s, hi_s),
        ]
        for sup in no_goods:
            r = np.zeros(nv)
            for j in sup:
                r[col[("use", j, 0)]] = 1
            cons.append(LinearConstraint(r[None, :], -np.inf, len(sup) - 1))
        res = milp(cost, constraints=cons, integrality=integ, bounds=Bounds(lb, ub))
        return None if res.x is None else res.x

    def to_row(sol):
        z = space.x0.copy()
        for j in range(p):
            v = sum(sol[col[("y", j, s)]] for s in range(len(pieces[j])))
            if space.integer[j]:
                v = float(np.round(v))
            if abs(v - space.x0[j]) > 1e-9 * (1 + abs(space.x0[j])) or space.integer[j]:
                z[j] = v
        return np.clip(z, space.lo, space.hi)

    scale = 1e-6 * (1.0 + abs(const) + np.abs(rw).sum())
    out, no_goods = [], []
    margin, tries, proven = scale, 0, True
    while len(out) < n:
        sol = solve(margin, no_goods)
        if sol is None:
            break
        z = to_row(sol)
        if not oracle.valid(z[None, :])[0]:
            tries += 1
            if tries > 5:
                proven = bool(out)  # the first row, if any, was proven before this
                break
            margin *= 10  # on the boundary after rounding: ask for a clearer margin
            continue
        out.append(z)
        sup = [int(j) for j in np.flatnonzero(z != space.x0)]
        if not sup:
            break
        no_goods.append(sup)
    return np.asarray(out).reshape(-1, p), proven
