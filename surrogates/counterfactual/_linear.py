"""Exact for linear models: a small mixed-integer program (scipy milp, HiGHS)."""

from __future__ import annotations

import numpy as np

from ._oracle import _Oracle
from ._space import SPARSITY, _Space


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
