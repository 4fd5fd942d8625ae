"""Plots of explanations (matplotlib). They read explanation data only; none fits.

Every function returns a ``matplotlib.figure.Figure`` built with the
object-oriented API (no pyplot state), so it works under any backend and in
the HTML report. ``plot_model(model)`` picks the plots that suit a fitted
glassbox model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..explanation import GlobalExplanation, LocalExplanation, TermShape
from ..models.tree import TreeClassifier, TreeRegressor

if TYPE_CHECKING:  # matplotlib and pandas are imported when a plot is drawn
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: which output of a multi-output explanation: index, name, or None for the last
Output = int | str | None

_BLUE, _RED, _GREY = "#1f77b4", "#d62728", "#7f7f7f"
_DENSITY = "#5f6b7a"  # data density strips: dark enough to read at a glance
_DENSITY_BUCKETS = 30  # at most this many bars in a density strip


def _figure(width: float, height: float, layout: str | None = "constrained"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)  # a renderer for text extents (plot_tree needs one); no pyplot
    return fig


def _pick_output(values: np.ndarray, names: Sequence[str], output, axis: int):
    """Select one output of a multi-output array; returns (array, output name)."""
    if values.ndim <= axis:
        return values, (names[0] if names else None)
    if output is None:
        output = len(names) - 1 if names else values.shape[axis] - 1
    k = list(names).index(output) if isinstance(output, str) else int(output)
    return np.take(values, k, axis=axis), (names[k] if names else str(k))


# --- GLM -------------------------------------------------------------------------


def coefficients(
    explanation: GlobalExplanation,
    *,
    output: Output = None,
    level: float = 0.95,
    per: np.ndarray | None = None,
) -> Figure:
    """Coefficients with confidence intervals (when standard errors exist).

    The 95% interval is the model's own (``extras["conf_int"]``: t-based for a
    normal GLM, as the printout shows it); other levels, or a model without it,
    use Wald intervals from ``extras["standard_errors"]`` (intercept at index 0).
    ``per``: one multiplier per term, e.g. each numeric feature's standard deviation
    (1 for a level term), to draw effects per +1 SD that compare across units.
    """
    from scipy.stats import norm

    if explanation.coefficients is None:
        raise ValueError(f"this explanation ({explanation.method}) has no coefficients to plot")
    coef, out_name = _pick_output(
        np.asarray(explanation.coefficients, float), explanation.output_names, output, axis=1
    )
    names = list(explanation.term_names)
    mult = np.ones(len(names)) if per is None else np.asarray(per, float)
    se = explanation.extras.get("standard_errors")
    ci = explanation.extras.get("conf_int")
    if se is not None and np.ndim(se) == 2:  # multiclass: one row per class, as coefficients
        outs = list(explanation.output_names)
        k = outs.index(out_name) if out_name in outs else len(outs) - 1
        se = np.asarray(se)[k]
        ci = None if ci is None or np.ndim(ci) != 3 else np.asarray(ci)[k]
    fig = _figure(6.5, 0.35 * len(names) + 1.4)
    ax = fig.add_subplot()
    y = np.arange(len(names))[::-1]
    x = coef * mult
    if se is not None and np.ndim(se) == 1 and len(se) == len(names) + 1:
        if ci is not None and np.shape(ci) == (len(names) + 1, 2) and np.isclose(level, 0.95):
            lo, hi = np.asarray(ci, float)[1:].T
            xerr = np.vstack([coef - lo, hi - coef]) * mult
        else:
            z = norm.ppf(0.5 + level / 2)
            xerr = z * np.asarray(se[1:], float) * mult
        ax.errorbar(
            x,
            y,
            xerr=xerr,
            fmt="o",
            color=_BLUE,
            ecolor=_GREY,
            capsize=3,
            label=f"{level:.0%} confidence interval",
        )
        ax.legend(loc="best", fontsize="small")
    else:
        ax.plot(x, y, "o", color=_BLUE)
    ax.axvline(0, color=_GREY, lw=0.8, ls="--")
    ax.set_yticks(y, names)
    scale = {"logit": "log-odds", "log": "log E[y]", "softmax": "class score"}.get(
        explanation.link, "E[y]"
    )
    if per is None:
        ax.set_xlabel(f"coefficient (change in {scale} per +1 unit)")
        title = "Coefficients"
    else:
        ax.set_xlabel(f"change in {scale} per +1 SD (a level: vs its reference)")
        title = "Effects per +1 standard deviation"
    ax.set_title(
        title + (f" ({out_name})" if out_name and len(explanation.output_names) > 1 else "")
    )
    return fig


def _per_sd(model, explanation: GlobalExplanation) -> np.ndarray | None:
    """Each term's standard deviation on the training rows (1 for a level term), from
    a fitted GLM's ``X_std_`` and ``term_columns_``; None when the model has none."""
    sd = getattr(model, "X_std_", None)
    if sd is None or np.shape(sd) != (len(explanation.term_names),):
        return None
    cols = getattr(model, "term_columns_", None)
    levels = [c[1] for c in cols] if cols is not None else [None] * len(sd)
    return np.array([1.0 if lv is not None else float(s) for s, lv in zip(sd, levels)])


# --- additive shape functions ------------------------------------------------------


def _step_edges(term: TermShape) -> np.ndarray | None:
    """Bin edges of a binned (piecewise-constant) 1-D term, else None."""
    return _bin_edges(term.grid[0], None if term.cuts is None else term.cuts[0])


def _bin_edges(grid, cuts) -> np.ndarray | None:
    """Bin edges of one binned feature axis, else None (no cuts: not binned, or levels).

    A binned model (EBM) gives its cut points; the outer edges are placed so the
    grid points stay the bin centres (the model's own feature bounds)."""
    if cuts is None:
        return None
    cuts = np.asarray(cuts, float)
    grid = np.asarray(grid)
    if grid.dtype.kind not in "fiu" or grid.size != cuts.size + 1:
        return None
    grid = grid.astype(float)
    if cuts.size == 0:
        return np.array([grid[0] - 0.5, grid[0] + 0.5])
    return np.concatenate([[2 * grid[0] - cuts[0]], cuts, [2 * grid[-1] - cuts[-1]]])


