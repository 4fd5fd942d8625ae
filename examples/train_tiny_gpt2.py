"""Train a tiny GPT-2 on a text corpus shipped inside a package, offline, and save it.

    python examples/train_tiny_gpt2.py [--out ./tiny-gpt2] [--steps 800] [--minutes 20]

The corpus is gensim's test corpus ``lee_background.cor`` (300 Australian news
stories, 360 kB; ``pip install gensim``), or, without gensim, the dataset
descriptions shipped with scikit-learn. The tokenizer is word-level, built here with
the ``tokenizers`` package (no download). The model (4 layers, width 128) is saved
with ``save_pretrained`` with its tokenizer, for ``examples/logit_lens.py``.
800 steps (a few minutes on 2 cores) give a model whose logit lens is not
trivial (longer training overfits this small corpus); ``GLASSBOX_QUICK=1`` trains
for a few seconds on a slice of the corpus.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

QUICK = os.environ.get("GLASSBOX_QUICK") == "1"
DEFAULT_OUT = "tiny-gpt2"
CONTEXT = 64


def load_corpus() -> tuple[list[str], str]:
    """One document per entry, and where the text came from."""
    try:
        from gensim.test.utils import datapath

        path = Path(datapath("lee_background.cor"))
        docs = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        return [d for d in docs if d], "gensim's lee_background.cor"
    except ImportError:
        import sklearn

        folder = Path(sklearn.__file__).parent / "datasets" / "descr"
        docs = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.rst"))]
        paras = [" ".join(x.split()) for d in docs for x in d.split("\n\n")]
        return [p for p in paras if len(p) > 40], "scikit-learn's dataset descriptions"


def build_tokenizer(docs: list[str], vocab_size: int = 4000):
    """A word-level tokenizer (words and punctuation; words seen once map to [UNK])."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(
        vocab_size=vocab_size, min_frequency=2, special_tokens=["[UNK]", "<|endoftext|>"]
    )
    tok.train_from_iterator(docs, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        eos_token="<|endoftext|>",
        bos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )


def encode(tokenizer, docs: list[str]):
    """All documents as one id stream, each followed by the end-of-text token."""
    import numpy as np

    eos = tokenizer.eos_token_id
    ids = [i for d in docs for i in (*tokenizer(d)["input_ids"], eos)]
    return np.asarray(ids, dtype=np.int64)


def train(
    out: str = DEFAULT_OUT,
    *,
    minutes: float | None = None,
    steps: int | None = None,
    quick: bool = QUICK,
    seed: int = 0,
    verbose: bool = True,
):
    """Train and save the tiny GPT-2; returns (model, tokenizer, held-out documents)."""
    import numpy as np
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    if quick:  # the examples test runs beside other jobs: one thread avoids oversubscription
        torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    docs, source = load_corpus()
    n_test = max(2, len(docs) // 10)
    train_docs, test_docs = docs[:-n_test], docs[-n_test:]
    if quick:
        train_docs = train_docs[:60]
    tokenizer = build_tokenizer(train_docs)
    ids, test_ids = encode(tokenizer, train_docs), encode(tokenizer, test_docs)
    width, layers = (64, 4) if quick else (128, 4)
    cfg = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=CONTEXT,
        n_embd=width,
        n_layer=layers,
        n_head=4,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        resid_pdrop=0.1,
        embd_pdrop=0.1,
        attn_pdrop=0.1,
    )
    model = GPT2LMHeadModel(cfg)
    # a step count makes the model the same on any machine; the time budget caps it
    budget = 60 * (minutes if minutes is not None else (0.12 if quick else 20.0))
    max_steps = steps if steps is not None else (100_000 if quick else 800)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    if verbose:
        n_par = sum(p.numel() for p in model.parameters())
        print(
            f"corpus: {source}, {len(train_docs)} documents, {len(ids)} tokens "
            f"(vocabulary {len(tokenizer)}); model: {layers} layers, width {width}, "
            f"{n_par / 1e6:.2f}M parameters; training for {max_steps} steps or {budget:.0f} s"
        )

    def batch(stream, n=16):
        start = rng.integers(0, len(stream) - CONTEXT - 1, n)
        return torch.as_tensor(np.stack([stream[s : s + CONTEXT] for s in start]))

    def held_out_loss():
        model.eval()
        with torch.no_grad():
            n = len(test_ids) // CONTEXT
            x = torch.as_tensor(test_ids[: n * CONTEXT].reshape(n, CONTEXT)[:64])
            loss = float(model(input_ids=x, labels=x).loss)
        model.train()
        return loss

    t0, step = time.perf_counter(), 0
    model.train()
    while step < max_steps and (elapsed := time.perf_counter() - t0) < budget:
        # linear warm-up over 100 steps, then cosine decay over the steps or the time budget
        done = max(step / max_steps, elapsed / budget)
        lr = 2e-3 * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * done))
        for group in opt.param_groups:
            group["lr"] = lr
        x = batch(ids)
        loss = model(input_ids=x, labels=x).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if verbose and step % (50 if quick else 500) == 0:
            print(
                f"  step {step}: train loss {loss.item():.3f}, held-out {held_out_loss():.3f}",
                flush=True,
            )
    model.eval()
    if verbose:
        print(
            f"trained {step} steps in {time.perf_counter() - t0:.0f} s; held-out loss "
            f"{held_out_loss():.3f} nats/token (uniform: {math.log(len(tokenizer)):.3f})"
        )
    Path(out).mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    if verbose:
        print(f"saved the model and tokenizer to {out}/")
    return model, tokenizer, test_docs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="directory to save to")
    parser.add_argument("--minutes", type=float, default=None, help="training time budget")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default 800)")
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        print(
            f"this example needs torch and transformers ({e.name} is missing): "
            "pip install 'glassbox[torch]' transformers"
        )
        return 0
    train(args.out, minutes=args.minutes, steps=args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
