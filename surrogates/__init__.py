"""surrogates: explain black boxes with glass-box models and fast SHAP.

Imports stay light: xgboost, torch and dask are imported only when a function
receives one of their objects.
"""
