"""A self-contained HTML report of a fitted model: works offline, no scripts.

One page: which rows the scores come from, the scores on them (accuracy, AUC,
confusion matrix, majority-class baseline and a calibration plot for
classifiers; R^2, MAE and a residual plot for regressors), the model's text,
its plots (inline SVG, fonts drawn as paths, so no font or CDN is fetched),
for a distilled surrogate the black box's and the surrogate's scores and the
fidelity on real rows, and a comparison table of families only when the caller
passes one (``glassbox.compare.compare_families``). Global effects (permutation
importance, partial dependence with ICE, ALE) and counterfactuals appear only
when the caller passes their precomputed results (``effects=``,
``counterfactuals=``; read by attribute, as render never imports surrogates).
Writing the page fits and computes nothing.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1240px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
pre.model { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 1em; overflow-x: auto;
            font-size: 0.85em; line-height: 1.35; white-space: pre; }
table { border-collapse: collapse; font-size: 0.9em; margin-bottom: 0.6em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
.plots, .scores { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
figure.plot { margin: 0; border: 1px solid #eee; padding: 0.4em; max-width: 100%; overflow-x: auto; }
figure.plot svg { display: block; height: auto; max-width: 100%; }
figcaption { font-size: 0.85em; color: #555; text-align: center; }
.fidelity { font-size: 1.1em; }
.data { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.4em 0.8em; }
.data.test { background: #eef7ee; border-left-color: #3c9a3c; }
.muted { color: #666; font-size: 0.85em; }
"""

#: what the page says about the scored rows, by ``data_role``
_ROLES = {
    "test": ("test", "held-out test rows (not used in fitting)"),
    "train": (
        "train",
        "the training rows (the model was fitted on these rows, so the scores are optimistic)",
    ),
    None: ("", "the rows given (the caller did not say whether the model was fitted on them)"),
}


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


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4f}" if np.isfinite(value) else "n/a"
    return str(value)


def _metric_table(rows: list[tuple[str, str, object]], table_id: str) -> str:
    """(key, label, value) rows; ``data-metric`` carries the key for readers and tests."""
    body = "".join(
        f"<tr data-metric='{_esc(key)}'><th>{_esc(label)}</th><td>{_esc(_fmt(v))}</td></tr>"
        for key, label, v in rows
    )
    return f"<table id='{_esc(table_id)}'>{body}</table>"


def _figure_html(fig, caption: str, key: str) -> str:
    from . import plots

    svg = _scoped_svg(plots.to_svg(fig), f"{key}-")
    return (
        f"<figure class='plot' id='plot-{_esc(key)}'>{svg}"
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
    )


# --- what the model is -------------------------------------------------------------


def _is_surrogate(model) -> bool:
    return getattr(model, "fidelity_", None) is not None and (
        getattr(model, "blackbox_", None) is not None
        or getattr(model, "blackbox", None) is not None
    )


def _is_classifier(model) -> bool:
    task = getattr(model, "task_", None)
    if task is not None:
        return task == "classification"
    from sklearn.base import is_classifier

    return bool(is_classifier(model))


def _summary(model, n_rows: int | None) -> str:
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
    if n_rows is not None:
        rows.append(("rows scored", f"{n_rows:,}"))
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f"<table id='summary'>{body}</table>"


# --- scores ------------------------------------------------------------------------


def _classifier_scores(name: str, classes, y, pred, proba) -> dict:
    """Accuracy, ROC AUC and the confusion matrix of one model's answers on y."""
    from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score

    out = {"accuracy": accuracy_score(y, pred), "auc": float("nan"), "auc_note": ""}
    if proba is not None:
        try:
            if len(classes) == 2:
                out["auc"] = roc_auc_score(np.asarray(y) == classes[1], proba[:, 1])
            else:
                out["auc"] = roc_auc_score(y, proba, multi_class="ovr", labels=list(classes))
        except ValueError as exc:  # one class only in y, or labels y does not have
            out["auc_note"] = str(exc).splitlines()[0]
    out["confusion"] = confusion_matrix(y, pred, labels=list(classes))
    return out


def _confusion_html(matrix: np.ndarray, classes, table_id: str) -> str:
    head = "".join(f"<th>predicted {_esc(c)}</th>" for c in classes)
    body = "".join(
        f"<tr><th>true {_esc(c)}</th>" + "".join(f"<td>{int(v)}</td>" for v in row) + "</tr>"
        for c, row in zip(classes, matrix)
    )
    return f"<table id='{_esc(table_id)}' class='confusion'><tr><th></th>{head}</tr>{body}</table>"


