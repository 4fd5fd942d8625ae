"""Every public glassbox estimator, in one place.

Tests loop over ``CLASSIFIERS`` and ``REGRESSORS`` (estimator checks, the
bad-input matrix, printing with real names); the CLI maps family names to
classes through ``FAMILIES``. A new family joins by being added here.
"""

from __future__ import annotations

from .models.ebm import EBMClassifier, EBMRegressor
from .models.gam import GAMClassifier, GAMRegressor
from .models.glm import GLMClassifier, GLMRegressor
from .models.one_r import OneRClassifier
from .models.rule_list import RuleListClassifier
from .models.rule_set import RuleSetClassifier, RuleSetRegressor
from .models.symbolic import SymbolicRegressor
from .models.tree import TreeClassifier, TreeRegressor

CLASSIFIERS: list[type] = [
    GLMClassifier,
    TreeClassifier,
    RuleListClassifier,
    RuleSetClassifier,
    OneRClassifier,
    GAMClassifier,
    EBMClassifier,
]

REGRESSORS: list[type] = [
    GLMRegressor,
    TreeRegressor,
    RuleSetRegressor,
    SymbolicRegressor,
    GAMRegressor,
    EBMRegressor,
]

#: family name -> (classifier class or None, regressor class or None)
FAMILIES: dict[str, tuple[type | None, type | None]] = {
    "glm": (GLMClassifier, GLMRegressor),
    "tree": (TreeClassifier, TreeRegressor),
    "rulelist": (RuleListClassifier, None),
    "ruleset": (RuleSetClassifier, RuleSetRegressor),
    "oner": (OneRClassifier, None),
    "symbolic": (None, SymbolicRegressor),
    "gam": (GAMClassifier, GAMRegressor),
    "ebm": (EBMClassifier, EBMRegressor),
}

#: settings that keep slow families quick (tests, the demo); by class name
FAST_PARAMS: dict[str, dict] = {
    "RuleListClassifier": dict(max_depth=4),
    "RuleSetClassifier": dict(n_estimators=20, max_rules=10, cv=False, random_state=0),
    "RuleSetRegressor": dict(n_estimators=20, max_rules=10, cv=False, random_state=0),
    "SymbolicRegressor": dict(
        population_size=60, generations=8, max_length=15, local_iterations=5,
        n_jobs=1, random_state=0, verbose=False,
    ),
    # small spline bases, a 2-point lam search (the search also skips a lam whose
    # P-IRLS diverges, which a fixed lam would not survive on separable data)
    "GAMRegressor": dict(n_splines=8, lam_grid=(0.1, 10.0), max_iter=30),
    "GAMClassifier": dict(n_splines=6, lam_grid=(1.0, 100.0), max_iter=30),
    # one bag instead of 14, three pairs, one core
    "EBMRegressor": dict(outer_bags=1, interactions=3, max_rounds=1000, n_jobs=1),
    "EBMClassifier": dict(outer_bags=1, interactions=3, max_rounds=1000, n_jobs=1),
}


def fast(cls: type, **overrides):
    """An instance of ``cls`` with its quick settings (plus overrides)."""
    return cls(**{**FAST_PARAMS.get(cls.__name__, {}), **overrides})
