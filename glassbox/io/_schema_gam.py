"""Schema of the GAM family: pygam's GAMs rebuilt from their terms and coefficients
(``_backends``), one per class or output, shapes checked against the features.
"""

from __future__ import annotations

from ._backends import _dump_gams, load_gams
from ._check import (
    array,
    list_of,
    need,
    text,
)
from ._common import (
    CATEGORIES,
    CLASSES,
    COMMON,
    COUNT,
    Family,
)
from ._schema import F, Obj


def _dump_gams_field(v, path):
    return _dump_gams(v, path)


def _load_gams_field(node, path, budget, done):
    return load_gams(node, path, budget, done["n_features_in_"])


GAMS = Obj(_dump_gams_field, _load_gams_field, needs_done=True)


def _gam_check(a, path):
    n_out = len(a["gams_"])
    need(
        len(a["term_kinds_"]) == a["n_features_in_"], path + ".term_kinds_", "one kind per feature"
    )
    if "classes_" in a:
        k = len(a["classes_"])
        need(
            n_out == (1 if k == 2 else k),
            path + ".gams_",
            "one GAM per class (one for two classes)",
        )
    for name in ("term_means_", "term_importances_"):
        need(
            a[name].shape == (a["n_features_in_"], n_out),
            f"{path}.{name}",
            "shape (n_features, n_outputs)",
        )
    for name in ("X_min_", "X_max_"):
        need(a[name].shape == (a["n_features_in_"],), f"{path}.{name}", "one per feature")


def families() -> dict[str, Family]:
    from ..models.gam import GAMClassifier, GAMRegressor

    gam = {
        **COMMON,
        "categories_": F(CATEGORIES, optional=True),
        "link_": F(text(20, ("identity", "log", "logit"))),
        "term_kinds_": F(list_of(text(20, ("continuous", "categorical", "linear")))),
        "gams_": F(GAMS),
        "term_means_": F(array("f", 2)),
        "term_importances_": F(array("f", 2)),
        "X_min_": F(array("f", 1)),
        "X_max_": F(array("f", 1)),
        "n_iter_": F(COUNT),
        "explanation_link_": F(text(40), optional=True),
    }
    return {
        "GAMClassifier": Family(GAMClassifier, {**gam, **CLASSES}, _gam_check),
        "GAMRegressor": Family(GAMRegressor, gam, _gam_check),
    }