def _classes_of(model):
    classes = getattr(model, "classes_", None)
    if classes is None:
        classes = getattr(getattr(model, "blackbox_", None), "classes_", None)
    return list(classes) if classes is not None else None


def _proba(model, X):
    if not hasattr(model, "predict_proba"):
        return None
    try:
        return np.asarray(model.predict_proba(X), dtype=float)
    except (AttributeError, NotImplementedError):
        return None


def _classification_section(model, X, y, figures: list[str]) -> str:
    y_arr = np.asarray(y)
    classes = _classes_of(model)
    pred = np.asarray(model.predict(X))
    proba = _proba(model, X)
    if classes is None:
        classes = sorted(set(y_arr.tolist()) | set(pred.tolist()), key=str)
    values, counts = np.unique(y_arr.astype(str), return_counts=True)
    majority, share = values[np.argmax(counts)], counts.max() / counts.sum()
    s = _classifier_scores(type(model).__name__, classes, y_arr, pred, proba)
    rows = [
        ("accuracy", "accuracy", s["accuracy"]),
        ("baseline", f"majority-class baseline (always '{majority}')", share),
        ("auc", "ROC AUC" + (" (one-vs-rest, macro)" if len(classes) > 2 else ""), s["auc"]),
    ]
    parts = [_metric_table(rows, "scores")]
    if s["auc_note"]:
        parts.append(f"<p class='muted'>AUC not available: {_esc(s['auc_note'])}</p>")
    parts += [
        "<h3>Confusion matrix (rows: true class, columns: predicted)</h3>",
        _confusion_html(s["confusion"], classes, "confusion"),
    ]
    if proba is not None and proba.shape[1] == len(classes) and len(y_arr) >= 2:
        from . import plots

        if len(classes) == 2:
            fig = plots.calibration(y_arr == classes[1], proba[:, 1], label=f"P({classes[1]})")
        else:  # the confidence of the predicted class against how often it is right
            fig = plots.calibration(pred == y_arr, proba.max(axis=1), label="P(predicted class)")
        figures.append(_figure_html(fig, "Calibration on these rows", "calibration"))
    return "".join(parts)


def _regression_section(model, X, y, figures: list[str]) -> str:
    from sklearn.metrics import mean_absolute_error, r2_score

    from . import plots

    y_arr = np.asarray(y, dtype=float)
    pred = np.asarray(model.predict(X), dtype=float)
    rows = [
        ("r2", "R^2", r2_score(y_arr, pred)),
        ("mae", "MAE (mean absolute error)", mean_absolute_error(y_arr, pred)),
        ("rmse", "RMSE", float(np.sqrt(np.mean((y_arr - pred) ** 2)))),
        (
            "baseline_mae",
            "baseline MAE (always the mean of these y; its R^2 is 0)",
            mean_absolute_error(y_arr, np.full_like(y_arr, y_arr.mean())),
        ),
    ]
    figures.append(
        _figure_html(plots.residuals(y_arr, pred), "Residuals on these rows", "residuals")
    )
    return _metric_table(rows, "scores")


