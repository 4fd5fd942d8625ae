"""Any black box: a seeded, batched search, then a polish, then a diverse choice.

Few, large model calls (a model call costs far more than the rows in it):

1. one batch of seeds: rows of ``X`` (plausible: real rows the model may already
   give the desired outcome), one-feature moves along each feature's whole
   allowed range, two-feature moves, and growing spheres (Laugel et al. 2018:
   random sparse moves in cost units) at a ladder of radii at once; more
   sphere batches at growing radii only when nothing in it was valid;
2. one batch walking from ``x`` towards each valid seed (the first valid
   point of 16 on the segment; two batches of 4 and 3 points with read trees);
3. polish rounds, one batch each: every changed feature of every shortlisted row
   reverted to x's value, pulled part of the way towards it, or reverted while
   another feature grows (a two-feature move, for sparsity); each row takes its
   cheapest valid move; rows with no better move drop out;
4. ``n`` rows chosen for low cost and for distance to each other (DiCE's diversity).

Every batch asks each distinct row once (integer features and bounds make many
candidates the same row), and all per-candidate work is array work.
"""

from __future__ import annotations

import time

import numpy as np

from ._oracle import _Oracle
from ._space import _Space

_WALK = np.linspace(0, 1, 17)[1:]  # fractions of the way from x to a seed
# fraction of a change kept (0 = reverted); dense near 1, where the boundary usually is
_PULL = np.array([0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98])
_GROW = np.array([1.5, 2.0, 3.0])  # another feature's change grown by


def _plausible(space: _Space, rng, k: int = 500) -> np.ndarray:
    if space.X is None:
        return np.empty((0, space.p))
    Xz = space.project(space.X.copy())
    cat = space.categorical
    Xz[:, cat & ~space.mutable] = space.x0[cat & ~space.mutable]
    Xz = Xz[np.all(Xz[:, cat] >= 0, axis=1)]  # a level outside the allowed ones: not a seed
    if len(Xz) > k:
        Xz = Xz[np.sort(rng.choice(len(Xz), k, replace=False))]
    return Xz


def _ends(space: _Space, j: int) -> tuple[float, float]:
    """The allowed range of feature j, 8 cost units either side where it is open."""
    lo, hi = space.lo[j], space.hi[j]
    x = space.x0[j]
    return (
        lo if np.isfinite(lo) else x - 8.0 / space.w[j],
        hi if np.isfinite(hi) else x + 8.0 / space.w[j],
    )


def _axes(space: _Space, free: np.ndarray, steps: int = 32) -> np.ndarray:
    """One feature at a time along its whole allowed range (the sparsest rows)."""
    t = np.linspace(0, 1, steps + 1)[1:]
    out = []
    for j in free:
        if space.categorical[j]:
            vals = np.arange(len(space.levels[j]), dtype=np.float64)
        else:
            lo, hi = _ends(space, j)
            x = space.x0[j]
            vals = np.concatenate([x + t * (lo - x), x + t * (hi - x)])
        Z = np.repeat(space.x0[None, :], len(vals), axis=0)
        Z[:, j] = vals
        out.append(Z)
    return np.concatenate(out) if out else np.empty((0, space.p))


def _pairs(space: _Space, free: np.ndarray, rng, max_pairs: int = 300) -> np.ndarray:
    """Two features at a time: signs x radii (cost units) x the split between them."""
    F = len(free)
    if F < 2:
        return np.empty((0, space.p))
    a, b = np.triu_indices(F, 1)
    if len(a) > max_pairs:
        keep = np.sort(rng.choice(len(a), max_pairs, replace=False))
        a, b = a[keep], b[keep]
    ja, jb = free[a], free[b]
    grid = np.array(
        [
            (sa, sb, r, s)
            for sa in (-1.0, 1.0)
            for sb in (-1.0, 1.0)
            for r in (0.5, 1.0, 2.0, 4.0)
            for s in (0.25, 0.5, 0.75)
        ]
    )
    m = len(grid)
    Z = np.repeat(space.x0[None, :], len(ja) * m, axis=0)
    JA, JB = np.repeat(ja, m), np.repeat(jb, m)
    g = np.tile(grid, (len(ja), 1))
    rows = np.arange(len(Z))
    for J, sign, share in ((JA, g[:, 0], g[:, 3]), (JB, g[:, 1], 1.0 - g[:, 3])):
        step = sign * share * g[:, 2] / space.w[J]
        Z[rows, J] = space.x0[J] + step
        cat = space.categorical[J]
        if cat.any():  # a categorical member of the pair: a random other level
            nlev = np.array([len(space.levels[j]) for j in J[cat]])
            Z[rows[cat], J[cat]] = np.floor(rng.random(cat.sum()) * nlev)
    return Z


