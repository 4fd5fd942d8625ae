"""logit_lens on tiny random GPT-2, GPT-NeoX and Llama models: final layer = model logits,
each layer (and each attention / MLP output) = a numpy hand computation."""

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
    np.testing.assert_allclose(lens.kl[-1], 0, atol=1e-10)
    assert lens.layer_names == ("embed", "1", "2") and list(lens.layers) == [0, 1, 2]


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
    with pytest.raises(TypeError, match="get_output_embeddings"):
        logit_lens(model.transformer, None, IDS)  # the body without its head
    with pytest.raises(TypeError, match="tokenizer"):
        logit_lens(model, None, "the cat")
    with pytest.raises(ValueError, match="top_k"):
        logit_lens(model, None, IDS, top_k=0)
    with pytest.raises(ValueError, match="at most 16"):
        logit_lens(model, None, list(range(5)) * 4)
    with pytest.raises(ValueError, match="does not exist"):
        logit_lens(model, None, IDS, layers=[0, 3])
    with pytest.raises(ValueError, match="twice"):
        logit_lens(model, None, IDS, layers=[2, -1])
    with pytest.raises(ValueError, match="all"):
        logit_lens(model, None, IDS, layers="some")
    with pytest.raises(ValueError, match="vocabulary"):
        logit_lens(model, None, [1, 2, 99])
    with pytest.raises(ValueError, match="fit_tuned_lens"):
        logit_lens(model, None, IDS, lens="tuned")
    with pytest.raises(ValueError, match="logit"):
        logit_lens(model, None, IDS, lens="other")


def test_layers_subset_and_negative_indices(gpt2):
    _, model = gpt2
    full = logit_lens(model, None, IDS, top_k=2)
    part = logit_lens(model, None, IDS, layers=[-1, 0], top_k=2)
    assert part.layer_names == ("2", "embed") and list(part.layers) == [2, 0]
    np.testing.assert_allclose(part.logits, full.logits[[2, 0]], atol=1e-6)
    np.testing.assert_allclose(part.kl, full.kl[[2, 0]], atol=1e-9)
    np.testing.assert_array_equal(part.rank, full.rank[[2, 0]])
    df = part.to_frame()
    assert set(df.layer) == {0, 2} and set(df.layer_name) == {"embed", "2"}


def _layer_norm(x, g, b, eps):
    z = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
    return z * g + b


def test_sublayers_decode_attention_and_mlp_outputs(gpt2):
    """Attention output = (input of ln_2) - (block input); MLP output = block output - that."""
    torch, model = gpt2
    mids = []
    hooks = [
        blk.ln_2.register_forward_pre_hook(lambda _m, args: mids.append(args[0][0].numpy()))
        for blk in model.transformer.h
    ]
    try:
        with torch.no_grad():
            out = model(torch.tensor([IDS]), output_hidden_states=True)
    finally:
        for h in hooks:
            h.remove()
    ln = model.transformer.ln_f
    g, b = ln.weight.detach().numpy().astype(float), ln.bias.detach().numpy().astype(float)
    W = model.lm_head.weight.detach().numpy().astype(float)
    lens = logit_lens(model, None, IDS, top_k=2, sublayers=True)
    assert lens.attention.layer_names == ("attn 1", "attn 2")
    assert lens.mlp.layer_names == ("mlp 1", "mlp 2") and lens.mlp.kind == "mlp"
    hs = [h[0].numpy().astype(float) for h in out.hidden_states[:-1]]
    # the last block's output is raw in the lens: recover it from the model's logits' inputs
    with torch.no_grad():
        last = []
        hk = model.transformer.h[-1].register_forward_hook(lambda _m, _i, o: last.append(o))
        model(torch.tensor([IDS]))
        hk.remove()
    hs.append((last[0][0] if isinstance(last[0], tuple) else last[0])[0].numpy().astype(float))
    for block in range(2):
        attn = mids[block].astype(float) - hs[block]
        mlp = hs[block + 1] - mids[block].astype(float)
        np.testing.assert_allclose(
            lens.attention.logits[block], _layer_norm(attn, g, b, ln.eps) @ W.T, atol=1e-4
        )
        np.testing.assert_allclose(
            lens.mlp.logits[block], _layer_norm(mlp, g, b, ln.eps) @ W.T, atol=1e-4
        )
    # KL of a sub-block lens is against the model's output, as for the layers
    p = np.exp(lens.logits[-1].astype(float))
    p /= p.sum(-1, keepdims=True)
    q = np.exp(lens.mlp.logits.astype(float))
    q /= q.sum(-1, keepdims=True)
    np.testing.assert_allclose(lens.mlp.kl, (p * np.log(p / q)).sum(-1), atol=1e-5)


