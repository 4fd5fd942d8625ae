"""Schema of the EBM family: interpret's EBM rebuilt from its public attributes
(``_backends``), its terms checked against the model's.
"""

from __future__ import annotations

from ._backends import EBM
from ._check import (
    integer,
    list_of,
    need,
    text,
)
from ._common import (
    CATEGORIES,
    CLASSES,
    COMMON,
    FLOATS,
    Family,
)
from ._schema import F


def _ebm_check(a, path):
    est = a["estimator_"]
    k = len(a["term_features_"])
    need(len(a["term_names_"]) == k, path + ".term_names_", f"one name per term ({k})")
    need(
        a["term_importances_"].ndim >= 1 and a["term_importances_"].shape[0] == k,
        path + ".term_importances_",
        f"one entry per term ({k})",
    )
    need(
        all(f < a["n_features_in_"] for t in a["term_features_"] for f in t),
        path + ".term_features_",
        "feature index out of range",
    )
    need(
        [tuple(t) for t in est.term_features_] == [tuple(t) for t in a["term_features_"]],
        path + ".term_features_",
        "differ from the EBM's",
    )
    need(est.n_features_in_ == a["n_features_in_"], path + ".estimator_", "feature count differs")
    if "classes_" in a:
        need(len(est.classes_) == len(a["classes_"]), path + ".estimator_", "class count differs")


def families() -> dict[str, Family]:
    from ..models.ebm import EBMClassifier, EBMRegressor

    ebm = {
        **COMMON,
        "categories_": F(CATEGORIES, optional=True),
        "estimator_": F(EBM),
        "link_": F(text(40)),
        "term_names_": F(list_of(text(100_000))),
        "term_features_": F(list_of(list_of(integer(0, 10**7), 8, kind=tuple))),
        "term_importances_": F(FLOATS),
    }
    return {
        "EBMClassifier": Family(EBMClassifier, {**ebm, **CLASSES}, _ebm_check),
        "EBMRegressor": Family(EBMRegressor, ebm, _ebm_check),
    }
