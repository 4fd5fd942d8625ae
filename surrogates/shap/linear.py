"""Linear SHAP in closed form: phi_i = coef_i * (x_i - mean(background)_i).

For a model whose output on its link scale is b0 + coef . x, the interventional
Shapley values with background B are exactly coef * (x - mean(B)) and the base
value is b0 + coef . mean(B). Covers scikit-learn linear models (values on the
linear predictor: log-odds for logistic regression, log mean for Poisson /
gamma / Tweedie) and glassbox GLMRegressor / GLMClassifier (their link scale).
"""

from __future__ import annotations

import numpy as np

from glassbox.explanation import LocalExplanation

from .._rows import align_columns
from ._common import as_rows, feature_names_of, is_dask, map_dask
from ._common import check_additivity as _check_additivity


def _linear_parts(model):
    """(coef (O, M), intercept (O,), link, output names, decision function)."""
    coef = getattr(model, "coef_", None)
    if coef is None or not hasattr(model, "intercept_"):
        raise TypeError(
            f"linear_shap needs a fitted linear model with coef_ and intercept_ "
            f"(scikit-learn linear models, glassbox GLMRegressor/GLMClassifier); got "
            f"{type(model).__name__}. Use kernel_shap or exact_shap for other models"
        )
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    intercept = np.broadcast_to(
        np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64)), coef.shape[:1]
    )
    link = getattr(model, "link_", None)
    classes = getattr(model, "classes_", None)
    if link is None:
        name = type(model).__name__
        if classes is not None:
            link = "logit" if coef.shape[0] == 1 else "softmax"
        elif name in ("PoissonRegressor", "GammaRegressor") or (
            name == "TweedieRegressor"
            and getattr(model, "link", "auto") in ("auto", "log")
            and getattr(model, "power", 0) > 0
        ):
            link = "log"
        else:
            link = "identity"
    if classes is not None:
        names = tuple(str(c) for c in classes)
        names = names[1:] if coef.shape[0] == 1 and len(names) == 2 else names
    else:
        names = ("y",) if coef.shape[0] == 1 else tuple(f"y{k}" for k in range(coef.shape[0]))
    return coef, intercept.copy(), link, names


def linear_shap(
    model,
    X,
    background=None,
    *,
    check_additivity: bool = True,
    feature_names=None,
) -> LocalExplanation:
    """Exact interventional SHAP values of a linear model on its link scale.

    Parameters
    ----------
    model : fitted linear model
        Anything with ``coef_`` and ``intercept_``: scikit-learn linear models
        (values on the linear predictor: log-odds for logistic regression, log
        mean for Poisson / gamma / Tweedie) and glassbox GLMRegressor /
        GLMClassifier (their link scale).
    X : array-like of shape (n_rows, n_features), DataFrame, scipy sparse matrix, dask array or dask DataFrame
        Rows to explain; a dask input gives a lazy dask array of values. A
        sparse X gives dense values (and ``data``), since x - mean is dense.
    background : array-like or scipy sparse matrix of shape (n_background, n_features) or None, default=None
        Rows whose mean stands in for "feature missing". None uses the training
        mean that glassbox GLMs store; other models need background rows.
    check_additivity : bool, default=True
        Raise, naming the first failing row, when base value + sum of values
        differs from the model's output.
    feature_names : sequence of str or None, default=None
        Names for the explanation; default the DataFrame's columns, else the
        names the model was fitted with, else x0, x1, ...

    Returns
    -------
    LocalExplanation
        Values (n, M) for single-output models; (n, M, n_classes) for
        multiclass logistic regression.
    """
    schema = getattr(model, "input_schema_", None)
    if schema is not None and schema.categorical and hasattr(model, "term_columns_"):
        return _glm_with_levels(model, X, background, check_additivity, feature_names)
    coef, intercept, link, out_names = _linear_parts(model)
    M = coef.shape[1]
    # named frames are matched to the model's columns by name, not position
    model_names = getattr(model, "feature_names_in_", None)
    X = align_columns(X, model_names)  # dask DataFrames too (lazy column selection)
    if background is not None:
        background = align_columns(background, model_names, name="background")
    if background is None:
        mean = getattr(model, "X_mean_", None)
        if mean is None:
            raise ValueError(
                "linear_shap needs background rows (e.g. the training data) for this model: "
                "pass background=X_train"
            )
        mean = np.asarray(mean, dtype=np.float64)
    elif _is_sparse(background):
        B = _sparse_checked(background, "background")
        mean = np.asarray(B.mean(axis=0), dtype=np.float64).ravel()
    else:
        mean = as_rows(background, allow_nan=False, name="background").mean(axis=0)
    if mean.shape != (M,):
        raise ValueError(f"background has {mean.shape[0]} features but the model has {M}")
    base = intercept + coef @ mean
    single = coef.shape[0] == 1
    if is_dask(X):
        if X.shape[1] != M:
            raise ValueError(f"X has {X.shape[1]} features but the model has {M}")

        def block(rows: np.ndarray) -> np.ndarray:
            v = (rows - mean)[:, :, None] * coef.T[None]
            return v[:, :, 0] if single else v

        return map_dask(block, X, (M,) if single else (M, coef.shape[0]))
    if _is_sparse(X):
        # the values are dense anyway (x - mean is), so the rows are densified once
        Xs = _sparse_checked(X, "X")
        if Xs.shape[0] * Xs.shape[1] > 50_000_000:
            raise ValueError(
                f"X is sparse with {Xs.shape[0]} x {Xs.shape[1]} entries; SHAP values are "
                "dense, so explain it in blocks of fewer rows"
            )
        Xa = np.ascontiguousarray(Xs.toarray(), dtype=np.float64)
    else:
        Xa = as_rows(X, allow_nan=False)
    if Xa.shape[1] != M:
        raise ValueError(f"X has {Xa.shape[1]} features but the model has {M}")
    names = feature_names_of(X, M, feature_names if feature_names is not None else _names(model, M))
    values = (Xa - mean)[:, :, None] * coef.T[None]
    base_values = np.broadcast_to(base, (Xa.shape[0], coef.shape[0])).copy()
    if single:
        values, base_values = values[:, :, 0], base_values[:, 0]
    if check_additivity:
        _check_additivity(
            values, base_values, _decision(model, X, Xa, link, single), method="linear_shap"
        )
    return LocalExplanation(
        values=values,
        base_values=base_values,
        data=Xa,
        feature_names=names,
        output_names=out_names,
        link=link,
        method="linear_shap",
    )


