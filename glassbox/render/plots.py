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
    explanation: GlobalExplanation, *, output: Output = None, level: float = 0.95
) -> Figure:
    """Coefficients with Wald confidence intervals (when standard errors exist).

    ``explanation.extras["standard_errors"]`` holds the standard errors with the
    intercept at index 0, as ``GLMRegressor``/``GLMClassifier`` provide them.
    """
    from scipy.stats import norm

    if explanation.coefficients is None:
        raise ValueError(f"this explanation ({explanation.method}) has no coefficients to plot")
    coef, out_name = _pick_output(
        np.asarray(explanation.coefficients, float), explanation.output_names, output, axis=1
    )
    names = list(explanation.term_names)
    se = explanation.extras.get("standard_errors")
    fig = _figure(6.5, 0.35 * len(names) + 1.4)
    ax = fig.add_subplot()
    y = np.arange(len(names))[::-1]
    if se is not None and np.ndim(se) == 1 and len(se) == len(names) + 1:
        z = norm.ppf(0.5 + level / 2)
        half = z * np.asarray(se[1:], float)
        ax.errorbar(
            coef,
            y,
            xerr=half,
            fmt="o",
            color=_BLUE,
            ecolor=_GREY,
            capsize=3,
            label=f"{level:.0%} confidence interval",
        )
        ax.legend(loc="best", fontsize="small")
    else:
        ax.plot(coef, y, "o", color=_BLUE)
    ax.axvline(0, color=_GREY, lw=0.8, ls="--")
    ax.set_yticks(y, names)
    scale = {"logit": "log-odds", "log": "log E[y]", "softmax": "class score"}.get(
        explanation.link, "E[y]"
    )
    ax.set_xlabel(f"coefficient (change in {scale} per +1 unit)")
    ax.set_title(
        "Coefficients"
        + (f" ({out_name})" if out_name and len(explanation.output_names) > 1 else "")
    )
    return fig


# --- additive shape functions ------------------------------------------------------


def shape(
    term: TermShape,
    *,
    output: Output = None,
    ax: Axes | None = None,
    density: bool = True,
    output_names: Sequence[str] = (),
) -> Figure | Axes:
    """One 1-D shape function: line (or bars), confidence band, data density.

    A multi-output term (one column per class) draws one line per output,
    labelled with ``output_names``, unless ``output`` picks one.
    """
    if len(term.features) != 1:
        return pair_heatmap(term, output=output)
    grid = np.asarray(term.grid[0])
    raw = np.asarray(term.values, float)
    categorical = term.kind == "categorical" or grid.dtype.kind in "OUS"
    if raw.ndim == 2 and output is None and not categorical:
        columns = list(range(raw.shape[1]))
    else:
        columns = [None]
    own = ax is None
    if own:
        fig = _figure(5.5, 3.6)
        if density and term.density is not None:
            ax, dax = fig.subplots(
                2, 1, sharex=not categorical, gridspec_kw={"height_ratios": [4, 1]}
            )
        else:
            ax, dax = fig.add_subplot(), None
    else:
        fig, dax = ax.figure, None
    x = np.arange(len(grid)) if categorical else grid.astype(float)
    for k in columns:
        pick = output if k is None else k
        values, _ = _pick_output(raw, (), pick, axis=1)
        lower = upper = None
        if term.lower is not None and term.upper is not None:
            lower, _ = _pick_output(np.asarray(term.lower, float), (), pick, axis=1)
            upper, _ = _pick_output(np.asarray(term.upper, float), (), pick, axis=1)
        if categorical:
            yerr = None if lower is None else np.vstack([values - lower, upper - values])
            ax.bar(x, values, color=_BLUE, yerr=yerr, ecolor=_GREY, capsize=3)
            ax.set_xticks(x, [str(g) for g in grid], rotation=30, ha="right")
            continue
        if k is None:
            label = "shape"
        else:
            label = str(output_names[k]) if k < len(output_names) else f"output {k}"
        (line,) = ax.plot(x, values, lw=1.8, label=label, color=_BLUE if k is None else None)
        if lower is not None:
            ax.fill_between(
                x,
                lower,
                upper,
                color=line.get_color(),
                alpha=0.2 if k is None else 0.12,
                lw=0,
                label="confidence band" if k is None else None,
            )
    if not categorical and (len(columns) > 1 or term.lower is not None):
        ax.legend(loc="best", fontsize="small")
    ax.axhline(0, color=_GREY, lw=0.8, ls="--")
    ax.set_ylabel("contribution")
    ax.set_title(term.name)
    if dax is not None:
        dens = np.asarray(term.density, float).reshape(-1)
        if dens.size == x.size:
            width = 0.8 if categorical else (np.min(np.diff(x)) if x.size > 1 else 1.0)
            dax.bar(x, dens, width=width, color=_GREY)
        else:  # counts per bin between grid edges
            dax.stairs(dens, np.linspace(x.min(), x.max(), dens.size + 1), fill=True, color=_GREY)
        dax.set_ylabel("count")
        dax.set_xlabel(term.features[0])
        if categorical:
            dax.set_xticks(x, [str(g) for g in grid], rotation=30, ha="right")
            ax.tick_params(labelbottom=False)
    else:
        ax.set_xlabel(term.features[0])
    return fig if own else ax


