"""Global surrogates: distill a black box into a glass-box student.

``distill`` asks the black box about the training rows and about synthesized
queries around them (``surrogates._queries``), fits a glassbox student on the
answers, and measures the student's fidelity on a separate set of fresh
queries the student never saw: agreement with an exact Clopper-Pearson interval
for classifiers, R^2 with a bootstrap interval for regressors. With
``target_width`` it keeps adding queries until the interval is that narrow.

``pareto`` does the same for several students and complexity settings on one
shared, once-labelled query set, and marks the fidelity-vs-complexity frontier.
"""

from __future__ import annotations

import inspect
import itertools
import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from glassbox._validation import default_feature_names

from ._params import check_confidence, check_int
from ._queries import MIX as _MIX
from ._queries import QuerySynthesizer
from .blackbox import BlackBox, as_blackbox
from .metrics import Fidelity, agreement_fidelity, clopper_pearson, r2, r2_fidelity

_QUERY_KINDS = tuple(_MIX)

#: one row of ``Surrogate.history_`` per round of queries
_HISTORY_COLUMNS = ("n_queries", "n_holdout", "fidelity", "lower", "upper", "width")

#: student name -> glassbox family names to try, by task
_ALIASES = {
    "rules": {"classification": ("rulelist", "ruleset", "oner"), "regression": ("ruleset",)},
}

_RULEFIT_QUICK = {"n_estimators": 20, "max_rules": 10, "cv": False, "random_state": 0}

#: Settings a student named by its family starts from, by family and task; the
#: user's ``student_params`` (distill) or ``settings`` (pareto) override them.
#: Distillation fits on 10^4 to 10^5 labelled queries, where some families'
#: defaults take minutes per fit:
#:
#: - gam: 20 splines per feature, 100 P-IRLS iterations and a full lam search
#:   by default; 6-8 splines and a 2-point lam search (which also skips a lam
#:   whose P-IRLS diverges, as a fixed lam would on separable data);
#: - ebm: 14 outer bags, up to 50,000 rounds and 3x as many pairs as features
#:   by default; one bag, three pairs, 1,000 rounds, one core;
#: - ruleset: 100 trees, 30 rules and a cross-validated L1 penalty by default;
#:   20 trees, 10 rules, no CV;
#: - rulelist: depth 4 instead of 5 (pareto's grid sets the depth itself);
#: - symbolic: population 500 and 100 generations by default; 60 and 8,
#:   shorter expressions, quiet, one thread.
#:
#: ``distill`` fits one student, so it starts only ``_SLOW_FAMILIES`` from
#: here; ``pareto`` fits one per setting and starts every named family here.
QUICK_STUDENT_PARAMS: dict[str, dict[str, dict]] = {
    "rulelist": {"classification": {"max_depth": 4}},
    "ruleset": {"classification": _RULEFIT_QUICK, "regression": _RULEFIT_QUICK},
    "symbolic": {
        "regression": {
            "population_size": 60,
            "generations": 8,
            "max_length": 15,
            "local_iterations": 5,
            "n_jobs": 1,
            "random_state": 0,
            "verbose": False,
        },
    },
    "gam": {
        "classification": {"n_splines": 6, "lam_grid": (1.0, 100.0), "max_iter": 30},
        "regression": {"n_splines": 8, "lam_grid": (0.1, 10.0), "max_iter": 30},
    },
    "ebm": {
        "classification": {"outer_bags": 1, "interactions": 3, "max_rounds": 1000, "n_jobs": 1},
        "regression": {"outer_bags": 1, "interactions": 3, "max_rounds": 1000, "n_jobs": 1},
    },
}

#: families whose library defaults take minutes on a distillation-sized query
#: set: ``distill`` starts them from ``QUICK_STUDENT_PARAMS``
_SLOW_FAMILIES = ("gam", "ebm")


