"""Expected gradients (Erion et al. 2021), also called gradient SHAP.

phi(x) = E_{b ~ background, alpha ~ U(0, 1)} [ grad f(b + alpha (x - b)) * (x - b) ],
integrated gradients averaged over baselines drawn from a background set. Its sum over the
input equals f(x) - E_b f(b) in expectation, so ``base_values`` is the mean model output over
the background and the Monte-Carlo completeness gap is reported per row.

For models that are polynomials of degree <= 2 in the inputs (and, more generally,
multilinear in them) integrated gradients from a single baseline b equal the Shapley values
of the game v(S) = f(x_S, b_rest) (Owen's multilinear extension), so expected gradients
estimate the interventional SHAP values that ``surrogates.shap.exact_shap`` computes with the
same background. For other nets (ReLU, tanh) the two are different attributions that agree
only approximately.

Draws (reproducible, independent of ``batch_size`` and of torch's global seed): one
``numpy.random.default_rng(random_state)`` draws, row after row, ``n_samples`` background
indices and ``n_samples`` path positions alpha. ``sampling="stratified"`` (default) cycles
through fresh permutations of the background (each background row used equally often when
``n_samples`` is a multiple of its size, which makes the result exact on linear models) and
takes one alpha per stratum [k/n, (k+1)/n) in random order; ``sampling="iid"`` draws both
uniformly with replacement, as captum's ``GradientShap`` does. Both are unbiased.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _torch as T

_SAMPLING = ("stratified", "iid")


def _draws(rng, n_rows: int, n_bg: int, n_samples: int, sampling: str):
    idx = np.empty((n_rows, n_samples), dtype=np.int64)
    alpha = np.empty((n_rows, n_samples), dtype=float)
    for i in range(n_rows):
        if sampling == "iid":
            idx[i] = rng.integers(0, n_bg, n_samples)
            alpha[i] = rng.random(n_samples)
        else:
            reps = -(-n_samples // n_bg)
            idx[i] = np.concatenate([rng.permutation(n_bg) for _ in range(reps)])[:n_samples]
            alpha[i] = (rng.permutation(n_samples) + rng.random(n_samples)) / n_samples
    return idx, alpha


def expected_gradients(
    model: Any,
    X: Any,
    background: Any,
    target: Any = None,
    n_samples: int = 200,
    batch_size: int | None = 4096,
    random_state: int | None = None,
    *,
    sampling: str = "stratified",
):
    """Expected gradients of the target output for each row of ``X`` over ``background``.

    Parameters
    ----------
    model : torch nn.Module
    X : tensor or array, (n_rows, ...) tabular rows or images (n, C, H, W)
    background : tensor or array, (n_background, ...) with X's shape after the row axis
        The baseline distribution (e.g. 50-200 training rows or k-means centres).
    target : int, per-row ints, callable of the output, or None (predicted class)
    n_samples : int, default 200
        (baseline, alpha) draws per row; the Monte-Carlo error falls as 1/sqrt(n_samples).
    batch_size : int or None, default 4096
        Interpolated points (row x draw) per forward/backward pass; None for one pass.
    random_state : int or None
        Seed of the draws (see the module doc); None draws fresh ones.
    sampling : "stratified" or "iid"

    Returns
    -------
    LocalExplanation (tabular) or NeuralExplanation (more axes), with ``base_values`` the
    mean target output over the background and ``extras``: ``output`` f(x),
    ``completeness_error`` (sum of values - (f(x) - base_values), per row: Monte-Carlo
    error, zero in expectation), ``standard_error`` (per value, sample standard deviation
    over draws / sqrt(n_samples); conservative for stratified draws), ``background_index``
    and ``alpha`` (the draws, (n_rows, n_samples)), ``n_samples``, ``sampling``, ``target``.
    """
    torch = T._torch()
    if sampling not in _SAMPLING:
        raise ValueError(f"sampling must be one of {_SAMPLING}, got {sampling!r}")
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an int >= 2, got {n_samples!r}")
    T.check_model(model)
    x = T.as_input(model, X)
    if background is None:
        raise ValueError("background is required: rows standing in for 'feature absent'")
    bg = T.as_input_like(background, x)
    if bg.shape == x.shape[1:]:
        bg = bg.unsqueeze(0)
    if bg.ndim != x.ndim or bg.shape[1:] != x.shape[1:] or bg.shape[0] == 0:
        raise ValueError(
            f"background has shape {tuple(bg.shape)}; expected (n_background, "
            f"{', '.join(str(s) for s in x.shape[1:])}) like X"
        )
    next(T.batches(1, batch_size))  # validates batch_size
    n, k = x.shape[0], int(n_samples)
    tgt = T.resolve_target(model, x, target)
    idx, alpha = _draws(np.random.default_rng(random_state), n, bg.shape[0], k, sampling)

    # base value: mean target output over the background, per row (targets may differ)
    with torch.no_grad():
        out_bg = model(bg)
    if callable(tgt):
        base = np.full(n, float(T.select(out_bg, tgt).double().mean()))
    elif tgt is None:
        base = np.full(n, float(out_bg.reshape(len(bg), -1)[:, 0].double().mean()))
    else:
        base = out_bg.reshape(len(bg), -1).double().mean(dim=0)[tgt].numpy()

    step = n * k if batch_size is None else int(batch_size)
    rows_per = max(1, step // k)  # whole rows per pass keep the mean simple
    vals, ses, outs = [], [], []
    shp = (1, *([1] * (x.ndim - 1)))
    for start in range(0, n, rows_per):
        sl = slice(start, min(n, start + rows_per))
        xb = x[sl]
        m = xb.shape[0]
        b = bg[torch.as_tensor(idx[sl].reshape(-1))]  # (m * k, ...)
        xr = xb.repeat_interleave(k, dim=0)
        a = torch.as_tensor(alpha[sl].reshape(-1), dtype=x.dtype).view(-1, *shp[1:])
        diff = xr - b
        tr = T.rows(tgt, sl)
        if tr is not None and not callable(tr):
            tr = tr.repeat_interleave(k)
        g, _ = T.grad_and_value(model, b + a * diff, tr)
        per = (g * diff).reshape(m, k, *x.shape[1:]).double()
        vals.append(per.mean(dim=1).numpy())
        ses.append((per.std(dim=1, correction=1) / np.sqrt(k)).numpy())
        outs.append(T.forward(model, xb, T.rows(tgt, sl)).double().numpy())
    values = np.concatenate(vals)
    output = np.concatenate(outs)
    err = values.reshape(n, -1).sum(axis=1) - (output - base)
    extras = {
        "output": output,
        "completeness_error": err,
        "standard_error": np.concatenate(ses),
        "background_index": idx,
        "alpha": alpha,
        "n_samples": k,
        "sampling": sampling,
        "target": None if tgt is None or callable(tgt) else tgt.numpy(),
    }
    return T.explanation(values, base, x, "expected_gradients", extras)
