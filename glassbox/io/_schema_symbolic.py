"""Schema of the symbolic family: equations as trees over a whitelist (``_equation``),
read once the model exists because their symbols are its design names; the Pareto
front's numbers, its equation text recomputed from the equations.
"""

from __future__ import annotations

from typing import Any

from . import _equation
from ._check import (
    array,
    need,
    number,
)
from ._common import (
    COMMON,
    COUNT,
    Family,
    _frame_dump,
    _frame_load,
)
from ._plain import SerializationError
from ._schema import F, Obj


class Raw:
    """JSON already written for a field whose codec needs the whole model (equations)."""

    def __init__(self, data: Any) -> None:
        self.data = data


class Lazy:
    """A field read once the model exists (equations need its feature names)."""

    def __init__(self, node: Any, path: str) -> None:
        self.node, self.path = node, path


def _raw_dump(v, path):
    if not isinstance(v, Raw):
        raise SerializationError(f"{path}: not prepared for saving")
    return v.data


LATE = Obj(_raw_dump, lambda node, path, budget: Lazy(node, path))


def dump_equations(model, attrs: dict, path: str) -> None:
    """Equations of a SymbolicRegressor as trees over the model's symbols (its feature
    names, and ``[column = level]`` for the levels of a text column)."""
    names = _symbol_names(model)
    if "equation_" in attrs:
        attrs["equation_"] = Raw(_equation.dump(attrs["equation_"], names, path + ".equation_"))
    if "_front_exprs" in attrs:
        front = attrs["_front_exprs"]
        if type(front) is not list:
            raise SerializationError(f"{path}._front_exprs: expected a list of equations")
        attrs["_front_exprs"] = Raw(
            [_equation.dump(e, names, f"{path}._front_exprs[{i}]") for i, e in enumerate(front)]
        )


def _symbol_names(model) -> list[str]:
    names = getattr(model, "design_names_", None)
    return [str(n) for n in (model.feature_names_ if names is None else names)]


def load_equations(model, path: str) -> None:
    names = _symbol_names(model)
    eq = model.equation_
    model.equation_ = _equation.load(eq.node, names, eq.path)
    front = model._front_exprs
    need(
        isinstance(front.node, list) and 1 <= len(front.node) <= 10_000,
        front.path,
        "expected a list of equations",
    )
    model._front_exprs = [
        _equation.load(e, names, f"{front.path}[{i}]") for i, e in enumerate(front.node)
    ]
    need(
        model._X_background.shape[1] == len(names),
        path + "._X_background",
        f"one column per symbol ({len(names)})",
    )
    i = model.selected_index_
    need(
        0 <= i < len(model._front_exprs),
        path + ".selected_index_",
        f"must be in [0, {len(model._front_exprs)})",
    )
    need(
        len(model.pareto_front_) == len(model._front_exprs),
        path + ".pareto_front_",
        "one row per equation of the front",
    )


def _symbolic_check(a, path):
    need(a["_X_background"].ndim == 2, path + "._X_background", "must be 2-D")


def _symbolic_derived(model) -> None:
    from ..models import _sympy_tools as st

    front = model.pareto_front_
    if "equation" in getattr(front, "columns", ()):
        front["equation"] = [st.to_text(e) for e in model._front_exprs]


_FRONT_COLUMNS = ["complexity", "loss", "r2", "score", "equation"]


def _front_load(node, path, budget):
    frame = _frame_load(node, path, budget, text_columns=("equation",))
    need(list(frame.columns) == _FRONT_COLUMNS, path, f"columns must be {_FRONT_COLUMNS}")
    need(frame["complexity"].dtype.kind in "iu", path + "['complexity']", "must be integers")
    return frame


PARETO_FRONT = Obj(_frame_dump, _front_load)


def families() -> dict[str, Family]:
    from ..models.symbolic import SymbolicRegressor

    symbolic = {
        **COMMON,
        "n_generations_": F(COUNT),
        "n_search_rows_": F(COUNT, optional=True),  # operon only; older files lack it
        "search_seconds_": F(number()),
        "simplify_seconds_": F(number()),
        "_front_exprs": F(LATE),
        "pareto_front_": F(PARETO_FRONT),
        "_X_background": F(array("f", 2)),
        "selected_index_": F(COUNT),
        "equation_": F(LATE),
        "train_r2_": F(number(finite=False)),
    }
    return {
        "SymbolicRegressor": Family(
            SymbolicRegressor, symbolic, _symbolic_check, (), _symbolic_derived
        ),
    }
