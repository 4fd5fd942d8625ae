"""surrogates: explain black boxes with glass-box models and fast SHAP.

Imports stay light: xgboost, torch and dask are imported only when a function
receives one of their objects.
"""

from glassbox.base import lend_solver as _lend_solver

from ._model_file import register as _register_model_file
from .anchor import Anchor, anchor
from .blackbox import BlackBox, BlackBoxError, as_blackbox
from .counterfactual import Counterfactuals, counterfactuals
from .distill import Surrogate, distill, pareto
from .effects import (
    ALE,
    PartialDependence,
    ale,
    interaction_strength,
    partial_dependence,
    permutation_importance,
)
from .lens import LogitLens, TunedLens, fit_tuned_lens, logit_lens
from .local import LocalSurrogate
from .metrics import Fidelity, additivity_error, agreement, fidelity, stability
from .prototypes import Prototypes, prototypes
from .text import TextExplanation, explain_text, token_attributions

_register_model_file()  # glassbox.io.save/load now hold Surrogate too
_lend_solver("counterfactuals", counterfactuals)  # model.explain_counterfactual(x, ...)

__all__ = [
    "ALE",
    "Anchor",
    "BlackBox",
    "BlackBoxError",
    "Counterfactuals",
    "Fidelity",
    "LocalSurrogate",
    "LogitLens",
    "PartialDependence",
    "Prototypes",
    "Surrogate",
    "TextExplanation",
    "TunedLens",
    "additivity_error",
    "agreement",
    "ale",
    "anchor",
    "as_blackbox",
    "counterfactuals",
    "distill",
    "explain_text",
    "fidelity",
    "fit_tuned_lens",
    "interaction_strength",
    "logit_lens",
    "pareto",
    "partial_dependence",
    "permutation_importance",
    "prototypes",
    "stability",
    "token_attributions",
]
