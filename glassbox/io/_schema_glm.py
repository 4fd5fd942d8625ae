"""Schema of the GLM family: coefficients per term, intercept, inference arrays, each
shape checked against the terms (and the classes).
"""

from __future__ import annotations

import numpy as np

from ._check import (
    array,
    list_of,
    need,
    number,
    optional,
    text,
)
from ._common import (
    CLASSES,
    COMMON,
    COUNT,
    DROPPED,
    FLOATS,
    TERM_COLUMN,
    Family,
)
from ._schema import F


def _glm_check(a, path):
    coef = a["coef_"]
    need(coef.ndim in (1, 2), path + ".coef_", "must be 1-D or 2-D")
    p = coef.shape[-1]
    if "term_names_" in a:
        need(p == len(a["term_names_"]), path + ".coef_", "one coefficient per term")
    else:
        need(p == a["n_features_in_"], path + ".coef_", "one coefficient per feature")
    if a.get("term_columns_") is not None:
        need(len(a["term_columns_"]) == p, path + ".term_columns_", "one entry per term")
        schema = a.get("input_schema_")
        names = a.get("feature_names_in_")
        known = set(schema.names) if schema is not None else None
        if known is None and names is not None:
            known = {str(n) for n in names}
        if known is not None:
            need(
                all(t[0] in known for t in a["term_columns_"]),
                path + ".term_columns_",
                "each term must name an input column",
            )
    rows = () if coef.ndim == 1 or coef.shape[0] == 1 else (coef.shape[0],)
    for name in ("standard_errors_", "p_values_"):
        if a.get(name) is not None:
            want = (*rows, p + 1)
            need(a[name].shape == want, f"{path}.{name}", f"shape {want}: intercept, then terms")
    if a.get("conf_int_") is not None:
        want = (*rows, p + 1, 2)
        need(a["conf_int_"].shape == want, path + ".conf_int_", f"shape {want}")
    if "classes_" not in a:
        need(coef.ndim == 1, path + ".coef_", "a regressor has one coefficient vector")
        need(
            not isinstance(a["intercept_"], np.ndarray), path + ".intercept_", "must be one number"
        )
    if "classes_" in a:
        k = len(a["classes_"])
        need(
            coef.ndim == 2 and coef.shape[0] == (1 if k == 2 else k),
            path + ".coef_",
            "one row per class (one for two classes)",
        )
        need(
            np.shape(a["intercept_"]) == (coef.shape[0],),
            path + ".intercept_",
            "one per row of coef_",
        )
    for name in ("X_mean_", "X_mad_", "X_std_"):
        if a.get(name) is not None:
            need(a[name].shape == (coef.shape[-1],), f"{path}.{name}", "one entry per term")


def families() -> dict[str, Family]:
    from ..models.glm import GLMClassifier, GLMRegressor

    glm = {
        **COMMON,
        "coef_": F(array("f", (1, 2), finite=True)),
        "intercept_": F(
            lambda v, p: (
                number()(v, p)
                if not isinstance(v, np.ndarray)
                else array("f", 1, finite=True)(v, p)
            )
        ),
        "link_": F(text(20, ("identity", "log", "logit", "softmax"))),
        "standard_errors_": F(optional(FLOATS), optional=True),
        "n_iter_": F(COUNT, optional=True),
        "estimator_": F(DROPPED, optional=True),
        "term_names_": F(list_of(text(100_000)), optional=True),
        "term_columns_": F(list_of(TERM_COLUMN), optional=True),
        "X_mean_": F(FLOATS, optional=True),
        "X_mad_": F(FLOATS, optional=True),
        "X_std_": F(optional(FLOATS), optional=True),
        "p_values_": F(optional(FLOATS), optional=True),
        "conf_int_": F(optional(FLOATS), optional=True),
        "statistic_": F(optional(text(10)), optional=True),
        "dof_": F(optional(COUNT), optional=True),
        "penalty_": F(optional(text(10_000)), optional=True),
        "fallback_": F(optional(text(10_000)), optional=True),
        "C_": F(number(finite=False), optional=True),
        "alpha_": F(number(finite=False), optional=True),
    }
    dropped = ("estimator_",)  # the scikit-learn solver: GLMs predict from coef_ / intercept_
    return {
        "GLMClassifier": Family(GLMClassifier, {**glm, **CLASSES}, _glm_check, dropped),
        "GLMRegressor": Family(GLMRegressor, glm, _glm_check, dropped),
    }