def _spheres(space: _Space, free: np.ndarray, rng, radii, per: int) -> np.ndarray:
    """Random sparse moves of cost ~radius: k features (geometric), a random
    split of the radius between them, random signs; categoricals a random level."""
    F = len(free)
    m = per * len(radii)
    radius = np.repeat(np.asarray(radii, dtype=np.float64), per)
    k = np.minimum(rng.geometric(0.5, size=m), F)
    pick = np.argsort(rng.random((m, F)), axis=1)  # a random order of the free features
    use = np.arange(F)[None, :] < k[:, None]
    share = rng.gamma(1.0, size=(m, F)) * use
    share /= share.sum(axis=1, keepdims=True)
    step = share * (radius * rng.uniform(0.5, 1.0, m))[:, None]
    step *= rng.choice((-1.0, 1.0), size=(m, F))
    J = free[pick]
    Z = np.repeat(space.x0[None, :], m, axis=0)
    rows = np.repeat(np.arange(m), F)
    Jf, stepf, usef = J.ravel(), step.ravel(), use.ravel()
    num = usef & ~space.categorical[Jf]
    Z[rows[num], Jf[num]] += stepf[num] / space.w[Jf[num]]
    cat = usef & space.categorical[Jf]
    if cat.any():
        nlev = np.array([len(space.levels[j]) for j in Jf[cat]])
        Z[rows[cat], Jf[cat]] = np.floor(rng.random(cat.sum()) * nlev)
    return Z


def _subsets(space: _Space, free: np.ndarray, rng, per: int = 128, k_max: int = 3) -> np.ndarray:
    """k = 1, 2, 3 random features set to random values of their whole allowed
    range (DiCE's random sampling): sparse rows far from x, which the walk and
    the polish then bring near."""
    out = []
    F = len(free)
    ends = np.array([_ends(space, j) for j in range(space.p)])
    for k in range(1, min(k_max, F) + 1):
        pick = np.argsort(rng.random((per, F)), axis=1)[:, :k]
        J = free[pick].ravel()
        rows = np.repeat(np.arange(per), k)
        Z = np.repeat(space.x0[None, :], per, axis=0)
        u = rng.random(len(J))
        vals = ends[J, 0] + u * (ends[J, 1] - ends[J, 0])
        cat = space.categorical[J]
        if cat.any():
            nlev = np.array([len(space.levels[j]) for j in J[cat]])
            vals[cat] = np.floor(u[cat] * nlev)
        Z[rows, J] = vals
        out.append(Z)
    return np.concatenate(out) if out else np.empty((0, space.p))


def _valid(oracle: _Oracle, Z: np.ndarray) -> np.ndarray:
    """Which rows give the desired outcome, each distinct row asked once (integer
    features and the bounds make many candidate rows the same row)."""
    if len(Z) < 2:
        return oracle.valid(Z, strict=True)
    U, inv = _distinct(Z)
    return oracle.valid(U, strict=True)[inv]


