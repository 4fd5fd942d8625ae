"""Schema of the linear SVM family: weights per term and class, intercepts, activation
patterns, margin widths, support vectors and the calibration temperature, each shape
checked against the terms and the classes, every support index against the rows.
"""

from __future__ import annotations

from ._check import array, list_of, need, number, text
from ._common import CLASSES, COMMON, COUNT, DROPPED, FLOATS, TERM_COLUMN, Family
from ._schema import F


def _svm_check(a, path):
    coef = a["coef_"]
    p = coef.shape[1]
    k = len(a["classes_"])
    rows = 1 if k == 2 else k
    need(coef.shape[0] == rows, path + ".coef_", "one row per class (one for two classes)")
    need(len(a["term_names_"]) == p, path + ".term_names_", "one name per weight")
    need(len(a["term_columns_"]) == p, path + ".term_columns_", "one entry per term")
    schema = a.get("input_schema_")
    if schema is not None:
        known = set(schema.names)
        need(
            all(t[0] in known for t in a["term_columns_"]),
            path + ".term_columns_",
            "each term must name an input column",
        )
        need(
            len(schema.one_hot_columns()) == p,
            path + ".coef_",
            "one weight per column of the input schema's design",
        )
    need(a["intercept_"].shape == (rows,), path + ".intercept_", "one per row of coef_")
    need(a["patterns_"].shape == coef.shape, path + ".patterns_", "the shape of coef_")
    need(a["margin_width_"].shape == (rows,), path + ".margin_width_", "one per row of coef_")
    need(a["n_support_"].shape == (k,), path + ".n_support_", "one count per class")
    for name in ("X_mean_", "X_mad_", "X_std_"):
        need(a[name].shape == (p,), f"{path}.{name}", "one entry per term")
    sup = a["support_"]
    n = a.get("n_train_")
    need(sup.ndim == 1, path + ".support_", "must be 1-D")
    if len(sup):
        need(
            sup.min() >= 0 and (n is None or sup.max() < n),
            path + ".support_",
            "indices of training rows",
        )
    need(int(a["n_support_"].sum()) == len(sup), path + ".n_support_", "must add up to support_")
    need(
        a["support_vectors_"].shape == (len(sup), p),
        path + ".support_vectors_",
        "one row per support index, one column per term",
    )


def families() -> dict[str, Family]:
    from ..models.svm import LinearSVMClassifier

    fields = {
        **COMMON,
        **CLASSES,
        "coef_": F(array("f", 2, finite=True)),
        "intercept_": F(array("f", 1, finite=True)),
        "link_": F(text(20, ("margin",))),
        "estimator_": F(DROPPED, optional=True),
        "n_iter_": F(COUNT),
        "term_names_": F(list_of(text(100_000))),
        "term_columns_": F(list_of(TERM_COLUMN)),
        "X_mean_": F(FLOATS),
        "X_mad_": F(FLOATS),
        "X_std_": F(FLOATS),
        "patterns_": F(array("f", 2)),
        "margin_width_": F(array("f", 1)),
        "support_": F(array("iu", 1)),
        "support_vectors_": F(array("f", 2)),
        "n_support_": F(array("iu", 1)),
        "calibration_": F(lambda v, p: need_positive(number()(v, p), p)),
        "penalty_": F(text(10_000)),
    }
    # the liblinear object: the model predicts from coef_ / intercept_
    return {"LinearSVMClassifier": Family(LinearSVMClassifier, fields, _svm_check, ("estimator_",))}


def need_positive(v, path):
    need(float(v) > 0, path, "must be > 0")
    return v
