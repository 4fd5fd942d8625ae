"""Lens plots draw the result's own numbers: cell colours are the true-next-token
probability (or entropy, rank), cell labels the top tokens, lines the mean KL per layer.
A plain namespace stands in for a logit_lens result: the plots read attributes only."""

from types import SimpleNamespace

import numpy as np
import pytest

from glassbox.render.lens_plots import lens_heatmap, lens_kl, lens_ranks


def _result(n_layers=3, n_pos=5, vocab=7, seed=0, kind="logit"):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n_layers, n_pos, vocab)) * 3
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    ids = rng.integers(0, vocab, n_pos)
    words = np.array([f"w{i}" for i in range(vocab)], dtype=object)
    nxt = ids[1:]
    prob = p[:, np.arange(n_pos - 1), nxt]
    rank = 1 + (logits[:, :-1] > logits[:, np.arange(n_pos - 1), nxt][..., None]).sum(-1)
    top = np.argsort(-p, -1)[..., :2]
    entropy = -(p * np.log(p)).sum(-1)
    kl = (p[-1] * (np.log(p[-1]) - np.log(p))).sum(-1)
    return SimpleNamespace(
        tokens=tuple(words[ids]),
        ids=ids,
        top_ids=top,
        top_tokens=words[top],
        prob=prob,
        rank=rank,
        entropy=entropy,
        kl=kl,
        layers=np.arange(n_layers),
        kind=kind,
        layer_names=("embed",) + tuple(str(i) for i in range(1, n_layers)),
    )


def _texts(ax):
    return {
        (round(t.get_position()[0]), round(t.get_position()[1])): t.get_text() for t in ax.texts
    }


def test_heatmap_cells_are_next_token_probability_with_top_token_labels():
    res = _result()
    fig = lens_heatmap(res)
    ax = fig.axes[0]
    img = ax.images[0]
    values = np.ma.filled(img.get_array(), np.nan)
    assert values.shape == (3, 5)
    np.testing.assert_allclose(values[:, :4], res.prob)
    assert np.isnan(values[:, 4]).all()  # the last position has no true next token
    assert img.origin == "lower"  # the embedding is the bottom row
    assert (img.norm.vmin, img.norm.vmax) == (0.0, 1.0)
    labels = _texts(ax)
    assert len(labels) == 15
    for layer in range(3):
        for pos in range(5):
            assert labels[(pos, layer)] == res.top_tokens[layer, pos, 0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["embed", "1", "2"]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(res.tokens)
    top_axis = [a for a in ax.child_axes if a.get_xlabel() == "true next token"][0]
    assert [t.get_text() for t in top_axis.get_xticklabels()] == list(res.tokens[1:]) + [""]


@pytest.mark.parametrize("color", ["entropy", "kl"])
def test_heatmap_other_colours(color):
    res = _result(seed=1)
    img = lens_heatmap(res, color=color, annotate=False).axes[0].images[0]
    np.testing.assert_allclose(np.asarray(img.get_array()), getattr(res, color))
    assert img.norm.vmax == pytest.approx(getattr(res, color).max())


def test_heatmap_logprob():
    res = _result(seed=2)
    img = lens_heatmap(res, color="logprob").axes[0].images[0]
    values = np.ma.filled(img.get_array(), np.nan)
    np.testing.assert_allclose(values[:, :4], np.log10(res.prob))
    assert img.norm.vmax == 0 and img.norm.vmin <= np.log10(res.prob).min()


def test_rank_plot_draws_and_labels_ranks():
    res = _result(n_layers=4, n_pos=6, seed=3)
    ax = lens_ranks(res).axes[0]
    img = ax.images[0]
    np.testing.assert_array_equal(np.asarray(img.get_array()), res.rank)
    assert type(img.norm).__name__ == "LogNorm" and img.norm.vmin == 1
    labels = _texts(ax)
    assert labels[(2, 1)] == str(res.rank[1, 2]) and len(labels) == res.rank.size
    assert len(ax.get_xticklabels()) == 5  # positions that have a true next token


def test_kl_plot_lines_are_mean_kl_per_layer():
    logit, tuned = _result(seed=4), _result(seed=5, kind="tuned")
    ax = lens_kl(logit, tuned).axes[0]
    assert [line.get_label() for line in ax.lines] == ["logit lens", "tuned lens"]
    for line, res in zip(ax.lines, (logit, tuned), strict=True):
        kl = res.kl.mean(1)
        assert kl[-1] == 0  # the last layer is the output: left out of the log scale
        np.testing.assert_allclose(line.get_ydata(), kl[:2])
        np.testing.assert_array_equal(line.get_xdata(), [0, 1])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["embed", "1", "2"]


def test_kl_plot_of_a_tuned_lens_and_subset_layers():
    fitted = SimpleNamespace(
        kl_logit=np.array([2.0, 0.5, 0.1, 0.0]), kl_tuned=np.array([0.3, 0.05, 0.01, 0.0])
    )
    part = _result(seed=6)
    part.layer_names, part.layers = ("embed", "3"), np.array([0, 3])
    part.kl = part.kl[:2]
    ax = lens_kl(fitted, part, labels=["logit", "tuned", "two layers"]).axes[0]
    assert [line.get_label() for line in ax.lines] == ["logit", "tuned", "two layers"]
    # the last layer's KL is 0: left out of the log scale, and the axis says so
    np.testing.assert_allclose(ax.lines[0].get_ydata(), fitted.kl_logit[:3])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), fitted.kl_tuned[:3])
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0, 1, 2])
    np.testing.assert_array_equal(ax.lines[2].get_xdata(), [0, 3])  # on the shared layer axis
    assert ax.get_yscale() == "log" and "not drawn" in ax.get_xlabel()


def test_bad_input():
    with pytest.raises(ValueError, match="color"):
        lens_heatmap(_result(), color="logits")
    with pytest.raises(TypeError, match="logit_lens result"):
        lens_heatmap(SimpleNamespace(tokens=("a",)))
    with pytest.raises(ValueError, match="at least one"):
        lens_kl()
    with pytest.raises(ValueError, match="labels"):
        lens_kl(_result(), labels=["a", "b"])


def test_token_labels_are_shortened_and_marked():
    res = _result()
    res.tokens = ("\u0120extraordinarily",) + res.tokens[1:]
    ax = lens_heatmap(res, max_chars=6).axes[0]
    assert ax.get_xticklabels()[0].get_text() == "\u2423extr\u2026"
