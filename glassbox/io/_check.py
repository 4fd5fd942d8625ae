"""Typed checks of decoded fields: each returns the value or raises ValueError naming it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

Check = Callable[[Any, str], Any]


def bad(path: str, what: str) -> ValueError:
    return ValueError(f"model file field {path}: {what}")


def any_plain(v: Any, path: str) -> Any:
    return v


def is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def integer(lo: int | None = None, hi: int | None = None) -> Check:
    def check(v, path):
        if not is_int(v):
            raise bad(path, f"expected an integer, got {type(v).__name__}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise bad(path, f"{v} is out of range [{lo}, {hi}]")
        return v

    return check


def number(finite: bool = True) -> Check:
    def check(v, path):
        if isinstance(v, (bool, np.bool_)) or not isinstance(
            v, (int, float, np.integer, np.floating)
        ):
            raise bad(path, f"expected a number, got {type(v).__name__}")
        if finite and not math.isfinite(float(v)):
            raise bad(path, f"expected a finite number, got {v}")
        return v

    return check


def boolean(v: Any, path: str) -> Any:
    if not isinstance(v, (bool, np.bool_)):
        raise bad(path, f"expected true or false, got {type(v).__name__}")
    return v


def text(max_len: int = 10_000, choices: tuple | None = None) -> Check:
    def check(v, path):
        if not isinstance(v, str) or len(v) > max_len:
            raise bad(path, f"expected a string of at most {max_len} characters")
        if choices is not None and v not in choices:
            raise bad(path, f"{v[:40]!r} is not one of {list(choices)}")
        return v

    return check


def optional(inner: Check) -> Check:
    def check(v, path):
        return None if v is None else inner(v, path)

    return check


def array(
    kinds: str = "f",
    ndim: int | tuple | None = None,
    finite: bool = False,
    shape: tuple | None = None,
) -> Check:
    """A numpy array of dtype kind in ``kinds`` ("f" float, "i"/"u" int, "b", "U", "O")."""

    def check(v, path):
        if not isinstance(v, np.ndarray):
            raise bad(path, f"expected an array, got {type(v).__name__}")
        if v.dtype.kind not in kinds:
            raise bad(path, f"expected an array of kind {kinds!r}, got dtype {v.dtype}")
        dims = (ndim,) if isinstance(ndim, int) else ndim
        if dims is not None and v.ndim not in dims:
            raise bad(path, f"expected {ndim}-D, got shape {v.shape}")
        if shape is not None and (
            len(shape) != v.ndim or any(s is not None and s != t for s, t in zip(shape, v.shape))
        ):
            raise bad(path, f"expected shape {shape}, got {v.shape}")
        if finite and v.dtype.kind == "f" and not np.all(np.isfinite(v)):
            raise bad(path, "holds NaN or infinite values")
        if v.dtype.kind == "O" and not all(isinstance(x, str) for x in v.ravel()):
            raise bad(path, "object arrays here hold strings only")
        return v

    return check


def list_of(inner: Check, max_len: int | None = None, kind: type = list) -> Check:
    def check(v, path):
        if type(v) is not kind:
            raise bad(path, f"expected a {kind.__name__}, got {type(v).__name__}")
        if max_len is not None and len(v) > max_len:
            raise bad(path, f"more than {max_len} entries")
        for i, x in enumerate(v):
            inner(x, f"{path}[{i}]")
        return v

    return check


def dict_of(key: Check, value: Check) -> Check:
    def check(v, path):
        if type(v) is not dict:
            raise bad(path, f"expected a dict, got {type(v).__name__}")
        for k, x in v.items():
            key(k, f"{path}.key")
            value(x, f"{path}[{k!r}]")
        return v

    return check


def one_of(*checks: Check) -> Check:
    def check(v, path):
        errors = []
        for c in checks:
            try:
                return c(v, path)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(errors[0] if len(errors) == 1 else " / ".join(errors))

    return check


def names_array(v: Any, path: str) -> Any:
    """feature_names_in_: a 1-D object array of strings."""
    return array("O", 1)(v, path)


def classes(v: Any, path: str) -> Any:
    """classes_: a 1-D array of numbers, booleans or strings (at least one class)."""
    array("biufUO", 1)(v, path)
    if len(v) < 1:
        raise bad(path, "no classes")
    return v


def need(cond: bool, path: str, what: str) -> None:
    if not cond:
        raise bad(path, what)
