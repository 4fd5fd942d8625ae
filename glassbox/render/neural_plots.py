"""Plots of attributions for neural nets and of their sanity checks (matplotlib).

They read attributes only (``values``, ``data``, ``extras`` of an explanation; the arrays of
a deletion curve or of a randomisation test), so this module imports neither torch nor
``surrogates``. Every function returns a ``matplotlib.figure.Figure`` built with the
object-oriented API (no pyplot state).

* ``image_attribution``: the image in grey with the attribution on top in a diverging
  colormap centred at 0 (red: raises the target score, blue: lowers it), optional segment
  boundaries; ``image_attributions`` puts several methods side by side.
* ``attribution_bars``: one row of a tabular net's attributions as horizontal bars.
* ``perturbation_curves``: deletion / insertion curves against random order, with AUCs.
* ``randomization``: rank correlation with the trained model's maps per randomised layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .plots import _BLUE, _GREY, _RED, _figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_CMAP = "RdBu_r"  # diverging: blue < 0 < red, white at 0


def _channel_axis(shape: tuple[int, ...], given: int | None) -> int | None:
    """Channel axis of one image: None for (H, W); (C, H, W) when the first axis is small
    and the last is not, else (H, W, C)."""
    if len(shape) == 2:
        return None
    if len(shape) != 3:
        raise ValueError(f"an image must be (H, W), (C, H, W) or (H, W, C), got shape {shape}")
    if given is not None:
        return int(given) % 3
    return 0 if shape[0] <= 4 and shape[-1] > 4 else 2


def _image_and_map(explanation: Any, row: int, shape, channel_axis):
    """(grey image (H, W), attribution (H, W) summed over channels, segments or None)."""
    values = np.asarray(explanation.values, dtype=float)[row]
    data = np.asarray(explanation.data, dtype=float)[row]
    extras = getattr(explanation, "extras", {}) or {}
    if shape is not None:
        values, data = values.reshape(shape), data.reshape(shape)
    cax = _channel_axis(values.shape, extras.get("channel_axis", channel_axis))
    if cax is None:
        return data, values, extras.get("segments")
    return data.mean(axis=cax), values.sum(axis=cax), extras.get("segments")


def boundary_segments(seg: np.ndarray) -> np.ndarray:
    """Segment boundaries as line pieces between pixels, (n, 2, 2) of (x, y) in imshow's
    pixel coordinates: one unit piece per pair of neighbouring pixels in different
    segments (thin lines at any resolution, unlike marking whole boundary pixels)."""
    seg = np.asarray(seg)
    i, j = np.nonzero(seg[:, :-1] != seg[:, 1:])  # vertical edge right of (i, j)
    vert = np.stack([np.stack([j + 0.5, i - 0.5], 1), np.stack([j + 0.5, i + 0.5], 1)], 1)
    i, j = np.nonzero(seg[:-1, :] != seg[1:, :])  # horizontal edge below (i, j)
    horiz = np.stack([np.stack([j - 0.5, i + 0.5], 1), np.stack([j + 0.5, i + 0.5], 1)], 1)
    return np.concatenate([vert, horiz]).astype(float)


def _draw_overlay(ax: Axes, grey, attr, seg, *, limit, alpha, boundaries):
    from matplotlib.collections import LineCollection

    ax.imshow(grey, cmap="gray", interpolation="nearest")
    im = ax.imshow(attr, cmap=_CMAP, vmin=-limit, vmax=limit, alpha=alpha,
                   interpolation="nearest")  # fmt: skip
    if boundaries and seg is not None:
        lines = LineCollection(boundary_segments(seg), colors="#ffd700", linewidths=1.2)
        lines.set_gid("segment_boundaries")
        ax.add_collection(lines)
    ax.set_xticks([])
    ax.set_yticks([])
    return im


def image_attribution(
    explanation: Any,
    row: int = 0,
    *,
    shape: tuple[int, ...] | None = None,
    channel_axis: int | None = None,
    boundaries: bool = True,
    alpha: float = 0.75,
    title: str | None = None,
) -> Figure:
    """Two panels: the image (grey), and the attribution over it in a diverging colormap
    centred at 0 with a symmetric range, segment boundaries (``extras["segments"]``, from
    ``explain_image``) in gold when ``boundaries``. ``shape`` reshapes flat rows (a
    tabular net on 8 x 8 digits: ``shape=(8, 8)``); channels are averaged (image) and
    summed (attribution)."""
    grey, attr, seg = _image_and_map(explanation, row, shape, channel_axis)
    limit = float(np.abs(attr).max()) or 1.0
    fig = _figure(7.0, 3.6)
    ax0, ax1 = fig.subplots(1, 2)
    ax0.imshow(grey, cmap="gray", interpolation="nearest")
    ax0.set_xticks([])
    ax0.set_yticks([])
    ax0.set_title("input")
    im = _draw_overlay(ax1, grey, attr, seg, limit=limit, alpha=alpha, boundaries=boundaries)
    method = getattr(explanation, "method", "attribution")
    ax1.set_title(title or method)
    fig.colorbar(im, ax=ax1, shrink=0.85, label="attribution (red raises the score)")
    return fig


def image_attributions(
    explanations: Mapping[str, Any],
    rows: Sequence[int] = (0,),
    *,
    shape: tuple[int, ...] | None = None,
    channel_axis: int | None = None,
    boundaries: bool = True,
    alpha: float = 0.75,
) -> Figure:
    """A grid: one line per row of the inputs, the input first, then one column per
    method (``explanations`` maps a name to an explanation of the same inputs). Each
    panel has its own symmetric range (methods differ in scale)."""
    names = list(explanations)
    rows = list(rows)
    fig = _figure(1.9 * (len(names) + 1), 2.0 * len(rows) + 0.3)
    axes = np.atleast_2d(fig.subplots(len(rows), len(names) + 1, squeeze=False))
    for i, r in enumerate(rows):
        first = explanations[names[0]]
        grey, _, _ = _image_and_map(first, r, shape, channel_axis)
        axes[i, 0].imshow(grey, cmap="gray", interpolation="nearest")
        axes[i, 0].set_xticks([])
        axes[i, 0].set_yticks([])
        axes[i, 0].set_ylabel(f"row {r}")
        if i == 0:
            axes[i, 0].set_title("input", fontsize=9)
        for j, name in enumerate(names, start=1):
            grey, attr, seg = _image_and_map(explanations[name], r, shape, channel_axis)
            limit = float(np.abs(attr).max()) or 1.0
            _draw_overlay(axes[i, j], grey, attr, seg, limit=limit, alpha=alpha,
                          boundaries=boundaries)  # fmt: skip
            if i == 0:
                axes[i, j].set_title(name, fontsize=9)
    return fig


def attribution_bars(explanation: Any, row: int = 0, *, max_features: int = 20) -> Figure:
    """One row's attributions as horizontal bars, largest |value| on top (red > 0, blue
    < 0), labelled ``name = value``; the rest summed in one bar."""
    values = np.asarray(explanation.values, dtype=float)[row]
    if values.ndim != 1:
        raise ValueError(
            f"attribution_bars draws one value per feature; row {row} has shape "
            f"{values.shape}: use image_attribution for images"
        )
    data = np.asarray(explanation.data, dtype=float)[row]
    names = list(explanation.feature_names)
    order = np.argsort(-np.abs(values), kind="stable")
    shown, rest = order[:max_features], order[max_features:]
    labels = [f"{names[j]} = {data[j]:.3g}" for j in shown]
    vals = list(values[shown])
    if rest.size:
        labels.append(f"{rest.size} other features")
        vals.append(float(values[rest].sum()))
    fig = _figure(6.5, 0.32 * len(vals) + 1.4)
    ax = fig.add_subplot()
    y = np.arange(len(vals))[::-1]
    ax.barh(y, vals, color=[_RED if v > 0 else _BLUE for v in vals], height=0.7)
    ax.axvline(0.0, color=_GREY, lw=0.8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("attribution")
    ax.set_title(f"Row {row}: {getattr(explanation, 'method', 'attribution')}")
    return fig


def perturbation_curves(curves: Any, *, labels: Sequence[str] | None = None) -> Figure:
    """Mean deletion / insertion curves (``curve``, ``random_curve`` over ``fractions``)
    of one or more results, random order dashed (once, in grey, when every result has
    the same random curve), the mean AUCs in the legend."""
    curves = list(curves) if isinstance(curves, (list, tuple)) else [curves]
    labels = list(labels) if labels is not None else [None] * len(curves)
    if len(labels) != len(curves):
        raise ValueError(f"{len(labels)} labels for {len(curves)} curves")
    fig = _figure(6.0, 4.0)
    ax = fig.add_subplot()
    colors = [f"C{k}" for k in range(len(curves))]
    kinds = set()
    rand = [np.asarray(c.random_curve).mean(axis=0) for c in curves]
    # the same rows and seed give every method the same random order: draw it once
    shared = all(r.shape == rand[0].shape and np.allclose(r, rand[0]) for r in rand)
    for c, lab, col, r in zip(curves, labels, colors, rand):
        frac = np.asarray(c.fractions)
        kinds.add(c.kind)
        name = lab or c.kind
        ax.plot(frac, np.asarray(c.curve).mean(axis=0), color=col, lw=2,
                label=f"{name}: AUC {np.mean(c.auc):.3g}")  # fmt: skip
        if not shared:
            ax.plot(frac, r, color=col, lw=1.2, ls="--",
                    label=f"{name}, random order: AUC {np.mean(c.random_auc):.3g}")  # fmt: skip
    if shared:
        ax.plot(np.asarray(curves[0].fractions), rand[0], color=_GREY, lw=1.5, ls="--",
                label=f"random order: AUC {np.mean(curves[0].random_auc):.3g}")  # fmt: skip
    ax.set_xlabel(
        "fraction of input "
        + (
            "deleted"
            if kinds == {"deletion"}
            else "inserted"
            if kinds == {"insertion"}
            else "changed"
        )
    )
    ax.set_ylabel("target output (mean over rows)")
    ax.set_xlim(0, 1)
    ax.set_title(" / ".join(sorted(kinds)) + " curves")
    ax.legend(fontsize=8)
    return fig


def randomization(results: Any, *, labels: Sequence[str] | None = None) -> Figure:
    """Spearman correlation with the trained model's maps after each randomisation step
    (x: layers from the output down; "labels permuted" last when run), signed (solid)
    and on absolute values (dashed), +-1 sd over rows shaded. High after randomisation
    means the map does not depend on what the model learnt."""
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    labels = list(labels) if labels is not None else [r.method for r in results]
    fig = _figure(6.5, 4.0)
    ax = fig.add_subplot()
    ticks: list[str] = ["trained"]
    for k, (res, lab) in enumerate(zip(results, labels)):
        rho = [np.asarray(res.spearman, float)]
        rho_abs = [np.asarray(res.spearman_abs, float)]
        types = getattr(res, "layer_types", ()) or ("",) * len(res.layers)
        names = ["trained", *(f"{n} {t}".strip() for n, t in zip(res.layers, types))]
        if res.data_spearman is not None:
            rho.append(np.asarray(res.data_spearman, float)[None])
            rho_abs.append(np.asarray(res.data_spearman_abs, float)[None])
            names.append("labels permuted")
        R, Ra = np.vstack(rho), np.vstack(rho_abs)
        m = np.concatenate([[1.0], np.nanmean(R, axis=1)])
        ma = np.concatenate([[1.0], np.nanmean(Ra, axis=1)])
        sd = np.concatenate([[0.0], np.nanstd(R, axis=1)])
        x = np.arange(len(m))
        col = f"C{k}"
        ax.plot(x, m, "o-", color=col, label=f"{lab}")
        ax.fill_between(x, m - sd, m + sd, color=col, alpha=0.15, lw=0)
        ax.plot(x, ma, "s--", color=col, lw=1, ms=4, label=f"{lab} (|map|)")
        if len(names) > len(ticks):
            ticks = names
    ax.axhline(0.0, color=_GREY, lw=0.8)
    ax.set_xticks(np.arange(len(ticks)), ticks, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(-1.05, 1.05)
    mode = results[0].mode
    ax.set_xlabel(f"randomised layer ({mode}, from the output down)")
    ax.set_ylabel("Spearman rank correlation")
    ax.set_title("Model randomisation test")
    ax.legend(fontsize=8)
    return fig
