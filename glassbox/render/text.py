"""The text form of every glassbox model, in one place.

``render(model)`` is what ``str(model)`` returns once the model is fitted.
Numbers are printed with enough significant digits that evaluating the
printout reproduces the model's predictions (the tests do exactly that).
Each family registers its renderer by class with ``@renders(GLMClassifier, ...)``
(into ``glassbox.base.render_text``, which ``str(model)`` calls, so no model
imports this module); the sections below are one per family. A renderer reads
the model's explanation data, public methods and public fitted attributes only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._format import exact, exact_num, num, rule_text, short, signed_term, sparkline, table
from ..base import GlassboxMixin, render_text
from ..explanation import GlobalExplanation, TermShape
from ..models.ebm import EBMClassifier, EBMRegressor
from ..models.gam import GAMClassifier, GAMRegressor
from ..models.glm import GLMClassifier, GLMRegressor
from ..models.one_r import OneRClassifier
from ..models.ripper import RipperClassifier
from ..models.rule_list import RuleListClassifier
from ..models.rule_set import RuleSetClassifier, RuleSetRegressor
from ..models.svm import LinearSVMClassifier
from ..models.symbolic import SymbolicRegressor
from ..models.tree import TreeClassifier, TreeRegressor

Renderer = Callable[..., str]


def renders(*classes: type) -> Callable[[Renderer], Renderer]:
    """Register the decorated function as the text renderer of ``classes``
    (and their subclasses, unless they have their own)."""

    for cls in classes:
        if not isinstance(cls, type):
            raise TypeError(f"renders takes model classes, got {cls!r}")

    def register(fn: Renderer) -> Renderer:
        for cls in classes:
            render_text.register(cls, fn)
        return fn

    return register


def render(model: GlassboxMixin, **options: object) -> str:
    """The human-readable text of a fitted glassbox model (what ``str(model)`` is)."""
    return render_text(model, **options)


def export_text(
    model: GlassboxMixin, *, full: bool = False, max_terms: int | None | str = "default"
) -> str:
    """Text of a fitted model; ``full=True`` adds complete lookup tables where a
    family abbreviates them in ``str(model)`` (shape functions, spline values).
    ``max_terms`` (additive models): terms listed in the summary, None for all;
    the default is what ``str(model)`` shows."""
    if max_terms == "default":
        return render(model, full=full)
    return render(model, full=full, max_terms=max_terms)


# --- GLM ---------------------------------------------------------------------

_LHS = {"identity": "E[{y}]", "log": "log(E[{y}])"}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _glm_term(name: str, level) -> str:
    """A term in the equation: a level term is a 0/1 indicator, written in brackets."""
    return f"[{name}]" if level is not None else name


def _equation(lhs: str, intercept: float, coef, names) -> str:
    """`lhs = b0 + b1*x1 ...`; one term per line once it no longer fits a line."""
    terms = [num(intercept)] + [signed_term(c, n) for c, n in zip(coef, names) if c != 0]
    one_line = f"{lhs} = " + " ".join(terms)
    if len(one_line) <= 100:
        return one_line
    return f"{lhs} = {terms[0]}\n" + "\n".join("    " + t for t in terms[1:])


#: a multiplicative effect beyond these bounds prints as "> 1000x" with its log
_RATIO_MAX = 1000.0


def ratio(log_change: float, scale: str = "log") -> str:
    """A multiplicative effect exp(log_change) (odds ratio, factor on E[y]) a person can
    read: 3 significant digits, enough digits to differ from 1 when it is not exactly 1
    (never a bare ``×1``), and ``×>1000`` / ``×<1/1000`` with the log change when the
    factor is extreme (``×2.8e35`` says nothing a reader can use)."""
    c = float(log_change)
    if not np.isfinite(c):
        return "×inf" if c > 0 else ("×0" if c < 0 else "nan")
    if c == 0:
        return "×1"
    if abs(c) > np.log(_RATIO_MAX):
        bound = ">1000" if c > 0 else "<1/1000"
        return f"×{bound} ({scale} {'+' if c > 0 else '-'}{short(abs(c))})"
    r = float(np.exp(c))
    dev = abs(np.expm1(c))
    if dev < 0.01:  # near 1: show the deviation's first two digits
        places = int(-np.floor(np.log10(dev))) + 1
        return "×" + f"{r:.{places}f}".rstrip("0")
    return "×" + num(r, 3)


def p_value(p: float) -> str:
    """Two significant digits; below 1e-16 the float cannot say more than that."""
    p = float(p)
    if not np.isfinite(p):
        return ""
    return "<1e-16" if p < 1e-16 else num(p, 2)


def _glm_terms(model) -> tuple[list[str], list]:
    """Term labels and, per term, its level (None for a numeric term)."""
    names = list(getattr(model, "term_names_", None) or model.feature_names_)
    cols = getattr(model, "term_columns_", None)
    levels = [c[1] for c in cols] if cols is not None else [None] * len(names)
    return names, levels


def _coef_table(model, coef, link: str, k: int | None = None) -> str:
    """Coefficients with standard errors, 95% intervals and p-values (when the fit
    is unpenalised), effects per unit and per standard deviation of numeric terms
    (a per-unit odds ratio is unreadable for a feature measured in thousandths).
    ``k``: the class of a multiclass model (its row of the inference arrays); its
    sum-to-zero coefficients have no single odds ratio, so no effect columns."""
    names, levels = _glm_terms(model)
    se = getattr(model, "standard_errors_", None)
    ci = getattr(model, "conf_int_", None)
    pv = getattr(model, "p_values_", None)
    if k is not None:
        se, ci, pv = (
            None if a is None or np.ndim(a) < 2 else np.asarray(a)[k] for a in (se, ci, pv)
        )
    sd = getattr(model, "X_std_", None) if k is None else None
    stat = getattr(model, "statistic_", None)
    inference = se is not None and len(se) == len(names) + 1
    effect_head = {
        "identity": "effect of +1",
        "log": "E[y] ×",
        "logit": "odds ratio",
    }.get(link)

    def effect(change: float) -> str:
        if link == "identity":
            return ("+" if change >= 0 else "") + short(change)
        return ratio(change, "log-odds" if link == "logit" else "log")

    def inference_cells(i: int) -> list[str]:
        if not inference:
            return []
        if ci is not None:
            lo, hi = ci[i]
        else:  # Wald interval from the standard error
            lo, hi = [coef_all[i] - 1.96 * se[i], coef_all[i] + 1.96 * se[i]]
        return [short(se[i]), f"{short(lo)} .. {short(hi)}"] + (
            [p_value(pv[i])] if pv is not None else []
        )

    intercept = model.intercept_
    if k is not None:
        b0 = float(np.ravel(intercept)[k])
    else:
        b0 = float(np.ravel(intercept)[-1]) if np.ndim(intercept) else float(intercept)
    coef_all = np.concatenate([[b0], np.asarray(coef, dtype=float)])
    n_effect = 0 if effect_head is None else 1 + (sd is not None)
    rows = []
    if inference:
        rows.append(["(intercept)", short(b0)] + inference_cells(0) + [""] * n_effect)
    for j, (c, n) in enumerate(zip(coef, names)):
        row = [n, short(c)] + inference_cells(j + 1)
        if effect_head is not None:
            row.append(effect(c))
            if sd is not None:
                row.append(effect(c * sd[j]) if levels[j] is None else "")
        rows.append(row)
    headers = ["term", "coefficient"]
    if inference:
        headers += ["std.err", "95% CI"] + ([f"Pr(>|{stat or 'z'}|)"] if pv is not None else [])
    if effect_head is not None:
        headers.append(effect_head)
        if sd is not None:
            headers.append("per +1 SD")
    return table(headers, rows)


def _glm_notes(model) -> list[str]:
    """The penalty line (always) and the reason for a fallback, when there is one."""
    lines = []
    penalty = getattr(model, "penalty_", None)
    if penalty:
        lines.append(f"penalty: {penalty}")
    fallback = getattr(model, "fallback_", None)
    if fallback:
        lines.append(f"note: {fallback}; no standard errors")
    return lines


def _level_note(model) -> list[str]:
    cols = getattr(model, "term_columns_", None)
    if not cols or all(c[1] is None for c in cols):
        return []
    return [
        "[A: b vs c] is 1 when column A is b and 0 otherwise (c is the reference level, "
        "whose effect is in the intercept)."
    ]


@renders(GLMRegressor)
def _render_glm_regressor(model: GLMRegressor, **_) -> str:
    names, levels = _glm_terms(model)
    link = model.link_
    head = (
        f"GLMRegressor: {model.family} family, {link} link, "
        f"{_count(model.complexity_, 'non-zero coefficient')}, fitted on {model.n_train_} rows"
    )
    eq_names = [_glm_term(n, lv) for n, lv in zip(names, levels)]
    eq = _equation(_LHS[link].format(y="y"), model.intercept_, model.coef_, eq_names)
    lines = [head, *_glm_notes(model), "", eq, *_level_note(model), ""]
    lines.append(_coef_table(model, model.coef_, link))
    if link == "log":
        lines += [
            "",
            "Effects are multiplicative: each +1 unit of a feature multiplies E[y] by its factor.",
        ]
    return "\n".join(lines)


@renders(GLMClassifier)
def _render_glm_classifier(model: GLMClassifier, **_) -> str:
    names, levels = _glm_terms(model)
    eq_names = [_glm_term(n, lv) for n, lv in zip(names, levels)]
    classes = [str(c) for c in model.classes_]
    head = (
        f"GLMClassifier: logistic, {len(classes)} classes, "
        f"{_count(model.complexity_, 'term')} with non-zero coefficients, "
        f"fitted on {model.n_train_} rows"
    )
    lines = [head, *_glm_notes(model), ""]
    if len(classes) == 2:
        lhs = f"log-odds(y = {classes[1]})"
        lines += [
            _equation(lhs, model.intercept_[0], model.coef_[0], eq_names),
            f"P(y = {classes[1]}) = 1 / (1 + exp(-log-odds))",
            *_level_note(model),
            "",
            _coef_table(model, model.coef_[0], "logit"),
        ]
        return "\n".join(lines)
    for k, cls in enumerate(classes):
        lines.append(_equation(f"score({cls})", model.intercept_[k], model.coef_[k], eq_names))
    lines += ["P(y = k) = exp(score(k)) / sum over classes of exp(score)", *_level_note(model)]
    se = getattr(model, "standard_errors_", None)
    if se is not None and np.ndim(se) == 2:  # unpenalised: one inference table per class
        for k, cls in enumerate(classes):
            lines += ["", f"score({cls}):", _coef_table(model, model.coef_[k], "softmax", k)]
        lines += [
            "",
            "Coefficients sum to zero over the classes; differences between two classes'",
            "coefficients are the log-odds ratios between them.",
        ]
        return "\n".join(lines)
    lines += [
        "",
        table(
            ["term"] + [f"coef[{c}]" for c in classes],
            [
                [n] + [short(model.coef_[k, j]) for k in range(len(classes))]
                for j, n in enumerate(names)
            ],
        ),
    ]
    return "\n".join(lines)


# --- linear SVM -----------------------------------------------------------------


def _svm_table(model, k: int) -> str:
    """Weights beside their Haufe activation patterns (Cov(X) w: how each term moves
    with the score; a weight of correlated features cannot be read alone)."""
    names, levels = _glm_terms(model)
    sd = getattr(model, "X_std_", None)
    rows = []
    for j, n in enumerate(names):
        w = float(model.coef_[k, j])
        per_sd = short(w * sd[j]) if sd is not None and levels[j] is None else ""
        rows.append([n, short(w), per_sd, short(float(model.patterns_[k, j]))])
    return table(["term", "weight", "per +1 SD", "pattern cov(term, score)"], rows)


@renders(LinearSVMClassifier)
def _render_linear_svm(model: LinearSVMClassifier, **_) -> str:
    names, levels = _glm_terms(model)
    eq_names = [_glm_term(n, lv) for n, lv in zip(names, levels)]
    classes = [str(c) for c in model.classes_]
    binary = len(classes) == 2
    head = (
        f"LinearSVMClassifier: linear SVM, {len(classes)} classes"
        + ("" if binary else " (one-vs-rest: one binary SVM per class against the rest)")
        + f", {_count(model.complexity_, 'term')} with non-zero weights, "
        f"fitted on {model.n_train_} rows"
    )
    a = float(model.calibration_)
    lines = [head, f"penalty: {model.penalty_}", ""]
    sup = model.n_support_
    sv = (
        f"support vectors: {len(model.support_)} of {model.n_train_} rows have margin <= 1 "
        f"({', '.join(f'{c}: {int(s)}' for c, s in zip(classes, sup))}); "
        "model.support_vectors_ holds them"
    )
    if binary:
        lines += [
            _equation("score", model.intercept_[0], model.coef_[0], eq_names),
            f"predict {classes[1]} when score > 0, else {classes[0]}",
            f"P(y = {classes[1]}) = 1 / (1 + exp(-{num(a)} * score))",
            *_level_note(model),
            f"margin width 2/||w|| = {short(float(model.margin_width_[0]))} "
            "(in standard deviations of the features)",
            sv,
            "",
            _svm_table(model, 0),
        ]
    else:
        for k, cls in enumerate(classes):
            lines.append(_equation(f"score({cls})", model.intercept_[k], model.coef_[k], eq_names))
        lines += [
            "predict the class with the highest score",
            f"P(y = k) = exp({num(a)} * score(k)) / sum over classes of exp({num(a)} * score)",
            *_level_note(model),
            "margin widths 2/||w|| (in standard deviations of the features): "
            + ", ".join(f"{c}: {short(float(m))}" for c, m in zip(classes, model.margin_width_)),
            sv,
        ]
        for k, cls in enumerate(classes):
            lines += ["", f"score({cls}) ({cls} vs rest):", _svm_table(model, k)]
    lines += [
        "",
        "weight: change of the score per +1 unit of the term; pattern: covariance of the term",
        "with the score on the training rows (Haufe et al. 2014), the way to read weights of",
        "correlated terms. Probabilities are a monotone calibration of the score (one",
        "temperature, no intercept), so the most probable class is always the predicted one.",
    ]
    return "\n".join(lines)


# --- trees -------------------------------------------------------------------


@renders(TreeClassifier, TreeRegressor)
def _render_tree(model: TreeClassifier | TreeRegressor, **_) -> str:
    tree = model.nodes()
    names = tree.feature_names
    values = tree.value
    classifier = hasattr(model, "classes_")
    classes = list(tree.output_names) if classifier else None
    kind = type(model).__name__
    lines = [
        f"{kind}: {model.complexity_} leaves, depth {tree.depth}, "
        f"fitted on {model.n_train_} rows"
        + (f" (classes: {', '.join(classes)})" if classifier else ""),
        "",
    ]

    def leaf_text(node: int) -> str:
        n = int(tree.samples[node])
        if classifier:
            probs = values[node]
            best = int(np.argmax(probs))
            dist = ", ".join(f"{c} {num(p, 6)}" for c, p in zip(classes, probs))
            return f"class: {classes[best]}  [p: {dist}]  samples={n}"
        return f"value: {num(values[node, 0])}  samples={n}"

    # the model words its own split conditions (levels, "or missing") when it can
    split_conditions = getattr(model, "split_conditions", None)
    conditions = split_conditions() if callable(split_conditions) else None
    if conditions is not None and any(
        c is not None and "or missing" in c[0] + c[1] for c in conditions
    ):
        lines.insert(1, "missing values go where a condition says 'or missing'")

    def walk(node: int, depth: int) -> None:
        indent = "|   " * depth + "|--- "
        left, right = tree.left[node], tree.right[node]
        if left < 0:
            lines.append(indent + leaf_text(node))
            return
        if conditions is not None and conditions[node] is not None:
            left_text, right_text = conditions[node]
        else:
            name = names[tree.feature[node]]
            thr = num(tree.threshold[node])
            left_text, right_text = f"{name} <= {thr}", f"{name} >  {thr}"
        lines.append(f"{indent}{left_text}  (samples={int(tree.samples[left])})")
        walk(left, depth + 1)
        lines.append(f"{indent}{right_text}  (samples={int(tree.samples[right])})")
        walk(right, depth + 1)

    if tree.left[0] < 0:
        lines.append(leaf_text(0))
    else:
        walk(0, 0)
    return "\n".join(lines)


# --- GAM ---------------------------------------------------------------------
# Shared by GAM and EBM: the summary of an additive model (intercept, terms ranked
# by importance with sparklines, level tables, small pair grids).

_ADDITIVE_LHS = {
    "identity": "E[{y}]",
    "log": "log(E[{y}])",
    "logit": "log-odds(y = {y})",
    "ovr_logit": "one-vs-rest log-odds(y = {y})",
    "softmax": "score({y})",
}


def _outputs_of(values: np.ndarray, n_out: int) -> list[np.ndarray]:
    """Split a shape's values (last axis = outputs when n_out > 1) per output."""
    v = np.asarray(values, dtype=float)
    return [v] if n_out == 1 else [v[..., k] for k in range(n_out)]


