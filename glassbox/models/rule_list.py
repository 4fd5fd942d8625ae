"""Ordered rule lists (IF ... THEN ... ELSE IF ...) on imodels.

``algorithm="greedy"`` wraps imodels' GreedyRuleListClassifier: one stump
split at a time, the side richer in the positive class becomes a rule.
``algorithm="bayesian"`` wraps imodels' BayesianRuleListClassifier (Letham et
al.), which only takes 0/1 inputs: every numeric feature is cut at its
quantiles here, each cut giving two items (``x <= cut``, ``x > cut``), so the
printed rules carry the cut points in the feature's own units.

Both backends are binary-only: a target with more than two classes is fitted
one-vs-rest (``_rules._OneVsRest``), one list per class ("y = k" against the
rest, printed with P(k) per rule); the class probabilities are those P
normalized to sum to 1 and the prediction is the most probable class. The
backend's rules are translated into ``Condition`` objects once, and predictions
come from evaluating those printed conditions, so the printout is the model.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import Traits
from ._rules import (
    ListRule,
    _OneVsRest,
    _RuleBase,
    _RuleListMixin,
    level_condition,
    missing_condition,
    power_scales,
    quantile_cuts,
    short_cut,
    simplify,
)


class RuleListClassifier(_OneVsRest, _RuleListMixin, _RuleBase, ClassifierMixin, BaseEstimator):
    """A rule list (imodels greedy or Bayesian), printed as IF/THEN/ELSE IF.

    Parameters
    ----------
    algorithm : "greedy" or "bayesian"
    max_depth : int, greedy only: the most rules before the ELSE.
    criterion : split criterion of the greedy stumps.
    n_bins : int, bayesian only: quantile bins per numeric feature.
    max_cardinality : int, bayesian only: most conditions per rule.
    min_support : float, bayesian only: smallest fraction of rows a rule covers.
    list_length_prior : float, bayesian only: prior expected number of rules.
    n_chains, max_iter : MCMC settings (bayesian only).

    The Bayesian list is slow (imodels' MCMC is pure Python): the defaults take
    about a minute on 400 rows x 30 features; lower ``min_support`` or raise
    ``n_bins`` only on small data.
    random_state : seed of the MCMC (bayesian) or of the tie-breaking between equally
        good splits (greedy; None means seed 0, so greedy fits are reproducible).

    ``complexity_`` is the total number of conditions over all rules (over every
    class's list when y has more than two classes: then ``estimators_[k]`` is the
    binary list for ``classes_[k]`` against the rest, see the module docstring).
    """

    traits = Traits(
        family="rulelist",
        categorical=True,
        quick_params={"max_depth": 4},
        complexity_grid={"max_depth": (1, 2, 3, 4, 5, 6)},
        title="Rule lists",
    )

    _parameter_constraints = {
        "algorithm": [StrOptions({"greedy", "bayesian"})],
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "max_cardinality": [Interval(Integral, 1, None, closed="left")],
        "min_support": [Interval(Real, 0, 1, closed="neither")],
        "list_length_prior": [Interval(Real, 0, None, closed="neither")],
        "n_chains": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 10, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        algorithm="greedy",
        *,
        max_depth=5,
        criterion="gini",
        n_bins=3,
        max_cardinality=2,
        min_support=0.3,
        list_length_prior=3,
        n_chains=2,
        max_iter=2000,
        random_state=None,
    ):
        self.algorithm = algorithm
        self.max_depth = max_depth
        self.criterion = criterion
        self.n_bins = n_bins
        self.max_cardinality = max_cardinality
        self.min_support = min_support
        self.list_length_prior = list_length_prior
        self.n_chains = n_chains
        self.max_iter = max_iter
        self.random_state = random_state

    def _takes_missing(self) -> bool:
        # imodels' greedy stumps refuse NaN; the Bayesian list's items are ours
        return self.algorithm == "bayesian"

    def fit(self, X, y, sample_weight=None):
        """Fit the imodels rule list on a binary target and read its rules back.

        Text / category / boolean columns of X are taken as they are: a rule on one
        reads ``Home in {owner, priv}`` (levels of a nominal column in the order of
        their share of the positive class, so each cut is a best split of levels)
        or ``Grade >= mid`` (ordered). Missing values: refused by the greedy list
        (its backend takes none), in the Bayesian one (where fit saw some) they
        make every condition on them false except ``x is missing``. More than two
        classes: one list per class, one-vs-rest (``estimators_``).
        sample_weight takes integer (frequency) weights only: rows are repeated by them.
        Returns self.
        """
        self._validate_params()
        if self._fit_one_vs_rest(X, y, sample_weight):
            self.n_iter_ = max(s.n_iter_ for s in self.estimators_)
            return self
        Xe, codes = self._class_inputs(X, y, sample_weight, binary=True)
        if self.algorithm == "greedy":
            self._fit_greedy(Xe, codes)
        else:
            self._fit_bayesian(Xe, codes)
        self._finish_list(Xe)
        # MCMC iterations per chain (bayesian) / stump fits (greedy)
        self.n_iter_ = (
            self.max_iter if self.algorithm == "bayesian" else max(1, len(self.rule_list_) - 1)
        )
        return self

    def _fit_greedy(self, Xe, codes):
        from imodels import GreedyRuleListClassifier

        est = GreedyRuleListClassifier(max_depth=self.max_depth, criterion=self.criterion)
        # imodels' stumps take no random_state and break exact ties between splits with
        # numpy's global generator: seed it for this fit only, then restore it
        state = np.random.get_state()
        try:
            np.random.seed(
                0
                if self.random_state is None
                else np.random.RandomState(self.random_state).randint(2**31 - 1)
            )
            # its stumps compare float32 values: columns beyond float32's range are
            # divided by a power of two (exact) and the cut points mapped back
            sx = power_scales(Xe)
            est.fit(Xe / sx, codes, feature_names=list(self.encoded_names_))
        finally:
            np.random.set_state(state)
        self.estimator_ = est
        entries = est.rules_
        rules = []
        open_ = np.ones(Xe.shape[0], dtype=bool)  # rows no earlier rule decided
        for entry in entries[:-1]:
            j, op = int(entry["index_col"]), "<" if entry["flip"] else ">="
            cutoff = float(entry["cutoff"]) * sx[j]
            if self.input_schema_.columns[j].kind == "numeric":
                # the shortest number that splits the rows this rule sees as imodels' cut does
                cutoff = short_cut(Xe[open_, j], cutoff, op)
            cond = self._condition(j, op, cutoff)
            p1 = float(entry["val_right"])
            rules.append(ListRule((cond,), np.array([1 - p1, p1])))
            open_ &= ~cond.evaluate(Xe)
        # imodels applies the last entry's 'val' to every row that reaches it
        p1 = float(entries[-1]["val"])
        rules.append(ListRule((), np.array([1 - p1, p1])))
        self.rule_list_ = rules
        self.backend_ = "imodels GreedyRuleListClassifier"

    def _items(self, Xe):
        """0/1 item matrix and the item conditions: ``x <= cut`` / ``x > cut`` per
        quantile cut of a number, ``= level`` / ``!= level`` per level of a
        category (cuts between levels for an ordered one), ``is missing``."""
        conds = []
        for j, spec in enumerate(self.input_schema_.columns):
            if spec.kind == "numeric" or spec.ordered:
                for cut in quantile_cuts(Xe[:, j], self.n_bins):
                    conds += [self._condition(j, op, cut) for op in ("<=", ">")]
            else:
                present = np.unique(Xe[~np.isnan(Xe[:, j]), j]).astype(int)
                if present.size > 1:
                    for k in present:
                        conds.append(level_condition(spec, j, "==", k))
                        if len(spec.levels) > 2:
                            conds.append(level_condition(spec, j, "!=", k))
            if spec.missing == "native":
                conds.append(missing_condition(spec.name, j))
        if not conds:
            raise ValueError(
                "every feature is constant; the Bayesian rule list has nothing to split on"
            )
        cols = [c.evaluate(Xe) for c in conds]
        return np.column_stack(cols).astype(np.float64), conds

    def _fit_bayesian(self, Xe, codes):
        from imodels import BayesianRuleListClassifier

        B, item_conds = self._items(Xe)
        self.items_ = item_conds
        seed = (
            None
            if self.random_state is None
            else int(np.random.RandomState(self.random_state).randint(1, 2**31 - 1))
        )
        est = BayesianRuleListClassifier(
            listlengthprior=self.list_length_prior,
            maxcardinality=self.max_cardinality,
            minsupport=self.min_support,
            n_chains=self.n_chains,
            max_iter=self.max_iter,
            verbose=False,
            random_state=seed,
        )
        est.burnin = self.max_iter // 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                est.fit(B, codes)
            except Exception as exc:  # imodels' MCMC fails on degenerate item sets
                raise ValueError(
                    f"the Bayesian rule list backend (imodels) failed on this data ({exc!r}); "
                    "try a smaller min_support, more n_bins, or algorithm='greedy'"
                ) from None
        self.estimator_ = est
        rules = []
        for i, j in enumerate(est.d_star):
            itemset = est.itemsets[j]
            p1 = float(est.theta[i])
            if isinstance(itemset, str):  # 'null': the default rule ends the list
                rules.append(ListRule((), np.array([1 - p1, p1]), label=int(p1 >= 0.5)))
                break
            conds = simplify(
                (item_conds[int(name.split("_")[1])] for name in itemset), self.input_schema_
            )
            # imodels predicts the positive class from P >= 0.5 (ties included)
            rules.append(ListRule(conds, np.array([1 - p1, p1]), label=int(p1 >= 0.5)))
        else:
            raise ValueError("imodels' Bayesian rule list returned no default rule")
        self.rule_list_ = rules
        self.backend_ = "imodels BayesianRuleListClassifier"
