"""Friedman and Popescu's H statistic (2008): how much of the variation of the
model's output comes from interactions.

For a pair (j, k), H^2 is the share of the centred two-feature partial
dependence that the two one-feature partial dependences do not explain; for a
feature j, the share of the centred output that PD_j + PD_{-j} (all other
features) does not explain. Partial dependences are evaluated at the rows of a
sample (``max_rows``), each by setting the feature(s) to one row's values in
every row of the sample, many rows per model call.
"""

from __future__ import annotations

import itertools

import numpy as np

from glassbox.explanation import GlobalExplanation

from ._common import feature_index, output_names, outputs, prepare


def pd_at_rows(bb, Xs: np.ndarray, cols: list[int], batch_rows: int, call=None) -> np.ndarray:
    """PD of the columns ``cols`` at each row's own values, centred: (n, n_outputs).
    ``call`` replaces the model call (tree models: the scores from their trees)."""
    n = len(Xs)
    per_call = max(1, batch_rows // n)
    parts = []
    for start in range(0, n, per_call):
        anchor = Xs[start : start + per_call]
        stacked = np.repeat(Xs[None], len(anchor), axis=0)
        stacked[:, :, cols] = anchor[:, None, cols]
        rows = stacked.reshape(-1, Xs.shape[1])
        out = outputs(bb, rows) if call is None else call(rows)
        parts.append(out.reshape(len(anchor), n, -1).mean(axis=1))
    pd_ = np.concatenate(parts, axis=0)
    return pd_ - pd_.mean(axis=0)


def _tree_pd(blackbox, bb, Xs: np.ndarray):
    """For tree models whose raw output is the black box's own: functions giving the
    same centred partial dependences from the exact tree PD (``_tree_pd``), else None.

    PD_j at each row is the mean over rows of the ICE curve of j at that row's x_j;
    PD of all other features at a row is that row's ICE curve of j averaged over
    the sample's x_j values (one ICE pass per feature gives both). PD_jk is asked
    of the model row by row (n^2 rows), its trees walked in numba where possible."""
    if isinstance(blackbox, type(bb)) or not hasattr(blackbox, "fit"):
        return None  # a callable or bound method may not output what the trees hold
    from .partial_dependence import _tree_scale, read_tree_model

    ens = read_tree_model(blackbox)
    if ens is None:
        return None
    cols, scale = _tree_scale(blackbox, bb, ens)
    if scale != "output":
        return None
    from ._tree_pd import tree_ice

    def grid_of(j):
        grid = np.unique(Xs[:, j])
        return grid, np.searchsorted(grid, Xs[:, j])

    def one_and_rest(j):
        grid, idx = grid_of(j)
        ice = tree_ice(ens, Xs, [j], [grid])[:, :, 0, :][..., cols]  # (n, g, k)
        one = ice.mean(axis=0)[idx]
        rest = ice[:, idx].mean(axis=1)
        return one - one.mean(axis=0), rest - rest.mean(axis=0)

    from ._tree_predict import tree_scorer

    scorer = tree_scorer(blackbox)

    def pair(j, j2, batch_rows):
        # a pair's PD at n points from the pair ICE would fill an n x n grid per row;
        # the n^2 rows are walked through the trees instead (or the model is asked)
        call = None
        if scorer is not None:

            def call(rows):
                out = scorer.scores(rows)
                return out[:, 1:] if bb.task == "classification" and out.shape[1] == 2 else out

        return pd_at_rows(bb, Xs, [j, j2], batch_rows, call)

    return one_and_rest, pair


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """sqrt(num / den), 0 where the denominator vanishes (a flat effect has no interaction)."""
    return np.sqrt(np.divide(num, den, out=np.zeros_like(num), where=den > 1e-300))


def interaction_strength(
    blackbox,
    X,
    features=None,
    *,
    pairs: bool = True,
    max_rows: int = 200,
    random_state=None,
    batch_rows: int = 262144,
    method: str = "auto",
    progress: bool = False,
) -> GlobalExplanation:
    """Friedman's H statistic per feature and per pair of ``features``.

    Parameters
    ----------
    blackbox : any model ``as_blackbox`` accepts
    X : array-like or DataFrame
    features : names or indices, or None for all
    pairs : bool, default=True
        Also compute H for every pair of ``features``.
    max_rows : int, default=200
        Rows the statistic is computed on (cost grows with its square).
    method : {"auto", "brute", "tree"}, default="auto"
        "tree": the partial dependences from the exact tree PD (scikit-learn
        trees, forests and boosting, xgboost, glassbox trees; the same numbers
        as "brute" up to rounding); "auto" uses it when the trees' raw output is
        the black box's own (not for boosted classifiers' probabilities).

    Returns
    -------
    GlobalExplanation
        ``importances`` is H per feature, (n_features,) or (n_features, n_outputs)
        for several outputs; ``extras["pair_h"]`` the symmetric matrix of pair H
        (NaN on the diagonal; None without pairs), ``extras["pair_names"]``,
        ``extras["h_unnormalised"]`` (sqrt of the numerator, on the output scale).
    """
    from tqdm.auto import tqdm

    if method not in ("auto", "brute", "tree"):
        raise ValueError(f"method must be 'auto', 'brute' or 'tree', got {method!r}")
    bb, Xa, names = prepare(blackbox, X)
    feats = list(range(len(names))) if features is None else feature_index(features, names)
    if len(Xa) > max_rows:
        rows = np.sort(np.random.default_rng(random_state).choice(len(Xa), max_rows, replace=False))
        Xa = Xa[rows]
    batch_rows = max(1, int(batch_rows))
    p_all = Xa.shape[1]
    f = outputs(bb, Xa)
    f = f - f.mean(axis=0)
    k = f.shape[1]
    pair_list = list(itertools.combinations(range(len(feats)), 2)) if pairs else []
    total = len(feats) * 2 + len(pair_list)
    one = {}
    h = np.zeros((len(feats), k))
    h_raw = np.zeros((len(feats), k))
    tree = _tree_pd(blackbox, bb, Xa) if method in ("auto", "tree") else None
    if method == "tree" and tree is None:
        raise TypeError(
            "method='tree' needs a tree model (as the estimator itself) whose raw output is "
            "what the black box returns; use method='brute'"
        )
    with tqdm(total=total, disable=not progress, desc="H statistic") as bar:
        for a, j in enumerate(feats):
            if tree is not None:
                one[j], pd_rest = tree[0](j)
                if p_all == 1:
                    pd_rest = np.zeros_like(f)
            else:
                one[j] = pd_at_rows(bb, Xa, [j], batch_rows)
                rest = [c for c in range(p_all) if c != j]
                pd_rest = pd_at_rows(bb, Xa, rest, batch_rows) if rest else np.zeros_like(f)
            num = ((f - one[j] - pd_rest) ** 2).sum(axis=0)
            h[a] = _ratio(num, (f**2).sum(axis=0))
            h_raw[a] = np.sqrt(num / len(Xa))
            bar.update(2)
        pair_h = None
        if pairs:
            pair_h = np.full((len(feats), len(feats), k), np.nan)
            for a, b in pair_list:
                j, j2 = feats[a], feats[b]
                if tree is not None:
                    both = tree[1](j, j2, batch_rows)
                else:
                    both = pd_at_rows(bb, Xa, [j, j2], batch_rows)
                num = ((both - one[j] - one[j2]) ** 2).sum(axis=0)
                pair_h[a, b] = pair_h[b, a] = _ratio(num, (both**2).sum(axis=0))
                bar.update(1)
    squeeze = k == 1
    return GlobalExplanation(
        term_names=tuple(names[j] for j in feats),
        importances=h[:, 0] if squeeze else h,
        intercept=np.zeros(k),
        output_names=output_names(bb, k),
        link="identity",
        method="h_statistic",
        extras={
            "pair_h": None if pair_h is None else (pair_h[..., 0] if squeeze else pair_h),
            "pair_names": tuple((names[feats[a]], names[feats[b]]) for a, b in pair_list),
            "h_unnormalised": h_raw[:, 0] if squeeze else h_raw,
            "n_rows": len(Xa),
        },
    )
