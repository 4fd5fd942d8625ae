"""Explained rows as text: what ``glassbox explain`` prints for each row.

For each row: an identifier (an ID column's value or the CSV line), the
prediction (class and probability, or value), the explained output on its
scale as base value plus contributions, then the contributions sorted by size
with the feature values as the user wrote them. Contributions that are zero up
to rounding are hidden (and counted); a binary classifier is shown for its
positive class only (the other class's contributions are the same numbers
mirrored); a multiclass model for each row's predicted class. For a local
surrogate (``method="lime"``) both the black box's output and the local fit's
are printed, with the local fit's R^2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..explanation import LocalExplanation

#: contributions within this share of the row's largest one (or of 1) are zero
ZERO_TOL = 1e-9


def _num(x: float) -> str:
    return f"{x:.4g}"


def _signed(x: float) -> str:
    return f"{x:+.4g}"


def _value_text(value) -> str:
    if value is None:
        return "(missing)"
    if isinstance(value, float):
        if np.isnan(value):
            return "(missing)"
        return f"{value:.6g}"
    if isinstance(value, (np.floating,)):
        return _value_text(float(value))
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    try:
        if value != value:  # pandas NA and friends
            return "(missing)"
    except (TypeError, ValueError):
        return "(missing)"
    return str(value)


def _scale_name(link: str, classifier: bool, output: str) -> str:
    if classifier:
        if link == "logit":
            return f"log-odds of {output}"
        if link == "identity":
            return f"P({output})"
        return f"{link} scale of {output}"
    return {"identity": "prediction", "log": "log of the prediction"}.get(
        link, f"{link} of the prediction"
    )


def _output_index(expl: LocalExplanation, i: int, classes, proba) -> int | None:
    """Which output of a 3-D explanation to show for row i: the positive class of a
    binary model (the other is its mirror), else the row's predicted class."""
    names = list(expl.output_names)
    if classes is not None and len(classes) == 2 and len(names) == 2:
        return 1
    if proba is not None and classes is not None:
        predicted = str(classes[int(np.argmax(proba[i]))])
        if predicted in names:
            return names.index(predicted)
    return 0


def _feature_value(name: str, raw: Mapping | None, data_row, j: int) -> str:
    """The feature's value as the user wrote it (raw CSV values), for pair terms
    ``a & b`` both values; the explanation's own data otherwise."""
    if raw is not None:
        if name in raw:
            return f"{name} = {_value_text(raw[name])}"
        for sep in (" & ", " x ", " * "):
            parts = name.split(sep)
            if len(parts) > 1 and all(p in raw for p in parts):
                return " & ".join(f"{p} = {_value_text(raw[p])}" for p in parts)
    if data_row is not None and j < len(data_row):
        v = data_row[j]
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            return f"{name} = {_value_text(float(v))}"
        return f"{name} = {_value_text(v)}"
    return name


def explained_rows(
    expl: LocalExplanation,
    *,
    row_ids: Sequence[str],
    raw_rows: Sequence[Mapping] | None = None,
    classes: Sequence | None = None,
    proba: np.ndarray | None = None,
    prediction: np.ndarray | None = None,
    top: int | None = None,
) -> str:
    """The text of explained rows (``glassbox explain``'s output after its header).

    Parameters
    ----------
    expl : LocalExplanation
        Contributions of the rows, in the order of ``row_ids``.
    row_ids : sequence of str
        How each row is named, e.g. ``"line 7"`` or ``"line 7 (id 6)"``.
    raw_rows : sequence of mappings or None
        Per row, column name -> value as read (text levels, missing values);
        shown next to each contribution.
    classes : sequence or None
        A classifier's classes (None for a regressor).
    proba : array of shape (n_rows, n_classes) or None
        A classifier's probabilities: the predicted class and its probability.
    prediction : array of shape (n_rows,) or None
        A regressor's predictions.
    top : int or None
        Show at most this many contributions per row (the rest summed in one line).
    """
    values = np.asarray(expl.values, dtype=float)
    base = np.asarray(expl.base_values, dtype=float)
    data = np.asarray(expl.data) if expl.data is not None else None
    classifier = classes is not None
    extras = expl.extras or {}
    lines: list[str] = []
    for i in range(values.shape[0]):
        if values.ndim == 3:
            k = _output_index(expl, i, classes, proba)
            v, b = values[i, :, k], float(base[i, k])
            output = expl.output_names[k]
        else:
            v, b = values[i], float(base[i])
            output = expl.output_names[0] if expl.output_names else "y"
        if classifier and "target" in extras:  # a local surrogate says which class it explains
            output = str(np.asarray(extras["target"])[i])
        head = f"{row_ids[i]}: "
        if classifier and proba is not None:
            c = int(np.argmax(proba[i]))
            head += f"predicted {classes[c]} (P = {_num(float(proba[i, c]))})"
        elif prediction is not None:
            head += f"predicted {_num(float(prediction[i]))}"
        else:
            head = head.rstrip(": ")
        lines.append(head)
        scale = _scale_name(expl.link, classifier, output)
        total = b + float(v.sum())
        if expl.method == "lime" and "model_output" in extras:
            model_out = float(np.asarray(extras["model_output"])[i])
            r2 = float(np.asarray(extras.get("local_fidelity", [np.nan] * (i + 1)))[i])
            lines.append(f"  black box: {scale} = {_num(model_out)}")
            lines.append(
                f"  local fit: {scale} = base {_num(b)} + contributions "
                f"{_signed(float(v.sum()))} = {_num(total)}   (local R^2 {r2:.3f})"
            )
        else:
            lines.append(
                f"  {scale} = base {_num(b)} + contributions {_signed(float(v.sum()))} "
                f"= {_num(total)}"
            )
            if expl.link == "log" and not classifier:
                lines[-1] += f"   (prediction exp({_num(total)}) = {_num(float(np.exp(total)))})"
        tol = ZERO_TOL * max(1.0, float(np.max(np.abs(v), initial=0.0)), abs(b))
        order = [j for j in np.argsort(-np.abs(v), kind="stable") if abs(v[j]) > tol]
        hidden = len(v) - len(order)
        shown = order if top is None else order[:top]
        raw = raw_rows[i] if raw_rows is not None else None
        drow = data[i] if data is not None and data.ndim == 2 else None
        for j in shown:
            name = expl.feature_names[j]
            lines.append(f"    {_signed(float(v[j])):>10}  {_feature_value(name, raw, drow, j)}")
        notes = []
        rest = order[len(shown) :]
        if rest:
            notes.append(
                f"{len(rest)} smaller contribution{'s' if len(rest) != 1 else ''} not shown, "
                f"sum {_signed(float(v[rest].sum()))}"
            )
        if hidden:
            notes.append(f"{hidden} zero contribution{'s' if hidden != 1 else ''} hidden")
        if notes:
            lines.append("    (" + "; ".join(notes) + ")")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- global effects and counterfactuals (``glassbox explain --method ...``) -------------


