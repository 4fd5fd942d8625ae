"""numba kernels for MMD-critic (``surrogates.prototypes``): kernel column sums
in one pass over the row pairs and single kernel columns, nothing n x n held.
Kept apart from ``prototypes`` so that importing it does not load numba."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, fastmath=True, inline="always")
def _kernel(X, i, j, gamma, laplacian):
    """exp(-gamma ||x_i - x_j||^2) (RBF) or exp(-gamma ||x_i - x_j||_1) (Laplacian)."""
    d = 0.0
    if laplacian:
        for f in range(X.shape[1]):
            d += abs(X[i, f] - X[j, f])
    else:
        for f in range(X.shape[1]):
            t = X[i, f] - X[j, f]
            d += t * t
    return np.exp(-gamma * d)


@njit(cache=True, parallel=True, fastmath=True)
def colsum_kernel(X, gamma, laplacian, n_parts):
    """Column sums of the kernel matrix from the pairs i < j only, in one pass: each
    pair's distance, its kernel value, added to both rows' sums (each part its own
    buffer, rows dealt round-robin so the triangle's work is even). Nothing n x n
    is ever held."""
    n = X.shape[0]
    partial = np.zeros((n_parts, n))
    for part in prange(n_parts):
        for i in range(part, n, n_parts):
            own = 1.0  # k(x, x) = 1
            for j in range(i + 1, n):
                k = _kernel(X, i, j, gamma, laplacian)
                own += k
                partial[part, j] += k
            partial[part, i] += own
    out = np.zeros(n)
    for part in range(n_parts):
        for i in range(n):
            out[i] += partial[part, i]
    return out


@njit(cache=True, fastmath=True)
def column_kernel(X, c, gamma, laplacian):
    """k(x_i, x_c) for every row, computed as colsum_kernel computes it (serial: one
    column is too little work to wake threads for, once per greedy step)."""
    n = X.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = _kernel(X, i, c, gamma, laplacian)
    return out
