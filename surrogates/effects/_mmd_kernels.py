"""numba kernels for MMD-critic (``surrogates.prototypes``): kernel column sums
from tiles of the Gram matrix, single kernel columns, and the greedy prototype
search with its near-tie re-check; nothing n x n is held. Kept apart from
``prototypes`` so that importing it does not load numba.

Loops that should vectorise start at index 0 (a loop from ``i + 1`` keeps numba's
negative-index check in the loop and LLVM then leaves it scalar), hence the
sliced views."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_LOG2E = 1.4426950408889634
# ln 2 split so that k * _LN2HI is exact for |k| < 2^20 (fdlibm's constants)
_LN2HI = 6.93147180369123816490e-01
_LN2LO = 1.90821492927058770002e-10
# largest error of _exp_neg in units of the result (tests check it against np.exp)
EXP_ULPS = 2.0
# fastmath without "reassoc": reassociation would undo the Cody-Waite reduction
# in _exp_neg (x - k ln2_hi - k ln2_lo folded to x - k ln2); loops that need it to
# vectorise a sum (reductions) call the exp loops below, compiled without it
_EXP_MATH = {"nnan", "ninf", "nsz", "arcp", "contract", "afn"}


@njit(cache=True, inline="always")
def _exp_neg(x):
    """exp(x) for x <= 0 in plain arithmetic, so that loops over it vectorise (numba
    has no vector exp here; the scalar call costs ~7 ns). x = k ln2 + r with
    |r| <= ln2 / 2 (Cody-Waite), exp(r) by its Taylor series to r^13 (truncation
    below 5e-18), 2^k from the exponent bits. Within 2 ulp of exp; below -708 the
    result is clamped at exp(-708) ~ 3e-308, which no kernel sum can see."""
    x = max(x, -708.0)
    k = np.floor(x * _LOG2E + 0.5)
    r = (x - k * _LN2HI) - k * _LN2LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    return p * np.int64((np.int64(k) + 1023) << 52).view(np.float64)


@njit(cache=True, fastmath=_EXP_MATH)
def exp_neg(x):
    """_exp_neg over an array (for the tests: it is compared with np.exp)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = _exp_neg(x[i])
    return out


@njit(cache=True, fastmath=_EXP_MATH)
def _rbf_row(g, sq, si, gamma, out):
    """g[t] <- exp(-gamma max(si + sq[t] - 2 g[t], 0)) in place; out[t] += g[t]."""
    for t in range(g.shape[0]):
        k = _exp_neg(-gamma * max(si + sq[t] - 2.0 * g[t], 0.0))
        g[t] = k
        out[t] += k


@njit(cache=True, fastmath=_EXP_MATH)
def _exp_row(d, gamma, out):
    """d[t] <- exp(-gamma d[t]) in place; out[t] += d[t]."""
    for t in range(d.shape[0]):
        k = _exp_neg(-gamma * d[t])
        d[t] = k
        out[t] += k


@njit(cache=True, fastmath=_EXP_MATH)
def _exp_inplace(d, gamma):
    """d[t] <- exp(-gamma d[t])."""
    for t in range(d.shape[0]):
        d[t] = _exp_neg(-gamma * d[t])


@njit(cache=True, fastmath=True)
def _sum(a):
    s = 0.0
    for t in range(a.shape[0]):
        s += a[t]
    return s


@njit(cache=True, nogil=True)
def gram_tile_sums(G, sq_rows, sq_cols, gamma, diagonal, row_out, col_out):
    """Add one tile's RBF kernel values to the column sums. ``G`` holds the dot
    products of rows a (``sq_rows`` their squared norms) with rows b (``sq_cols``):
    k = exp(-gamma max(|a|^2 + |b|^2 - 2 a.b, 0)), written over ``G``. Each value
    goes to its row's sum (``row_out``) and its column's (``col_out``). On a
    ``diagonal`` tile (a and b the same rows) only the pairs above the diagonal
    count, plus k(x, x) = 1, so every pair of the triangle is visited once."""
    for r in range(G.shape[0]):
        start = r + 1 if diagonal else 0
        g = G[r, start:]
        _rbf_row(g, sq_cols[start:], sq_rows[r], gamma, col_out[start:])
        row_out[r] += _sum(g) + (1.0 if diagonal else 0.0)


@njit(cache=True, fastmath=True)
def _distances(X, c, out):
    """out[j] = ||x_j - x_c||^2 from the differences (no cancellation)."""
    for j in range(X.shape[0]):
        d = 0.0
        for f in range(X.shape[1]):
            t = X[j, f] - X[c, f]
            d += t * t
        out[j] = d


