"""Generalized linear models on scikit-learn.

Features are standardized before fitting (as glmnet does), so a penalty treats
every feature alike and the solvers converge on raw data of any scale; the
fitted coefficients are mapped back to the original units of each feature, so
``coef_`` and the printout read as "effect per unit of the feature".
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._validation import check_sample_weight, check_X, check_X_y
from ..base import GlassboxMixin, Traits, class_names
from ..explanation import GlobalExplanation, LocalExplanation

_LINK_OF_FAMILY = {"normal": "identity", "poisson": "log", "gamma": "log", "tweedie": "log"}


def _standardize(X: np.ndarray, sw: np.ndarray | None):
    mean = np.average(X, axis=0, weights=sw)
    scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=sw))
    scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0  # constant columns
    return mean, scale


def _unstandardize(coef_std: np.ndarray, intercept_std, mean, scale):
    coef = coef_std / scale
    return coef, intercept_std - coef @ mean


def _standard_errors(X, eta, mu_weight, dispersion, sw):
    """Wald standard errors of (intercept, coefs) from the Fisher information.

    ``mu_weight`` is the IRLS working weight (dmu/deta)^2 / V(mu) per row.
    """
    w = mu_weight if sw is None else mu_weight * sw
    Xa = np.column_stack([np.ones(len(X)), X])
    info = Xa.T @ (Xa * w[:, None])
    try:
        cov = np.linalg.inv(info) * dispersion
    except np.linalg.LinAlgError:
        return None
    diag = np.diag(cov)
    if (diag < 0).any():
        return None
    return np.sqrt(diag)


class _LinearExplainMixin:
    """Centred linear contributions: coef * (x - training mean), on the link scale.

    With the training rows as background these are exactly linear SHAP values.
    """

    def _coef_2d(self) -> np.ndarray:
        return np.atleast_2d(self.coef_)

    def explain_local(self, X) -> LocalExplanation:
        """Contributions coef_j * (x_j - training mean of x_j), on the link scale.

        Returns a LocalExplanation: base value + contributions = the linear predictor of
        each row; with the training rows as background these are exact linear SHAP values.
        """
        X = check_X(self, X, reset=False)
        coef = self._coef_2d()  # (n_outputs, n_features)
        intercept = np.atleast_1d(self.intercept_)
        centred = X - self.X_mean_
        values = centred[:, :, None] * coef.T[None, :, :]
        base = intercept + coef @ self.X_mean_
        base_values = np.broadcast_to(base, (X.shape[0], coef.shape[0])).copy()
        if coef.shape[0] == 1:
            values, base_values = values[:, :, 0], base_values[:, 0]
        return LocalExplanation(
            values=values,
            base_values=base_values,
            data=X,
            feature_names=tuple(self.feature_names_),
            output_names=self._output_names(),
            link=self.link_,
            method="linear",
        )

    def explain_global(self) -> GlobalExplanation:
        """Coefficients (original units), their standard errors when unpenalized, and
        importances (mean |contribution| on the training rows).

        Returns a GlobalExplanation.
        """
        check_is_fitted(self)
        coef = self._coef_2d()
        importances = (np.abs(coef) * self.X_mad_).T  # mean |contribution| per term
        coefficients = coef.T
        if coef.shape[0] == 1:
            importances, coefficients = importances[:, 0], coefficients[:, 0]
        return GlobalExplanation(
            term_names=tuple(self.feature_names_),
            importances=importances,
            intercept=np.atleast_1d(self.intercept_).astype(float),
            output_names=self._output_names(),
            link=self.link_,
            method="glm",
            coefficients=coefficients,
            extras={"standard_errors": self.standard_errors_},
        )

    def _store_training_summary(self, X: np.ndarray) -> None:
        self.X_mean_ = X.mean(axis=0)
        self.X_mad_ = np.abs(X - self.X_mean_).mean(axis=0)
        self.X_std_ = X.std(axis=0)  # for effects per standard deviation in the printout
        self.n_train_ = X.shape[0]


class GLMRegressor(_LinearExplainMixin, GlassboxMixin, RegressorMixin, BaseEstimator):
    """Generalized linear regression: normal, Poisson, gamma or Tweedie family.

    Parameters
    ----------
    family : {"normal", "poisson", "gamma", "tweedie"}
        Distribution of y given x. Normal uses the identity link, the others
        the log link, so their coefficients act multiplicatively on E[y].
    power : float
        Tweedie power (only for ``family="tweedie"``), between 1 and 2 for
        compound Poisson-gamma data.
    alpha : float
        L2 penalty strength on standardized coefficients, scaled as in
        scikit-learn's GLMs (0 = unpenalized maximum likelihood).
    max_iter, tol : solver settings (newton-cholesky for the log-link families).
    """

    traits = Traits(family="glm", additive=True, title="Generalized linear models")

    _parameter_constraints = {
        "family": [StrOptions({"normal", "poisson", "gamma", "tweedie"})],
        "power": [Interval(Real, None, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, family="normal", *, power=1.5, alpha=0.0, max_iter=1000, tol=1e-10):
        self.family = family
        self.power = power
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y, sample_weight=None):
        """Fit the GLM on standardized features and map the coefficients back.

        Returns self.
        """
        self._validate_params()
        X, y = check_X_y(self, X, y, classifier=False)
        sw = check_sample_weight(sample_weight, X.shape[0])
        self._check_target(y)
        mean, scale = _standardize(X, sw)
        Xs = (X - mean) / scale
        self.estimator_ = self._make_estimator(sw)
        self.estimator_.fit(Xs, y, sample_weight=sw)
        self.coef_, self.intercept_ = _unstandardize(
            self.estimator_.coef_, float(self.estimator_.intercept_), mean, scale
        )
        self.link_ = _LINK_OF_FAMILY[self.family]
        self._store_training_summary(X)
        self.standard_errors_ = self._wald_se(X, y, sw) if self.alpha == 0 else None
        self.n_iter_ = int(getattr(self.estimator_, "n_iter_", 1))
        self.complexity_ = int(np.count_nonzero(self.coef_))
        return self

    def _check_target(self, y: np.ndarray) -> None:
        power = {"poisson": 1.0, "gamma": 2.0, "normal": 0.0}.get(self.family, self.power)
        if self.family == "tweedie" and 0 < power < 1:
            raise ValueError(
                "power must be 0 or >= 1 for the Tweedie family (no distribution exists in (0, 1))"
            )
        if power >= 2 and (y <= 0).any():
            raise ValueError(
                f"the {self.family} family needs y > 0 (found min(y) = {y.min():g}); "
                "use family='poisson' or 'tweedie' for zeros, 'normal' for negatives"
            )
        if 1 <= power < 2 and (y < 0).any():
            raise ValueError(
                f"the {self.family} family needs y >= 0 (found min(y) = {y.min():g}); "
                "use family='normal' for negative targets"
            )

    def _make_estimator(self, sw):
        from sklearn.linear_model import (
            GammaRegressor,
            LinearRegression,
            PoissonRegressor,
            Ridge,
            TweedieRegressor,
        )

        if self.family == "normal":
            if self.alpha == 0:
                return LinearRegression()
            # sklearn's GLM objective is deviance/(2 sum w) + alpha/2 |w|^2; Ridge's
            # is sum w r^2 + a |w|^2, so a = alpha * sum(w) gives the same optimum.
            total = float(sw.sum()) if sw is not None else None
            return _ScaledRidge(self.alpha, total, Ridge)
        common = dict(
            alpha=self.alpha, solver="newton-cholesky", max_iter=self.max_iter, tol=self.tol
        )
        if self.family == "poisson":
            return PoissonRegressor(**common)
        if self.family == "gamma":
            return GammaRegressor(**common)
        return TweedieRegressor(power=self.power, link="log", **common)

    def _wald_se(self, X, y, sw):
        eta = X @ self.coef_ + self.intercept_
        n, p = X.shape[0], np.count_nonzero(self.coef_) + 1
        dof = max(n - p, 1)
        if self.family == "normal":
            resid = y - eta
            w = np.ones(n)
            dispersion = np.average(resid**2, weights=sw) * n / dof
            return _standard_errors(X, eta, w, dispersion, sw)
        mu = np.exp(eta)
        power = {"poisson": 1.0, "gamma": 2.0}.get(self.family, self.power)
        w = mu ** (2.0 - power)  # (dmu/deta)^2 / V(mu) with V = mu^power, log link
        if self.family == "poisson":
            dispersion = 1.0
        else:
            pearson = (y - mu) ** 2 / mu**power
            dispersion = float(np.sum(pearson if sw is None else sw * pearson) / dof)
        return _standard_errors(X, eta, w, dispersion, sw)

    def linear_predictor(self, X) -> np.ndarray:
        """The linear predictor (link scale)."""
        X = check_X(self, X, reset=False)
        return X @ self.coef_ + self.intercept_

    def predict(self, X) -> np.ndarray:
        """E[y] of each row: the inverse link of the linear predictor.

        Returns an array of shape (n_rows,).
        """
        eta = self.linear_predictor(X)
        return eta if self.link_ == "identity" else np.exp(eta)

    def _output_names(self) -> tuple[str, ...]:
        return ("y",)


class _ScaledRidge:
    """Ridge with its penalty rescaled to scikit-learn's GLM convention."""

    def __init__(self, alpha, total, ridge_cls):
        self.alpha, self.total, self.ridge_cls = alpha, total, ridge_cls

    def fit(self, X, y, sample_weight=None):
        total = self.total if self.total is not None else float(X.shape[0])
        self.ridge_ = self.ridge_cls(alpha=self.alpha * total).fit(
            X, y, sample_weight=sample_weight
        )
        self.coef_, self.intercept_ = self.ridge_.coef_, self.ridge_.intercept_
        return self