def _spark(values: np.ndarray, width: int = 24) -> str:
    v = np.asarray(values, dtype=float)
    if v.size > width:  # sample evenly so long shapes keep their outline
        v = v[np.linspace(0, v.size - 1, width).round().astype(int)]
    return sparkline(v)


def _signed(x: float) -> str:
    return "0" if x == 0 else ("+" if x > 0 else "") + short(x)


def _missing_cells(shape: TermShape) -> np.ndarray | None:
    """Scores of the lookup cells a missing value reaches (index 0 on any feature
    axis), or None when the term has no lookup or NaN adds nothing in it."""
    if shape.lookup is None:
        return None
    lookup = np.asarray(shape.lookup, dtype=float)
    n_feats = len(shape.features)
    hit = np.zeros(lookup.shape[:n_feats], dtype=bool)
    for axis in range(n_feats):
        index = [slice(None)] * n_feats
        index[axis] = 0
        hit[tuple(index)] = True
    cells = lookup[hit]
    return cells if cells.size and np.any(cells != 0) else None


def _missing_text(shape: TermShape) -> str:
    cells = _missing_cells(shape)
    if cells is None:
        return ""
    if len(shape.features) == 1 and cells.shape[0] == 1:
        return " / ".join(_signed(v) for v in np.ravel(cells))
    return f"{_signed(cells.min())} .. {_signed(cells.max())}"


