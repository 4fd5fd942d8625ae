"""Schema of the tree family: the scikit-learn tree rebuilt from its validated node table
(``_sklearn``), its width and classes checked against the model's.
"""

from __future__ import annotations

from . import _sklearn
from ._check import (
    list_of,
    need,
    number,
    optional,
    text,
)
from ._common import (
    CLASSES,
    COMMON,
    FLOATS,
    SOURCE,
    Family,
    _scales_check,
)
from ._schema import F, Obj


def _dump_sk(v, path):
    return _sklearn.dump_estimator(v, path)


SKLEARN_TREE = Obj(_dump_sk, lambda node, path, budget: _sklearn.load_estimator(node, path, budget))


def _tree_check(a, path):
    est = a["estimator_"]
    need(
        type(est).__name__ in ("DecisionTreeClassifier", "DecisionTreeRegressor"),
        path + ".estimator_",
        "must be a scikit-learn decision tree",
    )
    width = est.n_features_in_
    enc = a.get("encoded_names_")
    want = len(enc) if enc is not None else a["n_features_in_"]
    need(width == want, path + ".estimator_", f"must read the model's {want} columns")
    _scales_check(a, path, width)
    if "classes_" in a:
        need(
            est.tree_.n_classes[0] == len(a["classes_"]),
            path + ".estimator_",
            "class count differs",
        )


def families() -> dict[str, Family]:
    from ..models.tree import TreeClassifier, TreeRegressor

    tree = {
        **COMMON,
        "estimator_": F(SKLEARN_TREE),
        "encoded_names_": F(list_of(text(100_000)), optional=True),
        "source_": F(SOURCE, optional=True),
        "input_scale_": F(optional(FLOATS), optional=True),
        "target_scale_": F(number(), optional=True),
    }
    return {
        "TreeClassifier": Family(TreeClassifier, {**tree, **CLASSES}, _tree_check),
        "TreeRegressor": Family(TreeRegressor, tree, _tree_check),
    }
