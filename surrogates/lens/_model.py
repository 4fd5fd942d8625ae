"""Find the pieces a lens needs in a transformers causal LM, and read its residual streams.

A lens needs the transformer blocks (whose inputs and outputs are the residual
stream), the final norm and the unembedding. They are found by the layouts the
transformers library uses: the backbone is ``model.base_model``; its blocks are a
``ModuleList`` named ``h`` (GPT-2, GPT-J, Bloom) or ``layers`` (GPT-NeoX, Llama,
Mistral, Qwen, OPT's ``decoder``); its final norm is ``ln_f``, ``norm`` or
``final_layer_norm``; the unembedding is ``model.get_output_embeddings()``.
Residual streams are read with hooks, because the model's own ``hidden_states``
has the final norm already applied to the last one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_BLOCKS = ("h", "layers", "blocks")
_NORMS = ("ln_f", "norm", "final_layer_norm", "final_layernorm", "final_norm")
_ATTN = ("attn", "self_attn", "attention")
_MLP = ("mlp", "feed_forward")


@dataclass
class Parts:
    """The modules of a causal LM that a lens reads (found by :func:`locate`)."""

    blocks: list
    norm: object
    head: object
    attn: list | None  # one attention module per block, None if not found
    mlp: list | None
    max_positions: int | None
    d_model: int
    n_layers: int
    vocab_size: int
    model_type: str


def _child(obj, names):
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def locate(model) -> Parts:
    """The blocks, final norm and unembedding of a causal LM, or a clear TypeError."""
    from torch import nn

    fail = TypeError(
        "logit_lens needs a transformers causal language model with a head (GPT-2-style "
        "model.transformer.h/.ln_f, GPT-NeoX-style gpt_neox.layers/.final_layer_norm or "
        f"Llama-style model.layers/.norm, and get_output_embeddings()), got {type(model).__name__}"
    )
    if not isinstance(model, nn.Module):
        raise fail
    base = getattr(model, "base_model", None)
    if base is None or base is model:
        base = _child(model, ("transformer", "gpt_neox", "model"))
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is None:
        head = _child(model, ("lm_head", "embed_out"))
    if base is None or not isinstance(head, nn.Module):
        raise fail
    blocks = norm = None
    for holder in (base, getattr(base, "decoder", None)):
        if holder is None:
            continue
        found = _child(holder, _BLOCKS)
        if isinstance(found, nn.ModuleList) and len(found) > 0:
            blocks, norm = list(found), _child(holder, _NORMS)
            break
    if blocks is None or not isinstance(norm, nn.Module):
        raise fail
    attn = [_child(b, _ATTN) for b in blocks]
    mlp = [_child(b, _MLP) for b in blocks]
    cfg = getattr(model, "config", None)
    max_pos = _child(cfg, ("n_positions", "max_position_embeddings")) if cfg else None
    weight = getattr(head, "weight", None)
    if weight is None or weight.ndim != 2:
        raise fail
    return Parts(
        blocks=blocks,
        norm=norm,
        head=head,
        attn=attn if all(isinstance(a, nn.Module) for a in attn) else None,
        mlp=mlp if all(isinstance(m, nn.Module) for m in mlp) else None,
        max_positions=int(max_pos) if max_pos else None,
        d_model=int(weight.shape[1]),
        n_layers=len(blocks),
        vocab_size=int(weight.shape[0]),
        model_type=str(getattr(cfg, "model_type", type(model).__name__)),
    )


def token_ids(tokenizer, text) -> np.ndarray:
    """A text's token ids (or ``text`` itself, a 1-d id sequence, when tokenizer is None)."""
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


def token_names(tokenizer, ids) -> np.ndarray:
    ids = np.asarray(ids)
    if tokenizer is None or not hasattr(tokenizer, "convert_ids_to_tokens"):
        return np.array([str(int(i)) for i in ids.ravel()], dtype=object).reshape(ids.shape)
    flat = tokenizer.convert_ids_to_tokens([int(i) for i in ids.ravel()])
    return np.array(flat, dtype=object).reshape(ids.shape)


def _first(out):
    return out[0] if isinstance(out, tuple | list) else out


def read_streams(model, parts: Parts, ids, *, sublayers: bool = False):
    """Run the model once on ``ids`` (batch, positions) and read its residual streams.

    Returns ``(streams, attn, mlp, logits)``: ``streams`` a list of n_layers + 1
    tensors (the input of block 0, then each block's output), ``attn`` and ``mlp``
    lists of each block's sub-block outputs (None unless ``sublayers``), ``logits``
    the model's own output. The caller holds ``torch.no_grad`` (or not) and eval mode.
    """
    streams: list = []
    attn: list = []
    mlp: list = []

    def keep_input(_module, args, kwargs):
        streams.append(args[0] if args else kwargs["hidden_states"])

    hooks = [parts.blocks[0].register_forward_pre_hook(keep_input, with_kwargs=True)]
    hooks += [
        b.register_forward_hook(lambda _m, _i, o: streams.append(_first(o))) for b in parts.blocks
    ]
    if sublayers:
        if parts.attn is None or parts.mlp is None:
            raise TypeError(
                "sublayers=True needs each block's attention and MLP modules (named attn, "
                "self_attn or attention, and mlp); this model's blocks have other names"
            )
        hooks += [
            a.register_forward_hook(lambda _m, _i, o: attn.append(_first(o))) for a in parts.attn
        ]
        hooks += [
            m.register_forward_hook(lambda _m, _i, o: mlp.append(_first(o))) for m in parts.mlp
        ]
    try:
        out = model(input_ids=ids, use_cache=False)
    finally:
        for h in hooks:
            h.remove()
    if len(streams) != parts.n_layers + 1 or (sublayers and len(attn) != parts.n_layers):
        raise RuntimeError("could not read every layer's residual stream from the model")
    return streams, (attn if sublayers else None), (mlp if sublayers else None), out.logits
