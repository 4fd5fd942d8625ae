"""numba SHAP kernels, one module per algorithm.

``tree_shap`` (path-dependent and interventional), ``kernel_shap`` (sampled,
with standard errors), ``exact_shap`` (all coalitions), ``permutation_shap``
(antithetic permutations) and ``linear_shap`` (closed form). Every function
returns a ``glassbox.LocalExplanation``; given a dask array or DataFrame it
returns a lazy dask array of values computed partition by partition.
"""

from .exact import exact_shap
from .kernel import kernel_shap
from .linear import linear_shap
from .permutation import permutation_shap
from .tree import tree_shap

__all__ = ["exact_shap", "kernel_shap", "linear_shap", "permutation_shap", "tree_shap"]