def _glm_with_levels(model, X, background, check_additivity, feature_names):
    """A glassbox GLM with categorical columns: one value per input column, the
    sum over its level dummies (a linear model is additive in its columns, so this
    is the column's exact interventional SHAP value)."""
    if is_dask(X) or is_dask(background):
        raise ValueError(
            "linear_shap takes pandas input for a GLM with categorical columns; "
            "compute the dask frame first"
        )
    exp = model.explain_local(X)  # against the training mean of every dummy
    if background is None:
        values, base_values = exp.values, exp.base_values
    else:
        # move the reference from the training mean to the background's mean
        _, D_bg = model._design(background)
        coef = np.atleast_2d(model.coef_)
        shift = (D_bg.mean(axis=0) - model.X_mean_)[:, None] * coef.T  # (n_terms, n_outputs)
        per_column = model._by_column(shift)  # (n_columns, n_outputs)
        single = coef.shape[0] == 1
        values = exp.values - (per_column[:, 0] if single else per_column)[None]
        base_values = exp.base_values + (shift.sum(axis=0)[0] if single else shift.sum(axis=0))
    if check_additivity:
        own = getattr(model, "linear_predictor", None) or model.decision_function
        expected = np.asarray(own(X), dtype=np.float64)
        _check_additivity(
            values, base_values, expected.reshape(base_values.shape), method="linear_shap"
        )
    return LocalExplanation(
        values=values,
        base_values=base_values,
        data=exp.data,
        feature_names=tuple(feature_names) if feature_names is not None else exp.feature_names,
        output_names=exp.output_names,
        link=exp.link,
        method="linear_shap",
    )


def _is_sparse(X) -> bool:
    return type(X).__module__.startswith("scipy.sparse")


def _sparse_checked(X, name: str):
    """A scipy sparse matrix as CSR float64, refusing NaN / infinity like as_rows."""
    import scipy.sparse as sp

    Xs = sp.csr_matrix(X, dtype=np.float64)
    if Xs.ndim != 2 or Xs.shape[0] == 0 or Xs.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D matrix, got shape {Xs.shape}")
    if np.isnan(Xs.data).any():
        raise ValueError(f"{name} contains NaN; impute or drop missing values")
    if np.isinf(Xs.data).any():
        raise ValueError(f"{name} contains infinity; replace or drop those values")
    return Xs


def _names(model, M):
    names = getattr(model, "feature_names_in_", None)
    return None if names is None or len(names) != M else [str(n) for n in names]


def _decision(model, X, Xa, link, single):
    """The model's own linear predictor, to check additivity against."""
    for attr in ("linear_predictor", "decision_function"):
        fn = getattr(model, attr, None)
        if fn is not None:
            out = np.asarray(fn(X), dtype=np.float64)
            break
    else:
        out = np.asarray(model.predict(X), dtype=np.float64)
        if link == "log":  # scikit-learn's Poisson/gamma/Tweedie predict exp(eta)
            out = np.log(out)
    return out.reshape(Xa.shape[0]) if single else out.reshape(Xa.shape[0], -1)
