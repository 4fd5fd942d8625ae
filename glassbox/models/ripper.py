"""RIPPER rule sets on wittgenstein.

RIPPER (Cohen's sequential covering) is fitted by ``wittgenstein`` on features
we discretize ourselves by quantiles, so every condition prints as an interval
in the feature's own units. It learns rules for the positive class
(``classes_[1]``); a row is positive when any rule fires, and its probability
is wittgenstein's: the mean of the firing rules' P, or the uncovered rows' P
when none fires.

A target with more than two classes is fitted one-vs-rest (``_rules._OneVsRest``):
one rule set per class, learned for that class against the rest (as
wittgenstein's own ``pos_class`` choice, one class at a time); the class
probabilities are each set's P(class) normalized to sum to 1.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval

from ..base import Traits
from ._rules import (
    ListRule,
    _OneVsRest,
    _RuleBase,
    _RuleListMixin,
    level_is,
    missing_condition,
    quantile_cuts,
    rule_mask,
    simplify,
)


class RipperClassifier(_OneVsRest, _RuleListMixin, _RuleBase, ClassifierMixin, BaseEstimator):
    """RIPPER rule set (wittgenstein): IF any rule holds THEN the positive class
    (one set per class, one-vs-rest, for more than two classes).

    Parameters
    ----------
    k : int, default=2
        RIPPER's optimisation passes.
    n_bins : int, default=10
        Quantile bins per numeric feature (cut points rounded to the fewest
        digits that keep the same training rows on each side).
    max_rule_conds : int or None, default=None
        Cap on conditions per rule.
    random_state : int, RandomState or None, default=None
        Seed of the grow/prune split.

    ``rule_list_`` holds the rules, then the ELSE entry for rows no rule covers;
    ``complexity_`` is the total number of conditions.
    """

    traits = Traits(
        family="ripper",
        categorical=True,
        allow_nan=True,
        # one optimisation pass, five bins per feature: a handful of candidate
        # conditions per feature keeps the covering search short
        quick_params={"k": 1, "n_bins": 5, "random_state": 0},
        title="RIPPER rule sets",
    )

    _parameter_constraints = {
        "k": [Interval(Integral, 0, None, closed="left")],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "max_rule_conds": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, *, k=2, n_bins=10, max_rule_conds=None, random_state=None):
        self.k = k
        self.n_bins = n_bins
        self.max_rule_conds = max_rule_conds
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Bin the features, fit wittgenstein's RIPPER and read its rules back.

        Rules are learned for ``classes_[1]`` of a two-class y; a text / category /
        boolean column gives one condition per level (``Home = owner``), a missing
        value (where fit saw some) the condition ``Income is missing``; integer sample
        weights repeat rows (fractional ones are refused). More than two classes: one
        rule set per class, one-vs-rest (``estimators_``). Returns self.
        """
        import wittgenstein as lw

        self._validate_params()
        if self._fit_one_vs_rest(X, y, sample_weight):
            return self
        Xe, codes = self._class_inputs(X, y, sample_weight, binary=True)
        conds_of = {}
        self.ripper_cuts_ = {}
        for j, spec in enumerate(self.input_schema_.columns):
            x = Xe[:, j]
            if spec.kind == "numeric":
                cuts = quantile_cuts(x, self.n_bins)
                if cuts.size == 0:
                    continue
                self.ripper_cuts_[j] = cuts
                for v in range(cuts.size + 1):
                    cs = []
                    if v > 0:
                        cs.append(self._condition(j, ">", cuts[v - 1]))
                    if v < cuts.size:
                        cs.append(self._condition(j, "<=", cuts[v]))
                    conds_of[(f"f{j}", f"b{v}")] = tuple(cs)
            else:
                present = np.unique(x[~np.isnan(x)]).astype(int)
                if present.size < 2 and not np.isnan(x).any():
                    continue
                self.ripper_cuts_[j] = np.empty(0)  # a category: one bin per level
                for k in present:
                    conds_of[(f"f{j}", f"l{k}")] = (level_is(spec, j, int(k)),)
            if spec.missing == "native":
                conds_of[(f"f{j}", "missing")] = (missing_condition(spec.name, j),)
        if not self.ripper_cuts_:
            raise ValueError("every feature is constant; RIPPER has nothing to split on")
        df = self._ripper_frame(Xe)
        seed = (
            None
            if self.random_state is None
            else int(np.random.RandomState(self.random_state).randint(2**31 - 1))
        )
        est = lw.RIPPER(
            k=self.k, n_discretize_bins=None, max_rule_conds=self.max_rule_conds, random_state=seed
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(df.assign(_target_=codes == 1), class_feat="_target_", pos_class=True)
        self.estimator_ = est
        rs = est.ruleset_
        rules = []
        for r in rs.rules:
            conds = simplify(
                (c for cond in r.conds for c in conds_of[(cond.feature, cond.val)]),
                self.input_schema_,
            )
            p = np.asarray(r.smoothed_class_freqs_, dtype=np.float64)  # (neg, pos)
            rules.append(ListRule(conds, p, label=1))  # any firing rule predicts positive
        uncovered = np.asarray(rs.smoothed_uncovered_class_freqs_, dtype=np.float64)
        rules.append(ListRule((), uncovered, label=0))
        self.rule_list_ = rules
        fired = self._fired(Xe)
        covers = list(fired.sum(axis=0)) + [int((~fired.any(axis=1)).sum())]
        self.backend_ = "wittgenstein RIPPER"
        self._finish_list(Xe, supports=covers)
        return self

    def _ripper_frame(self, Xe) -> pd.DataFrame:
        """The binned frame wittgenstein sees: column f<j>, value b<bin> (a number's
        bin), l<code> (a level) or "missing"."""
        frame = {}
        for j, cuts in self.ripper_cuts_.items():
            x = Xe[:, j]
            nan = np.isnan(x)
            if self.input_schema_.columns[j].kind == "numeric":
                b = np.searchsorted(cuts, x, side="left")  # bin b: cuts[b-1] < x <= cuts[b]
                names = np.array([f"b{v}" for v in range(cuts.size + 1)], dtype=object)
                values = names[np.minimum(b, cuts.size)]
            else:
                values = np.array([f"l{int(v)}" if v == v else "" for v in x], dtype=object)
            values[nan] = "missing"
            frame[f"f{j}"] = values
        return pd.DataFrame(frame)

    def _fired(self, Xe):
        """(n_rows, n_rules) bool: which rules (not the ELSE entry) hold on each row."""
        rules = self.rule_list_[:-1]
        if not rules:
            return np.zeros((Xe.shape[0], 0), dtype=bool)
        return np.column_stack([rule_mask(r.conds, Xe) for r in rules])

    def _proba_encoded(self, Xe):
        """wittgenstein: mean of the firing rules' P, or the uncovered P when none fires."""
        fired = self._fired(Xe)
        probs = (
            np.stack([r.proba for r in self.rule_list_[:-1]])
            if fired.shape[1]
            else np.zeros((0, 2))
        )
        n_fired = fired.sum(axis=1)
        out = np.tile(self.rule_list_[-1].proba, (Xe.shape[0], 1))
        some = n_fired > 0
        out[some] = (fired[some].astype(np.float64) @ probs) / n_fired[some, None]
        return out

    def _features_used(self, Xe):
        """Features of the firing rules; of every rule when none fires."""
        rules = self.rule_list_[:-1]
        per_rule = np.zeros((len(rules), self.n_features_in_), dtype=bool)
        for k, r in enumerate(rules):
            for c in r.conds:
                per_rule[k, self._orig_col(c.column)] = True
        fired = self._fired(Xe)
        used = (fired.astype(int) @ per_rule.astype(int)) > 0
        none = ~fired.any(axis=1)
        used[none] = per_rule.any(axis=0)
        return used
