"""surrogates: explain black boxes with glass-box models and fast SHAP.

Imports stay light: xgboost, torch and dask are imported only when a function
receives one of their objects.
"""

from ._model_file import register as _register_model_file
from .anchor import Anchor, anchor
from .blackbox import BlackBox, BlackBoxError, as_blackbox
from .distill import Surrogate, distill, pareto
from .local import LocalSurrogate
from .metrics import Fidelity, additivity_error, agreement, fidelity, stability

_register_model_file()  # glassbox.io.save/load now hold Surrogate too

__all__ = [
    "Anchor",
    "BlackBox",
    "BlackBoxError",
    "Fidelity",
    "LocalSurrogate",
    "Surrogate",
    "additivity_error",
    "agreement",
    "anchor",
    "as_blackbox",
    "distill",
    "fidelity",
    "pareto",
    "stability",
]
