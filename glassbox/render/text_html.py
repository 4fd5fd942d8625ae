"""Token attributions drawn on their text: HTML spans and ANSI terminal colours.

Reads an explanation of texts by its attributes only (``texts``, ``tokens``,
``values``, ``base_values``, ``output``, ``method`` and, when present, ``spans``
and ``output_names``: surrogates' ``TextExplanation``); imports nothing of
``surrogates``. A token's background runs from blue (lowers the output) through
white to red (raises it), the colours of shap's text plots, on one scale shared
by every text drawn so that texts can be compared; the HTML tooltip (``title``)
gives the token and its value.
"""

from __future__ import annotations

import html as _html

import numpy as np

from glassbox._format import num

__all__ = ["text_explanation_ansi", "text_explanation_html", "token_colour"]

_RED = (255, 13, 87)  # shap's red and blue
_BLUE = (30, 136, 229)


def token_colour(value: float, vmax: float) -> tuple[int, int, int]:
    """RGB of a value on the diverging scale [-vmax, vmax] (white at 0)."""
    if not vmax > 0 or not np.isfinite(value):
        return (255, 255, 255)
    a = min(abs(float(value)) / vmax, 1.0)
    end = _RED if value > 0 else _BLUE
    return tuple(int(round(255 + a * (c - 255))) for c in end)


def _spans(expl, t: int):
    spans = getattr(expl, "spans", ())
    if spans:
        return spans[t]
    out, pos, text = [], 0, expl.texts[t]
    for tok in expl.tokens[t]:  # tokens are found in order in the text
        start = text.find(tok, pos) if tok else -1
        if start < 0:
            out.append((pos, pos))
        else:
            out.append((start, start + len(tok)))
            pos = start + len(tok)
    return out


def _columns(expl, output) -> np.ndarray:
    """Output column drawn for each text."""
    n, k = expl.output.shape
    names = tuple(getattr(expl, "output_names", ()) or ())
    if output is None:
        if k == 2:
            return np.ones(n, dtype=int)
        return np.argmax(expl.output, axis=1)
    if isinstance(output, str):
        if output not in names:
            raise ValueError(f"output {output!r} is not one of the output names {names}")
        return np.full(n, names.index(output))
    if isinstance(output, (int, np.integer)) and 0 <= output < k:
        return np.full(n, int(output))
    raise ValueError(f"output must be an output index in [0, {k}) or a name, got {output!r}")


def _output_name(expl, col: int) -> str:
    names = tuple(getattr(expl, "output_names", ()) or ())
    return names[col] if names else str(col)


def _segments(expl, t: int, col: int):
    """(piece of text, value or None) in text order; None for text between tokens."""
    text = expl.texts[t]
    vals = np.asarray(expl.values[t])
    segs, pos = [], 0
    order = sorted(range(len(vals)), key=lambda i: _spans(expl, t)[i][0])
    spans = _spans(expl, t)
    for i in order:
        a, b = spans[i]
        if b <= a or a < pos:  # tokens with no text of their own ([CLS]) or overlaps
            continue
        if a > pos:
            segs.append((text[pos:a], None))
        segs.append((text[a:b], (i, float(vals[i, col]))))
        pos = b
    if pos < len(text):
        segs.append((text[pos:], None))
    return segs


def _vmax(expl, cols) -> float:
    m = 0.0
    for t, col in enumerate(cols):
        v = np.asarray(expl.values[t])
        if v.size:
            m = max(m, float(np.nanmax(np.abs(v[:, col]))))
    return m


def _header(expl, t: int, col: int) -> str:
    name = _output_name(expl, col)
    targets = (getattr(expl, "extras", None) or {}).get("target_names")
    if targets is not None:  # gradient attributions: the class whose logit is explained
        name = f"{name} ({targets[t]})"
    return (
        f"text {t} ({expl.method[t]}), output {name}: "
        f"base {num(expl.base_values[t, col])} -> output {num(expl.output[t, col])}"
    )


def text_explanation_ansi(expl, output=None, *, color: bool = True) -> str:
    """The texts with each token's background in 24-bit ANSI colour (``color``) or,
    without colour, each token followed by its value in brackets (tokens of value
    exactly 0 are left plain)."""
    cols = _columns(expl, output)
    vmax = _vmax(expl, cols)
    lines = []
    for t, col in enumerate(cols):
        lines.append(_header(expl, t, col))
        parts = []
        for piece, tv in _segments(expl, t, col):
            if tv is None or tv[1] == 0:  # untouched tokens stay plain (dark terminals too)
                parts.append(piece)
            elif color:
                r, g, b = token_colour(tv[1], vmax)
                parts.append(f"\x1b[48;2;{r};{g};{b}m\x1b[38;2;0;0;0m{piece}\x1b[0m")
            else:
                parts.append(f"{piece}[{'+' if tv[1] >= 0 else ''}{num(tv[1], 3)}]")
        lines.append("  " + "".join(parts).replace("\n", "\n  "))
    if color:
        lines.append(f"scale: blue -{num(vmax, 3)} .. white 0 .. red +{num(vmax, 3)}")
    return "\n".join(lines)


_STYLE = (
    ".gb-textexp{font-family:system-ui,sans-serif;line-height:1.9;max-width:60em}"
    ".gb-textexp .head{color:#555;font-size:.85em;margin-top:.8em}"
    ".gb-textexp .body{white-space:pre-wrap}"
    ".gb-textexp .tok{border-radius:3px;padding:1px 1px}"
    ".gb-textexp .legend{font-size:.8em;color:#555;margin-top:.6em}"
    ".gb-textexp .bar{display:inline-block;width:12em;height:.8em;vertical-align:middle;"
    "margin:0 .4em;border:1px solid #ccc}"
)


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def text_explanation_html(expl, output=None, *, full_page: bool = False) -> str:
    """An HTML fragment (or a whole page) with one ``<span class="tok">`` per token,
    its background on the diverging scale and ``title`` "token: value"."""
    cols = _columns(expl, output)
    vmax = _vmax(expl, cols)
    out = [f"<div class='gb-textexp'><style>{_STYLE}</style>"]
    for t, col in enumerate(cols):
        out.append(f"<div class='head'>{_html.escape(_header(expl, t, col))}</div>")
        body = []
        for piece, tv in _segments(expl, t, col):
            if tv is None:
                body.append(_html.escape(piece))
                continue
            i, v = tv
            tip = f"{expl.tokens[t][i]}: {'+' if v >= 0 else ''}{num(v)}"
            body.append(
                f"<span class='tok' style='background:{_hex(token_colour(v, vmax))}' "
                f"title='{_html.escape(tip, quote=True)}'>{_html.escape(piece)}</span>"
            )
        out.append(f"<div class='body'>{''.join(body)}</div>")
    grad = (
        f"linear-gradient(to right,{_hex(_BLUE)},#ffffff,{_hex(_RED)})" if vmax > 0 else "#ffffff"
    )
    out.append(
        f"<div class='legend'>-{_html.escape(num(vmax, 3))}<span class='bar' "
        f"style='background:{grad}'></span>+{_html.escape(num(vmax, 3))}"
        " (red raises the output, blue lowers it)</div></div>"
    )
    frag = "".join(out)
    if not full_page:
        return frag
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<title>token attributions</title></head><body>" + frag + "</body></html>"
    )