def _axis_labels(shape: TermShape, i: int) -> list[str]:
    """Labels of the ``i``-th feature's cells: inner bins only, or (when the term has a
    lookup table) 'missing', the inner bins and '(unseen)', in lookup order."""
    grid = np.asarray(shape.grid[i])
    cuts = None if shape.cuts is None else shape.cuts[i]
    if cuts is not None:
        edges = ["-inf", *(short(c) for c in cuts), "inf"]
        inner = [f"[{lo},{hi})" for lo, hi in zip(edges[:-1], edges[1:])]
    elif grid.dtype.kind in "OUSb":
        inner = [str(v) for v in grid]
    else:
        inner = [short(v) for v in grid]
    if shape.lookup is None:
        return inner
    return ["missing", *inner, "(unseen)"]


def _band_cells(shape: TermShape, n_out: int) -> tuple[str, list[list[str]]] | None:
    """The band column of a level table: its head ('± sd' for a spread across
    bags, 'interval' for lower .. upper) and, per output, one cell per level;
    None when the shape has no band."""
    if shape.std is not None:
        per = _outputs_of(shape.std, n_out)
        return "± sd", [[f"±{short(v)}" for v in p] for p in per]
    if shape.lower is None or shape.upper is None:
        return None
    lo, hi = _outputs_of(shape.lower, n_out), _outputs_of(shape.upper, n_out)
    return "interval", [
        [f"{_signed(a)} .. {_signed(b)}" for a, b in zip(lo[k], hi[k])] for k in range(n_out)
    ]