def _surrogate_section(model, X, y) -> str:
    """The black box's and the surrogate's scores on these rows, and the fidelity on
    them (real rows), next to the fidelity measured on held-out queries at fit time."""
    bb = getattr(model, "blackbox_", None) or getattr(model, "blackbox", None)
    classifier = _is_classifier(model)
    parts = ["<h2>The black box and its surrogate on these rows</h2>"]
    if y is not None:
        y_arr = np.asarray(y)
        if classifier:
            classes = _classes_of(model)
            if classes is not None and not set(np.unique(y_arr).tolist()) <= set(classes):
                parts.append(
                    "<p class='muted'>The black box's classes "
                    f"({_esc(', '.join(map(str, classes)))}) are not the labels in y; "
                    "scores against y are not shown.</p>"
                )
            else:
                head = "<tr><th>model</th><th>accuracy</th><th>ROC AUC</th></tr>"
                body = []
                for key, label, pred, proba in (
                    ("blackbox", "black box", bb.predict(X), np.asarray(bb(X), dtype=float)),
                    ("surrogate", "surrogate", model.predict(X), _proba(model, X)),
                ):
                    s = _classifier_scores(label, classes, y_arr, np.asarray(pred), proba)
                    body.append(
                        f"<tr data-model='{key}'><td>{label}</td><td>{_fmt(s['accuracy'])}</td>"
                        f"<td>{_fmt(s['auc'])}</td></tr>"
                    )
                parts.append(f"<table id='bb-scores'>{head}{''.join(body)}</table>")
        else:
            from sklearn.metrics import mean_absolute_error, r2_score

            head = "<tr><th>model</th><th>R^2</th><th>MAE</th></tr>"
            body = []
            for key, label, pred in (
                ("blackbox", "black box", bb.predict(X)),
                ("surrogate", "surrogate", model.predict(X)),
            ):
                pred = np.asarray(pred, dtype=float)
                yf = y_arr.astype(float)
                body.append(
                    f"<tr data-model='{key}'><td>{label}</td><td>{_fmt(r2_score(yf, pred))}</td>"
                    f"<td>{_fmt(mean_absolute_error(yf, pred))}</td></tr>"
                )
            parts.append(f"<table id='bb-scores'>{head}{''.join(body)}</table>")
    fid = model.fidelity(X) if callable(getattr(model, "fidelity", None)) else None
    if fid is not None:
        what = (
            "agreement (share of rows where both give the same class)"
            if fid.metric == "agreement"
            else "R^2 of the surrogate against the black box"
        )
        parts.append(
            f"<p class='fidelity' id='fidelity-rows'>Fidelity on these {int(fid.n):,} real rows: "
            f"<b>{float(fid.value):.4f}</b> {_esc(what)}; {100 * float(fid.confidence):.4g}% "
            f"interval {float(fid.lower):.4f} .. {float(fid.upper):.4f} ({_esc(fid.method)}).</p>"
        )
    held = model.fidelity_
    n_hold = getattr(model, "n_holdout_", None)
    parts.append(
        f"<p id='fidelity'>Fidelity on {int(n_hold or held.n):,} held-out queries "
        f"(synthesized rows the student never saw): <b>{float(held.value):.4f}</b>; "
        f"{100 * float(held.confidence):.4g}% interval {float(held.lower):.4f} .. "
        f"{float(held.upper):.4f} ({_esc(held.method)}).</p>"
    )
    regions = getattr(model, "regions", None)
    if callable(regions):
        try:
            frame = regions(X)
        except (ValueError, TypeError):  # the table is a bonus; the numbers above stand
            frame = None
        if frame is not None and len(frame):
            parts.append(
                "<h3>Fidelity per region of the surrogate on these rows (least faithful first)</h3>"
                f"<div id='regions'>{_table(frame)}</div>"
            )
    return "\n".join(parts)


def _comparison(table: pd.DataFrame) -> str:
    return (
        "<h2>Comparison of families on this data</h2>\n"
        "<p class='muted'>As passed by the caller (each family fitted and scored by "
        "glassbox.compare); this page fitted nothing.</p>\n"
        + f"<div id='comparison'>{_table(table)}</div>"
    )


def _effect_kind(effect) -> str:
    """What a precomputed effect is, read from its attributes (render never imports
    surrogates): "importance", "pd" or "ale"."""
    if getattr(effect, "method", None) == "permutation_importance" and hasattr(
        effect, "importances"
    ):
        return "importance"
    if getattr(effect, "method", None) == "h_statistic" and hasattr(effect, "importances"):
        return "interaction"
    if hasattr(effect, "average") and hasattr(effect, "deciles"):
        return "pd"
    if hasattr(effect, "counts") and hasattr(effect, "values") and hasattr(effect, "kind"):
        return "ale"
    if hasattr(effect, "prototype_indices") and hasattr(effect, "criticism_indices"):
        return "prototypes"
    raise TypeError(
        "effects must be permutation importances, partial dependences, ALE results, H "
        "statistics "
        f"(surrogates.effects) or prototypes (surrogates.prototypes), got {type(effect).__name__}"
    )


def _is_single_effect(effects) -> bool:
    try:
        _effect_kind(effects)
    except TypeError:
        return False
    return True


