"""Text of a distilled surrogate: the student, then its fidelity with bounds.

Kept in ``surrogates`` because ``glassbox`` never imports ``surrogates``; the
number formatting is glassbox's own.
"""

from __future__ import annotations

from glassbox._format import num, short


def _count(n: int) -> str:
    return f"{n:,}"


def _kinds(sur) -> str:
    names = {
        "jitter": "jitter",
        "interpolate": "neighbour interpolation",
        "marginal": "marginal redraws",
    }
    mix = sur.query_mix_ or {}
    used = [names[k] for k, v in mix.items() if v > 0]
    return ", ".join(used) if used else "synthesized"


def render_surrogate(sur) -> str:
    bb = sur.blackbox_
    if sur.task_ == "classification":
        task = f"classification, classes: {', '.join(str(c) for c in sur.classes_)}"
    else:
        task = "regression"
    head = f"Surrogate of {bb.description} ({task})\nstudent: {type(sur.student_).__name__}" + (
        f", complexity {sur.complexity_}" if sur.complexity_ is not None else ""
    )
    f = sur.fidelity_
    pct = num(100 * f.confidence, 4)
    if f.metric == "agreement":
        what = "agreement with the black box"
        bound = f"{pct}% Clopper-Pearson interval {short(f.lower)} .. {short(f.upper)}"
    else:
        what = "R^2 against the black box"
        bound = f"{pct}% bootstrap interval {short(f.lower)} .. {short(f.upper)}"
    labels = "its predicted class" if sur.labels_ == "hard" else "its class probabilities"
    if sur.task_ != "classification":
        labels = "its predicted value"
    lines = [
        head,
        "",
        str(sur.student_),
        "",
        f"Fidelity on {_count(sur.n_holdout_)} held-out queries (not used for fitting):",
        f"  {what} {short(f.value)}  ({bound})",
        f"Fitted on {_count(sur.n_data_)} data rows + {_count(sur.n_queries_)} synthesized "
        f"queries ({_kinds(sur)}), labelled by the black box with {labels}.",
    ]
    if len(sur.history_) > 1:
        lines.append(
            f"Queries were added in {len(sur.history_)} rounds until the interval "
            f"width was {short(sur.history_['width'].iloc[-1])}."
        )
    lines.append("Fidelity per region: sur.regions()")
    return "\n".join(lines)
