"""Model-agnostic SHAP plumbing shared by kernel, exact and permutation SHAP.

The value of a coalition S for row x is the interventional expectation
``v(S) = mean_b f(x_S, b_notS)`` over the background rows b. Every algorithm
here asks for v over a block of rows x a block of coalitions; this module
builds all masked rows for that block with one numba kernel and calls the
model once for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

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


@njit(cache=True)
def _fill_masked(X, bg, masks, out):  # pragma: no cover - compiled
    """Every (row, coalition) pair, one thread."""
    for t in range(X.shape[0] * masks.shape[0]):
        _fill_pair(X, bg, masks, out, t)


@njit(cache=True, parallel=True)
def _fill_masked_parallel(X, bg, masks, out):  # pragma: no cover - compiled
    """As _fill_masked, parallel over (row, coalition) pairs so a single row
    with many coalitions uses every thread too; each pair writes its own B rows."""
    for t in prange(X.shape[0] * masks.shape[0]):
        _fill_pair(X, bg, masks, out, t)


def fill_masked(X: np.ndarray, bg: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """All masked rows for rows X x coalitions ``masks`` x background ``bg``."""
    out = np.empty((X.shape[0] * masks.shape[0] * bg.shape[0], X.shape[1]), dtype=np.float64)
    # The copy is memory-bound: one thread writes ~1 GB/s, while waking a
    # thread team costs more than the whole copy for typical blocks (and far
    # more on a busy machine), so threads are used only for very large blocks.
    kernel = _fill_masked_parallel if out.size >= PARALLEL_MIN_ELEMENTS else _fill_masked
    kernel(X, bg, np.ascontiguousarray(masks, dtype=np.bool_), out)
    return out


@dataclass
class ModelFn:
    """f(X) -> (n, n_outputs) float64, with the shape facts the explainers need."""

    fn: object
    columns: object  # DataFrame columns to hand back to f, or None
    single: bool  # f returns 1-D: values are (n, M), not (n, M, O)
    n_outputs: int
    output_names: tuple[str, ...]
    n_calls: int = 0
    n_rows: int = 0

    def __call__(self, X: np.ndarray) -> np.ndarray:
        out = self.raw(X)
        out = out[:, None] if out.ndim == 1 else out
        if out.shape[1] != self.n_outputs:
            raise ValueError(
                f"the model returned {out.shape[1]} outputs per row, but {self.n_outputs} on "
                "the background rows; it must return the same number of outputs on every call"
            )
        return out

    def raw(self, X: np.ndarray) -> np.ndarray:
        self.n_calls += 1
        self.n_rows += X.shape[0]
        data = X
        if self.columns is not None:
            import pandas as pd

            data = pd.DataFrame(X, columns=self.columns)
        out = self.fn(data)
        out = np.asarray(out, dtype=np.float64)
        if out.ndim not in (1, 2) or out.shape[0] != X.shape[0]:
            raise ValueError(
                f"the model returned shape {out.shape} for {X.shape[0]} rows; it must return "
                "one score per row (1-D) or one row of scores per row (2-D)"
            )
        if not np.isfinite(out).all():
            # e.g. NaN in a background row, or a model undefined where x and a
            # background row are mixed: SHAP values would be NaN without a word
            bad = int(np.nonzero(~np.isfinite(out.reshape(len(out), -1)).all(axis=1))[0][0])
            raise ValueError(
                f"the model returned NaN or infinity for the row "
                f"{np.array2string(X[bad], precision=4, threshold=8)} (a row of X, of the "
                "background, or X values mixed with background values). Impute NaN in X "
                "and the background, or make the model finite there"
            )
        return out


def _fitted_names(f):
    """Column names the estimator behind f (itself, or a bound method's owner) was
    fitted on, or None."""
    owner = f if hasattr(f, "fit") else getattr(f, "__self__", None)
    return getattr(owner, "feature_names_in_", None)


def model_function(f, X_template, background: np.ndarray) -> ModelFn:
    """Adapt a callable, or an estimator with predict_proba / predict, to f(X) -> 2-D scores.

    The model is called once on the background to learn its output shape.
    """
    if callable(f) and not hasattr(f, "fit"):
        fn = f
    elif hasattr(f, "predict_proba"):
        fn = f.predict_proba
    elif hasattr(f, "predict"):
        fn = f.predict
    elif callable(f):
        fn = f
    else:
        raise TypeError(
            f"f must be a callable f(X) -> scores or an estimator with predict_proba/predict, "
            f"got {type(f).__name__}"
        )
    # Hand DataFrames back only to estimators fitted on named columns (they
    # check the names); plain callables get numpy arrays, as shap passes them.
    named = _fitted_names(f) is not None
    columns = X_template.columns if named and hasattr(X_template, "columns") else None
    model = ModelFn(fn=fn, columns=columns, single=True, n_outputs=1, output_names=("y",))
    probe = model.raw(background[: min(len(background), 2)])
    model.single = probe.ndim == 1
    model.n_outputs = 1 if model.single else probe.shape[1]
    classes = getattr(getattr(fn, "__self__", None), "classes_", None)
    if model.single:
        model.output_names = ("y",)
    elif classes is not None and len(classes) == model.n_outputs:
        model.output_names = tuple(str(c) for c in classes)
    else:
        model.output_names = tuple(f"y{k}" for k in range(model.n_outputs))
    model.n_calls = model.n_rows = 0
    return model


def coalition_values(model: ModelFn, X: np.ndarray, bg: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """v(S) for every row of X and every coalition in ``masks``: (R, K, O).

    Coalitions are split so each model call sees at most ``MAX_EVAL_ROWS`` rows.
    """
    R, K, B = X.shape[0], masks.shape[0], bg.shape[0]
    out = np.empty((R, K, model.n_outputs))
    per_call = max(1, MAX_EVAL_ROWS // max(1, R * B))
    for k0 in range(0, K, per_call):
        m = masks[k0 : k0 + per_call]
        y = model(fill_masked(X, bg, m))
        out[:, k0 : k0 + len(m)] = y.reshape(R, len(m), B, -1).mean(axis=2)
    return out


def rows_per_block(n_coalitions: int, n_background: int) -> int:
    """Rows explained together so one block of coalitions fits in one model call."""
    return max(1, MAX_EVAL_ROWS // max(1, n_coalitions * n_background))


def prepare(f, X, background, feature_names, *, method: str):
    """Shared validation: rows, background, names and the model adapter."""
    from ._common import as_rows, feature_names_of

    if background is None:
        raise ValueError(
            f"{method} needs background rows (e.g. 50-200 rows of the training data) to "
            "stand in for missing features: pass background=X_train[:100]"
        )
    from .._rows import align_columns

    model_names = _fitted_names(f)
    X = align_columns(X, model_names)
    background = align_columns(background, model_names, name="background")
    if model_names is None and hasattr(X, "columns"):
        background = align_columns(background, list(X.columns), name="background",
                                   against="X's columns")
    Xa = as_rows(X, allow_nan=True)
    bg = as_rows(background, allow_nan=True, name="background")
    if bg.shape[1] != Xa.shape[1]:
        raise ValueError(
            f"background has {bg.shape[1]} features but X has {Xa.shape[1]}; pass rows with "
            "the same columns"
        )
    names = feature_names_of(X, Xa.shape[1], feature_names)
    model = model_function(f, X, bg)
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


def finish(
    model, Xa, names, phi, fx, v0, *, method: str, check_additivity: bool, extras: dict
):
    """Build the LocalExplanation every model-agnostic algorithm returns: base value
    broadcast per row, single-output arrays squeezed (values, output and any
    per-value extras such as standard errors), additivity checked."""
    from glassbox.explanation import LocalExplanation

    from ._common import check_additivity as _check_additivity

    base = np.broadcast_to(v0, fx.shape).copy()
    if model.single:
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
        output_names=model.output_names,
        link="identity",
        method=method,
        extras=extras,
    )