def student_candidates(
    student, task: str, params: dict | None = None, *, quick: Collection[str] = ()
) -> list:
    """Fresh, unfitted students for ``task``: one, or for an alias such as "rules"
    one per available family, in order of preference (the next is tried when a
    family cannot fit the data, e.g. a rule list on data with missing values).

    Families named in ``quick`` start from ``QUICK_STUDENT_PARAMS``; ``params``
    override them.
    """
    params = dict(params or {})
    clf = task == "classification"
    if isinstance(student, str):
        from glassbox.registry import FAMILIES

        names = _ALIASES.get(student, {}).get(task, (student,))
        out = []
        for name in names:
            cls = FAMILIES.get(name, (None, None))[0 if clf else 1]
            if cls is None:
                continue
            accepted = set(cls().get_params(deep=False))
            start = QUICK_STUDENT_PARAMS.get(name, {}).get(task, {}) if name in quick else {}
            merged = {**start, **params}
            if student in _ALIASES:  # alias families take the settings they understand
                dropped = sorted(set(params) - accepted)
                if dropped and not out:
                    warnings.warn(
                        f"{cls.__name__} has no parameter(s) {dropped}; ignored", stacklevel=3
                    )
                merged = {k: v for k, v in merged.items() if k in accepted}
            out.append(cls(**merged))
        if not out:
            kind = "classifier" if clf else "regressor"
            usable = sorted(n for n, pair in FAMILIES.items() if pair[0 if clf else 1] is not None)
            if not any(name in FAMILIES for name in names):
                raise ValueError(
                    f"student {student!r} is not a glassbox family; for a {kind} choose "
                    f"one of {usable} (or 'rules'), or pass a glassbox estimator"
                )
            raise ValueError(f"student {student!r} has no {kind}; families with a {kind}: {usable}")
        return out
    if hasattr(student, "fit") and hasattr(student, "get_params"):
        from sklearn.base import clone, is_classifier, is_regressor

        if clf and is_regressor(student) or not clf and is_classifier(student):
            kind = "classifier" if clf else "regressor"
            raise ValueError(
                f"the black box is a {task} model; the student {type(student).__name__} "
                f"must be a {kind}"
            )
        return [clone(student).set_params(**params)]
    raise TypeError(
        f"student must be a family name ('rules', 'tree', 'glm', 'gam', 'ebm', 'symbolic') "
        f"or a glassbox estimator, got {type(student).__name__}"
    )


def _seeded(cands: list, random_state) -> list:
    """Students without a seed get distill's, so one random_state fixes the result
    (scikit-learn trees break ties between features at random)."""
    if not isinstance(random_state, (int, np.integer)):
        return cands
    for est in cands:
        params = est.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            est.set_params(random_state=random_state)
    return cands


def _fit_first(cands: list, bb, X, scores, labels, names):
    """Fit the first candidate that accepts the data; warn when falling back."""
    for i, est in enumerate(cands):
        try:
            return _fit_student(est, bb, X, scores, labels, names)
        except ValueError as exc:
            if i == len(cands) - 1:
                raise
            warnings.warn(
                f"{type(est).__name__} cannot fit this black box ({exc}); using "
                f"{type(cands[i + 1]).__name__} instead",
                stacklevel=3,
            )
    raise AssertionError("unreachable")


def _fit_accepts_weight(est) -> bool:
    try:
        return "sample_weight" in inspect.signature(est.fit).parameters
    except (TypeError, ValueError):
        return False


@dataclass
class _QuerySet:
    """Rows and the black box's answers: training part and held-out part."""

    X_train: np.ndarray
    s_train: np.ndarray  # scores (n, k) or (n, 1)
    X_hold: np.ndarray
    s_hold: np.ndarray
    n_data: int
    n_queries: int


def _label_queries(bb: BlackBox, X, n_queries, n_holdout, include_data, rng, synth=None, mix=None):
    synth = synth or QuerySynthesizer(X, mix=mix)
    Q = synth.sample(n_queries, rng) if n_queries else np.empty((0, X.shape[1]))
    H = synth.sample(n_holdout, rng)
    X_train = np.vstack([X, Q]) if include_data else Q
    if X_train.shape[0] == 0:
        raise ValueError("no training rows: set n_queries > 0 or include_data=True")
    scores = bb(np.vstack([X_train, H]))
    n = X_train.shape[0]
    return _QuerySet(
        X_train, scores[:n], H, scores[n:], X.shape[0] if include_data else 0, n_queries
    ), synth


def _targets(bb: BlackBox, scores: np.ndarray):
    if bb.task == "classification":
        return bb.classes_[np.argmax(scores, axis=1)]
    return scores[:, 0]


def _frame(X: np.ndarray, names):
    """Rows as the student sees them: named columns when the data had names."""
    return X if names is None else pd.DataFrame(X, columns=names)


def _fit_student(est, bb: BlackBox, X, scores, labels: str, feature_names):
    Xf = _frame(X, feature_names)
    y = _targets(bb, scores)
    if bb.task == "classification":
        if np.unique(y).size < 2:
            raise ValueError(
                f"the black box predicts a single class ({y[0]!r}) on every query; there is "
                "nothing to distill"
            )
        if labels == "soft" and _fit_accepts_weight(est):
            # soft labels: each row once per class, weighted by the black box's probability
            k = scores.shape[1]
            rows = np.repeat(np.arange(len(X)), k)
            cls = np.tile(np.arange(k), len(X))
            w = scores.reshape(-1)
            keep = w > 1e-6
            return est.fit(
                Xf[rows[keep]] if feature_names is None else Xf.iloc[rows[keep]],
                bb.classes_[cls[keep]],
                sample_weight=w[keep],
            )
    return est.fit(Xf, y)


def _holdout_fidelity(bb, est, qs: _QuerySet, feature_names, confidence, random_state) -> Fidelity:
    pred = est.predict(_frame(qs.X_hold, feature_names))
    ref = _targets(bb, qs.s_hold)
    if bb.task == "classification":
        return agreement_fidelity(ref, np.asarray(pred), confidence)
    return r2_fidelity(ref, pred, confidence, random_state=random_state)