def pair_heatmap(term: TermShape, *, output: Output = None) -> Figure:
    """An interaction term (two features) as a heat map of its contribution."""
    if len(term.features) != 2:
        raise ValueError(
            f"term {term.name!r} has {len(term.features)} features; a heat map needs 2"
        )
    values = np.asarray(term.values, float)
    if values.ndim == 3:
        values, _ = _pick_output(values, (), output, axis=2)
    g0, g1 = (np.asarray(g) for g in term.grid)
    fig = _figure(5.5, 4.2)
    ax = fig.add_subplot()
    lim = float(np.nanmax(np.abs(values))) or 1.0
    mesh = ax.imshow(values.T, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
    for grid, setter in ((g0, ax.set_xticks), (g1, ax.set_yticks)):
        step = max(1, len(grid) // 8)
        idx = np.arange(0, len(grid), step)
        labels = [
            str(grid[i]) if grid.dtype.kind in "OUS" else f"{float(grid[i]):.3g}" for i in idx
        ]
        setter(idx, labels)
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel(term.features[0])
    ax.set_ylabel(term.features[1])
    ax.set_title(term.name)
    fig.colorbar(mesh, ax=ax, label="contribution")
    return fig


def shapes(
    explanation: GlobalExplanation, *, max_terms: int = 12, output: Output = None
) -> list[Figure]:
    """One figure per term (most important first): shape plots and pair heat maps."""
    if not explanation.shapes:
        raise ValueError(f"this explanation ({explanation.method}) has no shape functions")
    imp = np.asarray(explanation.importances, float)
    imp = imp if imp.ndim == 1 else imp.mean(axis=1)
    order = {name: -imp[i] for i, name in enumerate(explanation.term_names)}
    terms = sorted(explanation.shapes, key=lambda t: order.get(t.name, 0.0))[:max_terms]
    return [shape(t, output=output, output_names=explanation.output_names) for t in terms]


def importances(
    explanation: GlobalExplanation, *, max_terms: int = 20, output: Output = None
) -> Figure:
    """Horizontal bars of term importances (mean |contribution|), largest on top."""
    imp, out_name = _pick_output(
        np.asarray(explanation.importances, float), explanation.output_names, output, axis=1
    )
    order = np.argsort(-imp)[:max_terms]
    names = [explanation.term_names[i] for i in order]
    fig = _figure(6.0, 0.32 * len(names) + 1.3)
    ax = fig.add_subplot()
    ax.barh(np.arange(len(names))[::-1], imp[order], color=_BLUE)
    ax.set_yticks(np.arange(len(names))[::-1], names)
    ax.set_xlabel(str(explanation.extras.get("importance", "importance (mean |contribution|)")))
    ax.set_title("Term importances")
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
    data = np.asarray(explanation.data, dtype=float)
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
        ax.scatter(v, row + jitter, c=c, cmap="coolwarm", vmin=0, vmax=1, s=12, lw=0)
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


def waterfall(
    explanation: LocalExplanation, row: int = 0, *, output: Output = None, max_display: int = 10
) -> Figure:
    """How one row's output is built: base value, then contributions, largest first."""
    values, out_name = _pick_output(
        np.asarray(explanation.values, float)[row], explanation.output_names, output, axis=1
    )
    base, _ = _pick_output(
        np.asarray(explanation.base_values, float)[row], explanation.output_names, output, axis=0
    )
    base = float(base)
    data = np.asarray(explanation.data)[row]
    order = np.argsort(-np.abs(values))
    shown, rest = order[:max_display], order[max_display:]
    labels = [f"{explanation.feature_names[j]} = {_fmt(data[j])}" for j in shown]
    steps = list(values[shown])
    if rest.size:
        labels.append(f"{rest.size} other features")
        steps.append(float(values[rest].sum()))
    fig = _figure(6.5, 0.4 * len(steps) + 1.6)
    ax = fig.add_subplot()
    start = base
    ypos = np.arange(len(steps))[::-1]
    for y, step in zip(ypos, steps):
        ax.barh(y, step, left=start, color=_RED if step > 0 else _BLUE)
        ax.text(
            start + step,
            y,
            f" {step:+.3g}",
            va="center",
            ha="left" if step >= 0 else "right",
            fontsize=8,
        )
        start += step
    ax.axvline(base, color=_GREY, lw=0.8, ls="--")
    ax.axvline(start, color="black", lw=0.8)
    ax.margins(x=0.12)  # room for the value labels and the base line
    ax.set_yticks(ypos, labels)
    ax.set_xlabel(f"{explanation.link} scale: base {base:.4g} -> output {start:.4g}")
    title = f"Row {row}" + (
        f" ({out_name})" if out_name and len(explanation.output_names) > 1 else ""
    )
    ax.set_title(title)
    return fig


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
            figures.append(("Coefficients", coefficients(expl)))
        if expl.shapes:
            for fig in shapes(expl, max_terms=max_terms):
                figures.append((fig.axes[0].get_title(), fig))
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