def _level_table(shape: TermShape, outs: list[str], indent: str = "    ") -> str:
    n_out = len(outs)
    per = _outputs_of(shape.values, n_out)
    band = _band_cells(shape, n_out)
    heads = ["level"]
    for o in outs:  # each output's score, then its band when there is one
        heads.append("score" if n_out == 1 else f"score[{o}]")
        if band is not None:
            heads.append(band[0] if n_out == 1 else f"{band[0]}[{o}]")
    width = 2 if band is not None else 1
    rows = []
    if _missing_cells(shape) is not None:  # NaN has its own score: show it first
        miss = _outputs_of(shape.lookup, n_out)
        rows.append(["(missing)"] + [c for p in miss for c in [_signed(p[0]), ""][:width]])
    for i, lv in enumerate(shape.grid[0]):
        cells = [str(lv)]
        for k, p in enumerate(per):
            cells.append(_signed(p[i]))
            if band is not None:
                cells.append(band[1][k][i])
        rows.append(cells)
    return "\n".join(
        indent + line for line in table(heads, rows, "l" + "r" * (len(heads) - 1)).splitlines()
    )


def _pair_grid(shape: TermShape, outs: list[str], indent: str = "    ", size: int = 5) -> str:
    """A size x size sample of a pair's score grid (rows: first feature), with the
    missing-value row and column when NaN has a score of its own."""
    with_missing = _missing_cells(shape) is not None
    source = shape.lookup if with_missing else shape.values
    labels = [_axis_labels(shape, i) for i in range(2)]
    picks = []
    for i, g in enumerate(shape.grid):
        idx = np.unique(np.linspace(0, len(g) - 1, min(size, len(g))).round().astype(int))
        if with_missing:  # lookup order: missing, bins..., unseen
            idx = np.concatenate([[0], idx + 1])
        elif shape.lookup is not None:
            labels[i] = labels[i][1:-1]
        picks.append(idx)
    blocks = []
    n_bins = [len(g) for g in shape.grid]
    if any(n > size for n in n_bins):  # say it is a sample: the bins shown are not adjacent
        unit = "bins" if shape.cuts is not None else "grid points"  # binned (EBM) or smooth (GAM)
        blocks.append(
            f"{indent}{min(n_bins[0], size)} x {min(n_bins[1], size)} of the "
            f"{n_bins[0]} x {n_bins[1]} {unit}, evenly spaced (every {unit[:-1]}: "
            "export_text(model, full=True)):"
        )
    for k, per in enumerate(_outputs_of(source, len(outs))):
        heads = [f"{shape.features[0]} \\ {shape.features[1]}"] + [labels[1][j] for j in picks[1]]
        rows = [[labels[0][i]] + [_signed(per[i, j]) for j in picks[1]] for i in picks[0]]
        title = "" if len(outs) == 1 else f"{indent}[{outs[k]}]\n"
        blocks.append(title + "\n".join(indent + line for line in table(heads, rows).splitlines()))
    return "\n".join(blocks)


def _top_cells(shape: TermShape, outs: list[str], indent: str = "    ", top: int = 6) -> str:
    """A term of three or more features: its largest cells by |score| (missing-value
    cells included), each as the bins it joins."""
    source = shape.lookup if shape.lookup is not None else shape.values
    n_feats = len(shape.features)
    labels = [_axis_labels(shape, i) for i in range(n_feats)]
    per = _outputs_of(source, len(outs))
    size = np.abs(np.stack(per, axis=-1)).max(axis=-1)
    flat = np.argsort(-size, axis=None, kind="stable")[:top]
    heads = list(shape.features) + (["score"] if len(outs) == 1 else [f"score[{o}]" for o in outs])
    rows = []
    for cell in np.array(np.unravel_index(flat, size.shape)).T:
        rows.append(
            [labels[i][c] for i, c in enumerate(cell)] + [_signed(p[tuple(cell)]) for p in per]
        )
    n_cells = int(np.prod(size.shape))
    lines = [f"{indent}the {len(rows)} largest of {n_cells} cells (|score|):"]
    lines += [
        indent + line for line in table(heads, rows, "l" * n_feats + "r" * len(outs)).splitlines()
    ]
    return "\n".join(lines)


