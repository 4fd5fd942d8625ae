"""Query synthesis: new rows to ask the black box about, that stay on the data.

A surrogate fitted on the training rows alone learns the black box only where
those rows are; the black box can be asked anything, so ``distill`` adds rows
made three ways, each keeping to the data's support:

- jitter: a training row plus Gaussian noise scaled to each feature's spread;
- interpolation: a point on the segment between a row and one of its nearest
  neighbours (as SMOTE does), which fills the gaps along the data manifold;
- marginal: a training row with a random subset of its features redrawn from
  those features' marginals, which probes each feature's effect.

Discrete columns (few distinct values) are snapped back to observed values and
everything is clipped to the observed range, so no query is impossible data.
"""

from __future__ import annotations

import numpy as np

#: default share of each kind. Marginal redraws break correlated features apart
#: (e.g. radius vs area) and cost fidelity on real rows at a fixed student size in
#: benchmarks/distill_fidelity.py, so they are opt-in (query_mix=...).
MIX = {"jitter": 0.5, "interpolate": 0.5, "marginal": 0.0}


class QuerySynthesizer:
    """Draws synthetic rows like ``X``; fitted once, sampled many times."""

    def __init__(
        self,
        X: np.ndarray,
        *,
        jitter: float = 0.1,
        n_neighbors: int = 5,
        redraw: float = 0.25,
        max_discrete: int = 10,
        mix: dict | None = None,
    ):
        self.X = X
        if mix is not None and not isinstance(mix, dict):
            raise TypeError(
                f"query mix must be a dict of shares such as {MIX}, got {type(mix).__name__}"
            )
        mix = dict(MIX if mix is None else mix)
        unknown = set(mix) - set(MIX)
        if unknown or any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
            raise ValueError(
                f"query mix must give non-negative weights to {sorted(MIX)}, got {mix}"
            )
        total = sum(mix.values())
        self.mix = [mix.get(k, 0.0) / total for k in MIX]
        self.jitter = jitter
        self.redraw = redraw
        self.lo, self.hi = X.min(axis=0), X.max(axis=0)
        self.sd = X.std(axis=0)
        self.sd[self.sd == 0] = 1.0
        self.levels = []
        for j in range(X.shape[1]):
            u = np.unique(X[:, j])
            self.levels.append(u if len(u) <= max_discrete else None)
        k = min(n_neighbors + 1, X.shape[0])
        if k >= 2:
            from sklearn.neighbors import NearestNeighbors

            Z = (X - X.mean(axis=0)) / self.sd
            self.neighbors = NearestNeighbors(n_neighbors=k).fit(Z).kneighbors(Z)[1][:, 1:]
        else:
            self.neighbors = None

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` synthetic rows, drawn by kind in the proportions of ``mix``."""
        X = self.X
        m, d = X.shape
        kinds = rng.choice(3, size=n, p=self.mix)
        base = rng.integers(0, m, size=n)
        Q = X[base].copy()
        # jitter
        jit = kinds == 0
        Q[jit] += rng.normal(size=(jit.sum(), d)) * (self.jitter * self.sd)
        # interpolation towards a neighbour
        inter = np.nonzero(kinds == 1)[0]
        if self.neighbors is not None and len(inter):
            nb = self.neighbors[base[inter], rng.integers(0, self.neighbors.shape[1], len(inter))]
            u = rng.random((len(inter), 1))
            Q[inter] = X[base[inter]] + u * (X[nb] - X[base[inter]])
        # marginal redraw of a random subset of features
        marg = np.nonzero(kinds == 2)[0]
        if len(marg):
            mask = rng.random((len(marg), d)) < self.redraw
            mask[np.arange(len(marg)), rng.integers(0, d, len(marg))] = True  # at least one
            donors = rng.integers(0, m, size=(len(marg), d))
            redrawn = X[donors, np.arange(d)[None, :]]
            Q[marg] = np.where(mask, redrawn, Q[marg])
        np.clip(Q, self.lo, self.hi, out=Q)
        for j, lev in enumerate(self.levels):
            if lev is not None:  # discrete column: nearest observed level
                idx = (
                    np.clip(np.searchsorted(lev, Q[:, j]), 1, len(lev) - 1)
                    if len(lev) > 1
                    else None
                )
                if idx is None:
                    Q[:, j] = lev[0]
                else:
                    left, right = lev[idx - 1], lev[idx]
                    Q[:, j] = np.where(Q[:, j] - left <= right - Q[:, j], left, right)
        return Q
