"""Accumulated local effects (Apley and Zhu 2020).

First order: the feature's range is cut at quantiles; for each row the model's
change from the lower to the upper edge of its bin, with the other features
kept, is averaged per bin and accumulated, then centred so the effect averages
zero over the data. Second order (a pair): the same with the double difference
over a cell, minus both first-order effects. A categorical feature's levels are
first put in order by how alike the other features are across levels (the
Kolmogorov-Smirnov distance summed over features, then the first coordinate of
classical multidimensional scaling), as Apley and Zhu do.

All rows' edge evaluations go to the model in one call (in ``batch_rows``
blocks); tree models (scikit-learn trees, forests and boosting, xgboost) are not
called: the same scores come from their trees, walked in parallel with numba
(``_tree_predict``: equal to the model's own output). Bootstrap bands resample the rows' local effects, so they need no more
model calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._common import feature_index, output_names, outputs, prepare


@dataclass(frozen=True)
class ALE:
    """Accumulated local effects of one feature or a pair.

    ``grid`` holds the bin edges (the levels, in the order used, for a
    categorical feature); ``values`` the centred effect at each grid point with
    a last axis per output, ``lower``/``upper`` the bootstrap band (or None),
    ``counts`` the rows per bin (per cell for a pair).
    """

    features: tuple[str, ...]
    kind: str  # "continuous", "categorical" or "pair"
    grid: tuple[np.ndarray, ...]
    values: np.ndarray
    lower: np.ndarray | None
    upper: np.ndarray | None
    counts: np.ndarray
    output_names: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """Long table: grid value(s), output, value (and band)."""
        mesh = np.meshgrid(*self.grid, indexing="ij")
        k = self.values.shape[-1]
        outs = list(self.output_names) if len(self.output_names) == k else list(range(k))
        frames = []
        for o in range(k):
            cols = {f: m.reshape(-1) for f, m in zip(self.features, mesh, strict=True)}
            cols["output"] = outs[o]
            cols["value"] = self.values[..., o].reshape(-1)
            if self.lower is not None:
                cols["lower"] = self.lower[..., o].reshape(-1)
                cols["upper"] = self.upper[..., o].reshape(-1)
            frames.append(pd.DataFrame(cols))
        return pd.concat(frames, ignore_index=True)


def _edges(x: np.ndarray, bins) -> np.ndarray:
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"bins must be at least 1, got {bins}")
        edges = np.unique(np.quantile(x, np.linspace(0, 1, int(bins) + 1)))
    else:
        edges = np.unique(np.asarray(bins, dtype=np.float64).reshape(-1))
    if edges.size < 2:
        raise ValueError("the feature has a single value (or one bin edge); ALE needs two or more")
    return edges


def _bin_index(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin k (1..K) holds edges[k-1] < x <= edges[k]; the lowest edge joins bin 1;
    rows outside the edges are clipped to the end bins."""
    return np.clip(np.searchsorted(edges, x, side="left"), 1, len(edges) - 1)


def _call(bb, X: np.ndarray, batch_rows: int) -> np.ndarray:
    parts = [outputs(bb, X[s : s + batch_rows]) for s in range(0, len(X), batch_rows)]
    return np.concatenate(parts, axis=0)


def order_levels(X: np.ndarray, j: int, levels: np.ndarray) -> np.ndarray:
    """Apley and Zhu's order of a categorical feature's levels: the summed
    Kolmogorov-Smirnov distance of the other features between two levels, reduced
    to one dimension by classical multidimensional scaling."""
    k = len(levels)
    if k <= 2:
        return levels
    dist = np.zeros((k, k))
    others = [c for c in range(X.shape[1]) if c != j]
    for c in others:
        col = X[:, c]
        grid = np.unique(col)
        # empirical CDF of feature c within each level, on the pooled grid
        cdf = np.stack(
            [
                np.searchsorted(np.sort(col[X[:, j] == lv]), grid, side="right")
                / max(1, np.count_nonzero(X[:, j] == lv))
                for lv in levels
            ]
        )
        dist += np.abs(cdf[:, None, :] - cdf[None, :, :]).max(axis=2)
    # classical MDS, first coordinate
    d2 = dist**2
    centre = np.eye(k) - 1.0 / k
    b = -0.5 * centre @ d2 @ centre
    w, v = np.linalg.eigh(b)
    coord = v[:, -1] * np.sqrt(max(w[-1], 0.0))
    if coord[0] > coord[-1]:  # sign of an eigenvector is arbitrary: keep the given order's sense
        coord = -coord
    return levels[np.argsort(coord, kind="stable")]


def _first_order(bb, Xa, j, edges, batch_rows, scorer=None):
    n = len(Xa)
    b = _bin_index(Xa[:, j], edges)
    if scorer is not None:  # the model's own scores from its trees (see _tree_predict)
        out = scorer.two_values(Xa, j, edges[b - 1], edges[b])
        out = out[..., 1:] if bb.task == "classification" and out.shape[-1] == 2 else out
        return b, out[1] - out[0]
    lo, hi = Xa.copy(), Xa.copy()
    lo[:, j] = edges[b - 1]
    hi[:, j] = edges[b]
    out = _call(bb, np.concatenate([lo, hi]), batch_rows)
    return b, out[n:] - out[:n]


