"""glassbox: interpretable models with the scikit-learn API, printed as text a
person can check.

Heavy backends (interpret, pygam, imodels, pyoperon, xgboost, torch, dask) are
imported only when a model that needs them is fitted.
"""

from .explanation import GlobalExplanation, LocalExplanation, TermShape

# every estimator class of the registry (``glassbox.EBMClassifier``, ...): a family
# is exported by its line in ``registry.ESTIMATORS``, not by a list kept here
from .registry import *  # noqa: F403
from .registry import CLASSIFIERS, ESTIMATORS, FAMILIES, REGRESSORS
from .render.text import export_text

__version__ = "0.1.0"

__all__ = [
    "CLASSIFIERS",
    "ESTIMATORS",
    "FAMILIES",
    "REGRESSORS",
    "GlobalExplanation",
    "LocalExplanation",
    "TermShape",
    "export_text",
    *(cls.__name__ for cls in ESTIMATORS),
]
