"""The schemas of every glassbox family, by class name (one module per family).

Every family lists its fitted attributes with a declared plain type or a codec
(input schema, rule conditions, decision tree, EBM, pygam GAMs, equations).
Backend objects that ``predict`` and the explanations do not need (the imodels /
wittgenstein / mlxtend estimator behind a rule family, the scikit-learn solver
behind a GLM) are not written: they are ``None`` after a load. ``check``
functions run after every field is decoded and before the model is built, so no
index is used before it is known to be in range.
"""

from __future__ import annotations

from ._common import FRAME, Family, _common_check
from ._schema_symbolic import Lazy, dump_equations, load_equations

__all__ = [
    "FRAME",
    "Family",
    "Lazy",
    "_common_check",
    "dump_equations",
    "families",
    "load_equations",
]

_FAMILIES: dict | None = None


def families() -> dict[str, Family]:
    """Class name -> Family, in the registry's order."""
    global _FAMILIES
    if _FAMILIES is None:
        from ..registry import ESTIMATORS
        from . import (
            _schema_ebm,
            _schema_gam,
            _schema_glm,
            _schema_rules,
            _schema_svm,
            _schema_symbolic,
            _schema_tree,
        )

        found: dict[str, Family] = {}
        for mod in (
            _schema_glm,
            _schema_tree,
            _schema_rules,
            _schema_symbolic,
            _schema_gam,
            _schema_ebm,
            _schema_svm,
        ):
            found.update(mod.families())
        _FAMILIES = {c.__name__: found[c.__name__] for c in ESTIMATORS if c.__name__ in found}
    return _FAMILIES
