"""What every SHAP algorithm shares: input casting, additivity check, row
chunking with a progress bar, mapping over dask partitions, and compiling one
numba kernel both serial and parallel."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator

import numpy as np
from numba import njit

from glassbox._validation import default_feature_names

from .._rows import as_rows  # noqa: F401  (shared with surrogates.blackbox)


def feature_names_of(X, n_features: int, given=None) -> tuple[str, ...]:
    """Names from ``given``, a DataFrame's columns, or x0, x1, ..."""
    if given is not None:
        names = tuple(str(n) for n in given)
    elif hasattr(X, "columns"):
        names = tuple(str(c) for c in X.columns)
    else:
        names = tuple(default_feature_names(n_features))
    if len(names) != n_features:
        raise ValueError(f"got {len(names)} feature names for {n_features} features")
    return names


def check_additivity(
    values: np.ndarray,
    base_values: np.ndarray,
    expected: np.ndarray,
    *,
    method: str,
    rtol: float = 1e-6,
    atol: float = 1e-6,
) -> None:
    """Raise naming the first row where base + sum(values) != the model output.

    Tolerance is relative to the largest |output| so float32 models (xgboost)
    pass while real mistakes do not.
    """
    total = values.sum(axis=1) + base_values
    expected = np.asarray(expected, dtype=np.float64).reshape(total.shape)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    err = np.abs(total - expected)
    err = err if err.ndim == 1 else err.max(axis=tuple(range(1, err.ndim)))
    bad = np.nonzero(
        err > atol * scale + rtol * np.abs(expected).reshape(len(err), -1).max(axis=1)
    )[0]
    if bad.size:
        r = int(bad[0])
        raise ValueError(
            f"{method}: additivity check failed at row {r}: base value + sum of SHAP values "
            f"= {np.ravel(total[r])[0]:.10g} but the model gives {np.ravel(expected[r])[0]:.10g} "
            f"(|difference| {err[r]:.3g}; {bad.size} rows fail). This means the model was not "
            "read correctly; please report it. Pass check_additivity=False to skip the check."
        )


#: seconds of work before a progress bar appears (tqdm's ``delay``): short jobs stay silent
PROGRESS_DELAY = 2.0


def row_chunks(n_rows: int, chunk: int, *, progress: bool, desc: str) -> Iterator[slice]:
    """Slices over rows, with a tqdm bar when ``progress`` and there is more than one chunk.

    The bar appears only once the work has run ~2 s (tqdm's ``delay``): a
    0.04 s job prints nothing."""
    from tqdm.auto import tqdm

    starts = range(0, n_rows, chunk)
    bar = tqdm(
        total=n_rows,
        desc=desc,
        unit="row",
        delay=PROGRESS_DELAY,
        disable=not progress or n_rows <= chunk,
    )
    for start in starts:
        stop = min(start + chunk, n_rows)
        yield slice(start, stop)
        bar.update(stop - start)
    bar.close()


def is_dask(X) -> bool:
    """True for a dask array or dask DataFrame (without importing dask)."""
    module = type(X).__module__
    return module.startswith("dask") and hasattr(
        X, "map_blocks" if hasattr(X, "chunks") else "map_partitions"
    )


def map_dask(explain_block: Callable[[np.ndarray], np.ndarray], X, trailing_shape: tuple[int, ...]):
    """Apply ``explain_block`` (numpy rows -> values array) to every partition of a
    dask array or DataFrame on the user's cluster; returns a lazy dask array of
    shape (n_rows, *trailing_shape)."""
    import dask.array as da

    if not hasattr(X, "chunks"):  # dask DataFrame -> array with known chunk sizes
        X = X.to_dask_array(lengths=True)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got {X.ndim}-D dask array")
    if len(X.chunks[1]) != 1:
        X = X.rechunk({1: -1})  # whole rows in each block

    def block(b):
        return explain_block(np.asarray(b, dtype=np.float64))

    new_axes = {i: s for i, s in enumerate(trailing_shape[1:], start=2)}
    return da.map_blocks(
        block,
        X,
        dtype=np.float64,
        chunks=(X.chunks[0], (trailing_shape[0],)) + tuple((s,) for s in trailing_shape[1:]),
        new_axis=list(new_axes) or None,
    )


def serial_and_parallel(fn: Callable) -> tuple[Callable, Callable]:
    """``fn`` (a plain Python function looping with ``prange``) compiled twice:
    ``njit(cache=True)`` (prange runs as range) and ``njit(cache=True, parallel=True)``.

    numba's on-disk cache names its files after the function's module, qualified
    name and line, and its index keys hold no compile flags: the two builds of
    one function would share a cache entry, and whichever is loaded second gets
    the other's machine code. The parallel build is therefore compiled from a
    copy of ``fn`` (same code, globals and source line) named ``<name>_parallel``.
    """
    twin = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__ + "_parallel", fn.__defaults__, fn.__closure__
    )
    twin.__qualname__ = fn.__qualname__ + "_parallel"
    twin.__doc__ = fn.__doc__
    twin.__module__ = fn.__module__
    return njit(cache=True)(fn), njit(cache=True, parallel=True)(twin)
