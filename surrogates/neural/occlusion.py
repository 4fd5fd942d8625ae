"""Occlusion sensitivity (Zeiler & Fergus 2014), as captum's ``Occlusion`` defines it."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from . import _torch as T


def _windows(shape, window, stride):
    """Boolean masks (n_windows, *shape): window starts at k * stride for k up to
    ceil((size - window) / stride), the last one cut at the edge (captum's layout)."""
    torch = T._torch()
    starts = []
    for size, w, s in zip(shape, window, stride):
        n = int(np.ceil((size - w) / s)) + 1
        starts.append([k * s for k in range(n)])
    masks = []
    # captum numbers windows with the first axis varying fastest; the sum is the same anyway
    for corner in itertools.product(*starts):
        m = torch.zeros(shape, dtype=torch.bool)
        m[tuple(slice(c, c + w) for c, w in zip(corner, window))] = True
        masks.append(m)
    return torch.stack(masks)


def occlusion(
    model: Any,
    X: Any,
    window: int | tuple[int, ...],
    stride: int | tuple[int, ...] = 1,
    baseline: Any = 0.0,
    target: Any = None,
    *,
    batch_size: int | None = 256,
):
    """Each value is the mean, over the windows covering it, of f(x) - f(x with the window
    set to ``baseline``). ``window`` and ``stride`` give one size per input axis after the
    row axis (an int means the same on every axis); stride must not exceed the window.

    ``batch_size`` is the number of occluded inputs per forward pass. ``base_values`` is
    f(x) - sum(values); ``extras["output"]`` is f(x)."""
    torch = T._torch()
    T.check_model(model)
    x = T.as_input(model, X)
    shape = tuple(x.shape[1:])
    window = _axes(window, shape, "window")
    stride = _axes(stride, shape, "stride")
    for size, w, s in zip(shape, window, stride):
        if w > size:
            raise ValueError(f"window {window} is larger than the input {shape}")
        if s > w and w < size:
            raise ValueError(f"stride {stride} must not exceed the window {window}")
    if isinstance(baseline, (int, float, np.integer, np.floating)):
        b = torch.full(shape, float(baseline), dtype=x.dtype)
    else:
        b = T.as_input_like(baseline, x)
        if b.shape not in (shape, (1, *shape), x.shape):
            raise ValueError(f"baseline has shape {tuple(b.shape)}; expected a scalar or {shape}")
    b = b.expand_as(x) if b.ndim == x.ndim else b.unsqueeze(0).expand_as(x)
    tgt = T.resolve_target(model, x, target)
    masks = _windows(shape, window, stride)
    mf = masks.to(x.dtype)
    counts = mf.sum(dim=0)
    n_win = len(masks)
    next(T.batches(1, batch_size))  # validates batch_size
    chunk = n_win if batch_size is None else int(batch_size)
    values, outs = [], []
    for i in range(x.shape[0]):
        xi, bi, ti = x[i : i + 1], b[i], T.rows(tgt, slice(i, i + 1))
        fx = T.forward(model, xi, ti)
        diffs = []
        for start in range(0, n_win, chunk):
            m = masks[start : start + chunk]
            occluded = torch.where(m, bi, xi)
            rep = ti if ti is None or callable(ti) else ti.repeat(len(m))
            diffs.append(fx - T.forward(model, occluded, rep))
        d = torch.cat(diffs)
        values.append(((d.view(-1, *([1] * len(shape))) * mf).sum(dim=0) / counts).numpy())
        outs.append(fx.numpy())
    values = np.stack(values).astype(float)
    output = np.concatenate(outs).astype(float)
    base = output - values.reshape(len(values), -1).sum(axis=1)
    extras = {
        "output": output,
        "n_windows": n_win,
        "target": None if tgt is None or callable(tgt) else tgt.numpy(),
    }
    return T.explanation(values, base, x, "occlusion", extras)


def _axes(v, shape, name):
    if isinstance(v, (int, np.integer)):
        v = (int(v),) * len(shape)
    v = tuple(v)
    if len(v) != len(shape) or not all(isinstance(k, (int, np.integer)) and k >= 1 for k in v):
        raise ValueError(f"{name} must be a positive int or {len(shape)} positive ints, got {v}")
    return tuple(int(k) for k in v)
