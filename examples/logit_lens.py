"""The logit lens and the tuned lens on a tiny GPT-2 trained here, offline.

    python examples/train_tiny_gpt2.py          # once: trains ./tiny-gpt2 (~6 min)
    python examples/logit_lens.py [./tiny-gpt2]

Loads the model that ``train_tiny_gpt2.py`` saved (or trains one: for seconds with
``GLASSBOX_QUICK=1``), decodes every layer of a held-out sentence with the logit
lens, fits the tuned lens on the training text and compares the two, prints the
rank of the true next token per layer, and shows a rare word being copied from a
repeated prompt. The figures are saved as PNG files in the current directory.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # train_tiny_gpt2 beside us

QUICK = os.environ.get("GLASSBOX_QUICK") == "1"


def load_or_train(path: str):
    from train_tiny_gpt2 import DEFAULT_OUT, load_corpus, train
    from transformers import GPT2LMHeadModel, PreTrainedTokenizerFast

    docs, _ = load_corpus()
    n_test = max(2, len(docs) // 10)  # the same split as train_tiny_gpt2.py
    train_docs, test_docs = docs[:-n_test], docs[-n_test:]
    if Path(path, "config.json").exists():
        print(f"loading the tiny GPT-2 from {path}/")
        model = GPT2LMHeadModel.from_pretrained(path).eval()
        tokenizer = PreTrainedTokenizerFast.from_pretrained(path)
    else:
        print(f"no model in {path}/: training one" + (" (quick)" if QUICK else ""))
        model, tokenizer, _ = train(path or DEFAULT_OUT, quick=QUICK)
    return model, tokenizer, train_docs, test_docs


def main() -> int:
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as e:
        print(
            f"this example needs torch and transformers ({e.name} is missing): "
            "pip install 'glassbox[torch]' transformers"
        )
        return 0
    import numpy as np

    from glassbox.render.lens_plots import lens_heatmap, lens_kl, lens_ranks
    from surrogates.lens import fit_tuned_lens, logit_lens

    if QUICK:
        torch.set_num_threads(1)
    model, tokenizer, train_docs, test_docs = load_or_train(
        sys.argv[1] if len(sys.argv) > 1 else "tiny-gpt2"
    )
    unk = tokenizer.unk_token_id

    counts = Counter(i for d in train_docs for i in tokenizer(d)["input_ids"])
    sentences = [
        ids
        for d in test_docs
        for s in d.split(". ")
        if 8 <= len(ids := tokenizer(s + " .")["input_ids"]) <= 24 and unk not in ids
    ]
    if not sentences:  # a tiny vocabulary (quick mode): accept unknown words
        sentences = [tokenizer(d)["input_ids"][:14] for d in test_docs[:1]]
    # a held-out sentence
    ids = sentences[0][:14]
    text = tokenizer.decode(ids)
    t0 = time.perf_counter()
    lens = logit_lens(model, tokenizer, text, top_k=3)
    print(f"\nlogit lens on a held-out sentence ({time.perf_counter() - t0:.2f} s):\n{text!r}\n")
    print(lens)

    # the tuned lens: affine translators fitted on training text, KL measured on held-out windows
    t0 = time.perf_counter()
    docs = train_docs[:40] if QUICK else train_docs
    tuned = fit_tuned_lens(
        model,
        tokenizer,
        docs,
        steps=60 if QUICK else 400,
        seq_len=64,
        random_state=0,
        progress=False,
    )
    print(f"\nfitted the tuned lens in {time.perf_counter() - t0:.1f} s")
    print(tuned)
    tlens = logit_lens(model, tokenizer, text, top_k=3, lens="tuned", tuned=tuned)

    print("\nrank of the true next token per layer (median over positions; 1 = top):")
    print("layer  logit lens  tuned lens")
    for row, name in enumerate(lens.layer_names):
        a, b = np.median(lens.rank[row]), np.median(tlens.rank[row])
        print(f"{name:>5}  {a:>10.0f}  {b:>10.0f}")

    # repetitive input: a held-out sentence written twice. Does the model copy its rarest
    # word (a word seen in training, but rarely) from the first copy?
    def rarest(sent):
        words = [
            (counts.get(i, 0), j)
            for j, i in enumerate(sent)
            if j > 0 and tokenizer.convert_ids_to_tokens(i).isalpha() and counts.get(i, 0) >= 2
        ]
        return min(words) if words else (10**9, 1)

    sent = min(sentences, key=lambda s: rarest(s)[0])
    seen, j = rarest(sent)
    prompt = tokenizer.decode(sent + sent)
    copy = logit_lens(model, tokenizer, prompt, top_k=3)
    word = tokenizer.convert_ids_to_tokens(sent[j])
    pos = len(sent) + j - 1  # the position whose true next token is the second `word`
    print(
        f"\ncopying a rare word from a repeated sentence: {word!r} (seen {seen} times in "
        f"training)\nprompt: {prompt!r}"
    )
    print("layer  rank at 1st appearance  rank at 2nd  probability at 2nd")
    for row, name in enumerate(copy.layer_names):
        print(
            f"{name:>5}  {int(copy.rank[row, j - 1]):>22}  {int(copy.rank[row, pos]):>11}"
            f"  {copy.prob[row, pos]:>18.4f}"
        )

    figures = {
        # log10 probabilities: a tiny model's probabilities are all small on a 0-1 scale
        "logit_lens_heatmap.png": lens_heatmap(lens, color="logprob"),
        "tuned_lens_heatmap.png": lens_heatmap(tlens, color="logprob"),
        "logit_lens_entropy.png": lens_heatmap(lens, color="entropy"),
        "logit_lens_ranks.png": lens_ranks(lens),
        "lens_kl.png": lens_kl(tuned),
        "copy_ranks.png": lens_ranks(copy),
    }
    for name, fig in figures.items():
        fig.savefig(name, dpi=110)
    print("\nsaved " + ", ".join(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
