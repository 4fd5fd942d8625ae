"""The text form of every glassbox model, in one place.

``render(model)`` is what ``str(model)`` returns once the model is fitted.
Numbers are printed with enough significant digits that evaluating the
printout reproduces the model's predictions (the tests do exactly that).
Each family registers its renderer with ``@renders("ClassName", ...)``; the
sections below are one per family.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_RENDERERS: dict[str, Callable] = {}

#: significant digits of numbers that a reader may re-evaluate
DIGITS = 8


def renders(*class_names: str):
    """Register a text renderer for the named model classes."""

    def register(fn):
        for name in class_names:
            _RENDERERS[name] = fn
        return fn

    return register


def render(model, **options) -> str:
    """The human-readable text of a fitted glassbox model."""
    for cls in type(model).__mro__:
        fn = _RENDERERS.get(cls.__name__)
        if fn is not None:
            return fn(model, **options)
    raise TypeError(f"no text renderer for {type(model).__name__}")


def export_text(model, *, full: bool = False) -> str:
    """Text of a fitted model; ``full=True`` adds complete lookup tables where a
    family abbreviates them in ``str(model)`` (shape functions, spline values)."""
    return render(model, full=full)


# --- number formatting -------------------------------------------------------


def num(x: float, digits: int = DIGITS) -> str:
    """A number with ``digits`` significant digits, no trailing zeros, no -0."""
    x = float(x)
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        return f"{mant}e{int(exp)}"
    return text


def short(x: float) -> str:
    """A number to 4 significant digits, for tables a person scans."""
    return num(x, 4)


def signed_term(coef: float, name: str | None, digits: int = DIGITS) -> str:
    """`+ 1.5*age` / `- 0.25*age` (or a bare constant when name is None)."""
    sign = "-" if coef < 0 else "+"
    mag = num(abs(coef), digits)
    return f"{sign} {mag}" if name is None else f"{sign} {mag}*{name}"


def table(headers: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """A plain fixed-width table; ``align`` is one 'l'/'r' per column."""
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    def fmt(cells):
        out = [
            str(c).ljust(w) if a == "l" else str(c).rjust(w)
            for c, w, a in zip(cells, widths, align)
        ]
        return "  ".join(out).rstrip()
    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def sparkline(values) -> str:
    """Eight-level block sparkline of a 1-D shape function."""
    blocks = "▁▂▃▄▅▆▇█"
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return ""
    lo, hi = v.min(), v.max()
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        return blocks[3] * len(v)
    idx = np.round((v - lo) / (hi - lo) * (len(blocks) - 1)).astype(int)
    return "".join(blocks[i] for i in idx)


# --- GLM ---------------------------------------------------------------------

_LHS = {"identity": "E[{y}]", "log": "log(E[{y}])"}


def _equation(lhs: str, intercept: float, coef, names) -> str:
    """`lhs = b0 + b1*x1 ...`; one term per line once it no longer fits a line."""
    terms = [num(intercept)] + [signed_term(c, n) for c, n in zip(coef, names) if c != 0]
    one_line = f"{lhs} = " + " ".join(terms)
    if len(one_line) <= 100:
        return one_line
    return f"{lhs} = {terms[0]}\n" + "\n".join("    " + t for t in terms[1:])


def _coef_table(coef, names, link: str, se=None) -> str:
    rows = []
    effect_head = {
        "identity": "effect of +1 unit",
        "log": "E[y] x per +1 unit",
        "logit": "odds ratio per +1 unit",
    }.get(link, "")
    for j, (c, n) in enumerate(zip(coef, names)):
        row = [n, short(c)]
        if se is not None:
            row += [short(se[j + 1]), short(c - 1.96 * se[j + 1]) + " .. " + short(c + 1.96 * se[j + 1])]
        if link == "identity":
            row.append(("+" if c >= 0 else "") + short(c))
        elif link in ("log", "logit"):
            row.append("×" + short(np.exp(c)))
        rows.append(row)
    headers = ["term", "coefficient"] + (["std.err", "95% CI"] if se is not None else [])
    headers.append(effect_head)
    return table(headers, rows)


@renders("GLMRegressor")
def _render_glm_regressor(model, **_) -> str:
    names = model.feature_names_
    link = model.link_
    head = (
        f"GLMRegressor: {model.family} family, {link} link, "
        f"{model.complexity_} non-zero coefficients, fitted on {model.n_train_} rows"
    )
    eq = _equation(_LHS[link].format(y="y"), model.intercept_, model.coef_, names)
    lines = [head, "", eq, "", _coef_table(model.coef_, names, link, model.standard_errors_)]
    if link == "log":
        lines += ["", "Effects are multiplicative: each +1 unit of a feature multiplies E[y] by its factor."]
    return "\n".join(lines)


@renders("GLMClassifier")
def _render_glm_classifier(model, **_) -> str:
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
            _coef_table(model.coef_[0], names, "logit", model.standard_errors_),
        ]
        return "\n".join(lines)
    for k, cls in enumerate(classes):
        lines.append(_equation(f"score({cls})", model.intercept_[k], model.coef_[k], names))
    lines += [
        "P(y = k) = exp(score(k)) / sum over classes of exp(score)",
        "",
        table(
            ["term"] + [f"coef[{c}]" for c in classes],
            [[n] + [short(model.coef_[k, j]) for k in range(len(classes))] for j, n in enumerate(names)],
        ),
    ]
    return "\n".join(lines)


# --- trees -------------------------------------------------------------------


@renders("TreeClassifier", "TreeRegressor")
def _render_tree(model, **_) -> str:
    tree = model.estimator_.tree_
    names = model.feature_names_
    values = model._node_values()
    classifier = hasattr(model, "classes_")
    classes = [str(c) for c in model.classes_] if classifier else None
    kind = "TreeClassifier" if classifier else "TreeRegressor"
    lines = [
        f"{kind}: {model.complexity_} leaves, depth {model.estimator_.get_depth()}, "
        f"fitted on {model.n_train_} rows"
        + (f" (classes: {', '.join(classes)})" if classifier else ""),
        "",
    ]

    def leaf_text(node: int) -> str:
        n = int(tree.n_node_samples[node])
        if classifier:
            probs = values[node]
            best = int(np.argmax(probs))
            dist = ", ".join(f"{c} {num(p, 6)}" for c, p in zip(classes, probs))
            return f"class: {classes[best]}  [p: {dist}]  samples={n}"
        return f"value: {num(values[node, 0])}  samples={n}"

    def walk(node: int, depth: int) -> None:
        indent = "|   " * depth + "|--- "
        left, right = tree.children_left[node], tree.children_right[node]
        if left < 0:
            lines.append(indent + leaf_text(node))
            return
        name = names[tree.feature[node]]
        thr = num(tree.threshold[node])
        lines.append(f"{indent}{name} <= {thr}  (samples={int(tree.n_node_samples[left])})")
        walk(left, depth + 1)
        lines.append(f"{indent}{name} >  {thr}  (samples={int(tree.n_node_samples[right])})")
        walk(right, depth + 1)

    if tree.children_left[0] < 0:
        lines.append(leaf_text(0))
    else:
        walk(0, 0)
    return "\n".join(lines)


# --- GAM ---------------------------------------------------------------------

# --- EBM ---------------------------------------------------------------------

# --- rule models -------------------------------------------------------------

# --- symbolic regression -----------------------------------------------------
