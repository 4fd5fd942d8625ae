"""Checks of numeric parameters shared by anchors, local surrogates and metrics:
one wording for every "must be an integer >= k" / "must be in (0, 1)" error."""

from __future__ import annotations

import numbers

import numpy as np


def check_int(name: str, value, minimum: int) -> int:
    """An integer parameter >= minimum (bools refused: True is not a count)."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)):
        if np.isfinite(value) and float(value).is_integer():
            value = int(value)  # 1e5 is a count too
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_real(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real parameter within [low, high] (either end open if asked)."""
    if high is None:
        want = "a finite number" + ("" if low is None else f" {'>' if low_open else '>='} {low}")
    else:
        want = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be {'a number ' if high is not None else ''}{want}, got {value!r}"
        )
    v = float(value)
    bad = (
        not np.isfinite(v)
        or (low is not None and (v <= low if low_open else v < low))
        or (high is not None and (v >= high if high_open else v > high))
    )
    if bad:
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return v


def check_confidence(confidence) -> float:
    """A confidence level for an interval, in (0, 1)."""
    return check_real("confidence", confidence, low=0, high=1, low_open=True, high_open=True)
