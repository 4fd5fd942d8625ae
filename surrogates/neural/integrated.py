"""Integrated gradients (Sundararajan et al. 2017) with the completeness error driven below tol.

Three ways to do the path integral, stated in ``extras["integration"]``:

* ``"exact"``: for piecewise-linear nets (Linear, Conv, ReLU, LeakyReLU, max/avg pooling,
  Flatten, Dropout and BatchNorm in eval mode) the gradient is constant between the points
  where the activation pattern changes along the path. The path is split at those points
  (found from the output values: on an interval with end gradients g_a != g_b and one kink,
  the kink sits where the two linear pieces meet), so each piece is integrated exactly; a
  piece is accepted once f is linear on it with the end gradient, to ~1e-9 relative in
  float64. Completeness then holds to rounding.
* ``"adaptive"``: any other net: Gauss-Legendre in float64 with the number of nodes doubled
  per row until the completeness error is below ``tol`` (relative to |f(x) - f(baseline)|,
  absolute below 1) or ``max_steps`` is reached (``extras["converged"]`` says which rows met
  it).
* ``"riemann_trapezoid"``, ``"gausslegendre"``, ``"riemann_left"``, ``"riemann_right"``,
  ``"riemann_middle"`` with ``n_steps``: captum's step rules exactly (same alphas and step
  sizes, in the model's dtype), for comparison. Note captum's trapezoid steps sum to
  1 - 1/n_steps, so its completeness error does not fall below about 1/n_steps.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from . import _torch as T

_RULES = ("riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle", "gausslegendre")
_METHODS = ("auto", "exact", "adaptive", *_RULES)


def _piecewise_linear(model) -> bool:
    torch = T._torch()
    nn = torch.nn
    ok = (
        nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ReLU, nn.LeakyReLU, nn.MaxPool1d,
        nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d, nn.Flatten,
        nn.Unflatten, nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.ZeroPad2d,
        nn.ConstantPad1d, nn.ConstantPad2d, nn.Sequential,
    )  # fmt: skip
    bn = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
    for m in model.modules():
        if isinstance(m, bn) and not m.training:
            continue
        if type(m) not in ok:  # subclasses may override forward with anything
            return False
        if isinstance(m, (nn.Dropout, nn.Dropout1d, nn.Dropout2d)) and m.training:
            return False
    return True


def _rule(method: str, n: int):
    if method == "gausslegendre":
        nodes, w = np.polynomial.legendre.leggauss(n)
        return (0.5 * (1 + nodes)).tolist(), (0.5 * w).tolist()
    if n < 2:
        raise ValueError("n_steps must be > 1 for the Riemann rules")
    torch = T._torch()
    steps = [1 / n] * n
    kind = method.split("_")[1]
    if kind == "trapezoid":
        steps[0] /= 2
        steps[-1] /= 2
        alphas = torch.linspace(0, 1, n)
    elif kind == "left":
        alphas = torch.linspace(0, 1 - 1 / n, n)
    elif kind == "middle":
        alphas = torch.linspace(1 / (2 * n), 1 - 1 / (2 * n), n)
    else:
        alphas = torch.linspace(1 / n, 1, n)
    return alphas.tolist(), steps


def _eval_points(model, base, delta, rows, alphas, target, chunk):
    """f and grad at base[rows] + alphas * delta[rows], in chunks of ``chunk`` points."""
    torch = T._torch()
    fs, gs = [], []
    for start in range(0, len(rows), chunk):
        r = rows[start : start + chunk]
        a = alphas[start : start + chunk].view(-1, *([1] * (base.ndim - 1)))
        pts = base[r] + a * delta[r]
        g, f = T.grad_and_value(model, pts, T.rows(target, r))
        fs.append(f)
        gs.append(g)
    return torch.cat(fs), torch.cat(gs)


def _fixed_rule(model, x, b, tgt, alphas, steps):
    torch = T._torch()
    d = x - b
    acc = torch.zeros_like(x)
    for a, w in zip(alphas, steps):  # one step at a time keeps memory at one batch
        g, _ = T.grad_and_value(model, b + a * d, tgt)
        acc += g * w
    return acc * d, len(alphas)


def _exact(model, x, b, tgt, max_evals, chunk):
    """Split each row's path at the activation-pattern changes; integrate pieces exactly."""
    torch = T._torch()
    m = x.shape[0]
    d = x - b
    n0 = 8
    # the ends are taken 1e-9 inside the path: at a zero baseline every max-pool window ties
    # and kinks sit exactly at alpha = 0; the two 1e-9 end slivers are added at the end
    grid = torch.linspace(0, 1, n0 + 1, dtype=x.dtype)
    grid[0], grid[-1] = 1e-9, 1 - 1e-9
    rows = torch.arange(m).repeat_interleave(n0 + 1)
    alph = grid.repeat(m)
    f, g = _eval_points(model, b, d, rows, alph, tgt, chunk)
    f = f.view(m, n0 + 1)
    g = g.view(m, n0 + 1, *x.shape[1:])
    # the work list: intervals [a, c] of one row with f and grad at both ends
    row = torch.arange(m).repeat_interleave(n0)
    a = grid[:-1].repeat(m)
    c = grid[1:].repeat(m)
    fa, fc = f[:, :-1].reshape(-1), f[:, 1:].reshape(-1)
    ga, gc = g[:, :-1].reshape(-1, *x.shape[1:]), g[:, 1:].reshape(-1, *x.shape[1:])
    acc = 1e-9 * (g[:, 0] + g[:, -1])
    evals = torch.full((m,), n0 + 1, dtype=torch.long)
    unresolved = torch.zeros(m, dtype=torch.bool)
    axes = tuple(range(1, x.ndim))
    while len(row):
        dr = d[row]
        L = c - a
        sa = (ga * dr).sum(dim=axes)
        sc = (gc * dr).sum(dim=axes)
        rise = fc - fa
        scale = fa.abs() + fc.abs() + (sa.abs() + sc.abs()) * L + 1e-300
        lin_a = (rise - L * sa).abs() <= 1e-9 * scale
        lin_c = (rise - L * sc).abs() <= 1e-9 * scale
        gmax = torch.maximum(ga.abs().amax(dim=axes), gc.abs().amax(dim=axes))
        same = (ga - gc).abs().amax(dim=axes) <= 1e-9 * gmax + 1e-300
        # a kink changes the gradient, so a piece is accepted only with equal end gradients
        # (f linear on it too); checking f alone would miss kinks that barely bend f
        take = same & lin_a & lin_c
        over = evals[row] >= max_evals
        tiny = ~take & ((L < 1e-11) | over)
        shp = (-1, *([1] * (x.ndim - 1)))
        contrib = torch.where(take.view(shp), ga, 0.0) + torch.where(
            tiny.view(shp), 0.5 * (ga + gc), 0.0
        )
        acc.index_add_(0, row, contrib * L.view(shp))
        unresolved[row[~take & over]] = True  # pieces < 1e-11 wide are fine as trapezoids
        todo = ~(take | tiny)
        if not todo.any():
            break
        row, a, c, fa, fc, ga, gc = (t[todo] for t in (row, a, c, fa, fc, ga, gc))
        sa, sc, L = sa[todo], sc[todo], L[todo]
        # where the two end lines (slopes sa, sc) meet is the kink when there is one; the
        # gradient is taken just either side of it so both halves are single pieces
        den = sa - sc
        t = (fc - fa + a * sa - c * sc) / torch.where(den == 0, 1.0, den)
        ok = (den != 0) & (t > a + 2e-12) & (t < c - 2e-12)
        lo = torch.where(ok, t - 1e-12, 0.5 * (a + c))
        hi = torch.where(ok, t + 1e-12, lo)
        k = len(row)
        both = torch.cat([torch.arange(k), torch.nonzero(ok).view(-1)])
        fp, gp = _eval_points(model, b, d, row[both], torch.cat([lo, hi[ok]]), tgt, chunk)
        f_lo, g_lo = fp[:k], gp[:k]
        f_hi, g_hi = f_lo.clone(), g_lo.clone()
        f_hi[ok], g_hi[ok] = fp[k:], gp[k:]
        evals.index_add_(0, row, 1 + ok.long())
        gap = (hi - lo).view(shp)  # the 2e-12 around a kink: trapezoid
        acc.index_add_(0, row, 0.5 * (g_lo + g_hi) * gap)
        row = torch.cat([row, row])
        a, c = torch.cat([a, hi]), torch.cat([lo, c])
        fa, fc = torch.cat([fa, f_hi]), torch.cat([f_lo, fc])
        ga, gc = torch.cat([ga, g_hi]), torch.cat([g_lo, gc])
    return acc * d, evals.numpy(), ~unresolved.numpy()