def _missing_note(term: TermShape, output: Output) -> str:
    """' (missing: +1.21)' when a missing value has a score of its own (binned models
    keep it at index 0 of the lookup table), so the plot does not hide it."""
    if term.lookup is None:
        return ""
    cell = np.asarray(term.lookup, float)[0]
    if cell.ndim:  # one score per output
        if output is None and cell.size > 1:
            return "" if not np.any(cell) else " (missing: see the text)"
        cell, _ = _pick_output(cell, (), output, axis=0)
    value = float(cell)
    return "" if value == 0 else f" (missing: {value:+.3g})"


def _value_at(term: TermShape, values: np.ndarray, x: float, edges: np.ndarray | None) -> float:
    """The term's value at ``x``: its bin's value (binned) or the interpolated line."""
    if edges is not None:
        i = int(np.clip(np.searchsorted(edges[1:-1], x, side="right"), 0, values.size - 1))
        return float(values[i])
    return float(np.interp(x, np.asarray(term.grid[0], float), values))


def shape(
    term: TermShape,
    *,
    output: Output = None,
    ax: Axes | None = None,
    density: bool = True,
    output_names: Sequence[str] = (),
    levels: Sequence[float] | None = None,
) -> Figure | Axes:
    """One 1-D shape function: line (or bars), confidence band, data density.

    A binned term (EBM: ``term.cuts``) is piecewise constant and is drawn as steps;
    a smooth one (GAM spline) as a line. ``levels``: the values the feature takes
    when there are only a few (a 0/1 column): one bar per value instead of a line
    through values the data never has. A multi-output term (one column per class)
    draws one line per output, labelled with ``output_names``, unless ``output``
    picks one.
    """
    if len(term.features) != 1:
        return pair_heatmap(term, output=output)
    grid = np.asarray(term.grid[0])
    raw = np.asarray(term.values, float)
    categorical = term.kind == "categorical" or grid.dtype.kind in "OUSb"
    edges = None if categorical else _step_edges(term)
    discrete = None if categorical or levels is None else np.asarray(levels, float)
    if raw.ndim == 2 and output is None and not categorical:
        columns = list(range(raw.shape[1]))
    else:
        columns = [None]
    own = ax is None
    if own:
        fig = _figure(5.5, 3.6)
        if density and term.density is not None:
            ax, dax = fig.subplots(
                2, 1, sharex=not categorical, gridspec_kw={"height_ratios": [3, 1]}
            )
        else:
            ax, dax = fig.add_subplot(), None
    else:
        fig, dax = ax.figure, None
    x = np.arange(len(grid)) if categorical else grid.astype(float)
    # an EBM's band is the spread across its bags, not a confidence interval
    band_label = "± 1 sd across bags" if term.std is not None else "confidence band"
    for k in columns:
        pick = output if k is None else k
        values, _ = _pick_output(raw, (), pick, axis=1)
        lower = upper = None
        if term.lower is not None and term.upper is not None:
            lower, _ = _pick_output(np.asarray(term.lower, float), (), pick, axis=1)
            upper, _ = _pick_output(np.asarray(term.upper, float), (), pick, axis=1)
        if k is None:
            label = "shape"
        else:
            label = str(output_names[k]) if k < len(output_names) else f"output {k}"
        if categorical:
            yerr = None if lower is None else np.vstack([values - lower, upper - values])
            ax.bar(x, values, color=_BLUE, yerr=yerr, ecolor=_GREY, capsize=3)
            ax.set_xticks(x, [str(g) for g in grid], rotation=30, ha="right")
            continue
        if discrete is not None:  # a 0/1 (or few-valued) feature: one bar per value
            heights = [_value_at(term, values, v, edges) for v in discrete]
            width = 0.6 * (np.min(np.diff(discrete)) if discrete.size > 1 else 1.0)
            shift = 0.0
            if len(columns) > 1:
                width /= len(columns)
                shift = (k - (len(columns) - 1) / 2) * width
            ax.bar(
                discrete + shift,
                heights,
                width=width,
                label=label,
                color=_BLUE if k is None else None,
            )
            ax.set_xticks(discrete, [_fmt(v) for v in discrete])
            continue
        if edges is not None:  # piecewise constant: a step per bin, edge to edge
            xs = edges
            ys = np.append(values, values[-1])
            (line,) = ax.plot(
                xs,
                ys,
                lw=1.8,
                label=label,
                drawstyle="steps-post",
                color=_BLUE if k is None else None,
            )
        else:
            (line,) = ax.plot(x, values, lw=1.8, label=label, color=_BLUE if k is None else None)
        if lower is not None:
            band_x = edges if edges is not None else x
            band_lo = np.append(lower, lower[-1]) if edges is not None else lower
            band_hi = np.append(upper, upper[-1]) if edges is not None else upper
            ax.fill_between(
                band_x,
                band_lo,
                band_hi,
                step="post" if edges is not None else None,
                color=line.get_color(),
                alpha=0.2 if k is None else 0.12,
                lw=0,
                label=None if k is not None else band_label,
            )
    if not categorical and (len(columns) > 1 or term.lower is not None):
        ax.legend(loc="best", fontsize="small")
    ax.axhline(0, color=_GREY, lw=0.8, ls="--")
    ax.set_ylabel("contribution")
    ax.set_title(term.name + _missing_note(term, output if len(columns) == 1 else None))
    if dax is not None:
        dens = np.asarray(term.density, float).reshape(-1)
        if discrete is not None:  # rows at each value the feature takes
            at = [_value_at(term, dens, v, edges) for v in discrete]
            width = 0.6 * (np.min(np.diff(discrete)) if discrete.size > 1 else 1.0)
            dax.bar(discrete, at, width=width, color=_DENSITY)
            dax.set_xticks(discrete, [_fmt(v) for v in discrete])
            ax.tick_params(labelbottom=False)
            dax.set_ylabel("rows")
        elif edges is not None and dens.size == edges.size - 1:
            if dens.size > _DENSITY_BUCKETS:
                # hundreds of narrow, uneven bins (EBM) draw as spikes: pool their
                # counts into equal-width buckets, a histogram a reader can see
                centres = (edges[:-1] + edges[1:]) / 2
                counts, bucket_edges = np.histogram(
                    centres, bins=_DENSITY_BUCKETS, range=(edges[0], edges[-1]), weights=dens
                )
                dax.stairs(counts, bucket_edges, fill=True, color=_DENSITY)
            else:
                dax.stairs(dens, edges, fill=True, color=_DENSITY)
        elif dens.size == x.size:
            if categorical or x.size < 2:
                width = 0.8
            else:  # each bar spans half the way to its neighbours: no gaps, no overlap
                mids = (x[1:] + x[:-1]) / 2
                width = np.diff(
                    np.concatenate([[2 * x[0] - mids[0]], mids, [2 * x[-1] - mids[-1]]])
                )
            dax.bar(x, dens, width=width, color=_DENSITY)
        else:  # counts per bin between grid edges
            dax.stairs(
                dens, np.linspace(x.min(), x.max(), dens.size + 1), fill=True, color=_DENSITY
            )
        if not dax.get_ylabel():
            dax.set_ylabel("rows")
        dax.set_xlabel(term.features[0])
        if categorical:
            dax.set_xticks(x, [str(g) for g in grid], rotation=30, ha="right")
            ax.tick_params(labelbottom=False)
    else:
        ax.set_xlabel(term.features[0])
    return fig if own else ax


