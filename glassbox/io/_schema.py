"""How a schema of named fields turns an object into JSON and back.

A schema is a dict ``name -> Field``. A ``Field`` holds either a plain check
(the value goes through ``_plain``) or a codec of its own (``Obj``: a rule, a
tree, an equation, a backend model). ``dump_fields`` refuses any attribute the
schema does not list; ``load_fields`` refuses unknown or missing fields and runs
every check before returning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _plain
from ._check import Check, any_plain
from ._plain import Budget, SerializationError


@dataclass(frozen=True)
class Obj:
    """A field with its own codec: ``dump(value, path) -> json``, ``load(json, path, budget)``."""

    dump: Callable[[Any, str], Any]
    load: Callable[..., Any]
    #: ``load`` also takes the fields decoded before this one (``done``)
    needs_done: bool = False


@dataclass(frozen=True)
class Field:
    check: Check | Obj = any_plain
    optional: bool = False  # may be absent from the model (and then from the file)


def F(check: Check | Obj = any_plain, optional: bool = False) -> Field:  # noqa: N802
    return Field(check, optional)


def dump_value(field: Field, value: Any, path: str) -> Any:
    if isinstance(field.check, Obj):
        return field.check.dump(value, path)
    return _plain.encode(value, path)


def load_value(field: Field, node: Any, path: str, budget: Budget, done: dict | None = None) -> Any:
    if isinstance(field.check, Obj):
        if field.check.needs_done:
            return field.check.load(node, path, budget, done if done is not None else {})
        return field.check.load(node, path, budget)
    value = _plain.decode(node, path, budget)
    return field.check(value, path)


def dump_fields(attrs: dict[str, Any], schema: dict[str, Field], path: str) -> dict:
    unknown = sorted(set(attrs) - set(schema))
    if unknown:
        raise SerializationError(
            f"{path}.{unknown[0]}: attribute outside the model file schema of {path} "
            f"(fields: {', '.join(sorted(schema))}); it cannot be saved"
        )
    out = {}
    for name, field in schema.items():
        if name in attrs:
            out[name] = dump_value(field, attrs[name], f"{path}.{name}")
        elif not field.optional:
            raise SerializationError(f"{path}.{name}: missing, the model is not fully fitted")
    return out


def load_fields(node: Any, schema: dict[str, Field], path: str, budget: Budget) -> dict:
    if not isinstance(node, dict):
        raise ValueError(f"model file field {path}: expected an object of fields")
    unknown = sorted(set(node) - set(schema))
    if unknown:
        raise ValueError(f"model file field {path}.{unknown[0][:60]}: not a field of {path}")
    out = {}
    for name, field in schema.items():
        if name in node:
            out[name] = load_value(field, node[name], f"{path}.{name}", budget, out)
        elif not field.optional:
            raise ValueError(f"model file field {path}.{name} is missing")
    return out


def dump_params(est: Any, path: str) -> dict:
    params = est.get_params(deep=False)
    return {k: _plain.encode(v, f"{path}.{k}") for k, v in params.items()}


def construct(cls: type, node: Any, path: str, budget: Budget, fixed: dict | None = None):
    """``cls(**params)`` from the file's params, names and values checked by scikit-learn's
    own parameter validation; ``fixed`` params are given by the schema, not the file."""
    if not isinstance(node, dict):
        raise ValueError(f"model file field {path}: expected an object of parameters")
    fixed = fixed or {}
    names = set(cls().get_params(deep=False)) - set(fixed)
    if set(node) != names:
        extra, missing = sorted(set(node) - names), sorted(names - set(node))
        raise ValueError(
            f"model file field {path}: parameters of {cls.__name__} do not match "
            f"(unknown: {[e[:40] for e in extra]}, missing: {missing})"
        )
    params = {k: _plain.decode(v, f"{path}.{k}", budget) for k, v in node.items()}
    for name in ("n_jobs", "nthread"):  # a file must not make predict start a million workers
        v = params.get(name)
        if v is not None and not (type(v) is int and -64 <= v <= 1024):
            raise ValueError(f"model file field {path}.{name}: must be null or in [-64, 1024]")
    try:
        est = cls(**params, **fixed)
        if hasattr(est, "_parameter_constraints"):
            est._validate_params()
    except (TypeError, ValueError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(
            f"model file field {path}: invalid parameters of {cls.__name__}: {msg}"
        ) from None
    return est


# --- nested models ---------------------------------------------------------------------
# A family whose fitted state holds whole models (one-vs-rest) writes and reads them
# through the package's own model codec, handed down here when ``glassbox.io`` is
# imported: the family schemas sit below it and never import it.
_MODEL_CODEC: list = []


def set_model_codec(dump, load) -> None:
    """Called once by ``glassbox.io`` with its ``dump_model`` and ``load_model``."""
    _MODEL_CODEC[:] = [dump, load]


def dump_nested_model(model: Any, path: str) -> dict:
    return _MODEL_CODEC[0](model, path)


def load_nested_model(node: Any, path: str, budget: Budget) -> Any:
    return _MODEL_CODEC[1](node, path, budget, surrogate=False)
