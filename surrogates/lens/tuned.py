"""The tuned lens (Belrose et al. 2023, "Eliciting latent predictions from transformers
with the tuned lens"): one affine translator per layer, trained so that decoding the
translated residual stream with the final norm and unembedding matches the model's
output distribution, KL(final || lens(layer)).

Translators start at the identity (the tuned lens starts as the logit lens) and are
fitted on local text with the model frozen. The fitted lens keeps its held-out KL per
layer next to the logit lens's on the same tokens. It is saved as plain arrays (npz,
read with ``allow_pickle=False``); nothing in a file becomes code.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassbox._format import short, table

from ._model import Parts, locate, read_streams, token_ids

__all__ = ["TunedLens", "fit_tuned_lens"]

_MAX_FILE = 1 << 31  # a lens file larger than 2 GiB is refused before it is read
_CACHE_BYTES = 2 << 30  # residual streams cached for training


@dataclass(frozen=True)
class TunedLens:
    """Affine translators, one per layer below the last, and their held-out KL.

    Attributes
    ----------
    weights : ndarray of shape (n_layers, d_model, d_model)
        Layer ``l``'s stream ``h`` is decoded as ``unembed(norm(h @ weights[l].T + biases[l]))``;
        layer 0 is the embedding, the last layer (the model's output) has none.
    biases : ndarray of shape (n_layers, d_model)
    kl_logit, kl_tuned : ndarray of shape (n_layers + 1,)
        Mean KL(final || lens) in nats per layer on held-out tokens, for the logit
        lens and for this lens (both zero at the last layer).
    model_type : str
    n_train_tokens, n_heldout_tokens, steps : int
    """

    weights: np.ndarray
    biases: np.ndarray
    kl_logit: np.ndarray
    kl_tuned: np.ndarray
    model_type: str = ""
    n_train_tokens: int = 0
    n_heldout_tokens: int = 0
    steps: int = 0

    @property
    def n_layers(self) -> int:
        return int(self.weights.shape[0])

    @property
    def d_model(self) -> int:
        return int(self.weights.shape[1])

    def translate(self, h, layer: int):
        """Layer ``layer``'s translator applied to a torch tensor ``h`` (..., d_model)."""
        import torch

        w = torch.as_tensor(self.weights[layer], dtype=h.dtype, device=h.device)
        b = torch.as_tensor(self.biases[layer], dtype=h.dtype, device=h.device)
        return h @ w.T + b

    def check_model(self, parts: Parts) -> None:
        if (parts.n_layers, parts.d_model) != (self.n_layers, self.d_model):
            raise ValueError(
                f"this tuned lens was fitted on a model with {self.n_layers} layers of width "
                f"{self.d_model}; the model has {parts.n_layers} layers of width {parts.d_model}"
            )

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            {
                "layer": np.arange(self.n_layers + 1),
                "kl_logit": self.kl_logit,
                "kl_tuned": self.kl_tuned,
            }
        )

    def __str__(self) -> str:
        rows = [
            ["embed" if i == 0 else str(i), short(a), short(b)]
            for i, (a, b) in enumerate(zip(self.kl_logit, self.kl_tuned, strict=True))
        ]
        head = (
            f"tuned lens ({self.model_type}, {self.n_layers} layers, width {self.d_model}; "
            f"{self.steps} steps on {self.n_train_tokens} tokens)\n"
            f"held-out KL(final || lens) in nats on {self.n_heldout_tokens} tokens:\n"
        )
        return head + table(["layer", "logit lens", "tuned lens"], rows, "lrr")

    # --- files --------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the translators and KLs as plain arrays (npz); atomic."""
        path = Path(path)
        arrays = {
            "format": np.array("glassbox-tuned-lens-1"),
            "weights": np.asarray(self.weights, np.float32),
            "biases": np.asarray(self.biases, np.float32),
            "kl_logit": np.asarray(self.kl_logit, np.float64),
            "kl_tuned": np.asarray(self.kl_tuned, np.float64),
            "model_type": np.array(str(self.model_type)),
            "counts": np.array([self.n_train_tokens, self.n_heldout_tokens, self.steps], np.int64),
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)  # a file object: savez adds no ".npz"
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path) -> TunedLens:
        """Read a file written by :meth:`save`; every array is checked before use."""
        path = Path(path)
        if path.stat().st_size > _MAX_FILE:
            raise ValueError(f"{path} is larger than a tuned-lens file can be ({_MAX_FILE} bytes)")
        keys = {"format", "weights", "biases", "kl_logit", "kl_tuned", "model_type", "counts"}
        try:
            with np.load(path, allow_pickle=False) as z:
                if set(z.files) != keys:
                    raise ValueError(f"expected arrays {sorted(keys)}, found {sorted(z.files)}")
                a = {k: z[k] for k in keys}
        except Exception as e:  # a bad zip, a pickled array, a missing key: refuse, saying why
            raise ValueError(f"{path} is not a tuned-lens file: {e}") from None
        if a["format"].shape != () or str(a["format"]) != "glassbox-tuned-lens-1":
            raise ValueError(f"{path} is not a tuned-lens file (format {a['format']!r})")
        w, b = a["weights"], a["biases"]
        if w.dtype.kind != "f" or b.dtype.kind != "f" or w.ndim != 3 or w.shape[1] != w.shape[2]:
            raise ValueError(f"{path}: weights must be a float array (n_layers, d, d)")
        n, d = w.shape[0], w.shape[1]
        if n < 1 or d < 1 or b.shape != (n, d):
            raise ValueError(f"{path}: biases have shape {b.shape}, expected {(n, d)}")
        for k in ("kl_logit", "kl_tuned"):
            if a[k].dtype.kind != "f" or a[k].shape != (n + 1,):
                raise ValueError(f"{path}: {k} must be a float array of length {n + 1}")
        if not all(np.isfinite(a[k]).all() for k in ("weights", "biases", "kl_logit", "kl_tuned")):
            raise ValueError(f"{path}: arrays contain NaN or infinity")
        c = a["counts"]
        if c.dtype.kind not in "iu" or c.shape != (3,) or (c < 0).any():
            raise ValueError(f"{path}: counts must be 3 non-negative integers")
        if a["model_type"].shape != () or a["model_type"].dtype.kind != "U":
            raise ValueError(f"{path}: model_type must be a string")
        return cls(
            weights=w.astype(np.float32),
            biases=b.astype(np.float32),
            kl_logit=a["kl_logit"].astype(np.float64),
            kl_tuned=a["kl_tuned"].astype(np.float64),
            model_type=str(a["model_type"])[:200],
            n_train_tokens=int(c[0]),
            n_heldout_tokens=int(c[1]),
            steps=int(c[2]),
        )