class GLMClassifier(_LinearExplainMixin, GlassboxMixin, ClassifierMixin, BaseEstimator):
    """Logistic regression (binary and multinomial) on scikit-learn.

    Parameters
    ----------
    C : float
        Inverse penalty strength on standardized coefficients (scikit-learn's
        meaning); ``np.inf`` fits without a penalty.
    l1_ratio : float
        0 = ridge (L2), 1 = lasso (L1, sparse), between = elastic net.
    class_weight, max_iter, tol : as in ``sklearn.linear_model.LogisticRegression``.
    """

    traits = Traits(
        family="glm",
        additive=True,
        # sparse logistic: the L1 path gives a range of complexities
        complexity_grid={"C": (0.002, 0.005, 0.01, 0.03, 0.1, 1.0), "l1_ratio": (1.0,)},
        title="Generalized linear models",
    )

    _parameter_constraints = {
        "C": [Interval(Real, 0, None, closed="right")],  # np.inf = unpenalized
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, C=1.0, *, l1_ratio=0.0, class_weight=None, max_iter=1000, tol=1e-8):
        self.C = C
        self.l1_ratio = l1_ratio
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y, sample_weight=None):
        """Fit logistic regression on standardized features and map the coefficients back.

        Returns self.
        """
        from sklearn.linear_model import LogisticRegression

        self._validate_params()
        X, y = check_X_y(self, X, y, classifier=True)
        sw = check_sample_weight(sample_weight, X.shape[0])
        mean, scale = _standardize(X, sw)
        Xs = (X - mean) / scale
        self.estimator_ = LogisticRegression(
            C=self.C,
            l1_ratio=self.l1_ratio,
            class_weight=self.class_weight,
            solver="lbfgs" if self.l1_ratio == 0 else "saga",
            max_iter=self.max_iter,
            tol=self.tol,
        )
        self.estimator_.fit(Xs, y, sample_weight=sw)
        self.classes_ = self.estimator_.classes_
        self.n_iter_ = int(np.max(self.estimator_.n_iter_))
        coef, intercept = _unstandardize(
            self.estimator_.coef_, self.estimator_.intercept_, mean, scale
        )
        self.coef_, self.intercept_ = coef, intercept
        self.link_ = "logit" if len(self.classes_) == 2 else "softmax"
        self._store_training_summary(X)
        self.standard_errors_ = None
        if len(self.classes_) == 2 and not np.isfinite(self.C):
            p = expit(X @ self.coef_[0] + self.intercept_[0])
            self.standard_errors_ = _standard_errors(X, None, p * (1 - p), 1.0, sw)
        self.complexity_ = int(np.count_nonzero(np.any(self.coef_ != 0, axis=0)))
        return self

    def decision_function(self, X) -> np.ndarray:
        """Log-odds (binary, 1-D) or per-class scores (multiclass).

        Returns an array of shape (n_rows,) or (n_rows, n_classes).
        """
        X = check_X(self, X, reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities: logistic (binary) or softmax (multiclass) of the scores.

        Returns an array of shape (n_rows, n_classes).
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1 - p, p])
        return softmax(scores, axis=1)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row.

        Returns an array of shape (n_rows,).
        """
        proba = self.predict_proba(X)  # validates first, so unfitted -> NotFittedError
        return self.classes_[np.argmax(proba, axis=1)]

    def _output_names(self) -> tuple[str, ...]:
        names = class_names(self)
        return names[1:] if len(names) == 2 else names
