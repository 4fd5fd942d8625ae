"""Sanity and faithfulness checks for attribution maps.

* ``randomization_test``: Adebayo et al. 2018, "Sanity checks for saliency maps". The
  model's layers are re-initialised from the top (output) layer down, cumulatively
  ("cascading") or one at a time ("independent"), and each randomised model's maps are
  compared with the trained model's by Spearman rank correlation, per row, on the signed
  maps and on their absolute values. A method that explains the model must lose the
  correlation once the weights are random; one that stays high is showing the input
  (edges, the image itself), not what the model learnt. With ``train_fn`` the
  data-randomisation test is run too: a model trained on permuted labels.
* ``deletion_curve`` / ``insertion_curve``: remove (insert) input elements from the most
  attributed first and follow the target output; the area under the curve against the
  same curve for a random order (Samek et al. 2017, Petsiuk et al. 2018).
* ``infidelity``: Yeh et al. 2019, as ``captum.metrics.infidelity``:
  E_I[(I . attribution - (f(x) - f(x - I)))^2] over perturbations I.

Models are torch ``nn.Module``s (torch imported on first use) or, for the curves and
infidelity, any callable of a numpy batch giving scores.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import _torch as T

_BLOCK_NUMBERS = 1 << 24  # inputs built at once by the curves: 128 MB of float64
_GRADIENT_METHODS = ("saliency", "gradient_x_input", "smoothgrad", "integrated_gradients")


# --- helpers -----------------------------------------------------------------------------


def _scores_fn(model) -> Callable[[np.ndarray], np.ndarray]:
    """model -> f(batch as numpy) giving float64 scores (n, k)."""
    from .image import _as_scores_fn

    return _as_scores_fn(model)


def _values_of(attributions, shape) -> np.ndarray:
    vals = getattr(attributions, "values", attributions)
    if hasattr(vals, "detach"):
        vals = vals.detach().cpu().numpy()
    vals = np.asarray(vals, dtype=float)
    if vals.shape != shape:
        raise ValueError(f"attributions have shape {vals.shape}; expected X's shape {shape}")
    if not np.isfinite(vals).all():
        raise ValueError("attributions contain NaN or infinite values")
    return vals


def _as_array(X) -> np.ndarray:
    if hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    try:
        x = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError("X must be a numeric array or tensor") from exc
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"X must have a leading row axis and at least one row, got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("X contains NaN or infinite values")
    return x


def _target_cols(f, x, target) -> np.ndarray:
    out = f(x)
    n, k = out.shape
    if target is None:
        return np.zeros(n, dtype=int) if k == 1 else out.argmax(axis=1)
    t = np.asarray(target)
    if t.ndim == 0:
        t = np.full(n, int(t))
    if t.shape != (n,) or not np.issubdtype(t.dtype, np.integer) or (t < 0).any() or (t >= k).any():
        raise ValueError(f"target must be an int or {n} ints in [0, {k}), got {target!r}")
    return t.astype(int)


def _rank(a: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(a, axis=1)


def _spearman_rows(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of each row of A with the same row of B (average ranks
    for ties, as scipy); NaN where a map is constant."""
    ra, rb = _rank(A), _rank(B)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (ra * rb).sum(axis=1) / den, np.nan)


