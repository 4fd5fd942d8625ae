"""numba SHAP kernels, one module per algorithm."""
