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


def pd_at_rows(bb, Xs: np.ndarray, cols: list[int], batch_rows: int) -> np.ndarray:
    """PD of the columns ``cols`` at each row's own values, centred: (n, n_outputs)."""
    n = len(Xs)
    per_call = max(1, batch_rows // n)
    parts = []
    for start in range(0, n, per_call):
        anchor = Xs[start : start + per_call]
        stacked = np.repeat(Xs[None], len(anchor), axis=0)
        stacked[:, :, cols] = anchor[:, None, cols]
        out = outputs(bb, stacked.reshape(-1, Xs.shape[1]))
        parts.append(out.reshape(len(anchor), n, -1).mean(axis=1))
    pd_ = np.concatenate(parts, axis=0)
    return pd_ - pd_.mean(axis=0)


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

    Returns
    -------
    GlobalExplanation
        ``importances`` is H per feature, (n_features,) or (n_features, n_outputs)
        for several outputs; ``extras["pair_h"]`` the symmetric matrix of pair H
        (NaN on the diagonal; None without pairs), ``extras["pair_names"]``,
        ``extras["h_unnormalised"]`` (sqrt of the numerator, on the output scale).
    """
    from tqdm.auto import tqdm

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
    with tqdm(total=total, disable=not progress, desc="H statistic") as bar:
        for a, j in enumerate(feats):
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
