"""Kernel SHAP: Shapley values as a constrained weighted least-squares fit.

The Shapley values of row x solve
    min_phi  sum_S k(S) (v(S) - v(0) - z_S . phi)^2   s.t.  sum(phi) = v(1) - v(0)
with the Shapley kernel k(S) proportional to 1 / (C(M,|S|) |S| (M - |S|)). We
(1) enumerate the coalition sizes with the most kernel mass (1 and M-1, then
inward while the budget allows, as shap's KernelExplainer does), (2) sample
the remaining sizes in complementary pairs (S and its complement, which
cancels the even-order error terms), (3) solve the constrained problem exactly
with a Lagrange multiplier, and (4) estimate each value's standard error with
the sandwich formula of the linearised estimator
    Cov(phi) = K m^2 Cov(u) K / n,   u = z (y - z . phi) averaged over a pair,
K the constrained inverse of A and m the kernel mass of the sampled sizes.
With ``n_samples="auto"`` sampling proceeds in rounds and each row stops as
soon as its largest standard error is below ``tol`` times the standard
deviation of the model's output over the background, so easy rows spend few
model evaluations (the SE is trusted from ``MIN_PAIRS`` = 128 pairs on: with 32,
the heavy-tailed games of boosted trees stopped on underestimated SEs, 90th
percentile of |error| / SE 2.1-3.0 against exact values, 1.7 with 128); rounds grow by a quarter each time (convergence checks cost
O(total samples), overshoot at most 25%). As the spend grows, auto enumerates
the further sizes a fixed budget of that size would (shap's rule), reusing the
sampled coalitions that fall in them; the samples left are still kernel draws
from the sizes left. Once sampling would cost over half of enumerating the
remaining coalitions, they are enumerated and the answer is exact.

Regression adjustment (Witter et al. 2025, in its least-squares form): paired
Kernel SHAP is exact on games with at most pairwise interactions, so its error
is the third- and higher-order part of the game. Once the sample holds
``CUBIC_RATIO`` coalitions per
term of a cubic in the coalition indicators (M + C(M,2) + C(M,3) terms, used
while that is at most ``CUBIC_MAX_TERMS``, i.e. M <= 17), the game is fitted by
that cubic under the same kernel weights and efficiency constraint, and the
values are the cubic's exact Shapley values (each pair term split in halves,
each triple in thirds). With every coalition enumerated this equals the plain
estimator (nested projections); with samples it takes the third order out of
the error (measured 2-5x lower RMSE at equal budgets, M = 10-16). Its
sandwich SE uses leverage-corrected residuals (HC3) and a degrees-of-freedom
factor (n / (n - p))^2, calibrated against exact values (conservative with
many coalitions per term).

With a fixed budget and no cubic (M > 17, or too few coalitions for one), from
M = ``RIDGE_MIN_M`` = 8 on the adjustment is a kernel ridge fit of every pair
and triple term instead, with the linear part unpenalized and the efficiency
constraint exact (``_kernel_ridge``): an n x n solve instead of p x p; the
smallest ridge whose fit keeps 35% of the coalitions as residual degrees of
freedom is used (else the plain fit). Measured at equal budgets: M = 12-16
against exact values 1.7-1.8x lower RMSE than the plain estimator, |error| /
SE at or inside the half-normal's quantiles; M = 40 (seed-to-seed spread)
1.2-1.9x lower. Its solves cost about a second per block of rows at 2,000
coalitions, so "auto" (which re-solves every round) does not use it.

All rows of a block share the same coalitions (one model call per round per
block, and every regression of the block is one matrix product); every block
restarts the random stream from the same seed, so a row's values do not depend
on the block or dask partition it falls in.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations
from math import comb

import numpy as np

from glassbox.explanation import LocalExplanation

from ._common import is_dask, row_chunks
from ._kernel_ridge import solve_ridge
from ._masking import coalition_values, explain_dask, finish, prepare, rows_per_block, seed_of

PAIRS_PER_ROUND = 32  # coalition pairs drawn per round in "auto" mode
MIN_PAIRS = 128  # pairs needed before the variance estimate is trusted (see _kernel_block)
CUBIC_RATIO = 1.4  # coalitions per cubic term before the regression adjustment is used
CUBIC_MAX_TERMS = 1200  # M <= 17: beyond, the p x p solve costs more than it saves
EVAL_ROWS = 2**16  # model rows per call: at 2**18 a 2x64 scikit-learn MLP ran 2.6x slower
# (its activations no longer fit in cache), HistGB 1.3x
RIDGE_MAX_N = 2600  # coalitions: the ridge's n x n solves (up to 4 ridges) stay under ~1 s
RIDGE_MIN_M = 8  # from here the kernel ridge adjustment of _kernel_ridge (cubic as fallback).
# At M = 8-10 below the cubic's reach it cut the RMSE 1.2-2x (mean of 4 seeds, MLP and
# HistGB, 63-200 coalitions); its SE is conservative there (|error| / SE median 0.2-0.5
# at 60-120 coalitions, calibrated from ~2 coalitions per pair term): honest, not tight
CUBIC_RIDGE = 1e-3  # ridge on pair / triple terms, relative to the linear terms' weight


def _values(model, X: np.ndarray, bg: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """coalition_values in calls of at most EVAL_ROWS model rows."""
    per = max(1, EVAL_ROWS // max(1, X.shape[0] * bg.shape[0]))
    if len(Z) <= per:
        return coalition_values(model, X, bg, Z)
    parts = [coalition_values(model, X, bg, Z[k : k + per]) for k in range(0, len(Z), per)]
    return np.concatenate(parts, axis=1)


def _size_mass(M: int) -> np.ndarray:
    sizes = np.arange(1, M)
    mass = 1.0 / (sizes * (M - sizes))
    return mass / mass.sum()


def _enum_sizes(M: int, budget: int) -> list[int]:
    """Sizes to enumerate for a budget of coalitions (shap's rule, from the edges inward)."""
    mass = _size_mass(M)
    enum: list[int] = []
    left, rem = float(budget), 1.0
    for s in range(1, M // 2 + 1):
        pair = [s] if 2 * s == M else [s, M - s]
        count = sum(comb(M, t) for t in pair)
        pm = sum(mass[t - 1] for t in pair)
        # enumerate a size pair when its share of the remaining budget covers all
        # its subsets; sizes 1 and M-1 always (A then has full rank).
        if s == 1 or left * pm / rem >= count - 1e-8:
            enum += pair
            left -= count
            rem -= pm
        else:
            break
    return sorted(enum)


class _Plan:
    """Which sizes are enumerated, which are sampled, and their kernel masses."""

    def __init__(self, M: int, budget: int):
        self.M = M
        self.mass = _size_mass(M)  # total kernel mass of size s at index s-1
        enum = _enum_sizes(M, budget)
        self.enum_sizes = enum
        self.sampled_sizes = np.array([s for s in range(1, M) if s not in enum], dtype=np.int64)
        mass = self.mass
        self.m_sampled = (
            float(mass[self.sampled_sizes - 1].sum()) if self.sampled_sizes.size else 0.0
        )
        self.n_sampled_region = int(sum(comb(M, int(s)) for s in self.sampled_sizes))
        self.Z_enum, self.w_enum = _enumerate(M, self.enum_sizes, mass)

    def sample_pairs(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n coalitions from the sampled sizes (size ~ kernel mass, then uniform)."""
        p = self.mass[self.sampled_sizes - 1] / self.m_sampled
        size = rng.choice(self.sampled_sizes, size=n, p=p)
        rank = np.argsort(rng.random((n, self.M)), axis=1).argsort(axis=1)
        return rank < size[:, None]


def _enumerate(M: int, sizes, mass) -> tuple[np.ndarray, np.ndarray]:
    masks, weights = [], []
    for s in sizes:
        idx = np.array(list(combinations(range(M), s)), dtype=np.int64)
        m = np.zeros((len(idx), M), dtype=np.bool_)
        m[np.arange(len(idx))[:, None], idx] = True
        masks.append(m)
        weights.append(np.full(len(idx), mass[s - 1] / comb(M, s)))
    if not masks:
        return np.zeros((0, M), dtype=np.bool_), np.zeros(0)
    return np.concatenate(masks), np.concatenate(weights)


@lru_cache(maxsize=8)
def _cubic_terms(M: int):
    """Pairs and triples of M features, and L mapping cubic coefficients to Shapley values.

    The Shapley value of the game z_i z_j (z_i z_j z_k) gives 1/2 (1/3) to each member.
    """
    pairs = np.array(list(combinations(range(M), 2)), dtype=np.intp).reshape(-1, 2)
    trips = np.array(list(combinations(range(M), 3)), dtype=np.intp).reshape(-1, 3)
    p = M + len(pairs) + len(trips)
    L = np.zeros((M, p))
    L[:, :M] = np.eye(M)
    for k, t in enumerate(pairs):
        L[t, M + k] = 0.5
    for k, t in enumerate(trips):
        L[t, M + len(pairs) + k] = 1.0 / 3.0
    return pairs, trips, L


def _n_cubic(M: int) -> int:
    return M + comb(M, 2) + comb(M, 3)


def _features(Z: np.ndarray, cubic: bool) -> np.ndarray:
    Z = Z.astype(np.float64)
    if not cubic:
        return Z
    pairs, trips, _ = _cubic_terms(Z.shape[1])
    return np.hstack(
        [
            Z,
            Z[:, pairs[:, 0]] * Z[:, pairs[:, 1]],
            Z[:, trips[:, 0]] * Z[:, trips[:, 1]] * Z[:, trips[:, 2]],
        ]
    )


def _use_cubic(M: int, n_coalitions: int, P: int, ratio: float) -> bool:
    """Regression adjustment pays once the sample holds ``ratio`` x the cubic terms."""
    p = _n_cubic(M)
    return P > 1 and M >= 4 and p <= CUBIC_MAX_TERMS and n_coalitions >= ratio * p


def _solve(ZE, wE, YE, ZS, YS, YSc, m_sampled, T, ratio=None, ridge=True):
    """Constrained WLS for all rows at once; returns phi (R, M, O) and SE (R, M, O).

    ZE (K, M) enumerated coalitions with weights wE; YE (R, K, O) = v - v0.
    ZS (P, M) sampled coalitions, YS / YSc their and their complements' values.
    T (R, O) = v(1) - v(0).

    With enough samples the fit is regression-adjusted (Witter et al. 2025): the
    game is fitted by a cubic in the coalition indicators (all pairs and
    triples, a small ridge on them) under the same kernel weights and
    efficiency constraint, and phi are the exact Shapley values of that cubic.
    Paired Kernel SHAP is already exact on quadratic games, so the error left is
    the third- and higher-order part of the game; the cubic takes the third
    order out of it. With every coalition enumerated the cubic fit's Shapley
    values equal the linear fit's (nested weighted projections), so the
    adjustment adds no bias beyond its small ridge.
    """
    M = ZE.shape[1]
    P = 0 if ZS is None else ZS.shape[0]
    cubic = _use_cubic(M, ZE.shape[0] + 2 * P, P, CUBIC_RATIO if ratio is None else ratio)
    n_fit = ZE.shape[0] + 2 * P
    if ridge and not cubic and P > 1 and M >= RIDGE_MIN_M and n_fit <= RIDGE_MAX_N:
        out = solve_ridge(ZE, wE, YE, ZS, YS, YSc, m_sampled, T)
        if out is not None:
            return out
    DE = _features(ZE, cubic)
    p = DE.shape[1]
    A = (DE.T * wE) @ DE
    b = (YE.transpose(0, 2, 1) * wE) @ DE  # (R, O, p)
    if P:
        DS, DC = _features(ZS, cubic), _features(~ZS, cubic)
        c = 0.5 * m_sampled / P
        A = A + c * (DS.T @ DS + DC.T @ DC)
        b = b + c * (YS.transpose(0, 2, 1) @ DS + YSc.transpose(0, 2, 1) @ DC)
    if cubic:
        ridge = CUBIC_RIDGE * np.mean(np.diag(A)[:M])
        A[np.arange(M, p), np.arange(M, p)] += ridge
        L = _cubic_terms(M)[2]
    else:
        L = None
    Ainv = np.linalg.inv(A)
    Ainv = 0.5 * (Ainv + Ainv.T)
    a1 = Ainv.sum(axis=1)  # the constraint row is all ones: every term is 1 at z = 1
    s = a1.sum()
    Ab = b @ Ainv  # (R, O, p)
    lam = (Ab.sum(axis=-1) - T) / s
    theta = Ab - lam[..., None] * a1
    phi = theta if L is None else theta @ L.T
    se = np.zeros_like(phi)
    if P > 1:
        K = Ainv - np.outer(a1, a1) / s
        KL = K if L is None else K @ L.T  # (p, M)
        rS = YS - (theta @ DS.T).transpose(0, 2, 1)
        rC = YSc - (theta @ DC.T).transpose(0, 2, 1)
        if cubic:
            # a fit with many terms shrinks its own residuals; undo it per sample
            # (HC3: residual / (1 - leverage)) so the SE stays honest
            hS = c * np.sum((DS @ K) * DS, axis=1)
            hC = c * np.sum((DC @ K) * DC, axis=1)
            rS = rS / np.maximum(1.0 - hS, 0.05)[None, :, None]
            rC = rC / np.maximum(1.0 - hC, 0.05)[None, :, None]
        # influence of each pair on phi, without forming the (R, P, O, p) scores
        G = 0.5 * (
            rS[..., None] * (DS @ KL)[None, :, None, :]
            + rC[..., None] * (DC @ KL)[None, :, None, :]
        )
        G -= G.mean(axis=1, keepdims=True)
        var = (G**2).sum(axis=1) / (P - 1) * m_sampled**2 / P
        if cubic:
            # degrees of freedom used by the cubic terms: HC3 alone still leaves
            # |error| / SE at ~1.8x its normal quantiles near 1.5 coalitions per term
            # (measured against exact values); (n / (n - p))^2 brings the median to
            # 0.6-0.7 there and is conservative (0.4-0.65) with more coalitions
            n = ZE.shape[0] + 2 * P
            var *= (n / (n - p)) ** 2
        else:
            # HC1: the M - 1 free values (efficiency fixes one) are fitted on P pairs;
            # without it |error| / SE sat at 1.8-2.0 at the 90th percentile with
            # 20-60 pairs (M = 8, against exact values)
            var *= P / max(P - (M - 1), 1)
        se = np.sqrt(var)
    return phi.transpose(0, 2, 1), se.transpose(0, 2, 1)


def _round(n_pairs: int) -> int:
    """Pairs in the next round: a quarter more than so far, at least PAIRS_PER_ROUND."""
    return max(PAIRS_PER_ROUND, n_pairs // 4)


def _kernel_block(model, Xb, bg, v0, plan: _Plan, budget, adaptive, tol, scale, seed):
    """Explain one block of rows; returns phi, se, f(x), evaluations per row."""
    R, M = Xb.shape
    n_out = model.n_outputs_
    fx = model(Xb, checked=True)
    T = fx - v0
    phi = np.zeros((R, M, n_out))
    se = np.zeros((R, M, n_out))
    n_coal = np.zeros(R, dtype=np.int64)
    if M == 1:
        phi[:, 0, :] = T
        return phi, se, fx, n_coal
    YE = _values(model, Xb, bg, plan.Z_enum) - v0
    n_enum = len(plan.Z_enum)
    left = budget - n_enum
    small = plan.n_sampled_region <= 2 * max(MIN_PAIRS, PAIRS_PER_ROUND)
    if plan.n_sampled_region == 0 or (small if adaptive else left >= plan.n_sampled_region):
        return _exhaustive(model, Xb, bg, v0, plan, YE, T, phi, se, fx, n_coal)
    rng = np.random.default_rng(seed)
    cap = max(1, left // 2)  # pairs the budget allows
    spent = n_enum  # coalitions evaluated for the rows still active
    active = np.arange(R)
    ZS_all = np.zeros((0, M), dtype=np.bool_)
    YS = np.zeros((R, 0, n_out))
    YC = np.zeros((R, 0, n_out))
    while active.size:
        n_new = min(_round(len(ZS_all)) if adaptive else cap, cap - len(ZS_all))
        if n_new > 0:
            Z = plan.sample_pairs(rng, n_new)
            V = _values(model, Xb[active], bg, np.concatenate([Z, ~Z])) - v0
            ZS_all = np.concatenate([ZS_all, Z])
            YS = np.concatenate([YS, V[:, :n_new]], axis=1)
            YC = np.concatenate([YC, V[:, n_new:]], axis=1)
            spent += 2 * n_new
        P = len(ZS_all)
        done_all = P >= cap
        if not done_all and adaptive and P < MIN_PAIRS:
            continue
        if P:
            p, e = _solve(
                plan.Z_enum,
                plan.w_enum,
                YE[active],
                ZS_all,
                YS,
                YC,
                plan.m_sampled,
                T[active],
                # "auto" re-solves every round: no n x n ridge there (at M = 40 its
                # rounds cost 1.8 s per row, at M = 16 5x the model's time)
                ridge=not adaptive,
            )
        else:
            p, e = _solve(plan.Z_enum, plan.w_enum, YE[active], None, None, None, 0.0, T[active])
        if done_all:
            stop = np.ones(active.size, dtype=bool)
        else:
            # absolute target per output; a model constant on the background
            # falls back to the row's own |f(x) - E f|
            target = tol * np.where(scale > 0, scale, np.abs(T[active]))
            stop = np.all(e.max(axis=1) <= target + 1e-12 * (1.0 + np.abs(fx[active])), axis=1)
        idx = active[stop]
        phi[idx], se[idx] = p[stop], e[stop]
        n_coal[idx] = spent
        keep = ~stop
        active, YS, YC = active[keep], YS[keep], YC[keep]
        if active.size and 2 * (P + _round(P)) >= plan.n_sampled_region // 2:
            # Sampling on would cost over half of enumerating the rest: enumerate
            # (caps the spend at about 1.5x the exhaustive cost; result exact).
            sub = _exhaustive(
                model,
                Xb[active],
                bg,
                v0,
                plan,
                YE[active],
                T[active],
                phi[active],
                se[active],
                fx[active],
                n_coal[active],
            )
            phi[active], se[active], _, n_coal[active] = sub
            n_coal[active] += spent - len(plan.Z_enum)
            break
        grown = min(budget, spent + 2 * _round(P))
        if (
            adaptive
            and active.size
            and len(_enum_sizes(M, grown)) > len(plan.enum_sizes)
            and spent + len(_Plan(M, grown).Z_enum) - len(plan.Z_enum) <= budget
        ):
            # The spend so far would have bought enumerating more sizes (what a fixed
            # budget of that size does): enumerate them now, reusing the samples that
            # fall in them; the samples left are kernel draws from the sizes left.
            # Only when even the worst case (no sample reused) stays within the budget.
            plan, YE, ZS_all, YS, YC, n_eval = _grow_plan(
                model, Xb, bg, v0, plan, grown, active, YE, ZS_all, YS, YC
            )
            spent += n_eval
            cap = len(ZS_all) + max(0, budget - spent) // 2
    return phi, se, fx, n_coal


def _grow_plan(model, Xb, bg, v0, plan: _Plan, budget, active, YE, ZS, YS, YC):
    """Switch to the plan of a larger budget, evaluating only coalitions not seen yet."""
    M = plan.M
    new = _Plan(M, budget)
    weights = 1 << np.arange(M, dtype=np.int64)
    known_Z = np.concatenate([plan.Z_enum, ZS, ~ZS])
    known_Y = np.concatenate([YE[active], YS, YC], axis=1)
    known = known_Z.astype(np.int64) @ weights
    order = np.argsort(known, kind="stable")
    want = new.Z_enum.astype(np.int64) @ weights
    pos = np.minimum(np.searchsorted(known[order], want), len(known) - 1)
    hit = known[order][pos] == want
    YE_new = np.zeros((Xb.shape[0], len(want), YE.shape[2]))
    vals = np.empty((active.size, len(want), YE.shape[2]))
    vals[:, hit] = known_Y[:, order[pos[hit]]]
    miss = ~hit
    if miss.any():
        vals[:, miss] = _values(model, Xb[active], bg, new.Z_enum[miss]) - v0
    YE_new[active] = vals
    keep = np.isin(ZS.sum(axis=1), new.sampled_sizes)
    return new, YE_new, ZS[keep], YS[:, keep], YC[:, keep], int(miss.sum())


def _exhaustive(model, Xb, bg, v0, plan: _Plan, YE, T, phi, se, fx, n_coal):
    """All remaining coalitions enumerated: the exact Shapley values (SE 0)."""
    ZR, wR = _enumerate(plan.M, [int(s) for s in plan.sampled_sizes], plan.mass)
    YR = _values(model, Xb, bg, ZR) - v0 if len(ZR) else np.zeros((Xb.shape[0], 0, YE.shape[2]))
    Z = np.concatenate([plan.Z_enum, ZR])
    w = np.concatenate([plan.w_enum, wR])
    p, _ = _solve(Z, w, np.concatenate([YE, YR], axis=1), None, None, None, 0.0, T)
    phi[:] = p
    se[:] = 0.0
    n_coal[:] = len(Z)
    return phi, se, fx, n_coal


def kernel_shap(
    f,
    X,
    background=None,
    *,
    n_samples: int | str = "auto",
    tol: float = 0.01,
    random_state=None,
    check_additivity: bool = True,
    progress: bool = True,
    feature_names=None,
) -> LocalExplanation:
    """Kernel SHAP values (interventional, on the scale f returns) with standard errors.

    Parameters
    ----------
    f : callable or estimator
        f(X) -> scores (1-D, or 2-D for several outputs such as
        ``predict_proba``), or an estimator (its ``predict_proba``, else
        ``predict``). Values are on the scale f returns (probabilities for
        ``predict_proba``, log-odds for ``decision_function``), so ``link`` is
        "identity". Estimators fitted on named columns are handed DataFrames.
    X : array-like of shape (n_rows, n_features), DataFrame, dask array or dask DataFrame
        Rows to explain. A dask input gives a lazy dask array of values,
        computed partition by partition on the user's cluster.
    background : array-like of shape (n_background, n_features)
        Rows standing in for "feature missing"; the cost grows linearly with
        its length (50-200 rows, or k-means centres, are typical). Required.
    n_samples : int or "auto", default="auto"
        Coalitions per row. "auto" samples in rounds and stops each row once
        its largest standard error is below ``tol`` times the standard
        deviation of f over the background (at most 2 M + 2048 coalitions,
        shap's default). An integer fixes the budget; >= 2^M - 2 enumerates
        everything (exact).
    tol : float, default=0.01
        Stopping threshold of "auto", relative to the spread of f's output.
    random_state : int, numpy Generator or None, default=None
        Seed of the coalition sampling; every block of rows (and dask
        partition) restarts from it.
    check_additivity : bool, default=True
        Raise, naming the first failing row, when base value + sum of values
        differs from the model's output.
    progress : bool, default=True
        Show a tqdm bar over blocks of rows.
    feature_names : sequence of str or None, default=None
        Names for the explanation; default the DataFrame's columns, else x0, x1, ...

    Returns
    -------
    LocalExplanation
        With ``extras["standard_error"]`` (same shape as values; 0 where
        enumeration made the value exact), ``extras["n_coalitions"]`` per row
        and ``extras["n_model_evaluations"]``. Each coalition costs
        len(background) model evaluations.
    """
    if not (n_samples == "auto" or (isinstance(n_samples, (int, np.integer)) and n_samples > 0)):
        raise ValueError(f"n_samples must be 'auto' or a positive integer, got {n_samples!r}")
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    if is_dask(X):
        # one seed for every partition: values independent of the partitioning
        return explain_dask(
            kernel_shap,
            f,
            X,
            background,
            feature_names,
            method="kernel_shap",
            n_samples=n_samples,
            tol=tol,
            random_state=seed_of(random_state),
        )
    Xa, bg, names, model = prepare(f, X, background, feature_names, method="kernel_shap")
    M = Xa.shape[1]
    total = 2**M - 2 if M < 63 else np.iinfo(np.int64).max
    adaptive = n_samples == "auto"
    budget = min(total, 2 * M + 2048) if adaptive else int(n_samples)
    if not adaptive and budget < min(total, 2 * M):
        raise ValueError(
            f"n_samples={budget} is too small for {M} features: the {2 * M} coalitions of size 1 "
            f"and {M - 1} are always evaluated; use n_samples >= {2 * M} or 'auto'"
        )
    plan = _Plan(M, budget if not adaptive else 2 * M + 4 * PAIRS_PER_ROUND)
    seed = seed_of(random_state)
    f_bg = model(bg, checked=True)
    v0, scale = f_bg.mean(axis=0), f_bg.std(axis=0)
    round_size = max(len(plan.Z_enum), 2 * PAIRS_PER_ROUND)
    if not adaptive:
        round_size = max(round_size, budget)
    step = rows_per_block(min(round_size, 4096), bg.shape[0])
    n = Xa.shape[0]
    phi = np.empty((n, M, model.n_outputs_))
    se = np.empty_like(phi)
    fx = np.empty((n, model.n_outputs_))
    n_coal = np.empty(n, dtype=np.int64)
    for sl in row_chunks(n, step, progress=progress, desc="kernel_shap"):
        phi[sl], se[sl], fx[sl], n_coal[sl] = _kernel_block(
            model, Xa[sl], bg, v0, plan, budget, adaptive, tol, scale, seed
        )
    return finish(
        model,
        Xa,
        names,
        phi,
        fx,
        v0,
        method="kernel_shap",
        check_additivity=check_additivity,
        extras={"standard_error": se, "n_coalitions": n_coal, "n_model_evaluations": model.n_rows_},
    )
