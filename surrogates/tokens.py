"""Gradient attributions on the input embeddings of torch / transformers text classifiers.

The torch side of :func:`surrogates.text.token_attributions` (torch and
transformers are imported on first use). The classifier is run from
``inputs_embeds`` (the token embeddings before positions are added, the output
of ``model.get_input_embeddings()``), one text at a time so that no padding
enters the attention; the gradient methods differentiate the chosen logit with
respect to those embeddings, and integrated gradients reuses the path
integration of :mod:`surrogates.neural.integrated` (adaptive Gauss-Legendre in
float64 until the completeness error is below ``tol``, or captum's
Gauss-Legendre rule with ``n_steps`` nodes in the model's dtype).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .neural import _torch as T

GRADIENT_METHODS = ("integrated_gradients", "saliency", "gradient_x_input")
BASELINES = ("pad", "mask", "unk", "zeros")


def _wrap(model):
    """nn.Module: embeddings (b, L, D) -> logits (b, n_labels), no padding."""
    torch = T._torch()

    class _FromEmbeddings(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, emb):
            mask = torch.ones(emb.shape[:2], dtype=torch.long, device=emb.device)
            out = self.inner(inputs_embeds=emb, attention_mask=mask)
            logits = out.logits if hasattr(out, "logits") else out[0]
            return logits.reshape(emb.shape[0], -1)

    return _FromEmbeddings(model)


def check_model(model: Any) -> None:
    torch = T._torch()
    if not isinstance(model, torch.nn.Module) or not hasattr(model, "get_input_embeddings"):
        raise TypeError(
            f"model must be a transformers-style torch classifier (an nn.Module with "
            f"get_input_embeddings() that accepts inputs_embeds), got {type(model).__name__}; "
            "for other classifiers use explain_text"
        )


def encode(tokenizer, text: str):
    """ids (1, L), token strings, spans in the text, special-token mask."""
    try:
        enc = tokenizer(text, return_tensors="pt", return_special_tokens_mask=True,
                        return_offsets_mapping=True)  # fmt: skip
        offsets = enc["offset_mapping"][0].tolist()
    except (NotImplementedError, ValueError, TypeError):  # slow tokenizers: no offsets
        enc = tokenizer(text, return_tensors="pt", return_special_tokens_mask=True)
        offsets = None
    ids = enc["input_ids"]
    special = enc["special_tokens_mask"][0].bool().tolist()
    tokens = tokenizer.convert_ids_to_tokens(ids[0].tolist())
    spans, pos = [], 0
    for i in range(len(tokens)):
        if offsets is not None and not special[i] and offsets[i][1] > offsets[i][0]:
            a, b = offsets[i]
        else:  # special tokens (and slow tokenizers) have no text of their own
            a = b = pos
        spans.append((int(a), int(b)))
        pos = max(pos, int(b))
    return ids, tuple(tokens), tuple(spans), special


def baseline_ids(tokenizer, ids, special, baseline):
    """Baseline token ids: every non-special token replaced (None for "zeros")."""
    if isinstance(baseline, str) and baseline == "zeros":
        return None
    if isinstance(baseline, str):
        tid = getattr(tokenizer, f"{baseline}_token_id", None)
        if tid is None:
            raise ValueError(
                f"baseline={baseline!r} needs the tokenizer's {baseline} token, which it "
                f"does not have; pass another of {BASELINES} or a token id"
            )
    else:
        tid = int(baseline)
    ref = ids.clone()
    keep = T._torch().as_tensor(special, dtype=T._torch().bool).view(1, -1)
    ref[~keep] = tid
    return ref


def attribute(
    model,
    tokenizer,
    texts: list[str],
    method: str,
    target,
    baseline,
    n_steps: int | None,
    tol: float,
    max_steps: int,
    batch_size: int,
):
    """Per text: tokens, spans, values (L,), base value, output, target, extras."""
    from .neural.integrated import _adaptive, _fixed_rule, _rule

    torch = T._torch()
    was_training = model.training
    model.eval()  # dropout off: gradients of a fixed function
    try:
        net = _wrap(model)
        emb_layer = model.get_input_embeddings()
        # adaptive IG integrates in float64 (completeness checked well below tol):
        # one float64 copy of the model per call, not per text
        adaptive = method == "integrated_gradients" and n_steps is None
        net64 = _wrap(copy.deepcopy(model).double()) if adaptive else None
        results = []
        for t, text in enumerate(texts):
            ids, tokens, spans, special = encode(tokenizer, text)
            with torch.no_grad():
                x = emb_layer(ids).detach()
                logits = net(x)[0]
            tgt = _target(model, target, t, logits)
            tg = torch.as_tensor([tgt], dtype=torch.long)
            extra = {}
            if method == "integrated_gradients":
                ref = baseline_ids(tokenizer, ids, special, baseline)
                with torch.no_grad():
                    b = torch.zeros_like(x) if ref is None else emb_layer(ref).detach()
                if adaptive:
                    x64, b64 = x.double(), b.double()
                    fx, fb = T.forward(net64, x64, tg), T.forward(net64, b64, tg)
                    v, ne, ok = _adaptive(net64, x64, b64, tg, tol, max_steps, batch_size, fx, fb)
                    extra.update(n_evals=int(ne[0]), converged=bool(ok[0]))
                else:
                    fx, fb = T.forward(net, x, tg), T.forward(net, b, tg)
                    v, ne = _fixed_rule(net, x, b, tg, *_rule("gausslegendre", int(n_steps)))
                    extra.update(n_evals=int(ne), converged=True)
                vals = v[0].sum(dim=-1).double().numpy()
                fx, fb = float(fx[0]), float(fb[0])
                err = float(vals.sum() - (fx - fb))
                extra["completeness_error"] = err
                if adaptive:
                    extra["converged"] = bool(abs(err) <= tol * max(abs(fx - fb), 1.0))
                base = fb
            else:
                g, val = T.grad_and_value(net, x, tg)
                per = g.abs() if method == "saliency" else g * x
                vals = per[0].sum(dim=-1).double().numpy()
                fx = float(val[0])
                base = fx - float(vals.sum())  # what the gradients leave unexplained
            results.append((tokens, spans, vals, base, fx, tgt, extra))
        return results
    finally:
        model.train(was_training)


def _target(model, target, t: int, logits) -> int:
    k = int(logits.shape[0])
    if target is None:
        return int(logits.argmax())
    tv = target[t] if isinstance(target, (list, tuple, np.ndarray)) else target
    if isinstance(tv, str):
        label2id = getattr(getattr(model, "config", None), "label2id", None) or {}
        if tv not in label2id:
            raise ValueError(f"target {tv!r} is not a label of the model: {sorted(label2id)}")
        return int(label2id[tv])
    if isinstance(tv, (bool, np.bool_)) or not isinstance(tv, (int, np.integer)):
        raise TypeError(f"target must be None, a class index, a label or one per text; got {tv!r}")
    if not 0 <= int(tv) < k:
        raise ValueError(f"target {int(tv)} is out of range: the model has {k} outputs")
    return int(tv)
