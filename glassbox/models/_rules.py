"""What every rule family shares: conditions, rules, encoding, evaluation.

A ``Condition`` is one comparison in the original units of one input column
(``age > 42.5``, ``colour == red``); a ``Rule`` is a conjunction of them. The
backends (imodels, wittgenstein, mlxtend) see a float matrix in which
categorical string columns are one-hot encoded as columns named
``colour == red``; conditions on those dummy columns are turned back into
``colour == red`` / ``colour != red`` before anyone reads them. Every printed
condition is evaluated here, on the same float64 data the backend saw, so the
printout and ``predict`` agree by construction (and the tests check it from
the text alone).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .._format import condition_text, num, rule_text
from .._validation import (
    check_one_hot_X,
    check_sample_weight,
    check_X,
    check_X_y,
    has_categorical_columns,
    one_hot_encode,
    one_hot_levels,
    one_hot_sources,
)
from ..base import GlassboxMixin


@dataclass(frozen=True)
class Condition:
    """``feature op value`` in the original units; ``column`` indexes the encoded matrix."""

    feature: str
    op: str
    value: float | str
    column: int  # column of the encoded float matrix this reads
    threshold: float  # comparison made on that column (0.5 for dummies)

    def text(self) -> str:
        return condition_text(self.feature, self.op, self.value)

    def evaluate(self, Xe: np.ndarray) -> np.ndarray:
        col = Xe[:, self.column]
        op = self.op
        if isinstance(self.value, str):  # dummy column: 1.0 means "== level"
            return col > 0.5 if op == "==" else col <= 0.5
        t = self.threshold
        return {
            "<=": col <= t,
            "<": col < t,
            ">=": col >= t,
            ">": col > t,
            "==": col == t,
            "!=": col != t,
        }[op]


def simplify(conds) -> tuple[Condition, ...]:
    """Keep the tightest bound per feature and direction, drop repeats.

    ``a < 5 and a < 10`` -> ``a < 5``; ``a > 1 and a >= 1`` -> ``a > 1``;
    the order of first appearance is kept so rules read as the backend grew them.
    """
    out: list[Condition] = []
    for c in conds:
        kind = "upper" if c.op in ("<", "<=") else "lower" if c.op in (">", ">=") else None
        if kind is None or isinstance(c.value, str):
            if c not in out:
                out.append(c)
            continue
        for i, o in enumerate(out):
            if o.column != c.column or isinstance(o.value, str):
                continue
            o_kind = "upper" if o.op in ("<", "<=") else "lower" if o.op in (">", ">=") else None
            if o_kind != kind:
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


# --- encoding ----------------------------------------------------------------


class _RuleBase(GlassboxMixin):
    """Validation, categorical encoding and sample weights shared by rule families.

    Categorical string columns are one-hot encoded (``colour == red``) by
    ``glassbox._validation``; conditions on the dummies read as levels again.
    """

    # -- fit side --
    def _fit_inputs(self, X, y, sample_weight, *, classifier: bool):
        """Validated float matrix (dummies for string columns), y and weights.

        Sets ``encoded_names_`` (one per encoded column) and ``source_`` (per
        encoded column: original feature name and level, level None if numeric).
        """
        if not has_categorical_columns(X):
            self.categories_ = None
            Xe, y = check_X_y(self, X, y, classifier=classifier)
            names = self.feature_names_
            self.encoded_names_ = list(names)
            self.source_ = [(n, None) for n in names]
        else:
            self.categories_ = one_hot_levels(X, type(self).__name__)
            frame = one_hot_encode(X, self.categories_)
            Xe, y = check_X_y(self, frame, y, classifier=classifier)
            self.encoded_names_ = [str(c) for c in frame.columns]
            self.source_ = one_hot_sources(X.columns, self.categories_)
            # the user's columns, not the dummies, are what predict checks against
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.n_features_in_ = X.shape[1]
        if Xe.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 rows to find rules, got 1 sample"
            )
        sw = check_sample_weight(sample_weight, Xe.shape[0])
        return Xe, y, sw

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

    # -- predict side --
    def _encoded(self, X) -> np.ndarray:
        """The float matrix the rules read, for predict-time X."""
        if getattr(self, "categories_", None) is None:
            return check_X(self, X, reset=False)
        return check_one_hot_X(self, X, self.categories_)

    def _orig_col(self, column: int) -> int:
        """Index of the user's column that encoded column ``column`` comes from."""
        return list(self.feature_names_).index(self.source_[column][0])

    def _data_for_explanation(self, X, Xe) -> np.ndarray:
        """The rows as explanations show them: the user's values, not the dummies."""
        if getattr(self, "categories_", None) is None:
            return Xe
        return np.asarray(X, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_class = getattr(self, "_multi_class", False)
        return tags

    # -- conditions --
    def _condition(self, column: int, op: str, threshold: float) -> Condition:
        """A condition on encoded column ``column`` in the reader's terms."""
        name, level = self.source_[column]
        threshold = float(threshold)
        if level is None:
            return Condition(name, op, threshold, column, threshold)
        # a dummy is 0/1: read the comparison as "is the level" / "is not the level"
        cmp = {"<=": np.less_equal, "<": np.less, ">=": np.greater_equal, ">": np.greater}[op]
        on, off = bool(cmp(1.0, threshold)), bool(cmp(0.0, threshold))
        if on == off:  # true (or false) for every row: keep it literal on the dummy
            return Condition(f"{name} == {level}", op, threshold, column, threshold)
        return Condition(name, "==" if on else "!=", level, column, 0.5)


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
    """Interior cut points (``x <= cut`` is the lower side) by quantiles.

    Columns with at most ``n_bins`` distinct values are cut between every pair
    of neighbouring values (so 0/1 dummies are cut at 0.5).
    """
    uniq = np.unique(x)
    if uniq.size <= 1:
        return np.empty(0)
    if uniq.size <= n_bins:
        return (uniq[:-1] + uniq[1:]) / 2
    qs = np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1])
    cuts = np.unique(qs)
    cuts = cuts[cuts < uniq[-1]]
    return np.unique([_readable_cut(c, uniq) for c in cuts])


def _readable_cut(cut: float, uniq: np.ndarray) -> float:
    """The shortest rounding of ``cut`` that splits the training values the same way."""
    side = np.searchsorted(uniq, cut, side="right")
    for digits in (3, 4, 6, 8):
        r = float(num(cut, digits))
        if np.searchsorted(uniq, r, side="right") == side:
            return r
    return float(cut)


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
        ``len(rule_list_) - 1`` (the ELSE rule) where none does.
        """
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
        decides the row.
        """
        return self._proba_encoded(self._encoded(X))

    def predict(self, X) -> np.ndarray:
        """The class printed after THEN in the rule that decides each row.

        Returns an array of shape (n_rows,).
        """
        decides = self.apply(X)  # validates first: unfitted -> NotFittedError
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

        Returns a LocalExplanation on the probability scale (link "identity"); the share of
        a row is split equally over the features of the rules that decide it.
        """
        from ..explanation import LocalExplanation

        Xe = self._encoded(X)
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
        """The rules as data: text, predicted class, support, confidence, P(class)."""
        check_is_fitted(self)
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