def _adaptive(model, x, b, tgt, tol, max_steps, chunk, fx, fb):
    torch = T._torch()
    m = x.shape[0]
    d = x - b
    out = torch.zeros_like(x)
    steps = np.zeros(m, dtype=int)
    conv = np.zeros(m, dtype=bool)
    todo = torch.arange(m)
    n = 16
    axes = tuple(range(1, x.ndim))
    while len(todo):
        nodes, w = np.polynomial.legendre.leggauss(n)
        alphas = torch.as_tensor(0.5 * (1 + nodes), dtype=x.dtype)
        w = torch.as_tensor(0.5 * w, dtype=x.dtype)
        k = len(todo)
        rows = todo.repeat_interleave(n)
        _, g = _eval_points(model, b, d, rows, alphas.repeat(k), tgt, chunk)
        g = g.view(k, n, *x.shape[1:])
        integ = (g * w.view(1, n, *([1] * (x.ndim - 1)))).sum(dim=1) * d[todo]
        out[todo] = integ
        steps[todo.numpy()] = n
        gap = fx[todo] - fb[todo]
        err = (integ.sum(dim=axes) - gap).abs()
        good = (err <= tol * torch.clamp(gap.abs(), min=1.0)).numpy()
        conv[todo.numpy()[good]] = True
        todo = todo[~torch.as_tensor(good)]
        n *= 2
        if n > max_steps:
            break
    return out, steps, conv