def _distinct(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, index of each row's among them), exact: rows sorted by a
    weighted sum (equal rows have equal sums), then equal neighbours merged; two
    equal rows parted by a collision of sums are only kept twice. ~10x faster
    than ``np.unique(axis=0)``, which compares whole rows in its sort."""
    key = Z @ np.sqrt(np.arange(2.0, Z.shape[1] + 2.0))
    order = np.argsort(key, kind="stable")
    S = Z[order]
    new = np.ones(len(Z), dtype=bool)
    new[1:] = (S[1:] != S[:-1]).any(axis=1)
    inv = np.empty(len(Z), dtype=np.intp)
    inv[order] = np.cumsum(new) - 1
    return S[new], inv


def _shortlist(space: _Space, V: np.ndarray, k: int) -> np.ndarray:
    """The cheapest row of each set of changed features first, then the cheapest."""
    cost = space.costs(V)
    order = np.argsort(cost, kind="stable")
    support = V[order] != space.x0
    if space.p <= 52:  # each set of changed features as one exact float
        _, first = np.unique(support @ 2.0 ** np.arange(space.p), return_index=True)
    else:
        _, first = np.unique(support, axis=0, return_index=True)
    lead = order[np.sort(first)][: k // 2]
    rest = np.setdiff1d(order, lead, assume_unique=True)
    rest = rest[np.argsort(cost[rest], kind="stable")]
    return V[np.concatenate([lead, rest])[:k]]


def _walk(space: _Space, oracle: _Oracle, V: np.ndarray) -> np.ndarray:
    """From x towards each valid row: the first valid point of 16 on the segment
    (categoricals take the row's level at once). A called model gets all 16 in
    one call; read trees, where rows are the cost, get 4 (every fourth) and then
    the 3 before the first valid one: 7 rows a segment, the same 1/16 steps."""
    if not len(V):
        return V
    if oracle.fast is None:
        return _walk_at(space, oracle, V, np.zeros(len(V)), _WALK)[0]
    W, t = _walk_at(space, oracle, V, np.zeros(len(V)), _WALK[3::4])
    start = np.maximum(t - 0.25, 0.0)
    return _walk_at(space, oracle, V, start, _WALK[:3], last=W)[0]


def _walk_at(space, oracle, V, start, fractions, last=None):
    """(first valid point of start + fractions on each segment from x to V, its
    fraction); none valid: ``last`` (default V itself, fraction 1)."""
    f = len(fractions)
    t = start[:, None] + fractions[None, :]
    seg = space.x0 + (V[:, None, :] - space.x0) * t[:, :, None]
    cat = space.categorical
    seg[:, :, cat] = V[:, None, cat]
    seg = space.project(seg.reshape(-1, space.p)).reshape(len(V), f, space.p)
    ok = _valid(oracle, seg.reshape(-1, space.p)).reshape(len(V), f)
    if last is None:
        ok[:, -1] = True  # the row itself is valid
    first = np.argmax(ok, axis=1)
    rows = np.arange(len(V))
    out = seg[rows, first]
    tf = t[rows, first]
    if last is not None:
        none = ~ok.any(axis=1)
        out[none] = last[none]
        tf[none] = start[none] + 0.25
    return out, tf


def _moves(
    space: _Space, C: np.ndarray, pulls: bool = True, grows: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate rows one step from each row of C, and the row (of C) each came
    from: one changed feature reverted or pulled part of the way to x (``pulls``),
    or reverted while another changed one grows (``grows``). All rows at once."""
    x0, cat = space.x0, space.categorical
    ch = C != x0
    out, own = [np.empty((0, space.p))], [np.empty(0, dtype=np.intp)]
    if pulls:
        ri, rj = np.nonzero(ch)
        num = ~cat[rj]
        # a numeric change pulled (fraction 0 = reverted); a categorical one reverted
        pr, pj = np.repeat(ri[num], len(_PULL)), np.repeat(rj[num], len(_PULL))
        P = C[pr]
        P[np.arange(len(P)), pj] = x0[pj] + np.tile(_PULL, num.sum()) * (C[pr, pj] - x0[pj])
        cr, cj = ri[~num], rj[~num]
        Q = C[cr]
        Q[np.arange(len(Q)), cj] = x0[cj]
        out += [P, Q]
        own += [pr, cr]
    if grows:  # j goes, a numeric changed m != j makes up for it
        pair = ch[:, :, None] & (ch & ~cat)[:, None, :]
        pair &= ~np.eye(space.p, dtype=bool)[None, :, :]
        k = len(_GROW)
        gi, gj, gm = (np.repeat(a, k) for a in np.nonzero(pair))
        G = C[gi]
        rows = np.arange(len(G))
        G[rows, gj] = x0[gj]
        G[rows, gm] = x0[gm] + np.tile(_GROW, len(rows) // k) * (C[gi, gm] - x0[gm])
        out.append(G)
        own.append(gi)
    return np.concatenate(out), np.concatenate(own)


def _improve(space, oracle, C, cost, idx, pulls=True, grows=True) -> np.ndarray:
    """Rows ``idx`` of C take their cheapest valid move where it is cheaper (C and
    cost updated in place); the gain of each (0: none)."""
    gain = np.zeros(len(idx))
    M, owner = _moves(space, C[idx], pulls, grows)
    M = space.project(M)
    keep = space.feasible(M)
    M, owner = M[keep], owner[keep]
    if not len(owner):
        return gain
    mc = np.where(_valid(oracle, M), space.costs(M), np.inf)
    # each row's cheapest move: sort by (row, cost), the first of each row
    order = np.lexsort((mc, owner))
    pos, first = np.unique(owner[order], return_index=True)
    best = order[first]
    g = cost[idx[pos]] - mc[best]
    better = g > 1e-9 * (1.0 + cost[idx[pos]])
    rows = idx[pos[better]]
    C[rows], cost[rows] = M[best[better]], mc[best[better]]
    gain[pos[better]] = g[better]
    return gain


def _polish(space: _Space, oracle: _Oracle, C: np.ndarray, deadline: float) -> np.ndarray:
    """Each row takes its cheapest valid move, round after round; a row stops when
    no move makes it cheaper, the polish when no row changed. With read trees (rows
    are the cost), when the two-feature moves outnumber the pulls (4+ features
    changed), they are asked only for the rows no pull improves."""
    C = C.copy()
    cost = space.costs(C)
    active = np.ones(len(C), dtype=bool)
    for _ in range(3 * space.p + 3):
        if not active.any() or time.monotonic() > deadline:
            break
        idx = np.flatnonzero(active)
        c = (C[idx] != space.x0).sum(axis=1)
        grows = (len(_GROW) * c * (c - 1)).sum()
        split = oracle.fast is not None and grows > (len(_PULL) * c).sum()
        gain = _improve(space, oracle, C, cost, idx, grows=not split)
        if split and (gain == 0).any():
            gain[gain == 0] = _improve(space, oracle, C, cost, idx[gain == 0], pulls=False)
        active[idx] = gain > 0
    return C


def _search(space: _Space, oracle: _Oracle, n: int, time_limit: float, rng, batch: int = 512):
    """Up to n diverse valid rows; (rows, complete, stopped at the time limit)."""
    deadline = time.monotonic() + time_limit
    p = space.p
    free = np.flatnonzero(space.mutable & ((space.hi > space.lo) | space.categorical))
    if not free.size:
        return np.empty((0, p)), True, False
    radii = 0.25 * 1.6 ** np.arange(10)
    Z = np.concatenate(
        [
            _plausible(space, rng),
            _axes(space, free),
            _pairs(space, free, rng),
            _subsets(space, free, rng),
            _spheres(space, free, rng, radii, 48),
        ]
    )
    Z = space.project(Z)
    V = Z[_valid(oracle, Z)]
    radius, rounds, stopped = radii[-1], 0, False
    while not len(V) and rounds < 30:
        if time.monotonic() > deadline:
            stopped = True
            break
        rounds += 1
        radius *= 1.6
        Z = space.project(_spheres(space, free, rng, [radius], batch))
        V = Z[_valid(oracle, Z)]
    if not len(V):
        return np.empty((0, p)), not stopped, stopped
    V = _distinct(V[space.feasible(V)])[0]
    W = _distinct(_walk(space, oracle, _shortlist(space, V, 16 * n)))[0]
    # read trees make rows the cost, a called model its calls: polish fewer rows then
    k = 3 * n if oracle.fast is not None else 6 * n
    P = _polish(space, oracle, _shortlist(space, W, k), deadline)
    # the choice is among polished rows; when they do not hold n rows 0.25 cost
    # units apart, the walked ones widen it, and a walked row that is chosen gets
    # polished too (then the choice is redone without what became a copy)
    pool = np.unique(P, axis=0)
    if not _spread(space, _diverse(space, pool, n), n):
        pool = np.unique(np.concatenate([P, W]), axis=0)
    pool = pool[space.feasible(pool)]
    out = np.empty((0, p))
    for attempt in range(4):
        chosen = _diverse(space, pool, n - len(out), taken=out)
        if not len(chosen):
            break
        pool = pool[~_member(pool, chosen)]
        raw = ~_member(chosen, P)
        if raw.any() and attempt < 3:  # the last attempt fills up with rows as they are
            chosen[raw] = _polish(space, oracle, chosen[raw], deadline)
        P = np.concatenate([P, chosen])
        out = np.unique(np.concatenate([out, chosen]), axis=0)
        pool = pool[~_member(pool, out)]
        if len(out) >= n or not len(pool):
            break
    if time.monotonic() > deadline:
        stopped = True
    return _diverse(space, out, n), True, stopped


def _distance(space: _Space, a: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Weighted L1 from row a to each row of B (a categorical change counts 1)."""
    d = B - a
    w = np.where(space.categorical, 1.0, space.w)
    return (np.where(space.categorical, (d != 0).astype(float), np.abs(d)) * w).sum(axis=1)


def _spread(space: _Space, C: np.ndarray, n: int, apart: float = 0.25) -> bool:
    """n rows, no two closer than ``apart`` cost units (not near-copies)."""
    if len(C) < n:
        return False
    return all(
        _distance(space, C[i], C[i + 1 :]).min(initial=np.inf) >= apart for i in range(len(C))
    )


def _member(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Which rows of A are rows of B."""
    if not len(A) or not len(B):
        return np.zeros(len(A), dtype=bool)
    return (A[:, None, :] == B[None, :, :]).all(axis=2).any(axis=1)


def _supports(space: _Space, C: np.ndarray) -> list:
    """Each row's set of changed features as one hashable key (an exact float, or
    bytes beyond 52 features)."""
    ch = C != space.x0
    if space.p <= 52:
        return (ch @ 2.0 ** np.arange(space.p)).tolist()
    return [bytes(r) for r in np.packbits(ch, axis=1)]


def _diverse(space: _Space, C: np.ndarray, n: int, taken=None) -> np.ndarray:
    """Greedy: the cheapest, then each next one trading cost for distance to those
    taken (``taken``: rows already chosen, not returned again)."""
    if n <= 0 or not len(C):
        return C[:0]
    cost = space.costs(C)

    def dist(a, B):
        return _distance(space, a, B)

    near = np.full(len(C), np.inf)
    supports = set()
    keys = _supports(space, C)  # each row's set of changed features, hashable
    for t in taken if taken is not None else ():
        near = np.minimum(near, dist(t, C))
        supports.add(_supports(space, t[None, :])[0])
    if supports:  # the next pick already trades cost for distance
        first = np.argmin(cost - np.minimum(near, 2.0) + 10.0 * (near < 0.25))
    else:
        first = np.argmin(cost)
    taken = [int(first)]
    near = np.minimum(near, dist(C[taken[0]], C))
    supports.add(keys[taken[0]])
    while len(taken) < min(n, len(C)):
        # a new set of changed features first, then cost traded for distance;
        # near-copies (closer than 0.25 cost units to a row taken) last
        new = np.array([k not in supports for k in keys])
        score = cost - 1.0 * np.minimum(near, 2.0) + 10.0 * (near < 0.25) - 1.0 * new
        score[taken] = np.inf
        i = int(np.argmin(score))
        if not np.isfinite(score[i]):
            break
        taken.append(i)
        supports.add(keys[i])
        near = np.minimum(near, dist(C[i], C))
    return C[taken]