def _pair_band(term: TermShape, output: Output) -> tuple[np.ndarray, str] | None:
    """Width of a pair's band per cell and what it is: 2 x the std across bags (EBM),
    upper - lower of the interval (GAM), or None when the term has no band."""
    if term.std is not None:
        width, what = 2 * np.asarray(term.std, float), "band width: 2 sd across bags"
    elif term.lower is not None and term.upper is not None:
        width = np.asarray(term.upper, float) - np.asarray(term.lower, float)
        what = "band width: upper - lower of the interval"
    else:
        return None
    if width.ndim == 3:
        width, _ = _pick_output(width, (), output, axis=2)
    return width, what


def _pair_panel(ax, term: TermShape, values: np.ndarray, cmap: str, vmin: float, vmax: float):
    """One heat map of a (g0 x g1) array on ``ax``: cells as wide as their bins for
    a binned pair (EBM), an image on the grid points otherwise (GAM)."""
    g0, g1 = (np.asarray(g) for g in term.grid)
    cuts = term.cuts if term.cuts is not None else (None, None)
    edges = [_bin_edges(g, c) for g, c in zip((g0, g1), cuts)]
    if any(e is not None for e in edges):
        # a binned pair (EBM): cells as wide as their bins on the feature's own axis;
        # a categorical side keeps one evenly spaced cell per level
        xe, ye = (
            e if e is not None else np.arange(len(g) + 1) - 0.5 for e, g in zip(edges, (g0, g1))
        )
        # rasterized: one image in the SVG, no hairline seams between hundreds of cells
        mesh = ax.pcolormesh(xe, ye, values.T, cmap=cmap, vmin=vmin, vmax=vmax, rasterized=True)
        for grid, e, setter in ((g0, edges[0], ax.set_xticks), (g1, edges[1], ax.set_yticks)):
            if e is None:
                setter(np.arange(len(grid)), [str(v) for v in grid])
    else:
        mesh = ax.imshow(values.T, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
        for grid, setter in ((g0, ax.set_xticks), (g1, ax.set_yticks)):
            step = max(1, len(grid) // 8)
            idx = np.arange(0, len(grid), step)
            labels = [str(grid[i]) if grid.dtype.kind in "OUS" else _fmt(grid[i]) for i in idx]
            setter(idx, labels)
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel(term.features[0])
    ax.set_ylabel(term.features[1])
    return mesh


def pair_heatmap(term: TermShape, *, output: Output = None) -> Figure:
    """An interaction term (two features) as a heat map of its contribution.

    Binned pairs (EBM) draw their bins, smooth pairs (GAM ``te`` terms) their grid.
    When the term has a band (an EBM's std across bags, a GAM's pointwise
    interval), a second panel shows the band's width per cell, on its own scale.
    """
    if len(term.features) != 2:
        raise ValueError(
            f"term {term.name!r} has {len(term.features)} features; a heat map needs 2"
        )
    values = np.asarray(term.values, float)
    if values.ndim == 3:
        values, _ = _pick_output(values, (), output, axis=2)
    band = _pair_band(term, output)
    fig = _figure(5.5 if band is None else 10.5, 4.2)
    ax = fig.add_subplot(1, 1 if band is None else 2, 1)
    lim = float(np.nanmax(np.abs(values))) or 1.0
    mesh = _pair_panel(ax, term, values, "RdBu_r", -lim, lim)
    ax.set_title(term.name)
    fig.colorbar(mesh, ax=ax, label="contribution")
    if band is not None:
        width, what = band
        bx = fig.add_subplot(1, 2, 2)
        top = float(np.nanmax(width)) or 1.0
        mesh = _pair_panel(bx, term, width, "Greys", 0.0, top)
        bx.set_title(f"{term.name}: uncertainty")
        fig.colorbar(mesh, ax=bx, label=what)
    return fig


def _few_levels(X, name: str, limit: int = 2) -> np.ndarray | None:
    """The distinct numeric values of column ``name`` of ``X`` when there are at most
    ``limit`` of them (a 0/1 column), else None."""
    if X is None or not hasattr(X, "columns") or name not in X.columns:
        return None
    try:
        col = np.asarray(X[name], dtype=float)
    except (TypeError, ValueError):
        return None
    values = np.unique(col[np.isfinite(col)])
    return values if 1 <= values.size <= limit else None


def shapes(
    explanation: GlobalExplanation,
    *,
    max_terms: int | None = 12,
    output: Output = None,
    X: pd.DataFrame | None = None,
) -> list[Figure]:
    """One figure per term (most important first): shape plots and pair heat maps.

    ``X`` (optional, the data): a feature with only two values in it (0/1) is
    drawn as two bars."""
    if not explanation.shapes:
        raise ValueError(f"this explanation ({explanation.method}) has no shape functions")
    out = []
    terms = _ranked_shapes(explanation, max_terms)
    for t in terms:
        levels = _few_levels(X, t.features[0]) if len(t.features) == 1 else None
        if levels is None and len(t.features) == 1:
            levels = _binary_bins(t)
        out.append(shape(t, output=output, output_names=explanation.output_names, levels=levels))
    return out


def _ranked_shapes(explanation: GlobalExplanation, max_terms: int | None) -> list[TermShape]:
    """The explanation's terms, most important first, the first ``max_terms``."""
    imp = np.asarray(explanation.importances, float)
    imp = imp if imp.ndim == 1 else imp.mean(axis=1)
    order = {name: -imp[i] for i, name in enumerate(explanation.term_names)}
    return sorted(explanation.shapes, key=lambda t: order.get(t.name, 0.0))[:max_terms]


def _binary_bins(term: TermShape) -> np.ndarray | None:
    """A binned term over a 0/1 feature (one cut strictly between 0 and 1, bins
    centred inside [0, 1]): the values 0 and 1."""
    edges = None if term.kind == "categorical" else _step_edges(term)
    if edges is None or edges.size != 3:
        return None
    if np.isclose(edges[0], 0) and np.isclose(edges[-1], 1) and 0 < edges[1] < 1:
        return np.array([0.0, 1.0])
    return None


def importances(
    explanation: GlobalExplanation, *, max_terms: int = 20, output: Output = None
) -> Figure:
    """Horizontal bars of term importances (mean |contribution|), largest on top.

    A multi-output explanation shows the mean over its outputs unless ``output``
    picks one."""
    raw = np.asarray(explanation.importances, float)
    if raw.ndim == 2 and output is None:
        imp, out_name = raw.mean(axis=1), "mean over outputs"
    else:
        imp, out_name = _pick_output(raw, explanation.output_names, output, axis=1)
    order = np.argsort(-imp)[:max_terms]
    names = [explanation.term_names[i] for i in order]
    fig = _figure(6.0, 0.32 * len(names) + 1.3)
    ax = fig.add_subplot()
    ax.barh(np.arange(len(names))[::-1], imp[order], color=_BLUE)
    ax.set_yticks(np.arange(len(names))[::-1], names)
    ax.set_xlabel(str(explanation.extras.get("importance", "importance (mean |contribution|)")))
    multi = raw.ndim == 2 and len(explanation.output_names) > 1
    ax.set_title("Term importances" + (f" ({out_name})" if multi else ""))
    return fig


# --- trees -----------------------------------------------------------------------


def tree(model: TreeClassifier | TreeRegressor, *, max_depth: int | None = None) -> Figure:
    """A fitted ``TreeClassifier``/``TreeRegressor`` drawn with its real feature names
    (by scikit-learn's ``plot_tree`` of the fitted ``estimator_``)."""
    from sklearn.tree import plot_tree

    if not isinstance(model, (TreeClassifier, TreeRegressor)):
        raise ValueError(f"{type(model).__name__} is not a fitted tree model")
    nodes = model.nodes()
    depth = nodes.depth if max_depth is None else min(max_depth, nodes.depth)
    leaves = nodes.n_leaves
    est = model.estimator_
    # no layout engine: plot_tree places every box itself, and constrained
    # layout over dozens of annotations costs seconds
    fig = _figure(max(6.0, min(1.3 * leaves, 22.0)), max(3.0, 1.5 * (depth + 1)), layout=None)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.92))
    class_names = list(nodes.output_names) if hasattr(model, "classes_") else None
    plot_tree(
        est,
        feature_names=list(nodes.feature_names),
        class_names=class_names,
        filled=True,
        rounded=True,
        impurity=False,
        max_depth=max_depth,
        fontsize=8,
        ax=ax,
    )
    ax.set_title(f"{type(model).__name__}: {leaves} leaves")
    return fig


