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


def export_text(model: GlassboxMixin, *, full: bool = False) -> str:
    """Text of a fitted model; ``full=True`` adds complete lookup tables where a
    family abbreviates them in ``str(model)`` (shape functions, spline values)."""
    return render(model, full=full)


# --- GLM ---------------------------------------------------------------------

_LHS = {"identity": "E[{y}]", "log": "log(E[{y}])"}


def _equation(lhs: str, intercept: float, coef, names) -> str:
    """`lhs = b0 + b1*x1 ...`; one term per line once it no longer fits a line."""
    terms = [num(intercept)] + [signed_term(c, n) for c, n in zip(coef, names) if c != 0]
    one_line = f"{lhs} = " + " ".join(terms)
    if len(one_line) <= 100:
        return one_line
    return f"{lhs} = {terms[0]}\n" + "\n".join("    " + t for t in terms[1:])


def _coef_table(coef, names, link: str, se=None, sd=None) -> str:
    """Coefficients with intervals and effects per unit and per standard deviation
    (a per-unit odds ratio is unreadable for a feature measured in thousandths)."""
    effect_head = {
        "identity": "effect of +1 unit",
        "log": "E[y] × per +1 unit",
        "logit": "odds ratio per +1 unit",
    }[link]

    def effect(change: float) -> str:
        if link == "identity":
            return ("+" if change >= 0 else "") + short(change)
        return "×" + short(np.exp(change))

    rows = []
    for j, (c, n) in enumerate(zip(coef, names)):
        row = [n, short(c)]
        if se is not None:
            lo, hi = c - 1.96 * se[j + 1], c + 1.96 * se[j + 1]
            row += [short(se[j + 1]), f"{short(lo)} .. {short(hi)}"]
        row.append(effect(c))
        if sd is not None:
            row.append(effect(c * sd[j]))
        rows.append(row)
    headers = ["term", "coefficient"] + (["std.err", "95% CI"] if se is not None else [])
    headers.append(effect_head)
    if sd is not None:
        headers.append("per +1 SD")
    return table(headers, rows)


@renders(GLMRegressor)
def _render_glm_regressor(model: GLMRegressor, **_) -> str:
    names = model.feature_names_
    link = model.link_
    head = (
        f"GLMRegressor: {model.family} family, {link} link, "
        f"{model.complexity_} non-zero coefficients, fitted on {model.n_train_} rows"
    )
    eq = _equation(_LHS[link].format(y="y"), model.intercept_, model.coef_, names)
    lines = [
        head,
        "",
        eq,
        "",
        _coef_table(
            model.coef_, names, link, model.standard_errors_, getattr(model, "X_std_", None)
        ),
    ]
    if link == "log":
        lines += [
            "",
            "Effects are multiplicative: each +1 unit of a feature multiplies E[y] by its factor.",
        ]
    return "\n".join(lines)


