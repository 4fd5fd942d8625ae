"""glassbox: interpretable models with the scikit-learn API, printed as text a
person can check.

Heavy backends (interpret, pygam, imodels, pyoperon, xgboost, torch, dask) are
imported only when a model that needs them is fitted.
"""

from .explanation import GlobalExplanation, LocalExplanation, TermShape
from .models.ebm import EBMClassifier, EBMRegressor
from .models.gam import GAMClassifier, GAMRegressor
from .models.glm import GLMClassifier, GLMRegressor
from .models.one_r import OneRClassifier
from .models.rule_list import RuleListClassifier
from .models.rule_set import RuleSetClassifier, RuleSetRegressor
from .models.symbolic import SymbolicRegressor
from .models.tree import TreeClassifier, TreeRegressor
from .registry import CLASSIFIERS, FAMILIES, REGRESSORS
from .render.text import export_text

__version__ = "0.1.0"

__all__ = [
    "CLASSIFIERS",
    "FAMILIES",
    "REGRESSORS",
    "EBMClassifier",
    "EBMRegressor",
    "GAMClassifier",
    "GAMRegressor",
    "GLMClassifier",
    "GLMRegressor",
    "GlobalExplanation",
    "LocalExplanation",
    "OneRClassifier",
    "RuleListClassifier",
    "RuleSetClassifier",
    "RuleSetRegressor",
    "SymbolicRegressor",
    "TermShape",
    "TreeClassifier",
    "TreeRegressor",
    "export_text",
]