def _random_norm(torch, norm):
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        if getattr(norm, "bias", None) is not None:
            norm.bias.normal_(0, 0.1)


@pytest.fixture(scope="module")
def neox():
    torch, transformers = _transformers_or_skip()
    torch.manual_seed(1)
    cfg = transformers.GPTNeoXConfig(
        vocab_size=len(WORDS),
        hidden_size=32,
        num_hidden_layers=3,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=16,
    )
    model = transformers.GPTNeoXForCausalLM(cfg).eval()
    with torch.no_grad():
        model.gpt_neox.embed_in.weight.mul_(5.0)
    _random_norm(torch, model.gpt_neox.final_layer_norm)
    return torch, model


@pytest.fixture(scope="module")
def llama():
    torch, transformers = _transformers_or_skip()
    torch.manual_seed(2)
    cfg = transformers.LlamaConfig(
        vocab_size=len(WORDS),
        hidden_size=32,
        num_hidden_layers=3,
        num_attention_heads=2,
        num_key_value_heads=1,
        intermediate_size=64,
        max_position_embeddings=16,
    )
    model = transformers.LlamaForCausalLM(cfg).eval()
    with torch.no_grad():
        model.model.embed_tokens.weight.mul_(5.0)
    _random_norm(torch, model.model.norm)
    return torch, model


def _streams(torch, model, blocks):
    """Every block's input and the last block's output, read by the test's own hooks."""
    seen = []
    hooks = [
        blocks[0].register_forward_pre_hook(
            lambda _m, a, k: seen.append((a[0] if a else k["hidden_states"])[0]), with_kwargs=True
        )
    ]
    hooks += [
        b.register_forward_hook(
            lambda _m, _i, o: seen.append((o[0] if isinstance(o, tuple) else o)[0])
        )
        for b in blocks
    ]
    try:
        with torch.no_grad():
            out = model(torch.tensor([IDS]), output_hidden_states=True)
    finally:
        for h in hooks:
            h.remove()
    # hidden_states agrees with the hooks for every layer but the last (normed there)
    for a, b in zip(seen[:-1], out.hidden_states[:-1], strict=True):
        np.testing.assert_allclose(a.numpy(), b[0].numpy(), atol=1e-6)
    return [x.numpy().astype(float) for x in seen], out.logits[0].numpy()


def test_gpt_neox_layers_are_layer_norm_of_own_stream(neox):
    torch, model = neox
    hs, logits = _streams(torch, model, model.gpt_neox.layers)
    ln = model.gpt_neox.final_layer_norm
    g, b = ln.weight.detach().numpy().astype(float), ln.bias.detach().numpy().astype(float)
    W = model.lm_head.weight.detach().numpy().astype(float)
    lens = logit_lens(model, None, IDS, top_k=2, sublayers=True)
    assert lens.logits.shape == (4, len(IDS), len(WORDS))
    np.testing.assert_allclose(lens.logits[-1], logits, atol=1e-5)
    for layer, h in enumerate(hs):
        np.testing.assert_allclose(
            lens.logits[layer], _layer_norm(h, g, b, ln.eps) @ W.T, atol=1e-4
        )
    assert not np.allclose(lens.logits[0], lens.logits[-1], atol=1e-2)
    assert lens.attention.logits.shape == lens.mlp.logits.shape == (3, len(IDS), len(WORDS))


def test_llama_layers_are_rms_norm_of_own_stream(llama):
    torch, model = llama
    hs, logits = _streams(torch, model, model.model.layers)
    norm = model.model.norm
    g, eps = norm.weight.detach().numpy().astype(float), norm.variance_epsilon
    W = model.lm_head.weight.detach().numpy().astype(float)
    lens = logit_lens(model, None, IDS, top_k=3)
    np.testing.assert_allclose(lens.logits[-1], logits, atol=1e-5)
    for layer, h in enumerate(hs):
        rms = h / np.sqrt((h**2).mean(-1, keepdims=True) + eps) * g
        np.testing.assert_allclose(lens.logits[layer], rms @ W.T, atol=1e-4)
        # a LayerNorm (centring) would give other logits: the lens really uses RMSNorm
        assert not np.allclose(lens.logits[layer], _layer_norm(h, g, 0, eps) @ W.T, atol=1e-3)
    np.testing.assert_allclose(lens.kl[-1], 0, atol=1e-10)
    for layer in range(4):
        for pos in range(len(IDS) - 1):
            order = np.argsort(-lens.logits[layer, pos], kind="stable")
            assert lens.rank[layer, pos] == 1 + list(order).index(IDS[pos + 1])