class Surrogate:
    """A glass-box student distilled from a black box, with its measured fidelity.

    Made by ``distill``; not meant to be constructed by hand.

    Parameters
    ----------
    student : glassbox estimator
        The fitted student.
    blackbox : BlackBox
        The black box it imitates.
    fidelity : Fidelity
        Fidelity on the held-out queries.
    queries : _QuerySet
        The labelled training and held-out queries.
    feature_names : list of str or None
        The data's column names; None when it had none.
    labels : {"hard", "soft"}
        How the black box's answers labelled the training rows.
    history : DataFrame
        One row per round of queries.
    confidence : float
        Level of the fidelity intervals.
    query_mix : dict or None, default=None
        Share of each kind of synthesized query.

    Attributes
    ----------
    student_ : glassbox estimator
        The fitted student.
    blackbox_ : BlackBox
        The black box it imitates.
    fidelity_ : Fidelity
        Fidelity on the held-out queries (never used for fitting).
    feature_names_ : list of str
        The data's column names, or x0, x1, ... when it had none.
    task_ : {"classification", "regression"}
        The black box's task.
    classes_ : ndarray or None
        The black box's classes (classification).
    n_data_ : int
        Data rows the student was fitted on.
    n_queries_ : int
        Synthesized queries the student was fitted on.
    n_holdout_ : int
        Held-out queries ``fidelity_`` was measured on.
    labels_ : {"hard", "soft"}
        How the black box's answers labelled the training rows.
    history_ : DataFrame
        The rounds of queries (one row when ``target_width`` was not set).
    query_mix_ : dict or None
        Share of each kind of synthesized query.
    confidence : float
        Level of the fidelity intervals.

    Notes
    -----
    A model file (``glassbox.io.save``) holds the state ``_to_state`` returns:
    the student, the black box, the fidelity, the counts, history and query
    mix, and the held-out queries with the black box's answers to them (what
    ``regions()`` reads). The training queries stay in memory only
    (``sur._queries``, None on a loaded surrogate): nothing after fitting
    needs them, and they are most of the rows.
    """

    def __init__(
        self,
        student,
        blackbox,
        fidelity,
        queries: _QuerySet,
        feature_names,
        labels: str,
        history: pd.DataFrame,
        confidence: float,
        query_mix: dict | None = None,
    ):
        self._setup(
            student_=student,
            blackbox_=blackbox,
            fidelity_=fidelity,
            input_names=feature_names,
            labels_=labels,
            history_=history,
            confidence=confidence,
            query_mix_=query_mix,
            n_data_=queries.n_data,
            n_queries_=queries.X_train.shape[0] - queries.n_data,
            holdout_X=queries.X_hold,
            holdout_scores=queries.s_hold,
        )
        self._queries = queries  # every labelled query, kept in memory only

    def _setup(
        self,
        *,
        student_,
        blackbox_,
        fidelity_,
        input_names,
        labels_,
        history_,
        confidence,
        query_mix_,
        n_data_,
        n_queries_,
        holdout_X,
        holdout_scores,
    ):
        """Every attribute, from the fields of ``_to_state`` (one path for
        ``distill`` and for a model file)."""
        self.student_ = student_
        self.blackbox_ = blackbox_
        self.fidelity_ = fidelity_
        self._input_names = input_names  # None when the data had no column names
        self.feature_names_ = (
            list(input_names)
            if input_names is not None
            else default_feature_names(holdout_X.shape[1])
        )
        self.task_ = blackbox_.task
        self.classes_ = blackbox_.classes_ if blackbox_.task == "classification" else None
        self.n_data_ = n_data_
        self.n_queries_ = n_queries_
        self.n_holdout_ = holdout_X.shape[0]
        self.labels_ = labels_
        self.history_ = history_
        self.confidence = confidence
        self.query_mix_ = query_mix_
        self._holdout = (holdout_X, holdout_scores)

    #: the fields of a saved Surrogate (``_to_state`` / ``_from_state``): ``_setup``'s
    _STATE_FIELDS = tuple(inspect.signature(_setup).parameters)[1:]

    def _to_state(self) -> dict:
        """The fields a model file keeps (their schema: ``glassbox.io._surrogate``):
        plain values, arrays, the student (a glassbox model) and the black box
        (a scikit-learn or xgboost model and the method that scores)."""
        X_hold, s_hold = self._holdout
        return {
            "student_": self.student_,
            "blackbox_": self.blackbox_,
            "fidelity_": self.fidelity_,
            "input_names": (
                None if self._input_names is None else [str(n) for n in self._input_names]
            ),
            "labels_": self.labels_,
            "history_": self.history_,
            "confidence": self.confidence,
            "query_mix_": self.query_mix_,
            "n_data_": self.n_data_,
            "n_queries_": self.n_queries_,
            "holdout_X": X_hold,
            "holdout_scores": s_hold,
        }

    @classmethod
    def _from_state(cls, state: dict) -> Surrogate:
        """A Surrogate from the fields of ``_to_state``, each checked first."""
        if set(state) != set(cls._STATE_FIELDS):
            raise ValueError(
                f"model file's Surrogate state has fields {sorted(state)}, expected "
                f"{sorted(cls._STATE_FIELDS)}"
            )
        X_hold, s_hold = state["holdout_X"], state["holdout_scores"]
        for name, arr in (("holdout_X", X_hold), ("holdout_scores", s_hold)):
            if not (isinstance(arr, np.ndarray) and arr.ndim == 2 and arr.dtype.kind == "f"):
                raise ValueError(f"model file's Surrogate {name} is not a 2-D float array")
        if s_hold.shape[0] != X_hold.shape[0]:
            raise ValueError(
                f"model file's Surrogate has {X_hold.shape[0]} held-out rows but "
                f"{s_hold.shape[0]} answers to them"
            )
        for name in ("n_data_", "n_queries_"):
            v = state[name]
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"model file's Surrogate {name} is not a count: {v!r}")
        names = state["input_names"]
        if names is not None and (
            not isinstance(names, list)
            or len(names) != X_hold.shape[1]
            or not all(isinstance(n, str) for n in names)
        ):
            raise ValueError(
                f"model file's Surrogate feature names are not {X_hold.shape[1]} strings"
            )
        if state["labels_"] not in ("hard", "soft"):
            raise ValueError(f"model file's Surrogate labels {state['labels_']!r} are unknown")
        bb = state["blackbox_"]
        if not isinstance(bb, BlackBox):
            raise ValueError("model file's Surrogate black box is not a BlackBox")
        width = getattr(bb, "n_features_in_", None)
        if width is not None and X_hold.shape[1] != width:
            raise ValueError(
                f"model file's Surrogate held-out rows have {X_hold.shape[1]} columns; its "
                f"black box takes {width}"
            )
        n_scores = len(bb.classes_) if bb.task == "classification" else 1
        if s_hold.shape[1] != n_scores:
            raise ValueError(
                f"model file's Surrogate holds {s_hold.shape[1]} scores per held-out row; "
                f"its black box gives {n_scores}"
            )
        student = state["student_"]
        if not (hasattr(student, "fit") and hasattr(student, "predict")):
            raise ValueError("model file's Surrogate student is not an estimator")
        if not isinstance(state["fidelity_"], Fidelity):
            raise ValueError("model file's Surrogate fidelity is not a Fidelity")
        history = state["history_"]
        if not isinstance(history, pd.DataFrame) or not set(_HISTORY_COLUMNS) <= set(history):
            raise ValueError(
                f"model file's Surrogate history is not a table with columns {_HISTORY_COLUMNS}"
            )
        mix = state["query_mix_"]
        if mix is not None and not (
            isinstance(mix, dict)
            and set(mix) <= set(_QUERY_KINDS)
            and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1
                for v in mix.values()
            )
        ):
            raise ValueError(
                f"model file's Surrogate query mix is not shares (0..1) of {list(_QUERY_KINDS)}"
            )
        check_confidence(state["confidence"])
        sur = cls.__new__(cls)
        sur._setup(**state)
        sur._queries = None  # the training queries are not saved
        return sur

    @property
    def complexity_(self):
        """The student's ``complexity_`` (None when it has none)."""
        return getattr(self.student_, "complexity_", None)

    def _frame(self, X) -> pd.DataFrame:
        return _frame(self.blackbox_.check_X(X), self._input_names)

    def predict(self, X) -> np.ndarray:
        """The student's prediction (class labels or values).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Rows, checked as the black box checks them.

        Returns
        -------
        ndarray of shape (n_rows,)
        """
        return self.student_.predict(self._frame(X))

    def predict_proba(self, X) -> np.ndarray:
        """The student's class probabilities (classification surrogates only).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Rows, checked as the black box checks them.

        Returns
        -------
        ndarray of shape (n_rows, n_classes)
        """
        if self.task_ != "classification":
            raise AttributeError("predict_proba is for classification surrogates")
        return self.student_.predict_proba(self._frame(X))

    def fidelity(self, X, *, confidence: float | None = None, random_state=0) -> Fidelity:
        """Agreement (classification) or R^2 (regression) with the black box on X.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Rows to compare the student and the black box on.
        confidence : float or None, default=None
            Level of the interval; None uses the surrogate's ``confidence``.
        random_state : int, Generator or None, default=0
            Seed of the bootstrap interval (regression).

        Returns
        -------
        Fidelity
        """
        conf = self.confidence if confidence is None else confidence
        Xc = self.blackbox_.check_X(X)
        ref = self.blackbox_.predict(Xc)
        pred = self.predict(Xc)
        if self.task_ == "classification":
            return agreement_fidelity(ref, np.asarray(pred), conf)
        return r2_fidelity(ref, pred, conf, random_state=random_state)

    def regions(self, X=None, *, confidence: float | None = None) -> pd.DataFrame:
        """Fidelity per region of the student: per leaf for trees, per deciding rule
        for rule lists, per predicted class (or predicted-value quartile) otherwise.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features) or None, default=None
            Rows to measure on; None uses the held-out queries.
        confidence : float or None, default=None
            Level of the intervals; None uses the surrogate's ``confidence``.

        Returns
        -------
        DataFrame
            One row per region: region, n, prediction, fidelity, and lower / upper
            (classification) or rmse (regression); least faithful first.
        """
        conf = self.confidence if confidence is None else confidence
        if X is None:
            Xc, scores = self._holdout
            ref = _targets(self.blackbox_, scores)
        else:
            Xc = self.blackbox_.check_X(X)
            ref = self.blackbox_.predict(Xc)
        pred = np.asarray(self.predict(Xc))
        ids, names = self._region_ids(Xc, pred)
        rows = []
        for rid in np.unique(ids):
            m = ids == rid
            n = int(m.sum())
            row = {"region": names.get(rid, str(rid)), "n": n}
            if self.task_ == "classification":
                k = int(np.sum(ref[m] == pred[m]))
                lo, hi = clopper_pearson(k, n, conf)
                row.update(
                    prediction=pd.Series(pred[m]).mode().iloc[0], fidelity=k / n, lower=lo, upper=hi
                )
            else:
                row.update(
                    prediction=float(pred[m].mean()),
                    fidelity=r2(ref[m], pred[m]) if n > 1 else np.nan,
                    rmse=float(np.sqrt(np.mean((ref[m] - pred[m]) ** 2))),
                )
            rows.append(row)
        return pd.DataFrame(rows).sort_values("fidelity", kind="stable").reset_index(drop=True)

    def _region_ids(self, X, pred):
        if hasattr(self.student_, "split_conditions"):  # a glassbox tree: its printed splits
            student = self.student_
            return student.apply(self._frame(X)), _glassbox_leaf_paths(student)
        tree = getattr(self.student_, "tree_", None)
        if tree is not None and hasattr(self.student_, "apply"):  # a scikit-learn tree
            leaves = self.student_.apply(X.astype(np.float32))
            return leaves, _sklearn_leaf_paths(tree, self.feature_names_)
        rules = _rule_regions(self.student_, self._frame(X))
        if rules is not None:
            return rules
        if self.task_ == "classification":
            return pred.astype(str), {c: f"predicted {c}" for c in np.unique(pred.astype(str))}
        edges = np.unique(np.quantile(pred, [0.25, 0.5, 0.75]))
        ids = np.searchsorted(edges, pred, side="right")
        from glassbox._format import short

        bounds = np.concatenate([[-np.inf], edges, [np.inf]])
        names = {
            i: f"prediction in ({short(bounds[i])}, {short(bounds[i + 1])}]"
            for i in range(len(bounds) - 1)
        }
        return ids, names

    def __str__(self) -> str:
        from ._text import render_surrogate

        return render_surrogate(self)

    def __repr__(self) -> str:
        return (
            f"Surrogate(student={type(self.student_).__name__}, "
            f"{self.fidelity_.metric}={self.fidelity_.value:.4g})"
        )