# --- model randomisation ------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class RandomizationResult:
    """Rank correlations between the trained model's maps and randomised models' maps.

    ``spearman[k, i]`` (``spearman_abs``: on absolute values) is row i's correlation once
    layer ``layers[k]`` is randomised (cascading: it and every layer above it).
    ``data_spearman`` (rows) is the data-randomisation test's, when it was run."""

    method: str
    mode: str
    layers: tuple[str, ...]
    spearman: np.ndarray  # (n_layers, n_rows)
    spearman_abs: np.ndarray  # (n_layers, n_rows)
    data_spearman: np.ndarray | None = None
    data_spearman_abs: np.ndarray | None = None
    layer_types: tuple[str, ...] = ()
    extras: dict = field(default_factory=dict, compare=False)

    @property
    def mean_spearman(self) -> np.ndarray:
        return np.nanmean(self.spearman, axis=1)

    @property
    def mean_spearman_abs(self) -> np.ndarray:
        return np.nanmean(self.spearman_abs, axis=1)

    def to_frame(self) -> pd.DataFrame:
        """One row per randomisation step (then "labels permuted" when run): mean and
        standard deviation over rows of both correlations."""
        rows = [
            {
                "step": k + 1,
                "layer": name,
                "module": self.layer_types[k] if self.layer_types else "",
                "spearman": float(np.nanmean(self.spearman[k])),
                "spearman_sd": float(np.nanstd(self.spearman[k])),
                "spearman_abs": float(np.nanmean(self.spearman_abs[k])),
                "spearman_abs_sd": float(np.nanstd(self.spearman_abs[k])),
            }
            for k, name in enumerate(self.layers)
        ]
        if self.data_spearman is not None:
            rows.append(
                {
                    "step": len(self.layers) + 1,
                    "layer": "labels permuted",
                    "module": "",
                    "spearman": float(np.nanmean(self.data_spearman)),
                    "spearman_sd": float(np.nanstd(self.data_spearman)),
                    "spearman_abs": float(np.nanmean(self.data_spearman_abs)),
                    "spearman_abs_sd": float(np.nanstd(self.data_spearman_abs)),
                }
            )
        frame = pd.DataFrame(rows)
        frame.insert(0, "mode", self.mode)
        frame.insert(0, "method", self.method)
        return frame

    def __repr__(self) -> str:
        last = self.mean_spearman[-1] if len(self.layers) else float("nan")
        return (
            f"RandomizationResult(method={self.method!r}, mode={self.mode!r}; "
            f"{len(self.layers)} layers, {self.spearman.shape[1]} rows; mean Spearman "
            f"after the last step {last:.3f})"
        )


def _method_fn(method):
    if callable(method):
        return method, getattr(method, "__name__", "custom")
    if method not in _GRADIENT_METHODS:
        raise ValueError(f"method must be a callable or one of {_GRADIENT_METHODS}, got {method!r}")
    from . import gradients, integrated

    fn = getattr(gradients, method, None) or getattr(integrated, method)
    return fn, method


def _maps(fn, model, x, target, kwargs) -> np.ndarray:
    out = fn(model, x, target=target, **kwargs)
    vals = getattr(out, "values", out)
    if hasattr(vals, "detach"):
        vals = vals.detach().cpu().numpy()
    return np.asarray(vals, dtype=float).reshape(len(x), -1)


def _param_layers(model):
    """(name, module) of every module owning parameters, from the output down."""
    layers = [
        (name or type(m).__name__, m)
        for name, m in model.named_modules()
        if any(True for _ in m.parameters(recurse=False))
    ]
    return layers[::-1]


def _reinit(module, seed: int) -> None:
    torch = T._torch()
    with torch.random.fork_rng(devices=[]):  # the caller's global RNG is left untouched
        torch.manual_seed(seed)
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
        else:  # a custom module: Gaussian weights at the default Linear scale
            with torch.no_grad():
                for p in module.parameters(recurse=False):
                    p.normal_(0.0, 1.0 / np.sqrt(max(1, p.shape[-1])))
        if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)):
            with torch.no_grad():  # reset_parameters sets weight 1, bias 0: randomise them
                module.weight.normal_(1.0, 0.5)
                module.bias.normal_(0.0, 0.5)