def _g(x: float) -> str:
    """Six significant digits: enough to check against the Python result."""
    return f"{x:.6g}"


def importance_table(expl) -> str:
    """Permutation importances (a ``GlobalExplanation`` with ``extras`` std, ci_low,
    ci_high), largest first, one feature per line."""
    imp = np.asarray(expl.importances, dtype=float).reshape(-1)
    extras = expl.extras or {}
    std = np.asarray(extras.get("std", np.full(imp.shape, np.nan)), dtype=float)
    lo = np.asarray(extras.get("ci_low", np.full(imp.shape, np.nan)), dtype=float)
    hi = np.asarray(extras.get("ci_high", np.full(imp.shape, np.nan)), dtype=float)
    width = max([len("feature")] + [len(str(n)) for n in expl.term_names])
    lines = [f"  {'feature':<{width}}  {'importance':>11}  {'std':>11}  interval"]
    for i in np.argsort(-imp, kind="stable"):
        interval = "n/a" if np.isnan(lo[i]) else f"{_g(lo[i])} .. {_g(hi[i])}"
        lines.append(
            f"  {str(expl.term_names[i]):<{width}}  {_g(imp[i]):>11}  {_g(std[i]):>11}  {interval}"
        )
    return "\n".join(lines) + "\n"


def effect_table(frame) -> str:
    """A long effect table (grid value(s), output, value[, band]) as aligned text."""
    text = frame.to_string(
        index=False,
        float_format=_g,
        columns=[c for c in frame.columns if c != "output" or frame["output"].nunique() > 1],
    )
    return "\n".join("  " + line for line in text.splitlines()) + "\n"


def counterfactual_text(cf, row_id: str) -> str:
    """One row's counterfactuals (a ``surrogates`` ``Counterfactuals``): the sentence per
    counterfactual with its cost and validity, then whether the set is proven nearest."""
    n = len(cf.rows)
    valid = int(np.count_nonzero(np.asarray(cf.valid, dtype=bool)))
    lines = [f"{row_id}: predicted {_value_text(cf.original)}"]
    if not n:
        lines.append("  no counterfactual found" + (f" ({cf.message})" if cf.message else ""))
    for j in range(n):
        mark = "valid" if bool(cf.valid[j]) else "NOT valid"
        lines.append(f"  {j + 1}. {cf.describe(j)}")
        lines.append(f"     cost {_g(float(cf.costs[j]))}, {len(cf.changes[j])} change(s), {mark}")
    if n:
        lines.append(f"  valid: {valid} of {n} (each re-checked on the model)")
    if cf.exact:
        proof = f"nearest: proven ({cf.method} solver; first row is the nearest under the cost)"
    else:
        proof = f"nearest: not proven ({cf.method})"
        lb = float(getattr(cf, "lower_bound", float("nan")))
        if not np.isnan(lb):
            proof += f"; the nearest costs at least {_g(lb)}"
    lines.append("  " + proof)
    if cf.message and n:
        lines.append(f"  note: {cf.message}")
    lines.append("")
    return "\n".join(lines)
