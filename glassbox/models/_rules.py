"""What every rule family shares: conditions, rules, encoding, evaluation.

A ``Condition`` is one comparison in the original units of one input column
(``age > 42.5``, ``Home = owner``, ``Home in {owner, priv}``, ``Grade <= mid``,
``Income is missing``); a rule is a conjunction of them. Columns are read
through the model's input schema (``input_schema_``, matched by name):

* ``_encoding = "codes"`` (rule lists, RIPPER, OneR, and the tree, which
  shares these helpers): one float column per input column, numbers as they
  are, a category as the position of its level in the model's order, NaN for
  a missing value. Ordered categories keep their order; the levels of a
  nominal one are ordered by the target's mean (Breiman's order: for a binary
  or numeric target every threshold on it is then the best split into two
  sets of levels), so a threshold reads as ``Home in {owner, priv}``.
* ``_encoding = "one_hot"`` (RuleFit, whose linear terms need numbers): 0/1
  columns ``Home = rent``, reference-coded (the most frequent level is the
  baseline), so no two terms mirror each other.

A condition on a missing value is false (also ``!=`` and ``not in``). A
column takes missing values at predict only when it had some in fit; a level
not seen in fit is refused, naming column, value and row. Every printed
condition is evaluated here, on the same float64 matrix the backend saw, so
the printout and ``predict`` agree by construction (the tests check it from
the text alone).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .._format import condition_text, cut_between, rule_text, shortest_between
from .._validation import (
    ColumnSpec,
    InputSchema,
    check_frame,
    check_frame_y,
    check_sample_weight,
)
from ..base import GlassboxMixin

_CMP = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
    "!=": operator.ne,
}
_INEQ = ("<=", "<", ">=", ">")


@dataclass(frozen=True)
class Condition:
    """``feature op value`` in the reader's terms; ``column`` indexes the model's matrix.

    Numbers and ordered levels compare ``column`` with ``threshold``; level sets
    (``=``, ``!=``, ``in``, ``not in``) hold where the column's code is one of
    ``codes``; ``is missing`` holds on NaN. Every other condition is false on NaN.
    """

    feature: str
    op: str
    value: float | str | tuple[str, ...] | None
    column: int  # column of the model's float matrix this reads
    threshold: float  # the comparison made on that column (numbers, ordered levels)
    codes: tuple[int, ...] = ()  # level sets: the codes for which the condition holds

    def text(self) -> str:
        return condition_text(self.feature, self.op, self.value)

    def evaluate(self, Xe: np.ndarray) -> np.ndarray:
        col = Xe[:, self.column]
        if self.codes:
            return np.isin(col, np.asarray(self.codes, dtype=np.float64))
        if self.op == "is missing":
            return np.isnan(col)
        if self.op == "!=":
            return (col != self.threshold) & ~np.isnan(col)
        with np.errstate(invalid="ignore"):
            return _CMP[self.op](col, self.threshold)


def _bound_kind(c: Condition) -> str | None:
    if c.codes or c.op not in _INEQ:
        return None
    return "upper" if c.op in ("<", "<=") else "lower"


def simplify(conds, schema: InputSchema | None = None) -> tuple[Condition, ...]:
    """Keep the tightest bound per feature and direction, drop repeats.

    ``a < 5 and a < 10`` -> ``a < 5``; ``a > 1 and a >= 1`` -> ``a > 1``; with
    the ``schema`` of a level-coded matrix, level sets on one column meet:
    ``Home != owner and Home != rent`` -> ``Home not in {owner, rent}``. The
    order of first appearance is kept so rules read as the backend grew them.
    """
    out: list[Condition] = []
    for c in conds:
        kind = _bound_kind(c)
        if kind is None:
            if c.codes and schema is not None:
                same = [i for i, o in enumerate(out) if o.codes and o.column == c.column]
                if same:
                    i = same[0]
                    both = tuple(k for k in out[i].codes if k in c.codes)
                    out[i] = levels_condition(schema.columns[c.column], c.column, both)
                    continue
            if c not in out:
                out.append(c)
            continue
        for i, o in enumerate(out):
            if o.column != c.column or _bound_kind(o) != kind:
                continue
            if kind == "upper":
                tighter = c.threshold < o.threshold or (c.threshold == o.threshold and c.op == "<")
            else:
                tighter = c.threshold > o.threshold or (c.threshold == o.threshold and c.op == ">")
            if tighter:
                out[i] = c
            break
        else:
            out.append(c)
    return tuple(out)


def rule_mask(conds, Xe: np.ndarray) -> np.ndarray:
    """Rows of the encoded matrix where every condition holds."""
    mask = np.ones(Xe.shape[0], dtype=bool)
    for c in conds:
        mask &= c.evaluate(Xe)
    return mask


def merge_duplicates(rules, weights):
    """Sum the weights of rules with the same simplified conditions (same rows fire)."""
    order: list[tuple] = []
    total: dict[frozenset, float] = {}
    first: dict[frozenset, tuple] = {}
    for conds, w in zip(rules, weights):
        key = frozenset(conds)
        if key not in total:
            total[key] = 0.0
            first[key] = conds
            order.append(key)
        total[key] += float(w)
    return [first[k] for k in order], np.array([total[k] for k in order])


# --- short cut points ---------------------------------------------------------


def short_cut(x: np.ndarray, threshold: float, op: str) -> float:
    """The shortest number that splits the values ``x`` as ``x op threshold`` does.

    ``op`` is ``<=`` / ``>`` (the cut keeps its value on the lower side) or
    ``<`` / ``>=`` (on the upper side); NaN in ``x`` is ignored. Integer values
    get an integer cut (``Seniority <= 3``), others the shortest decimal between
    the two training values around the cut (16.8 for 16.795000076293945).
    """
    x = x[~np.isnan(x)]
    if op in ("<=", ">"):
        below, above = x[x <= threshold], x[x > threshold]
        if below.size == 0 or above.size == 0:
            return float(threshold)
        return cut_between(below.max(), above.min())
    below, above = x[x < threshold], x[x >= threshold]
    if below.size == 0 or above.size == 0:
        return float(threshold)
    return shortest_between(below.max(), above.min(), closed="right")


def short_bound(bound: float, x: np.ndarray, rel: float = 1e-6) -> float:
    """A clip bound rounded to the fewest digits that moves it by at most ``rel``
    of the column's range and leaves every training value on the same side
    (97.04999999999973 -> 97.05; 0.45933409328 -> 0.45933 on a range of 9).

    A clip bound changes values, not only which rows are selected, so it moves
    only that little: the model keeps the rounded bound, and predict uses it.
    """
    bound = float(bound)
    x = x[~np.isnan(x)]
    if not np.isfinite(bound) or x.size == 0 or (x == bound).any():
        return bound  # a training value on the bound: keep it exactly
    span = float(np.ptp(x)) or abs(bound)
    tol = rel * span
    below, above = x[x < bound], x[x > bound]
    lo = max(bound - tol, below.max() if below.size else -np.inf)
    hi = min(bound + tol, above.min() if above.size else np.inf)
    c = shortest_between(lo, hi, closed="right") if lo < hi else bound
    return c if lo < c < hi else bound


def power_scales(X: np.ndarray, lo: float = 2.0**-100, hi: float = 2.0**100) -> np.ndarray:
    """Per column, a power of two that brings its largest |value| near 1 when that
    is outside [lo, hi] (else 1): dividing by it is exact in float64, and keeps
    backends that work in float32 (scikit-learn's trees) or with absolute
    tolerances from seeing infinities or zeros."""
    with np.errstate(all="ignore"):
        top = np.nanmax(np.abs(X), axis=0, initial=0.0)
    scales = np.ones(X.shape[1])
    need = (top > hi) | ((top < lo) & (top > 0))
    scales[need] = 2.0 ** np.round(np.log2(top[need]))
    return scales


# --- encoding ----------------------------------------------------------------


def _target_matrix(y: np.ndarray, classes) -> np.ndarray:
    """(n, k): what level orders are computed from (class indicators or y)."""
    if classes is None:
        return np.asarray(y, dtype=np.float64)[:, None]
    codes = np.searchsorted(classes, y)
    return np.eye(len(classes))[codes]


def level_order(codes: np.ndarray, target: np.ndarray, sw, n_levels: int) -> np.ndarray:
    """Levels in Breiman's order: by the weighted mean of a numeric / binary
    target, by the first principal axis of the class frequencies for more
    classes (Coppersmith et al. 1999). Levels absent from fit go last."""
    w = np.ones(len(codes)) if sw is None else sw
    ok = ~np.isnan(codes)
    c, t, w = codes[ok].astype(int), target[ok], w[ok]
    count = np.bincount(c, weights=w, minlength=n_levels)
    sums = np.stack(
        [np.bincount(c, weights=w * t[:, k], minlength=n_levels) for k in range(t.shape[1])],
        axis=1,
    )
    present = count > 0
    means = np.zeros_like(sums)
    means[present] = sums[present] / count[present, None]
    if means.shape[1] == 1:
        key = means[:, 0]
    elif means.shape[1] == 2:
        key = means[:, 1]
    else:
        centred = (means - np.average(means[present], axis=0, weights=count[present])) * np.sqrt(
            count
        )[:, None]
        _, _, vt = np.linalg.svd(centred[present], full_matrices=False)
        key = means @ vt[0]
    key = np.where(present, key, np.inf)
    return np.argsort(key, kind="stable")


def most_frequent_first(schema: InputSchema, frame: pd.DataFrame) -> InputSchema:
    """The schema with each nominal column's most frequent level first: the
    baseline of reference (one-hot) coding, so no term mirrors another."""
    codes = schema.codes(frame)
    specs = []
    for j, spec in enumerate(schema.columns):
        if spec.kind == "categorical" and not spec.ordered and len(spec.levels) > 1:
            c = codes[~np.isnan(codes[:, j]), j].astype(int)
            order = np.argsort(-np.bincount(c, minlength=len(spec.levels)), kind="stable")
            spec = replace(spec, levels=tuple(spec.levels[k] for k in order))
        specs.append(spec)
    return InputSchema(tuple(specs), named=schema.named)


class _RuleBase(GlassboxMixin):
    """Validation, encoding through the input schema, and sample weights.

    ``_encoding`` is "codes" or "one_hot" (see the module docstring).
    """

    _encoding = "codes"

    # -- fit side --
    def _fit_inputs(self, X, y, sample_weight, *, classifier: bool, min_rows: int = 2):
        """Validated float matrix, y and weights; sets ``input_schema_`` (the
        model's level order and missing-value rules), ``encoded_names_`` and
        ``source_`` (per matrix column: input column name and level, or None)."""
        codes_mode = self._encoding == "codes"
        frame, y = check_frame_y(
            self,
            X,
            y,
            classifier=classifier,
            missing="native" if self._takes_missing() else "refuse",
        )
        if frame.shape[0] < min_rows:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 rows to find rules, got 1 sample"
            )
        sw = check_sample_weight(sample_weight, frame.shape[0])
        schema = self.input_schema_
        if codes_mode:
            first = schema.codes(frame)
            target = _target_matrix(y, np.unique(y) if classifier else None)
            specs = []
            for j, spec in enumerate(schema.columns):
                levels = spec.levels
                if spec.kind == "categorical" and not spec.ordered and len(levels) > 1:
                    order = level_order(first[:, j], target, sw, len(levels))
                    levels = tuple(levels[k] for k in order)
                missing = "native" if np.isnan(first[:, j]).any() else "refuse"
                specs.append(replace(spec, levels=levels, missing=missing))
            self.input_schema_ = InputSchema(tuple(specs), named=schema.named)
        else:  # reference coding: the most frequent level is the baseline
            self.input_schema_ = most_frequent_first(schema, frame)
        Xe = self._matrix(frame)
        if codes_mode:
            self.encoded_names_ = list(self.input_schema_.names)
            self.source_ = [(n, None) for n in self.encoded_names_]
        else:
            cols = self.input_schema_.one_hot_columns(reference=True)
            self.encoded_names_ = [n if lv is None else f"{n} = {lv}" for n, lv, _ in cols]
            self.source_ = [(n, lv) for n, lv, _ in cols]
        return Xe, y, sw

    def _takes_missing(self) -> bool:
        """Whether fit takes missing values (else they are refused, naming column and row)."""
        return self._encoding == "codes"

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        schema = self.input_schema_
        if self._encoding == "codes":
            return np.ascontiguousarray(schema.codes(frame))
        return schema.one_hot(frame, reference=True)

    def _class_inputs(self, X, y, sample_weight, *, binary: bool):
        """Validated matrix and class codes, rows repeated by their integer weights.

        Sets ``classes_``; refuses multiclass targets when ``binary``.
        """
        Xe, y, sw = self._fit_inputs(X, y, sample_weight, classifier=True)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if binary:
            binary_only(self, self.classes_)
        rows = frequency_rows(sw, Xe.shape[0], type(self).__name__)
        if rows is not None:
            Xe, codes = Xe[rows], codes[rows]
        weighted_classes(self, codes)
        return Xe, codes

    @property
    def missing_rule_(self) -> str:
        """How the model treats a missing value and a level not seen in fit (printed)."""
        check_is_fitted(self)
        cols = [c.name for c in self.input_schema_.columns if c.missing == "native"]
        cats = any(c.kind != "numeric" for c in self.input_schema_.columns)
        parts = []
        if cols:
            parts.append(
                f"Missing values (seen in fit in {', '.join(cols)}) make every condition on "
                "them false, except 'is missing'; elsewhere they are refused."
            )
        if cats:
            parts.append("A level not seen in fit is refused.")
        return " ".join(parts)

    # -- predict side --
    def _encoded(self, X) -> np.ndarray:
        """The float matrix the rules read, for predict-time X (columns by name)."""
        return self._matrix(check_frame(self, X, reset=False))

    def _orig_col(self, column: int) -> int:
        """Index of the user's column that matrix column ``column`` comes from."""
        return list(self.feature_names_).index(self.source_[column][0])

    def _data_for_explanation(self, X, Xe) -> np.ndarray:
        """The rows as explanations show them: the user's values, not codes or dummies."""
        if not self.input_schema_.categorical:  # numbers only: the matrix is the user's values
            return Xe
        return check_frame(self, X, reset=False).to_numpy(dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_class = getattr(self, "_multi_class", False)
        return tags

    # -- conditions --
    def _condition(self, column: int, op: str, threshold: float) -> Condition:
        """A condition ``matrix[:, column] op threshold`` in the reader's terms."""
        threshold = float(threshold)
        name, level = self.source_[column]
        if level is not None:  # a 0/1 dummy: "is the level" / "is not the level"
            on, off = bool(_CMP[op](1.0, threshold)), bool(_CMP[op](0.0, threshold))
            if on == off:  # true (or false) for every row: keep it literal on the dummy
                return Condition(f"[{name} = {level}]", op, threshold, column, threshold)
            if on:
                return Condition(name, "=", level, column, 0.5, (1,))
            levels = self.input_schema_[name].levels
            if len(levels) == 2:  # not the one level is the other one: Records = no
                other = levels[0] if level == levels[1] else levels[1]
                return Condition(name, "=", other, column, 0.5, (0,))
            return Condition(name, "!=", level, column, 0.5, (0,))
        if self._encoding != "codes":  # a numeric column of the one-hot matrix
            return Condition(name, op, threshold, column, threshold)
        spec = self.input_schema_.columns[column]
        if spec.kind == "numeric":
            return Condition(name, op, threshold, column, threshold)
        return level_condition(spec, column, op, threshold)


def level_condition(spec: ColumnSpec, column: int, op: str, threshold: float) -> Condition:
    """``code op threshold`` on a categorical / boolean column as levels:
    ``Grade <= mid`` (ordered), ``Home = owner``, ``Home in {owner, priv}``."""
    codes = tuple(k for k in range(len(spec.levels)) if _CMP[op](k, threshold))
    return levels_condition(spec, column, codes, contiguous=op in _INEQ)


def levels_condition(
    spec: ColumnSpec, column: int, codes: tuple[int, ...], contiguous: bool = False
) -> Condition:
    """ "The column holds one of the levels ``codes``", in the fewest words:
    ``Grade <= mid`` / ``Grade >= mid`` (a prefix / suffix of an ordered
    category), ``Home = owner``, ``Home != rent``, ``Home in {...}``, ``not in {...}``."""
    levels = spec.levels
    codes = tuple(sorted(codes))
    rest = tuple(k for k in range(len(levels)) if k not in codes)
    if spec.ordered and len(codes) > 1 and rest and contiguous:
        if codes[0] == 0:  # a prefix: at most a level
            return Condition(spec.name, "<=", levels[codes[-1]], column, float(codes[-1]))
        return Condition(spec.name, ">=", levels[codes[0]], column, float(codes[0]))
    if not codes:
        return Condition(spec.name, "in", (), column, np.nan, (-1,))
    if len(codes) == 1:
        return Condition(spec.name, "=", levels[codes[0]], column, np.nan, codes)
    if len(rest) == 1:
        return Condition(spec.name, "!=", levels[rest[0]], column, np.nan, codes)
    if len(codes) <= len(rest):
        return Condition(spec.name, "in", tuple(levels[k] for k in codes), column, np.nan, codes)
    return Condition(spec.name, "not in", tuple(levels[k] for k in rest), column, np.nan, codes)


def level_is(spec: ColumnSpec, column: int, k: int) -> Condition:
    """``Home = owner``: the column holds level ``k``."""
    return Condition(spec.name, "=", spec.levels[k], column, np.nan, (k,))


def missing_condition(name: str, column: int) -> Condition:
    """``Income is missing``."""
    return Condition(name, "is missing", None, column, np.nan)


def frequency_rows(sample_weight: np.ndarray | None, n: int, est_name: str) -> np.ndarray | None:
    """Row indices that repeat each row by its integer weight, or None for no weights.

    The rule backends take no sample weights; integer (frequency) weights are
    applied exactly by repeating rows. Fractional weights are refused.
    """
    if sample_weight is None:
        return None
    if not np.allclose(sample_weight, np.round(sample_weight)):
        raise ValueError(
            f"{est_name} accepts only integer (frequency) sample weights: its backend "
            "takes none, so weights are applied by repeating rows; round or rescale them"
        )
    return np.repeat(np.arange(n), np.round(sample_weight).astype(int))


def weighted_classes(est, codes: np.ndarray) -> None:
    """After rows with weight 0 are dropped, at least two classes must remain."""
    if np.unique(codes).size < 2:
        raise ValueError(
            f"after applying sample_weight, y has a single class; {type(est).__name__} "
            "needs rows of at least 2 classes with non-zero weight"
        )


def quantile_cuts(x: np.ndarray, n_bins: int) -> np.ndarray:
    """Interior cut points (``x <= cut`` is the lower side) by quantiles, NaN ignored.

    Columns with at most ``n_bins`` distinct values are cut between every pair
    of neighbouring values; every cut is the shortest number that splits the
    training values the same way (an integer between integers).
    """
    x = x[~np.isnan(x)]
    uniq = np.unique(x)
    if uniq.size <= 1:
        return np.empty(0)
    if uniq.size <= n_bins:
        return np.array([cut_between(a, b) for a, b in zip(uniq[:-1], uniq[1:])])
    qs = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1]))
    qs = qs[qs < uniq[-1]]
    return np.unique([short_cut(uniq, q, "<=") for q in qs])