def randomization_test(
    method: str | Callable,
    model: Any,
    X: Any,
    target: Any = None,
    *,
    layers: str = "cascading",
    train_fn: Callable | None = None,
    train_data: tuple | None = None,
    random_state: int = 0,
    **method_kwargs: Any,
) -> RandomizationResult:
    """Model-parameter (and data-label) randomisation test of an attribution method.

    Parameters
    ----------
    method : "saliency", "gradient_x_input", "smoothgrad", "integrated_gradients" or callable
        A callable is called as ``method(model, X, target=target, **method_kwargs)`` and
        returns an explanation (its ``values``) or an array of X's shape.
    model : torch nn.Module
        The trained model; it is not modified (randomised copies are made).
    X : tensor or array
        Rows to explain.
    target : int, ints per row or None
        Class explained; None fixes each row's class predicted by the trained model, so
        the randomised models explain the same output.
    layers : "cascading" or "independent"
        Cascading randomises layers from the top down and keeps them random; independent
        randomises one layer at a time in a fresh copy.
    train_fn, train_data : callable and (X_train, y_train)
        When given, ``train_fn(X_train, y_permuted)`` must return a model trained on
        permuted labels (the data-randomisation test); its maps are compared too.
    random_state : int
        Seeds the re-initialisation (layer k from ``random_state + k``) and the label
        permutation; torch's global RNG is left untouched.
    """
    torch = T._torch()
    T.check_model(model)
    if layers not in ("cascading", "independent"):
        raise ValueError(f"layers must be 'cascading' or 'independent', got {layers!r}")
    if train_fn is not None and (train_data is None or len(train_data) != 2):
        raise ValueError("train_fn needs train_data=(X_train, y_train) to permute the labels of")
    fn, name = _method_fn(method)
    x = T.as_input(model, X)
    model = copy.deepcopy(model).eval()
    with torch.no_grad():
        out = model(x)
    if target is None and out.reshape(len(x), -1).shape[1] > 1:
        target = out.reshape(len(x), -1).argmax(dim=1).numpy()
    ref = _maps(fn, model, x, target, method_kwargs)
    steps = _param_layers(model)
    if not steps:
        raise ValueError("the model has no parameters to randomise")
    rho, rho_abs, names, types = [], [], [], []
    cascade = copy.deepcopy(model)
    cascade_layers = dict(_param_layers(cascade))
    for k, (lname, _) in enumerate(steps):
        if layers == "cascading":
            net = cascade
            _reinit(cascade_layers[lname], int(random_state) + k)
        else:
            net = copy.deepcopy(model)
            _reinit(dict(_param_layers(net))[lname], int(random_state) + k)
        maps = _maps(fn, net, x, target, method_kwargs)
        rho.append(_spearman_rows(ref, maps))
        rho_abs.append(_spearman_rows(np.abs(ref), np.abs(maps)))
        names.append(lname)
        types.append(type(dict(steps)[lname]).__name__)
    d_rho = d_abs = None
    if train_fn is not None:
        Xt, yt = train_data
        perm = np.random.default_rng(random_state).permutation(len(yt))
        y_perm = np.asarray(yt)[perm] if not hasattr(yt, "detach") else yt[perm]
        rand_model = train_fn(Xt, y_perm)
        T.check_model(rand_model)
        maps = _maps(fn, rand_model.eval(), x, target, method_kwargs)
        d_rho = _spearman_rows(ref, maps)
        d_abs = _spearman_rows(np.abs(ref), np.abs(maps))
    return RandomizationResult(
        method=name,
        mode=layers,
        layers=tuple(names),
        layer_types=tuple(types),
        spearman=np.array(rho),
        spearman_abs=np.array(rho_abs),
        data_spearman=d_rho,
        data_spearman_abs=d_abs,
        extras={"target": target},
    )


# --- deletion / insertion -----------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class PerturbationCurve:
    """The target output as the most-attributed input elements are deleted (set to the
    baseline) or inserted (into the baseline), against the same for random orders.

    ``curve[i, k]`` is row i's output after the first ``fractions[k]`` of its elements;
    ``auc`` the trapezoid area over fractions in [0, 1] (``random_*`` the same for a
    random order, averaged over ``n_random`` orders). Deletion: lower AUC is better;
    insertion: higher."""

    kind: str
    fractions: np.ndarray  # (steps + 1,)
    curve: np.ndarray  # (n_rows, steps + 1)
    random_curve: np.ndarray  # (n_rows, steps + 1)
    auc: np.ndarray  # (n_rows,)
    random_auc: np.ndarray  # (n_rows,)
    target: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @property
    def mean_auc(self) -> float:
        return float(self.auc.mean())

    @property
    def mean_random_auc(self) -> float:
        return float(self.random_auc.mean())

    def to_frame(self) -> pd.DataFrame:
        """Long table: fraction, mean output of the attribution order and of random order."""
        return pd.DataFrame(
            {
                "kind": self.kind,
                "fraction": self.fractions,
                "attribution_order": self.curve.mean(axis=0),
                "random_order": self.random_curve.mean(axis=0),
            }
        )

    def __repr__(self) -> str:
        return (
            f"PerturbationCurve({self.kind}; {len(self.auc)} rows, {len(self.fractions) - 1} "
            f"steps; AUC {self.mean_auc:.4g} vs random order {self.mean_random_auc:.4g})"
        )


