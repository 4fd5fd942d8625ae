"""Every public glassbox estimator, in one place.

Tests loop over ``CLASSIFIERS`` and ``REGRESSORS`` (estimator checks, the
bad-input matrix, printing with real names); the CLI maps family names to
classes through ``FAMILIES``. A new family joins by being added here.
"""

from __future__ import annotations

from .models.glm import GLMClassifier, GLMRegressor
from .models.tree import TreeClassifier, TreeRegressor

CLASSIFIERS: list[type] = [
    GLMClassifier,
    TreeClassifier,
]

REGRESSORS: list[type] = [
    GLMRegressor,
    TreeRegressor,
]

#: family name -> (classifier class or None, regressor class or None)
FAMILIES: dict[str, tuple[type | None, type | None]] = {
    "glm": (GLMClassifier, GLMRegressor),
    "tree": (TreeClassifier, TreeRegressor),
}

#: settings that keep slow families quick (tests, the demo); by class name
FAST_PARAMS: dict[str, dict] = {}


def fast(cls: type, **overrides):
    """An instance of ``cls`` with its quick settings (plus overrides)."""
    return cls(**{**FAST_PARAMS.get(cls.__name__, {}), **overrides})
