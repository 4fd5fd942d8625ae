"""Rule sets: RuleFit (imodels) and RIPPER (wittgenstein).

RuleFit (Friedman & Popescu) grows boosted trees, turns every node path into a
0/1 rule and fits an L1-penalised linear model on the rules plus (winsorised)
linear terms. We print it as ``score = intercept + sum of the weights of the
rules that fire + linear terms``; each linear term is written with the clip
bounds imodels applies (``clip(x, lo, hi)``) and the coefficient already
multiplied by imodels' scale factor, so the printed score is imodels' score.
Rules are simplified (tightest bound per feature) and identical rules merged
(weights summed) before printing. ``complexity_`` = conditions over all rules
+ number of non-zero linear terms.

The RuleFit classifier's score is a logistic-regression logit, but imodels
turns it into a probability as ``softmax([1 - score, score])``, i.e.
``P = 1 / (1 + exp(1 - 2*score))``; we keep that (and print it) so predictions
match the backend.

RIPPER (Cohen's sequential covering) is fitted by ``wittgenstein`` on features
we discretize ourselves by quantiles, so every condition prints as an interval
in the feature's own units. It learns rules for the positive class
(``classes_[1]``); a row is positive when any rule fires.
"""

from __future__ import annotations

import dataclasses
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._format import rule_text
from ._rules import (
    ListRule,
    _RuleBase,
    _RuleListMixin,
    frequency_rows,
    merge_duplicates,
    quantile_cuts,
    rule_mask,
    simplify,
    spread_to_features,
)

_RULEFIT_PARAMS = {
    "max_rules": [Interval(Integral, 1, None, closed="left")],
    "n_estimators": [Interval(Integral, 1, None, closed="left")],
    "tree_size": [Interval(Integral, 2, None, closed="left")],
    "include_linear": ["boolean"],
    "lin_trim_quantile": [Interval(Real, 0, 0.5, closed="left")],
    "alpha": [Interval(Real, 0, None, closed="neither"), None],
    "cv": ["boolean"],
    "random_state": ["random_state"],
}


