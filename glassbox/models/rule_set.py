"""Rule sets: RuleFit (imodels).

RuleFit (Friedman & Popescu) grows boosted trees, turns every node path into a
0/1 rule and fits an L1-penalised linear model on the rules plus (winsorised)
linear terms. We print it as ``score = intercept + sum of the weights of the
rules that fire + linear terms``; each linear term is written with the clip
bounds imodels applies (``clip(x, lo, hi)``) and the coefficient already
multiplied by imodels' scale factor, so the printed score is imodels' score.
Rules are simplified (tightest bound per feature) and identical rules merged
(weights summed) before printing. ``complexity_`` = conditions over all rules
+ number of non-zero linear terms.

Numbers are the model's, not the backend's noise: a rule threshold becomes the
shortest number that keeps every training row on its side (``Expenses <= 117``),
a clip bound the shortest number within 1e-6 of the column's range that keeps
the rows on their side (``clip(Expenses, 35, 97.05)``, not 97.04999999999973),
and a term that never moves the score by more than 1e-12 of it (``2.85e-16*...``)
is removed; predict uses exactly what is printed. Text, category and boolean
columns are reference-coded 0/1 columns (``[Home = rent]``, baseline the most
frequent level); missing values are refused naming column and row. Columns
beyond float32's range are divided by a power of two before imodels sees them
and everything is mapped back to the user's units.

The RuleFit classifier's score is a logistic-regression logit, but imodels
turns it into a probability as ``softmax([1 - score, score])``, i.e.
``P = 1 / (1 + exp(1 - 2*score))``; we keep that (and print it) so predictions
match the backend.

A classification target with more than two classes is fitted one-vs-rest
(``_rules._OneVsRest``): one RuleFit per class on "y = k" against the rest, each
printed with its own score; P(k) is each model's 1 / (1 + exp(1 - 2*score_k))
normalized to sum to 1 over the classes, and the explanations are on each
model's one-vs-rest log-odds (link ``"ovr_logit"``).

RIPPER rule sets are ``glassbox.models.ripper.RipperClassifier``.
"""

from __future__ import annotations

import dataclasses
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .._format import rule_text
from ..base import Traits
from ._rules import (
    _OneVsRest,
    _RuleBase,
    frequency_rows,
    merge_duplicates,
    power_scales,
    rule_mask,
    short_bound,
    short_cut,
    simplify,
    spread_to_features,
)

#: a term whose largest value on the training rows is below this fraction of the
#: largest |score| is numerically zero (e.g. 2.85e-16*clip(...)): dropped from the model
_ZERO_TERM = 1e-12