# --- local explanations ----------------------------------------------------------


def shap_summary(
    explanation: LocalExplanation, *, output: Output = None, max_display: int = 15
) -> Figure:
    """Beeswarm: one row per feature, one dot per explained row, coloured by the
    feature's value (low blue, high red); features by mean |value|."""
    values, out_name = _pick_output(
        np.asarray(explanation.values, float), explanation.output_names, output, axis=2
    )
    data = _numeric_columns(np.asarray(explanation.data))
    order = np.argsort(-np.abs(values).mean(axis=0))[:max_display]
    fig = _figure(6.5, 0.4 * len(order) + 1.5)
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)  # jitter only; deterministic pictures
    n = values.shape[0]
    for row, j in enumerate(order[::-1]):
        v = values[:, j]
        col = data[:, j] if data.shape == values.shape else np.zeros(n)
        lo, hi = np.nanpercentile(col, [5, 95]) if np.isfinite(col).any() else (0, 1)
        c = np.clip((col - lo) / (hi - lo), 0, 1) if hi > lo else np.full(n, 0.5)
        # stack dots by density along x, as shap's beeswarm does, with a simple jitter
        jitter = rng.uniform(-0.3, 0.3, n)
        known = np.isfinite(c)
        ax.scatter(
            v[known], row + jitter[known], c=c[known], cmap="coolwarm", vmin=0, vmax=1, s=12, lw=0
        )
        if not known.all():  # a missing value, or a pair term (no single value): grey
            ax.scatter(v[~known], row + jitter[~known], color=_GREY, s=12, lw=0)
    ax.axvline(0, color=_GREY, lw=0.8)
    ax.set_yticks(np.arange(len(order)), [explanation.feature_names[j] for j in order[::-1]])
    ax.set_xlabel(f"contribution ({explanation.method}, {explanation.link} scale)")
    title = "Feature contributions"
    if out_name and len(explanation.output_names) > 1:
        title += f" ({out_name})"
    ax.set_title(title)
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    bar = fig.colorbar(ScalarMappable(Normalize(0, 1), "coolwarm"), ax=ax, ticks=[0, 1])
    bar.ax.set_yticklabels(["low", "high"])
    bar.set_label("feature value")
    return fig


def _numeric_columns(data: np.ndarray) -> np.ndarray:
    """The explained rows as floats for colouring: a text column (levels of a
    categorical feature) becomes its level codes in order of appearance, missing NaN."""
    if data.dtype.kind in "fiub":
        return data.astype(float)
    out = np.full(data.shape, np.nan)
    for j in range(data.shape[1] if data.ndim == 2 else 0):
        col = data[:, j]
        try:
            out[:, j] = col.astype(float)
        except (TypeError, ValueError):
            import pandas as pd

            codes, _ = pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=True)
            out[:, j] = np.where(codes < 0, np.nan, codes)
    return out


