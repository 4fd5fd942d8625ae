"""Explainable Boosting Machines (GA2M) on interpret.

An EBM is a lookup table per term: each feature is cut into bins, each pair
term into a grid of (coarser) bins, and the model output on the link scale is
``intercept + sum of the looked-up scores``. The wrapper passes every one of
interpret's parameters through with interpret's defaults, and reads the
explanation straight from interpret's own tables (``eval_terms``), so local
contributions add up to interpret's ``decision_function`` exactly.

NaN is accepted natively (interpret's separate "missing" bin). The input
frame reaches interpret as the user gave it (columns checked and matched by
name first): pandas Categorical columns stay Categorical (an ordered one is
ordinal, its level order kept), text columns stay text, so the model is the
one interpret fits on that frame, and unseen levels go to interpret's own
"unseen" bin.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._validation import check_frame, check_frame_y, check_sample_weight
from ..base import GlassboxMixin, Traits, class_names, encode_labels, progress_ticker
from ..explanation import GlobalExplanation, LocalExplanation, TermShape

#: interpret's link names -> the names our explanations use
_LINKS = {"identity": "identity", "log": "log", "logit": "logit", "mlogit": "softmax"}

_COMMON = (
    "feature_types",
    "max_bins",
    "max_interaction_bins",
    "interactions",
    "exclude",
    "validation_size",
    "outer_bags",
    "inner_bags",
    "learning_rate",
    "greedy_ratio",
    "cyclic_progress",
    "smoothing_rounds",
    "interaction_smoothing_rounds",
    "max_rounds",
    "early_stopping_rounds",
    "early_stopping_tolerance",
    "min_samples_leaf",
    "min_hessian",
    "reg_alpha",
    "reg_lambda",
    "max_delta_step",
    "gain_scale",
    "min_cat_samples",
    "cat_smooth",
    "missing",
    "max_leaves",
    "monotone_constraints",
    "objective",
    "n_jobs",
    "random_state",
)

#: regression objectives whose fit maps back from y / (a power of two) to y's units
#: (identity link: the scores scale; log link: the intercept shifts)
_SCALABLE = {"rmse", "poisson_deviance", "tweedie_deviance", "gamma_deviance"}

_OPT_NONNEG = [Interval(Real, 0, None, closed="left"), None]


#: one bag instead of 14, three pairs, one core
_QUICK = {"outer_bags": 1, "interactions": 3, "max_rounds": 1000, "n_jobs": 1}


class _BaseEBM(GlassboxMixin):
    traits = Traits(
        family="ebm",
        additive=True,
        categorical=True,
        allow_nan=True,
        quick_params=_QUICK,
        title="Explainable boosting machines",
    )

    _parameter_constraints = {
        "feature_types": ["array-like", None],
        "max_bins": [Interval(Integral, 3, None, closed="left")],
        "max_interaction_bins": [Interval(Integral, 3, None, closed="left")],
        "interactions": "no_validation",  # int, fraction, "3x" or explicit pairs
        "exclude": ["array-like", None],
        "validation_size": [Interval(Real, 0, None, closed="left"), None],
        "outer_bags": [Interval(Integral, 1, None, closed="left")],
        "inner_bags": [Interval(Integral, 0, None, closed="left"), None],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "greedy_ratio": _OPT_NONNEG,
        "cyclic_progress": ["boolean", Interval(Real, 0, 1, closed="both")],
        "smoothing_rounds": [Interval(Integral, 0, None, closed="left"), None],
        "interaction_smoothing_rounds": [Interval(Integral, 0, None, closed="left"), None],
        "max_rounds": [Interval(Integral, 0, None, closed="left"), None],
        "early_stopping_rounds": [Interval(Integral, 0, None, closed="left"), None],
        "early_stopping_tolerance": [Interval(Real, None, None, closed="neither"), None],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left"), None],
        "min_hessian": _OPT_NONNEG,
        "reg_alpha": _OPT_NONNEG,
        "reg_lambda": _OPT_NONNEG,
        "max_delta_step": _OPT_NONNEG,
        "gain_scale": _OPT_NONNEG,
        "min_cat_samples": [Interval(Integral, 0, None, closed="left"), None],
        "cat_smooth": _OPT_NONNEG,
        "missing": [StrOptions({"separate", "low", "high", "gain"})],
        "max_leaves": [Interval(Integral, 2, None, closed="left")],
        "monotone_constraints": ["array-like", None],
        "objective": [str],
        "n_jobs": [Integral, None],
        "random_state": [Interval(Integral, None, None, closed="neither"), None],
        "verbose": ["boolean"],
    }

    def _fit_ebm(self, cls, frame, y, sample_weight):
        sw = check_sample_weight(sample_weight, frame.shape[0])
        n_train = frame.shape[0]
        if sw is not None and not (sw > 0).all():
            # rows of weight 0 are absent rows (interpret refuses zero weights)
            keep = sw > 0
            if hasattr(self, "classes_") and np.unique(y[keep]).size < 2:
                raise ValueError(
                    "only one class has non-zero sample_weight: a single class cannot be "
                    "learned; give rows of at least 2 classes a positive weight"
                )
            frame, y, sw = frame.iloc[keep], y[keep], sw[keep]
        params = {k: getattr(self, k) for k in _COMMON}
        self.estimator_ = cls(feature_names=list(self.feature_names_), **params)
        Xb = frame
        # interpret's boosting collapses for a target beyond about 2**60 (or below
        # 2**-60): such a y is fitted in units near 1 and the tables are mapped back
        # to the user's units (exact for rmse, which is equivariant under a
        # power-of-two scaling; for the log-link objectives it is the fit interpret
        # gives in units near 1, where its own tolerances are set)
        y_scale = 1.0
        if not hasattr(self, "classes_") and len(y):
            ymax = float(np.max(np.abs(y)))
            if ymax > 2.0**50 or 0 < ymax < 2.0**-50:
                if str(self.objective).split(":")[0] in _SCALABLE:
                    y_scale = float(np.exp2(np.round(np.log2(ymax))))
                    y = y / y_scale
                else:
                    warnings.warn(
                        f"y reaches {ymax:g}, a scale at which interpret's boosting collapses "
                        f"and objective={self.objective!r} cannot be rescaled exactly: divide "
                        "y by a power of ten first",
                        UserWarning,
                        stacklevel=3,
                    )
        bags = f"{self.outer_bags} bag{'s' if self.outer_bags != 1 else ''}"
        with (
            progress_ticker(f"EBM: interpret boosting {bags}", enabled=self.verbose),
            warnings.catch_warnings(),
        ):
            # these two speak of interpret's own plots, which glassbox does not use
            warnings.filterwarnings(
                "ignore", message="Missing values detected", category=UserWarning
            )
            warnings.filterwarnings(
                "ignore", message="For multiclass we cannot", category=UserWarning
            )
            self.estimator_.fit(Xb, y, sample_weight=sw)
        if y_scale != 1.0:
            self._unscale_target(y_scale)
        self.link_ = _LINKS.get(self.estimator_.link_, self.estimator_.link_)
        self.term_names_ = [str(t) for t in self.estimator_.term_names_]
        self.term_features_ = [tuple(int(i) for i in t) for t in self.estimator_.term_features_]
        contrib = self.estimator_.eval_terms(Xb)
        self.term_importances_ = np.abs(contrib).mean(axis=0)
        self.n_train_ = n_train
        self.complexity_ = len(self.term_features_)
        return self

    def _unscale_target(self, y_scale: float) -> None:
        """Map a model fitted on y / y_scale back to y's units."""
        ebm = self.estimator_
        if ebm.link_ == "identity":
            ebm.term_scores_ = [t * y_scale for t in ebm.term_scores_]
            ebm.bagged_scores_ = [t * y_scale for t in ebm.bagged_scores_]
            ebm.standard_deviations_ = [t * y_scale for t in ebm.standard_deviations_]
            ebm.intercept_ = ebm.intercept_ * y_scale
            ebm.bagged_intercept_ = ebm.bagged_intercept_ * y_scale
        elif ebm.link_ == "log":
            ebm.intercept_ = ebm.intercept_ + np.log(y_scale)
            ebm.bagged_intercept_ = ebm.bagged_intercept_ + np.log(y_scale)
        else:  # _SCALABLE lists only objectives with those two links
            raise AssertionError(f"cannot map a {ebm.link_!r} link back to y's units")
        for name in ("min_target_", "max_target_"):
            if hasattr(ebm, name):
                setattr(ebm, name, getattr(ebm, name) * y_scale)

    def _prepare(self, X):
        """X checked against the schema (names, kinds), as interpret takes it."""
        return check_frame(self, X, reset=False)

    def _intercept(self) -> np.ndarray:
        return np.atleast_1d(np.asarray(self.estimator_.intercept_, dtype=float))

    def link_output(self, X) -> np.ndarray:
        """Link-scale output (n,) or (n, n_classes): intercept + sum of term scores."""
        Xb = self._prepare(X)
        return self.estimator_.eval_terms(Xb).sum(axis=1) + self._intercept()

    def explain_local(self, X) -> LocalExplanation:
        """Each term's looked-up score (interpret's ``eval_terms``), one column per term.

        Returns a LocalExplanation: base value (the intercept) + contributions = interpret's
        ``decision_function`` (the link-scale output) of each row.
        """
        Xb = self._prepare(X)
        values = np.asarray(self.estimator_.eval_terms(Xb), dtype=float)
        intercept = self._intercept()
        n = values.shape[0]
        base = np.broadcast_to(intercept, (n, intercept.size)).copy()
        if values.ndim == 2:
            base = base[:, 0]
        data = Xb.to_numpy(dtype=object if self.input_schema_.categorical else np.float64)
        # the LocalExplanation's columns are the terms, so data gets one column per term
        data = (
            np.column_stack(
                [data[:, t[0]] if len(t) == 1 else np.full(n, np.nan) for t in self.term_features_]
            )
            if n
            else np.empty((0, len(self.term_features_)))
        )
        return LocalExplanation(
            values=values,
            base_values=base,
            data=data,
            feature_names=tuple(self.term_names_),
            output_names=self._output_names(),
            link=self.link_,
            method="ebm",
        )

    def _feature_grid(self, f: int, level: int):
        """Grid labels of feature ``f`` at binning ``level`` (0 mains, 1 pairs),
        the number of non-missing, non-unseen bins and the cut points (None for
        a categorical feature)."""
        bins = self.estimator_.bins_[f]
        b = bins[min(level, len(bins) - 1)]
        if isinstance(b, dict):
            labels = np.array(sorted(b, key=b.get), dtype=object)
            return labels, len(labels), None
        lo, hi = self.estimator_.feature_bounds_[f]
        edges = np.concatenate([[lo], b, [hi]])
        return (edges[:-1] + edges[1:]) / 2, len(b) + 1, np.array(b, dtype=float)

    def _term_std(self, t: int, inner: tuple[slice, ...]) -> np.ndarray | None:
        """interpret's ``standard_deviations_`` of term ``t`` (the spread of each
        bin's score across the outer bags) on the inner bins, or None when there is
        no spread to show: one bag, or a term interpret left without one."""
        ebm = self.estimator_
        stds = getattr(ebm, "standard_deviations_", None)
        if stds is None or stds[t] is None or len(getattr(ebm, "bag_weights_", ())) < 2:
            return None
        return np.asarray(stds[t], dtype=float)[inner].copy()

    def explain_global(self) -> GlobalExplanation:
        """Every term's lookup table (mains and pairs) with bin densities, and its
        importance (mean |score| on the training rows). With two or more outer bags,
        each shape carries interpret's per-bin standard deviation across the bags
        (``std``) and the band ``values -/+ std`` (``lower`` / ``upper``).

        Returns a GlobalExplanation.
        """
        check_is_fitted(self)
        ebm = self.estimator_
        names = self.feature_names_
        shapes = []
        for t, feats in enumerate(self.term_features_):
            scores = np.asarray(ebm.term_scores_[t], dtype=float)
            weights = np.asarray(ebm.bin_weights_[t], dtype=float)
            level = len(feats) - 1
            grids, sizes, cuts = zip(*(self._feature_grid(f, level) for f in feats))
            inner = tuple(slice(1, 1 + s) for s in sizes)  # drop the missing and unseen bins
            if len(feats) == 1:
                kind = (
                    "categorical"
                    if ebm.feature_types_in_[feats[0]] in ("nominal", "ordinal")
                    else "continuous"
                )
            else:
                kind = "pair"
            std = self._term_std(t, inner)
            values = scores[inner]
            shapes.append(
                TermShape(
                    name=self.term_names_[t],
                    features=tuple(names[f] for f in feats),
                    kind=kind,
                    grid=tuple(grids),
                    values=values,
                    lower=None if std is None else values - std,
                    upper=None if std is None else values + std,
                    density=weights[inner],
                    cuts=cuts,
                    lookup=scores.copy(),
                    std=std,
                )
            )
        imp = self.term_importances_
        n_bags = len(getattr(ebm, "bag_weights_", ()))
        extras = {}
        if any(s.std is not None for s in shapes):
            extras["band"] = (
                f"± sd: the standard deviation of a score across the {n_bags} outer bags"
            )
        return GlobalExplanation(
            term_names=tuple(self.term_names_),
            importances=imp,
            intercept=self._intercept(),
            output_names=self._output_names(),
            link=self.link_,
            method="ebm",
            shapes=tuple(shapes),
            extras=extras,
        )