def _rule_regions(student, Xf):
    """(deciding rule per row, rule texts) for glassbox rule lists, else None."""
    rules = getattr(student, "rule_list_", None)
    if rules is None or not hasattr(student, "apply"):
        return None
    from glassbox._format import rule_text

    ids = student.apply(Xf)
    names = {
        k: ("ELSE" if not r.conds else "IF " + rule_text(r.conds)) for k, r in enumerate(rules)
    }
    for k in range(1, len(rules)):
        if rules[k].conds:
            names[k] = "ELSE " + names[k]
    return ids, names


def _leaf_paths(left, right, sides) -> dict:
    """leaf id -> 'a <= 1 and b > 2': the conditions on the way to every leaf of a
    tree given as child arrays (-1 at a leaf) and ``sides(node)`` -> (left text,
    right text) of a split."""
    paths = {}
    stack = [(0, [])]
    while stack:
        node, conds = stack.pop()
        if left[node] < 0:
            paths[node] = " and ".join(conds) if conds else "(all rows)"
            continue
        left_text, right_text = sides(node)
        stack.append((right[node], conds + [right_text]))
        stack.append((left[node], conds + [left_text]))
    return paths


def _glassbox_leaf_paths(student) -> dict:
    """Leaf paths of a fitted glassbox tree, in its printed conditions
    ('Home in {owner, priv}', short cut points)."""
    nodes, conditions = student.nodes(), student.split_conditions()
    return _leaf_paths(nodes.left, nodes.right, conditions.__getitem__)


