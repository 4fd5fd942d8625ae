"""Partial dependence (Friedman 2001) and ICE curves (Goldstein et al. 2015).

``method="brute"`` sets the feature(s) to each grid value in every row and asks
the model, many grid values per call. ``method="tree"`` computes the same
numbers exactly from the tree structure (see ``_tree_pd``): the interventional
partial dependence, mean over rows of f(v, x_C), not scikit-learn's
``method="recursion"`` (which weighs branches by training cover).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._common import feature_index, make_grid, output_names, outputs, prepare

_KINDS = ("average", "individual", "both")


@dataclass(frozen=True)
class PartialDependence:
    """Partial dependence of one feature or a pair.

    ``average`` has shape (len(grid[0]),[ len(grid[1]),] n_outputs);
    ``individual`` (ICE, one curve per row of X) has shape
    (n_rows, len(grid[0]),[ len(grid[1]),] n_outputs), or is None for
    ``kind="average"``. ``scale`` names the output: "output" (what the black box
    returns: a probability of the positive class, or every class, or the value)
    or "raw margin" (``method="tree"`` on a boosted classifier).
    """

    features: tuple[str, ...]
    grid: tuple[np.ndarray, ...]
    average: np.ndarray
    individual: np.ndarray | None
    output_names: tuple[str, ...]
    method: str
    scale: str
    deciles: tuple[np.ndarray, ...]  # of each feature in X, for a rug

    def centered(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(average, individual) minus their value at the first grid point (c-ICE)."""
        first = (0,) * len(self.features)  # the first grid cell
        avg = self.average - self.average[first]
        ind = None
        if self.individual is not None:
            anchor = self.individual[(slice(None),) + (0,) * len(self.features)]
            ind = self.individual - anchor.reshape(
                (anchor.shape[0],) + (1,) * len(self.features) + anchor.shape[1:]
            )
        return avg, ind

    def to_frame(self) -> pd.DataFrame:
        """Long table of the average curve: grid value(s), output, value."""
        mesh = np.meshgrid(*self.grid, indexing="ij")
        k = self.average.shape[-1]
        outs = list(self.output_names) if len(self.output_names) == k else list(range(k))
        frames = []
        for o in range(k):
            cols = {f: m.reshape(-1) for f, m in zip(self.features, mesh, strict=True)}
            cols["output"] = outs[o]
            cols["value"] = self.average[..., o].reshape(-1)
            frames.append(pd.DataFrame(cols))
        return pd.concat(frames, ignore_index=True)


