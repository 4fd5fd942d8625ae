"""Schema of the GAM family: pygam's GAMs rebuilt from their terms and coefficients
(``_backends``), one per class or output, shapes checked against the features.
"""

from __future__ import annotations

from ._backends import _dump_gams, load_gams
from ._check import (
    array,
    integer,
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
    n = a["n_features_in_"]
    pairs = a.get("pairs_", [])
    need(all(len(p) == 2 for p in pairs), path + ".pairs_", "each pair has two columns")
    for i, j in pairs:
        need(
            0 <= i < j < n
            and a["term_kinds_"][i] != "categorical"
            and a["term_kinds_"][j] != "categorical",
            path + ".pairs_",
            "pairs of two distinct numeric columns (i < j)",
        )
    need(len(set(pairs)) == len(pairs), path + ".pairs_", "no pair twice")
    for g in a["gams_"]:  # pygam's terms: the features', then one te(i, j) per pair
        te = [(int(t.feature[0]), int(t.feature[1])) for t in g.terms._terms if t.istensor]
        need(te == list(pairs), path + ".gams_", "its tensor terms must be pairs_, in order")
        need(
            len(g.terms._terms) == n + len(pairs) + int(g.fit_intercept),
            path + ".gams_",
            "one term per feature, one per pair (and the intercept)",
        )
    scores = a.get("interaction_scores_")
    if scores is not None:
        need(
            scores.ndim == 2 and scores.shape[1] == 3,
            path + ".interaction_scores_",
            "rows (i, j, score)",
        )
    for name in ("term_means_", "term_importances_"):
        need(
            a[name].shape == (n + len(pairs), n_out),
            f"{path}.{name}",
            "shape (n_features + n_pairs, n_outputs)",
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
        # pair terms te(i, j); older files have none
        "pairs_": F(list_of(list_of(integer(0, 10**7), kind=tuple)), optional=True),
        "interaction_scores_": F(array("f", 2), optional=True),
    }
    return {
        "GAMClassifier": Family(GAMClassifier, {**gam, **CLASSES}, _gam_check),
        "GAMRegressor": Family(GAMRegressor, gam, _gam_check),
    }