class EBMRegressor(_BaseEBM, RegressorMixin, BaseEstimator):
    """Explainable Boosting regressor (interpret's ExplainableBoostingRegressor).

    Every parameter is interpret's, with interpret's default (``outer_bags=14``,
    ``interactions="5x"``, ``max_bins=1024``, ...); see interpret's
    documentation. ``monotone_constraints`` is one of -1/0/+1 per feature.
    ``verbose`` (glassbox's): a progress line with the elapsed time once the
    fit has taken 2 s; False silences it.
    """

    def __init__(
        self,
        *,
        feature_types=None,
        max_bins=1024,
        max_interaction_bins=64,
        interactions="5x",
        exclude=None,
        validation_size=0.15,
        outer_bags=14,
        inner_bags=0,
        learning_rate=0.04,
        greedy_ratio=10.0,
        cyclic_progress=False,
        smoothing_rounds=500,
        interaction_smoothing_rounds=100,
        max_rounds=50000,
        early_stopping_rounds=100,
        early_stopping_tolerance=1e-5,
        min_samples_leaf=4,
        min_hessian=0.0,
        reg_alpha=0.0,
        reg_lambda=0.0,
        max_delta_step=0.0,
        gain_scale=5.0,
        min_cat_samples=10,
        cat_smooth=10.0,
        missing="separate",
        max_leaves=2,
        monotone_constraints=None,
        objective="rmse",
        n_jobs=-2,
        random_state=42,
        verbose=True,
    ):
        self.feature_types = feature_types
        self.max_bins = max_bins
        self.max_interaction_bins = max_interaction_bins
        self.interactions = interactions
        self.exclude = exclude
        self.validation_size = validation_size
        self.outer_bags = outer_bags
        self.inner_bags = inner_bags
        self.learning_rate = learning_rate
        self.greedy_ratio = greedy_ratio
        self.cyclic_progress = cyclic_progress
        self.smoothing_rounds = smoothing_rounds
        self.interaction_smoothing_rounds = interaction_smoothing_rounds
        self.max_rounds = max_rounds
        self.early_stopping_rounds = early_stopping_rounds
        self.early_stopping_tolerance = early_stopping_tolerance
        self.min_samples_leaf = min_samples_leaf
        self.min_hessian = min_hessian
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.max_delta_step = max_delta_step
        self.gain_scale = gain_scale
        self.min_cat_samples = min_cat_samples
        self.cat_smooth = cat_smooth
        self.missing = missing
        self.max_leaves = max_leaves
        self.monotone_constraints = monotone_constraints
        self.objective = objective
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit interpret's ExplainableBoostingRegressor.

        X may hold NaN; its text / category columns are nominal features.
        Returns self.
        """
        from interpret.glassbox import ExplainableBoostingRegressor

        self._validate_params()
        frame, y = check_frame_y(self, X, y, classifier=False, missing="native", unseen="native")
        return self._fit_ebm(ExplainableBoostingRegressor, frame, y, sample_weight)

    def predict(self, X) -> np.ndarray:
        """interpret's prediction: the inverse link of intercept + term scores.

        Returns an array of shape (n_rows,).
        """
        Xb = self._prepare(X)  # checks fitted first
        return np.asarray(self.estimator_.predict(Xb), dtype=float)

    def _output_names(self) -> tuple[str, ...]:
        return ("y",)


class EBMClassifier(_BaseEBM, ClassifierMixin, BaseEstimator):
    """Explainable Boosting classifier, binary and multiclass (interpret's
    ExplainableBoostingClassifier), with interpret's parameters and defaults
    (``outer_bags=14``, ``interactions="3x"``, ``learning_rate=0.015``, ...).

    Scores are log-odds of the second class (binary) or per-class logits
    (multiclass, softmax link); multiclass pairs are fitted as interpret does.
    ``verbose`` (glassbox's): a progress line with the elapsed time once the
    fit has taken 2 s; False silences it.
    """

    def __init__(
        self,
        *,
        feature_types=None,
        max_bins=1024,
        max_interaction_bins=64,
        interactions="3x",
        exclude=None,
        validation_size=0.15,
        outer_bags=14,
        inner_bags=0,
        learning_rate=0.015,
        greedy_ratio=10.0,
        cyclic_progress=False,
        smoothing_rounds=75,
        interaction_smoothing_rounds=75,
        max_rounds=50000,
        early_stopping_rounds=100,
        early_stopping_tolerance=1e-5,
        min_samples_leaf=4,
        min_hessian=1e-4,
        reg_alpha=0.0,
        reg_lambda=0.0,
        max_delta_step=0.0,
        gain_scale=5.0,
        min_cat_samples=10,
        cat_smooth=10.0,
        missing="separate",
        max_leaves=2,
        monotone_constraints=None,
        objective="log_loss",
        n_jobs=-2,
        random_state=42,
        verbose=True,
    ):
        self.feature_types = feature_types
        self.max_bins = max_bins
        self.max_interaction_bins = max_interaction_bins
        self.interactions = interactions
        self.exclude = exclude
        self.validation_size = validation_size
        self.outer_bags = outer_bags
        self.inner_bags = inner_bags
        self.learning_rate = learning_rate
        self.greedy_ratio = greedy_ratio
        self.cyclic_progress = cyclic_progress
        self.smoothing_rounds = smoothing_rounds
        self.interaction_smoothing_rounds = interaction_smoothing_rounds
        self.max_rounds = max_rounds
        self.early_stopping_rounds = early_stopping_rounds
        self.early_stopping_tolerance = early_stopping_tolerance
        self.min_samples_leaf = min_samples_leaf
        self.min_hessian = min_hessian
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.max_delta_step = max_delta_step
        self.gain_scale = gain_scale
        self.min_cat_samples = min_cat_samples
        self.cat_smooth = cat_smooth
        self.missing = missing
        self.max_leaves = max_leaves
        self.monotone_constraints = monotone_constraints
        self.objective = objective
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit interpret's ExplainableBoostingClassifier.

        X may hold NaN; its text / category columns are nominal features.
        Returns self.
        """
        from interpret.glassbox import ExplainableBoostingClassifier

        self._validate_params()
        frame, y = check_frame_y(self, X, y, classifier=True, missing="native", unseen="native")
        self.classes_, codes = encode_labels(y)
        return self._fit_ebm(ExplainableBoostingClassifier, frame, codes, sample_weight)

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of the second class (binary, 1-D) or per-class logits.

        Returns an array of shape (n_rows,) or (n_rows, n_classes).
        """
        Xb = self._prepare(X)
        return np.asarray(self.estimator_.decision_function(Xb), dtype=float)

    def predict_proba(self, X) -> np.ndarray:
        """interpret's class probabilities (logistic or softmax of the logits).

        Returns an array of shape (n_rows, n_classes).
        """
        Xb = self._prepare(X)
        return np.asarray(self.estimator_.predict_proba(Xb), dtype=float)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row.

        Returns an array of shape (n_rows,).
        """
        proba = self.predict_proba(X)  # validates first: unfitted -> NotFittedError
        return self.classes_[np.argmax(proba, axis=1)]

    def _output_names(self) -> tuple[str, ...]:
        names = class_names(self)
        return names[1:] if len(names) == 2 else names
