"""glassbox: interpretable models with the scikit-learn API, printed as text a
person can check.

Heavy backends (interpret, pygam, imodels, pyoperon, xgboost, torch, dask) are
imported only when a model that needs them is fitted.
"""

from .explanation import GlobalExplanation, LocalExplanation, TermShape
from .models.glm import GLMClassifier, GLMRegressor
from .models.tree import TreeClassifier, TreeRegressor
from .registry import CLASSIFIERS, FAMILIES, REGRESSORS
from .render.text import export_text

__version__ = "0.1.0"

__all__ = [
    "CLASSIFIERS",
    "FAMILIES",
    "REGRESSORS",
    "GLMClassifier",
    "GLMRegressor",
    "GlobalExplanation",
    "LocalExplanation",
    "TermShape",
    "TreeClassifier",
    "TreeRegressor",
    "export_text",
]