@renders(GLMClassifier)
def _render_glm_classifier(model: GLMClassifier, **_) -> str:
    names = model.feature_names_
    classes = [str(c) for c in model.classes_]
    head = (
        f"GLMClassifier: logistic, {len(classes)} classes, "
        f"{model.complexity_} features with non-zero coefficients, fitted on {model.n_train_} rows"
    )
    lines = [head, ""]
    if len(classes) == 2:
        lhs = f"log-odds(y = {classes[1]})"
        lines += [
            _equation(lhs, model.intercept_[0], model.coef_[0], names),
            f"P(y = {classes[1]}) = 1 / (1 + exp(-log-odds))",
            "",
            _coef_table(
                model.coef_[0],
                names,
                "logit",
                model.standard_errors_,
                getattr(model, "X_std_", None),
            ),
        ]
        return "\n".join(lines)
    for k, cls in enumerate(classes):
        lines.append(_equation(f"score({cls})", model.intercept_[k], model.coef_[k], names))
    lines += [
        "P(y = k) = exp(score(k)) / sum over classes of exp(score)",
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

    def walk(node: int, depth: int) -> None:
        indent = "|   " * depth + "|--- "
        left, right = tree.left[node], tree.right[node]
        if left < 0:
            lines.append(indent + leaf_text(node))
            return
        name = names[tree.feature[node]]
        thr = num(tree.threshold[node])
        lines.append(f"{indent}{name} <= {thr}  (samples={int(tree.samples[left])})")
        walk(left, depth + 1)
        lines.append(f"{indent}{name} >  {thr}  (samples={int(tree.samples[right])})")
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
    return ("+" if x >= 0 else "") + short(x)


def _level_table(shape: TermShape, outs: list[str], indent: str = "    ") -> str:
    n_out = len(outs)
    per = _outputs_of(shape.values, n_out)
    heads = ["level"] + (["score"] if n_out == 1 else [f"score[{o}]" for o in outs])
    rows = [[str(lv)] + [_signed(p[i]) for p in per] for i, lv in enumerate(shape.grid[0])]
    return "\n".join(indent + line for line in table(heads, rows).splitlines())


def _pair_grid(shape: TermShape, outs: list[str], indent: str = "    ", size: int = 5) -> str:
    """A size x size sample of a pair's score grid (rows: first feature)."""
    g0, g1 = shape.grid
    i0 = np.unique(np.linspace(0, len(g0) - 1, min(size, len(g0))).round().astype(int))
    i1 = np.unique(np.linspace(0, len(g1) - 1, min(size, len(g1))).round().astype(int))

    def label(v):
        return str(v) if not isinstance(v, (float, np.floating)) else short(v)

    blocks = []
    for k, per in enumerate(_outputs_of(shape.values, len(outs))):
        heads = [f"{shape.features[0]} \\ {shape.features[1]}"] + [label(g1[j]) for j in i1]
        rows = [[label(g0[i])] + [_signed(per[i, j]) for j in i1] for i in i0]
        title = "" if len(outs) == 1 else f"{indent}[{outs[k]}]\n"
        blocks.append(title + "\n".join(indent + line for line in table(heads, rows).splitlines()))
    return "\n".join(blocks)


def additive_summary(g: GlobalExplanation, head: str) -> str:
    """The common body of GAM and EBM printouts: ``head``, then the intercept and
    the terms of the model's global explanation ``g``, ranked by importance."""
    outs = list(g.output_names)
    n_out = len(outs)
    lines = [head, ""]
    for k, out in enumerate(outs):
        lhs = _ADDITIVE_LHS.get(g.link, "link({y})").format(y=out)
        which = "" if n_out == 1 else f" (score[{out}] columns)"
        lines.append(f"{lhs} = {num(g.intercept[k])} + sum of the term scores below{which}")
    if g.link == "softmax":
        lines.append("P(y = k) = exp(score(k)) / sum over classes of exp(score)")
    elif g.link == "logit" and n_out > 1:
        lines.append("one-vs-rest: P(y = k) = sigmoid(log-odds(k)), normalized over classes")
    lines += ["", "terms ranked by importance (mean |score| on the training data):", ""]
    imp = np.asarray(g.importances, dtype=float)
    rank_imp = imp if imp.ndim == 1 else imp.mean(axis=1)
    order = np.argsort(-rank_imp, kind="stable")
    rows, extra = [], {}
    for t in order:
        shape = g.shapes[t]
        per = _outputs_of(shape.values, n_out)
        if shape.kind in ("continuous", "linear"):
            for k, p in enumerate(per):  # one row per output: name, sparkline, range
                label = f"[{outs[k]}] " if n_out > 1 else ""
                rows.append(
                    [
                        g.term_names[t] if k == 0 else "",
                        label + _spark(p),
                        f"{_signed(p.min())} .. {_signed(p.max())}",
                        short(rank_imp[t]) if k == 0 else "",
                    ]
                )
            continue
        if shape.kind == "categorical":
            spark = f"{len(shape.grid[0])} levels (table below)"
            extra[t] = _level_table(shape, outs)
        else:
            spark = "pair (grid below)"
            extra[t] = _pair_grid(shape, outs)
        rows.append([g.term_names[t], spark, "", short(rank_imp[t])])
    lines.append(
        table(["term", "shape (low .. high x)", "score range", "importance"], rows, "lllr")
    )
    for t in order:
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
        "categorical term by its level's row.",
        "",
    ]
    for k, o in enumerate(g_out):
        lines.append(f"intercept[{o}] = {exact(base[k])}")
    for shape in shapes:
        per = _outputs_of(shape.values, n_out)
        lines += ["", f"[{shape.name}] {shape.kind}"]
        col = "x" if shape.kind != "categorical" else "level"
        rows = [
            [exact(x) if shape.kind != "categorical" else str(x)] + [exact(p[i]) for p in per]
            for i, x in enumerate(shape.grid[0])
        ]
        lines.append(table([col] + vhead, rows))
    return "\n".join(lines)


@renders(GAMRegressor, GAMClassifier)
def _render_gam(model: GAMRegressor | GAMClassifier, full: bool = False, **_) -> str:
    kind = type(model).__name__
    if hasattr(model, "classes_"):
        what = f"logistic, {len(model.classes_)} classes" + (
            " (one-vs-rest)" if len(model.classes_) > 2 else ""
        )
    else:
        what = f"{model.distribution} distribution, {model.link_} link"
    g = model.explain_global()
    lams = sorted({round(float(np.ravel(lam)[0]), 6) for lam in g.extras["lam"]})
    how = "chosen by gridsearch" if model.lam is None else "fixed"
    head = (
        f"{kind}: {what}, {model.complexity_} terms, lam {', '.join(num(v, 4) for v in lams)} "
        f"({how}), fitted on {model.n_train_} rows"
    )
    text = additive_summary(g, head)
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
        "(coarser) cuts: rows are bins of the first feature, columns of the second.",
        "",
    ]
    for k, o in enumerate(outs):
        lines.append(f"intercept[{o}] = {exact(g.intercept[k])}")
    for shape in g.shapes:
        n_feats = len(shape.features)
        axes = [_ebm_axis_lines(shape, i) for i in range(n_feats)]
        lines += ["", f"[{shape.name}] " + ("pair" if n_feats == 2 else "main")]
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
            heads = ["bin"] + axes[1][1]
            rows = [[lab] + [exact(v) for v in p[i]] for i, lab in enumerate(axes[0][1])]
            lines.append(table(heads, rows))
    return "\n".join(lines)