def waterfall(
    explanation: LocalExplanation, row: int = 0, *, output: Output = None, max_display: int = 10
) -> Figure:
    """How one row's output is built: base value, then contributions, largest first.

    Every bar and value label lies inside the axes (the x range is widened until
    the labels fit), one bar per line so no two labels meet; the base value and
    the output are marked on the axis as shap's waterfall does."""
    values, out_name = _pick_output(
        np.asarray(explanation.values, float)[row], explanation.output_names, output, axis=1
    )
    base, _ = _pick_output(
        np.asarray(explanation.base_values, float)[row], explanation.output_names, output, axis=0
    )
    base = float(base)
    data = np.asarray(explanation.data)[row]
    order = np.argsort(-np.abs(values), kind="stable")
    shown, rest = order[:max_display], order[max_display:]
    labels = [_row_label(explanation.feature_names[j], data[j]) for j in shown]
    steps = list(values[shown])
    if rest.size:
        labels.append(f"{rest.size} other feature{'s' if rest.size != 1 else ''}")
        steps.append(float(values[rest].sum()))
    fig = _figure(7.0, 0.42 * len(steps) + 1.9)
    ax = fig.add_subplot()
    start = base
    ypos = np.arange(len(steps))[::-1]
    ends = [base]
    texts = []
    for y, step in zip(ypos, steps):
        ax.barh(y, step, left=start, height=0.7, color=_RED if step > 0 else _BLUE)
        # the label sits past the bar's far end, on the side the bar points to
        texts.append(
            ax.text(
                start + step,
                y,
                f" {step:+.3g} ",
                va="center",
                ha="left" if step >= 0 else "right",
                fontsize=8,
                color=_RED if step > 0 else _BLUE,
                # a light backing so the base and output lines never cross the digits
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85},
            )
        )
        start += step
        ends.append(start)
    ax.axvline(base, color=_GREY, lw=0.8, ls="--")
    ax.axvline(start, color="black", lw=0.8)
    ax.set_yticks(ypos, labels)
    ax.set_ylim(-0.7, len(steps) - 0.3)
    lo, hi = min(ends), max(ends)
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
    ax.set_xlim(lo - pad, hi + pad)
    scale = {
        "logit": "log-odds",
        "ovr_logit": "one-vs-rest log-odds",
        "log": "log E[y]",
        "identity": "output",
    }.get(explanation.link, explanation.link)
    label = f"{scale}: base {base:.4g} -> output {start:.4g}"
    if explanation.link == "logit":  # the probability a reader acts on
        p0, p1 = (1 / (1 + np.exp(-v)) for v in (base, start))
        label += f"  (P: {p0:.3g} -> {p1:.3g})"
    elif explanation.link == "log":  # the expected value itself
        label += f"  (E[y]: {np.exp(base):.4g} -> {np.exp(start):.4g})"
    ax.set_xlabel(label)
    marks = ax.secondary_xaxis("top")
    if abs(start - base) > 1e-12:
        marks.set_xticks([base, start], [f"base {base:.3g}", f"output {start:.3g}"])
    else:
        marks.set_xticks([base], [f"base = output {base:.3g}"])
    marks.tick_params(labelsize=8)
    title = f"Row {row}" + (
        f" ({out_name})" if out_name and len(explanation.output_names) > 1 else ""
    )
    ax.set_title(title, pad=18)
    _fit_texts(fig, ax, texts)
    return fig


def _fit_texts(fig: Figure, ax: Axes, texts: list, rounds: int = 4) -> None:
    """Widen ``ax``'s x range until every text in ``texts`` lies inside the axes
    (text extents are in pixels, so the range is adjusted and measured again)."""
    for _ in range(rounds):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        box = ax.get_window_extent(renderer)
        to_data = ax.transData.inverted()
        lo, hi = ax.get_xlim()
        need_lo, need_hi = lo, hi
        for t in texts:
            bb = t.get_window_extent(renderer)
            x0 = to_data.transform((bb.x0 - 2, bb.y0))[0]
            x1 = to_data.transform((bb.x1 + 2, bb.y0))[0]
            need_lo, need_hi = min(need_lo, x0), max(need_hi, x1)
        if need_lo >= lo and need_hi <= hi and box.width > 0:
            return
        ax.set_xlim(need_lo, need_hi)


def _row_label(name: str, value) -> str:
    """`age = 42`; a missing value reads 'missing'; a term of several features (an
    EBM pair, whose data cell is empty) is named alone."""
    try:
        missing = value is None or bool(np.isnan(float(value)))
    except (TypeError, ValueError):
        missing = False
    if missing:
        return name if " & " in name else f"{name} = missing"
    return f"{name} = {_fmt(value)}"


def _fmt(v) -> str:
    try:
        return f"{float(v):.4g}"
    except (TypeError, ValueError):
        return str(v)


# --- distillation ----------------------------------------------------------------


def pareto_frontier(frame: pd.DataFrame) -> Figure:
    """Fidelity against complexity of distilled students; the frontier joined by a line.

    ``frame`` has columns ``complexity``, ``fidelity``, ``student`` and a boolean
    ``frontier`` (as ``surrogates.pareto`` returns).
    """
    needed = {"complexity", "fidelity", "student", "frontier"}
    missing = needed - set(frame.columns)
    if missing:
        raise ValueError(
            f"pareto frame lacks column(s) {sorted(missing)}; it needs {sorted(needed)}"
        )
    fig = _figure(6.0, 4.0)
    ax = fig.add_subplot()
    for student, group in frame.groupby("student", sort=True):
        ax.scatter(group["complexity"], group["fidelity"], label=str(student), s=30, zorder=3)
    front = frame[frame["frontier"].astype(bool)].sort_values("complexity")
    if len(front):
        ax.step(
            front["complexity"],
            front["fidelity"],
            where="post",
            color="black",
            lw=1,
            label="frontier",
            zorder=2,
        )
    ax.set_xlabel("complexity (terms, rules, leaves or nodes)")
    ax.set_ylabel("fidelity to the black box")
    ax.set_title("Distillation: fidelity vs complexity")
    ax.legend(loc="lower right", fontsize="small")
    return fig


# --- everything that suits one model ------------------------------------------------


