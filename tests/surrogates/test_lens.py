"""logit_lens on a tiny random GPT-2: final layer = model logits, each layer = hand computation."""

import numpy as np
import pytest

from surrogates.lens import LogitLens, logit_lens

WORDS = "[UNK] the cat sat on mat a dog ran".split()


def _transformers_or_skip():
    try:
        import torch
        import transformers
    except ImportError:
        pytest.skip(
            "torch and transformers are optional extras (pip install glassbox[torch] and "
            "transformers) and are not installed"
        )
    return torch, transformers


@pytest.fixture(scope="module")
def gpt2():
    torch, transformers = _transformers_or_skip()
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(
        n_layer=2,
        n_embd=32,
        n_head=2,
        vocab_size=len(WORDS),
        n_positions=16,
        bos_token_id=0,
        eos_token_id=0,
    )
    model = transformers.GPT2LMHeadModel(cfg).eval()
    # random residual scales per layer so the norm statistics differ between layers
    with torch.no_grad():
        model.transformer.wte.weight.mul_(3.0)
        model.transformer.ln_f.weight.uniform_(0.5, 1.5)
        model.transformer.ln_f.bias.normal_(0, 0.1)
    return torch, model


@pytest.fixture(scope="module")
def tokenizer():
    _transformers_or_skip()
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    t = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=t, unk_token="[UNK]")


IDS = [1, 2, 3, 4, 1, 5, 6, 7, 8]


def _hand(model, torch, ids):
    """ln_f with each layer's own mean and variance, then the tied unembedding, in numpy."""
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_hidden_states=True)
    ln = model.transformer.ln_f
    g, b, eps = (
        ln.weight.detach().numpy().astype(float),
        ln.bias.detach().numpy().astype(float),
        ln.eps,
    )
    W = model.lm_head.weight.detach().numpy().astype(float)
    res = []
    # hidden_states[0..L-1] are raw residual streams; the last one already has ln_f
    for h in out.hidden_states[:-1]:
        x = h[0].numpy().astype(float)
        z = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
        res.append((z * g + b) @ W.T)
    return res, out.logits[0].numpy()


def test_last_layer_is_model_logits_and_layers_match_hand(gpt2):
    torch, model = gpt2
    lens = logit_lens(model, None, IDS, top_k=3)
    assert isinstance(lens, LogitLens)
    assert lens.logits.shape == (3, len(IDS), len(WORDS))
    hand, final = _hand(model, torch, IDS)
    np.testing.assert_allclose(lens.logits[-1], final, atol=1e-5)
    for layer, want in enumerate(hand):
        np.testing.assert_allclose(lens.logits[layer], want, atol=1e-5)
    # the final layer's statistics on an earlier layer would give different logits
    assert not np.allclose(lens.logits[0], lens.logits[-1], atol=1e-2)
    np.testing.assert_allclose(lens.kl[-1], 0, atol=1e-12)


def test_rank_prob_entropy_kl_top_k(gpt2):
    _, model = gpt2
    lens = logit_lens(model, None, IDS, top_k=4)
    L = lens.logits.astype(float)
    logp = L - L.max(-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
    p = np.exp(logp)
    for layer in range(L.shape[0]):
        for pos in range(len(IDS) - 1):
            true = IDS[pos + 1]
            order = np.argsort(-L[layer, pos], kind="stable")
            # rank of the true next token (ties broken in its favour; none occur here)
            assert lens.rank[layer, pos] == 1 + list(order).index(true)
            assert lens.prob[layer, pos] == pytest.approx(p[layer, pos, true], abs=1e-6)
        np.testing.assert_array_equal(lens.top_ids[layer], np.argsort(-L[layer], -1)[:, :4])
    np.testing.assert_allclose(lens.entropy, -(p * logp).sum(-1), atol=1e-6)
    np.testing.assert_allclose(lens.kl, (p[-1] * (logp[-1] - logp)).sum(-1), atol=1e-6)
    np.testing.assert_allclose(lens.top_probs, np.sort(p, -1)[..., ::-1][..., :4], atol=1e-6)


def test_tokenizer_names_and_frame(gpt2, tokenizer):
    _, model = gpt2
    lens = logit_lens(model, tokenizer, "the cat sat on the mat", top_k=2)
    assert lens.tokens == ("the", "cat", "sat", "on", "the", "mat")
    np.testing.assert_array_equal(lens.ids, [1, 2, 3, 4, 1, 5])
    assert lens.top_tokens[0, 0, 0] == WORDS[lens.top_ids[0, 0, 0]]
    df = lens.to_frame()
    assert len(df) == 3 * 6
    row = df[(df.layer == 1) & (df.position == 1)].iloc[0]
    assert row.next_token == "sat" and row["rank"] == lens.rank[1, 1]
    assert np.isnan(df[df.position == 5]["rank"]).all()
    assert "layer 2" in str(lens)


def test_bad_input(gpt2):
    _, model = gpt2
    with pytest.raises(TypeError, match="GPT-2"):
        logit_lens(object(), None, IDS)
    with pytest.raises(TypeError, match="tokenizer"):
        logit_lens(model, None, "the cat")
    with pytest.raises(ValueError, match="top_k"):
        logit_lens(model, None, IDS, top_k=0)
    with pytest.raises(ValueError, match="at most 16"):
        logit_lens(model, None, list(range(5)) * 4)