def integrated_gradients(
    model: Any,
    X: Any,
    baseline: Any = None,
    target: Any = None,
    tol: float = 1e-5,
    method: str = "auto",
    *,
    n_steps: int = 50,
    max_steps: int = 4096,
    batch_size: int | None = None,
):
    """Integrated gradients along the straight path from ``baseline`` (zeros when None; a
    scalar, one row, or one row per input row) to each row of ``X``.

    ``method="auto"`` picks ``"exact"`` for nets built only from piecewise-linear modules
    (``nn.Sequential`` of Linear / Conv / ReLU / LeakyReLU / pooling / Flatten / Dropout /
    eval BatchNorm) and ``"adaptive"`` otherwise; see the module doc for each method.
    ``max_steps`` caps gradient evaluations per row (exact) or nodes per row (adaptive).

    ``base_values`` is f(baseline); ``extras`` holds ``output`` (f(x)),
    ``completeness_error`` (sum of attributions - (f(x) - f(baseline)), per row),
    ``n_evals`` (gradient evaluations per row), ``converged`` (exact: every piece resolved
    within ``max_steps`` evaluations and the completeness error below ``tol`` relative to
    max(|f(x) - f(baseline)|, 1); adaptive: that error bound met; step rules: always True)
    and ``integration`` (the method used).
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive int, got {n_steps!r}")
    if not isinstance(max_steps, (int, np.integer)) or max_steps < 16:
        raise ValueError(f"max_steps must be an int >= 16, got {max_steps!r}")
    T.check_model(model)
    x = T.as_input(model, X)
    b = _baseline(baseline, x)
    tgt = T.resolve_target(model, x, target)
    if method == "auto":
        method = "exact" if _piecewise_linear(model) else "adaptive"
    if method in _RULES:
        net = model
    else:  # float64 so that kinks are located and completeness checked well below tol
        net = copy.deepcopy(model).double()
        x, b = x.double(), b.double()
    chunk = 256 if batch_size is None else int(batch_size)
    vals, fxs, fbs, evals, conv = [], [], [], [], []
    for sl in T.batches(x.shape[0], batch_size):
        xb, bb, tb = x[sl], b[sl], T.rows(tgt, sl)
        fx, fb = T.forward(net, xb, tb), T.forward(net, bb, tb)
        if method in _RULES:
            alphas, steps = _rule(method, int(n_steps))
            v, ne = _fixed_rule(net, xb, bb, tb, alphas, steps)
            ne, ok = np.full(len(xb), ne), np.ones(len(xb), dtype=bool)
        elif method == "exact":
            v, ne, ok = _exact(net, xb, bb, tb, int(max_steps), chunk)
        else:
            v, ne, ok = _adaptive(net, xb, bb, tb, float(tol), int(max_steps), chunk, fx, fb)
        vals.append(v.cpu().numpy())
        fxs.append(fx.cpu().numpy())
        fbs.append(fb.cpu().numpy())
        evals.append(ne)
        conv.append(ok)
    values = np.concatenate(vals).astype(float)
    fx = np.concatenate(fxs).astype(float)
    fb = np.concatenate(fbs).astype(float)
    err = values.reshape(len(values), -1).sum(axis=1) - (fx - fb)
    conv = np.concatenate(conv)
    if method == "exact":  # all pieces resolved within the budget, and the check passes
        conv &= np.abs(err) <= tol * np.maximum(np.abs(fx - fb), 1.0)
    extras = {
        "output": fx,
        "completeness_error": err,
        "n_evals": np.concatenate(evals),
        "converged": conv,
        "integration": method,
        "target": None if tgt is None or callable(tgt) else tgt.numpy(),
    }
    return T.explanation(values, fb, x, "integrated_gradients", extras)


def _baseline(baseline, x):
    torch = T._torch()
    if baseline is None:
        return torch.zeros_like(x)
    if isinstance(baseline, (int, float, np.floating, np.integer)):
        return torch.full_like(x, float(baseline))
    b = T.as_input_like(baseline, x)
    if b.shape == x.shape[1:]:
        b = b.unsqueeze(0)
    if b.shape[1:] != x.shape[1:] or b.shape[0] not in (1, x.shape[0]):
        raise ValueError(
            f"baseline has shape {tuple(b.shape)}; expected a scalar, one row of shape "
            f"{tuple(x.shape[1:])} or one per row {tuple(x.shape)}"
        )
    return b.expand_as(x).clone()
