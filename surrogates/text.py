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

method="lime"
    LIME (Ribeiro et al. 2016) with lime's objective: a weighted ridge regression
    (alpha 1) of the scores on token presence, lime's kernel
    ``sqrt(exp(-D**2 / 25**2))`` with ``D`` 100 times the cosine distance of a
    sample's presence vector to the text's, fitted with the weighted sparse
    linear fit of :class:`surrogates.LocalSurrogate` (all outputs at once, one
    shared Gram matrix; its forward / highest-weights selection with
    ``n_features``). ``values`` are the coefficients (the effect of a token's
    presence), ``base_values`` the fit at the fully masked text, so
    ``base + sum(values)`` is the fit at the text, not the model's output
    (``extras["local_fidelity"]`` is its weighted R^2). Differences from the lime
    package, none of which changes what is estimated:

    - lime draws the number of removed tokens uniformly and then weights each
      sample by the kernel; here that number is drawn in proportion to the
      kernel weight and every sample has the same weight (importance sampling:
      the same expected objective, scaled to lime's 5000 samples so the ridge
      penalty weighs the same), and the removed tokens come from a stream of
      random permutations, so each token is removed about equally often (a balanced
      design). Both cut the sampling noise per sample;
    - with ``n_samples="auto"`` (the default) the samples grow (250, then +50%
      a step, at most 5000, lime's count) until every coefficient's standard
      error is below ``tol`` times the largest |coefficient| and, with
      ``n_features``, the top-K is settled (LocalSurrogate's stopping rule);
    - every token position is a feature (lime's ``bow=False``; the default
      ``bow=True`` removes all occurrences of a word at once);
    - each text's samples are drawn from ``random_state`` and the text itself,
      so an explanation is reproducible and does not depend on the other texts
      in the call (lime #67, #119, #767), and texts go to the model in batches
      of ``batch_size`` (lime sends all 5000 at once, #651).

Rendering: ``TextExplanation.render()`` colours tokens in a terminal and
``to_html()`` in a page (glassbox.render.text_html); ``to_shap()`` gives a
``shap.Explanation`` for shap's text plots.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import factorial

import numpy as np

from glassbox._format import num

from ._params import check_int as _check_int
from ._params import check_real as _check_real

__all__ = ["TextExplanation", "explain_text", "token_attributions"]

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
        The score with every token masked (shap, occlusion), the local fit there
        (lime), the baseline's logit (integrated gradients) or what the gradients
        leave unexplained (saliency, gradient x input).
    output : ndarray of shape (n_texts, n_outputs)
        The model's score of each original text.
    method : tuple of str
        ``"shapley"`` (exact), ``"owen"``, ``"occlusion"``, ``"lime"`` or a
        gradient method, one per text.
    spans : tuple of tuple of (int, int)
        Character offsets of each token in its text (``(a, a)`` for tokens that
        are not in the text, such as a transformer's ``[CLS]``); used to draw
        the text with its own spacing.
    output_names : tuple of str
        Name of each output column (``"0"``, ``"1"``, ... when unknown).
    extras : dict
        Method-specific arrays: lime's ``local_fidelity`` (weighted R^2 per text
        and output), ``n_samples``, ``stability``; token_attributions'
        ``target`` and ``completeness_error``.
    """

    texts: tuple
    tokens: tuple
    values: tuple
    base_values: np.ndarray
    output: np.ndarray
    method: tuple
    spans: tuple = ()
    output_names: tuple = ()
    extras: dict = field(default_factory=dict, compare=False)

    def to_frame(self):
        """One row per text, token and output: text, position, token, output, value."""
        import pandas as pd

        rows = []
        for t, (toks, vals) in enumerate(zip(self.tokens, self.values, strict=True)):
            for p, tok in enumerate(toks):
                for o in range(vals.shape[1]):
                    rows.append((t, p, tok, o, float(vals[p, o])))
        return pd.DataFrame(rows, columns=["text", "position", "token", "output", "value"])

    def to_shap(self):
        """A ``shap.Explanation`` as shap's text explainers return it: one object
        array of ``(n_tokens, n_outputs)`` values per text, and as ``data`` the text
        cut into pieces (each token with the spacing after it) so that the pieces
        join back into the text; works with ``shap.plots.text``."""
        import shap

        pieces = tuple(
            np.array(_pieces(text, sp), dtype=object)
            for text, sp in zip(self.texts, self._spans(), strict=True)
        )
        values = np.empty(len(self.values), dtype=object)
        for i, v in enumerate(self.values):
            values[i] = np.asarray(v, dtype=float)
        return shap.Explanation(
            values,
            base_values=np.asarray(self.base_values, dtype=float),
            data=pieces,
            feature_names=[list(t) for t in self.tokens],
            output_names=list(self._output_names()),
        )

    def _spans(self) -> tuple:
        if self.spans:
            return self.spans
        return tuple(_find_spans(t, toks) for t, toks in zip(self.texts, self.tokens, strict=True))

    def _output_names(self) -> tuple:
        return self.output_names or tuple(str(o) for o in range(self.output.shape[1]))

    def render(self, output=None, *, color: bool | None = None) -> str:
        """The texts with each token coloured by its value (red raises the output,
        blue lowers it) in ANSI colours; without colour, each token is followed by
        its value. ``color=None`` colours only when stdout is a terminal and
        ``NO_COLOR`` is unset. ``output``: output index or name (default: the
        second output of a two-output model, else each text's highest)."""
        from glassbox.render.text_html import text_explanation_ansi

        if color is None:
            import os
            import sys

            color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        return text_explanation_ansi(self, output=output, color=bool(color))

    def to_html(self, output=None, *, path=None, full_page: bool = False) -> str:
        """HTML of the texts with each token's background coloured by its value and
        the value in its tooltip (glassbox.render.text_html); written to ``path``
        (as a full page) when given."""
        from glassbox.render.text_html import text_explanation_html

        html = text_explanation_html(self, output=output, full_page=full_page or path is not None)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(html)
        return html

    def _repr_html_(self) -> str:
        return self.to_html()

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


def _split(text: str, tokenizer) -> tuple[list[str], list[str], tuple]:
    """Tokens, the ``n + 1`` separators around them (text = s0 t0 s1 t1 ... sn), spans."""
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
    return tokens, seps, tuple(spans)


def _find_spans(text: str, tokens) -> tuple:
    """Offsets of tokens found in order in text; a token not found gets an empty span."""
    spans, pos = [], 0
    for tok in tokens:
        start = text.find(tok, pos) if tok else -1
        if start < 0:
            spans.append((pos, pos))
        else:
            spans.append((start, start + len(tok)))
            pos = start + len(tok)
    return tuple(spans)


def _pieces(text: str, spans) -> list[str]:
    """Each token with the text up to the next token (the first also with what precedes)."""
    starts = [a for a, _ in spans]
    out = []
    for i, (a, _) in enumerate(spans):
        lo = 0 if i == 0 else a
        hi = starts[i + 1] if i + 1 < len(spans) else len(text)
        out.append(text[lo : max(hi, lo)])
    return out


def _build_many(tokens: list[str], seps: list[str], masks: np.ndarray, mask_token: str):
    """Texts of many coalitions at once (one C-level join per text)."""
    kept = np.array([t + s for t, s in zip(tokens, seps[1:], strict=True)], dtype=object)
    gone = np.array([mask_token + s for s in seps[1:]], dtype=object)
    rows = np.where(np.asarray(masks, dtype=bool), kept, gone).tolist()
    head = seps[0]
    return [head + "".join(r) for r in rows]


class _Model:
    """Batched calls; every result as a float ``(n, k)`` array."""

    def __init__(self, f: Callable, batch_size: int):
        self.f, self.batch_size, self.k = f, batch_size, None
        self.labels = None  # label order of a transformers pipeline's answers

    def _scores(self, y) -> np.ndarray:
        """Scores as an array; a transformers pipeline's {label, score} dicts by label."""
        if isinstance(y, list) and y and isinstance(y[0], dict):
            raise ValueError(
                "the classifier returned one {label, score} per text (a transformers "
                "pipeline with top_k=1); call it with top_k=None so that every label's "
                "score comes back, e.g. lambda t: pipe(t, top_k=None)"
            )
        if (
            isinstance(y, list)
            and y
            and isinstance(y[0], list)
            and y[0]
            and isinstance(y[0][0], dict)
        ):
            rows = [{d["label"]: d["score"] for d in r} for r in y]
            if any(len(r) < 2 for r in rows):  # top_k=1 in a list: one label per text
                raise ValueError(
                    "the classifier returned the score of one label per text; call the "
                    "transformers pipeline with top_k=None so that every label's score "
                    "comes back"
                )
            if self.labels is None:  # one fixed column order: labels sorted
                self.labels = tuple(sorted(rows[0]))
            try:
                return np.array([[r[lab] for lab in self.labels] for r in rows], dtype=float)
            except KeyError as exc:
                raise ValueError(
                    f"the classifier's answers lack label {exc.args[0]!r} for some texts; "
                    "call the pipeline with top_k=None"
                ) from None
        return np.asarray(y, dtype=float)

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = []
        for i in range(0, len(texts), self.batch_size):
            chunk = texts[i : i + self.batch_size]
            y = self._scores(self.f(list(chunk)))
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
    v = model(_build_many(tokens, seps, masks, mask_token))
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
    v0, v1 = model(_build_many(tokens, seps, np.vstack([empty, full]), mask_token))
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
        vals = model(_build_many(tokens, seps, np.array(flat).reshape(-1, n), mask_token))
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
    v = model(_build_many(tokens, seps, masks, mask_token))
    return v[n + 1] - v[:n], v[n], v[n + 1]


_LIME_WIDTH = 25.0  # lime's kernel width for text (on 100 x cosine distance)
_LIME_MAX = 5000  # lime's default number of samples: the cap of n_samples="auto"


def _lime_method(k: int, auto: bool) -> str:
    """Feature selection of a text explanation, pinned here so that it does not change
    when LocalSurrogate's tabular default does: lime's rule (forward for K <= 6); with
    "auto" the ranking the stopping rule tests, as LocalSurrogate does."""
    return "highest_weights" if auto or k > 6 else "forward"


def _lime_kernel(kept: np.ndarray, d: int) -> np.ndarray:
    """lime's text kernel: sqrt(exp(-D**2 / 25**2)), D = 100 x the cosine distance of a
    presence vector with ``kept`` ones to the all-ones vector, 100 (1 - sqrt(kept / d))."""
    dist = 100.0 * (1.0 - np.sqrt(kept / d))
    return np.sqrt(np.exp(-(dist**2) / _LIME_WIDTH**2))


class _LimeDesign:
    """lime's samples, drawn with less noise; rows are produced on demand (a seed and the
    sequence of requested sizes give one design).

    Row 0 is the text. Row i keeps ``m`` tokens, ``m`` drawn with probability
    proportional to the kernel weight of ``m`` kept tokens (lime draws ``m`` uniformly
    from 0..d-1 and then weights the row; see ``_lime``). The removed tokens are taken
    in turn from a stream of random permutations of the tokens, so that every token
    is removed about equally often (to within about 2%; long windows that would
    hold a token twice are topped up at random) instead of binomially:
    a balanced design, whose coefficient estimates vary less than lime's.
    """

    def __init__(self, d: int, rng):
        self.d, self.rng = d, rng
        wm = _lime_kernel(np.arange(d), d)
        self.p = wm / wm.sum()
        self.stream = np.zeros(0, dtype=np.intp)
        self.last = None

    def _next_permutation(self) -> np.ndarray:
        """A random permutation whose first third avoids the last third of the previous
        one: a window across the two then holds no token twice unless it is longer
        than a third of the text (those are topped up at random in ``rows``)."""
        d, rng, last = self.d, self.rng, self.last
        q = d // 3
        if last is None or q == 0:
            perm = rng.permutation(d)
        else:
            free = rng.permutation(last[: d - q])  # not in the previous last third
            rest = rng.permutation(np.concatenate([free[q:], last[d - q :]]))
            perm = np.concatenate([free[:q], rest])
        self.last = perm
        return perm

    def rows(self, n: int, first: bool) -> np.ndarray:
        d, rng = self.d, self.rng
        keep = np.ones((n, d), dtype=bool)
        start = 1 if first else 0
        drop = d - rng.choice(d, size=n - start, p=self.p)
        total = int(drop.sum())
        if len(self.stream) < total:
            need = -(-(total - len(self.stream)) // d)
            perms = [self._next_permutation() for _ in range(need)]
            self.stream = np.concatenate([self.stream, *perms])
        rows = np.repeat(np.arange(start, n), drop)
        keep[rows, self.stream[:total]] = False
        self.stream = self.stream[total:]
        # a window across two permutations can hold a token twice: top such rows up
        # with other tokens, drawn at random from those still kept
        short = np.flatnonzero((~keep[start:]).sum(axis=1) < drop) + start
        for i in short:
            kept = np.flatnonzero(keep[i])
            extra = drop[i - start] - (d - len(kept))
            keep[i, rng.choice(kept, size=extra, replace=False)] = False
        return keep


def _lime(tokens, seps, model, mask_token, rng, n_samples, n_features, tol):
    from .local import auto_sizes, converged, fit_local_linear

    d = len(tokens)
    k = d if n_features is None else min(n_features, d)
    auto = n_samples == "auto"
    method = _lime_method(k, auto)
    N = _LIME_MAX if auto else n_samples
    design = _LimeDesign(d, rng)
    # Importance sampling of lime's objective: lime's samples (uniform size, then kernel
    # weight w) are drawn here with probability proportional to w, so each carries the same
    # weight; scaled so that the total is lime's expected total at its 5000 samples, the
    # expected weighted least squares (and the relative strength of its ridge penalty and
    # of the text's own row, weight 1) are lime's, with far less sampling noise per sample.
    mean_w = _lime_kernel(np.arange(d), d).mean()
    # no antithetic pairs here: the counts need not be odd
    sizes = auto_sizes(d, N, odd=False) if auto else [N]
    Z, Y, prev = np.zeros((0, d), dtype=bool), None, 0
    for n in sizes:
        new = design.rows(n - prev, first=prev == 0)
        Z = np.vstack([Z, new])
        y = model(_build_many(tokens, seps, new, mask_token))
        Y = y if Y is None else np.vstack([Y, y])
        prev = n
        E = Z - 1.0  # offset 0 is the text itself, as in LocalSurrogate
        w = np.full(n, (_LIME_MAX - 1) * mean_w / max(n - 1, 1))
        w[0] = 1.0
        # every output is a row of the fit: one Gram matrix for all of them; the stopping
        # rule is LocalSurrogate's (coefficient errors, and a settled top-K when sparse)
        # (the fit runs BLAS on one thread: a torch text classifier then answered in
        # 7-8 ms a text instead of 8-18)
        fit = fit_local_linear(E, w, Y.T, n_features=k, alpha=1.0, method=method, se=True)
        ok, stab = converged(fit, tol=tol, n_features=k)  # alpha=1: lime's Ridge(alpha=1)
        if ok.all():
            break
    beta = fit["beta"].T  # (d, n_outputs)
    local = fit["local_pred"]  # the fit at the text
    info = dict(local_fidelity=fit["score"], n_samples=n, stability=stab)
    return beta, local - beta.sum(axis=0), Y[0], info


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        return [texts]
    texts = list(texts)
    bad = [type(t).__name__ for t in texts if not isinstance(t, str)]
    if bad:
        raise TypeError(f"texts must be strings, got {bad[0]}")
    return texts


def _text_seed(base: int, text: str) -> np.random.Generator:
    # the text itself is part of the seed: an explanation does not depend on its companions
    return np.random.default_rng([base, zlib.crc32(text.encode("utf-8"))])


def explain_text(
    classifier: Callable[[list[str]], Sequence],
    texts: str | Sequence[str],
    *,
    method: str = "shap",
    tokenizer: Callable[[str], list[str]] | None = None,
    mask_token: str = "",
    n_samples: int | str | None = None,
    n_features: int | None = None,
    tol: float = 0.1,
    batch_size: int = 256,
    output_names: Sequence[str] | None = None,
    random_state=None,
) -> TextExplanation:
    """Attribute a text classifier's scores to the tokens of each text.

    Parameters
    ----------
    classifier : callable
        ``list[str] -> (n,)`` or ``(n, k)`` scores, e.g. ``pipeline.predict_proba``,
        or a transformers text-classification pipeline called with
        ``top_k=None`` (lists of {label, score}: columns are the labels, sorted,
        and become ``output_names``).
    texts : str or sequence of str
    method : {"shap", "lime", "occlusion"}, default="shap"
        See the module docstring.
    tokenizer : callable or None
        ``str -> list[str]`` whose tokens are successive pieces of the text (an
        object with a ``tokenize`` method works too). Default: words and single
        punctuation marks, ``\\w+|[^\\w\\s]``.
    mask_token : str, default=""
        What replaces an absent token (the separators around it stay).
    n_samples : int >= 10, "auto" or None
        lime only: samples per text; None or "auto" grows them until ``tol`` is
        met (at most 5000). "shap" and "occlusion" are exact and take None.
    n_features : int or None, default=None
        lime only: tokens per explanation (K); None fits every token.
    tol : float, default=0.1
        lime's "auto" stopping rule, as LocalSurrogate's: coefficient standard
        errors below ``tol`` times the text's largest |coefficient| and, with
        ``n_features``, the top-K's expected agreement with a rerun at least
        ``1 - tol``. (benchmarks/text.py, 40 tweets, mean deletion AUC over
        three seeds: 0.3303 at 0.1 with about 305 samples, 0.3312 at 0.05 with
        about 700; lime 0.3298 with 5000: the difference is seed noise.)
    batch_size : int, default=256
        Texts per classifier call.
    output_names : sequence of str or None
        Names of the classifier's outputs (e.g. ``pipeline.classes_``).
    random_state : int or None
        lime's seed (with the text itself: each text's samples depend on both
        only). "shap" and "occlusion" are deterministic and ignore it.
    """
    if not callable(classifier):
        raise TypeError(
            f"classifier must be a callable from a list of strings to scores, got "
            f"{type(classifier).__name__}; pass e.g. pipeline.predict_proba"
        )
    texts = _check_texts(texts)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if method == "lime":
        if n_samples is None or n_samples == "auto":
            n_samples = "auto"
        elif isinstance(n_samples, str):
            raise ValueError(f"n_samples must be 'auto' or an integer >= 10, got {n_samples!r}")
        else:
            n_samples = _check_int("n_samples", n_samples, 10)
        if n_features is not None:
            n_features = _check_int("n_features", n_features, 1)
        tol = _check_real("tol", tol, low=0, low_open=True)
        if random_state is None:
            base_seed = int(np.random.default_rng().integers(2**63))
        elif isinstance(random_state, np.random.Generator):
            base_seed = int(random_state.integers(2**63))
        else:
            base_seed = _check_int("random_state", random_state, 0)
    else:
        if n_samples is not None:
            raise ValueError(
                f"n_samples must be None for method={method!r}: it is exact, not sampled"
            )
        if n_features is not None:
            raise ValueError(f"n_features is lime's; method={method!r} attributes every token")
    if not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(mask_token, str):
        raise TypeError(f"mask_token must be a string, got {type(mask_token).__name__}")

    model = _Model(classifier, int(batch_size))
    toks, vals, base, out, how, spans, info = [], [], [], [], [], [], []
    for text in texts:
        tokens, seps, sp = _split(text, tokenizer)
        if not tokens:
            y = model([text])[0]
            phi, b0, b1, name = np.zeros((0, y.shape[0])), y, y, "none"
        elif method == "lime":
            rng = _text_seed(base_seed, text)
            phi, b0, b1, extra = _lime(
                tokens, seps, model, mask_token, rng, n_samples, n_features, tol
            )
            name = "lime"
            info.append(extra)
        elif method == "occlusion":
            phi, b0, b1 = _occlusion(tokens, seps, model, mask_token)
            name = "occlusion"
        elif len(tokens) <= _EXACT_MAX:
            phi, b0, b1 = _shapley(tokens, seps, model, mask_token)
            name = "shapley"
        else:
            phi, b0, b1 = _owen(tokens, seps, model, mask_token)
            name = "owen"
        if method == "lime" and not tokens:
            info.append(
                dict(local_fidelity=np.ones(len(b1)), n_samples=1, stability=np.ones(len(b1)))
            )
        toks.append(tuple(tokens))
        vals.append(phi)
        base.append(b0)
        out.append(b1)
        how.append(name)
        spans.append(sp)
    k = model.k or 1
    names = tuple(str(o) for o in output_names) if output_names is not None else ()
    if not names and model.labels is not None:
        names = model.labels
    if names and len(names) != k:
        raise ValueError(f"output_names has {len(names)} names; the classifier has {k} outputs")
    extras = {}
    if method == "lime":
        extras = {
            "local_fidelity": np.array([e["local_fidelity"] for e in info]).reshape(len(texts), k),
            "n_samples": np.array([e["n_samples"] for e in info]),
            "stability": np.array([e["stability"] for e in info]).reshape(len(texts), k),
        }
    return TextExplanation(
        texts=tuple(texts),
        tokens=tuple(toks),
        values=tuple(vals),
        base_values=np.array(base).reshape(len(texts), k),
        output=np.array(out).reshape(len(texts), k),
        method=tuple(how),
        spans=tuple(spans),
        output_names=names,
        extras=extras,
    )


def token_attributions(
    model,
    tokenizer,
    texts: str | Sequence[str],
    *,
    method: str = "integrated_gradients",
    target=None,
    baseline: str | int = "pad",
    n_steps: int | None = None,
    tol: float = 1e-4,
    max_steps: int = 4096,
    batch_size: int = 64,
) -> TextExplanation:
    """Gradient attributions of a torch / transformers classifier's logit to its tokens.

    Gradients are taken with respect to the input embeddings (``inputs_embeds``)
    and summed over the embedding axis, one value per token of the model's own
    tokenizer (special tokens included). Each text is run on its own, unpadded.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier with ``get_input_embeddings()`` whose forward accepts
        ``inputs_embeds`` and ``attention_mask`` and returns logits (a
        transformers ``...ForSequenceClassification``).
    tokenizer : transformers tokenizer
        Called as ``tokenizer(text, return_tensors="pt")``; a fast tokenizer also
        gives each token's place in the text, for rendering.
    texts : str or sequence of str
    method : {"integrated_gradients", "saliency", "gradient_x_input"}
        "integrated_gradients": the path integral from the baseline embeddings;
        the values add up to logit(text) - logit(baseline), the completeness check
        reported per text in ``extras["completeness_error"]``. "saliency": the
        L1 norm of the gradient over each token's embedding (captum's abs
        ``Saliency`` summed). "gradient_x_input": gradient times embedding, summed.
    target : None, int, label, or one per text
        Logit to explain; None is each text's predicted class.
    baseline : {"pad", "mask", "unk", "zeros"} or int, default="pad"
        IG's reference: every non-special token replaced by that token (or a token
        id), or zero embeddings; special tokens ([CLS], [SEP]) stay as they are.
    n_steps : int or None, default=None
        None: Gauss-Legendre in float64 with the nodes doubled (16, 32, ...) until
        the completeness error is below ``tol`` relative to
        max(|logit(text) - logit(baseline)|, 1), at most ``max_steps`` nodes
        (``extras["converged"]``). An int: captum's Gauss-Legendre rule with that
        many nodes in the model's dtype (equal to captum's
        ``LayerIntegratedGradients`` on the embedding layer).
    tol, max_steps : see n_steps.
    batch_size : int, default=64
        Interpolation points per forward pass.

    Returns
    -------
    TextExplanation
        ``values`` (n_tokens, 1) on the logit scale; ``base_values`` the
        baseline's logit (IG) or output - sum(values) (gradient maps);
        ``extras``: ``target`` (class index per text), ``target_names``,
        ``completeness_error``, ``converged`` and ``n_evals`` (IG).
    """
    from . import tokens as _tk

    _tk.check_model(model)
    if not callable(tokenizer) or not hasattr(tokenizer, "convert_ids_to_tokens"):
        raise TypeError(
            f"tokenizer must be a transformers tokenizer (callable, with "
            f"convert_ids_to_tokens), got {type(tokenizer).__name__}"
        )
    texts = _check_texts(texts)
    if method not in _tk.GRADIENT_METHODS:
        raise ValueError(f"method must be one of {_tk.GRADIENT_METHODS}, got {method!r}")
    if isinstance(baseline, str):
        if baseline not in _tk.BASELINES:
            raise ValueError(
                f"baseline must be one of {_tk.BASELINES} or a token id, got {baseline!r}"
            )
    else:
        baseline = _check_int("baseline", baseline, 0)
    if n_steps is not None:
        n_steps = _check_int("n_steps", n_steps, 1)
    tol = _check_real("tol", tol, low=0, low_open=True)
    max_steps = _check_int("max_steps", max_steps, 16)
    batch_size = _check_int("batch_size", batch_size, 1)
    if isinstance(target, (list, tuple, np.ndarray)) and len(target) != len(texts):
        raise ValueError(f"target has {len(target)} entries for {len(texts)} texts")

    res = _tk.attribute(
        model, tokenizer, texts, method, target, baseline, n_steps, tol, max_steps, batch_size
    )
    id2label = getattr(getattr(model, "config", None), "id2label", None) or {}
    targets = np.array([r[5] for r in res], dtype=int)
    extras = {
        "target": targets,
        "target_names": tuple(str(id2label.get(int(c), c)) for c in targets),
    }
    if method == "integrated_gradients":
        for key in ("completeness_error", "converged", "n_evals"):
            extras[key] = np.array([r[6][key] for r in res])
    return TextExplanation(
        texts=tuple(texts),
        tokens=tuple(r[0] for r in res),
        values=tuple(np.asarray(r[2], dtype=float).reshape(-1, 1) for r in res),
        base_values=np.array([[r[3]] for r in res], dtype=float).reshape(len(texts), 1),
        output=np.array([[r[4]] for r in res], dtype=float).reshape(len(texts), 1),
        method=(method,) * len(texts),
        spans=tuple(r[1] for r in res),
        output_names=("target logit",),
        extras=extras,
    )