def _accumulate_1d(b, delta, K, weights=None):
    """Centred ALE at the K+1 edges from per-row local effects."""
    w = np.ones(len(b)) if weights is None else weights
    counts = np.bincount(b, weights=w, minlength=K + 1)[1:]
    sums = np.stack(
        [
            np.bincount(b, weights=w * delta[:, o], minlength=K + 1)[1:]
            for o in range(delta.shape[1])
        ],
        axis=1,
    )
    mean = np.divide(sums, counts[:, None], out=np.zeros_like(sums), where=counts[:, None] > 0)
    acc = np.vstack([np.zeros((1, delta.shape[1])), np.cumsum(mean, axis=0)])
    # centre: each bin's rows sit, on average, at the middle of its two edges
    centre = ((acc[:-1] + acc[1:]) / 2 * counts[:, None]).sum(axis=0) / counts.sum()
    return acc - centre, counts


def _categorical(bb, Xa, j, levels, batch_rows):
    """Levels in order; rows at level k (k > 0) give f(level k) - f(level k-1)."""
    pos = {float(v): i for i, v in enumerate(levels)}
    b = np.array([pos[float(v)] for v in Xa[:, j]])
    rows = b > 0
    lo, hi = Xa[rows].copy(), Xa[rows].copy()
    lo[:, j] = levels[b[rows] - 1]
    hi[:, j] = levels[b[rows]]
    m = rows.sum()
    out = _call(bb, np.concatenate([lo, hi]), batch_rows)
    delta = np.zeros((len(Xa), out.shape[1]))
    delta[rows] = out[m:] - out[:m]
    return b, delta


def _accumulate_cat(b, delta, K, weights=None):
    w = np.ones(len(b)) if weights is None else weights
    counts = np.bincount(b, weights=w, minlength=K)
    sums = np.stack(
        [np.bincount(b, weights=w * delta[:, o], minlength=K) for o in range(delta.shape[1])],
        axis=1,
    )
    mean = np.divide(sums, counts[:, None], out=np.zeros_like(sums), where=counts[:, None] > 0)
    mean[0] = 0.0
    acc = np.cumsum(mean, axis=0)
    return acc - (acc * counts[:, None]).sum(axis=0) / counts.sum(), counts


def _second_order(bb, Xa, j, j2, e1, e2, batch_rows, scorer=None):
    n = len(Xa)
    b1 = _bin_index(Xa[:, j], e1)
    b2 = _bin_index(Xa[:, j2], e2)
    corners = []
    for a, c in ((1, 1), (0, 1), (1, 0), (0, 0)):  # (hi, hi), (lo, hi), (hi, lo), (lo, lo)
        Z = Xa.copy()
        Z[:, j] = e1[b1 - 1 + a]
        Z[:, j2] = e2[b2 - 1 + c]
        corners.append(Z)
    if scorer is not None:
        out = scorer.scores(np.concatenate(corners))
        out = out[:, 1:] if bb.task == "classification" and out.shape[1] == 2 else out
    else:
        out = _call(bb, np.concatenate(corners), batch_rows)
    delta = out[:n] - out[n : 2 * n] - out[2 * n : 3 * n] + out[3 * n :]
    return b1, b2, delta


def _accumulate_2d(b1, b2, delta, K1, K2, weights=None):
    """Second-order ALE on the (K1+1, K2+1) edge grid (ALEPlot's construction)."""
    w = np.ones(len(b1)) if weights is None else weights
    n_out = delta.shape[1]
    cell = (b1 - 1) * K2 + (b2 - 1)
    counts = np.bincount(cell, weights=w, minlength=K1 * K2).reshape(K1, K2)
    sums = np.stack(
        [
            np.bincount(cell, weights=w * delta[:, o], minlength=K1 * K2).reshape(K1, K2)
            for o in range(n_out)
        ],
        axis=-1,
    )
    mean = np.divide(sums, counts[..., None], out=np.zeros_like(sums), where=counts[..., None] > 0)
    empty = np.argwhere(counts == 0)
    if len(empty):  # an empty cell takes the mean of the nearest non-empty cell
        full = np.argwhere(counts > 0)
        # distances on the unit square so both axes weigh alike
        scale = np.array([max(K1 - 1, 1), max(K2 - 1, 1)], dtype=float)
        d = (((empty[:, None, :] - full[None, :, :]) / scale) ** 2).sum(axis=2)
        near = full[np.argmin(d, axis=1)]
        mean[empty[:, 0], empty[:, 1]] = mean[near[:, 0], near[:, 1]]
    acc = np.zeros((K1 + 1, K2 + 1, n_out))
    acc[1:, 1:] = np.cumsum(np.cumsum(mean, axis=0), axis=1)
    # remove the first-order effect of each feature: the count-weighted mean step
    # (ALEPlot: each cell's step is the mean over its two edges)
    step1 = ((acc[1:, 1:] - acc[:-1, 1:]) + (acc[1:, :-1] - acc[:-1, :-1])) / 2 * counts[..., None]
    main1 = np.vstack(
        [
            np.zeros((1, n_out)),
            np.cumsum(step1.sum(axis=1) / np.maximum(counts.sum(axis=1), 1e-300)[:, None], axis=0),
        ]
    )
    step2 = ((acc[1:, 1:] - acc[1:, :-1]) + (acc[:-1, 1:] - acc[:-1, :-1])) / 2 * counts[..., None]
    main2 = np.vstack(
        [
            np.zeros((1, n_out)),
            np.cumsum(step2.sum(axis=0) / np.maximum(counts.sum(axis=0), 1e-300)[:, None], axis=0),
        ]
    )
    acc = acc - main1[:, None, :] - main2[None, :, :]
    cell_mean = (acc[:-1, :-1] + acc[1:, :-1] + acc[:-1, 1:] + acc[1:, 1:]) / 4
    centre = (cell_mean * counts[..., None]).sum(axis=(0, 1)) / counts.sum()
    return acc - centre, counts