def plot_model(
    model: object, X: np.ndarray | pd.DataFrame | None = None, *, max_terms: int = 12
) -> list[tuple[str, Figure]]:
    """(title, Figure) pairs that suit a fitted glassbox model (or surrogate).

    Coefficients for linear models, shape functions and pair heat maps for
    additive ones, the tree for trees, importances otherwise; with ``X``, the
    beeswarm of the model's local explanation of those rows and the waterfall
    of the first row.
    """
    figures: list[tuple[str, object]] = []
    target = getattr(model, "student_", None) or model
    if isinstance(target, (TreeClassifier, TreeRegressor)):
        figures.append(("Tree", tree(target)))
    try:
        expl = target.explain_global()
    except (NotImplementedError, AttributeError):
        expl = None
    if expl is not None:
        if expl.coefficients is not None:
            per = _per_sd(target, expl)
            caption = "Coefficients" if per is None else "Effects per +1 SD"
            figures.append((caption, coefficients(expl, per=per)))
        if expl.shapes:
            frame = X if hasattr(X, "columns") else None
            if len(expl.shapes) > 1:  # the overview first, as interpret opens with it
                figures.append(("Term importances", importances(expl, max_terms=20)))
            ranked = _ranked_shapes(expl, max_terms)
            for term, fig in zip(ranked, shapes(expl, max_terms=max_terms, X=frame)):
                figures.append((term.name, fig))
        elif expl.coefficients is None and len(expl.term_names):
            figures.append(("Importances", importances(expl)))
    if X is not None:
        try:
            local = target.explain_local(X)
        except (NotImplementedError, AttributeError):
            local = None
        if local is not None and local.n_rows > 1:
            figures.append(("Local contributions", shap_summary(local)))
        if local is not None:
            figures.append(("How the first row's prediction is built", waterfall(local, 0)))
    return figures


def to_svg(fig: Figure) -> str:
    """The figure as an inline SVG string (no XML header, fonts as paths)."""
    import io

    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "glassbox"}):
        # no RDF metadata block: it only adds links to outside namespaces
        fig.savefig(
            buf,
            format="svg",
            metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
        )
    text = buf.getvalue()
    return text[text.index("<svg") :]


# --- scores on data (the report) ---------------------------------------------------


def calibration(
    y_true: np.ndarray, proba: np.ndarray, *, n_bins: int = 10, label: str = "P(positive)"
) -> Figure:
    """Reliability diagram: rows binned by predicted probability (equal-count bins, or
    one bin per distinct value when there are at most ``n_bins``),
    the mean predicted probability against the observed share of positives, with
    the diagonal of perfect calibration and the rows per bin underneath."""
    y_true = np.asarray(y_true, dtype=float)
    proba = np.asarray(proba, dtype=float)
    distinct = np.unique(proba)
    if distinct.size <= n_bins:  # few distinct probabilities (a tree's leaves): one point each
        groups = [np.flatnonzero(proba == p) for p in distinct]
    else:
        order = np.argsort(proba, kind="stable")
        groups = [g for g in np.array_split(order, min(n_bins, len(order))) if g.size]
    mean_p = np.array([proba[g].mean() for g in groups])
    observed = np.array([y_true[g].mean() for g in groups])
    counts = np.array([g.size for g in groups])
    fig = _figure(5.0, 4.6)
    ax, dax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 1]})
    ax.plot([0, 1], [0, 1], ls="--", color=_GREY, lw=0.8, label="perfectly calibrated")
    ax.plot(mean_p, observed, "o-", color=_BLUE, label="model")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("observed share of positives")
    how = "one per distinct probability" if distinct.size <= n_bins else "of equal size"
    ax.set_title(f"Calibration ({len(groups)} bins {how})")
    ax.legend(loc="upper left", fontsize="small")
    dax.bar(mean_p, counts, width=0.02, color=_DENSITY)
    dax.set_ylabel("rows")
    dax.set_xlabel(f"predicted {label} (mean per bin)")
    return fig


def residuals(y_true: np.ndarray, y_pred: np.ndarray) -> Figure:
    """Residuals (observed minus predicted) against the prediction, with a zero line."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    fig = _figure(5.5, 3.8)
    ax = fig.add_subplot()
    ax.scatter(y_pred, y_true - y_pred, s=10, alpha=0.6, color=_BLUE, lw=0)
    ax.axhline(0, color=_GREY, lw=0.8, ls="--")
    ax.set_xlabel("predicted")
    ax.set_ylabel("observed - predicted")
    ax.set_title("Residuals")
    return fig


# --- global effects of a black box (surrogates.effects results, read by attribute) -------
# These take surrogates' PartialDependence / ALE dataclasses and a permutation-importance
# GlobalExplanation as plain data: glassbox.render never imports surrogates.


def _effect_output(values: np.ndarray, names: Sequence[str], output) -> tuple[np.ndarray, str]:
    """One output (last axis) of an effect array; a single output keeps its own name."""
    names = list(names)
    k = values.shape[-1]
    if output is None:
        i = k - 1
    elif isinstance(output, str):
        if output not in names:
            raise ValueError(f"output {output!r} is not one of {names}")
        i = names.index(output)
    else:
        i = int(output)
        if not -k <= i < k:
            raise ValueError(f"output {i} is out of range for {k} outputs")
        i %= k
    label = names[i] if i < len(names) else ("" if k == 1 else f"output {i}")
    return values[..., i], label


def _rug(ax: Axes, deciles: np.ndarray) -> None:
    """The feature's deciles as short ticks along the bottom of the axes (where the
    data is), as scikit-learn's PartialDependenceDisplay marks them."""
    ax.plot(
        np.asarray(deciles, float),
        np.zeros(len(deciles)),
        "|",
        color="black",
        ms=10,
        mew=1,
        transform=ax.get_xaxis_transform(),
        clip_on=True,
        label="deciles of the data",
    )