class _RuleFitMixin:
    """Translate a fitted imodels RuleFit into weighted Conditions and linear terms."""

    def _fit_rulefit(self, backend_cls, Xe, y):
        seed = None if self.random_state is None else int(
            np.random.RandomState(self.random_state).randint(2**31 - 1)
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(Xe, y)
        self.estimator_ = est
        n = Xe.shape[1]
        coef = np.asarray(est.coef, dtype=np.float64)
        intercept = float(np.ravel(est.intercept)[0]) if np.ndim(est.intercept) else float(est.intercept)
        if est.include_linear:
            scale = np.asarray(est.friedscale.scale_multipliers, dtype=np.float64)
            lims = np.asarray(est.winsorizer.winsor_lims, dtype=np.float64)
            lin = coef[:n] * scale
            rule_w = coef[n:]
        else:
            lims = np.vstack([np.full(n, -np.inf), np.full(n, np.inf)])
            lin = np.zeros(n)
            rule_w = coef
        rules = []
        for r in est.rules_without_feature_names_:
            conds = []
            for (feat, op), value in r.agg_dict.items():
                if op == "==":  # imodels' 'X_0 == X_0': the rule that selects every row
                    continue
                conds.append(self._condition(int(feat.split("_")[1]), op, float(value)))
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
        fires = self._fires(Xe)
        self.rule_support_ = fires.sum(axis=0).astype(int)
        self.complexity_ = int(sum(len(c) for c in self.rule_conditions_) + np.count_nonzero(lin))
        self.n_train_ = Xe.shape[0]
        terms = self._term_values(Xe)
        self.term_means_ = terms.mean(axis=0)
        self.base_value_ = float(self.intercept_ + self.term_means_.sum())
        self.importances_ = np.abs(_RuleFitMixin._local_values(self, Xe)).mean(axis=0)

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

    def _orig_col(self, column: int) -> int:
        return list(self.feature_names_).index(self.source_[column][0])

    def _printed_score(self, X) -> np.ndarray:
        """The printed score: intercept + weights of firing rules + linear terms."""
        return self._score(self._encoded(X))

    def explain_local(self, X):
        from ..explanation import LocalExplanation

        Xe = self._encoded(X)
        values = _RuleFitMixin._local_values(self, Xe)
        return LocalExplanation(
            values=values,
            base_values=np.full(Xe.shape[0], self.base_value_),
            data=Xe if self.categories_ is None else np.asarray(X, dtype=object),
            feature_names=tuple(self.feature_names_),
            output_names=self._output_names(),
            link="identity",
            method="rulefit",
            extras={"attribution": "each term minus its training mean; a rule's share is "
                    "split equally over the features in its conditions"},
        )

    def explain_global(self):
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
                rows.append({"rule": self.encoded_names_[j], "type": "linear", "weight": float(w),
                             "support": self.n_train_, "support_fraction": 1.0,
                             "clip_low": lo[j], "clip_high": hi[j], "n_conditions": 0})
        for conds, w, s in zip(self.rule_conditions_, self.rule_weights_, self.rule_support_):
            rows.append({"rule": rule_text(conds), "type": "rule", "weight": float(w),
                         "support": int(s), "support_fraction": s / self.n_train_,
                         "clip_low": np.nan, "clip_high": np.nan, "n_conditions": len(conds)})
        return pd.DataFrame(rows, columns=["rule", "type", "weight", "support", "support_fraction",
                                           "clip_low", "clip_high", "n_conditions"])


class RuleSetRegressor(_RuleFitMixin, _RuleBase, RegressorMixin, BaseEstimator):
    """RuleFit regression (imodels): weighted rules plus linear terms.

    Parameters follow imodels' RuleFitRegressor: ``max_rules`` caps the number
    of non-zero terms (ignored when ``alpha`` is given), ``n_estimators`` and
    ``tree_size`` shape the boosted trees the rules come from, ``cv`` picks the
    penalty by cross-validation among those within ``max_rules``.
    """

    _parameter_constraints = dict(_RULEFIT_PARAMS)

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

    def fit(self, X, y, sample_weight=None):
        from imodels import RuleFitRegressor

        self._validate_params()
        Xe, y, sw = self._fit_inputs(X, y, sample_weight, classifier=False)
        rows = frequency_rows(sw, Xe.shape[0], type(self).__name__)
        if rows is not None:
            Xe, y = Xe[rows], y[rows]
        self._fit_rulefit(RuleFitRegressor, Xe, y)
        return self

    def predict(self, X) -> np.ndarray:
        return self._printed_score(X)

    def _output_names(self) -> tuple[str, ...]:
        return ("y",)


class RuleSetClassifier(_RuleListMixin, _RuleFitMixin, _RuleBase, ClassifierMixin, BaseEstimator):
    """Binary rule set: RuleFit (imodels, weighted rules) or RIPPER (wittgenstein).

    Parameters
    ----------
    algorithm : "rulefit" or "ripper"
    max_rules, n_estimators, tree_size, include_linear, lin_trim_quantile,
    alpha, cv : RuleFit settings (as in RuleSetRegressor).
    k : RIPPER optimisation passes; n_bins : quantile bins per numeric feature
        for RIPPER; max_rule_conds : RIPPER's cap on conditions per rule.
    random_state : seed of the trees (RuleFit) or the grow/prune split (RIPPER).
    """

    _parameter_constraints = {
        **_RULEFIT_PARAMS,
        "algorithm": [StrOptions({"rulefit", "ripper"})],
        "k": [Interval(Integral, 0, None, closed="left")],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "max_rule_conds": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        algorithm="rulefit",
        *,
        max_rules=30,
        n_estimators=100,
        tree_size=4,
        include_linear=True,
        lin_trim_quantile=0.025,
        alpha=None,
        cv=True,
        k=2,
        n_bins=10,
        max_rule_conds=None,
        random_state=None,
    ):
        self.algorithm = algorithm
        self.max_rules = max_rules
        self.n_estimators = n_estimators
        self.tree_size = tree_size
        self.include_linear = include_linear
        self.lin_trim_quantile = lin_trim_quantile
        self.alpha = alpha
        self.cv = cv
        self.k = k
        self.n_bins = n_bins
        self.max_rule_conds = max_rule_conds
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        self._validate_params()
        Xe, codes = self._class_inputs(X, y, sample_weight, binary=True)
        # attributes of the other algorithm would be stale after a refit
        for attr in ("rule_list_", "rule_conditions_"):
            self.__dict__.pop(attr, None)
        if self.algorithm == "rulefit":
            from imodels import RuleFitClassifier

            self._fit_rulefit(RuleFitClassifier, Xe, codes)
        else:
            self._fit_ripper(Xe, codes)
        return self

    # -- dispatch between the two algorithms --
    def _is_rulefit(self) -> bool:
        check_is_fitted(self)
        return hasattr(self, "rule_conditions_")

    def predict_proba(self, X) -> np.ndarray:
        if self._is_rulefit():
            p1 = expit(2 * self._printed_score(X) - 1)  # softmax([1-s, s])
            return np.column_stack([1 - p1, p1])
        return _RuleListMixin.predict_proba(self, X)

    @available_if(lambda self: self.algorithm == "rulefit")
    def decision_function(self, X) -> np.ndarray:
        """RuleFit only: log-odds of P(classes_[1]), i.e. 2*score - 1 (score as printed)."""
        return 2 * self._printed_score(X) - 1

    def predict(self, X) -> np.ndarray:
        if self._is_rulefit():
            # imodels: argmax of softmax([1 - score, score]); ties go to classes_[0]
            return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]
        return _RuleListMixin.predict(self, X)

    def explain_local(self, X):
        if self._is_rulefit():
            # log-odds = 2*score - 1, so contributions double and the base shifts
            loc = _RuleFitMixin.explain_local(self, X)
            return dataclasses.replace(
                loc, values=2 * loc.values, base_values=2 * loc.base_values - 1, link="logit"
            )
        return _RuleListMixin.explain_local(self, X)

    def explain_global(self):
        if self._is_rulefit():
            glob = _RuleFitMixin.explain_global(self)
            return dataclasses.replace(
                glob, importances=2 * glob.importances, intercept=2 * glob.intercept - 1,
                link="logit",
            )
        return _RuleListMixin.explain_global(self)

    @property
    def rules_(self) -> pd.DataFrame:
        if self._is_rulefit():
            return _RuleFitMixin.rules_.fget(self)
        return _RuleListMixin.rules_.fget(self)

    def _orig_col(self, column: int) -> int:
        return list(self.feature_names_).index(self.source_[column][0])

    def _output_names(self) -> tuple[str, ...]:
        return (str(self.classes_[1]),)

    # -- RIPPER --
    def _fit_ripper(self, Xe, codes):
        import wittgenstein as lw

        conds_of = {}
        self.ripper_cuts_ = {}
        for j in range(Xe.shape[1]):
            cuts = quantile_cuts(Xe[:, j], self.n_bins)
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
        if not self.ripper_cuts_:
            raise ValueError("every feature is constant; RIPPER has nothing to split on")
        df = self._ripper_frame(Xe)
        seed = None if self.random_state is None else int(
            np.random.RandomState(self.random_state).randint(2**31 - 1)
        )
        est = lw.RIPPER(k=self.k, n_discretize_bins=None, max_rule_conds=self.max_rule_conds,
                        random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(df.assign(_target_=codes == 1), class_feat="_target_", pos_class=True)
        self.estimator_ = est
        self.ripper_frame_columns_ = list(df.columns)
        rs = est.ruleset_
        rules = []
        covers = []
        for r in rs.rules:
            conds = simplify(c for cond in r.conds for c in conds_of[(cond.feature, cond.val)])
            p = np.asarray(r.smoothed_class_freqs_, dtype=np.float64)  # (neg, pos)
            rules.append(ListRule(conds, p, label=1))  # any firing rule predicts positive
        uncovered = np.asarray(rs.smoothed_uncovered_class_freqs_, dtype=np.float64)
        rules.append(ListRule((), uncovered, label=0))
        self.rule_list_ = rules
        fired = self._fired(Xe)
        covers = list(fired.sum(axis=0)) + [int((~fired.any(axis=1)).sum())]
        self.backend_ = "wittgenstein RIPPER"
        self._finish_list(Xe, supports=covers)

    def _ripper_frame(self, Xe) -> pd.DataFrame:
        """The binned frame wittgenstein sees: column f<j>, value b<bin>."""
        frame = {}
        for j, cuts in self.ripper_cuts_.items():
            b = np.searchsorted(cuts, Xe[:, j], side="left")  # bin b: cuts[b-1] < x <= cuts[b]
            frame[f"f{j}"] = np.array([f"b{v}" for v in range(cuts.size + 1)], dtype=object)[b]
        return pd.DataFrame(frame)

    def _fired(self, Xe):
        rules = self.rule_list_[:-1]
        if not rules:
            return np.zeros((Xe.shape[0], 0), dtype=bool)
        return np.column_stack([rule_mask(r.conds, Xe) for r in rules])

    def _proba_encoded(self, Xe):
        """wittgenstein: mean of the firing rules' P, or the uncovered P when none fires."""
        fired = self._fired(Xe)
        probs = np.stack([r.proba for r in self.rule_list_[:-1]]) if fired.shape[1] else np.zeros((0, 2))
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
