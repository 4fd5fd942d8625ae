"""Linear support vector machine on scikit-learn's liblinear (``LinearSVC``).

Inputs go through the input schema as for the GLM: text / category / bool
columns are reference-coded (the first level is the baseline), missing values
are refused naming column and row. Features are standardized before the fit
(so the penalty treats every feature alike and liblinear converges), and the
weights are mapped back to the original units, so ``coef_`` reads as "change
of the score per unit of the feature".

What a reader gets beyond the weights:

- the margin width 2 / ||w|| in standardized units, and the support vectors
  (training rows with margin y * score <= 1): the boundary examples;
- Haufe et al. (2014) activation patterns ``patterns_`` = Cov(X) w, the
  covariance of each term with the score: a weight of a feature correlated with
  others cannot be read alone (a feature may get a large weight only to cancel
  noise it shares with another), the pattern says how the feature moves with
  the score;
- probabilities from a monotone calibration of the score: one temperature
  ``calibration_`` = a > 0, P = sigmoid(a * score) (binary) or softmax(a *
  scores) (one-vs-rest multiclass), fitted by weighted log loss on the training
  scores with Platt's smoothed targets. No intercept and one shared a, so
  ``argmax(predict_proba) == predict`` always (scikit-learn's Platt scaling in
  ``SVC(probability=True)`` fits its own intercept, scikit-learn issue 13211).
- ``penalty="l1"`` gives sparse weights; ``l1_path`` walks C up from
  ``sklearn.svm.l1_min_c`` (below it every weight is zero).

Multiclass targets are fitted one-vs-rest (one binary SVM per class; the class
with the highest score wins), and the printout says so.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._validation import check_frame_y, check_sample_weight
from ..base import GlassboxMixin, Traits
from ..explanation import GlobalExplanation
from .glm import _LinearExplainMixin, _standardize, _unstandardize

#: log of the calibration temperature is searched in this interval
_LOG_A_BOUNDS = (-12.0, 12.0)


def _calibration_scores(scores: np.ndarray) -> np.ndarray:
    """(n, K) scores a softmax turns into probabilities: [0, f] for a binary score f."""
    if scores.ndim == 1:
        return np.column_stack([np.zeros_like(scores), scores])
    return scores


def _fit_temperature(scores: np.ndarray, codes: np.ndarray, w: np.ndarray) -> float:
    """a > 0 minimizing the weighted log loss of softmax(a * scores) against Platt's
    smoothed targets (class k: (N_k + 1) / (N_k + 2), spread evenly over the rest),
    which keep a finite when the training scores separate the classes."""
    from scipy.optimize import minimize_scalar

    S = _calibration_scores(scores)
    n, k = S.shape
    counts = np.bincount(codes, weights=w, minlength=k)
    hit = (counts[codes] + 1.0) / (counts[codes] + 2.0)
    T = np.tile(((1.0 - hit) / (k - 1))[:, None], (1, k))
    T[np.arange(n), codes] = hit
    S = S - S.max(axis=1, keepdims=True)

    def loss(log_a: float) -> float:
        Z = np.exp(log_a) * S
        lse = np.log(np.exp(Z).sum(axis=1))
        return float(np.sum(w * (lse - (T * Z).sum(axis=1))))

    res = minimize_scalar(loss, bounds=_LOG_A_BOUNDS, method="bounded", options={"xatol": 1e-8})
    return float(np.exp(res.x))


def _proba(scores: np.ndarray, a: float) -> np.ndarray:
    """softmax(a * scores), with the class ``predict`` picks winning strictly even where
    rounding ties two probabilities (a last-bit nudge): argmax(proba) == predict."""
    S = _calibration_scores(scores)
    P = softmax(a * (S - S.max(axis=1, keepdims=True)), axis=1)
    if scores.ndim == 1:  # binary: class 1 exactly when score > 0, as predict
        p = expit(a * scores)
        p = np.where((scores > 0) & (p <= 0.5), np.nextafter(0.5, 1.0), p)
        p = np.where((scores <= 0) & (p > 0.5), 0.5, p)
        return np.column_stack([1.0 - p, p])
    want = np.argmax(scores, axis=1)
    bad = np.flatnonzero(np.argmax(P, axis=1) != want)
    for i in bad:
        P[i, want[i]] = np.nextafter(P[i].max(), 2.0)
    return P


class LinearSVMClassifier(_LinearExplainMixin, GlassboxMixin, ClassifierMixin, BaseEstimator):
    """Linear support vector machine (liblinear), printed like the GLM.

    The score is b0 + w1*x1 + ... in the features' own units; binary: class 1
    when the score is > 0; more classes: one-vs-rest, the class with the
    highest score. Probabilities are a monotone calibration of the scores
    (``calibration_``), so ``argmax(predict_proba) == predict``.

    Parameters
    ----------
    C : float
        Inverse penalty strength on the standardized weights (scikit-learn's meaning).
    penalty : {"l2", "l1"}
        "l1" gives sparse weights (squared hinge loss only); see ``l1_path``.
    loss : {"squared_hinge", "hinge"}
        "squared_hinge" (default) is solved in the primal, deterministically;
        "hinge" (the classic SVM) in the dual, with ``random_state`` shuffling.
    class_weight : dict, "balanced" or None
        As in ``sklearn.svm.LinearSVC``.
    intercept_scaling : float
        liblinear penalizes the intercept as a weight on a constant feature of
        this value; a larger value lessens that penalty.
    tol, max_iter : solver settings.
    random_state : int, RandomState or None
        Seeds liblinear's random order of coordinates, which the dual solver
        (``loss="hinge"``) and the L1 solver use; the default L2 squared-hinge fit
        (a primal Newton method) is deterministic.
    """

    traits = Traits(
        family="svm",
        additive=True,
        categorical=True,
        # sparse SVM: the L1 penalty gives a range of complexities
        complexity_grid={"C": (0.003, 0.01, 0.03, 0.1, 1.0), "penalty": ("l1",)},
        title="Linear support vector machines",
    )

    _parameter_constraints = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "penalty": [StrOptions({"l2", "l1"})],
        "loss": [StrOptions({"squared_hinge", "hinge"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        C=1.0,
        *,
        penalty="l2",
        loss="squared_hinge",
        class_weight=None,
        intercept_scaling=1.0,
        tol=1e-8,
        max_iter=10_000,
        random_state=None,
    ):
        self.C = C
        self.penalty = penalty
        self.loss = loss
        self.class_weight = class_weight
        self.intercept_scaling = intercept_scaling
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    # --- fitting ---------------------------------------------------------------

    def _backend(self, C: float):
        from sklearn.svm import LinearSVC

        if self.penalty == "l1" and self.loss == "hinge":
            raise ValueError(
                "penalty='l1' needs loss='squared_hinge' (liblinear has no L1-penalized "
                "hinge loss); set loss='squared_hinge'"
            )
        return LinearSVC(
            C=C,
            penalty=self.penalty,
            loss=self.loss,
            dual=self.loss == "hinge",  # the primal solver is deterministic and converges
            class_weight=self.class_weight,
            intercept_scaling=self.intercept_scaling,
            tol=self.tol,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )

    def _standardized(self, X, y, sample_weight):
        """Validate; (design, standardized design, y, weights, mean, scale)."""
        frame, y = check_frame_y(self, X, y, classifier=True)
        D = self.input_schema_.one_hot(frame)
        sw = check_sample_weight(sample_weight, D.shape[0])
        mean, scale = _standardize(D, sw)
        return D, (D - mean) / scale, y, sw, mean, scale

    def fit(self, X, y, sample_weight=None):
        """Fit liblinear on standardized features and map the weights back.

        Returns self.
        """
        self._validate_params()
        D, Xs, y, sw, mean, scale = self._standardized(X, y, sample_weight)
        self._store_design()
        self.classes_, codes = np.unique(y, return_inverse=True)
        est = self._backend(float(self.C))
        est.fit(Xs, y, sample_weight=sw)
        self.estimator_ = est
        coef_std = np.asarray(est.coef_, dtype=float)
        icpt_std = np.asarray(est.intercept_, dtype=float)
        self.coef_, self.intercept_ = _unstandardize(coef_std, icpt_std, mean, scale)
        self.intercept_ = np.atleast_1d(self.intercept_).astype(float)
        self.link_ = "margin"
        self.n_iter_ = int(np.max(est.n_iter_))
        self._store_training_summary(D, mean, scale)
        # Haufe et al. 2014: Cov(X) w, computed as scale * Cov(Z) w_std (Z = standardized X),
        # which is the same number without squaring features of extreme scale
        cov = np.atleast_2d(np.cov(Xs, rowvar=False, aweights=sw)) if len(Xs) > 1 else None
        if cov is None or not np.all(np.isfinite(cov)):
            cov = np.zeros((Xs.shape[1], Xs.shape[1]))
        self.patterns_ = (cov @ coef_std.T).T * scale
        norms = np.linalg.norm(coef_std, axis=1)
        with np.errstate(divide="ignore"):
            self.margin_width_ = np.where(norms > 0, 2.0 / norms, np.inf)
        # margins y * score of every training row, per one-vs-rest problem
        scores = Xs @ coef_std.T + icpt_std
        signs = (
            np.where(codes == 1, 1.0, -1.0)[:, None]
            if len(self.classes_) == 2
            else np.where(codes[:, None] == np.arange(len(self.classes_)), 1.0, -1.0)
        )
        margins = signs * scores
        w = np.ones(len(y)) if sw is None else sw
        on_boundary = (margins <= 1.0 + 1e-9).any(axis=1) & (w > 0)
        self.support_ = np.flatnonzero(on_boundary).astype(np.int64)
        self.support_vectors_ = D[self.support_]
        self.n_support_ = np.bincount(codes[self.support_], minlength=len(self.classes_)).astype(
            np.int64
        )
        self.calibration_ = _fit_temperature(
            scores[:, 0] if scores.shape[1] == 1 else scores, codes, w
        )
        self.penalty_ = self._penalty_text()
        self.complexity_ = int(np.count_nonzero(np.any(self.coef_ != 0, axis=0)))
        return self

    def _penalty_text(self) -> str:
        kind = "lasso (L1)" if self.penalty == "l1" else "ridge (L2)"
        return f"{kind} C={float(self.C):g} on standardized weights, {self.loss.replace('_', ' ')} loss"

    # --- prediction --------------------------------------------------------------

    def decision_function(self, X) -> np.ndarray:
        """The score b0 + w @ x (binary, 1-D) or one score per class (one-vs-rest).

        Returns an array of shape (n_rows,) or (n_rows, n_classes).
        """
        _, D = self._design(X)
        scores = D @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        """Class 1 where the score is > 0 (binary), else the class with the highest score.

        Returns an array of shape (n_rows,).
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X) -> np.ndarray:
        """softmax(calibration_ * scores) (binary: sigmoid(a * score) for class 1);
        argmax equals ``predict`` on every row.

        Returns an array of shape (n_rows, n_classes).
        """
        return _proba(self.decision_function(X), self.calibration_)

    def _output_names(self) -> tuple[str, ...]:
        names = tuple(str(c) for c in self.classes_)
        return names[1:] if len(names) == 2 else names

    # --- explanations --------------------------------------------------------------

    def explain_global(self) -> GlobalExplanation:
        """Weights (original units, one per term), importances (mean |contribution| on
        the training rows), and in ``extras`` the activation patterns Cov(X) w, the
        margin widths, support vector counts and the calibration temperature.

        Returns a GlobalExplanation.
        """
        check_is_fitted(self)
        importances = (np.abs(self.coef_) * self.X_mad_).T
        coefficients = self.coef_.T
        patterns = self.patterns_.T
        if self.coef_.shape[0] == 1:
            importances, coefficients, patterns = (
                importances[:, 0],
                coefficients[:, 0],
                patterns[:, 0],
            )
        return GlobalExplanation(
            term_names=tuple(self.term_names_),
            importances=importances,
            intercept=np.asarray(self.intercept_, dtype=float),
            output_names=self._output_names(),
            link=self.link_,
            method="svm",
            coefficients=coefficients,
            extras={
                "patterns": patterns,
                "margin_width": self.margin_width_,
                "n_support": self.n_support_,
                "calibration": self.calibration_,
                "penalty": self.penalty_,
                "multiclass": "one-vs-rest" if len(self.classes_) > 2 else None,
                "term_columns": [tuple(t) for t in self.term_columns_],
            },
        )

    def l1_path(self, X, y, *, n_Cs: int = 8, span: float = 1000.0, sample_weight=None):  # noqa: N803
        """The L1 regularization path: this model's settings with ``penalty="l1"``
        fitted at ``n_Cs`` values of C, log-spaced from ``sklearn.svm.l1_min_c`` on
        the standardized data (the smallest C with a non-zero weight) to ``span``
        times it. The model itself is not changed.

        Returns a DataFrame with one row per C: ``C``, ``n_nonzero`` (terms with a
        non-zero weight), ``accuracy`` (on X, y) and one column per term (weights
        in original units; the first class's for a multiclass target).
        """
        import pandas as pd
        from sklearn.base import clone
        from sklearn.svm import l1_min_c

        probe = clone(self).set_params(penalty="l1", loss="squared_hinge")
        probe._validate_params()
        _, Xs, y_arr, _, _, _ = probe._standardized(X, y, sample_weight)
        c0 = float(
            l1_min_c(Xs, y_arr, loss="squared_hinge", intercept_scaling=self.intercept_scaling)
        )
        rows = []
        for C in c0 * np.logspace(0, np.log10(span), int(n_Cs)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                m = clone(probe).set_params(C=float(C)).fit(X, y, sample_weight=sample_weight)
            row = {"C": float(C), "n_nonzero": m.complexity_, "accuracy": m.score(X, y)}
            row.update(zip(m.term_names_, m.coef_[0]))
            rows.append(row)
        return pd.DataFrame(rows)