def partial_dependence(
    pdep,
    *,
    output: Output = None,
    centered: bool = False,
    max_ice: int = 100,
    rug: bool = True,
) -> Figure:
    """Partial dependence of one feature with its ICE curves and a decile rug, or of a
    pair as a heat map (``partial_dependence_heatmap``).

    ``pdep``: a ``surrogates.effects.PartialDependence`` (read by attribute). With
    ``centered`` each curve is drawn minus its value at the first grid point (c-ICE,
    ``pdep.centered()``). At most ``max_ice`` ICE curves are drawn (evenly chosen rows).
    """
    if len(pdep.features) == 2:
        return partial_dependence_heatmap(pdep, output=output, centered=centered)
    if centered:
        avg_all, ice_all = pdep.centered()
    else:
        avg_all, ice_all = pdep.average, pdep.individual
    avg, out_name = _effect_output(np.asarray(avg_all, float), pdep.output_names, output)
    grid = np.asarray(pdep.grid[0], float)
    fig = _figure(5.5, 3.8)
    ax = fig.add_subplot()
    if ice_all is not None:
        from matplotlib.collections import LineCollection

        ice, _ = _effect_output(np.asarray(ice_all, float), pdep.output_names, output)
        rows = np.unique(np.linspace(0, len(ice) - 1, min(max_ice, len(ice))).astype(int))
        segs = [np.column_stack([grid, ice[r]]) for r in rows]
        lines = LineCollection(
            segs, colors=_GREY, linewidths=0.6, alpha=0.35, label=f"ICE ({len(rows)} rows)"
        )
        lines.set_gid("ice")
        ax.add_collection(lines)
        ax.update_datalim(np.concatenate(segs))
        ax.autoscale_view()
    (line,) = ax.plot(grid, avg, color=_BLUE, lw=2.2, label="partial dependence (average)")
    line.set_gid("average")
    if rug:
        _rug(ax, pdep.deciles[0])
    ax.set_xlabel(pdep.features[0])
    scale = getattr(pdep, "scale", "output")
    what = scale + (f" ({out_name})" if out_name else "")
    if centered:  # c-ICE: the change from the first grid point
        what = f"change in {what}"
    ax.set_ylabel(what)
    title = "Centred partial dependence" if centered else "Partial dependence"
    ax.set_title(f"{title} on {pdep.features[0]} ({pdep.method})")
    # below the axes: inside, a legend would cover the ICE curves it explains
    n_items = len(ax.get_legend_handles_labels()[0])
    fig.legend(loc="outside lower center", ncols=n_items, fontsize="small", frameon=False)
    return fig


def partial_dependence_heatmap(pdep, *, output: Output = None, centered: bool = False) -> Figure:
    """Two-feature partial dependence as a heat map on the grid (cells centred on the
    grid values, so unevenly spaced grids keep their spacing)."""
    if len(pdep.features) != 2:
        raise ValueError(f"a heat map needs a pair of features, got {list(pdep.features)}")
    avg_all = pdep.centered()[0] if centered else pdep.average
    values, out_name = _effect_output(np.asarray(avg_all, float), pdep.output_names, output)
    fig = _figure(5.8, 4.4)
    ax = fig.add_subplot()
    g0, g1 = (np.asarray(g, float) for g in pdep.grid)
    mesh = ax.pcolormesh(_cell_edges(g0), _cell_edges(g1), values.T, cmap="viridis", shading="flat")
    mesh.set_gid("pd")
    ax.set_xlabel(pdep.features[0])
    ax.set_ylabel(pdep.features[1])
    ax.set_title(f"Partial dependence on {pdep.features[0]} and {pdep.features[1]}")
    scale = getattr(pdep, "scale", "output")
    label = scale + (f" ({out_name})" if out_name else "")
    fig.colorbar(mesh, ax=ax, label=f"change in {label}" if centered else label)
    return fig


def _cell_edges(grid: np.ndarray) -> np.ndarray:
    """Edges of cells centred on the grid values (half way to each neighbour)."""
    if grid.size == 1:
        return np.array([grid[0] - 0.5, grid[0] + 0.5])
    mids = (grid[1:] + grid[:-1]) / 2
    return np.concatenate([[2 * grid[0] - mids[0]], mids, [2 * grid[-1] - mids[-1]]])


def ale(effect, *, output: Output = None) -> Figure:
    """Accumulated local effects: a line over the bin edges with its bootstrap band
    (when computed) and the rows per bin underneath; levels as bars for a categorical
    feature; a heat map of the second-order effect for a pair.

    ``effect``: a ``surrogates.effects.ALE`` (read by attribute)."""
    values, out_name = _effect_output(np.asarray(effect.values, float), effect.output_names, output)
    band = None
    if effect.lower is not None and effect.upper is not None:
        lo, _ = _effect_output(np.asarray(effect.lower, float), effect.output_names, output)
        hi, _ = _effect_output(np.asarray(effect.upper, float), effect.output_names, output)
        band = (lo, hi)
    ylabel = "accumulated local effect" + (f" on {out_name}" if out_name else "")
    if effect.kind == "pair":
        fig = _figure(5.8, 4.4)
        ax = fig.add_subplot()
        lim = float(np.nanmax(np.abs(values))) or 1.0
        e0, e1 = (np.asarray(g, float) for g in effect.grid)
        # values sit on the edge grid: each cell centred on one edge point
        mesh = ax.pcolormesh(
            _cell_edges(e0), _cell_edges(e1), values.T, cmap="RdBu_r", vmin=-lim, vmax=lim
        )
        mesh.set_gid("ale")
        ax.set_xlabel(effect.features[0])
        ax.set_ylabel(effect.features[1])
        ax.set_title(f"Second-order ALE of {effect.features[0]} and {effect.features[1]}")
        fig.colorbar(mesh, ax=ax, label=ylabel)
        return fig
    fig = _figure(5.5, 4.0)
    ax, dax = fig.subplots(
        2, 1, sharex=effect.kind != "categorical", gridspec_kw={"height_ratios": [3, 1]}
    )
    grid = np.asarray(effect.grid[0])
    counts = np.asarray(effect.counts, float)
    if effect.kind == "categorical":
        x = np.arange(len(grid))
        yerr = None if band is None else np.vstack([values - band[0], band[1] - values])
        ax.bar(x, values, color=_BLUE, yerr=yerr, ecolor=_GREY, capsize=3, gid="ale")
        labels = [_fmt(g) for g in grid]
        ax.set_xticks(x, labels)
        ax.tick_params(labelbottom=False)
        dax.bar(x, counts, color=_DENSITY, width=0.8)
        dax.set_xticks(x, labels, rotation=30 if len(x) > 6 else 0)
    else:
        edges = grid.astype(float)
        if band is not None:
            ax.fill_between(
                edges,
                band[0],
                band[1],
                color=_BLUE,
                alpha=0.2,
                lw=0,
                label="bootstrap band",
                gid="band",
            )
        (line,) = ax.plot(edges, values, color=_BLUE, lw=2, marker=".", label="ALE")
        line.set_gid("ale")
        # quantile bins hold about equal rows: rows per unit of the feature shows
        # where the data is dense (and where the curve rests on few rows)
        dax.stairs(counts / np.diff(edges), edges, fill=True, color=_DENSITY)
        dax.set_ylabel("rows / unit")
        if band is not None:
            ax.legend(loc="best", fontsize="small")
    ax.axhline(0, color=_GREY, lw=0.8, ls="--")
    ax.set_ylabel(ylabel)
    ax.set_title(f"Accumulated local effects of {effect.features[0]}")
    if not dax.get_ylabel():
        dax.set_ylabel("rows")
    dax.set_xlabel(effect.features[0])
    return fig


