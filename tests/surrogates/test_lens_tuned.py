"""fit_tuned_lens on a tiny GPT-2 trained in the test: held-out KL below the logit lens's,
the reported KLs equal logit_lens's own, the tuned decoding equals a numpy hand computation,
and the translators round-trip through a plain npz file (no pickle)."""

import numpy as np
import pytest

from surrogates.lens import TunedLens, fit_tuned_lens, logit_lens

V, T = 40, 32


def _transformers_or_skip():
    try:
        import torch
        import transformers
    except ImportError:
        pytest.skip("torch and transformers are optional extras and are not installed")
    return torch, transformers


def _corpus(n, seed):
    """A toy language: <s> subject verb object </s> subject . (the subject is copied)."""
    rng = np.random.default_rng(seed)
    s = rng.integers(4, 14, n)
    v = rng.integers(14, 24, n)
    o = rng.integers(24, V, n)
    return np.stack([np.ones(n, int), s, v, o, np.full(n, 2), s, np.full(n, 3)], 1).ravel()


@pytest.fixture(scope="module")
def trained():
    torch, transformers = _transformers_or_skip()
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(
        n_layer=3,
        n_embd=32,
        n_head=2,
        vocab_size=V,
        n_positions=T,
        bos_token_id=1,
        eos_token_id=2,
    )
    model = transformers.GPT2LMHeadModel(cfg)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: more threads only contend with other jobs
    try:
        tuned = _train_and_fit(torch, model)
    finally:
        torch.set_num_threads(threads)
    return torch, model, tuned


def _train_and_fit(torch, model):
    ids = _corpus(3000, 0)
    win = ids[: len(ids) // T * T].reshape(-1, T)
    opt = torch.optim.AdamW(model.parameters(), 3e-3)
    rng = np.random.default_rng(0)
    for _ in range(150):
        x = torch.as_tensor(win[rng.choice(len(win), 16)])
        loss = model(input_ids=x, labels=x).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    texts = [list(map(int, w)) for w in win[:200]]
    return fit_tuned_lens(model, None, texts, steps=200, seq_len=T, random_state=0, progress=False)


def test_tuned_beats_logit_lens_on_held_out_text(trained):
    _, _, tuned = trained
    assert tuned.weights.shape == (3, 32, 32) and tuned.biases.shape == (3, 32)
    assert tuned.n_heldout_tokens == 40 * T and tuned.n_train_tokens == 160 * T
    assert np.all(tuned.kl_tuned[:-1] < tuned.kl_logit[:-1])
    assert tuned.kl_logit[-1] == 0 and tuned.kl_tuned[-1] == 0
    # the embedding layer is where the logit lens is worst and the translator helps most
    assert tuned.kl_tuned[0] < 0.5 * tuned.kl_logit[0]
    assert "held-out KL" in str(tuned) and len(tuned.to_frame()) == 4


def test_reported_kl_equals_logit_lens_kl(trained):
    """When every window is the same text, the held-out mean KL is that text's lens KL."""
    _, model, _ = trained
    window = list(map(int, _corpus(5, 1)[:T]))
    tuned = fit_tuned_lens(
        model, None, [window] * 5, steps=20, seq_len=T, random_state=0, progress=False
    )
    plain = logit_lens(model, None, window)
    np.testing.assert_allclose(tuned.kl_logit, plain.kl.mean(1), rtol=1e-4, atol=1e-7)
    mine = logit_lens(model, None, window, lens="tuned", tuned=tuned)
    assert mine.kind == "tuned"
    np.testing.assert_allclose(tuned.kl_tuned, mine.kl.mean(1), rtol=1e-4, atol=1e-7)


def test_tuned_decoding_is_translator_then_norm_then_unembedding(trained):
    torch, model, tuned = trained
    ids = list(map(int, _corpus(3, 2)[:20]))
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_hidden_states=True)
    ln = model.transformer.ln_f
    g, b = ln.weight.detach().numpy().astype(float), ln.bias.detach().numpy().astype(float)
    W = model.lm_head.weight.detach().numpy().astype(float)
    lens = logit_lens(model, None, ids, lens="tuned", tuned=tuned, layers=[0, 1, 2, 3])
    for layer in range(3):
        h = out.hidden_states[layer][0].numpy().astype(float)
        y = h @ tuned.weights[layer].T.astype(float) + tuned.biases[layer]
        z = (y - y.mean(-1, keepdims=True)) / np.sqrt(y.var(-1, keepdims=True) + ln.eps)
        np.testing.assert_allclose(lens.logits[layer], (z * g + b) @ W.T, atol=1e-4)
    np.testing.assert_allclose(lens.logits[3], out.logits[0].numpy(), atol=1e-5)


