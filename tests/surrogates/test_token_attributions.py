"""token_attributions on tiny random transformers classifiers (built offline) vs captum."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from surrogates.text import explain_text, token_attributions  # noqa: E402

TEXTS = [
    "a wonderful film with a great cast",
    "terrible plot and awful acting",
    "great story, wonderful music!",
]


def _tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = sorted({w for t in TEXTS for w in t.replace(",", " ,").replace("!", " !").split()})
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {w: i for i, w in enumerate(specials + words)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]
    )
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


@pytest.fixture(scope="module")
def bert():
    from transformers import BertConfig, BertForSequenceClassification

    tk = _tokenizer()
    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=len(tk),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        num_labels=2,
        initializer_range=0.5,  # random weights large enough for outputs that vary
    )
    return BertForSequenceClassification(cfg).eval(), tk


@pytest.fixture(scope="module")
def gpt2():
    from transformers import GPT2Config, GPT2ForSequenceClassification

    tk = _tokenizer()
    torch.manual_seed(1)
    cfg = GPT2Config(
        vocab_size=len(tk),
        n_embd=16,
        n_layer=2,
        n_head=2,
        n_positions=32,
        num_labels=3,
        pad_token_id=tk.pad_token_id,
        initializer_range=0.3,
    )
    return GPT2ForSequenceClassification(cfg).eval(), tk


def _logit(model, ids, t):
    with torch.no_grad():
        return float(model(input_ids=ids).logits[0, t])


def test_completeness_within_tol_against_direct_forward(bert):
    model, tk = bert
    tol = 1e-6
    e = token_attributions(model, tk, TEXTS, tol=tol)
    for i, text in enumerate(TEXTS):
        ids = tk(text, return_tensors="pt")["input_ids"]
        ref = ids.clone()
        ref[0, 1:-1] = tk.pad_token_id
        t = int(e.extras["target"][i])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0]
        assert t == int(logits.argmax())
        fx, fb = _logit(model, ids, t), _logit(model, ref, t)
        assert abs(fx - fb) > 0.05  # a real path, not a flat one
        assert e.output[i, 0] == pytest.approx(fx, abs=1e-5)
        assert e.base_values[i, 0] == pytest.approx(fb, abs=1e-5)
        v = e.values[i][:, 0]
        assert abs(v.sum() - (fx - fb)) <= tol * max(abs(fx - fb), 1.0) + 1e-5
        assert abs(e.extras["completeness_error"][i]) <= tol * max(abs(fx - fb), 1.0)
        assert v[0] == 0 and v[-1] == 0  # [CLS] and [SEP] are in the baseline too
        assert e.tokens[i] == tuple(tk.convert_ids_to_tokens(ids[0]))
    assert e.extras["converged"].all()
    assert e.extras["n_evals"].min() >= 16


def test_equals_captum_layer_integrated_gradients(bert):
    captum = pytest.importorskip("captum.attr")
    model, tk = bert
    lig = captum.LayerIntegratedGradients(
        lambda ids: model(input_ids=ids).logits, model.get_input_embeddings()
    )
    for baseline, tid in (("pad", tk.pad_token_id), ("mask", tk.mask_token_id)):
        e = token_attributions(model, tk, TEXTS, n_steps=24, baseline=baseline, target=1)
        for i, text in enumerate(TEXTS):
            ids = tk(text, return_tensors="pt")["input_ids"]
            ref = ids.clone()
            ref[0, 1:-1] = tid
            a = lig.attribute(ids, baselines=ref, target=1, n_steps=24, method="gausslegendre")
            want = a.sum(-1)[0].detach().double().numpy()
            scale = np.abs(want).max()
            np.testing.assert_allclose(e.values[i][:, 0], want, rtol=0, atol=1e-5 * scale)


def test_gradient_maps_equal_captum_on_embeddings(bert):
    captum = pytest.importorskip("captum.attr")
    model, tk = bert
    text = TEXTS[1]
    ids = tk(text, return_tensors="pt")["input_ids"]
    emb = model.get_input_embeddings()(ids).detach()

    def f(x):
        return model(inputs_embeds=x).logits

    sal = captum.Saliency(f).attribute(emb, target=0, abs=True).sum(-1)[0].numpy()
    gxi = captum.InputXGradient(f).attribute(emb, target=0).sum(-1)[0].detach().numpy()
    e = token_attributions(model, tk, text, method="saliency", target=0)
    np.testing.assert_allclose(e.values[0][:, 0], sal, rtol=1e-5, atol=1e-7)
    e = token_attributions(model, tk, text, method="gradient_x_input", target=0)
    np.testing.assert_allclose(e.values[0][:, 0], gxi, rtol=1e-5, atol=1e-7)
    assert e.base_values[0, 0] + e.values[0][:, 0].sum() == pytest.approx(e.output[0, 0])


def test_gpt2_classifier_zero_baseline_and_targets(gpt2):
    model, tk = gpt2
    e = token_attributions(model, tk, TEXTS, baseline="zeros", target=[0, 1, 2], tol=1e-6)
    assert list(e.extras["target"]) == [0, 1, 2]
    assert e.extras["target_names"] == ("LABEL_0", "LABEL_1", "LABEL_2")
    for i, text in enumerate(TEXTS):
        ids = tk(text, return_tensors="pt")["input_ids"]
        emb = model.get_input_embeddings()(ids)
        with torch.no_grad():
            fb = float(model(inputs_embeds=torch.zeros_like(emb)).logits[0, i])
        assert e.base_values[i, 0] == pytest.approx(fb, abs=1e-5)
        assert e.values[i][:, 0].sum() == pytest.approx(e.output[i, 0] - fb, abs=1e-5)
    model.train()
    token_attributions(model, tk, TEXTS[0], n_steps=8)
    assert model.training  # the caller's mode is restored
    model.eval()


def test_spans_and_rendering(bert):
    model, tk = bert
    e = token_attributions(model, tk, TEXTS[2], n_steps=8)
    text = TEXTS[2]
    assert [text[a:b] for a, b in e.spans[0][1:-1]] == list(e.tokens[0][1:-1])
    assert e.spans[0][0][0] == e.spans[0][0][1]  # [CLS] has no text of its own
    html = e.to_html()
    assert html.count("class='tok'") == len(e.tokens[0]) - 2
    assert f"target logit ({e.extras['target_names'][0]})" in html


def test_bad_input(bert):
    model, tk = bert
    with pytest.raises(TypeError, match="get_input_embeddings"):
        token_attributions(lambda x: x, tk, "a")
    with pytest.raises(TypeError, match="tokenizer"):
        token_attributions(model, str.split, "a")
    with pytest.raises(ValueError, match="method"):
        token_attributions(model, tk, "a", method="lrp")
    with pytest.raises(ValueError, match="baseline"):
        token_attributions(model, tk, "a", baseline="blank")
    with pytest.raises(ValueError, match="out of range"):
        token_attributions(model, tk, "a", target=5)
    with pytest.raises(ValueError, match="label"):
        token_attributions(model, tk, "a", target="positive")
    with pytest.raises(ValueError, match="entries"):
        token_attributions(model, tk, ["a", "b"], target=[0])


def test_explain_text_on_a_transformers_pipeline(bert):
    from transformers import pipeline

    model, tk = bert
    pipe = pipeline("text-classification", model=model, tokenizer=tk, top_k=None)
    text = "great story, awful acting"

    def probs(texts):  # the oracle: softmax of the model's logits, one text at a time
        out = []
        for t in texts:
            with torch.no_grad():
                logits = model(**tk(t, return_tensors="pt")).logits[0]
            out.append(torch.softmax(logits.double(), -1).numpy())
        return np.array(out)

    e = explain_text(pipe, text, batch_size=16)
    ref = explain_text(probs, text)
    assert e.output_names == ("LABEL_0", "LABEL_1")
    np.testing.assert_allclose(e.values[0], ref.values[0], atol=1e-5)
    np.testing.assert_allclose(e.base_values[0] + e.values[0].sum(0), e.output[0], atol=1e-10)
    with pytest.raises(ValueError, match="top_k=None"):
        explain_text(lambda t: pipe(t, top_k=1), text)