def _effects_section(effects) -> str:
    """Plots (and for importances a table) of global effects the caller computed."""
    import pandas as pd

    from . import plots

    parts = [
        "<h2 id='effects'>How the model behaves overall</h2>",
        "<p class='muted'>Permutation importance, partial dependence (with ICE curves), "
        "accumulated local effects and prototypes as passed by the caller (surrogates); "
        "this page computed none of them.</p>",
    ]
    figures = []
    for i, effect in enumerate(effects):
        kind = _effect_kind(effect)
        key = f"effect-{i}"
        if kind == "importance":
            fig = plots.permutation_importance(effect)
            extras = effect.extras or {}
            frame = pd.DataFrame(
                {
                    "feature": list(effect.term_names),
                    "importance": np.asarray(effect.importances, float).reshape(-1),
                }
            )
            for col in ("std", "ci_low", "ci_high"):
                if col in extras:
                    frame[col] = np.asarray(extras[col], float)
            frame = frame.sort_values("importance", ascending=False, kind="stable")
            parts.append(
                f"<div class='effect-table' id='{key}-table' data-kind='importance'>"
                f"{_table(frame)}</div>"
            )
            caption = "Permutation importance"
        elif kind == "pd":
            fig = plots.partial_dependence(effect)
            caption = f"Partial dependence on {' and '.join(effect.features)}"
            if getattr(effect, "individual", None) is not None and len(effect.features) == 1:
                caption += " with ICE curves"
        elif kind == "interaction":
            fig = plots.interaction_strength(effect)
            caption = "Interaction strength (Friedman's H)"
        elif kind == "ale":
            fig = plots.ale(effect)
            caption = f"Accumulated local effects of {' and '.join(effect.features)}"
        else:
            try:  # image-like rows: a gallery; any other rows: the table of chosen rows
                fig = plots.prototypes(effect)
            except ValueError:
                fig = None
            parts.append(
                f"<div class='effect-table' id='{key}-table' data-kind='prototypes'>"
                f"{_table(effect.to_frame())}</div>"
                if fig is None
                else ""
            )
            if fig is None:
                continue
            caption = "Prototypes and criticisms (MMD-critic)"
        figures.append(_figure_html(fig, caption, key))
    parts.append("<div class='plots'>" + "\n".join(figures) + "</div>")
    return "\n".join(parts)


def _counterfactual_section(results) -> str:
    """Counterfactual rows the caller computed: the sentence per row, validity (re-checked
    on the model) and whether the first is proven nearest, then the rows as a table."""
    parts = [
        "<h2 id='counterfactuals'>What would have to change (counterfactuals)</h2>",
        "<p class='muted'>As passed by the caller (surrogates.counterfactuals); each row "
        "was re-checked on the model when it was computed.</p>",
    ]
    for i, cf in enumerate(results):
        n = len(cf.rows)
        valid = int(np.count_nonzero(np.asarray(cf.valid, bool)))
        proof = "proven nearest under the cost" if cf.exact else "searched (not proven nearest)"
        head = (
            f"<h3>Row {i + 1}: predicted {_esc(cf.original)} (method {_esc(cf.method)}, "
            f"{_esc(proof)})</h3>"
        )
        status = (
            f"<p class='cf-status' data-valid='{valid}' data-n='{n}' "
            f"data-exact='{str(bool(cf.exact)).lower()}'>{valid} of {n} valid; "
            f"{_esc(proof)}" + (f"; {_esc(cf.message)}" if cf.message else "") + "</p>"
        )
        items = "".join(
            f"<li data-valid='{str(bool(cf.valid[j])).lower()}'>{_esc(cf.describe(j))} "
            f"<span class='muted'>(cost {float(cf.costs[j]):.4g})</span></li>"
            for j in range(n)
        )
        body = f"<ol>{items}</ol>" if n else "<p>none found</p>"
        table = f"<div class='cf-table'>{_table(cf.to_frame())}</div>" if n else ""
        parts.append(f"<div class='counterfactual' id='cf-{i}'>{head}{status}{body}{table}</div>")
    return "\n".join(parts)


def _n_terms(model) -> int | None:
    target = getattr(model, "student_", None) or model
    try:
        g = target.explain_global()
    except (NotImplementedError, AttributeError, ValueError):
        return None
    return len(g.shapes) if g.shapes else None


