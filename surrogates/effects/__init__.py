"""Global effects of a black box: permutation importance, partial dependence and
ICE, accumulated local effects, Friedman's H interaction statistic."""

from .ale import ALE, ale
from .interaction import interaction_strength
from .partial_dependence import PartialDependence, partial_dependence
from .permutation import permutation_importance

__all__ = [
    "ALE",
    "ale",
    "interaction_strength",
    "PartialDependence",
    "partial_dependence",
    "permutation_importance",
]