def spread_to_features(delta: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Split each row's ``delta`` equally over the features flagged in ``masks``.

    ``masks`` is (n_rows, n_features) bool; rows with no flagged feature must
    have delta 0. The result sums to ``delta`` row by row (additive).
    """
    counts = masks.sum(axis=1)
    out = np.zeros(masks.shape, dtype=np.float64)
    has = counts > 0
    out[has] = masks[has] * (delta[has] / counts[has])[:, None]
    return out


# --- ordered rule lists (first matching rule decides) -------------------------


@dataclass(frozen=True)
class ListRule:
    """One line of a rule list: its conditions (empty for ELSE) and class probabilities."""

    conds: tuple[Condition, ...]
    proba: np.ndarray  # (n_classes,), in the order of classes_
    support: int = 0  # training rows this rule decides (or covers, for rule sets)
    label: int = -1  # index of the class printed after THEN; -1: the most probable

    def predicted(self) -> int:
        return int(np.argmax(self.proba)) if self.label < 0 else self.label


class _RuleListMixin:
    """predict / explanations for models stored as ``rule_list_`` (list of ListRule).

    The last entry is the ELSE rule (no conditions). Subclasses set
    ``rule_list_``, ``classes_`` and call ``_finish_list`` at the end of fit.
    """

    #: printed name of the backend, e.g. "imodels GreedyRuleListClassifier"
    backend_ = ""

    def _ovr(self) -> bool:
        """Whether this fit is one-vs-rest (see ``_OneVsRest``); never for OneR."""
        return False

    def _decide(self, Xe: np.ndarray) -> np.ndarray:
        """Index of the rule that decides each row (first one whose conditions hold)."""
        rules = self.rule_list_
        idx = np.full(Xe.shape[0], len(rules) - 1)
        open_ = np.ones(Xe.shape[0], dtype=bool)
        for k, r in enumerate(rules[:-1]):
            hit = open_ & rule_mask(r.conds, Xe)
            idx[hit] = k
            open_ &= ~hit
        return idx

    def apply(self, X) -> np.ndarray:
        """Index into ``rule_list_`` of the rule that decides each row of X.

        Returns an int array of shape (n_rows,): the first rule whose conditions all hold;
        ``len(rule_list_) - 1`` (the ELSE rule) where none does. One-vs-rest (more than two
        classes): shape (n_rows, n_classes), column k indexing ``estimators_[k].rule_list_``.
        """
        check_is_fitted(self)
        if self._ovr():
            return np.column_stack([s.apply(X) for s in self.estimators_])
        return self._decide(self._encoded(X))

    def _proba_encoded(self, Xe: np.ndarray) -> np.ndarray:
        probs = np.stack([r.proba for r in self.rule_list_])
        return probs[self._decide(Xe)]

    def _features_used(self, Xe: np.ndarray) -> np.ndarray:
        """(n_rows, n_features): features of the deciding rule and the rules passed over."""
        rules = self.rule_list_
        per_rule = np.zeros((len(rules), self.n_features_in_), dtype=bool)
        for k, r in enumerate(rules):
            for c in r.conds:
                per_rule[k, self._orig_col(c.column)] = True
        cum = np.logical_or.accumulate(per_rule, axis=0)
        return cum[self._decide(Xe)]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of each row, in the order of ``classes_``.

        Returns an array of shape (n_rows, n_classes): the printed P(class) of the rule that
        decides the row; one-vs-rest (more than two classes): each class's printed P divided
        by their sum over the classes.
        """
        check_is_fitted(self)
        if self._ovr():
            return self._ovr_proba(X)
        return self._proba_encoded(self._encoded(X))

    def predict(self, X) -> np.ndarray:
        """The class printed after THEN in the rule that decides each row.

        Returns an array of shape (n_rows,); one-vs-rest: the most probable class.
        """
        check_is_fitted(self)
        if self._ovr():
            return self._ovr_predict(X)
        decides = self.apply(X)
        labels = np.array([r.predicted() for r in self.rule_list_])
        return self.classes_[labels[decides]]

    def _outputs(self, proba: np.ndarray) -> np.ndarray:
        """Explained output: P(classes_[1]) for binary, every class's P otherwise."""
        return proba[:, 1] if proba.shape[1] == 2 else proba

    def _finish_list(self, Xe: np.ndarray, supports=None) -> None:
        """Supports, complexity and the training-mean output (base of explanations)."""
        if supports is None:
            idx = self._decide(Xe)
            supports = np.bincount(idx, minlength=len(self.rule_list_))
        self.rule_list_ = [
            ListRule(r.conds, np.asarray(r.proba, dtype=np.float64), int(s), r.label)
            for r, s in zip(self.rule_list_, supports)
        ]
        self.complexity_ = int(sum(len(r.conds) for r in self.rule_list_))
        out = self._outputs(self._proba_encoded(Xe))
        self.base_value_ = out.mean(axis=0)
        local = self._local_values(Xe)
        self.importances_ = np.abs(local).mean(axis=0)
        self.n_train_ = Xe.shape[0]

    def _local_values(self, Xe: np.ndarray) -> np.ndarray:
        out = self._outputs(self._proba_encoded(Xe))
        used = self._features_used(Xe)
        if out.ndim == 1:
            return spread_to_features(out - self.base_value_, used)
        return np.stack(
            [
                spread_to_features(out[:, k] - self.base_value_[k], used)
                for k in range(out.shape[1])
            ],
            axis=2,
        )

    def explain_local(self, X):
        """Each row's P(class) minus its training mean, split over features.

        Returns a LocalExplanation on the probability scale (link "identity"): base value +
        contributions = ``predict_proba`` (its last column for two classes); the share of
        a row is split equally over the features of the rules that decide it (one-vs-rest:
        over the features of the deciding rules, and the rules passed over, of every
        class's list).
        """
        from ..explanation import LocalExplanation

        check_is_fitted(self)
        Xe = self._encoded(X)
        if self._ovr():
            values = self._ovr_local_values(X, self._ovr_proba(X))
        else:
            values = self._local_values(Xe)
        n = Xe.shape[0]
        base = np.broadcast_to(self.base_value_, (n,) + np.shape(self.base_value_)).copy()
        return LocalExplanation(
            values=values,
            base_values=base,
            data=self._data_for_explanation(X, Xe),
            feature_names=tuple(self.feature_names_),
            output_names=self._output_names(),
            link="identity",
            method="rule_list",
            extras={
                "attribution": "P(class) minus its training mean, split equally over the "
                "features of the deciding rule and of the rules passed over before it"
            },
        )

    def explain_global(self):
        """Feature importances: mean |local contribution| on the training rows.

        Returns a GlobalExplanation.
        """
        from ..explanation import GlobalExplanation

        check_is_fitted(self)
        return GlobalExplanation(
            term_names=tuple(self.feature_names_),
            importances=self.importances_,
            intercept=np.atleast_1d(self.base_value_),
            output_names=self._output_names(),
            link="identity",
            method="rule_list",
            extras={"importance": "mean |local contribution| on the training rows"},
        )

    def _output_names(self) -> tuple[str, ...]:
        names = tuple(str(c) for c in self.classes_)
        return names[1:] if len(names) == 2 else names

    @property
    def rules_(self) -> pd.DataFrame:
        """The rules as data: text, predicted class, support, confidence, P(class).

        One-vs-rest: every class's list, with a ``class`` column naming the class it is
        about and its predictions 1 (the class) or 0 (the rest)."""
        check_is_fitted(self)
        if self._ovr():
            return self._ovr_rules()
        rows = []
        for r in self.rule_list_:
            best = r.predicted()
            row = {
                "rule": rule_text(r.conds) if r.conds else "ELSE",
                "prediction": self.classes_[best],
                "support": r.support,
                "confidence": float(r.proba[best]),
                "n_conditions": len(r.conds),
            }
            for c, p in zip(self.classes_, r.proba):
                row[f"P({c})"] = float(p)
            rows.append(row)
        return pd.DataFrame(rows)


def binary_only(est, classes) -> None:
    """A clear error instead of a silent collapse of a multiclass target to binary."""
    if len(classes) > 2:
        raise ValueError(
            "Only binary classification is supported. "
            f"{type(est).__name__} with this algorithm handles binary targets only, but y has "
            f"{len(classes)} classes ({', '.join(map(str, classes[:5]))}"
            f"{', ...' if len(classes) > 5 else ''}); fit one model per class "
            "(sklearn.multiclass.OneVsRestClassifier) or use OneRClassifier / TreeClassifier"
        )


# --- more than two classes: one binary model per class (one-vs-rest) -----------------


class _OneVsRest:
    """Multiclass targets for the binary-only rule backends, one-vs-rest.

    ``estimators_[k]`` is a model of the same class and parameters fitted on
    "y == classes_[k]" (target 1) against every other class (target 0); its
    rules print P(classes_[k]) for the rows they decide. The class
    probabilities are those one-vs-rest probabilities normalized to sum to 1
    (as scikit-learn's ``OneVsRestClassifier``; all zero gives equal shares)
    and the prediction is the most probable class, so
    ``argmax(predict_proba) == predict`` by construction. A binary target
    fits the single model as before (no ``estimators_``).
    """

    _multi_class = True

    def _ovr(self) -> bool:
        return getattr(self, "estimators_", None) is not None

    def _reset_fitted(self) -> None:
        """Forget a previous fit (a binary refit after a multiclass one keeps no sub-models)."""
        for k in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, k)

    def _fit_one_vs_rest(self, X, y, sample_weight) -> bool:
        """Fit one binary model per class when y has more than two; False for two classes."""
        from sklearn.base import clone

        self._reset_fitted()
        _, yv, sw = self._fit_inputs(X, y, sample_weight, classifier=True)
        classes, codes = np.unique(yv, return_inverse=True)
        if len(classes) <= 2:
            self._reset_fitted()
            return False
        if sw is not None:
            mass = np.bincount(codes, weights=sw, minlength=len(classes))
            if (mass == 0).any():
                gone = [str(c) for c, m in zip(classes, mass) if m == 0]
                raise ValueError(
                    f"class(es) {gone} have only rows of sample_weight 0; drop them from y "
                    "or give them weight"
                )
        self.classes_ = classes
        subs = []
        for k in range(len(classes)):
            sub = clone(self)
            sub.fit(X, (codes == k).astype(np.int64), sample_weight)
            subs.append(sub)
        self.estimators_ = subs
        inner = getattr(subs[0], "backend_", "") or "imodels RuleFitClassifier"
        self.backend_ = f"one-vs-rest, {inner}"
        self.complexity_ = int(sum(s.complexity_ for s in subs))
        self.n_train_ = int(subs[0].n_train_)
        self._finish_one_vs_rest(X, sw)
        return True

    def _finish_one_vs_rest(self, X, sw) -> None:
        """Base value (training mean of the explained output) and importances."""
        out, _ = self._ovr_explained(X)
        w = None if sw is None else sw
        self.base_value_ = np.average(out, axis=0, weights=w)
        values = self._ovr_local_values(X, out)
        self.importances_ = np.average(np.abs(values), axis=0, weights=w)

    def _ovr_explained(self, X):
        """The explained output on the training rows: P(class) (rule lists, RIPPER)."""
        return self._ovr_proba(X), None

    def _ovr_local_values(self, X, out: np.ndarray) -> np.ndarray:
        """(n, n_features, n_classes): P(class) minus its training mean, split equally over
        the features every class's list reads for the row (deciding rule and the rules
        passed over), so base + values = predict_proba exactly."""
        used = np.zeros((out.shape[0], self.n_features_in_), dtype=bool)
        for s in self.estimators_:
            used |= s._features_used(s._encoded(X))
        return np.stack(
            [
                spread_to_features(out[:, k] - self.base_value_[k], used)
                for k in range(out.shape[1])
            ],
            axis=2,
        )

    def _ovr_scores(self, X) -> np.ndarray:
        """(n, n_classes): each one-vs-rest model's P(its class), before normalizing."""
        return np.column_stack([s.predict_proba(X)[:, 1] for s in self.estimators_])

    def _ovr_proba(self, X) -> np.ndarray:
        p = self._ovr_scores(X)
        total = p.sum(axis=1, keepdims=True)
        k = p.shape[1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0 / k)

    def _ovr_predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self._ovr_proba(X), axis=1)]

    def _ovr_rules(self) -> pd.DataFrame:
        """Every one-vs-rest model's ``rules_`` with the class it is about."""
        frames = []
        for c, sub in zip(self.classes_, self.estimators_):
            f = sub.rules_.copy()
            f.insert(0, "class", c)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)
