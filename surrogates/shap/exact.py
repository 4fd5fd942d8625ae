"""Exact interventional SHAP by enumerating all 2^M coalitions.

phi_i = sum over S not containing i of w(|S|) (v(S + i) - v(S)), with
w(s) = s! (M - s - 1)! / M! and v(S) the model's mean output over the
background rows with the features outside S taken from the background. The
sum is one matrix product: phi = V @ W.T, where W[i, S] = w(|S| - 1) if i is in
S and -w(|S|) otherwise; coalitions are processed in blocks so memory stays
bounded and each block is one model call.
"""

from __future__ import annotations

from math import comb

import numpy as np

from glassbox.explanation import LocalExplanation

from ._common import is_dask, row_chunks
from ._masking import MAX_EVAL_ROWS, coalition_values, explain_dask, finish, prepare

MAX_FEATURES = 16


def shapley_weights(M: int) -> np.ndarray:
    """w[s] = s! (M-s-1)! / M! for s = 0..M-1 (exact integers, then float)."""
    return np.array([1.0 / (M * comb(M - 1, s)) for s in range(M)])


def _masks_of(codes: np.ndarray, M: int) -> np.ndarray:
    return ((codes[:, None] >> np.arange(M)) & 1).astype(np.bool_)


def _weight_block(masks: np.ndarray, w: np.ndarray) -> np.ndarray:
    """W[S, i] for a block of coalitions (rows of ``masks``)."""
    size = masks.sum(axis=1)
    M = masks.shape[1]
    plus = w[np.clip(size - 1, 0, M - 1)][:, None]
    minus = np.where(size < M, w[np.clip(size, 0, M - 1)], 0.0)[:, None]
    return np.where(masks, plus, -minus)


def _interaction_block(masks: np.ndarray) -> np.ndarray:
    """W[S, i, j] (i != j): half the Shapley interaction index is sum_S W v(S), with
    W = +-w2(|S - {i, j}|) / 2, + when S holds both or neither of i, j, and
    w2(t) = t! (M - t - 2)! / (M - 1)!; zero diagonal."""
    M = masks.shape[1]
    w2 = shapley_weights(M - 1)
    m = masks.astype(np.int64)
    size = m.sum(axis=1)
    t = size[:, None, None] - m[:, :, None] - m[:, None, :]  # |S - {i, j}|
    same = m[:, :, None] == m[:, None, :]
    W = np.where(same, 0.5, -0.5) * w2[np.clip(t, 0, M - 2)]
    idx = np.arange(M)
    W[:, idx, idx] = 0.0
    return W


def _exact_block(
    model, Xb: np.ndarray, bg: np.ndarray, v0: np.ndarray, inter: np.ndarray | None = None
) -> np.ndarray:
    """phi (R, M, O) for a block of rows; off-diagonal interaction values are
    added into ``inter`` (R, M, M, O) when given."""
    R, M = Xb.shape
    w = shapley_weights(M)
    n_coal = 2**M
    with_inter = inter is not None and M >= 2
    phi = np.zeros((R, M, model.n_outputs_))
    # The empty and full coalitions need no background pass.
    v_full = model(Xb, checked=True)
    step = max(1, MAX_EVAL_ROWS // max(1, R * bg.shape[0]))
    for c0 in range(1, n_coal - 1, step):
        codes = np.arange(c0, min(c0 + step, n_coal - 1))
        masks = _masks_of(codes, M)
        V = coalition_values(model, Xb, bg, masks)  # (R, K, O)
        phi += np.einsum("rko,km->rmo", V, _weight_block(masks, w))
        if with_inter:  # in slices, so the (K, M, M) weights stay small
            for k0 in range(0, len(codes), 1024):
                sub = slice(k0, k0 + 1024)
                inter += np.einsum("rko,kij->rijo", V[:, sub], _interaction_block(masks[sub]))
    ends = _masks_of(np.array([0, n_coal - 1]), M)
    if with_inter:
        W_i = _interaction_block(ends)
        inter += v0[None, None, None, :] * W_i[0][None, :, :, None]
        inter += v_full[:, None, None, :] * W_i[1][None, :, :, None]
    W_ends = _weight_block(ends, w)
    phi += (
        v0[None, None, :] * W_ends[0][None, :, None] + v_full[:, None, :] * W_ends[1][None, :, None]
    )
    return phi, v_full


def exact_shap(
    f,
    X,
    background=None,
    *,
    check_additivity: bool = True,
    progress: bool = True,
    feature_names=None,
    interactions: bool = False,
) -> LocalExplanation:
    """Exact interventional SHAP values of any model, by enumerating all coalitions.

    The cost is 2^M x len(background) model evaluations per row, so M is
    limited to 16 features; use ``kernel_shap`` above that.

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
    check_additivity : bool, default=True
        Raise, naming the first failing row, when base value + sum of values
        differs from the model's output.
    progress : bool, default=True
        Show a tqdm bar over blocks of rows.
    feature_names : sequence of str or None, default=None
        Names for the explanation; default the DataFrame's columns, else x0, x1, ...
    interactions : bool, default=False
        Also give SHAP interaction values in ``extras["interaction_values"]``,
        shape (n, f, f) or (n, f, f, n_outputs), from the same coalitions (no
        extra model calls): off the diagonal half the Shapley interaction index
        (shap's convention), on it phi_i minus the row's off-diagonal sum.

    Returns
    -------
    LocalExplanation
        With ``extras["n_model_evaluations"]``.
    """
    if is_dask(X):
        if interactions:
            raise ValueError("interactions=True is not available for dask inputs")
        return explain_dask(exact_shap, f, X, background, feature_names, method="exact_shap")
    Xa, bg, names, model = prepare(f, X, background, feature_names, method="exact_shap")
    M = Xa.shape[1]
    if M > MAX_FEATURES:
        raise ValueError(
            f"exact_shap enumerates 2^M coalitions; M = {M} features is above the limit of "
            f"{MAX_FEATURES}. Use kernel_shap (sampled, with standard errors) instead"
        )
    v0 = model(bg, checked=True).mean(axis=0)
    rows = max(1, MAX_EVAL_ROWS // max(1, (2**M) * bg.shape[0]))
    phi = np.empty((Xa.shape[0], M, model.n_outputs_))
    fx = np.empty((Xa.shape[0], model.n_outputs_))
    inter = np.zeros((Xa.shape[0], M, M, model.n_outputs_)) if interactions else None
    for sl in row_chunks(Xa.shape[0], rows, progress=progress, desc="exact_shap"):
        phi[sl], fx[sl] = _exact_block(model, Xa[sl], bg, v0, None if inter is None else inter[sl])
    extras = {"n_model_evaluations": model.n_rows_}
    if inter is not None:
        idx = np.arange(M)
        inter[:, idx, idx, :] = phi - inter.sum(axis=2)
    out = finish(
        model,
        Xa,
        names,
        phi,
        fx,
        v0,
        method="exact_shap",
        check_additivity=check_additivity,
        extras=extras,
    )
    if inter is not None:  # added after finish, which squeezes 3-D extras per value
        out.extras["interaction_values"] = inter[..., 0] if model.single_output_ else inter
    return out