def _without_noise(g: GlobalExplanation, rel: float = 1e-12) -> GlobalExplanation:
    """``g`` with scores and importances below ``rel`` times the model's largest
    number set to 0: a term boosting left at 1e-19 reads as the zero it is."""
    from dataclasses import replace

    arrays = [np.abs(np.asarray(g.intercept, dtype=float)).ravel()]
    arrays += [np.abs(np.asarray(s.values, dtype=float)).ravel() for s in g.shapes]
    scale = max((float(a.max()) for a in arrays if a.size), default=0.0)
    tol = rel * scale

    def clean(a):
        if a is None:
            return None
        a = np.asarray(a, dtype=float)
        return np.where(np.abs(a) < tol, 0.0, a)

    shapes = tuple(replace(s, values=clean(s.values), lookup=clean(s.lookup)) for s in g.shapes)
    return replace(g, shapes=shapes, importances=clean(g.importances))


#: terms a summary prints by default (GAM, EBM); the rest are summarised in one line
MAX_TERMS = 15

_N_WAY = {2: "pair", 3: "3-way"}


def additive_summary(g: GlobalExplanation, head: str, max_terms: int | None = MAX_TERMS) -> str:
    """The common body of GAM and EBM printouts: ``head``, then the intercept and
    the terms of the model's global explanation ``g``, ranked by importance.

    The ``max_terms`` most important terms are shown (every one when None); the rest
    get one line with their count and share of the total importance. A term whose
    missing-value bin has a score shows it in the ``if missing`` column."""
    g = _without_noise(g)
    outs = list(g.output_names)
    n_out = len(outs)
    lines = [head, ""]
    for k, out in enumerate(outs):
        lhs = _ADDITIVE_LHS.get(g.link, "link({y})").format(y=out)
        which = "" if n_out == 1 else f" (score[{out}] columns)"
        lines.append(f"{lhs} = {num(g.intercept[k])} + sum of the term scores below{which}")
    if g.link == "softmax":
        lines.append("P(y = k) = exp(score(k)) / sum over classes of exp(score)")
    elif g.link == "ovr_logit" or (g.link == "logit" and n_out > 1):
        lines.append("one-vs-rest: P(y = k) = sigmoid(log-odds(k)), normalized over classes")
    lines += ["", "terms ranked by importance (mean |score| on the training data):", ""]
    imp = np.asarray(g.importances, dtype=float)
    rank_imp = imp if imp.ndim == 1 else imp.mean(axis=1)
    order = np.argsort(-rank_imp, kind="stable")
    shown = order if max_terms is None else order[: max(int(max_terms), 0)]
    hidden = order[len(shown) :]
    any_missing = any(_missing_cells(g.shapes[t]) is not None for t in shown)
    rows, extra = [], {}
    for t in shown:
        shape = g.shapes[t]
        per = _outputs_of(shape.values, n_out)
        missing = [_missing_text(shape)] if any_missing else []
        if shape.kind in ("continuous", "linear"):
            miss_per = _missing_cells(shape)
            for k, p in enumerate(per):  # one row per output: name, sparkline, range
                label = f"[{outs[k]}] " if n_out > 1 else ""
                if any_missing:
                    missing = ["" if miss_per is None else _signed(np.ravel(miss_per)[k])]
                rows.append(
                    [
                        g.term_names[t] if k == 0 else "",
                        label + _spark(p),
                        f"{_signed(p.min())} .. {_signed(p.max())}",
                        short(rank_imp[t]) if k == 0 else "",
                    ]
                    + missing
                )
            continue
        values = np.asarray(shape.values, dtype=float)
        span = f"{_signed(values.min())} .. {_signed(values.max())}"
        n_feats = len(shape.features)
        if shape.kind == "categorical" or n_feats == 1:
            spark = f"{len(shape.grid[0])} levels (table below)"
            extra[t] = _level_table(shape, outs)
        elif n_feats == 2:
            spark = "pair (grid below)"
            extra[t] = _pair_grid(shape, outs)
        else:
            spark = f"{_N_WAY.get(n_feats, f'{n_feats}-way')} (largest cells below)"
            extra[t] = _top_cells(shape, outs)
        rows.append([g.term_names[t], spark, span, short(rank_imp[t])] + missing)
    heads = ["term", "shape (low .. high x)", "score range", "importance"]
    lines.append(
        table(heads + (["if missing"] if any_missing else []), rows, "lllr" + "r" * any_missing)
    )
    if hidden.size:
        total = float(rank_imp.sum())
        share = f", {num(100 * rank_imp[hidden].sum() / total, 2)}% of the total" if total else ""
        lo, hi = short(rank_imp[hidden].min()), short(rank_imp[hidden].max())
        lines.append(
            f"... and {hidden.size} more term{'s' if hidden.size != 1 else ''} not shown "
            f"(importance {lo if lo == hi else f'{lo} .. {hi}'}{share}); "
            "export_text(model, max_terms=None) prints every term"
        )
    band_note = g.extras.get("band")
    if band_note and any(
        g.shapes[t].lower is not None and t in extra and len(g.shapes[t].features) == 1
        for t in shown
    ):
        lines += ["", band_note]
    for t in shown:
        if t in extra:
            lines += ["", f"{g.term_names[t]}:", extra[t]]
    return "\n".join(lines)


