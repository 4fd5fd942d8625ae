"""Numbers and text pieces every printout shares; imports nothing of the project.

Models (rule thresholds chosen at fit time), the renderer and ``surrogates``
all format numbers here, so a printed number means the same everywhere and no
model reaches the renderer. Numbers a reader may re-evaluate carry ``DIGITS``
significant digits; ``exact`` and ``exact_num`` read back as the same float.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

#: significant digits of numbers that a reader may re-evaluate
DIGITS = 8


def num(x: float, digits: int = DIGITS) -> str:
    """A number with ``digits`` significant digits, no trailing zeros, no -0."""
    x = float(x)
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        return f"{mant}e{int(exp)}"
    return text


def short(x: float) -> str:
    """A number to 4 significant digits, for tables a person scans."""
    return num(x, 4)


def exact(x: float) -> str:
    """A float with 17 significant digits: reading it back gives the same float."""
    return num(x, 17)


def exact_num(x: float) -> str:
    """A threshold that reads back as exactly the same float64.

    Eight significant digits (``num``) when that round-trips, else Python's
    shortest exact repr, so ``x <= printed`` selects the same rows.
    """
    x = float(x)
    text = num(x)
    return text if float(text) == x else repr(x)


def signed_term(coef: float, name: str | None, digits: int = DIGITS) -> str:
    """`+ 1.5*age` / `- 0.25*age` (or a bare constant when name is None)."""
    sign = "-" if coef < 0 else "+"
    mag = num(abs(coef), digits)
    return f"{sign} {mag}" if name is None else f"{sign} {mag}*{name}"


def table(headers: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """A plain fixed-width table; ``align`` is one 'l'/'r' per column."""
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]

    def fmt(cells):
        out = [
            str(c).ljust(w) if a == "l" else str(c).rjust(w)
            for c, w, a in zip(cells, widths, align)
        ]
        return "  ".join(out).rstrip()

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def sparkline(values) -> str:
    """Eight-level block sparkline of a 1-D shape function."""
    blocks = "▁▂▃▄▅▆▇█"
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return ""
    lo, hi = v.min(), v.max()
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        return blocks[3] * len(v)
    idx = np.round((v - lo) / (hi - lo) * (len(blocks) - 1)).astype(int)
    return "".join(blocks[i] for i in idx)


# --- cut points ---------------------------------------------------------------


def shortest_between(lo: float, hi: float, *, closed: str = "left") -> float:
    """The float with the fewest significant decimal digits inside an interval.

    ``closed="left"`` searches ``lo <= c < hi`` (a cut ``x <= c`` that keeps a
    value ``lo`` on the left and ``hi`` on the right); ``closed="right"``
    searches ``lo < c <= hi`` (a cut ``x < c`` / ``x >= c``). 0 when it is
    inside; else, among the candidates with the fewest digits, the one nearest
    the midpoint, so
    a cut between the integers 3 and 7 is 5 and one between 16.79 and 16.8013
    is 16.8. Comparisons are made on the float the decimal rounds to, which is
    what a model stores and compares, so ``repr`` of the result is that short
    decimal. ``lo`` itself (``closed="left"``) or ``hi`` (``"right"``) is
    returned when the interval is empty or a bound is not finite.
    """
    lo, hi = float(lo), float(hi)
    fallback = lo if closed == "left" else hi
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        return fallback

    def inside(c: float) -> bool:
        return lo <= c < hi if closed == "left" else lo < c <= hi

    if inside(0.0):
        return 0.0
    dlo, dhi = Decimal(lo), Decimal(hi)
    mid = (dlo + dhi) / 2
    top = max(abs(lo), abs(hi))
    e = math.floor(math.log10(top)) + 1
    # from the coarsest step down; 10**-1100 is below every float's last digit.
    # The first step with a candidate and the next one can hold numbers of the
    # same digit count (-10 and -9): both are compared on (digits, distance to mid).
    found: list[tuple[int, Decimal, float]] = []
    first = None
    while e > -1100 and (first is None or e >= first - 1):
        step = Decimal(1).scaleb(e)
        k_lo = math.floor(dlo / step)
        k_hi = math.ceil(dhi / step)
        if k_hi - k_lo <= 64:
            ks = range(k_lo, k_hi + 1)
        else:  # a wide interval: only the steps next to the midpoint matter
            k_mid = round(mid / step)
            ks = range(k_mid - 2, k_mid + 3)
        for k in ks:
            c = float(Decimal(k) * step)
            if k and inside(c):
                digits = len(str(abs(k)).rstrip("0"))
                found.append((digits, abs(Decimal(k) * step - mid), c))
        if found and first is None:
            first = e
        e -= 1
    if found:
        return min(found)[2]
    return fallback


def cut_between(lo: float, hi: float) -> float:
    """A cut ``x <= c`` with ``lo <= c < hi``: an integer between two integers
    (``Seniority <= 3``), else the shortest decimal (``shortest_between``)."""
    return shortest_between(lo, hi, closed="left")


# --- rules -------------------------------------------------------------------


def condition_text(feature: str, op: str, value=None) -> str:
    """One condition as a reader sees it.

    ``age > 42.5`` (a number prints so it reads back as the same float),
    ``Home = owner`` / ``Home != owner`` (one level), ``Home in {owner, priv}`` /
    ``Home not in {...}`` (a tuple of levels), ``Grade <= mid`` (a threshold on
    an ordered category, printed as its level), ``Income is missing``.
    """
    if op == "is missing":
        return f"{feature} is missing"
    if isinstance(value, tuple):
        return f"{feature} {op} {{{', '.join(map(str, value))}}}"
    if isinstance(value, str):
        return f"{feature} {op} {value}"
    return f"{feature} {op} {exact_num(value)}"


def rule_text(conditions) -> str:
    """Conditions (anything with ``feature``, ``op``, ``value``) joined by AND; TRUE if none."""
    if not conditions:
        return "TRUE"
    return " AND ".join(condition_text(c.feature, c.op, c.value) for c in conditions)