def _chunks(tokenizer, texts, seq_len: int) -> np.ndarray:
    """All texts' token ids, concatenated and cut into windows of ``seq_len``."""
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not one string")
    ids = [token_ids(tokenizer, t) for t in texts]
    flat = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    n = len(flat) // seq_len
    if n < 2:
        raise ValueError(
            f"the texts hold {len(flat)} tokens: fewer than two windows of seq_len={seq_len} "
            "(one to fit on, one held out); pass more text or a smaller seq_len"
        )
    return flat[: n * seq_len].reshape(n, seq_len)


def _kl_per_layer(parts, streams, A, b):
    """KL(final || lens) per layer (n_layers,) and token, for translators I + A, b."""
    import torch

    h = streams[:-1]
    if A is not None:
        h = h + torch.einsum("lbtd,led->lbte", h, A) + b[:, None, None, :]
    logq = torch.log_softmax(parts.head(parts.norm(h)).float(), -1)
    logp = torch.log_softmax(parts.head(parts.norm(streams[-1])).float(), -1)
    return (logp.exp() * (logp - logq)).sum(-1)  # (n_layers, batch, positions)


def fit_tuned_lens(
    model,
    tokenizer,
    texts,
    *,
    steps: int = 300,
    lr: float = 3e-3,
    batch_size: int = 8,
    seq_len: int | None = None,
    test_size: float = 0.2,
    random_state: int | None = None,
    progress: bool = True,
) -> TunedLens:
    """Fit the tuned lens's affine translators on local text.

    Parameters
    ----------
    model : transformers causal LM (the layouts :func:`logit_lens` takes); kept frozen
    tokenizer : transformers tokenizer or None (then ``texts`` are token-id sequences)
    texts : list of str
        Concatenated and cut into windows of ``seq_len`` tokens (default: 128 or
        the model's context if shorter); a share
        ``test_size`` of the windows is held out to measure KL.
    steps : int, default=300
        Adam steps, each on ``batch_size`` windows; the learning rate decays linearly.
    lr : float, default=3e-3
    random_state : int or None
        Seeds the split, the batches and torch.
    progress : bool, default=True
        A tqdm bar over the steps.
    """
    import torch
    from tqdm.auto import tqdm

    parts = locate(model)
    if seq_len is None:
        seq_len = min(128, parts.max_positions or 128)
    for name, value in (("steps", steps), ("batch_size", batch_size), ("seq_len", seq_len)):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not (isinstance(lr, float | int) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must lie strictly between 0 and 1, got {test_size!r}")
    if parts.max_positions is not None and seq_len > parts.max_positions:
        raise ValueError(f"seq_len={seq_len} exceeds the model's {parts.max_positions} positions")
    windows = _chunks(tokenizer, texts, seq_len)
    if windows.min() < 0 or windows.max() >= parts.vocab_size:
        raise ValueError(f"token ids must lie in [0, {parts.vocab_size}), the model's vocabulary")
    n_bytes = (parts.n_layers + 1) * windows.size * parts.d_model * 4
    if n_bytes > _CACHE_BYTES:
        raise ValueError(
            f"the residual streams of {windows.size} tokens take {n_bytes / 2**30:.1f} GiB; "
            "pass fewer texts or a smaller model"
        )
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(windows))
    n_test = min(len(windows) - 1, max(1, round(test_size * len(windows))))
    test, train = order[:n_test], order[n_test:]
    device = parts.head.weight.device

    was_training = model.training
    frozen = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    try:
        for p, _ in frozen:
            p.requires_grad_(False)
        with torch.no_grad():  # the streams, read once: the model is frozen
            cache = []
            for i in range(0, len(windows), batch_size):
                x = torch.as_tensor(windows[i : i + batch_size], device=device)
                streams = read_streams(model, parts, x)[0]
                cache.append(torch.stack(streams).float())
            cache = torch.cat(cache, 1)  # (n_layers + 1, n_windows, seq_len, d)

        L, d = parts.n_layers, parts.d_model
        if random_state is not None:
            torch.manual_seed(int(random_state))
        A = torch.zeros(L, d, d, device=device, requires_grad=True)
        b = torch.zeros(L, d, device=device, requires_grad=True)
        opt = torch.optim.Adam([A, b], lr=float(lr))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
        for _ in tqdm(range(steps), desc="tuned lens", disable=not progress, leave=False):
            idx = rng.choice(train, size=min(batch_size, len(train)), replace=False)
            loss = _kl_per_layer(parts, cache[:, torch.as_tensor(idx)], A, b).mean((1, 2)).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()

        with torch.no_grad():
            kl_logit = torch.zeros(L + 1, dtype=torch.float64)
            kl_tuned = torch.zeros(L + 1, dtype=torch.float64)
            for i in range(0, len(test), batch_size):
                s = cache[:, torch.as_tensor(test[i : i + batch_size])]
                kl_logit[:L] += _kl_per_layer(parts, s, None, None).double().sum((1, 2)).cpu()
                kl_tuned[:L] += _kl_per_layer(parts, s, A, b).double().sum((1, 2)).cpu()
            n_tok = len(test) * seq_len
            weights = (torch.eye(d, device=device) + A).detach().cpu().numpy()
            biases = b.detach().cpu().numpy()
    finally:
        for p, flag in frozen:
            p.requires_grad_(flag)
        model.train(was_training)
    return TunedLens(
        weights=weights.astype(np.float32),
        biases=biases.astype(np.float32),
        kl_logit=(kl_logit / n_tok).numpy(),
        kl_tuned=(kl_tuned / n_tok).numpy(),
        model_type=parts.model_type,
        n_train_tokens=int(len(train) * seq_len),
        n_heldout_tokens=int(n_tok),
        steps=int(steps),
    )
