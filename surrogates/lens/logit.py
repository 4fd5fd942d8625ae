"""The logit lens (and the tuned lens) for transformers causal language models.

Each layer's residual stream is decoded as if it were the last one:
``logits_l = unembed(final_norm(h_l))``. The final norm (LayerNorm for GPT-2 and
GPT-NeoX, RMSNorm for Llama-style models) is applied to each layer's own residual
stream, so its statistics are that layer's, not the final layer's. Layer 0 is the
input of the first block (the embedding), layer ``l`` the output of block ``l``;
the last layer's lens is the model's own logits. With ``lens="tuned"`` each
layer's stream first goes through its affine translator (:mod:`.tuned`).

torch and transformers are imported only when :func:`logit_lens` is called.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from glassbox._format import num

from ._model import locate, read_streams, token_ids, token_names
from .tuned import TunedLens

__all__ = ["LogitLens", "logit_lens"]


@dataclass(frozen=True)
class LogitLens:
    """The decoded distribution of every chosen layer at every position.

    Attributes
    ----------
    tokens : tuple of str
        The input tokens.
    ids : ndarray of shape (n_positions,)
    logits : ndarray of shape (n_rows, n_positions, vocab_size)
        One row per decoded layer (``layers``); with ``layers="all"`` row 0 is the
        embedding and the last row equals the model's logits.
    top_ids, top_tokens, top_probs : arrays of shape (n_rows, n_positions, top_k)
    rank : ndarray of shape (n_rows, n_positions - 1)
        Rank (1 = most likely) of the true next token under each layer's lens;
        ties count in the token's favour.
    prob : ndarray of shape (n_rows, n_positions - 1)
        Probability of the true next token.
    entropy : ndarray of shape (n_rows, n_positions)
        In nats.
    kl : ndarray of shape (n_rows, n_positions)
        KL(final || layer) in nats, final being the model's output distribution.
    layers : ndarray of shape (n_rows,)
        The layer (0 = embedding, l = output of block l) or, for sub-block lenses,
        the block (1-based) each row decodes.
    layer_names : tuple of str
        Row labels: ``"embed"``, ``"1"``, ... or ``"attn 1"``, ``"mlp 1"``, ...
    kind : str
        ``"logit"``, ``"tuned"``, ``"attention"`` or ``"mlp"``.
    attention, mlp : LogitLens or None
        With ``sublayers=True``: each block's attention and MLP output (what the
        sub-block adds to the residual stream) decoded through the same lens.
    """

    tokens: tuple
    ids: np.ndarray
    logits: np.ndarray
    top_ids: np.ndarray
    top_tokens: np.ndarray
    top_probs: np.ndarray
    rank: np.ndarray
    prob: np.ndarray
    entropy: np.ndarray
    kl: np.ndarray
    layers: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    layer_names: tuple = ()
    kind: str = "logit"
    attention: LogitLens | None = None
    mlp: LogitLens | None = None

    def to_frame(self):
        """One row per layer and position (true-next-token columns are NaN at the last position)."""
        import pandas as pd

        n_layers, n_pos = self.entropy.shape
        rows = []
        for row in range(n_layers):
            for p in range(n_pos):
                nxt = p + 1 < n_pos
                rows.append(
                    {
                        "layer": int(self.layers[row]) if len(self.layers) else row,
                        "layer_name": self.layer_names[row] if self.layer_names else str(row),
                        "position": p,
                        "token": self.tokens[p],
                        "next_token": self.tokens[p + 1] if nxt else None,
                        "top_tokens": list(self.top_tokens[row, p]),
                        "top_probs": [float(x) for x in self.top_probs[row, p]],
                        "rank": int(self.rank[row, p]) if nxt else np.nan,
                        "prob": float(self.prob[row, p]) if nxt else np.nan,
                        "entropy": float(self.entropy[row, p]),
                        "kl": float(self.kl[row, p]),
                    }
                )
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        lines = [
            f"{self.kind} lens: top token per layer (rows) and position (columns); [rank of next]"
        ]
        names = self.layer_names or tuple(str(i) for i in range(self.entropy.shape[0]))
        for row in range(self.entropy.shape[0]):
            cells = []
            for p in range(len(self.tokens)):
                cell = f"{self.top_tokens[row, p, 0]}"
                if p + 1 < len(self.tokens):
                    cell += f"[{int(self.rank[row, p])}]"
                cells.append(cell)
            kl = num(float(self.kl[row].mean()), 3)
            lines.append(f"layer {names[row]}: " + " ".join(cells) + f"  (mean KL {kl})")
        return "\n".join(lines)


def _layer_rows(layers, n_layers: int) -> np.ndarray:
    if isinstance(layers, str):
        if layers != "all":
            raise ValueError(f'layers must be "all" or a list of layer indices, got {layers!r}')
        return np.arange(n_layers + 1)
    try:
        rows = [int(x) for x in layers]
        ok = all(float(x) == int(x) for x in layers)
    except (TypeError, ValueError):
        ok = False
    if not ok or not rows:
        raise ValueError(f'layers must be "all" or a non-empty list of integers, got {layers!r}')
    out = []
    for r in rows:
        if not -(n_layers + 1) <= r <= n_layers:
            raise ValueError(
                f"layer {r} does not exist: the model has layers 0 (embedding) to {n_layers}"
            )
        out.append(r % (n_layers + 1))
    if len(set(out)) != len(out):
        raise ValueError(f"layers lists a layer twice: {layers!r}")
    return np.asarray(out)


def _decode(tokenizer, ids, logits, ref_logp, top_k, rows, names, kind):
    """The statistics of decoded logits (n_rows, n_positions, vocab) against the output."""
    import torch

    logits = logits.double()
    logp = torch.log_softmax(logits, -1)
    p = logp.exp()
    k = min(int(top_k), logits.shape[-1])
    top_p, top_i = p.topk(k, dim=-1)
    entropy = -(p * logp).sum(-1)
    p_ref = ref_logp.exp()
    kl = (p_ref * (ref_logp - logp)).sum(-1)
    n = logits.shape[0]
    nxt = torch.as_tensor(ids[1:])[None, :, None].expand(n, -1, 1)
    true_logit = logits[:, :-1].gather(-1, nxt)
    rank = 1 + (logits[:, :-1] > true_logit).sum(-1)
    prob = p[:, :-1].gather(-1, nxt)[..., 0]
    top_ids = top_i.numpy()
    return LogitLens(
        tokens=tuple(token_names(tokenizer, ids)),
        ids=ids,
        logits=logits.float().numpy(),
        top_ids=top_ids,
        top_tokens=token_names(tokenizer, top_ids),
        top_probs=top_p.numpy(),
        rank=rank.numpy(),
        prob=prob.numpy(),
        entropy=entropy.numpy(),
        kl=kl.numpy(),
        layers=np.asarray(rows),
        layer_names=tuple(names),
        kind=kind,
    )


def logit_lens(
    model,
    tokenizer,
    text,
    *,
    layers="all",
    top_k: int = 5,
    lens: str = "logit",
    tuned: TunedLens | None = None,
    sublayers: bool = False,
) -> LogitLens:
    """Decode every layer's residual stream with the final norm and the unembedding.

    Parameters
    ----------
    model : transformers causal LM
        GPT-2 (``GPT2LMHeadModel``), GPT-NeoX (``GPTNeoXForCausalLM``), Llama-style
        RMSNorm models (``LlamaForCausalLM``, Mistral, Qwen2, ...) or any model with
        the same layout: blocks, a final norm and ``get_output_embeddings()``.
    tokenizer : transformers tokenizer or None
        With None, ``text`` is a sequence of token ids and tokens print as ids.
    text : str or sequence of int
    layers : "all" or list of int, default="all"
        Layers to decode: 0 is the embedding, ``l`` the output of block ``l``;
        negative indices count from the last layer.
    top_k : int, default=5
    lens : {"logit", "tuned"}, default="logit"
        ``"tuned"`` passes each layer's stream through the affine translator of
        ``tuned`` (from :func:`fit_tuned_lens`) before the norm and unembedding.
    tuned : TunedLens or None
    sublayers : bool, default=False
        Also decode each block's attention and MLP outputs through the same lens
        (the ``attention`` and ``mlp`` attributes of the result; logit lens only).
    """
    import torch

    parts = locate(model)
    if not isinstance(top_k, int | np.integer) or isinstance(top_k, bool) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    if lens not in ("logit", "tuned"):
        raise ValueError(f'lens must be "logit" or "tuned", got {lens!r}')
    if lens == "tuned":
        if not isinstance(tuned, TunedLens):
            raise ValueError(
                'lens="tuned" needs tuned=<TunedLens>; fit one with fit_tuned_lens(model, '
                "tokenizer, texts) or load one with TunedLens.load(path)"
            )
        tuned.check_model(parts)
        if sublayers:
            raise ValueError(
                "sub-block outputs are decoded with the logit lens only; "
                'use lens="logit" with sublayers=True'
            )
    elif tuned is not None:
        raise ValueError('tuned= is given but lens="logit"; pass lens="tuned" to use it')
    rows = _layer_rows(layers, parts.n_layers)
    ids = token_ids(tokenizer, text)
    if len(ids) == 0:
        raise ValueError("text has no tokens")
    if parts.max_positions is not None and len(ids) > parts.max_positions:
        raise ValueError(
            f"text has {len(ids)} tokens; the model takes at most {parts.max_positions}"
        )
    if ids.min() < 0 or ids.max() >= parts.vocab_size:
        raise ValueError(f"token ids must lie in [0, {parts.vocab_size}), the model's vocabulary")

    device = parts.head.weight.device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = torch.as_tensor(ids, device=device)[None]
            streams, attn, mlp, out = read_streams(model, parts, x, sublayers=sublayers)
            final = parts.head(parts.norm(streams[-1][0]))

            def decode(h, layer):
                if lens == "tuned" and layer < parts.n_layers:
                    h = tuned.translate(h, layer)
                return parts.head(parts.norm(h))

            decoded = torch.stack([decode(streams[r][0], int(r)) for r in rows]).cpu()
            sub = None
            if sublayers:
                sub = [
                    torch.stack([decode(s[0], -1) for s in block]).cpu() for block in (attn, mlp)
                ]
    finally:
        model.train(was_training)

    out = out[0].double().cpu()
    diff = float((final.double().cpu() - out).abs().max())
    if diff > 1e-3 * (1 + float(out.abs().max())):
        warnings.warn(
            f"the final norm and unembedding applied to the last residual stream differ from the "
            f"model's logits by up to {diff:.3g}: this architecture changes its logits after the "
            "unembedding (e.g. soft-capping), so the lens is only approximate",
            RuntimeWarning,
            stacklevel=2,
        )
    ref = torch.log_softmax(out, -1)
    names = ["embed" if r == 0 else str(int(r)) for r in rows]
    result = _decode(tokenizer, ids, decoded, ref, top_k, rows, names, lens)
    if sub is None:
        return result
    blocks = np.arange(1, parts.n_layers + 1)
    extra = {
        key: _decode(tokenizer, ids, s, ref, top_k, blocks, [f"{short} {b}" for b in blocks], key)
        for key, short, s in (("attention", "attn", sub[0]), ("mlp", "mlp", sub[1]))
    }
    return replace(result, **extra)