def test_translators_start_at_identity(trained):
    _, model, _ = trained
    texts = [list(map(int, _corpus(40, 3)[i * T : (i + 1) * T])) for i in range(8)]
    tuned = fit_tuned_lens(
        model, None, texts, steps=1, lr=1e-12, seq_len=T, random_state=0, progress=False
    )
    np.testing.assert_allclose(tuned.weights, np.broadcast_to(np.eye(32), (3, 32, 32)), atol=1e-9)
    np.testing.assert_allclose(tuned.biases, 0, atol=1e-9)
    np.testing.assert_allclose(tuned.kl_tuned, tuned.kl_logit, rtol=1e-6)


def test_save_load_plain_arrays(trained, tmp_path):
    _, model, tuned = trained
    path = tmp_path / "lens.npz"
    tuned.save(path)
    back = TunedLens.load(path)
    for name in ("weights", "biases", "kl_logit", "kl_tuned"):
        np.testing.assert_array_equal(getattr(back, name), getattr(tuned, name))
    assert (back.model_type, back.steps, back.n_train_tokens) == ("gpt2", 200, tuned.n_train_tokens)
    with np.load(path, allow_pickle=False) as z:  # plain numeric and string arrays only
        assert all(z[k].dtype.kind in "fiU" for k in z.files)
    ids = list(map(int, _corpus(3, 4)[:12]))
    a = logit_lens(model, None, ids, lens="tuned", tuned=tuned)
    b = logit_lens(model, None, ids, lens="tuned", tuned=back)
    np.testing.assert_array_equal(a.logits, b.logits)


def _write(path, **arrays):
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def test_load_refuses_bad_files(trained, tmp_path):
    _, _, tuned = trained
    good = tmp_path / "good.npz"
    tuned.save(good)
    with np.load(good) as z:
        base = {k: z[k] for k in z.files}
    cases = {
        "pickle": {**base, "model_type": np.array([object()], dtype=object)},
        "shape": {**base, "biases": base["biases"][:, :5]},
        "nan": {**base, "weights": np.where(np.eye(32) > 0, np.nan, base["weights"])},
        "keys": {k: v for k, v in base.items() if k != "kl_tuned"},
        "format": {**base, "format": np.array("something else")},
        "kl": {**base, "kl_logit": base["kl_logit"][:2]},
    }
    for name, arrays in cases.items():
        path = tmp_path / f"{name}.npz"
        _write(path, **arrays)
        with pytest.raises(ValueError, match="tuned-lens file|must|NaN|expected"):
            TunedLens.load(path)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a tuned-lens file"):
        TunedLens.load(junk)


def test_bad_input(trained):
    torch, model, tuned = trained
    with pytest.raises(TypeError, match="list of strings"):
        fit_tuned_lens(model, None, "one string", progress=False)
    with pytest.raises(ValueError, match="two windows"):
        fit_tuned_lens(model, None, [[1, 2, 3]], seq_len=4, progress=False)
    with pytest.raises(ValueError, match="steps"):
        fit_tuned_lens(model, None, [[1, 2, 3]], steps=0, progress=False)
    with pytest.raises(ValueError, match="positions"):
        fit_tuned_lens(model, None, [[1, 2, 3]], seq_len=64, progress=False)
    with pytest.raises(ValueError, match="logit lens only"):
        logit_lens(model, None, [1, 2, 3], lens="tuned", tuned=tuned, sublayers=True)
    with pytest.raises(ValueError, match='lens="tuned"'):
        logit_lens(model, None, [1, 2, 3], tuned=tuned)
    _, transformers = _transformers_or_skip()
    other = transformers.GPT2LMHeadModel(
        transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=V, n_positions=T)
    )
    with pytest.raises(ValueError, match="3 layers of width 32"):
        logit_lens(other, None, [1, 2, 3], lens="tuned", tuned=tuned)
    # the model is left as it was: parameters still trainable after fitting
    assert all(p.requires_grad for p in model.parameters())
