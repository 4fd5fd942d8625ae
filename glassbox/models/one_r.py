"""OneR on mlxtend: the single feature whose value table classifies best.

mlxtend's OneRClassifier takes categorical codes only, so every numeric
feature is cut at its quantiles first (``n_bins`` bins, cut points rounded to
the fewest digits that keep the same training rows on each side); a string
column keeps one code per level. The chosen feature prints as an IF/ELSE IF
table in its own units, with each bin's support, class frequencies and the
training accuracy. Multiclass targets work (one class per bin).
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import Traits
from ._rules import (
    ListRule,
    _RuleBase,
    _RuleListMixin,
    level_is,
    missing_condition,
    quantile_cuts,
)


class OneRClassifier(_RuleListMixin, _RuleBase, ClassifierMixin, BaseEstimator):
    """One feature, one rule per bin (mlxtend OneR), printed as an IF/ELSE IF table.

    Parameters
    ----------
    n_bins : int, quantile bins per numeric feature.
    resolve_ties : "first" or "chi-squared", mlxtend's choice among equally
        accurate features.

    ``complexity_`` is the number of printed conditions (bins - 1).
    """

    traits = Traits(family="oner", categorical=True, allow_nan=True, title="One rule (OneR)")

    _multi_class = True
    _parameter_constraints = {
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "resolve_ties": [StrOptions({"first", "chi-squared"})],
    }

    def __init__(self, n_bins=5, *, resolve_ties="first"):
        self.n_bins = n_bins
        self.resolve_ties = resolve_ties

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # one feature's bins are the whole model: sklearn's 0.83 training-accuracy
        # bar on its multi-feature blobs is not what OneR promises
        tags.classifier_tags.poor_score = True
        return tags

    def _n_codes(self, f: int) -> int:
        """Codes of feature ``f`` before its missing code: bins or levels."""
        cuts = self.bins_[f]
        return len(self.input_schema_.columns[f].levels) if cuts is None else cuts.size + 1

    def _codes(self, Xe):
        """(n_rows, n_features) integer codes: bin of a number, level of a category,
        and one more code for a missing value."""
        codes = np.zeros((Xe.shape[0], len(self.bins_)), dtype=np.int64)
        for f, cuts in enumerate(self.bins_):
            x = Xe[:, f]
            nan = np.isnan(x)
            if cuts is None:
                codes[~nan, f] = x[~nan].astype(np.int64)
            else:
                codes[:, f] = np.searchsorted(cuts, x, side="left")
            codes[nan, f] = self._n_codes(f)
        return codes

    def fit(self, X, y, sample_weight=None):
        """Bin every feature, let mlxtend's OneR pick the best one, read its table back.

        Text / category / boolean columns of X give one rule per level
        (``Home = owner``); a missing value (where fit saw some) its own rule
        (``Income is missing``). sample_weight takes integer (frequency) weights only: rows are repeated by them.
        Returns self.
        """
        from mlxtend.classifier import OneRClassifier as MlxOneR

        self._validate_params()
        Xe, yc = self._class_inputs(X, y, sample_weight, binary=False)
        schema = self.input_schema_
        self.bins_ = [
            None if spec.kind != "numeric" else quantile_cuts(Xe[:, j], self.n_bins)
            for j, spec in enumerate(schema.columns)
        ]
        codes = self._codes(Xe)
        est = MlxOneR(resolve_ties=self.resolve_ties)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "column appears non-categorical": it is binned
            est.fit(codes, yc)
        self.estimator_ = est
        f = int(est.feature_idx_)
        self.feature_ = self.feature_names_[f]
        table = est.prediction_dict_["rules (value: class)"]
        # mlxtend's class for a code that has no rule (a bin empty in training)
        other = set(est.class_labels_) - set(table.values())
        default = list(other)[0] if other else 0
        spec, cuts, n_codes = schema.columns[f], self.bins_[f], self._n_codes(f)
        k = len(self.classes_)

        def proba_of(v):
            in_bin = codes[:, f] == v
            if v in table and in_bin.any():
                return np.bincount(yc[in_bin], minlength=k) / in_bin.sum()
            return np.eye(k)[default if v not in table else table[v]]

        rules = []
        if spec.missing == "native":  # missing values first: no later condition holds on them
            rules.append(ListRule((missing_condition(spec.name, f),), proba_of(n_codes)))
        for v in range(n_codes):
            if v == n_codes - 1:
                conds = ()
            elif cuts is None:
                conds = (level_is(spec, f, v),)
            else:
                conds = (self._condition(f, "<=", cuts[v]),)
            rules.append(ListRule(conds, proba_of(v)))
        self.rule_list_ = rules
        self.backend_ = "mlxtend OneRClassifier"
        self._finish_list(Xe)
        self.train_accuracy_ = float(np.mean(np.argmax(self._proba_encoded(Xe), axis=1) == yc))
        return self
