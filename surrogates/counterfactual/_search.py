"""Any black box: a seeded, batched search, then a polish, then a diverse choice.

Few, large model calls (a model call costs far more than the rows in it):

1. one batch of seeds: rows of ``X`` (plausible: real rows the model may already
   give the desired outcome), one-feature moves along each feature's whole
   allowed range, two-feature moves (near, and far towards the ends of both
   ranges), 1-3 features set to random values of their ranges (DiCE's random
   sampling), and growing spheres (Laugel et al. 2018: random sparse moves in
   cost units) at a ladder of radii at once; more sphere batches at growing
   radii only when nothing in it was valid;
2. one batch walking from ``x`` towards each shortlisted valid seed (the first
   valid point of 16 on the segment; two batches of 4 and 3 points with read trees);
3. polish rounds, one batch each: every changed feature of every shortlisted row
   reverted to x's value, pulled part of the way towards it, or reverted while
   another feature (or all the others) grows (moves for sparsity); each row takes
   its cheapest valid move; rows with no better move drop out;
4. ``n`` rows chosen for low cost and for distance to each other (DiCE's
   diversity), preferring fewer changed features (``_EXTRA``); when the rows
   changing the fewest features are too few, they are stretched (``_stretch``);
   last, every change a chosen row could drop is dropped (``_no_drop``: one call).

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
_PULL = np.array([0.0, 0.5, 0.8, 0.9, 0.95])
_GROW = np.array([1.5, 2.0, 3.0])  # another feature's change grown by
_SCALE = np.array([1.25, 1.6, 2.0, 3.0])  # all other changes grown by, when one is dropped
# sizes of the seed batch and of the later stages, as (read trees, called model):
# on read trees rows are the cost (~1.6 us a row on 100 trees), on a called model
# its calls (~0.3 ms each for a small scikit-learn pipeline), rows much less
_PLAUSIBLE = (100, 200)  # rows of X
_AXIS_STEPS = 16  # per feature and side
_CORNER = (0.4, 0.7, 0.9, 1.0)  # shares of the way to the ends, per pair (_corners)
_PAIR_POINTS = (8, 16)  # of the 96 (signs x radii x splits) per pair of features
_SUBSET_PER = ((16, 96, 32), (32, 192, 64))  # 1, 2, 3 features changed (DiCE: few, far)
_SPHERE_PER = (12, 24)  # per radius (10 radii)
_WALK_ROWS = 8  # walked rows per counterfactual asked
_POLISH_ROWS = (3, 8)  # polished rows per counterfactual asked
_ROUNDS = (3, 1)  # polish rounds at most (read trees, called model): a 4th round on a
# forest changed proximity by 0.008 MAD on 10 cancer queries at 7% of the time; a 2nd
# on an MLP -0.028 / +0.009 MAD (credit / cancer) at 10% (a model call of ~1 ms)
_LATE_ROUNDS = 2  # for a walked row chosen unpolished
_STRETCH = np.array([1.1, 1.2, 1.35, 1.5, 1.75, 2.0])  # the sparsest rows' changes grown by
_EXTRA = 3.0  # the choice's penalty per feature changed beyond the sparsest row's


def _plausible(space: _Space, rng, k: int = _PLAUSIBLE[1]) -> np.ndarray:
    if space.X is None:
        return np.empty((0, space.p))
    Xz = space.project(space.X.copy())
    cat = space.categorical
    Xz[:, cat & ~space.mutable] = space.x0[cat & ~space.mutable]
    Xz = Xz[np.all(Xz[:, cat] >= 0, axis=1)]  # a level outside the allowed ones: not a seed
    if len(Xz) > k:
        Xz = Xz[np.sort(rng.choice(len(Xz), k, replace=False))]
    return Xz


def _all_ends(space: _Space) -> np.ndarray:
    """(p, 2): the allowed range of every feature, 8 cost units either side of x
    where it is open."""
    open_ = 8.0 / space.w
    lo = np.where(np.isfinite(space.lo), space.lo, space.x0 - open_)
    hi = np.where(np.isfinite(space.hi), space.hi, space.x0 + open_)
    return np.stack([lo, hi], axis=1)


def _axes(space: _Space, free: np.ndarray, steps: int = _AXIS_STEPS) -> np.ndarray:
    """One feature at a time along its whole allowed range (the sparsest rows)."""
    t = np.linspace(0, 1, steps + 1)[1:]
    ends = _all_ends(space)
    out = []
    for j in free:
        if space.categorical[j]:
            vals = np.arange(len(space.levels[j]), dtype=np.float64)
        else:
            lo, hi = ends[j]
            x = space.x0[j]
            vals = np.concatenate([x + t * (lo - x), x + t * (hi - x)])
        Z = np.repeat(space.x0[None, :], len(vals), axis=0)
        Z[:, j] = vals
        out.append(Z)
    return np.concatenate(out) if out else np.empty((0, space.p))


# the pairs' grid: (sign a, sign b, radius in cost units, share of a)
_PAIR_GRID = np.array(
    [
        (sa, sb, r, s)
        for sa in (-1.0, 1.0)
        for sb in (-1.0, 1.0)
        for r in (0.5, 1.0, 2.0, 4.0)
        for s in (0.25, 0.5, 0.75)
    ]
)


def _pairs(
    space: _Space, free: np.ndarray, rng, max_pairs: int = 300, points: int = _PAIR_POINTS[1]
) -> np.ndarray:
    """Two features at a time: signs x radii (cost units) x the split between them."""
    F = len(free)
    if F < 2:
        return np.empty((0, space.p))
    a, b = np.triu_indices(F, 1)
    if len(a) > max_pairs:
        keep = np.sort(rng.choice(len(a), max_pairs, replace=False))
        a, b = a[keep], b[keep]
    ja, jb = free[a], free[b]
    grid = _PAIR_GRID
    far = _corners(space, ja, jb)
    m = min(len(grid), points)
    Z = np.repeat(space.x0[None, :], len(ja) * m, axis=0)
    JA, JB = np.repeat(ja, m), np.repeat(jb, m)
    if m < len(grid):  # a random part of the grid for each pair
        g = grid[np.argsort(rng.random((len(ja), len(grid))), axis=1)[:, :m].ravel()]
    else:
        g = np.tile(grid, (len(ja), 1))
    rows = np.arange(len(Z))
    for J, sign, share in ((JA, g[:, 0], g[:, 3]), (JB, g[:, 1], 1.0 - g[:, 3])):
        step = sign * share * g[:, 2] / space.w[J]
        Z[rows, J] = space.x0[J] + step
        cat = space.categorical[J]
        if cat.any():  # a categorical member of the pair: a random other level
            nlev = np.array([len(space.levels[j]) for j in J[cat]])
            Z[rows[cat], J[cat]] = np.floor(rng.random(cat.sum()) * nlev)
    return np.concatenate([Z, far])


def _corners(space: _Space, ja: np.ndarray, jb: np.ndarray) -> np.ndarray:
    """Both features of each pair the same share of the way to an end of their
    allowed range (either end each, shares _CORNER): the far, sparse rows that
    DiCE's sampling of whole ranges finds where nearer moves fail."""
    t = np.asarray(_CORNER, dtype=np.float64)
    ends = _all_ends(space)
    x0 = space.x0
    sa, sb, tt = (a.ravel() for a in np.meshgrid([0, 1], [0, 1], t, indexing="ij"))
    m = len(tt)
    JA, JB = np.repeat(ja, m), np.repeat(jb, m)
    SA, SB, T = np.tile(sa, len(ja)), np.tile(sb, len(ja)), np.tile(tt, len(ja))
    Z = np.repeat(x0[None, :], len(JA), axis=0)
    rows = np.arange(len(Z))
    Z[rows, JA] = x0[JA] + T * (ends[JA, SA] - x0[JA])
    Z[rows, JB] = x0[JB] + T * (ends[JB, SB] - x0[JB])
    cat = space.categorical
    Z[:, cat] = x0[cat]  # categorical pairs: the grid above covers their levels
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