@renders(EBMRegressor, EBMClassifier)
def _render_ebm(model: EBMRegressor | EBMClassifier, full: bool = False, **_) -> str:
    kind = type(model).__name__
    n_pairs = sum(len(t) == 2 for t in model.term_features_)
    what = f"{len(model.classes_)} classes, " if hasattr(model, "classes_") else ""
    head = (
        f"{kind}: {what}{model.complexity_} terms ({model.complexity_ - n_pairs} main, "
        f"{n_pairs} pair{'s' if n_pairs != 1 else ''}), {model.link_} link, fitted on {model.n_train_} rows"
    )
    g = model.explain_global()
    text = additive_summary(g, head)
    return text + "\n" + _ebm_full_tables(g) if full else text


# --- rule models -------------------------------------------------------------


def _rule_stats(model, r) -> str:
    classes = [str(c) for c in model.classes_]
    if len(classes) == 2:
        prob = f"P({classes[1]}) = {num(r.proba[1])}"
    else:
        prob = "p: " + ", ".join(f"{c} {num(p)}" for c, p in zip(classes, r.proba))
    return f"[{prob}]  support={r.support}"


def _rule_list_lines(model) -> list[str]:
    """IF / ELSE IF / ELSE lines of a fitted ``rule_list_``; the first true rule decides."""
    lines = []
    for k, r in enumerate(model.rule_list_):
        then = str(model.classes_[r.predicted()])
        if not r.conds:
            lines.append(f"ELSE {then}  {_rule_stats(model, r)}")
            break
        head = "IF" if k == 0 else "ELSE IF"
        lines.append(f"{head} {rule_text(r.conds)} THEN {then}  {_rule_stats(model, r)}")
    return lines


@renders(RuleListClassifier)
def _render_rule_list(model: RuleListClassifier, **_) -> str:
    n_rules = len(model.rule_list_) - 1
    head = (
        f"RuleListClassifier: {model.algorithm} rule list ({model.backend_}), "
        f"{n_rules} rules + ELSE, {model.complexity_} conditions, fitted on {model.n_train_} rows "
        f"(classes: {', '.join(map(str, model.classes_))})"
    )
    note = "The first rule whose conditions all hold decides; support = training rows it decides."
    return "\n".join([head, note, ""] + _rule_list_lines(model))


@renders(OneRClassifier)
def _render_one_r(model: OneRClassifier, **_) -> str:
    head = (
        f"OneRClassifier: one rule on feature {model.feature_} ({model.backend_}), "
        f"{len(model.rule_list_)} bins, training accuracy {num(model.train_accuracy_, 4)}, "
        f"fitted on {model.n_train_} rows (classes: {', '.join(map(str, model.classes_))})"
    )
    note = "The first rule whose condition holds decides; support = training rows in the bin."
    return "\n".join([head, note, ""] + _rule_list_lines(model))


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
            "  linear terms (clip(x, lo, hi) limits x to [lo, hi]; [a == b] is 1 if true, else 0):"
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
        f"RuleSetRegressor: RuleFit (imodels), {len(model.rule_conditions_)} rules + {n_lin} "
        f"linear terms, complexity {model.complexity_} (conditions + linear terms), "
        f"fitted on {model.n_train_} rows"
    )
    return "\n".join([head, ""] + _rulefit_lines(model, "y"))


@renders(RuleSetClassifier)
def _render_rule_set_classifier(model: RuleSetClassifier, **_) -> str:
    classes = [str(c) for c in model.classes_]
    n_lin = int(np.count_nonzero(model.linear_coef_))
    head = (
        f"RuleSetClassifier: RuleFit (imodels), {len(model.rule_conditions_)} rules + {n_lin} "
        f"linear terms, complexity {model.complexity_} (conditions + linear terms), "
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
    head = (
        f"RipperClassifier: RIPPER rule set ({model.backend_}), {len(model.rule_list_) - 1} "
        f"rules, {model.complexity_} conditions, fitted on {model.n_train_} rows "
        f"(classes: {', '.join(classes)})"
    )
    note = (
        f"Predicts {classes[1]} when any rule holds; P({classes[1]}) is then the mean of the "
        "holding rules' P. Support = training rows a rule covers."
    )
    return "\n".join([head, note, ""] + _rule_list_lines(model))


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
