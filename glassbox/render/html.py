"""A self-contained HTML report of a fitted model: works offline, no scripts.

One page: the model's text, its plots (inline SVG, fonts drawn as paths, so
no font or CDN is fetched), its score on given data, a comparison table of
families when one is given (``glassbox.compare.compare_families``), and for a
distilled surrogate its fidelity with the confidence bound. Writing the page
fits nothing.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1240px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
pre.model { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 1em; overflow-x: auto;
            font-size: 0.85em; line-height: 1.35; white-space: pre; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
figure.plot { margin: 0; border: 1px solid #eee; padding: 0.4em; max-width: 100%; overflow-x: auto; }
figure.plot svg { display: block; height: auto; max-width: 100%; }
figcaption { font-size: 0.85em; color: #555; text-align: center; }
.fidelity { font-size: 1.1em; }
.muted { color: #666; font-size: 0.85em; }
"""


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _scoped_svg(svg: str, prefix: str) -> str:
    """Give every id in one figure's SVG a unique prefix: several matplotlib SVGs
    inline in one page would otherwise repeat ids (clip paths, glyphs)."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if not ids:
        return svg
    pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r")\b")
    return pattern.sub(lambda m: m.group(1) + prefix + m.group(2), svg)


def _table(frame) -> str:
    return frame.to_html(index=False, border=0, float_format=lambda v: f"{v:.4g}", escape=True)


def _fidelity_section(model) -> str:
    fid = getattr(model, "fidelity_", None)
    if fid is None:
        return ""
    metric = getattr(fid, "metric", "fidelity")
    value = float(getattr(fid, "value", fid))
    parts = [
        f"<p class='fidelity' id='fidelity'><b>{_esc(metric)}</b> with the black box: "
        f"<b>{value:.4g}</b>"
    ]
    lower, upper = getattr(fid, "lower", None), getattr(fid, "upper", None)
    if lower is not None and upper is not None:
        conf = getattr(fid, "confidence", None)
        level = f"{100 * float(conf):.4g}% " if conf is not None else ""
        method = getattr(fid, "method", "")
        parts.append(
            f" &nbsp; ({level}interval {float(lower):.4g} .. {float(upper):.4g}"
            + (f", {_esc(method)}" if method else "")
            + (f", n={int(fid.n)}" if getattr(fid, "n", None) is not None else "")
            + ")"
        )
    parts.append("</p>")
    n_hold = getattr(model, "n_holdout_", None)
    if n_hold is not None:
        parts.append(
            f"<p class='muted'>Measured on {int(n_hold):,} held-out queries that the "
            "student never saw.</p>"
        )
    regions = getattr(model, "regions", None)
    if callable(regions):
        try:
            frame = regions()
        except Exception:  # noqa: BLE001 - the table is a bonus; the bound is shown above
            frame = None
        if frame is not None and len(frame):
            parts.append(
                f"<h3>Fidelity per region (worst first)</h3><div id='regions'>{_table(frame)}</div>"
            )
    return "<h2>Fidelity to the black box</h2>\n" + "".join(parts)


def _summary(model, X, y) -> str:
    rows = [("model", type(model).__name__)]
    student = getattr(model, "student_", None)
    if student is not None:
        rows.append(("student", type(student).__name__))
    complexity = getattr(model, "complexity_", None)
    if complexity is not None:
        rows.append(("complexity", complexity))
    names = getattr(model, "feature_names_", None) or getattr(student, "feature_names_", None)
    if names is not None:
        rows.append(("features", len(list(names))))
    if X is not None and y is not None and hasattr(model, "score"):
        from sklearn.base import is_classifier

        metric = "accuracy" if is_classifier(model) else "R^2"
        rows.append((f"{metric} on the given data ({len(X):,} rows)", f"{model.score(X, y):.4f}"))
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f"<table id='summary'>{body}</table>"


def _comparison(table: pd.DataFrame) -> str:
    return (
        "<h2>Comparison of families on this data</h2>\n"
        "<p class='muted'>Each family fitted on 75% of the rows, scored on the other 25%.</p>\n"
        + f"<div id='comparison'>{_table(table)}</div>"
    )


def report(
    model: object,
    X: np.ndarray | pd.DataFrame | None = None,
    y: np.ndarray | pd.Series | None = None,
    *,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    comparison: pd.DataFrame | None = None,
    max_terms: int = 12,
) -> str:
    """Write (when ``path`` is given) and return one offline HTML page about ``model``.

    ``X``/``y``: data to score the model on and to plot local contributions of
    (up to 200 rows). ``comparison``: a table of families fitted on that data,
    as ``glassbox.compare.compare_families(X, y, ...)`` returns it, shown as is.
    A surrogate (anything with a ``fidelity_``) gets its fidelity and bound.
    The page is built from the fitted model and these inputs; nothing is fitted.
    """
    from sklearn.utils.validation import check_is_fitted

    from . import plots

    if hasattr(model, "fit"):
        check_is_fitted(model)
    name = type(model).__name__
    title = title or f"glassbox report: {name}"
    X_plot = None
    if X is not None:
        X_plot = X.iloc[:200] if hasattr(X, "iloc") else X[:200]
    figures = plots.plot_model(model, X_plot, max_terms=max_terms)
    figure_html = []
    for i, (caption, fig) in enumerate(figures):
        svg = _scoped_svg(plots.to_svg(fig), f"f{i}-")
        figure_html.append(
            f"<figure class='plot' id='plot-{i}'>{svg}<figcaption>{_esc(caption)}</figcaption></figure>"
        )
    sections = [
        f"<h1>{_esc(title)}</h1>",
        _summary(model, X, y),
        _fidelity_section(model),
        "<h2>The model</h2>",
        f"<pre class='model' id='model-text'>{_esc(str(model))}</pre>",
    ]
    if figure_html:
        sections += ["<h2>Plots</h2>", "<div class='plots'>" + "\n".join(figure_html) + "</div>"]
    if comparison is not None:
        sections.append(_comparison(comparison))
    from .. import __version__

    sections.append(
        f"<p class='muted'>Written by glassbox {_esc(__version__)}; "
        "this page is self-contained and works offline.</p>"
    )
    page = (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(s for s in sections if s)
        + "\n</body>\n</html>\n"
    )
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page
