"""The result of ``counterfactuals``: rows, changes, costs, validity, a printout."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def _fmt(v) -> str:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
        return repr(v) if isinstance(v, str) else str(v)
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.6g}"


@dataclass(frozen=True)
class Counterfactuals:
    """Counterfactual rows of one row ``x`` and what they change.

    ``rows`` holds one counterfactual per row (columns as in ``x``);
    ``changes[i]`` the ``(feature, from, to)`` of row i; ``costs[i]`` its cost;
    ``valid[i]`` whether the model, called again on the row, gives the desired
    outcome; ``outcomes[i]`` that prediction. ``exact`` is True when the
    first row is proven the nearest under the cost (and, with no rows, that no
    counterfactual exists under the constraints). ``complete`` is False when
    the search stopped at the time limit. ``lower_bound`` is a proven lower
    bound on the cost of the nearest counterfactual (``costs[0]`` when exact;
    the honest gap is ``costs[0] - lower_bound``; NaN when nothing is proven).
    """

    x: pd.DataFrame
    rows: pd.DataFrame
    changes: tuple[tuple[tuple[str, object, object], ...], ...]
    costs: np.ndarray
    valid: np.ndarray
    outcomes: tuple
    original: object
    desired: object
    exact: bool
    method: str
    complete: bool = True
    message: str = ""
    n_calls: int = 0
    feature_weights: dict = field(default_factory=dict)
    lower_bound: float = float("nan")

    def __len__(self) -> int:
        return len(self.rows)

    def describe(self, i: int) -> str:
        """One sentence for row ``i``."""
        parts = [f"{f} {_fmt(a)} -> {_fmt(b)}" for f, a, b in self.changes[i]]
        what = " and ".join(parts) if parts else "no change"
        tail = "" if self.valid[i] else " (NOT valid: the model says otherwise)"
        return f"{what} turns {_fmt(self.original)} into {_fmt(self.outcomes[i])}{tail}"

    def __str__(self) -> str:
        how = "exact" if self.exact else "on a grid" if self.method.endswith("grid") else "searched"
        head = f"Counterfactuals ({self.method}, {how})"
        if self.message:
            head += f": {self.message}"
        if not len(self):
            return head + "\n  none found"
        lines = [head]
        for i in range(len(self)):
            lines.append(f"  {i + 1}. {self.describe(i)}  [cost {self.costs[i]:.4g}]")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The rows with their cost, number of changes, validity and outcome."""
        out = self.rows.copy()
        out["cost"] = self.costs
        out["n_changes"] = [len(c) for c in self.changes]
        out["valid"] = self.valid
        out["outcome"] = list(self.outcomes)
        return out
