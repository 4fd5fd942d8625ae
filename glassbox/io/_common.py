"""What the schemas of the glassbox families share: the Family record, the common fields
(feature names, input schema, counts, classes), and codecs for the input schema, tables
and backend objects that are not stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _plain
from ._check import (
    array,
    bad,
    classes,
    dict_of,
    integer,
    list_of,
    names_array,
    need,
    one_of,
    optional,
    text,
)
from ._plain import SerializationError
from ._schema import F, Field, Obj


@dataclass
class Family:
    cls: type
    fields: dict[str, Field]
    check: Callable[[dict, str], None] | None = None
    dropped: tuple[str, ...] = ()  # attributes set to None after a load
    derived: Callable[[Any], None] | None = None  # recomputes display-only attributes


COUNT = integer(0, 2**62)


FLOATS = array("f")


def _dump_schema(v, path):
    from .._validation import InputSchema

    if type(v) is not InputSchema:
        raise SerializationError(f"{path}: expected an InputSchema, got {type(v).__name__}")
    return _plain.encode(v.to_dict(), path)


def _load_schema(node, path, budget):
    from .._validation import InputSchema

    d = _json_dict(_plain.decode(node, path, budget))
    try:
        return InputSchema.from_dict(d)
    except (TypeError, ValueError) as exc:
        raise bad(path, str(exc).splitlines()[0]) from None


def _json_dict(v):
    """Plain decoded values back to what ``to_dict`` wrote (tuples as lists)."""
    if isinstance(v, dict):
        return {k: _json_dict(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_dict(x) for x in v]
    return v


INPUT_SCHEMA = Obj(_dump_schema, _load_schema)


COMMON = {
    "n_features_in_": F(integer(1, 10_000_000)),
    "feature_names_in_": F(names_array, optional=True),
    "input_schema_": F(INPUT_SCHEMA, optional=True),
    "complexity_": F(COUNT, optional=True),
    "n_train_": F(COUNT, optional=True),
}


CLASSES = {"classes_": F(classes)}


def _source(v, path):
    list_of(list_of(optional(text(100_000)), kind=tuple))(v, path)
    for i, t in enumerate(v):
        need(
            len(t) == 2 and isinstance(t[0], str), f"{path}[{i}]", "must be (column, level or null)"
        )
    return v


def _term_column(v, path):
    list_of(optional(text(100_000)))(v, path)
    need(
        len(v) == 3 and isinstance(v[0], str),
        path,
        "must be [column, level or null, reference or null]",
    )
    return v


SOURCE = _source


TERM_COLUMN = _term_column


CATEGORIES = optional(dict_of(integer(0, 10**7), one_of(array("OU", 1), list_of(text(100_000)))))


def _dump_none(v, path):
    return None  # a backend object predict does not need: not written, None after load


def _load_none(node, path, budget):
    need(node is None, path, "must be null (this backend object is not stored)")
    return None


DROPPED = Obj(_dump_none, _load_none)


def _n_columns(done: dict) -> int:
    enc = done.get("encoded_names_")
    n = done.get("n_features_in_", 0)
    return max(n, len(enc)) if isinstance(enc, list) else n


def _common_check(a: dict, path: str) -> None:
    n = a["n_features_in_"]
    if "classes_" in a:
        need(len(a["classes_"]) >= 2, path + ".classes_", "a classifier has at least two classes")
    enc = a.get("encoded_names_")
    if enc is not None and a.get("source_") is not None:
        need(len(a["source_"]) == len(enc), path + ".source_", "one entry per encoded column")
    names = a.get("feature_names_in_")
    if names is not None:
        need(len(names) == n, path + ".feature_names_in_", f"needs {n} names")
    cats = a.get("categories_")
    if cats:
        need(all(k < n for k in cats), path + ".categories_", f"columns must be below {n}")
    schema = a.get("input_schema_")
    if schema is not None:
        need(len(schema.names) == n, path + ".input_schema_", f"needs {n} columns")


def _scales_check(a, path, width):
    scale = a.get("input_scale_")
    if scale is not None:
        need(scale.shape == (width,), path + ".input_scale_", f"one divisor per column ({width})")
        need(bool(np.all(np.isfinite(scale) & (scale > 0))), path + ".input_scale_", "must be > 0")
    t = a.get("target_scale_")
    if t is not None:
        need(np.isfinite(t) and t > 0, path + ".target_scale_", "must be a finite number > 0")


def _frame_dump(v, path):
    import pandas as pd

    if type(v) is not pd.DataFrame or not isinstance(v.index, pd.RangeIndex) or v.index.start != 0:
        raise SerializationError(f"{path}: expected a table with a plain row index")
    cols = []
    for name in v.columns:
        if not isinstance(name, str):
            raise SerializationError(f"{path}: column names must be strings")
        values = v[name].to_numpy()
        if values.dtype.kind not in "biuf":
            values = np.array([str(x) for x in values], dtype=object)
        cols.append([name, _plain.encode(values, f"{path}[{name!r}]")])
    return {"n_rows": len(v), "columns": cols}


def _frame_load(node, path, budget, text_columns: tuple = ()):
    import pandas as pd

    need(
        isinstance(node, dict) and set(node) == {"n_rows", "columns"},
        path,
        "a table has n_rows and columns",
    )
    n = integer(0, 10**8)(node["n_rows"], path + ".n_rows")
    need(
        isinstance(node["columns"], list) and len(node["columns"]) <= 1000,
        path + ".columns",
        "expected a list of columns",
    )
    data = {}
    for i, c in enumerate(node["columns"]):
        need(
            isinstance(c, list) and len(c) == 2,
            f"{path}.columns[{i}]",
            "a column is [name, values]",
        )
        name = text(1000)(c[0], f"{path}.columns[{i}]")
        need(name not in data, f"{path}.columns[{i}]", "repeated column")
        kinds = "biufO" if name in text_columns else "biuf"
        values = array(kinds, 1, shape=(n,))(
            _plain.decode(c[1], f"{path}[{name!r}]", budget), f"{path}[{name!r}]"
        )
        data[name] = values
    return (
        pd.DataFrame(data, index=pd.RangeIndex(n)) if data else pd.DataFrame(index=pd.RangeIndex(n))
    )


FRAME = Obj(_frame_dump, _frame_load)
