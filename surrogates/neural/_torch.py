"""Shared helpers for the torch attribution methods: torch is imported here, on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassbox.explanation import LocalExplanation


def _torch():
    try:
        import torch
    except ImportError as exc:  # torch is an optional extra
        raise ImportError(
            "surrogates.neural needs torch; install the CPU build with pip install torch"
        ) from exc
    return torch


@dataclass(frozen=True, repr=False)
class NeuralExplanation:
    """Attributions for inputs with more than one axis per row (images N x C x H x W,
    sequences): the same fields as LocalExplanation, but ``values`` and ``data`` keep the
    input's shape, which LocalExplanation (2-D / 3-D only) does not accept."""

    values: np.ndarray  # same shape as the input, (n, C, H, W) for images
    base_values: np.ndarray  # (n,)
    data: np.ndarray
    feature_names: tuple[str, ...]
    output_names: tuple[str, ...]
    link: str
    method: str
    extras: dict = field(default_factory=dict, compare=False)

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    def __repr__(self) -> str:
        return (
            f"NeuralExplanation({self.n_rows} rows; input shape {self.values.shape[1:]}; "
            f"method={self.method!r}, link={self.link!r})"
        )


def check_model(model: Any):
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model must be a torch nn.Module, got {type(model).__name__}; wrap other "
            "callables in a torch module or use surrogates.shap.kernel_shap"
        )
    return model


def as_input(model, X: Any):
    """X (tensor or array) as a detached tensor in the model's floating dtype."""
    torch = _torch()
    params = list(model.parameters())
    dtype = params[0].dtype if params and params[0].is_floating_point() else torch.float32
    if isinstance(X, torch.Tensor):
        t = X.detach().to(dtype)
    else:
        try:
            arr = np.asarray(X, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError("X must be a numeric tensor or array") from exc
        t = torch.as_tensor(arr, dtype=dtype)
    if t.ndim < 2:
        raise ValueError(
            f"X must have a leading row axis (n_rows, ...), got shape {tuple(t.shape)}; "
            "use X.reshape(1, -1) for a single row"
        )
    if t.shape[0] == 0:
        raise ValueError("X has no rows")
    if not torch.isfinite(t).all():
        raise ValueError("X contains NaN or infinite values")
    return t


def select(out, target):
    """The scalar per row to explain. ``target`` is already resolved (tensor of indices,
    None for a single output, or a callable of the output)."""
    if callable(target):
        val = target(out)
        if val.ndim != 1 or val.shape[0] != out.shape[0]:
            raise ValueError("a callable target must return one value per row")
        return val
    if target is None:
        return out.reshape(out.shape[0], -1)[:, 0]
    return out.reshape(out.shape[0], -1).gather(1, target.view(-1, 1)).view(-1)


def resolve_target(model, x, target):
    """Turn ``target`` into per-row class indices (a long tensor), None or a callable.

    None on a multi-output model explains the predicted class of each row."""
    torch = _torch()
    if callable(target) and not isinstance(target, (int, np.integer)):
        return target
    with torch.no_grad():
        out = model(x[:1] if target is not None else x)
    n_out = int(np.prod(out.shape[1:])) if out.ndim > 1 else 1
    n = x.shape[0]
    if target is None:
        if n_out == 1:
            return None
        return out.reshape(n, -1).argmax(dim=1)
    idx = np.asarray(target)
    if idx.ndim == 0:
        idx = np.full(n, int(idx))
    if idx.shape != (n,) or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(
            f"target must be an int, {n} ints (one per row) or a callable; got shape {idx.shape}"
        )
    if (idx < 0).any() or (idx >= n_out).any():
        raise ValueError(f"target indices must lie in [0, {n_out}); the model has {n_out} outputs")
    return torch.as_tensor(idx, dtype=torch.long)


def rows(target, sl):
    if target is None or callable(target):
        return target
    return target[sl]


def grad_and_value(model, x, target):
    """Gradient of the selected output w.r.t. x, and the selected output (both detached)."""
    torch = _torch()
    with torch.enable_grad():
        xi = x.detach().clone().requires_grad_(True)
        val = select(model(xi), target)
        (g,) = torch.autograd.grad(val.sum(), xi)
    return g.detach(), val.detach()


def forward(model, x, target):
    torch = _torch()
    with torch.no_grad():
        return select(model(x), target)


def batches(n: int, batch_size: int | None):
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    step = n if batch_size is None else int(batch_size)
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


def explanation(values, base_values, x, method: str, extras: dict):
    """LocalExplanation for tabular rows (n, d), NeuralExplanation otherwise."""
    values = np.asarray(values, dtype=float)
    data = x.detach().cpu().numpy().astype(float)
    base = np.asarray(base_values, dtype=float)
    if values.ndim == 2:
        names = tuple(f"x{j}" for j in range(values.shape[1]))
        return LocalExplanation(values, base, data, names, ("output",), "identity", method, extras)
    names = tuple(str(s) for s in values.shape[1:])
    return NeuralExplanation(values, base, data, names, ("output",), "identity", method, extras)


def as_input_like(B: Any, x):
    """A baseline (tensor or array) as a tensor with x's dtype; checked for NaN."""
    torch = _torch()
    if isinstance(B, torch.Tensor):
        b = B.detach().to(x.dtype)
    else:
        try:
            b = torch.as_tensor(np.asarray(B, dtype=float), dtype=x.dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError("baseline must be a number, tensor or array") from exc
    if not torch.isfinite(b).all():
        raise ValueError("baseline contains NaN or infinite values")
    return b
