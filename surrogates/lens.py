"""The logit lens for GPT-2-style causal language models (transformers).

Each layer's residual stream is decoded as if it were the last one:
``logits_l = lm_head(ln_f(h_l))``. The final layer norm is applied to each
layer's own residual stream, so its mean and variance are that layer's, not the
final layer's. Layer 0 is the embedding (token + position), layer ``l`` the
output of block ``l``; the last layer's lens is the model's own logits.

torch and transformers are imported only when :func:`logit_lens` is called.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassbox._format import num

__all__ = ["LogitLens", "logit_lens"]


@dataclass(frozen=True)
class LogitLens:
    """The decoded distribution of every layer at every position.

    Attributes
    ----------
    tokens : tuple of str
        The input tokens.
    ids : ndarray of shape (n_positions,)
    logits : ndarray of shape (n_layers + 1, n_positions, vocab_size)
        Layer 0 is the embedding; the last layer equals the model's logits.
    top_ids, top_tokens, top_probs : arrays of shape (n_layers + 1, n_positions, top_k)
    rank : ndarray of shape (n_layers + 1, n_positions - 1)
        Rank (1 = most likely) of the true next token under each layer's lens;
        ties count in the token's favour.
    prob : ndarray of shape (n_layers + 1, n_positions - 1)
        Probability of the true next token.
    entropy : ndarray of shape (n_layers + 1, n_positions)
        In nats.
    kl : ndarray of shape (n_layers + 1, n_positions)
        KL(final || layer) in nats; zero at the last layer.
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

    def to_frame(self):
        """One row per layer and position (true-next-token columns are NaN at the last position)."""
        import pandas as pd

        n_layers, n_pos = self.entropy.shape
        rows = []
        for layer in range(n_layers):
            for p in range(n_pos):
                nxt = p + 1 < n_pos
                rows.append(
                    {
                        "layer": layer,
                        "position": p,
                        "token": self.tokens[p],
                        "next_token": self.tokens[p + 1] if nxt else None,
                        "top_tokens": list(self.top_tokens[layer, p]),
                        "top_probs": [float(x) for x in self.top_probs[layer, p]],
                        "rank": int(self.rank[layer, p]) if nxt else np.nan,
                        "prob": float(self.prob[layer, p]) if nxt else np.nan,
                        "entropy": float(self.entropy[layer, p]),
                        "kl": float(self.kl[layer, p]),
                    }
                )
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        lines = ["logit lens: top token per layer (rows) and position (columns); [rank of next]"]
        for layer in range(self.entropy.shape[0]):
            cells = []
            for p in range(len(self.tokens)):
                cell = f"{self.top_tokens[layer, p, 0]}"
                if p + 1 < len(self.tokens):
                    cell += f"[{int(self.rank[layer, p])}]"
                cells.append(cell)
            kl = num(float(self.kl[layer].mean()), 3)
            lines.append(f"layer {layer}: " + " ".join(cells) + f"  (mean KL {kl})")
        return "\n".join(lines)


def _parts(model):
    """The residual-stream modules of a GPT-2 LM head model, or a clear error."""
    body = getattr(model, "transformer", None)
    head = getattr(model, "lm_head", None)
    ok = body is not None and head is not None
    ok = ok and all(hasattr(body, a) for a in ("h", "ln_f", "drop"))
    if not ok:
        raise TypeError(
            f"logit_lens needs a GPT-2-style causal LM (model.transformer.h, .ln_f, .drop and "
            f"model.lm_head, e.g. transformers.GPT2LMHeadModel), got {type(model).__name__}"
        )
    return body, head


def _ids(tokenizer, text):
    if tokenizer is None:
        if isinstance(text, str):
            raise TypeError("text is a string but tokenizer is None; pass the model's tokenizer")
        ids = np.asarray(text)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise TypeError("without a tokenizer, text must be a 1-d sequence of token ids")
        return ids.astype(np.int64)
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return np.asarray(tokenizer(text)["input_ids"], dtype=np.int64).reshape(-1)


def _names(tokenizer, ids) -> np.ndarray:
    ids = np.asarray(ids)
    if tokenizer is None or not hasattr(tokenizer, "convert_ids_to_tokens"):
        return np.array([str(int(i)) for i in ids.ravel()], dtype=object).reshape(ids.shape)
    flat = tokenizer.convert_ids_to_tokens([int(i) for i in ids.ravel()])
    return np.array(flat, dtype=object).reshape(ids.shape)


def logit_lens(model, tokenizer, text, *, top_k: int = 5) -> LogitLens:
    """Decode every layer's residual stream of a GPT-2 model with the final norm and unembedding.

    Parameters
    ----------
    model : transformers.GPT2LMHeadModel (or the same layout)
    tokenizer : transformers tokenizer or None
        With None, ``text`` is a sequence of token ids and tokens print as ids.
    text : str or sequence of int
    top_k : int, default=5
    """
    import torch

    body, head = _parts(model)
    if not isinstance(top_k, int | np.integer) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    ids = _ids(tokenizer, text)
    if len(ids) == 0:
        raise ValueError("text has no tokens")
    n_pos = getattr(model.config, "n_positions", None)
    if n_pos is not None and len(ids) > n_pos:
        raise ValueError(f"text has {len(ids)} tokens; the model takes at most {n_pos}")

    # the residual after the embedding and after each block, read by hooks: the
    # model's own hidden_states has ln_f already applied to the last one
    streams: list = []

    def keep(_module, _inputs, out):
        streams.append(out[0] if isinstance(out, tuple) else out)

    hooks = [body.drop.register_forward_hook(keep)]
    hooks += [block.register_forward_hook(keep) for block in body.h]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.as_tensor(ids)[None])  # runs the hooks
            lens = torch.stack([head(body.ln_f(h[0])) for h in streams])
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    if len(streams) != len(body.h) + 1:
        raise RuntimeError("could not read every layer's residual stream from the model")

    logits = lens.double()
    logp = torch.log_softmax(logits, -1)
    p = logp.exp()
    k = min(int(top_k), logits.shape[-1])
    top_p, top_i = p.topk(k, dim=-1)
    entropy = -(p * logp).sum(-1)
    kl = (p[-1] * (logp[-1] - logp)).sum(-1)
    nxt = torch.as_tensor(ids[1:])
    true_logit = logits[:, :-1].gather(-1, nxt[None, :, None].expand(len(streams), -1, 1))
    rank = 1 + (logits[:, :-1] > true_logit).sum(-1)
    prob = p[:, :-1].gather(-1, nxt[None, :, None].expand(len(streams), -1, 1))[..., 0]
    top_ids = top_i.numpy()
    return LogitLens(
        tokens=tuple(_names(tokenizer, ids)),
        ids=ids,
        logits=lens.numpy(),
        top_ids=top_ids,
        top_tokens=_names(tokenizer, top_ids),
        top_probs=top_p.numpy(),
        rank=rank.numpy(),
        prob=prob.numpy(),
        entropy=entropy.numpy(),
        kl=kl.numpy(),
    )