def _sklearn_leaf_paths(tree, names) -> dict:
    """Leaf paths of a fitted scikit-learn tree."""
    from glassbox._format import num

    def sides(node):
        name, thr = names[tree.feature[node]], num(tree.threshold[node])
        return f"{name} <= {thr}", f"{name} > {thr}"

    return _leaf_paths(tree.children_left, tree.children_right, sides)


def _check_common(blackbox, X, n_queries, confidence, labels, task):
    bb = as_blackbox(blackbox, task=task)
    named = bb.feature_names_in_ is not None or isinstance(X, pd.DataFrame)
    Xc = bb.check_X(X)
    names = bb.feature_names(X, n_features=Xc.shape[1]) if named else None
    if not isinstance(n_queries, (int, np.integer)) or n_queries < 0:
        raise ValueError(f"n_queries must be a non-negative integer, got {n_queries!r}")
    check_confidence(confidence)
    if labels not in ("hard", "soft"):
        raise ValueError(f"labels must be 'hard' or 'soft', got {labels!r}")
    return bb, Xc, names


def _check_holdout(n_holdout, n_queries: int) -> int:
    if n_holdout is None:
        return max(1000, n_queries // 4)
    return check_int("n_holdout", n_holdout, 10)


def distill(
    blackbox,
    X,
    *,
    student="tree",
    n_queries: int = 10_000,
    random_state=None,
    student_params: dict | None = None,
    labels: str = "hard",
    n_holdout: int | None = None,
    confidence: float = 0.95,
    target_width: float | None = None,
    max_queries: int = 200_000,
    include_data: bool = True,
    task: str | None = None,
    query_mix: dict | None = None,
    progress: bool = True,
) -> Surrogate:
    """Distill ``blackbox`` into a glass-box ``student`` with certified fidelity.

    Parameters
    ----------
    blackbox : model or callable
        Anything ``as_blackbox`` takes: an estimator, its ``predict_proba`` or
        ``predict``, a callable, an xgboost Booster, a torch module.
    X : array-like or DataFrame of shape (n_rows, n_features)
        Training rows; queries are synthesized around them.
    student : str or glassbox estimator, default="tree"
        A family name ("rules", "tree", "glm", "gam", "ebm", "symbolic", or any
        other in ``glassbox.registry.FAMILIES``) or an unfitted glassbox
        estimator. "rules" tries the rule families in turn (rule list, rule
        set, one rule) until one fits the black box. "gam" and "ebm" start from
        ``QUICK_STUDENT_PARAMS``.
    n_queries : int, default=10_000
        Synthesized training queries added to X (jitter, interpolation,
        marginal redraws), all labelled by the black box. Without
        ``target_width`` (and with ``include_data``) the student uses the first
        0, 10%, 30% or all of them: the most whose fidelity on separate
        validation queries is within the best one's interval (``n_queries_``
        says how many).
    random_state : int, Generator or None, default=None
        Seed of the query synthesis, and of the student when it has none.
    student_params : dict or None, default=None
        Parameters of the student (e.g. ``{"max_depth": 3}``).
    labels : {"hard", "soft"}, default="hard"
        "hard": the black box's class; "soft": each row once per class,
        weighted by the black box's probability (for students whose fit takes
        sample_weight).
    n_holdout : int or None, default=None
        Fresh held-out queries for the fidelity estimate; None means
        max(1000, n_queries // 4).
    confidence : float, default=0.95
        Level of the fidelity interval.
    target_width : float or None, default=None
        If set, keep doubling training and held-out queries until the interval
        is at most this wide (or ``max_queries`` is reached).
    max_queries : int, default=200_000
        With ``target_width``: stop adding queries once training and held-out
        rows reach this many (with a warning when the interval is still wider).
    include_data : bool, default=True
        Also fit on the rows of X themselves.
    task : {"classification", "regression"} or None, default=None
        The black box's task, when its output is ambiguous.
    query_mix : dict or None, default=None
        Shares of the query kinds, e.g. ``{"jitter": 0.4, "interpolate": 0.4,
        "marginal": 0.2}``; None means jitter and interpolation, half each.
    progress : bool, default=True
        A tqdm bar over the student fits; it appears only when distillation
        takes more than a second. ``False`` silences it.

    Returns
    -------
    Surrogate
    """
    bb, Xc, names = _check_common(blackbox, X, n_queries, confidence, labels, task)
    n_holdout = _check_holdout(n_holdout, n_queries)
    if target_width is not None and not 0 < target_width < 1:
        raise ValueError(f"target_width must be in (0, 1), got {target_width!r}")
    rng = np.random.default_rng(random_state)
    from tqdm.auto import tqdm

    select = target_width is None and include_data and n_queries > 0
    with tqdm(
        total=(len(_query_counts(n_queries)) if select else 0) + 1,
        desc="distill",
        unit="fit",
        disable=not progress,
        delay=2.0,
    ) as bar:
        qs, synth = _label_queries(bb, Xc, n_queries, n_holdout, include_data, rng, mix=query_mix)

        def fit(q: _QuerySet):
            bar.set_postfix_str(f"{q.X_train.shape[0]} rows")
            est = _fit_first(
                _seeded(
                    student_candidates(student, bb.task, student_params, quick=_SLOW_FAMILIES),
                    random_state,
                ),
                bb,
                q.X_train,
                q.s_train,
                labels,
                names,
            )
            bar.update()
            return est

        if select:
            # More queries do not always help a fixed-size student (an L1-selected rule
            # set can lock onto off-data structure): choose how many of the queries to
            # use by fidelity on separate validation queries, so fidelity_ stays unbiased.
            qs = _select_n_queries(
                bb, qs, synth, fit, n_holdout, rng, names, confidence, random_state
            )
        history = []
        while True:
            est = fit(qs)
            fid = _holdout_fidelity(bb, est, qs, names, confidence, random_state)
            history.append(
                {
                    "n_queries": qs.X_train.shape[0] - qs.n_data,
                    "n_holdout": qs.X_hold.shape[0],
                    "fidelity": fid.value,
                    "lower": fid.lower,
                    "upper": fid.upper,
                    "width": fid.width,
                }
            )
            total = qs.X_train.shape[0] + qs.X_hold.shape[0]
            if target_width is None or fid.width <= target_width or total >= max_queries:
                if target_width is not None and fid.width > target_width:
                    warnings.warn(
                        f"fidelity interval width {fid.width:.4f} is above target_width "
                        f"{target_width} after {total} queries (max_queries reached)",
                        stacklevel=2,
                    )
                break
            # double both parts: more training queries, more held-out queries
            bar.total += 1
            add_train = max(qs.X_train.shape[0] - qs.n_data, 1000)
            add_hold = qs.X_hold.shape[0]
            more, _ = _label_queries(bb, Xc, add_train, add_hold, False, rng, synth)
            qs = _QuerySet(
                np.vstack([qs.X_train, more.X_train]),
                np.vstack([qs.s_train, more.s_train]),
                np.vstack([qs.X_hold, more.X_hold]),
                np.vstack([qs.s_hold, more.s_hold]),
                qs.n_data,
                qs.n_queries + add_train,
            )
    return Surrogate(
        est,
        bb,
        fid,
        qs,
        names,
        labels,
        pd.DataFrame(history),
        confidence,
        query_mix=dict(zip(_QUERY_KINDS, synth.mix)),
    )


def _select_n_queries(
    bb, qs: _QuerySet, synth, fit, n_valid, rng, names, confidence, random_state
) -> _QuerySet:
    """The data rows plus the first m synthesized queries, m in (0, 10%, 30%, 100%)
    of them: the largest m whose student's fidelity on fresh validation queries is
    within the best one's interval (fewer queries only when clearly better)."""
    n, nq = qs.n_data, qs.n_queries
    V = synth.sample(n_valid, rng)
    val = _QuerySet(qs.X_train[:0], qs.s_train[:0], V, bb(V), n, 0)
    subs, fids = [], []
    for m in _query_counts(nq):
        sub = _QuerySet(qs.X_train[: n + m], qs.s_train[: n + m], qs.X_hold, qs.s_hold, n, m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the final fit warns once
            fids.append(_holdout_fidelity(bb, fit(sub), val, names, confidence, random_state))
        subs.append(sub)
    floor = max(fids, key=lambda f: f.value).lower
    return [s for s, f in zip(subs, fids) if f.value >= floor][-1]


def _query_counts(n_queries: int) -> list[int]:
    """How many synthesized queries ``_select_n_queries`` tries."""
    return sorted({0, n_queries // 10, (3 * n_queries) // 10, n_queries})


#: pareto's guess for a scikit-learn student that is not a glassbox class (no traits):
#: the first of these parameters it has, simplest first
_FOREIGN_GRIDS = {
    "max_depth": [1, 2, 3, 4, 5, 6],
    "max_rules": [2, 4, 8, 16, 32],
    "n_rules": [2, 4, 8, 16, 32],
    "max_leaf_nodes": [2, 4, 8, 16, 32],
}


def _complexity_grid(est) -> list[dict]:
    """pareto's default settings of a student: every combination of its class's
    ``traits.complexity_grid``, simplest first; for a student from another library,
    its first known complexity parameter; else one default fit."""
    traits = getattr(type(est), "traits", None)
    if traits is None:
        params = est.get_params(deep=False)
        key = next((k for k in _FOREIGN_GRIDS if k in params), None)
        return [{key: v} for v in _FOREIGN_GRIDS[key]] if key else [{}]
    grid = traits.complexity_grid or {}
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def _available_default_students(task: str) -> list[str]:
    out = []
    for name in ("rules", "tree", "glm"):
        try:
            student_candidates(name, task)
            out.append(name)
        except ValueError:
            pass
    return out


def pareto(
    blackbox,
    X,
    *,
    students: Sequence | None = None,
    settings: dict | None = None,
    n_queries: int = 10_000,
    n_holdout: int | None = None,
    random_state=None,
    labels: str = "hard",
    confidence: float = 0.95,
    include_data: bool = True,
    task: str | None = None,
    progress: bool = True,
    query_mix: dict | None = None,
) -> pd.DataFrame:
    """Fidelity vs complexity across students and their complexity settings.

    One query set is synthesized and labelled once; every (student, setting) is
    fitted on it and scored on the same held-out queries.

    Parameters
    ----------
    blackbox : model or callable
        Anything ``as_blackbox`` takes (see ``distill``).
    X : array-like or DataFrame of shape (n_rows, n_features)
        Training rows; queries are synthesized around them.
    students : sequence of (str or glassbox estimator), str, estimator or None, default=None
        Students as ``distill`` takes them; None means those of "rules",
        "tree" and "glm" that exist for the task. Students named by family
        start from ``QUICK_STUDENT_PARAMS`` (many fits follow).
    settings : dict or None, default=None
        Student name (or class name, for an estimator) -> list of parameter
        dicts (or one dict). By default each student's class's
        ``traits.complexity_grid``: trees try depths 1-6, rule models their
        rule count or depth, sparse logistic GLMs an L1 path; a class with no
        grid is fitted once with its defaults.
    n_queries : int, default=10_000
        Synthesized training queries added to X.
    n_holdout : int or None, default=None
        Held-out queries; None means max(1000, n_queries // 4).
    random_state : int, Generator or None, default=None
        Seed of the query synthesis, and of students that have none.
    labels : {"hard", "soft"}, default="hard"
        As in ``distill``.
    confidence : float, default=0.95
        Level of the fidelity intervals.
    include_data : bool, default=True
        Also fit on the rows of X themselves.
    task : {"classification", "regression"} or None, default=None
        The black box's task, when its output is ambiguous.
    progress : bool, default=True
        A tqdm bar over the fits once they take more than a second.
    query_mix : dict or None, default=None
        Shares of the query kinds (see ``distill``).

    Returns
    -------
    DataFrame
        Columns student, settings, complexity, fidelity, lower, upper, frontier
        (True for rows no other row beats on both fidelity and complexity),
        sorted by complexity.
    """
    bb, Xc, names = _check_common(blackbox, X, n_queries, confidence, labels, task)
    n_holdout = _check_holdout(n_holdout, n_queries)
    if students is None:
        students = _available_default_students(bb.task)
    elif isinstance(students, str) or hasattr(students, "fit"):
        students = [students]  # one student, not a sequence of characters
    students = list(students)
    if not students:
        raise ValueError("students is empty; pass e.g. ['rules', 'tree', 'glm'] or None")
    labels_of = [s if isinstance(s, str) else type(s).__name__ for s in students]
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(labels_of))
    if unknown:
        raise ValueError(
            f"settings given for {unknown}, which are not among the students {labels_of}"
        )
    for key, grid in settings.items():
        if isinstance(grid, dict):
            settings[key] = [grid]  # one setting
        elif not all(isinstance(g, dict) for g in grid):
            raise TypeError(
                f"settings[{key!r}] must be a list of parameter dicts, e.g. "
                "[{'max_depth': 2}, {'max_depth': 4}]"
            )
    rng = np.random.default_rng(random_state)
    qs, _ = _label_queries(bb, Xc, n_queries, n_holdout, include_data, rng, mix=query_mix)
    jobs = []
    for s in students:
        label = s if isinstance(s, str) else type(s).__name__
        grid = settings.get(label)
        if grid is None:
            grid = _complexity_grid(student_candidates(s, bb.task)[0])
        jobs += [(s, label, p) for p in grid]
    from tqdm.auto import tqdm

    rows, seen = [], set()
    for s, label, params in tqdm(jobs, disable=not progress, desc="pareto", unit="fit", delay=2.0):
        # named students start from the quick settings: many fits follow
        cands = _seeded(
            student_candidates(s, bb.task, params, quick=QUICK_STUDENT_PARAMS), random_state
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter, alias fallbacks
            est = _fit_first(cands, bb, qs.X_train, qs.s_train, labels, names)
        used = {k: v for k, v in params.items() if k in est.get_params(deep=False)}
        key = (label, type(est).__name__, tuple(sorted(used.items())))
        if key in seen:  # a fallback family ignored the setting: same model again
            continue
        seen.add(key)
        fid = _holdout_fidelity(bb, est, qs, names, confidence, random_state)
        text = ", ".join(f"{k}={v}" for k, v in used.items()) or "default"
        if isinstance(s, str) and len(cands) > 1:
            text = f"{type(est).__name__}: {text}"
        rows.append(
            {
                "student": label,
                "settings": text,
                "complexity": getattr(est, "complexity_", np.nan),
                "fidelity": fid.value,
                "lower": fid.lower,
                "upper": fid.upper,
            }
        )
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(
        ["complexity", "fidelity"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)
    best = -np.inf
    frontier = []
    for f in frame["fidelity"]:
        frontier.append(bool(f > best))
        best = max(best, f)
    frame["frontier"] = frontier
    return frame
