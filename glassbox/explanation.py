"""Explanations as plain data.

Every model and every explainer in glassbox and surrogates returns one of the
two dataclasses below. They hold numpy arrays and names only; rendering (text,
plots, html) reads them and never fits anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def _summary_repr(
    kind: str,
    n_rows: int | None,
    names: tuple[str, ...],
    outputs: tuple[str, ...],
    method: str,
    link: str,
    weight: np.ndarray,
    what: str,
    top: int = 3,
) -> str:
    """One line a person can read: sizes, method, link and the top names by ``weight``
    (never the arrays themselves, which a notebook would print in full)."""
    parts = [] if n_rows is None else [f"{n_rows} row{'s' if n_rows != 1 else ''}"]
    parts.append(f"{len(names)} {'features' if n_rows is not None else 'terms'}")
    if len(outputs) > 1:
        parts.append(f"{len(outputs)} outputs")
    parts += [f"method={method!r}", f"link={link!r}"]
    weight = np.asarray(weight, dtype=float).reshape(len(names), -1).mean(axis=1)
    if len(names):
        order = np.argsort(-np.nan_to_num(weight, nan=-np.inf), kind="stable")[:top]
        tops = ", ".join(f"{names[i]} {weight[i]:.3g}" for i in order)
        more = f", ... {len(names) - top} more" if len(names) > top else ""
        parts.append(f"top by {what}: {tops}{more}")
    return f"{kind}({'; '.join(parts)})"


@dataclass(frozen=True, repr=False)
class LocalExplanation:
    """Per-row, per-feature contributions.

    ``values.sum(axis=1) + base_values`` is the explained output on the
    ``link`` scale, row by row (and output by output for multi-output models).
    Field names follow ``shap.Explanation`` so users can convert either way.
    """

    values: np.ndarray  # (n_rows, n_features) or (n_rows, n_features, n_outputs)
    base_values: np.ndarray  # (n_rows,) or (n_rows, n_outputs)
    data: np.ndarray  # the rows explained, (n_rows, n_features)
    feature_names: tuple[str, ...]
    output_names: tuple[str, ...]
    link: str
    method: str
    extras: dict = field(default_factory=dict, compare=False)  # e.g. standard errors

    def __post_init__(self) -> None:
        values = np.asarray(self.values)
        base = np.asarray(self.base_values)
        if values.ndim not in (2, 3):
            raise ValueError(f"values must be 2-D or 3-D, got shape {values.shape}")
        if values.shape[1] != len(self.feature_names):
            raise ValueError(
                f"values has {values.shape[1]} feature columns but "
                f"{len(self.feature_names)} feature names were given"
            )
        if base.shape != values.shape[:1] + values.shape[2:]:
            raise ValueError(
                f"base_values has shape {base.shape}; expected "
                f"{values.shape[:1] + values.shape[2:]} to match values {values.shape}"
            )

    @property
    def n_rows(self) -> int:
        return int(np.asarray(self.values).shape[0])

    def output(self) -> np.ndarray:
        """The explained output on the link scale: base value plus contributions."""
        return np.asarray(self.values).sum(axis=1) + np.asarray(self.base_values)

    def to_frame(self, output: int | str | None = None) -> pd.DataFrame:
        """Long table: one row per (row, feature[, output]) with value and data."""
        values = np.asarray(self.values)
        data = np.asarray(self.data)
        n, f = values.shape[:2]
        frames = []
        outputs = range(values.shape[2]) if values.ndim == 3 else [None]
        if output is not None and values.ndim == 3:
            idx = self.output_names.index(output) if isinstance(output, str) else output
            outputs = [idx]
        for k in outputs:
            v = values if k is None else values[:, :, k]
            b = np.asarray(self.base_values) if k is None else np.asarray(self.base_values)[:, k]
            frame = pd.DataFrame(
                {
                    "row": np.repeat(np.arange(n), f),
                    "feature": np.tile(np.asarray(self.feature_names, dtype=object), n),
                    "value": v.reshape(-1),
                    "data": data.reshape(n * f) if data.shape == (n, f) else np.nan,
                    "base_value": np.repeat(b, f),
                }
            )
            if k is not None:
                frame.insert(0, "output", self.output_names[k])
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def to_shap(self):
        """A ``shap.Explanation`` with the same arrays (imports shap here only)."""
        import shap

        values = np.asarray(self.values)
        # output names only for a multi-output array: shap slices a single-output
        # Explanation with output names wrongly (e[0].base_values keeps every row)
        names = list(self.output_names) if self.output_names and values.ndim == 3 else None
        return shap.Explanation(
            values=values,
            base_values=np.asarray(self.base_values),
            data=np.asarray(self.data),
            feature_names=list(self.feature_names),
            output_names=names,
        )

    def __repr__(self) -> str:
        return _summary_repr(
            "LocalExplanation",
            self.n_rows,
            self.feature_names,
            self.output_names,
            self.method,
            self.link,
            np.abs(np.asarray(self.values, dtype=float)).mean(axis=0)
            if self.n_rows
            else np.zeros(len(self.feature_names)),
            "mean |value|",
        )

    def __getitem__(self, rows) -> LocalExplanation:
        """Select rows, keeping every other field."""
        rows = np.atleast_1d(np.arange(self.n_rows)[rows])
        return LocalExplanation(
            values=np.asarray(self.values)[rows],
            base_values=np.asarray(self.base_values)[rows],
            data=np.asarray(self.data)[rows],
            feature_names=self.feature_names,
            output_names=self.output_names,
            link=self.link,
            method=self.method,
            extras={
                k: (np.asarray(v)[rows] if np.ndim(v) and len(v) == self.n_rows else v)
                for k, v in self.extras.items()
            },
        )


@dataclass(frozen=True)
class TermShape:
    """The shape function of one additive term (a feature or a pair of features).

    ``grid`` holds one array per feature: bin centres or spline evaluation points
    for continuous features, level labels for categorical ones. ``values`` has one
    axis per feature (plus a last axis for multi-output models). ``lower`` and
    ``upper`` are pointwise bounds where the backend provides them, aligned with
    ``values``: a GAM's pointwise confidence interval (pygam), an EBM's score
    plus / minus ``std``, the standard deviation of the bin's score across
    interpret's outer bags (None when the model was fitted with one bag).

    Binned models (EBM) also give their complete lookup table: ``cuts`` holds,
    per feature, the bin boundaries (a value x is in the bin ``[lower, upper)``
    between consecutive cuts; None for a categorical feature, whose levels are
    its ``grid``), and ``lookup`` is ``values`` with one more cell at the start
    (missing value) and at the end (level not seen in fit) of every feature axis.
    """

    name: str
    features: tuple[str, ...]
    kind: str  # "continuous", "categorical", "pair", "linear"
    grid: tuple[np.ndarray, ...]
    values: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    density: np.ndarray | None = None  # training counts per grid cell, if known
    cuts: tuple[np.ndarray | None, ...] | None = None  # bin boundaries per feature (binned models)
    lookup: np.ndarray | None = None  # values plus missing / unseen cells (binned models)
    std: np.ndarray | None = None  # per-cell std across bags (EBM), aligned with values


@dataclass(frozen=True, repr=False)
class GlobalExplanation:
    """What a fitted model rests on, term by term.

    ``importances`` is the mean absolute contribution of each term on the
    training data (link scale). Linear models fill ``coefficients``; additive
    models fill ``shapes``; symbolic models fill ``equation``.
    """

    term_names: tuple[str, ...]
    importances: np.ndarray  # (n_terms,) or (n_terms, n_outputs)
    intercept: np.ndarray  # (n_outputs,)
    output_names: tuple[str, ...]
    link: str
    method: str
    coefficients: np.ndarray | None = None  # (n_terms,) or (n_terms, n_outputs)
    shapes: tuple[TermShape, ...] | None = None
    equation: str | None = None
    extras: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        imp = np.asarray(self.importances)
        if imp.shape[:1] != (len(self.term_names),):
            raise ValueError(
                f"importances has shape {imp.shape} but there are {len(self.term_names)} term names"
            )

    def to_frame(self) -> pd.DataFrame:
        """One row per term (and output): importance, and coefficient if linear.

        Most important term first (per output for multi-output models; ties keep
        the model's term order)."""
        imp = np.asarray(self.importances, dtype=float)
        coef = None if self.coefficients is None else np.asarray(self.coefficients, dtype=float)
        if imp.ndim == 1:
            frame = pd.DataFrame({"term": list(self.term_names), "importance": imp})
            if coef is not None:
                frame["coefficient"] = coef
            return frame.sort_values("importance", ascending=False, kind="stable").reset_index(
                drop=True
            )
        frames = []
        for k, out in enumerate(self.output_names):
            frame = pd.DataFrame(
                {"output": out, "term": list(self.term_names), "importance": imp[:, k]}
            )
            if coef is not None:
                frame["coefficient"] = coef[:, k]
            frames.append(frame.sort_values("importance", ascending=False, kind="stable"))
        return pd.concat(frames, ignore_index=True)

    def __repr__(self) -> str:
        imp = np.asarray(self.importances, dtype=float)
        return _summary_repr(
            "GlobalExplanation",
            None,
            self.term_names,
            self.output_names,
            self.method,
            self.link,
            imp if imp.ndim == 1 else imp.mean(axis=1),
            "importance",
        )

    def to_shap(self):
        """Importances as a ``shap.Explanation`` (one 'row'), for shap's bar plot."""
        import shap

        imp = np.asarray(self.importances, dtype=float)
        intercept = np.asarray(self.intercept, dtype=float)
        if imp.ndim == 1:  # one explained output: its intercept (the last, as for binary)
            intercept = intercept.reshape(-1)[-1]
        return shap.Explanation(
            values=imp.T if imp.ndim == 2 else imp,
            base_values=intercept,
            feature_names=list(self.term_names),
            output_names=list(self.output_names) if self.output_names else None,
        )


@dataclass(frozen=True)
class TreeNodes:
    """The nodes of a fitted decision tree as plain arrays, root (node 0) first.

    Node ``i`` is a leaf when ``left[i] == -1``. Otherwise it sends a row whose
    feature ``feature[i]`` (an index into ``feature_names``) is ``<= threshold[i]``
    to node ``left[i]`` and every other row to node ``right[i]``. ``samples`` counts
    the training rows that reach each node and ``value`` is each node's prediction:
    class probabilities (one column per ``output_names``) or the mean of y.
    """

    left: np.ndarray  # (n_nodes,) int, -1 at a leaf
    right: np.ndarray  # (n_nodes,) int, -1 at a leaf
    feature: np.ndarray  # (n_nodes,) int, -1 at a leaf
    threshold: np.ndarray  # (n_nodes,) float, NaN at a leaf
    samples: np.ndarray  # (n_nodes,) int
    value: np.ndarray  # (n_nodes, n_outputs)
    feature_names: tuple[str, ...]
    output_names: tuple[str, ...]

    @property
    def n_leaves(self) -> int:
        """Number of leaves."""
        return int(np.count_nonzero(np.asarray(self.left) < 0))

    @property
    def depth(self) -> int:
        """Length of the longest path from the root to a leaf (0 for a single leaf)."""
        left, right = np.asarray(self.left), np.asarray(self.right)
        deepest, stack = 0, [(0, 0)]
        while stack:
            node, d = stack.pop()
            deepest = max(deepest, d)
            if left[node] >= 0:
                stack += [(int(left[node]), d + 1), (int(right[node]), d + 1)]
        return deepest