def _gam_full_tables(model: GAMRegressor | GAMClassifier, g: GlobalExplanation) -> str:
    """Every term on a fine grid; the printout evaluates as documented below."""
    g_out = list(g.output_names)
    n_out = len(g_out)
    base = g.intercept
    shapes = model.full_shapes()
    vhead = ["value"] if n_out == 1 else [f"value[{o}]" for o in g_out]
    lines = [
        "",
        "=== full lookup tables ===",
        "link output = intercept + the value of every term; a continuous term is read by",
        "linear interpolation between its grid rows (inside the training range), a",
        "categorical term by its level's row, a pair by bilinear interpolation in its grid.",
        "",
    ]
    for k, o in enumerate(g_out):
        lines.append(f"intercept[{o}] = {exact(base[k])}")
    for shape in shapes:
        per = _outputs_of(shape.values, n_out)
        lines += ["", f"[{shape.name}] {shape.kind}"]
        if len(shape.features) == 2:  # a pair: rows the first feature, columns the second
            for k, p in enumerate(per):
                head = [f"{shape.features[0]} \\ {shape.features[1]}"]
                head[0] += "" if n_out == 1 else f" [{g_out[k]}]"
                cols = head + [exact(x) for x in shape.grid[1]]
                rows = [[exact(x)] + [exact(v) for v in p[i]] for i, x in enumerate(shape.grid[0])]
                lines.append(table(cols, rows))
            continue
        col = "x" if shape.kind != "categorical" else "level"
        rows = [
            [exact(x) if shape.kind != "categorical" else str(x)] + [exact(p[i]) for p in per]
            for i, x in enumerate(shape.grid[0])
        ]
        lines.append(table([col] + vhead, rows))
    return "\n".join(lines)


@renders(GAMRegressor, GAMClassifier)
def _render_gam(
    model: GAMRegressor | GAMClassifier,
    full: bool = False,
    max_terms: int | None = MAX_TERMS,
    **_,
) -> str:
    kind = type(model).__name__
    if hasattr(model, "classes_"):
        what = f"logistic, {len(model.classes_)} classes" + (
            " (one-vs-rest)" if len(model.classes_) > 2 else ""
        )
    else:
        what = f"{model.distribution} distribution, {model.link_} link"
    g = model.explain_global()
    lams = sorted({float(f"{float(np.ravel(lam)[0]):.6g}") for lam in g.extras["lam"]})
    how = "chosen by gridsearch" if model.lam is None else "fixed"
    head = (
        f"{kind}: {what}, {_count(model.complexity_, 'term')}, "
        f"lam {', '.join(num(v, 4) for v in lams)} "
        f"({how}), fitted on {model.n_train_} rows"
    )
    text = additive_summary(g, head, max_terms)
    return text + "\n" + _gam_full_tables(model, g) if full else text


# --- EBM ---------------------------------------------------------------------


def _ebm_axis_lines(shape: TermShape, i: int) -> tuple[str, list[str]]:
    """Bins of the term's ``i``-th feature: its cut points or levels line, and
    one label per row of the lookup table (missing, bins..., unseen)."""
    name = shape.features[i]
    if shape.cuts[i] is None:
        levels = [str(v) for v in shape.grid[i]]
        return f"levels {name}: " + " | ".join(levels), ["missing", *levels, "(unseen)"]
    cuts = [exact(c) for c in shape.cuts[i]]
    edges = ["-inf", *cuts, "inf"]
    labels = [f"[{lo},{hi})" for lo, hi in zip(edges[:-1], edges[1:])]
    return f"cuts {name}: " + " ".join(cuts), ["missing", *labels, "(unseen)"]


def _ebm_full_tables(g: GlobalExplanation) -> str:
    """Every term's complete lookup table, missing and unseen bins included."""
    outs = list(g.output_names)
    n_out = len(outs)
    lines = [
        "",
        "=== full lookup tables ===",
        "link output = intercept + one score per term. A value x of a continuous feature",
        "falls in the bin [lower,upper) with lower <= x < upper; NaN uses the 'missing'",
        "row; a category not seen in fit uses '(unseen)'. Pair terms use their own",
        "(coarser) cuts: rows are bins of the first feature, columns of the second;",
        "a 3-way term has one such table (its last two features) per bin of its first.",
        "",
    ]
    for k, o in enumerate(outs):
        lines.append(f"intercept[{o}] = {exact(g.intercept[k])}")
    for shape in g.shapes:
        n_feats = len(shape.features)
        axes = [_ebm_axis_lines(shape, i) for i in range(n_feats)]
        word = "main" if n_feats == 1 else _N_WAY.get(n_feats, f"{n_feats}-way")
        lines += ["", f"[{shape.name}] {word}"]
        lines += [a[0] for a in axes]
        per = _outputs_of(shape.lookup, n_out)
        if n_feats == 1:
            heads = ["bin"] + (["score"] if n_out == 1 else [f"score[{o}]" for o in outs])
            rows = [[lab] + [exact(p[i]) for p in per] for i, lab in enumerate(axes[0][1])]
            lines.append(table(heads, rows))
            continue
        for k, p in enumerate(per):
            if n_out > 1:
                lines.append(f"score[{outs[k]}]:")
            # three or more features: one 2-D table (last two features) per cell of the
            # leading ones, each headed by the bins it fixes
            for lead in np.ndindex(*p.shape[: n_feats - 2]):
                if lead:
                    fixed = ", ".join(
                        f"{shape.features[i]} in {axes[i][1][c]}" for i, c in enumerate(lead)
                    )
                    lines.append(f"slice {fixed}:")
                heads = ["bin"] + axes[-1][1]
                rows = [[lab] + [exact(v) for v in p[lead][i]] for i, lab in enumerate(axes[-2][1])]
                lines.append(table(heads, rows))
    return "\n".join(lines)


