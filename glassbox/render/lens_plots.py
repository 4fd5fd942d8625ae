"""Plots of a logit lens or tuned lens (the result of ``surrogates.lens.logit_lens``).

They read the result's attributes only (``tokens``, ``top_tokens``, ``prob``,
``entropy``, ``kl``, ``rank``, ``layer_names``; a tuned lens's ``kl_logit`` and
``kl_tuned``), so this module imports neither ``surrogates`` nor torch. Each
function returns a ``matplotlib.figure.Figure`` built without pyplot.

- :func:`lens_heatmap`: layers (rows, embedding at the bottom) by positions,
  coloured by the probability of the true next token (or entropy, or KL),
  each cell annotated with its top token;
- :func:`lens_ranks`: the rank of the true next token per layer and position;
- :func:`lens_kl`: mean KL(final || layer) per layer, for several lenses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .plots import _figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["lens_heatmap", "lens_kl", "lens_ranks"]

_COLOR = {
    "prob": ("Blues", "probability of the true next token"),
    "logprob": ("Blues", "log10 probability of the true next token"),
    "entropy": ("viridis_r", "entropy of the lens (nats)"),
    "kl": ("magma_r", "KL(final || layer) (nats)"),
}
# byte-level BPE marks a leading space and a newline with these characters
_SHOW = str.maketrans({"\u0120": "\u2423", "\u010a": "\u21b5", "\n": "\u21b5"})


def _need(result, *names):
    missing = [n for n in names if not hasattr(result, n)]
    if missing:
        raise TypeError(
            f"expected a logit_lens result (with {', '.join(names)}), got "
            f"{type(result).__name__} without {', '.join(missing)}"
        )


def _label(token, max_chars: int) -> str:
    text = str(token).translate(_SHOW)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "\u2026"


def _row_names(result) -> list[str]:
    names = list(getattr(result, "layer_names", ()) or ())
    n = np.shape(result.kl)[0]
    return names if len(names) == n else [str(i) for i in range(n)]


def _grid(result, values, *, max_chars: int, title: str, cmap, norm, cbar_label, texts):
    """A (rows, positions) image with the layers bottom-up and the tokens on both axes."""
    n_rows, n_cols = values.shape
    fig = _figure(max(4.0, 0.62 * n_cols + 2.2), max(2.5, 0.36 * n_rows + 1.8))
    ax = fig.add_subplot()
    img = ax.imshow(
        values, cmap=cmap, norm=norm, origin="lower", aspect="auto", interpolation="nearest"
    )
    tokens = list(result.tokens)
    ax.set_xticks(
        np.arange(n_cols),
        [_label(t, max_chars) for t in tokens[:n_cols]],
        rotation=60,
        ha="right",
        fontsize="small",
    )
    ax.set_yticks(np.arange(n_rows), _row_names(result), fontsize="small")
    ax.set_xlabel("input token (position)")
    ax.set_ylabel("layer")
    top = ax.secondary_xaxis("top")
    nxt = [_label(t, max_chars) for t in tokens[1:]] + [""]
    top.set_xticks(np.arange(n_cols), nxt[:n_cols], rotation=60, ha="left", fontsize="small")
    top.set_xlabel("true next token")
    if texts is not None:
        for (r, c), text in np.ndenumerate(texts):
            v = values[r, c]
            rgba = img.cmap(img.norm(v)) if np.isfinite(v) else (1, 1, 1, 1)
            dark = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] < 0.5
            ax.text(
                c, r, text, ha="center", va="center", fontsize=7, color="white" if dark else "black"
            )
    fig.colorbar(img, ax=ax, label=cbar_label, shrink=0.9)
    ax.set_title(title)
    return fig


def lens_heatmap(
    result, *, color: str = "prob", annotate: bool = True, max_chars: int = 8
) -> Figure:
    """Layers by positions, coloured by ``color``, each cell labelled with its top token.

    ``color``: ``"prob"`` (of the true next token, on a fixed 0-1 scale; the last
    position, which has none, is left white), ``"logprob"`` (its log10, for a weak
    model whose probabilities are all small), ``"entropy"`` or ``"kl"`` (KL from the
    model's output).
    """
    _need(result, "tokens", "top_tokens", "prob", "entropy", "kl")
    if color not in _COLOR:
        raise ValueError(f"color must be one of {sorted(_COLOR)}, got {color!r}")
    from matplotlib.colors import Normalize

    cmap, label = _COLOR[color]
    n_rows, n_pos = np.shape(result.entropy)
    if color in ("prob", "logprob"):
        values = np.full((n_rows, n_pos), np.nan)
        values[:, : n_pos - 1] = np.asarray(result.prob, float)
        norm = Normalize(0.0, 1.0)
        if color == "logprob":
            values = np.log10(np.maximum(values, 1e-300))
            norm = Normalize(min(float(np.nanmin(values)), -1.0) if n_pos > 1 else -1.0, 0.0)
    else:
        values = np.asarray(getattr(result, color), float)
        norm = Normalize(0.0, max(float(np.nanmax(values)), 1e-12))
    texts = None
    if annotate:
        texts = np.vectorize(lambda t: _label(t, max_chars), otypes=[object])(
            np.asarray(result.top_tokens, dtype=object)[..., 0]
        )
    kind = getattr(result, "kind", "logit")
    return _grid(
        result,
        values,
        max_chars=max_chars,
        cmap=cmap,
        norm=norm,
        cbar_label=label,
        texts=texts,
        title=f"{kind} lens: top token per layer and position",
    )


def lens_ranks(result, *, annotate: bool = True, max_chars: int = 8) -> Figure:
    """The rank of the true next token (1 = the lens's top token), log colour scale."""
    _need(result, "tokens", "rank", "kl")
    from matplotlib.colors import LogNorm

    rank = np.asarray(result.rank, float)
    norm = LogNorm(1.0, max(float(rank.max()), 2.0))
    texts = rank.astype(int).astype(str) if annotate else None
    kind = getattr(result, "kind", "logit")
    return _grid(
        result,
        rank,
        max_chars=max_chars,
        cmap="viridis",
        norm=norm,
        cbar_label="rank of the true next token",
        texts=texts,
        title=f"{kind} lens: rank of the true next token",
    )


def lens_kl(*results, labels=None) -> Figure:
    """Mean KL(final || layer) per layer, one line per lens.

    Each argument is a lens result (its ``kl`` averaged over positions) or a tuned
    lens (its held-out ``kl_logit`` and ``kl_tuned``: two lines).
    """
    if not results:
        raise ValueError("pass at least one lens result or tuned lens")
    lines = []
    for res in results:
        if hasattr(res, "kl_logit") and hasattr(res, "kl_tuned"):
            n = len(res.kl_logit)
            names = ["embed"] + [str(i) for i in range(1, n)]
            lines.append(("logit lens (held out)", np.asarray(res.kl_logit, float), names))
            lines.append(("tuned lens (held out)", np.asarray(res.kl_tuned, float), names))
        else:
            _need(res, "kl")
            kl = np.asarray(res.kl, float).mean(1)
            lines.append((f"{getattr(res, 'kind', 'logit')} lens", kl, _row_names(res)))
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(lines):
            raise ValueError(f"labels has {len(labels)} names for {len(lines)} lines")
        lines = [(lab, y, names) for lab, (_, y, names) in zip(labels, lines, strict=True)]
    fig = _figure(6.0, 3.6)
    ax = fig.add_subplot()
    order: list[str] = []
    for _, _, names in lines:  # one x axis: every layer name in first-seen order
        order += [n for n in names if n not in order]
    dropped = False
    for label, y, names in lines:
        # a log scale: zeros (the last layer, KL 0 by definition) are left out
        keep = y > 0
        dropped |= not keep.all()
        x = np.array([order.index(n) for n in names])
        ax.plot(x[keep], y[keep], "o-", label=label)
    ax.set_xticks(np.arange(len(order)), order)
    ax.set_xlabel(
        "layer" + (" (a layer with KL 0, the output itself, is not drawn)" if dropped else "")
    )
    ax.set_ylabel("KL(final || lens), nats")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title("How far each layer's decoding is from the output")
    return fig