def ale(
    blackbox,
    X,
    features,
    *,
    bins=20,
    categorical: bool = False,
    n_bootstrap: int = 0,
    confidence: float = 0.95,
    random_state=None,
    batch_rows: int = 262144,
) -> ALE:
    """Accumulated local effects of one feature, or the second-order effect of a pair.

    Parameters
    ----------
    blackbox : any model ``as_blackbox`` accepts
    X : array-like or DataFrame
    features : a feature (name or index) or a pair
    bins : int or array of edges, default=20
        Quantile bins (fewer when values repeat), or the edges themselves; for a
        pair, a tuple of two gives each feature its own.
    categorical : bool, default=False
        Treat the (single) feature's values as unordered levels, ordered as
        Apley and Zhu do.
    n_bootstrap : int, default=0
        Resamples of the rows for a pointwise band at ``confidence``.

    Returns
    -------
    ALE
    """
    if not (isinstance(n_bootstrap, (int, np.integer)) and n_bootstrap >= 0):
        raise ValueError(f"n_bootstrap must be a non-negative integer, got {n_bootstrap!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    bb, Xa, names = prepare(blackbox, X)
    feats = feature_index(features, names)
    if len(feats) not in (1, 2):
        raise ValueError(f"features must be one feature or a pair, got {len(feats)}")
    if categorical and len(feats) != 1:
        raise ValueError("categorical=True is for one feature; a pair is taken as two numbers")
    batch_rows = max(1, int(batch_rows))
    from ._tree_predict import tree_scorer

    scorer = tree_scorer(blackbox)  # tree models: the same scores, without calling the model
    rng = np.random.default_rng(random_state)
    n = len(Xa)
    if len(feats) == 1 and categorical:
        j = feats[0]
        levels = order_levels(Xa, j, np.unique(Xa[:, j]))
        b, delta = _categorical(bb, Xa, j, levels, batch_rows)
        fn = lambda w: _accumulate_cat(b, delta, len(levels), w)  # noqa: E731
        grid, kind = (levels,), "categorical"
    elif len(feats) == 1:
        j = feats[0]
        edges = _edges(Xa[:, j], bins)
        b, delta = _first_order(bb, Xa, j, edges, batch_rows, scorer)
        fn = lambda w: _accumulate_1d(b, delta, len(edges) - 1, w)  # noqa: E731
        grid, kind = (edges,), "continuous"
    else:
        j, j2 = feats
        bins2 = bins if isinstance(bins, tuple) and len(bins) == 2 else (bins, bins)
        e1, e2 = _edges(Xa[:, j], bins2[0]), _edges(Xa[:, j2], bins2[1])
        b1, b2, delta = _second_order(bb, Xa, j, j2, e1, e2, batch_rows, scorer)
        fn = lambda w: _accumulate_2d(b1, b2, delta, len(e1) - 1, len(e2) - 1, w)  # noqa: E731
        grid, kind = (e1, e2), "pair"
    values, counts = fn(None)
    lower = upper = None
    if n_bootstrap:
        # a resample is a vector of row multiplicities: the local effects are reused
        draws = np.stack(
            [
                fn(np.bincount(rng.integers(0, n, n), minlength=n).astype(float))[0]
                for _ in range(n_bootstrap)
            ]
        )
        alpha = (1 - confidence) / 2
        lower, upper = np.quantile(draws, [alpha, 1 - alpha], axis=0)
    return ALE(
        features=tuple(names[f] for f in feats),
        kind=kind,
        grid=grid,
        values=values,
        lower=lower,
        upper=upper,
        counts=counts,
        output_names=output_names(bb, values.shape[-1]),
    )