@renders(EBMRegressor, EBMClassifier)
def _render_ebm(
    model: EBMRegressor | EBMClassifier,
    full: bool = False,
    max_terms: int | None = MAX_TERMS,
    **_,
) -> str:
    kind = type(model).__name__
    sizes = [len(t) for t in model.term_features_]
    counts = [f"{sizes.count(1)} main"]
    for n in sorted(set(sizes) - {1}):
        word = _N_WAY.get(n, f"{n}-way")
        plural = "s" if sizes.count(n) != 1 and word == "pair" else ""
        counts.append(f"{sizes.count(n)} {word}{plural}")
    what = f"{len(model.classes_)} classes, " if hasattr(model, "classes_") else ""
    head = (
        f"{kind}: {what}{_count(model.complexity_, 'term')} ({', '.join(counts)}), "
        f"{model.link_} link, "
        f"fitted on {model.n_train_} rows"
    )
    g = model.explain_global()
    text = additive_summary(g, head, max_terms)
    return text + "\n" + _ebm_full_tables(g) if full else text


# --- rule models -------------------------------------------------------------


def _rule_stats(model, r, classes: list[str] | None = None) -> str:
    classes = [str(c) for c in model.classes_] if classes is None else classes
    if len(classes) == 2:
        prob = f"P({classes[1]}) = {num(r.proba[1])}"
    else:
        prob = "p: " + ", ".join(f"{c} {num(p)}" for c, p in zip(classes, r.proba))
    return f"[{prob}]  support={r.support}"


def _count(n: int, word: str) -> str:
    """``1 rule``, ``3 rules``: counts people read in a header."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _missing_rule(model) -> list[str]:
    """The model's own statement of how it treats missing values and unseen levels."""
    text = getattr(model, "missing_rule_", "")
    return [str(text)] if text else []


def _rule_list_lines(model, chained: bool = True, classes: list[str] | None = None) -> list[str]:
    """IF / ELSE IF / ELSE lines of a fitted ``rule_list_``: the first true rule decides.
    ``chained=False`` (a rule set, every rule that holds counts): IF ... / IF ... / ELSE.
    ``classes``: the printed names of ``model.classes_`` (default: the classes)."""
    names = [str(c) for c in model.classes_] if classes is None else classes
    lines = []
    for k, r in enumerate(model.rule_list_):
        then = names[r.predicted()]
        stats = _rule_stats(model, r, names)
        if not r.conds:
            lines.append(f"ELSE {then}  {stats}")
            break
        head = "IF" if k == 0 or not chained else "ELSE IF"
        lines.append(f"{head} {rule_text(r.conds)} THEN {then}  {stats}")
    return lines


_OVR_NOTE = (
    "One-vs-rest: each class has its own {what}, fitted on that class against the rest. "
    "A row's P(class) is its {what}'s P(class) divided by the "
    "sum of these over the classes (equal shares if all are 0); the prediction is the class "
    "with the largest."
)


def _one_vs_rest_blocks(model, lines_of) -> list[str]:
    """Each class's binary model, headed by the class: ``lines_of(sub, class name)``."""
    out = []
    for c, sub in zip(model.classes_, model.estimators_):
        out += ["", f"Class {c} against the rest:"] + lines_of(sub, str(c))
    return out


def _one_vs_rest_list_lines(sub, c: str, chained: bool = True) -> list[str]:
    return ["  " + line for line in _rule_list_lines(sub, chained, ["rest", c])]


@renders(RuleListClassifier)
def _render_rule_list(model: RuleListClassifier, **_) -> str:
    if getattr(model, "estimators_", None) is not None:
        n_rules = sum(len(s.rule_list_) - 1 for s in model.estimators_)
        head = (
            f"RuleListClassifier: {model.algorithm} rule lists ({model.backend_}), "
            f"{_count(n_rules, 'rule')} + {len(model.classes_)} ELSE, "
            f"{_count(model.complexity_, 'condition')}, fitted on {model.n_train_} rows "
            f"(classes: {', '.join(map(str, model.classes_))})"
        )
        note = (
            _OVR_NOTE.format(what="list")
            + " In a list the first rule whose conditions all hold decides (THEN rest: not "
            "that class); support = training rows it decides."
        )
        blocks = _one_vs_rest_blocks(model, _one_vs_rest_list_lines)
        return "\n".join([head, note, *_missing_rule(model)] + blocks)
    n_rules = len(model.rule_list_) - 1
    head = (
        f"RuleListClassifier: {model.algorithm} rule list ({model.backend_}), "
        f"{_count(n_rules, 'rule')} + ELSE, {_count(model.complexity_, 'condition')}, "
        f"fitted on {model.n_train_} rows "
        f"(classes: {', '.join(map(str, model.classes_))})"
    )
    note = "The first rule whose conditions all hold decides; support = training rows it decides."
    return "\n".join([head, note, *_missing_rule(model), ""] + _rule_list_lines(model))


@renders(OneRClassifier)
def _render_one_r(model: OneRClassifier, **_) -> str:
    head = (
        f"OneRClassifier: one rule on feature {model.feature_} ({model.backend_}), "
        f"{len(model.rule_list_)} bins, training accuracy {num(model.train_accuracy_, 4)}, "
        f"fitted on {model.n_train_} rows (classes: {', '.join(map(str, model.classes_))})"
    )
    note = "The first rule whose condition holds decides; support = training rows in the bin."
    return "\n".join([head, note, *_missing_rule(model), ""] + _rule_list_lines(model))


def _linear_term(w: float, name: str, lo: float, hi: float, dummy: bool = False) -> str:
    arg = f"[{name}]" if dummy else name  # [colour == red] is 1 when true, else 0
    if dummy and lo <= 0 and hi >= 1:
        return signed_term(w, arg)  # clipping a 0/1 indicator to [<=0, >=1] changes nothing
    if np.isfinite(lo) or np.isfinite(hi):
        arg = f"clip({name}, {exact_num(lo)}, {exact_num(hi)})"
    return signed_term(w, arg)