def _subsets(space: _Space, free: np.ndarray, rng, per: tuple = _SUBSET_PER[1]) -> np.ndarray:
    """k = 1, 2, 3 random features set to random values of their whole allowed
    range (DiCE's random sampling): sparse rows far from x, which the walk and
    the polish then bring near."""
    out = []
    F = len(free)
    ends = _all_ends(space)
    for k, m in enumerate(per[: min(len(per), F)], start=1):
        pick = np.argsort(rng.random((m, F)), axis=1)[:, :k]
        J = free[pick].ravel()
        rows = np.repeat(np.arange(m), k)
        Z = np.repeat(space.x0[None, :], m, axis=0)
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
    """The cheapest row of each set of changed features first, then the cheapest
    (each feature changed beyond the fewest costing _EXTRA more, as in the choice)."""
    cost = space.costs(V)
    count = (V != space.x0).sum(axis=1)
    if len(V):
        cost = cost + _EXTRA * (count - count.min())
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
        # j goes, every other numeric change grows by the same factor (for rows
        # of several small changes, where no single one makes up for j)
        many = ch.sum(axis=1) >= 3
        di, dj = np.nonzero(ch & many[:, None])
        k = len(_SCALE)
        di, dj = np.repeat(di, k), np.repeat(dj, k)
        f = np.tile(_SCALE, len(di) // k)[:, None]
        D = x0 + np.where(cat, C[di] - x0, f * (C[di] - x0))
        D[np.arange(len(D)), dj] = x0[dj]
        out.append(D)
        own.append(di)
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


def _polish(
    space: _Space, oracle: _Oracle, C: np.ndarray, deadline: float, rounds: int | None = None
) -> np.ndarray:
    """Each row takes its cheapest valid move, round after round (at most
    ``rounds``, default ``_ROUNDS``); a row stops when no move makes it cheaper,
    the polish when no row changed. With read trees (rows
    are the cost), when the two-feature moves outnumber the pulls (4+ features
    changed), they are asked only for the rows no pull improves."""
    C = C.copy()
    cost = space.costs(C)
    active = np.ones(len(C), dtype=bool)
    if rounds is None:
        rounds = _ROUNDS[0] if oracle.fast is not None else _ROUNDS[1]
    for _ in range(min(3 * space.p + 3, rounds)):
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
    c = 0 if oracle.fast is not None else 1  # read trees: fewer rows
    Z = np.concatenate(
        [
            _plausible(space, rng, _PLAUSIBLE[c]),
            _axes(space, free),
            _pairs(space, free, rng, points=_PAIR_POINTS[c]),
            _subsets(space, free, rng, _SUBSET_PER[c]),
            _spheres(space, free, rng, radii, _SPHERE_PER[c]),
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
    W = _distinct(_walk(space, oracle, _shortlist(space, V, _WALK_ROWS * n)))[0]
    # read trees make rows the cost, a called model its calls: polish fewer rows then
    k = _POLISH_ROWS[c] * n
    P = _polish(space, oracle, _shortlist(space, W, k), deadline)
    # the choice is among polished rows; when they do not hold n rows 0.25 cost
    # units apart, the walked ones widen it, and a walked row that is chosen gets
    # polished too (then the choice is redone without what became a copy)
    pool = np.unique(P, axis=0)
    if not _spread(space, _diverse(space, pool, n), n):
        pool = np.unique(np.concatenate([P, W]), axis=0)
    pool = pool[space.feasible(pool)]
    more = _stretch(space, oracle, pool, n)
    pool, P = np.concatenate([pool, more]), np.concatenate([P, more])
    out = np.empty((0, p))
    for attempt in range(4):
        chosen = _diverse(space, pool, n - len(out), taken=out)
        if not len(chosen):
            break
        pool = pool[~_member(pool, chosen)]
        raw = ~_member(chosen, P)
        if raw.any() and attempt < 3:  # the last attempt fills up with rows as they are
            chosen[raw] = _polish(space, oracle, chosen[raw], deadline, _LATE_ROUNDS)
        P = np.concatenate([P, chosen])
        if attempt < 3:  # a row polished now is a candidate again
            pool = np.concatenate([pool, chosen[raw]])
            out = np.concatenate([out, chosen[~raw]])
        else:
            out = np.concatenate([out, chosen])
        # a polished row may have become a near-copy of a row taken: it competes
        # in the next choice instead of being taken as it is
        out = np.unique(out, axis=0)
        pool = _distinct(pool)[0] if len(pool) > 1 else pool
        pool = pool[~_member(pool, out)]
        if len(out) >= n or not len(pool):
            break
    if len(out):  # the polish has a round limit: no returned row keeps a change it could drop
        out = np.unique(_no_drop(space, oracle, out), axis=0)
    if time.monotonic() > deadline:
        stopped = True
    return _diverse(space, out, n), True, stopped


def _no_drop(space: _Space, oracle: _Oracle, C: np.ndarray) -> np.ndarray:
    """Each row of C with every change it can drop (one at a time, the cheapest
    valid first) reverted to x's value: one model call when none can (the usual
    case, after the polish)."""
    C = C.copy()
    for _ in range(space.p):
        ri, R = _reverted(space, C)
        if not len(ri):
            break
        ok = _valid(oracle, R)
        if not ok.any():
            break
        cost = np.where(ok, space.costs(R), np.inf)
        order = np.lexsort((cost, ri))
        rows, first = np.unique(ri[order], return_index=True)
        best = order[first]
        take = np.isfinite(cost[best])
        C[rows[take]] = R[best[take]]
    return C


def _reverted(space: _Space, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row of C once per changed feature, that feature back at x's value; and
    the row of C each came from."""
    ri, rj = np.nonzero(C != space.x0)
    R = C[ri]
    R[np.arange(len(R)), rj] = space.x0[rj]
    return ri, R


def _stretch(space: _Space, oracle: _Oracle, pool: np.ndarray, n: int) -> np.ndarray:
    """More rows changing the fewest features, when the pool does not hold n of
    them 0.25 cost units apart: the choice among such rows with every change grown by
    _STRETCH (the same features, further). Kept when valid and no change of theirs
    can be dropped (each asked reverted, in the same model call): as polished."""
    if not len(pool):
        return pool
    count = (pool != space.x0).sum(axis=1)
    sparse = pool[count == count.min()]
    base = _diverse(space, sparse, n)
    if _spread(space, base, n):
        return pool[:0]
    f = np.repeat(_STRETCH, len(base))[:, None]
    D = np.tile(base - space.x0, (len(_STRETCH), 1))
    Z = space.x0 + np.where(space.categorical, D, f * D)
    Z = space.project(Z)
    Z = Z[space.feasible(Z) & ((Z != space.x0).sum(axis=1) == count.min())]
    Z = _distinct(Z)[0] if len(Z) > 1 else Z
    if not len(Z):
        return Z
    ri, R = _reverted(space, Z)
    ok = _valid(oracle, np.concatenate([Z, R]))
    droppable = np.zeros(len(Z), dtype=bool)
    droppable[ri[ok[len(Z) :]]] = True
    return Z[ok[: len(Z)] & ~droppable]


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

    # fewer changes are easier to act on (and DiCE's sparsity): a row changing
    # more features than the sparsest row (of C and those taken) pays _EXTRA for
    # each one more
    count = (C != space.x0).sum(axis=1)
    fewest = count.min()
    if taken is not None and len(taken):
        fewest = min(fewest, int((taken != space.x0).sum(axis=1).min()))
    cost = cost + _EXTRA * (count - fewest)
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
