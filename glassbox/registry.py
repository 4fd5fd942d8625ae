"""Every public glassbox estimator, in one place.

``ESTIMATORS`` is the one list of classes; everything else here is derived
from it and from each class's ``traits``. Tests loop over ``CLASSIFIERS`` and
``REGRESSORS`` (estimator checks, the bad-input matrix, printing with real
names); the command line and the docs map family names to classes through
``FAMILIES``. A new family joins with its module and one line in
``ESTIMATORS``.
"""

# ``glassbox/__init__.py`` re-exports this module with ``import *``, which static tools
# (mkdocstrings) can follow only without a computed ``__all__``: names meant to stay
# here are private, and ``fast`` and the tables come along
from sklearn.base import ClassifierMixin as _ClassifierMixin
from sklearn.base import RegressorMixin as _RegressorMixin

from .models.ebm import EBMClassifier, EBMRegressor
from .models.gam import GAMClassifier, GAMRegressor
from .models.glm import GLMClassifier, GLMRegressor
from .models.one_r import OneRClassifier
from .models.ripper import RipperClassifier
from .models.rule_list import RuleListClassifier
from .models.rule_set import RuleSetClassifier, RuleSetRegressor
from .models.svm import LinearSVMClassifier
from .models.symbolic import SymbolicRegressor
from .models.tree import TreeClassifier, TreeRegressor

#: every public estimator class; families appear in this order everywhere
ESTIMATORS: list[type] = [
    GLMClassifier,
    GLMRegressor,
    TreeClassifier,
    TreeRegressor,
    RuleListClassifier,
    RuleSetClassifier,
    RuleSetRegressor,
    RipperClassifier,
    OneRClassifier,
    SymbolicRegressor,
    GAMClassifier,
    GAMRegressor,
    EBMClassifier,
    EBMRegressor,
    LinearSVMClassifier,
]

CLASSIFIERS: list[type] = [c for c in ESTIMATORS if issubclass(c, _ClassifierMixin)]
REGRESSORS: list[type] = [c for c in ESTIMATORS if issubclass(c, _RegressorMixin)]


def _families(estimators: list[type]) -> dict[str, tuple[type | None, type | None]]:
    slots: dict[str, list[type | None]] = {}
    for cls in estimators:
        pair = slots.setdefault(cls.traits.family, [None, None])
        k = 0 if issubclass(cls, _ClassifierMixin) else 1
        if pair[k] is not None:
            raise TypeError(
                f"family {cls.traits.family!r} has two {('classifiers', 'regressors')[k]}: "
                f"{pair[k].__name__} and {cls.__name__}"
            )
        pair[k] = cls
    return {name: (pair[0], pair[1]) for name, pair in slots.items()}


#: family name -> (classifier class or None, regressor class or None)
FAMILIES: dict[str, tuple[type | None, type | None]] = _families(ESTIMATORS)


def fast(cls: type, **overrides):
    """An instance of ``cls`` with its quick settings (``traits.quick_params``), plus overrides."""
    return cls(**{**cls.traits.quick_params, **overrides})
