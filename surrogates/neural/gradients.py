"""Gradient maps: saliency, gradient x input, smoothgrad.

``base_values`` is what the attributions leave unexplained, f(x) - sum(values), so that
``values`` summed over the input axes plus ``base_values`` is the model output; the output
itself is in ``extras["output"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _torch as T


def _run(model, X, target, batch_size, per_batch, method, extras=None):
    T.check_model(model)
    x = T.as_input(model, X)
    tgt = T.resolve_target(model, x, target)
    vals, outs = [], []
    for sl in T.batches(x.shape[0], batch_size):
        v, out = per_batch(x[sl], T.rows(tgt, sl))
        vals.append(v.cpu().numpy())
        outs.append(out.cpu().numpy())
    values = np.concatenate(vals).astype(float)
    output = np.concatenate(outs).astype(float)
    base = output - values.reshape(len(values), -1).sum(axis=1)
    info = {"output": output, "target": None if tgt is None or callable(tgt) else tgt.numpy()}
    info.update(extras or {})
    return T.explanation(values, base, x, method, info)


def saliency(
    model: Any, X: Any, target: Any = None, *, abs: bool = True, batch_size: int | None = None
):
    """Gradient of the target output with respect to the input (absolute value by default,
    as captum's ``Saliency``)."""

    def step(xb, tb):
        g, val = T.grad_and_value(model, xb, tb)
        return (g.abs() if abs else g), val

    return _run(model, X, target, batch_size, step, "saliency")


def gradient_x_input(model: Any, X: Any, target: Any = None, *, batch_size: int | None = None):
    """Gradient times input (captum's ``InputXGradient``)."""

    def step(xb, tb):
        g, val = T.grad_and_value(model, xb, tb)
        return g * xb, val

    return _run(model, X, target, batch_size, step, "gradient_x_input")


def smoothgrad(
    model: Any,
    X: Any,
    target: Any = None,
    *,
    n_samples: int = 25,
    noise_level: float = 0.1,
    abs: bool = False,
    random_state: int = 0,
    batch_size: int | None = None,
):
    """Mean gradient over ``n_samples`` noisy copies of each row (Smilkov et al. 2017).

    The noise is Gaussian with standard deviation ``noise_level`` (in input units), drawn
    per batch from ``torch.Generator().manual_seed(random_state + batch_index)`` as
    ``randn((n_samples, *batch.shape))``, so results are reproducible and independent of
    torch's global seed. ``abs=True`` averages absolute gradients."""
    torch = T._torch()
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    if not np.isfinite(noise_level) or noise_level < 0:
        raise ValueError(f"noise_level must be a finite number >= 0, got {noise_level!r}")
    counter = iter(range(1 << 62))

    def step(xb, tb):
        gen = torch.Generator().manual_seed(int(random_state) + next(counter))
        noise = torch.randn((int(n_samples), *xb.shape), generator=gen, dtype=xb.dtype)
        noisy = (xb.unsqueeze(0) + noise_level * noise).reshape(-1, *xb.shape[1:])
        if tb is None or callable(tb):
            tr = tb
        else:
            tr = tb.repeat(int(n_samples))
        g, _ = T.grad_and_value(model, noisy, tr)
        g = g.reshape(int(n_samples), *xb.shape)
        g = g.abs() if abs else g
        return g.mean(dim=0), T.forward(model, xb, tb)

    extras = {"n_samples": int(n_samples), "noise_level": float(noise_level)}
    return _run(model, X, target, batch_size, step, "smoothgrad", extras)