def _brute_ice(bb, X: np.ndarray, feats: list[int], grids: list[np.ndarray], batch_rows: int):
    """ICE by asking the model: (n, g1[, g2], k), many grid cells per call."""
    mesh = np.stack([m.reshape(-1) for m in np.meshgrid(*grids, indexing="ij")], axis=1)
    n = X.shape[0]
    per_call = max(1, int(batch_rows) // n)
    parts = []
    for start in range(0, len(mesh), per_call):
        cells = mesh[start : start + per_call]
        stacked = np.repeat(X[None], len(cells), axis=0)
        stacked[:, :, feats] = cells[:, None, :]
        out = outputs(bb, stacked.reshape(-1, X.shape[1]))
        parts.append(out.reshape(len(cells), n, -1))
    out = np.concatenate(parts, axis=0)  # (cells, n, k)
    shape = tuple(len(g) for g in grids)
    return np.moveaxis(out, 0, 1).reshape((n,) + shape + (out.shape[-1],))


def _tree_scale(blackbox, bb, ens):
    """Columns of the ensemble's raw output that match the black box's output, and the scale."""
    if ens.link == "identity":
        if bb.task == "classification" and ens.n_outputs == 2:
            return [1], "output"  # the positive class, as the black box reports it
        return list(range(ens.n_outputs)), "output"
    return list(range(ens.n_outputs)), "raw margin"


def read_tree_model(blackbox):
    """The tree arrays of a supported model, or None when it is not one."""
    from ..shap._tree_readers import read_model_cached

    model = getattr(blackbox, "__self__", blackbox)  # a bound method: its estimator
    try:
        ens = read_model_cached(model)
    except TypeError:
        return None
    cat = getattr(ens, "cat_index", None)
    if cat is not None and np.any(np.asarray(cat) >= 0):
        return None  # categorical splits: the grid-range walk assumes threshold splits
    return ens


def partial_dependence(
    blackbox,
    X,
    features,
    *,
    kind: str = "average",
    grid=50,
    method: str = "auto",
    percentiles: tuple[float, float] = (0.05, 0.95),
    max_rows: int | None = None,
    random_state=None,
    batch_rows: int = 262144,
) -> PartialDependence:
    """Partial dependence and ICE curves of one feature or a pair.

    Parameters
    ----------
    blackbox : any model ``as_blackbox`` accepts
    X : array-like or DataFrame, the rows averaged over
    features : name or index, or a pair of them
    kind : {"average", "individual", "both"}, default="average"
        Keep the average curve, the per-row ICE curves, or both (the average is
        always filled; ``individual`` only for "individual" and "both").
    grid : int or array-like, or a tuple of two of them (one per feature of a pair)
        Number of points (unique values if fewer, else evenly spaced between
        ``percentiles``), or the values themselves.
    method : {"auto", "brute", "tree"}, default="auto"
        "tree": exact from the tree structure (xgboost, scikit-learn trees,
        forests and gradient boosting, glassbox trees), on the model's raw scale
        (probabilities for forests, margins for boosted classifiers). "auto" uses
        it when that scale is the black box's own output, else "brute".
    max_rows : int or None
        Average over a random subset of this many rows.

    Returns
    -------
    PartialDependence
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    if method not in ("auto", "brute", "tree"):
        raise ValueError(f"method must be 'auto', 'brute' or 'tree', got {method!r}")
    bb, Xa, names = prepare(blackbox, X, allow_nan=True)
    feats = feature_index(features, names)
    if len(feats) not in (1, 2):
        raise ValueError(f"features must be one feature or a pair, got {len(feats)}")
    if max_rows is not None and max_rows < Xa.shape[0]:
        rows = np.sort(np.random.default_rng(random_state).choice(len(Xa), max_rows, replace=False))
        Xa = Xa[rows]
    # a tuple of two for a pair: one grid per feature; anything else: the same for both
    per_feature = isinstance(grid, tuple) and len(grid) == 2 and len(feats) == 2
    grids_in = list(grid) if per_feature else [grid] * len(feats)
    grids = []
    for f, g in zip(feats, grids_in, strict=True):
        col = Xa[:, f]
        col = col[~np.isnan(col)]
        if col.size == 0:
            raise ValueError(f"feature {names[f]!r} is NaN in every row")
        grids.append(make_grid(col, g, percentiles))

    ens = read_tree_model(blackbox) if method in ("auto", "tree") else None
    if method == "tree" and ens is None:
        raise TypeError(
            "method='tree' needs a tree model with threshold splits (xgboost, scikit-learn "
            "DecisionTree*/RandomForest*/ExtraTrees*/GradientBoosting*/HistGradientBoosting*, "
            "glassbox trees; no categorical splits); use method='brute'"
        )
    if ens is not None:
        if bb.task is None or (bb.task == "classification" and bb.classes_ is None):
            bb(Xa[:1], checked=True)  # settles the task and classes
        cols, scale = _tree_scale(blackbox, bb, ens)
        if method == "auto" and scale != "output":
            ens = None
    if ens is not None:
        from ._tree_pd import tree_ice

        ice = tree_ice(ens, Xa, feats, grids)[..., cols]
        if len(feats) == 1:
            ice = ice[:, :, 0, :]
        used = "tree"
        if scale == "raw margin":
            outs = tuple(ens.output_names)
        else:
            outs = output_names(bb, ice.shape[-1])
    else:
        ice = _brute_ice(bb, Xa, feats, grids, batch_rows)
        used, scale = "brute", "output"
        outs = output_names(bb, ice.shape[-1])
    deciles = tuple(np.nanpercentile(Xa[:, f], np.arange(10, 100, 10)) for f in feats)
    return PartialDependence(
        features=tuple(names[f] for f in feats),
        grid=tuple(grids),
        average=ice.mean(axis=0),
        individual=None if kind == "average" else ice,
        output_names=outs,
        method=used,
        scale=scale,
        deciles=deciles,
    )
