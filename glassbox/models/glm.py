"""Generalized linear models on scikit-learn.

Categorical columns (text, pandas category, bool) are one-hot encoded inside,
with reference coding (R's convention: the first level, sorted text or the
Categorical's own order, is the baseline; every other level gets one
coefficient, printed as ``Home: owner vs other``).

Features are standardized before fitting (as glmnet does), so a penalty treats
every feature alike and the solvers converge on raw data of any scale (a
column is first divided by a power of two near its largest value, which is
exact, so 1e300 or 1e-300 give the same model in the user's units); the fitted
coefficients are mapped back to the original units of each feature, so
``coef_`` and the printout read as "effect per unit of the feature".

Fits are unpenalized by default (statsmodels' and R's convention) and report
standard errors, 95% intervals and p-values. When the maximum-likelihood fit
does not exist (separated classes, collinear columns) the model says so in
``fallback_`` and fits a stated minimal ridge instead.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._validation import check_frame, check_frame_y, check_sample_weight
from ..base import GlassboxMixin, Traits, class_names
from ..explanation import GlobalExplanation, LocalExplanation

_LINK_OF_FAMILY = {"normal": "identity", "poisson": "log", "gamma": "log", "tweedie": "log"}

#: the ridge used when the unpenalized fit does not exist: penalty
#: RIDGE_FALLBACK * n / 2 * |b|^2 on standardized coefficients (n = sum of weights)
RIDGE_FALLBACK = 1e-4

#: the smallest singular value of the standardized design, relative to the
#: largest, below which columns count as collinear
_COLLINEAR_RTOL = 1e-9


def _pow2(a: np.ndarray) -> np.ndarray:
    """Powers of two near |a| (1 where a is 0 or not finite): dividing by them is exact."""
    a = np.abs(np.asarray(a, dtype=float))
    ok = np.isfinite(a) & (a > 0)
    out = np.ones_like(a)
    out[ok] = np.exp2(np.round(np.log2(a[ok])))
    return out


def _standardize(X: np.ndarray, sw: np.ndarray | None):
    """Weighted column means and standard deviations, safe at any scale: the
    squares are taken after an exact power-of-two rescaling, so 1e300 does not
    overflow and 1e-300 does not underflow."""
    pre = _pow2(np.max(np.abs(X), axis=0)) if X.shape[0] else np.ones(X.shape[1])
    Z = X / pre
    mean = np.average(Z, axis=0, weights=sw)
    sd = np.sqrt(np.average((Z - mean) ** 2, axis=0, weights=sw))
    sd[~(sd > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0  # constant columns
    return mean * pre, sd * pre


def _unstandardize(coef_std: np.ndarray, intercept_std, mean, scale):
    coef = coef_std / scale
    # coef @ mean in standardized units, where the products stay O(1)
    return coef, intercept_std - (coef_std * (mean / scale)).sum(axis=-1)


def _inference(cov_std, mean, scale, y_scale: float = 1.0):
    """Standard errors of (intercept, coefs) in original units from the covariance
    of the standardized fit; computed without squaring original-unit numbers, so
    they stay finite for features of any scale."""
    diag = np.diag(cov_std)
    if not np.all(np.isfinite(diag)) or (diag < 0).any():
        return None
    se_coef = np.sqrt(diag[1:]) / scale
    v = np.concatenate([[1.0], -mean / scale])
    var0 = float(v @ cov_std @ v)
    if not var0 >= 0:
        return None
    return np.concatenate([[np.sqrt(var0)], se_coef]) * y_scale


def _covariance(Xs: np.ndarray, w: np.ndarray, dispersion: float):
    """Inverse Fisher information of (intercept, coefs) on the standardized design."""
    Xa = np.column_stack([np.ones(len(Xs)), Xs])
    info = Xa.T @ (Xa * w[:, None])
    try:
        return np.linalg.inv(info) * dispersion
    except np.linalg.LinAlgError:
        return None


def _multinomial_se(Xs, est, w, mean, scale) -> np.ndarray | None:
    """(K, p + 1) standard errors of the multinomial coefficients as scikit-learn
    reports them (each term's coefficients sum to zero over the classes, the
    unpenalized fit's identifiable form), intercept first.

    The Fisher information is that of the K - 1 contrasts with the first class
    (R's nnet::multinom / statsmodels' MNLogit parameters); the sum-to-zero
    coefficients are the linear map beta_k = theta_k - mean_j theta_j of those
    contrasts (theta_0 = 0), so their covariance is A cov(theta) A'."""
    K = len(est.classes_)
    Xa = np.column_stack([np.ones(len(Xs)), Xs])
    q = Xa.shape[1]
    P = softmax(Xs @ est.coef_.T + est.intercept_, axis=1)
    info = np.empty(((K - 1) * q, (K - 1) * q))
    for a in range(1, K):
        for b in range(a, K):
            v = w * ((P[:, a] if a == b else 0.0) - P[:, a] * P[:, b])
            block = Xa.T @ (Xa * v[:, None])
            ia, ib = (a - 1) * q, (b - 1) * q
            info[ia : ia + q, ib : ib + q] = block
            info[ib : ib + q, ia : ia + q] = block.T
    try:
        cov_theta = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return None
    A = np.eye(K)[:, 1:] - 1.0 / K  # (K, K - 1): beta_k = sum_j A[k, j] theta_j
    out = np.empty((K, q))
    blocks = cov_theta.reshape(K - 1, q, K - 1, q)
    for k in range(K):
        cov_k = np.einsum("j,m,jamb->ab", A[k], A[k], blocks)
        se = _inference(cov_k, mean, scale)
        if se is None:
            return None
        out[k] = se
    return out


def _tests(coef_all: np.ndarray, se: np.ndarray | None, dof: int | None):
    """(p-values, 95% intervals) of Wald tests: z (dof None) or t with ``dof``."""
    from scipy import stats

    if se is None:
        return None, None
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = coef_all / se
    dist = stats.norm if dof is None else stats.t(dof)
    p = 2 * dist.sf(np.abs(stat))
    q = dist.ppf(0.975)
    return p, np.stack([coef_all - q * se, coef_all + q * se], axis=-1)


def _term_name(column: str, level, reference) -> str:
    if level is None:
        return column
    return f"{column}: {level} vs {reference}"


def _collinear(Xs: np.ndarray, sw, names: list[str]) -> str | None:
    """A sentence naming linearly dependent columns (constant ones included), or None."""
    n, p = Xs.shape
    if p == 0:
        return None
    w = np.ones(n) if sw is None else sw
    Zc = (Xs - np.average(Xs, axis=0, weights=w)) * np.sqrt(w)[:, None]
    if n <= p:
        return f"collinearity: {p} terms but only {n} rows, so some terms are linearly dependent"
    _, s, vt = np.linalg.svd(Zc, full_matrices=False)
    if s[-1] > _COLLINEAR_RTOL * max(s[0], 1e-300):
        return None
    v = np.abs(vt[-1])
    involved = [names[j] for j in np.argsort(-v) if v[j] > 0.01 * v.max()][:6]
    if len(involved) == 1:
        return f"collinearity: {involved[0]} is constant on the training rows"
    return "collinearity: " + ", ".join(involved) + " are linearly dependent"


def _separation(Xs: np.ndarray, codes: np.ndarray, n_classes: int, names, keep) -> str | None:
    """A sentence naming the terms along which a class is (quasi-)separated, or None.

    Konis' linear program (as R's detectseparation): find a direction b with
    s_i * [1, x_i] @ b >= 0 for every row, s_i = +1 for the class and -1 for the
    rest; a non-zero optimum of sum_i s_i [1, x_i] @ b means the likelihood keeps
    growing along b, so the maximum-likelihood estimate does not exist."""
    from scipy.optimize import linprog

    Xa = np.column_stack([np.ones(len(Xs)), Xs])[keep]
    codes = codes[keep]
    targets = [1] if n_classes == 2 else range(n_classes)
    for k in targets:
        s = np.where(codes == k, 1.0, -1.0)
        A = -(s[:, None] * Xa)
        res = linprog(
            A.sum(axis=0),  # minimize -sum_i s_i x_i b, i.e. maximize the total margin
            A_ub=A,
            b_ub=np.zeros(len(s)),
            bounds=[(-1, 1)] * Xa.shape[1],
            method="highs",
        )
        if res.status == 0 and -res.fun > 1e-5 * len(s):
            b = np.abs(res.x[1:])
            who = [names[j] for j in np.argsort(-b) if b[j] > 0.05 * max(b.max(), 1e-300)][:4]
            along = ", ".join(who) if who else "the intercept"
            return f"separation: the classes are (quasi-)separated along {along}"
    return None


class _LinearExplainMixin:
    """Centred linear contributions: coef * (x - training mean), on the link scale.

    With the training rows as background these are exactly linear SHAP values;
    the dummies of a categorical column are summed into that column's one
    contribution.
    """

    def _coef_2d(self) -> np.ndarray:
        return np.atleast_2d(self.coef_)

    def _by_column(self, per_term: np.ndarray) -> np.ndarray:
        """Per-term numbers (..., n_terms, k) summed into their input columns
        (..., n_columns, k): a categorical column's level dummies become one."""
        names = list(self.input_schema_.names)
        owner = np.array([names.index(c) for c, _, _ in self.term_columns_], dtype=int)
        out = np.zeros((*per_term.shape[:-2], len(names), per_term.shape[-1]))
        for j in range(len(names)):
            out[..., j, :] = per_term[..., owner == j, :].sum(axis=-2)
        return out

    def _design(self, X):
        """(validated frame, design matrix) of X at predict."""
        frame = check_frame(self, X, reset=False)
        return frame, self.input_schema_.one_hot(frame)

    def explain_local(self, X) -> LocalExplanation:
        """Contributions coef_j * (x_j - training mean of x_j), on the link scale,
        one per input column (a categorical column's dummies summed).

        Returns a LocalExplanation: base value + contributions = the linear predictor of
        each row; with the training rows as background these are exact linear SHAP values.
        """
        frame, D = self._design(X)
        coef = self._coef_2d()  # (n_outputs, n_terms)
        intercept = np.atleast_1d(self.intercept_)
        per_term = (D - self.X_mean_)[:, :, None] * coef.T[None, :, :]
        values = self._by_column(per_term)
        base = intercept + (coef * self.X_mean_).sum(axis=1)
        base_values = np.broadcast_to(base, (D.shape[0], coef.shape[0])).copy()
        if coef.shape[0] == 1:
            values, base_values = values[:, :, 0], base_values[:, 0]
        categorical = bool(self.input_schema_.categorical)
        data = frame.to_numpy(dtype=object) if categorical else D
        return LocalExplanation(
            values=values,
            base_values=base_values,
            data=data,
            feature_names=tuple(self.feature_names_),
            output_names=self._output_names(),
            link=self.link_,
            method="linear",
        )

    def explain_global(self) -> GlobalExplanation:
        """Coefficients (original units, one per term: numeric columns and the
        non-reference levels of categorical ones), their standard errors, 95%
        intervals and p-values when unpenalized, and importances (mean
        |contribution| on the training rows).

        Returns a GlobalExplanation.
        """
        check_is_fitted(self)
        coef = self._coef_2d()
        importances = (np.abs(coef) * self.X_mad_).T  # mean |contribution| per term
        coefficients = coef.T
        if coef.shape[0] == 1:
            importances, coefficients = importances[:, 0], coefficients[:, 0]
        return GlobalExplanation(
            term_names=tuple(self.term_names_),
            importances=importances,
            intercept=np.atleast_1d(self.intercept_).astype(float),
            output_names=self._output_names(),
            link=self.link_,
            method="glm",
            coefficients=coefficients,
            extras={
                "standard_errors": self.standard_errors_,
                "p_values": self.p_values_,
                "conf_int": self.conf_int_,
                "statistic": self.statistic_,
                "penalty": self.penalty_,
                "fallback": self.fallback_,
                "term_columns": [tuple(t) for t in self.term_columns_],
            },
        )

    def _store_design(self) -> None:
        schema = self.input_schema_
        self.term_columns_ = [list(t) for t in schema.one_hot_columns()]
        self.term_names_ = [_term_name(*t) for t in self.term_columns_]

    def _store_training_summary(self, X: np.ndarray, mean, scale) -> None:
        self.X_mean_ = mean
        # mean |x - mean| in standardized units times the scale: no overflow at 1e300
        self.X_mad_ = np.abs((X - mean) / scale).mean(axis=0) * scale
        self.X_std_ = np.sqrt(((X - mean) / scale).var(axis=0)) * scale  # effects per SD
        self.n_train_ = X.shape[0]

    def _set_inference(self, coef_all, se, dof) -> None:
        self.standard_errors_ = se
        self.p_values_, self.conf_int_ = _tests(coef_all, se, dof)
        self.statistic_ = None if se is None else ("z" if dof is None else "t")
        self.dof_ = dof


class GLMRegressor(_LinearExplainMixin, GlassboxMixin, RegressorMixin, BaseEstimator):
    """Generalized linear regression: normal, Poisson, gamma or Tweedie family.

    Text / category / bool columns are one-hot encoded inside with reference
    coding (the first level is the baseline). Unpenalized by default, with
    standard errors, 95% intervals and p-values (t tests where the dispersion
    is estimated, z for Poisson), as R's ``glm``.

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

    traits = Traits(
        family="glm", additive=True, categorical=True, title="Generalized linear models"
    )

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
        frame, y = check_frame_y(self, X, y, classifier=False)
        X = self.input_schema_.one_hot(frame)
        self._store_design()
        sw = check_sample_weight(sample_weight, X.shape[0])
        self._check_target(y)
        self.link_ = _LINK_OF_FAMILY[self.family]
        mean, scale = _standardize(X, sw)
        Xs = (X - mean) / scale
        # y in units near 1: exact (a power of two) for the normal family; for the
        # log link only at extreme scales, where it shifts the intercept by log(scale)
        ymax = float(np.max(np.abs(y))) if len(y) else 1.0
        if self.family == "normal":
            y_scale = float(_pow2(ymax))
        elif ymax > 1e100 or 0 < ymax < 1e-100:
            y_scale = float(_pow2(ymax))
        else:
            y_scale = 1.0
        ys = y / y_scale
        self.alpha_ = float(self.alpha)
        self.fallback_ = None
        if self.alpha == 0:
            self.fallback_ = _collinear(Xs, sw, self.term_names_)
            if self.fallback_ is not None:
                self.alpha_ = RIDGE_FALLBACK
        self.estimator_ = self._make_estimator(sw, self.alpha_)
        with warnings.catch_warnings():
            # the collinearity it warns of is detected and stated in fallback_
            warnings.filterwarnings("ignore", message=".*newton-cholesky.*")
            self.estimator_.fit(Xs, ys, sample_weight=sw)
        coef_std = np.asarray(self.estimator_.coef_, dtype=float)
        icpt_std = float(self.estimator_.intercept_)
        if self.link_ == "identity":
            coef_std, icpt_std = coef_std * y_scale, icpt_std * y_scale
        else:
            icpt_std += np.log(y_scale)
        self.coef_, self.intercept_ = _unstandardize(coef_std, icpt_std, mean, scale)
        self.intercept_ = float(self.intercept_)
        self._store_training_summary(X, mean, scale)
        self.penalty_ = self._penalty_text()
        se, dof = (None, None)
        if self.alpha_ == 0:
            se, dof = self._wald_se(Xs, ys, sw, y_scale, mean, scale)
        self._set_inference(np.concatenate([[self.intercept_], self.coef_]), se, dof)
        self.n_iter_ = int(np.max(getattr(self.estimator_, "n_iter_", 1) or 1))
        self.complexity_ = int(np.count_nonzero(self.coef_))
        return self

    def _penalty_text(self) -> str:
        if self.fallback_ is not None:
            return (
                f"minimal ridge alpha={self.alpha_:g} on standardized coefficients, because "
                f"the unpenalized fit does not exist ({self.fallback_})"
            )
        if self.alpha_ == 0:
            return "none (maximum likelihood)"
        return f"ridge (L2) alpha={self.alpha_:g} on standardized coefficients"

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

    def _make_estimator(self, sw, alpha: float):
        from sklearn.linear_model import (
            GammaRegressor,
            LinearRegression,
            PoissonRegressor,
            Ridge,
            TweedieRegressor,
        )

        if self.family == "normal":
            if alpha == 0:
                return LinearRegression()
            # sklearn's GLM objective is deviance/(2 sum w) + alpha/2 |w|^2; Ridge's
            # is sum w r^2 + a |w|^2, so a = alpha * sum(w) gives the same optimum.
            total = float(sw.sum()) if sw is not None else None
            return _ScaledRidge(alpha, total, Ridge)
        common = dict(alpha=alpha, solver="newton-cholesky", max_iter=self.max_iter, tol=self.tol)
        if self.family == "poisson":
            return PoissonRegressor(**common)
        if self.family == "gamma":
            return GammaRegressor(**common)
        return TweedieRegressor(power=self.power, link="log", **common)

    def _wald_se(self, Xs, ys, sw, y_scale, mean, scale):
        """Standard errors from the Fisher information of the standardized fit
        (y in its internal units), mapped back; t tests where the dispersion is
        estimated (normal, gamma, Tweedie), z for Poisson, as R's glm."""
        b = np.asarray(self.estimator_.coef_, dtype=float)
        eta = Xs @ b + float(self.estimator_.intercept_)
        n = Xs.shape[0]
        p = Xs.shape[1] + 1
        dof = max(n - p, 1)
        if self.family == "normal":
            resid = ys - eta
            w = np.ones(n)
            dispersion = float(np.sum(resid**2 if sw is None else sw * resid**2) / dof)
            cov = _covariance(Xs, w if sw is None else sw, dispersion)
            return (None if cov is None else _inference(cov, mean, scale, y_scale)), dof
        mu = np.exp(eta)
        power = {"poisson": 1.0, "gamma": 2.0}.get(self.family, self.power)
        w = mu ** (2.0 - power)  # (dmu/deta)^2 / V(mu) with V = mu^power, log link
        if self.family == "poisson":
            dispersion, t_dof = 1.0, None
        else:
            pearson = (ys - mu) ** 2 / mu**power
            dispersion = float(np.sum(pearson if sw is None else sw * pearson) / dof)
            t_dof = dof
        cov = _covariance(Xs, w if sw is None else w * sw, dispersion)
        return (None if cov is None else _inference(cov, mean, scale)), t_dof

    def linear_predictor(self, X) -> np.ndarray:
        """The linear predictor (link scale)."""
        _, D = self._design(X)
        return D @ self.coef_ + self.intercept_

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

    Unpenalized by default, as statsmodels and R fit it, with standard errors,
    95% Wald intervals and p-values (binary targets). Text / category / bool
    columns are one-hot encoded inside with reference coding. When the
    unpenalized fit does not exist (classes separated by some combination of
    terms, or collinear columns) ``fallback_`` says why and a minimal ridge
    (``RIDGE_FALLBACK``) is fitted instead, without standard errors.

    Parameters
    ----------
    C : float
        Inverse penalty strength on standardized coefficients (scikit-learn's
        meaning); ``np.inf`` (default) fits without a penalty. A finite C is
        an opt-in penalty, stated in the printout.
    l1_ratio : float
        With a finite C: 0 = ridge (L2), 1 = lasso (L1, sparse), between = elastic net.
    class_weight, max_iter, tol : as in ``sklearn.linear_model.LogisticRegression``.
    """

    traits = Traits(
        family="glm",
        additive=True,
        categorical=True,
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

    def __init__(self, C=np.inf, *, l1_ratio=0.0, class_weight=None, max_iter=1000, tol=1e-8):
        self.C = C
        self.l1_ratio = l1_ratio
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y, sample_weight=None):
        """Fit logistic regression on standardized features and map the coefficients back.

        Returns self.
        """
        from sklearn.utils.class_weight import compute_sample_weight

        self._validate_params()
        frame, y = check_frame_y(self, X, y, classifier=True)
        X = self.input_schema_.one_hot(frame)
        self._store_design()
        sw = check_sample_weight(sample_weight, X.shape[0])
        self.classes_, codes = np.unique(y, return_inverse=True)
        w = np.ones(len(y)) if sw is None else sw.copy()
        if self.class_weight is not None:
            w = w * compute_sample_weight(self.class_weight, y)
        mean, scale = _standardize(X, sw)
        Xs = (X - mean) / scale
        self.C_ = float(self.C)
        self.fallback_ = None
        self.estimator_ = None
        if np.isinf(self.C):
            self.fallback_ = _collinear(Xs, sw, self.term_names_)
            run_lp = Xs.shape[0] * (Xs.shape[1] + 1) <= 200_000
            if self.fallback_ is None and not run_lp:
                # the linear program is exact but costs seconds on large data; there it
                # runs only when the fit shows the signs of separation (saturated rows
                # or no convergence), which a separated fit cannot avoid
                self.estimator_ = self._fit_backend(Xs, y, sw, self.C_)
                scores = self.estimator_.decision_function(Xs)
                run_lp = (
                    np.max(np.abs(scores)) > 10 or np.max(self.estimator_.n_iter_) >= self.max_iter
                )
            if self.fallback_ is None and run_lp:
                self.fallback_ = _separation(Xs, codes, len(self.classes_), self.term_names_, w > 0)
            if self.fallback_ is not None:
                self.C_ = 1.0 / (RIDGE_FALLBACK * float(w.sum()))
                self.estimator_ = None
        if self.estimator_ is None:
            self.estimator_ = self._fit_backend(Xs, y, sw, self.C_)
        self.n_iter_ = int(np.max(self.estimator_.n_iter_))
        coef_std, icpt_std = self.estimator_.coef_, self.estimator_.intercept_
        if len(self.classes_) > 2:
            # the multinomial scores are identified up to a shift common to all
            # classes; sum-to-zero over the classes is the form the standard errors
            # refer to (the solver's own, up to its tolerance)
            coef_std = coef_std - coef_std.mean(axis=0)
            icpt_std = icpt_std - icpt_std.mean()
        coef, intercept = _unstandardize(coef_std, icpt_std, mean, scale)
        self.coef_, self.intercept_ = coef, np.atleast_1d(intercept)
        self.link_ = "logit" if len(self.classes_) == 2 else "softmax"
        self._store_training_summary(X, mean, scale)
        self.penalty_ = self._penalty_text()
        se = None
        if len(self.classes_) == 2 and np.isinf(self.C_):
            b = self.estimator_.coef_[0]
            p = expit(Xs @ b + self.estimator_.intercept_[0])
            cov = _covariance(Xs, p * (1 - p) * w, 1.0)
            se = None if cov is None else _inference(cov, mean, scale)
            coef_all = np.concatenate([self.intercept_[:1], self.coef_[0]])
        else:
            coef_all = np.column_stack([self.intercept_, self.coef_])  # (K, p + 1)
            if np.isinf(self.C_):
                se = _multinomial_se(Xs, self.estimator_, w, mean, scale)
        self._set_inference(coef_all, se, None)
        self.complexity_ = int(np.count_nonzero(np.any(self.coef_ != 0, axis=0)))
        return self

    def _fit_backend(self, Xs, y, sw, C):
        from sklearn.linear_model import LogisticRegression

        l1 = self.l1_ratio if np.isfinite(self.C) else 0.0
        est = LogisticRegression(
            C=C,
            l1_ratio=l1,
            class_weight=self.class_weight,
            solver="lbfgs" if l1 == 0 else "saga",
            max_iter=self.max_iter,
            tol=self.tol,
        )
        with warnings.catch_warnings():
            # scikit-learn's advice to scale the data: it is standardized already
            warnings.filterwarnings("ignore", message=".*scal.*", category=UserWarning)
            est.fit(Xs, y, sample_weight=sw)
        return est

    def _penalty_text(self) -> str:
        if self.fallback_ is not None:
            return (
                f"minimal ridge C={self.C_:.4g} on standardized coefficients, because the "
                f"unpenalized fit does not exist ({self.fallback_})"
            )
        if np.isinf(self.C_):
            return "none (maximum likelihood)"
        kind = {0.0: "ridge (L2)", 1.0: "lasso (L1)"}.get(float(self.l1_ratio), "elastic net")
        extra = "" if self.l1_ratio in (0, 1) else f", l1_ratio={self.l1_ratio:g}"
        return f"{kind} C={self.C_:g}{extra} on standardized coefficients"

    def decision_function(self, X) -> np.ndarray:
        """Log-odds (binary, 1-D) or per-class scores (multiclass).

        Returns an array of shape (n_rows,) or (n_rows, n_classes).
        """
        _, D = self._design(X)
        scores = D @ self.coef_.T + self.intercept_
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
