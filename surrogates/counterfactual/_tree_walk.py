"""The numba walk of a read tree ensemble (``_fast``): one leaf value per tree
and row, summed per output. Compiled once and cached on disk."""

from __future__ import annotations

from numba import njit, prange


@njit(cache=True, parallel=True)
def ensemble_scores(X, left, right, feature, threshold, value, tree_start, tree_group, out):
    """out[r] += one leaf value per tree (``x <= threshold`` goes left). Blocks of
    64 rows walk one tree after another, so each tree stays in cache; each
    block writes only its own rows of ``out``."""
    n = X.shape[0]
    n_trees = tree_start.shape[0] - 1
    n_blocks = (n + 63) // 64
    for b in prange(n_blocks):
        r0 = b * 64
        r1 = min(n, r0 + 64)
        for t in range(n_trees):
            g = tree_group[t]
            root = tree_start[t]
            for r in range(r0, r1):
                nd = root
                while left[nd] >= 0:
                    if X[r, feature[nd]] <= threshold[nd]:
                        nd = left[nd]
                    else:
                        nd = right[nd]
                if g >= 0:
                    out[r, g] += value[nd, 0]
                else:
                    for k in range(value.shape[1]):
                        out[r, k] += value[nd, k]