@njit(cache=True, fastmath=True)
def _l1_distances(X, c, out):
    for j in range(X.shape[0]):
        d = 0.0
        for f in range(X.shape[1]):
            d += abs(X[j, f] - X[c, f])
        out[j] = d


@njit(cache=True)
def column_kernel(X, c, gamma, laplacian):
    """k(x_j, x_c) for every row j from the coordinate differences: the reference
    values (the prototypes' running sums and the near-tie re-check use them).
    Two rows that are equal get bit-identical columns."""
    out = np.empty(X.shape[0])
    if laplacian:
        _l1_distances(X, c, out)
    else:
        _distances(X, c, out)
    _exp_inplace(out, gamma)
    return out


@njit(cache=True, fastmath=True)
def _l1_tail(X, i, d):
    """d[t] = ||x_i - x_{i+1+t}||_1 for the rows after i."""
    for t in range(d.shape[0]):
        s = 0.0
        for f in range(X.shape[1]):
            s += abs(X[i, f] - X[i + 1 + t, f])
        d[t] = s


@njit(cache=True, parallel=True)
def colsum_laplacian(X, gamma, n_parts):
    """Column sums of the Laplacian kernel from the pairs i < j (no Gram formula
    for the L1 distance): each part its own buffers, rows dealt round-robin so the
    triangle's work is even."""
    n = X.shape[0]
    partial = np.zeros((n_parts, n))
    for part in prange(n_parts):
        d = np.empty(n)
        buf = partial[part]
        for i in range(part, n, n_parts):
            di = d[: n - i - 1]
            _l1_tail(X, i, di)
            _exp_row(di, gamma, buf[i + 1 :])
            buf[i] += 1.0 + _sum(di)
    out = np.zeros(n)
    for part in range(n_parts):
        for i in range(n):
            out[i] += partial[part, i]
    return out


@njit(cache=True)
def greedy_prototypes(X, colsum, err, m, gamma, laplacian):
    """Greedy MMD^2 minimisation for an exact kernel (k(x, x) = 1).

    ``colsum`` are fast column sums with per-row error bounds ``err``; the picks
    are those of the reference column sums (the sums of ``column_kernel``): when
    rows' gains lie within their error bounds of the best one, their reference
    sums are computed and decide, ties going to the lowest index (as argmax does).
    ``colsum`` is updated in place with every reference sum computed. Returns the
    picks, per row the sum of kernel values against them, and the sum of kernel
    values over the chosen pairs."""
    n = X.shape[0]
    chosen = np.empty(m, dtype=np.int64)
    s_in = np.zeros(n)  # sum_{j in S} k(x_i, x_j)
    available = np.ones(n, dtype=np.bool_)
    exact = np.zeros(n, dtype=np.bool_)
    gain = np.empty(n)
    sum_cs = 0.0  # sum_{j in S} colsum[j]
    sum_ss = 0.0  # sum_{i, j in S} k(x_i, x_j)
    for step in range(m):
        size = step + 1
        # J(S + c) = 2/(n|S+c|) sum_{S+c} colsum - 1/|S+c|^2 sum_{i, j in S+c} k
        a = 2.0 / (n * size)
        b = 1.0 / (size * size)
        best = -np.inf
        best_i = -1
        for i in range(n):
            if available[i]:
                gain[i] = a * (sum_cs + colsum[i]) - b * (sum_ss + 2.0 * s_in[i] + 1.0)
                if gain[i] > best:
                    best = gain[i]
                    best_i = i
        # rows whose reference gain could beat the best one's: re-check them
        band = 0.0
        for i in range(n):
            if available[i] and not exact[i]:
                band = max(band, err[i])
        if not exact[best_i]:
            band += err[best_i]
        band *= a
        tied = 0
        for i in range(n):
            if available[i] and gain[i] >= best - band:
                tied += 1
        if tied > 1:
            floor = best - band
            best = -np.inf
            for i in range(n):
                if available[i] and gain[i] >= floor:
                    if not exact[i]:
                        colsum[i] = _sum(column_kernel(X, i, gamma, laplacian))
                        exact[i] = True
                        gain[i] = a * (sum_cs + colsum[i]) - b * (sum_ss + 2.0 * s_in[i] + 1.0)
                    if gain[i] > best:
                        best = gain[i]
                        best_i = i
        c = best_i
        col = column_kernel(X, c, gamma, laplacian)
        if not exact[c]:
            colsum[c] = _sum(col)
            exact[c] = True
        sum_cs += colsum[c]
        sum_ss += 2.0 * s_in[c] + 1.0
        for i in range(n):
            s_in[i] += col[i]
        available[c] = False
        chosen[step] = c
    return chosen, s_in, sum_ss