def _outputs(f, col, imgs, output, batch_size):
    res = []
    for s in range(0, len(imgs), batch_size):
        sc = f(imgs[s : s + batch_size])
        if output == "softmax":
            e = np.exp(sc - sc.max(axis=1, keepdims=True))
            sc = e / e.sum(axis=1, keepdims=True)
        res.append(sc[np.arange(len(sc)), col[s : s + batch_size]])
    return np.concatenate(res)


def _curve(kind, model, X, attributions, target, baseline, steps, output, n_random, random_state,
           batch_size):  # fmt: skip
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if output not in ("raw", "softmax"):
        raise ValueError(f"output must be 'raw' or 'softmax', got {output!r}")
    if not isinstance(n_random, (int, np.integer)) or n_random < 1:
        raise ValueError(f"n_random must be a positive int, got {n_random!r}")
    x = _as_array(X)
    A = _values_of(attributions, x.shape)
    f = _scores_fn(model)
    col = _target_cols(f, x, target)
    n = len(x)
    xf = x.reshape(n, -1)
    d = xf.shape[1]
    b = np.broadcast_to(np.asarray(baseline, dtype=float), x.shape).reshape(n, -1)
    counts = np.round(np.linspace(0, d, steps + 1)).astype(int)
    fractions = counts / d
    rng = np.random.default_rng(random_state)

    # rows per block so that the block's changed inputs stay near _BLOCK_NUMBERS numbers
    per_block = max(1, _BLOCK_NUMBERS // ((steps + 1) * d))

    def run(order):  # order (n, d): element ranks; first counts[k] are changed at step k
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(d)[None].repeat(n, 0), axis=1)
        src, dst = (b, xf) if kind == "deletion" else (xf, b)
        out = np.empty((n, steps + 1))
        for r0 in range(0, n, per_block):
            r = slice(r0, min(n, r0 + per_block))
            changed = rank[r, None, :] < counts[None, :, None]  # (rows, steps+1, d)
            imgs = np.where(changed, src[r, None, :], dst[r, None, :])
            vals = _outputs(f, np.repeat(col[r], steps + 1), imgs.reshape(-1, *x.shape[1:]),
                            output, int(batch_size))  # fmt: skip
            out[r] = vals.reshape(-1, steps + 1)
        return out

    # most attributed first; ties broken by position (stable)
    curve = run(np.argsort(-A.reshape(n, -1), axis=1, kind="stable"))
    rand = np.mean([run(np.argsort(rng.random((n, d)), axis=1)) for _ in range(int(n_random))],
                   axis=0)  # fmt: skip
    return PerturbationCurve(
        kind=kind,
        fractions=fractions,
        curve=curve,
        random_curve=rand,
        auc=np.trapezoid(curve, fractions, axis=1),
        random_auc=np.trapezoid(rand, fractions, axis=1),
        target=col,
    )


def deletion_curve(
    model: Any,
    X: Any,
    attributions: Any,
    *,
    target: Any = None,
    baseline: float | np.ndarray = 0.0,
    steps: int = 20,
    output: str = "raw",
    n_random: int = 1,
    random_state: int | None = None,
    batch_size: int = 256,
) -> PerturbationCurve:
    """Set the most-attributed input elements (every entry of a row, channels separately)
    to ``baseline`` in ``steps`` equal steps and record the target output (``"softmax"``:
    its probability); the same for ``n_random`` random orders (seeded). A faithful
    attribution makes the output fall fast: its AUC is below the random order's.
    ``attributions``: an explanation or an array of X's shape; ``target`` None: each
    row's top class."""
    return _curve("deletion", model, X, attributions, target, baseline, steps, output, n_random,
                  random_state, batch_size)  # fmt: skip