def _rulefit_lines(model, score: str) -> list[str]:
    lo, hi = model.linear_bounds_
    lines = [f"{score} = {num(model.intercept_)}"]
    lin = [
        "    "
        + _linear_term(w, model.encoded_names_[j], lo[j], hi[j], model.source_[j][1] is not None)
        for j, w in enumerate(model.linear_coef_)
        if w != 0
    ]
    if lin:
        lines += [
            "  linear terms (clip(x, lo, hi) limits x to [lo, hi]; [a = b] is 1 if true, else 0):"
        ] + lin
    lines.append(f"  rules (add the weight when the rule holds): {len(model.rule_conditions_)}")
    order = np.argsort(-np.abs(model.rule_weights_), kind="stable")
    for k in order:
        conds, w, s = model.rule_conditions_[k], model.rule_weights_[k], model.rule_support_[k]
        lines.append(
            f"    IF {rule_text(conds)} THEN {signed_term(w, None)}"
            f"  (support={s}, {num(100 * s / model.n_train_, 3)}%)"
        )
    return lines


@renders(RuleSetRegressor)
def _render_rule_set_regressor(model: RuleSetRegressor, **_) -> str:
    n_lin = int(np.count_nonzero(model.linear_coef_))
    head = (
        f"RuleSetRegressor: RuleFit (imodels), {_count(len(model.rule_conditions_), 'rule')} + "
        f"{_count(n_lin, 'linear term')}, complexity {model.complexity_} (conditions + linear terms), "
        f"fitted on {model.n_train_} rows"
    )
    return "\n".join([head, ""] + _rulefit_lines(model, "y"))


@renders(RuleSetClassifier)
def _render_rule_set_classifier(model: RuleSetClassifier, **_) -> str:
    classes = [str(c) for c in model.classes_]
    if getattr(model, "estimators_", None) is not None:
        subs = model.estimators_
        n_rules = sum(len(s.rule_conditions_) for s in subs)
        n_lin = sum(int(np.count_nonzero(s.linear_coef_)) for s in subs)
        head = (
            f"RuleSetClassifier: RuleFit ({model.backend_}), {_count(n_rules, 'rule')} + "
            f"{_count(n_lin, 'linear term')}, complexity {model.complexity_} (conditions + "
            f"linear terms), fitted on {model.n_train_} rows (classes: {', '.join(classes)})"
        )
        note = _OVR_NOTE.format(what="score") + (
            " A class's score gives P(class) = 1 / (1 + exp(1 - 2*score)) "
            "(imodels: softmax of [1 - score, score])."
        )
        return "\n".join(
            [head, note]
            + _one_vs_rest_blocks(model, lambda sub, c: _rulefit_lines(sub, f"score[{c}]"))
        )
    n_lin = int(np.count_nonzero(model.linear_coef_))
    head = (
        f"RuleSetClassifier: RuleFit (imodels), {_count(len(model.rule_conditions_), 'rule')} + "
        f"{_count(n_lin, 'linear term')}, complexity {model.complexity_} (conditions + linear terms), "
        f"fitted on {model.n_train_} rows (classes: {', '.join(classes)})"
    )
    tail = [
        "",
        f"P({classes[1]}) = 1 / (1 + exp(1 - 2*score))   (imodels: softmax of [1 - score, score])",
        f"predict {classes[1]} when score > 0.5, else {classes[0]}",
    ]
    return "\n".join([head, ""] + _rulefit_lines(model, "score") + tail)


@renders(RipperClassifier)
def _render_ripper(model: RipperClassifier, **_) -> str:
    classes = [str(c) for c in model.classes_]
    if getattr(model, "estimators_", None) is not None:
        n_rules = sum(len(s.rule_list_) - 1 for s in model.estimators_)
        head = (
            f"RipperClassifier: RIPPER rule sets ({model.backend_}), "
            f"{_count(n_rules, 'rule')}, {_count(model.complexity_, 'condition')}, "
            f"fitted on {model.n_train_} rows (classes: {', '.join(classes)})"
        )
        note = _OVR_NOTE.format(what="rule set") + (
            " In a set, P(class) is the mean of the holding rules' P, or the ELSE line's "
            "(THEN rest) when none holds; support = training rows a rule covers."
        )
        blocks = _one_vs_rest_blocks(
            model, lambda sub, c: _one_vs_rest_list_lines(sub, c, chained=False)
        )
        return "\n".join([head, note, *_missing_rule(model)] + blocks)
    head = (
        f"RipperClassifier: RIPPER rule set ({model.backend_}), "
        f"{_count(len(model.rule_list_) - 1, 'rule')}, {_count(model.complexity_, 'condition')}, "
        f"fitted on {model.n_train_} rows "
        f"(classes: {', '.join(classes)})"
    )
    note = (
        f"Predicts {classes[1]} when any rule holds; P({classes[1]}) is then the mean of the "
        "holding rules' P. Support = training rows a rule covers."
    )
    lines = _rule_list_lines(model, chained=False)  # a set: each IF applies on its own
    return "\n".join([head, note, *_missing_rule(model), ""] + lines)


# --- symbolic regression -----------------------------------------------------


@renders(SymbolicRegressor)
def _render_symbolic(model: SymbolicRegressor, full: bool = False, **_) -> str:
    front = model.pareto_front_
    k = model.selected_index_
    lines = [
        f"SymbolicRegressor ({model.backend}): row {k} of a {len(front)}-equation "
        f"Pareto front (model_selection={model.model_selection!r}), fitted on {model.n_train_} rows",
        "",
        f"y = {model.to_text()}",
        "",
        f"R^2 (training) = {short(model.train_r2_)}, complexity = {model.complexity_} nodes",
    ]
    if full:
        lines += ["", "full precision:", f"y = {model.to_text(None)}"]
    rows = [
        [
            ("> " if i == k else "  ") + str(int(r.complexity)),
            short(r.loss),
            short(r.r2),
            r.equation,
        ]
        for i, r in enumerate(front.itertuples())
    ]
    lines += [
        "",
        "Pareto front (select(i) picks row i):",
        table(["complexity", "loss (MSE)", "R^2", "equation"], rows, "rrrl"),
    ]
    return "\n".join(lines)