def report(
    model: object,
    X: np.ndarray | pd.DataFrame | None = None,
    y: np.ndarray | pd.Series | None = None,
    *,
    data_role: str | None = None,
    data_name: str | None = None,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    comparison: pd.DataFrame | None = None,
    max_terms: int = 12,
    effects: Sequence | None = None,
    counterfactuals: Sequence | object | None = None,
) -> str:
    """Write (when ``path`` is given) and return one offline HTML page about ``model``.

    Parameters
    ----------
    model : fitted glassbox estimator or surrogates ``Surrogate``
    X, y : rows to score the model on (``y`` None: no scores) and to plot local
        contributions of (up to 200 rows).
    data_role : {"test", "train"} or None
        Which rows ``X, y`` are: held-out test rows, or the rows the model was
        fitted on; the page says so next to the scores (None: "not stated").
    data_name : str or None
        Where the rows come from (a file and split), shown with the role.
    path : where to write the page.
    title : page title.
    comparison : a table of families (``glassbox.compare.compare_families``),
        shown as is; no comparison section without it.
    max_terms : plots of the ``max_terms`` most important terms; the page says
        how many more there are.
    effects : precomputed global effects (``surrogates.permutation_importance``,
        ``partial_dependence``, ``ale`` results), drawn in an "effects" section; no
        section without them.
    counterfactuals : a precomputed ``surrogates.counterfactuals`` result or a list of
        them, shown with validity and whether each set is proven nearest.

    The page is built from the fitted model and these inputs; nothing is fitted.
    """
    from sklearn.utils.validation import check_is_fitted

    from . import plots

    if data_role not in _ROLES:
        raise ValueError(f"data_role must be 'test', 'train' or None, got {data_role!r}")
    if y is not None and X is None:
        raise ValueError("y was given without X; pass the rows X that y belongs to")
    if hasattr(model, "fit"):
        check_is_fitted(model)
    name = type(model).__name__
    title = title or f"glassbox report: {name}"
    surrogate = _is_surrogate(model)
    n_rows = None if X is None else len(X)
    sections = [f"<h1>{_esc(title)}</h1>", _summary(model, n_rows)]

    # the scores, with which rows they come from
    score_figures: list[str] = []
    if X is not None:
        css, role_text = _ROLES[data_role]
        where = f" ({_esc(data_name)})" if data_name else ""
        sections.append(
            f"<h2>Scores</h2>\n<p class='data {css}' id='data-role'>Scored on "
            f"{n_rows:,} {_esc(role_text)}{where}.</p>"
        )
        if y is None:
            sections.append("<p class='muted'>No target given: no scores.</p>")
        elif _is_classifier(model):
            sections.append(_classification_section(model, X, y, score_figures))
        else:
            sections.append(_regression_section(model, X, y, score_figures))
        if score_figures:
            sections.append("<div class='plots'>" + "\n".join(score_figures) + "</div>")
    if surrogate:
        if X is not None:
            sections.append(_surrogate_section(model, X, y))
        else:
            fid = model.fidelity_
            sections.append(
                "<h2>Fidelity to the black box</h2>"
                f"<p class='fidelity' id='fidelity'>{_esc(fid.metric)} on "
                f"{int(fid.n):,} held-out queries: <b>{float(fid.value):.4f}</b> "
                f"({100 * float(fid.confidence):.4g}% interval {float(fid.lower):.4f} .. "
                f"{float(fid.upper):.4f})</p>"
            )

    text = str(model.student_) if surrogate and hasattr(model, "student_") else str(model)
    sections += ["<h2>The model</h2>", f"<pre class='model' id='model-text'>{_esc(text)}</pre>"]

    X_plot = None
    if X is not None:
        X_plot = X.iloc[:200] if hasattr(X, "iloc") else X[:200]
    figures = plots.plot_model(model, X_plot, max_terms=max_terms)
    figure_html = [_figure_html(fig, caption, str(i)) for i, (caption, fig) in enumerate(figures)]
    n_terms = _n_terms(model)
    if figure_html:
        sections += ["<h2>Plots</h2>", "<div class='plots'>" + "\n".join(figure_html) + "</div>"]
    if n_terms is not None and n_terms > max_terms:
        hidden = n_terms - max_terms
        sections.append(
            f"<p id='terms-hidden'>{hidden} more term{'s' if hidden != 1 else ''} not shown "
            f"(the {max_terms} most important of {n_terms} are plotted above).</p>"
        )
    if comparison is not None:
        sections.append(_comparison(comparison))
    if effects is not None:  # one result, or a list of them
        effects = [effects] if _is_single_effect(effects) else list(effects)
    if effects:
        sections.append(_effects_section(effects))
    if counterfactuals is not None:
        if hasattr(counterfactuals, "changes"):  # one result
            counterfactuals = [counterfactuals]
        sections.append(_counterfactual_section(list(counterfactuals)))
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