def insertion_curve(
    model: Any,
    X: Any,
    attributions: Any,
    *,
    target: Any = None,
    baseline: float | np.ndarray = 0.0,
    steps: int = 20,
    output: str = "raw",
    n_random: int = 1,
    random_state: int | None = None,
    batch_size: int = 256,
) -> PerturbationCurve:
    """Start from ``baseline`` and insert the row's most-attributed elements first (see
    ``deletion_curve``); a faithful attribution makes the output rise fast: its AUC is
    above the random order's."""
    return _curve("insertion", model, X, attributions, target, baseline, steps, output, n_random,
                  random_state, batch_size)  # fmt: skip


# --- infidelity ---------------------------------------------------------------------------


def infidelity(
    model: Any,
    X: Any,
    attributions: Any,
    *,
    target: Any = None,
    perturb_func: Callable | None = None,
    noise_scale: float = 0.1,
    n_perturb_samples: int = 10,
    normalize: bool = False,
    random_state: int | None = None,
) -> np.ndarray:
    """Infidelity per row (Yeh et al. 2019): the mean over perturbations I of
    (sum(I * attribution) - (f(x) - f(x - I)))^2, f the target output.

    The default perturbation is Gaussian noise of standard deviation ``noise_scale`` (input
    units), seeded by ``random_state``. ``perturb_func`` takes captum's signature: called
    once with the rows repeated ``n_perturb_samples`` times each (repeat_interleave) as a
    torch tensor (numpy array for a non-torch model), it returns (perturbations,
    perturbed inputs). ``normalize`` rescales the attributions by the least-squares beta
    first, as captum does. Equals ``captum.metrics.infidelity`` given the same
    perturbations."""
    if not isinstance(n_perturb_samples, (int, np.integer)) or n_perturb_samples < 1:
        raise ValueError(f"n_perturb_samples must be a positive int, got {n_perturb_samples!r}")
    if not (np.isfinite(noise_scale) and noise_scale > 0):
        raise ValueError(f"noise_scale must be a positive number, got {noise_scale!r}")
    x = _as_array(X)
    A = _values_of(attributions, x.shape)
    f = _scores_fn(model)
    col = _target_cols(f, x, target)
    n, S = len(x), int(n_perturb_samples)
    is_torch = _is_module(model)
    xe = np.repeat(x, S, axis=0)
    if perturb_func is None:
        noise = np.random.default_rng(random_state).normal(0.0, noise_scale, xe.shape)
        pert, xp = noise, xe - noise
    else:
        if is_torch:
            torch = T._torch()
            params = list(model.parameters())
            dtype = params[0].dtype if params else torch.float32
            res = perturb_func(torch.as_tensor(xe, dtype=dtype))
        else:
            res = perturb_func(xe)
        pert, xp = (np.asarray(r.detach().cpu().numpy() if hasattr(r, "detach") else r, float)
                    for r in res)  # fmt: skip
    fx = f(x)[np.arange(n), col]
    fp = f(xp)[np.arange(n * S), np.repeat(col, S)]
    dot = (np.repeat(A, S, axis=0) * pert).reshape(n * S, -1).sum(axis=1).reshape(n, S)
    diff = (np.repeat(fx, S) - fp).reshape(n, S)
    if normalize:
        a2, ab, b2 = (dot**2).sum(1), (dot * diff).sum(1), (diff**2).sum(1)
        beta = np.where(a2 != 0, ab / np.where(a2 != 0, a2, 1.0), 0.0)
        return (beta * beta * a2 - 2 * beta * ab + b2) / S
    return ((dot - diff) ** 2).sum(axis=1) / S


def _is_module(model) -> bool:
    from .image import _is_torch_module

    return _is_torch_module(model)
