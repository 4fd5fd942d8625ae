"""Token attributions for any text classifier: exact Shapley, Owen values, occlusion.

``classifier`` is any callable from a list of strings to scores of shape
``(n,)`` or ``(n, k)``: a scikit-learn text pipeline's ``predict_proba``, a
plain function. A text is split into tokens with the separators between them
kept, so a coalition of tokens rebuilds the text exactly (absent tokens become
``mask_token``) and the full coalition gives back the original string.

method="shap"
    Exact Shapley values when a text has at most 12 tokens (all ``2**n``
    coalitions, batched model calls). Longer texts get Owen values over a
    balanced binary hierarchy of contiguous token spans (built in linear time).
    The Owen value is exact for that hierarchy: a node at depth ``d`` is
    evaluated in each of the ``2**d`` contexts formed by its ancestors'
    siblings being present or absent, which costs about ``3 n**2 / 4`` model
    calls for ``n`` tokens (``2 n**2 / 3`` when ``n`` is a power of two; 7,340
    for 100 tokens) and memory of order ``n**3 / 2`` booleans. Both are additive: ``base + sum(values) == output``.
    On an additive model (a bag-of-words linear score) the Owen values equal
    the Shapley values.
method="occlusion"
    ``output - f(text without token i)`` for each token: ``n + 1`` model calls.
    Not additive in general; ``base_values`` is then the score of the text
    with every token masked.

LIME on text is not provided: :class:`surrogates.LocalSurrogate` works on
tabular rows and does not fit token masks cleanly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import factorial

import numpy as np

from glassbox._format import num

__all__ = ["TextExplanation", "explain_text"]

_TOKEN = re.compile(r"\w+|[^\w\s]")
_EXACT_MAX = 12
_METHODS = ("shap", "occlusion", "lime")


@dataclass(frozen=True)
class TextExplanation:
    """Attributions of one model's outputs to the tokens of each text.

    Attributes
    ----------
    texts : tuple of str
    tokens : tuple of tuple of str
        The tokens of each text, in order.
    values : tuple of ndarray
        One ``(n_tokens, n_outputs)`` array per text.
    base_values : ndarray of shape (n_texts, n_outputs)
        The score with every token masked.
    output : ndarray of shape (n_texts, n_outputs)
        The model's score of each original text.
    method : str
        ``"shapley"`` (exact), ``"owen"`` or ``"occlusion"``, one per text.
    """

    texts: tuple
    tokens: tuple
    values: tuple
    base_values: np.ndarray
    output: np.ndarray
    method: tuple

    def to_frame(self):
        """One row per text, token and output: text, position, token, output, value."""
        import pandas as pd

        rows = []
        for t, (toks, vals) in enumerate(zip(self.tokens, self.values, strict=True)):
            for p, tok in enumerate(toks):
                for o in range(vals.shape[1]):
                    rows.append((t, p, tok, o, float(vals[p, o])))
        return pd.DataFrame(rows, columns=["text", "position", "token", "output", "value"])

    def __str__(self) -> str:
        lines = []
        for t, (toks, vals) in enumerate(zip(self.tokens, self.values, strict=True)):
            for o in range(self.output.shape[1]):
                lines.append(
                    f"text {t}, output {o} ({self.method[t]}): base {num(self.base_values[t, o])}"
                    f" -> output {num(self.output[t, o])}"
                )
                body = " ".join(
                    f"{tok}({'+' if v >= 0 else ''}{num(v)})"
                    for tok, v in zip(toks, vals[:, o], strict=True)
                )
                lines.append("  " + (body or "(no tokens)"))
        return "\n".join(lines)


def _split(text: str, tokenizer) -> tuple[list[str], list[str]]:
    """Tokens and the ``n + 1`` separators around them (text = s0 t0 s1 t1 ... sn)."""
    if tokenizer is None:
        spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    else:
        tok = tokenizer.tokenize if hasattr(tokenizer, "tokenize") else tokenizer
        spans, pos = [], 0
        for piece in tok(text):
            start = text.find(piece, pos)
            if start < 0:
                raise ValueError(
                    f"tokenizer returned {piece!r}, which is not a substring of the text after "
                    f"position {pos}; pass a tokenizer whose tokens are pieces of the text"
                )
            spans.append((start, start + len(piece)))
            pos = start + len(piece)
    tokens = [text[a:b] for a, b in spans]
    cuts = [0] + [x for ab in spans for x in ab] + [len(text)]
    seps = [text[cuts[2 * i] : cuts[2 * i + 1]] for i in range(len(spans) + 1)]
    return tokens, seps


def _build(tokens: list[str], seps: list[str], mask: np.ndarray, mask_token: str) -> str:
    parts = [seps[0]]
    for tok, keep, sep in zip(tokens, mask, seps[1:], strict=True):
        parts.append(tok if keep else mask_token)
        parts.append(sep)
    return "".join(parts)


class _Model:
    """Batched calls; every result as a float ``(n, k)`` array."""

    def __init__(self, f: Callable, batch_size: int):
        self.f, self.batch_size, self.k = f, batch_size, None

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = []
        for i in range(0, len(texts), self.batch_size):
            chunk = texts[i : i + self.batch_size]
            y = np.asarray(self.f(list(chunk)), dtype=float)
            if y.ndim == 1:
                y = y[:, None]
            if y.ndim != 2 or y.shape[0] != len(chunk):
                raise ValueError(
                    f"classifier returned shape {y.shape} for {len(chunk)} texts; it must "
                    "return one score or one row of scores per text"
                )
            if self.k is not None and y.shape[1] != self.k:
                raise ValueError("classifier returned a different number of outputs per call")
            self.k = y.shape[1]
            out.append(y)
        if not out:
            return np.zeros((0, self.k or 1))
        return np.concatenate(out)


def _shapley(tokens, seps, model, mask_token):
    n = len(tokens)
    codes = np.arange(2**n)
    masks = ((codes[:, None] >> np.arange(n)) & 1).astype(bool)
    v = model([_build(tokens, seps, m, mask_token) for m in masks])
    size = masks.sum(1)
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    phi = np.zeros((n, v.shape[1]))
    for i in range(n):
        without = codes[~masks[:, i]]
        phi[i] = weight[size[without]] @ (v[without | (1 << i)] - v[without])
    return phi, v[0], v[-1]


def _owen(tokens, seps, model, mask_token):
    """Exact Owen values over a balanced binary split, one batch of model calls per level."""
    n = len(tokens)
    empty = np.zeros((1, n), dtype=bool)
    full = np.ones((1, n), dtype=bool)
    v0, v1 = model([_build(tokens, seps, m, mask_token) for m in (empty[0], full[0])])
    phi = np.zeros((n, v0.shape[0]))
    # each node: span [a, b), contexts C (m x n), f(C) and f(C with the span present)
    level = [(0, n, empty, v0[None], v1[None])]
    while level:
        asks = []
        for a, b, C, _, _ in level:
            mid = (a + b) // 2
            CL, CR = C.copy(), C.copy()
            CL[:, a:mid] = True
            CR[:, mid:b] = True
            asks.append((CL, CR))
        flat = [m for CL, CR in asks for M in (CL, CR) for m in M]
        vals = model([_build(tokens, seps, m, mask_token) for m in flat])
        nxt, pos = [], 0
        for (a, b, C, fC, fCN), (CL, CR) in zip(level, asks, strict=True):
            m = len(C)
            fL, fR = vals[pos : pos + m], vals[pos + m : pos + 2 * m]
            pos += 2 * m
            mid = (a + b) // 2
            # left child: sibling absent (C) or present (C + right span); same for the right
            for lo, hi, ctx, f_out, f_in in (
                (a, mid, np.vstack([C, CR]), np.vstack([fC, fR]), np.vstack([fL, fCN])),
                (mid, b, np.vstack([C, CL]), np.vstack([fC, fL]), np.vstack([fR, fCN])),
            ):
                if hi - lo == 1:
                    phi[lo] = (f_in - f_out).mean(0)
                else:
                    nxt.append((lo, hi, ctx, f_out, f_in))
        level = nxt
    return phi, v0, v1


def _occlusion(tokens, seps, model, mask_token):
    n = len(tokens)
    masks = np.ones((n + 2, n), dtype=bool)
    masks[np.arange(n), np.arange(n)] = False
    masks[n] = False
    v = model([_build(tokens, seps, m, mask_token) for m in masks])
    return v[n + 1] - v[:n], v[n], v[n + 1]


def explain_text(
    classifier: Callable[[list[str]], Sequence],
    texts: str | Sequence[str],
    *,
    method: str = "shap",
    tokenizer: Callable[[str], list[str]] | None = None,
    mask_token: str = "",
    n_samples: int | None = None,
    batch_size: int = 256,
    random_state=None,
) -> TextExplanation:
    """Attribute a text classifier's scores to the tokens of each text.

    Parameters
    ----------
    classifier : callable
        ``list[str] -> (n,)`` or ``(n, k)`` scores, e.g. ``pipeline.predict_proba``.
    texts : str or sequence of str
    method : {"shap", "occlusion"}, default="shap"
        See the module docstring; "lime" is not available for text.
    tokenizer : callable or None
        ``str -> list[str]`` whose tokens are successive pieces of the text (an
        object with a ``tokenize`` method works too). Default: words and single
        punctuation marks, ``\\w+|[^\\w\\s]``.
    mask_token : str, default=""
        What replaces an absent token (the separators around it stay).
    n_samples : None
        Reserved for sampling methods; both methods here are exact, so it must be None.
    batch_size : int, default=256
        Texts per classifier call.
    random_state : ignored
        Accepted for a uniform signature; both methods are deterministic.
    """
    if not callable(classifier):
        raise TypeError(
            f"classifier must be a callable from a list of strings to scores, got "
            f"{type(classifier).__name__}; pass e.g. pipeline.predict_proba"
        )
    if isinstance(texts, str):
        texts = [texts]
    texts = list(texts)
    bad = [type(t).__name__ for t in texts if not isinstance(t, str)]
    if bad:
        raise TypeError(f"texts must be strings, got {bad[0]}")
    if method == "lime":
        raise ValueError(
            "method='lime' is not available for text: surrogates.LocalSurrogate works on "
            "tabular rows; use method='shap' or 'occlusion'"
        )
    if method not in _METHODS:
        raise ValueError(f"method must be 'shap' or 'occlusion', got {method!r}")
    if n_samples is not None:
        raise ValueError("n_samples must be None: 'shap' and 'occlusion' are exact, not sampled")
    if not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(mask_token, str):
        raise TypeError(f"mask_token must be a string, got {type(mask_token).__name__}")

    model = _Model(classifier, int(batch_size))
    toks, vals, base, out, how = [], [], [], [], []
    for text in texts:
        tokens, seps = _split(text, tokenizer)
        if not tokens:
            y = model([text])[0]
            phi, b0, b1, name = np.zeros((0, y.shape[0])), y, y, "none"
        elif method == "occlusion":
            phi, b0, b1 = _occlusion(tokens, seps, model, mask_token)
            name = "occlusion"
        elif len(tokens) <= _EXACT_MAX:
            phi, b0, b1 = _shapley(tokens, seps, model, mask_token)
            name = "shapley"
        else:
            phi, b0, b1 = _owen(tokens, seps, model, mask_token)
            name = "owen"
        toks.append(tuple(tokens))
        vals.append(phi)
        base.append(b0)
        out.append(b1)
        how.append(name)
    k = model.k or 1
    return TextExplanation(
        texts=tuple(texts),
        tokens=tuple(toks),
        values=tuple(vals),
        base_values=np.array(base).reshape(len(texts), k),
        output=np.array(out).reshape(len(texts), k),
        method=tuple(how),
    )
