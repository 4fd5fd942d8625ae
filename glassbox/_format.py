"""Numbers and text pieces every printout shares; imports nothing of the project.

Models (rule thresholds chosen at fit time), the renderer and ``surrogates``
all format numbers here, so a printed number means the same everywhere and no
model reaches the renderer. Numbers a reader may re-evaluate carry ``DIGITS``
significant digits; ``exact`` and ``exact_num`` read back as the same float.
"""

from __future__ import annotations

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


# --- rules -------------------------------------------------------------------


def condition_text(feature: str, op: str, value: float | str) -> str:
    """``age > 42.5`` / ``colour == red``: a threshold prints so it reads back exactly."""
    if isinstance(value, str):
        return f"{feature} {op} {value}"
    return f"{feature} {op} {exact_num(value)}"


def rule_text(conditions) -> str:
    """Conditions (anything with ``feature``, ``op``, ``value``) joined by AND; TRUE if none."""
    if not conditions:
        return "TRUE"
    return " AND ".join(condition_text(c.feature, c.op, c.value) for c in conditions)