def permutation_importance(explanation: GlobalExplanation, *, max_terms: int = 20) -> Figure:
    """Permutation importances as bars, largest on top, with their confidence
    intervals (``extras["ci_low"]``/``["ci_high"]``) as error bars when present."""
    imp = np.asarray(explanation.importances, float).reshape(-1)
    extras = explanation.extras or {}
    lo = extras.get("ci_low")
    hi = extras.get("ci_high")
    order = np.argsort(-imp, kind="stable")[:max_terms]
    names = [explanation.term_names[i] for i in order]
    fig = _figure(6.0, 0.34 * len(names) + 1.4)
    ax = fig.add_subplot()
    y = np.arange(len(names))[::-1]
    xerr = None
    if lo is not None and hi is not None:
        lo, hi = np.asarray(lo, float)[order], np.asarray(hi, float)[order]
        if np.isfinite(lo).all() and np.isfinite(hi).all():
            xerr = np.vstack([imp[order] - lo, hi - imp[order]])
    ax.barh(y, imp[order], color=_BLUE, xerr=xerr, ecolor="black", capsize=3, gid="importance")
    ax.axvline(0, color=_GREY, lw=0.8)
    ax.set_yticks(y, names)
    scoring = extras.get("scoring") or "score"
    ax.set_xlabel(f"drop in {scoring} when permuted" + ("" if xerr is None else " (bars: CI)"))
    base = extras.get("baseline_score")
    title = "Permutation importance"
    if base is not None:
        title += f" (baseline {float(base):.4g})"
    ax.set_title(title)
    return fig


def prototypes(
    chosen, *, image_shape: tuple[int, int] | None = None, columns: int = 8, cmap: str = "gray_r"
) -> Figure:
    """A gallery of prototypes (what the data looks like) and criticisms (what the
    prototypes miss) for image-like rows: each row drawn as an ``image_shape`` picture
    (default: a square when the row length is one), titled with its label and, for a
    criticism, its witness value. ``chosen``: a ``surrogates.prototypes`` result."""
    protos = np.asarray(chosen.prototypes, float)
    crits = np.asarray(chosen.criticisms, float).reshape(-1, protos.shape[1])
    p = protos.shape[1]
    if image_shape is None:
        side = int(round(np.sqrt(p)))
        if side * side != p:
            raise ValueError(
                f"rows of {p} values are not square pictures; pass image_shape=(height, width)"
            )
        image_shape = (side, side)
    if int(np.prod(image_shape)) != p:
        raise ValueError(f"image_shape {tuple(image_shape)} does not hold rows of {p} values")
    groups = [("prototype", protos, chosen.prototype_labels, None)]
    if len(crits):
        groups.append(("criticism", crits, chosen.criticism_labels, chosen.witness))
    n_rows = sum(int(np.ceil(len(rows) / columns)) for _, rows, _, _ in groups)
    fig = _figure(1.25 * columns, 1.45 * n_rows + 0.4)
    grid = fig.add_gridspec(n_rows, columns)
    lo = min(float(protos.min()), float(crits.min()) if len(crits) else np.inf)
    hi = max(float(protos.max()), float(crits.max()) if len(crits) else -np.inf)
    r0 = 0
    for role, rows, labels, witness in groups:
        for i, row in enumerate(rows):
            ax = fig.add_subplot(grid[r0 + i // columns, i % columns])
            ax.imshow(row.reshape(image_shape), cmap=cmap, vmin=lo, vmax=hi)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_gid(role)
            title = role if labels is None else f"{role}: {labels[i]}"
            if witness is not None:
                title += f"\nw={float(witness[i]):.2g}"
            ax.set_title(title, fontsize=7, color=_RED if role == "criticism" else "black")
        r0 += int(np.ceil(len(rows) / columns))
    mmd = float(getattr(chosen, "mmd2", np.nan))
    fig.suptitle(
        f"{len(protos)} prototypes, {len(crits)} criticisms (MMD\u00b2 {mmd:.3g})", fontsize=9
    )
    return fig


def interaction_strength(explanation: GlobalExplanation, *, output: Output = None) -> Figure:
    """Friedman's H statistic: one bar per feature (share of its effect that is
    interaction) and, when pairs were computed (``extras["pair_h"]``), the pairwise H
    as a matrix with its values written in the cells."""
    h = np.asarray(explanation.importances, float)
    pair = explanation.extras.get("pair_h")
    if h.ndim == 2:
        h, _ = _effect_output(h, explanation.output_names, output)
        if pair is not None and np.ndim(pair) == 3:
            pair, _ = _effect_output(np.asarray(pair, float), explanation.output_names, output)
    names = list(explanation.term_names)
    n = len(names)
    if pair is None:
        fig = _figure(5.5, 0.34 * n + 1.4)
        ax = fig.add_subplot()
    else:
        fig = _figure(10.5, max(3.6, 0.45 * n + 1.6))
        ax, mat_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
    order = np.argsort(-h, kind="stable")
    y = np.arange(n)[::-1]
    ax.barh(y, h[order], color=_BLUE, gid="h")
    ax.set_yticks(y, [names[i] for i in order])
    ax.set_xlabel("H (share of the feature's effect due to interactions)")
    ax.set_title("Interaction strength per feature")
    if pair is not None:
        pair = np.asarray(pair, float)
        mesh = mat_ax.imshow(pair, cmap="Purples", vmin=0, vmax=max(float(np.nanmax(pair)), 1e-12))
        mesh.set_gid("pair_h")
        mat_ax.set_xticks(np.arange(n), names, rotation=45, ha="right")
        mat_ax.set_yticks(np.arange(n), names)
        if n <= 12:  # values in the cells while they are large enough to read
            top = np.nanmax(pair) if np.isfinite(pair).any() else 1.0
            for i in range(n):
                for j in range(n):
                    if np.isfinite(pair[i, j]):
                        mat_ax.text(
                            j,
                            i,
                            f"{pair[i, j]:.2f}",
                            ha="center",
                            va="center",
                            fontsize=7,
                            color="white" if pair[i, j] > 0.6 * top else "black",
                        )
        mat_ax.set_title("Pairwise H")
        fig.colorbar(mesh, ax=mat_ax, label="H")
    return fig
