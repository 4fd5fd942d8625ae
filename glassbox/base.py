"""What every glassbox estimator shares: printing, names, explanations.

Families subclass ``GlassboxMixin`` next to scikit-learn's mixins
(``class TreeRegressor(GlassboxMixin, RegressorMixin, BaseEstimator)``) and
implement ``fit``, ``predict`` and the two ``explain_*`` hooks.
"""

from __future__ import annotations

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._validation import feature_names


class GlassboxMixin:
    """Human-readable ``str``, feature names and explanation entry points."""

    #: set True by families whose backend accepts NaN (EBM)
    _accepts_nan = False

    def __str__(self) -> str:
        try:
            check_is_fitted(self)
        except NotFittedError:
            return repr(self)
        from .render.text import render

        return render(self)

    @property
    def feature_names_(self) -> list[str]:
        """Names used in every printout (``feature_names_in_`` or x0, x1, ...)."""
        check_is_fitted(self)
        return feature_names(self)

    def explain_global(self):
        """A ``GlobalExplanation`` of the fitted model."""
        raise NotImplementedError(f"{type(self).__name__} does not implement explain_global")

    def explain_local(self, X):
        """A ``LocalExplanation`` of the rows of X."""
        raise NotImplementedError(f"{type(self).__name__} does not implement explain_local")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._accepts_nan
        return tags


def class_names(est) -> tuple[str, ...]:
    """Printable names of a fitted classifier's classes."""
    return tuple(str(c) for c in est.classes_)


def encode_labels(y: np.ndarray):
    """Sorted classes and integer codes, as scikit-learn classifiers store them."""
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes
