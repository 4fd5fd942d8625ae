"""Model-agnostic SHAP plumbing shared by kernel, exact and permutation SHAP.

The value of a coalition S for row x is the interventional expectation
``v(S) = mean_b f(x_S, b_notS)`` over the background rows b. Every algorithm
here asks for v over a block of rows x a block of coalitions; this module
builds all masked rows for that block with one numba kernel and calls the
model once for it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._rows import align_columns
from ..blackbox import BlackBox, as_blackbox
from ._common import as_rows, feature_names_of, map_dask, serial_and_parallel

# Rows handed to the model in one call: large enough that per-call overhead of
# the model (sklearn validation, torch dispatch) is amortised, small enough to
# stay within a few tens of MB (2**18 rows x 16 features x 8 bytes = 32 MB).
MAX_EVAL_ROWS = 2**18
PARALLEL_MIN_ELEMENTS = 2**23


@njit(cache=True, inline="always")
def _fill_pair(X, bg, masks, out, t):  # pragma: no cover - compiled
    """The B rows of (row, coalition) pair t: out[t*B + b] = where(masks[k], X[r], bg[b])."""
    K = masks.shape[0]
    B, M = bg.shape
    r = t // K
    k = t - r * K
    for b in range(B):
        row = t * B + b
        for j in range(M):
            out[row, j] = X[r, j] if masks[k, j] else bg[b, j]


def _fill_masked_body(X, bg, masks, out):  # pragma: no cover - compiled
    """Every (row, coalition) pair; in the parallel build, parallel over the pairs so
    a single row with many coalitions uses every thread too (each pair writes its
    own B rows; in the serial build prange is a plain range)."""
    for t in prange(X.shape[0] * masks.shape[0]):
        _fill_pair(X, bg, masks, out, t)


_fill_masked, _fill_masked_parallel = serial_and_parallel(_fill_masked_body)


def fill_masked(X: np.ndarray, bg: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """All masked rows for rows X x coalitions ``masks`` x background ``bg``."""
    out = np.empty((X.shape[0] * masks.shape[0] * bg.shape[0], X.shape[1]), dtype=np.float64)
    # The copy is memory-bound: one thread writes ~1 GB/s, while waking a
    # thread team costs more than the whole copy for typical blocks (and far
    # more on a busy machine), so threads are used only for very large blocks.
    kernel = _fill_masked_parallel if out.size >= PARALLEL_MIN_ELEMENTS else _fill_masked
    kernel(X, bg, np.ascontiguousarray(masks, dtype=np.bool_), out)
    return out


def coalition_values(
    model: BlackBox, X: np.ndarray, bg: np.ndarray, masks: np.ndarray
) -> np.ndarray:
    """v(S) for every row of X and every coalition in ``masks``: (R, K, O).

    Coalitions are split so each model call sees at most ``MAX_EVAL_ROWS`` rows.
    """
    R, K, B = X.shape[0], masks.shape[0], bg.shape[0]
    out = np.empty((R, K, model.n_outputs_))
    per_call = max(1, MAX_EVAL_ROWS // max(1, R * B))
    for k0 in range(0, K, per_call):
        m = masks[k0 : k0 + per_call]
        y = model(fill_masked(X, bg, m), checked=True)
        out[:, k0 : k0 + len(m)] = y.reshape(R, len(m), B, -1).mean(axis=2)
    return out


def rows_per_block(n_coalitions: int, n_background: int) -> int:
    """Rows explained together so one block of coalitions fits in one model call."""
    return max(1, MAX_EVAL_ROWS // max(1, n_coalitions * n_background))


def prepare(f, X, background, feature_names, *, method: str):
    """Shared validation: rows, background, names and the model adapter (a raw-output
    ``BlackBox``, called once on the background to learn its output shape)."""
    if background is None:
        raise ValueError(
            f"{method} needs background rows (e.g. 50-200 rows of the training data) to "
            "stand in for missing features: pass background=X_train[:100]"
        )
    # one model call per block of masked rows: the blocks are sized here (MAX_EVAL_ROWS)
    model = as_blackbox(f, output="raw", batch_size=np.iinfo(np.int64).max)
    model_names = model.feature_names_in_
    X = align_columns(X, model_names)
    background = align_columns(background, model_names, name="background")
    if model_names is None and hasattr(X, "columns"):
        background = align_columns(
            background, list(X.columns), name="background", against="X's columns"
        )
    Xa = as_rows(X, allow_nan=True)
    bg = as_rows(background, allow_nan=True, name="background")
    if bg.shape[1] != Xa.shape[1]:
        raise ValueError(
            f"background has {bg.shape[1]} features but X has {Xa.shape[1]}; pass rows with "
            "the same columns"
        )
    names = feature_names_of(X, Xa.shape[1], feature_names)
    model.settle(bg)
    model.n_calls_ = model.n_rows_ = 0  # the probe is no part of the explanation's cost
    return Xa, bg, names, model


def seed_of(random_state) -> int:
    """One integer seed per call: every block of rows restarts from it, so a row's
    values do not depend on which block (or dask partition) it falls in."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63 - 1))
    if random_state is None:
        return int(np.random.default_rng().integers(2**63 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        return int(random_state)
    raise TypeError(
        "random_state must be None, a non-negative integer or a numpy Generator, got "
        f"{type(random_state).__name__} {random_state!r}"
    )


def finish(model, Xa, names, phi, fx, v0, *, method: str, check_additivity: bool, extras: dict):
    """Build the LocalExplanation every model-agnostic algorithm returns: base value
    broadcast per row, single-output arrays squeezed (values, output and any
    per-value extras such as standard errors), additivity checked."""
    from glassbox.explanation import LocalExplanation

    from ._common import check_additivity as _check_additivity

    base = np.broadcast_to(v0, fx.shape).copy()
    if model.single_output_:
        phi, base, fx = phi[:, :, 0], base[:, 0], fx[:, 0]
        extras = {
            k: (v[:, :, 0] if isinstance(v, np.ndarray) and v.ndim == 3 else v)
            for k, v in extras.items()
        }
    if check_additivity:
        _check_additivity(phi, base, fx, method=method)
    return LocalExplanation(
        values=phi,
        base_values=base,
        data=Xa,
        feature_names=names,
        output_names=model.output_names(),
        link="identity",
        method=method,
        extras=extras,
    )


def explain_dask(explain, f, X, background, feature_names, *, method: str, **kwargs):
    """``explain`` (kernel_shap, exact_shap, permutation_shap) over the partitions of
    a dask array or DataFrame X: a lazy dask array of values.

    The background is checked and the output shape learnt once, here; every
    partition is explained with the same ``kwargs`` (so a sampled method must be
    given one integer seed, making values independent of the partitioning).
    """
    import pandas as pd

    M = X.shape[1]
    cols = X.columns if hasattr(X, "columns") else None
    template = np.zeros((1, M)) if cols is None else pd.DataFrame(np.zeros((1, M)), columns=cols)
    _, bg, _, model = prepare(f, template, background, feature_names, method=method)
    trailing = (M,) if model.single_output_ else (M, model.n_outputs_)

    def block(rows: np.ndarray) -> np.ndarray:
        if rows.shape[0] == 0:
            return np.zeros((0, *trailing))
        frame = pd.DataFrame(rows, columns=cols) if cols is not None else rows
        return explain(f, frame, bg, check_additivity=False, progress=False, **kwargs).values

    return map_dask(block, X, trailing)