class _RuleFitBase(_RuleBase):
    """Translate a fitted imodels RuleFit into weighted Conditions and linear terms."""

    _encoding = "one_hot"  # linear terms need numbers: reference-coded 0/1 columns

    traits = Traits(
        family="ruleset",
        categorical=True,
        quick_params={"n_estimators": 20, "max_rules": 10, "cv": False, "random_state": 0},
        complexity_grid={"max_rules": (2, 4, 8, 16, 32)},
        title="Rule sets (RuleFit)",
    )

    _parameter_constraints = {
        "max_rules": [Interval(Integral, 1, None, closed="left")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "tree_size": [Interval(Integral, 2, None, closed="left")],
        "include_linear": ["boolean"],
        "lin_trim_quantile": [Interval(Real, 0, 0.5, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="neither"), None],
        "cv": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        max_rules=30,
        *,
        n_estimators=100,
        tree_size=4,
        include_linear=True,
        lin_trim_quantile=0.025,
        alpha=None,
        cv=True,
        random_state=None,
    ):
        self.max_rules = max_rules
        self.n_estimators = n_estimators
        self.tree_size = tree_size
        self.include_linear = include_linear
        self.lin_trim_quantile = lin_trim_quantile
        self.alpha = alpha
        self.cv = cv
        self.random_state = random_state

    def _fit_rulefit(self, backend_cls, Xe, y, *, scale_y: bool):
        """Fit imodels' RuleFit and read it back in the user's units.

        Columns (and a numeric y) beyond float32's comfortable range are divided
        by a power of two first (exact in float64), because the trees behind the
        rules compare float32 values; rule thresholds, clip bounds and weights
        are mapped back. Thresholds and clip bounds become the shortest numbers
        that keep the training rows where they were; numerically-zero terms go.
        """
        seed = (
            None
            if self.random_state is None
            else int(np.random.RandomState(self.random_state).randint(2**31 - 1))
        )
        est = backend_cls(
            n_estimators=self.n_estimators,
            tree_size=self.tree_size,
            max_rules=None if self.alpha is not None else self.max_rules,
            include_linear=self.include_linear,
            lin_trim_quantile=self.lin_trim_quantile,
            alpha=self.alpha,
            cv=self.cv,
            random_state=seed,
        )
        sx = power_scales(Xe)
        sy = float(power_scales(np.asarray(y, dtype=np.float64)[:, None])[0]) if scale_y else 1.0
        self.input_scale_ = sx
        self.target_scale_ = sy
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(Xe / sx, y / sy if scale_y else y)
        self.estimator_ = est
        n = Xe.shape[1]
        coef = np.asarray(est.coef, dtype=np.float64)
        intercept = sy * (
            float(np.ravel(est.intercept)[0]) if np.ndim(est.intercept) else float(est.intercept)
        )
        numeric = [lv is None for _, lv in self.source_]
        if est.include_linear:
            scale = np.asarray(est.friedscale.scale_multipliers, dtype=np.float64)
            lims = np.asarray(est.winsorizer.winsor_lims, dtype=np.float64) * sx
            lin = coef[:n] * scale / sx * sy
            rule_w = coef[n:] * sy
            for j in np.flatnonzero(numeric):
                lims[:, j] = [short_bound(b, Xe[:, j]) for b in lims[:, j]]
        else:
            lims = np.vstack([np.full(n, -np.inf), np.full(n, np.inf)])
            lin = np.zeros(n)
            rule_w = coef * sy
        rules = []
        for r in est.rules_without_feature_names_:
            conds = []
            for (feat, op), value in r.agg_dict.items():
                if op == "==":  # imodels' 'X_0 == X_0': the rule that selects every row
                    continue
                j = int(feat.split("_")[1])
                t = float(value) * sx[j]
                if numeric[j]:
                    t = short_cut(Xe[:, j], t, op)
                conds.append(self._condition(j, op, t))
            rules.append(simplify(conds))
        rules, weights = merge_duplicates(rules, rule_w)
        # a rule without conditions always fires: its weight is part of the intercept
        always = [k for k, c in enumerate(rules) if not c]
        intercept += float(weights[always].sum())
        keep = [k for k, c in enumerate(rules) if c and weights[k] != 0]
        self.rule_conditions_ = [rules[k] for k in keep]
        self.rule_weights_ = weights[keep]
        self.linear_coef_ = lin
        self.linear_bounds_ = lims
        self.intercept_ = intercept
        self._drop_zero_terms(Xe)
        fires = self._fires(Xe)
        self.rule_support_ = fires.sum(axis=0).astype(int)
        self.complexity_ = int(
            sum(len(c) for c in self.rule_conditions_) + np.count_nonzero(self.linear_coef_)
        )
        self.n_train_ = Xe.shape[0]
        terms = self._term_values(Xe)
        self.term_means_ = terms.mean(axis=0)
        self.base_value_ = float(self.intercept_ + self.term_means_.sum())
        self.importances_ = np.abs(self._local_values(Xe)).mean(axis=0)

    def _drop_zero_terms(self, Xe) -> None:
        """Remove terms that never move the score by more than a rounding error."""
        terms = self._term_values(Xe)
        score = self.intercept_ + terms.sum(axis=1)
        ref = max(float(np.max(np.abs(score))), abs(self.intercept_), np.finfo(float).tiny)
        zero = np.max(np.abs(terms), axis=0) <= _ZERO_TERM * ref
        n_lin = Xe.shape[1]
        self.linear_coef_ = np.where(zero[:n_lin], 0.0, self.linear_coef_)
        keep = np.flatnonzero(~zero[n_lin:])
        self.rule_conditions_ = [self.rule_conditions_[k] for k in keep]
        self.rule_weights_ = self.rule_weights_[keep]

    def _fires(self, Xe):
        if not self.rule_conditions_:
            return np.zeros((Xe.shape[0], 0), dtype=bool)
        return np.column_stack([rule_mask(c, Xe) for c in self.rule_conditions_])

    def _term_values(self, Xe):
        """(n_rows, n_linear + n_rules): each term's addition to the score."""
        lo, hi = self.linear_bounds_
        lin = np.clip(Xe, lo, hi) * self.linear_coef_
        return np.hstack([lin, self._fires(Xe) * self.rule_weights_])

    def _score(self, Xe):
        return self.intercept_ + self._term_values(Xe).sum(axis=1)

    def _local_values(self, Xe):
        """Each term's centred value, split equally over the features it reads."""
        terms = self._term_values(Xe) - self.term_means_
        n_lin = Xe.shape[1]
        out = np.zeros((Xe.shape[0], self.n_features_in_))
        for j in range(n_lin):
            out[:, self._orig_col(j)] += terms[:, j]
        for k, conds in enumerate(self.rule_conditions_):
            feats = np.zeros((Xe.shape[0], self.n_features_in_), dtype=bool)
            for c in conds:
                feats[:, self._orig_col(c.column)] = True
            out += spread_to_features(terms[:, n_lin + k], feats)
        return out

    def _printed_score(self, X) -> np.ndarray:
        """The printed score: intercept + weights of firing rules + linear terms."""
        return self._score(self._encoded(X))

    def explain_local(self, X):
        """Each term's value minus its training mean, split over the features it reads.

        Returns a LocalExplanation: base value + contributions = the printed score of each row.
        """
        from ..explanation import LocalExplanation

        Xe = self._encoded(X)
        values = self._local_values(Xe)
        return LocalExplanation(
            values=values,
            base_values=np.full(Xe.shape[0], self.base_value_),
            data=self._data_for_explanation(X, Xe),
            feature_names=tuple(self.feature_names_),
            output_names=self._output_names(),
            link="identity",
            method="rulefit",
            extras={
                "attribution": "each term minus its training mean; a rule's share is "
                "split equally over the features in its conditions"
            },
        )

    def explain_global(self):
        """Feature importances: mean |local contribution| to the score on the training rows.

        Returns a GlobalExplanation.
        """
        from ..explanation import GlobalExplanation

        check_is_fitted(self)
        return GlobalExplanation(
            term_names=tuple(self.feature_names_),
            importances=self.importances_,
            intercept=np.array([self.base_value_]),
            output_names=self._output_names(),
            link="identity",
            method="rulefit",
            extras={"importance": "mean |local contribution| to the score on the training rows"},
        )

    @property
    def rules_(self) -> pd.DataFrame:
        """Linear terms and rules: text, kind, weight, support (rows, fraction)."""
        check_is_fitted(self)
        rows = []
        lo, hi = self.linear_bounds_
        for j, w in enumerate(self.linear_coef_):
            if w != 0:
                rows.append(
                    {
                        "rule": self.encoded_names_[j],
                        "type": "linear",
                        "weight": float(w),
                        "support": self.n_train_,
                        "support_fraction": 1.0,
                        "clip_low": lo[j],
                        "clip_high": hi[j],
                        "n_conditions": 0,
                    }
                )
        for conds, w, s in zip(self.rule_conditions_, self.rule_weights_, self.rule_support_):
            rows.append(
                {
                    "rule": rule_text(conds),
                    "type": "rule",
                    "weight": float(w),
                    "support": int(s),
                    "support_fraction": s / self.n_train_,
                    "clip_low": np.nan,
                    "clip_high": np.nan,
                    "n_conditions": len(conds),
                }
            )
        return pd.DataFrame(
            rows,
            columns=[
                "rule",
                "type",
                "weight",
                "support",
                "support_fraction",
                "clip_low",
                "clip_high",
                "n_conditions",
            ],
        )


class RuleSetRegressor(_RuleFitBase, RegressorMixin, BaseEstimator):
    """RuleFit regression (imodels): weighted rules plus linear terms.

    Parameters follow imodels' RuleFitRegressor: ``max_rules`` caps the number
    of non-zero terms (ignored when ``alpha`` is given), ``n_estimators`` and
    ``tree_size`` shape the boosted trees the rules come from, ``cv`` picks the
    penalty by cross-validation among those within ``max_rules``.
    """

    def fit(self, X, y, sample_weight=None):
        """Fit imodels' RuleFitRegressor and read its rules and linear terms.

        Text / category / boolean columns of X are one-hot encoded inside, with the
        most frequent level as the baseline (``[Home = rent]`` terms, rules on
        ``Home = rent`` / ``Home != rent``); missing values are refused.
        sample_weight takes integer (frequency) weights only: rows are repeated by them.
        Returns self.
        """
        from imodels import RuleFitRegressor

        self._validate_params()
        Xe, y, sw = self._fit_inputs(X, y, sample_weight, classifier=False)
        rows = frequency_rows(sw, Xe.shape[0], type(self).__name__)
        if rows is not None:
            Xe, y = Xe[rows], y[rows]
        self._fit_rulefit(RuleFitRegressor, Xe, y, scale_y=True)
        return self

    def predict(self, X) -> np.ndarray:
        """The printed score: intercept + linear terms + weights of the rules that hold.

        Returns an array of shape (n_rows,).
        """
        return self._printed_score(X)

    def _output_names(self) -> tuple[str, ...]:
        return ("y",)


class RuleSetClassifier(_OneVsRest, _RuleFitBase, ClassifierMixin, BaseEstimator):
    """RuleFit classifier (imodels): weighted rules plus linear terms.

    Parameters follow imodels' RuleFitClassifier, as in ``RuleSetRegressor``:
    ``max_rules`` caps the number of non-zero terms (ignored when ``alpha`` is
    given), ``n_estimators`` and ``tree_size`` shape the boosted trees the rules
    come from, ``cv`` picks the penalty by cross-validation among those within
    ``max_rules``, ``random_state`` seeds the trees.

    The score is printed as in the regressor; as in imodels,
    P(classes_[1]) = 1 / (1 + exp(1 - 2*score)). More than two classes: one
    model per class against the rest (``estimators_[k]`` for ``classes_[k]``),
    their P normalized to sum to 1 (see the module docstring).
    """

    def fit(self, X, y, sample_weight=None):
        """Fit imodels' RuleFitClassifier on a binary target.

        Text / category / boolean columns of X are one-hot encoded inside, with the
        most frequent level as the baseline; missing values are refused.
        More than two classes: one model per class, one-vs-rest (``estimators_``).
        sample_weight takes integer (frequency) weights only: rows are repeated by them.
        Returns self.
        """
        from imodels import RuleFitClassifier

        self._validate_params()
        if self._fit_one_vs_rest(X, y, sample_weight):
            return self
        Xe, codes = self._class_inputs(X, y, sample_weight, binary=True)
        self._fit_rulefit(RuleFitClassifier, Xe, codes, scale_y=False)
        return self

    def _finish_one_vs_rest(self, X, sw) -> None:
        # each class's model explains its own log-odds: its base value and importances
        self.base_value_ = np.array(
            [float(g.intercept[0]) for g in (s.explain_global() for s in self.estimators_)]
        )
        self.importances_ = np.column_stack(
            [s.explain_global().importances for s in self.estimators_]
        )

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of P(classes_[1]), i.e. 2*score - 1 (score as printed).

        Returns an array of shape (n_rows,); one-vs-rest (more than two classes):
        (n_rows, n_classes), each class's model's log-odds 2*score_k - 1.
        """
        check_is_fitted(self)
        if self._ovr():
            return np.column_stack([s.decision_function(X) for s in self.estimators_])
        return 2 * self._printed_score(X) - 1

    def predict_proba(self, X) -> np.ndarray:
        """P(classes_[0]), P(classes_[1]) = softmax([1 - score, score]), as imodels.

        Returns an array of shape (n_rows, 2); one-vs-rest: (n_rows, n_classes), each
        class's model's P divided by their sum.
        """
        check_is_fitted(self)
        if self._ovr():
            return self._ovr_proba(X)
        p1 = expit(self.decision_function(X))
        return np.column_stack([1 - p1, p1])

    def predict(self, X) -> np.ndarray:
        """classes_[1] where the printed score is above 0.5, else classes_[0]
        (one-vs-rest: the most probable class).

        Returns an array of shape (n_rows,).
        """
        check_is_fitted(self)
        if self._ovr():
            return self._ovr_predict(X)
        p1 = self.predict_proba(X)[:, 1]
        # imodels: argmax of softmax([1 - score, score]); ties go to classes_[0]
        return self.classes_[(p1 > 0.5).astype(int)]

    def explain_local(self, X):
        """Term contributions on the log-odds scale (twice the score's).

        Returns a LocalExplanation (link "logit"): base value + contributions =
        ``decision_function(X)``; one-vs-rest: one output per class (link "ovr_logit",
        each class's model's log-odds; ``glassbox.base.inverse_link`` of them is
        ``predict_proba``).
        """
        check_is_fitted(self)
        if self._ovr():
            from ..explanation import LocalExplanation

            subs = [s.explain_local(X) for s in self.estimators_]
            return LocalExplanation(
                values=np.stack([e.values for e in subs], axis=2),
                base_values=np.column_stack([e.base_values for e in subs]),
                data=subs[0].data,
                feature_names=tuple(self.feature_names_),
                output_names=self._output_names(),
                link="ovr_logit",
                method="rulefit",
                extras={
                    **subs[0].extras,
                    "one_vs_rest": "output k is the log-odds of classes_[k] against the rest",
                },
            )
        # log-odds = 2*score - 1, so contributions double and the base shifts
        loc = super().explain_local(X)
        return dataclasses.replace(
            loc, values=2 * loc.values, base_values=2 * loc.base_values - 1, link="logit"
        )

    def explain_global(self):
        """Feature importances on the log-odds scale (twice the score's); one-vs-rest:
        one column per class, on each class's model's log-odds (link "ovr_logit").

        Returns a GlobalExplanation.
        """
        if self._ovr():
            from ..explanation import GlobalExplanation

            check_is_fitted(self)
            return GlobalExplanation(
                term_names=tuple(self.feature_names_),
                importances=self.importances_,
                intercept=self.base_value_,
                output_names=self._output_names(),
                link="ovr_logit",
                method="rulefit",
                extras={"importance": "mean |local contribution| to each class's log-odds"},
            )
        glob = super().explain_global()
        return dataclasses.replace(
            glob,
            importances=2 * glob.importances,
            intercept=2 * glob.intercept - 1,
            link="logit",
        )

    def _output_names(self) -> tuple[str, ...]:
        if self._ovr():
            return tuple(str(c) for c in self.classes_)
        return (str(self.classes_[1]),)

    @property
    def rules_(self) -> pd.DataFrame:
        """Linear terms and rules (see ``RuleSetRegressor.rules_``); one-vs-rest: every
        class's model's, with a ``class`` column."""
        check_is_fitted(self)
        if self._ovr():
            return self._ovr_rules()
        return super().rules_
