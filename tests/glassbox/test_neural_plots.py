"""glassbox.render.neural_plots: rendered to PNG (Agg); what is drawn is checked against the
data given (image arrays, colour limits, boundary pieces, bar lengths, line data), never
pixels. The inputs are plain objects with the attributes the plots read."""

from __future__ import annotations

import io
import subprocess
import sys
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402

from glassbox.render import neural_plots as npl  # noqa: E402


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def _explanation(values, data, **extras):
    return SimpleNamespace(values=values, data=data, method="test_method", extras=extras,
                           feature_names=tuple(f"f{j}" for j in range(values.shape[1])))  # fmt: skip


def test_render_imports_neither_torch_nor_surrogates():
    code = (
        "import sys, glassbox.render.neural_plots; "
        "bad = [m for m in ('torch', 'surrogates') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_image_overlay_channels_first_with_segments():
    rng = np.random.default_rng(0)
    data = rng.random((2, 3, 6, 5))
    values = rng.normal(size=(2, 3, 6, 5))
    seg = np.zeros((6, 5), dtype=int)
    seg[3:, :] = 1
    seg[:, 3:] += 2  # four blocks: rows split at 3, columns at 3
    e = _explanation(values, data, segments=seg)
    fig = npl.image_attribution(e, row=1)
    _png(fig)
    ax_in, ax_over = fig.axes[:2]
    np.testing.assert_allclose(ax_in.images[0].get_array(), data[1].mean(axis=0))
    grey, attr = ax_over.images[0], ax_over.images[1]
    np.testing.assert_allclose(grey.get_array(), data[1].mean(axis=0))
    np.testing.assert_allclose(attr.get_array(), values[1].sum(axis=0))
    lim = np.abs(values[1].sum(axis=0)).max()
    assert attr.get_clim() == pytest.approx((-lim, lim))  # centred at 0
    assert attr.get_cmap().name == "RdBu_r"
    lines = [c for c in ax_over.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1
    # boundary pieces counted by hand: 6 rows cross the column split, 5 columns the row split
    pieces = lines[0].get_segments()
    assert len(pieces) == 6 + 5
    xs = {round(p[0][0], 6) for p in pieces if p[0][0] == p[1][0]}
    ys = {round(p[0][1], 6) for p in pieces if p[0][1] == p[1][1]}
    assert xs == {2.5} and ys == {2.5}
    # without boundaries, no lines
    fig = npl.image_attribution(e, row=1, boundaries=False)
    assert not [c for c in fig.axes[1].collections if isinstance(c, LineCollection)]


def test_image_grid_flat_rows_reshaped():
    rng = np.random.default_rng(1)
    data = rng.random((4, 64))
    a, b = rng.normal(size=(4, 64)), rng.normal(size=(4, 64))
    fig = npl.image_attributions({"A": _explanation(a, data), "B": _explanation(b, data)},
                                 rows=[0, 3], shape=(8, 8))  # fmt: skip
    _png(fig)
    axes = fig.axes
    assert len(axes) == 2 * 3
    assert [ax.get_title() for ax in axes[:3]] == ["input", "A", "B"]
    np.testing.assert_allclose(axes[4].images[1].get_array(), a[3].reshape(8, 8))
    np.testing.assert_allclose(axes[5].images[1].get_array(), b[3].reshape(8, 8))
    lim = np.abs(b[3]).max()
    assert axes[5].images[1].get_clim() == pytest.approx((-lim, lim))


def test_channels_last_and_explicit_axis():
    rng = np.random.default_rng(2)
    data = rng.random((1, 7, 9, 3))
    values = rng.normal(size=(1, 7, 9, 3))
    fig = npl.image_attribution(_explanation(values, data))
    np.testing.assert_allclose(fig.axes[1].images[1].get_array(), values[0].sum(axis=2))
    # explain_image records the channel axis in extras; it wins over the guess
    data2 = rng.random((1, 3, 4, 4))
    fig = npl.image_attribution(_explanation(data2 - 0.5, data2, channel_axis=2))
    assert fig.axes[1].images[1].get_array().shape == (3, 4)


def test_attribution_bars():
    vals = np.array([[0.5, -2.0, 0.1, 1.0, -0.3]])
    e = _explanation(vals, np.arange(5.0)[None])
    fig = npl.attribution_bars(e, max_features=3)
    _png(fig)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)][0]
    widths = [p.get_width() for p in bars.patches]
    # largest |value| on top (y is reversed), the two smallest summed
    np.testing.assert_allclose(widths, [-2.0, 1.0, 0.5, -0.2])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["f1 = 1", "f3 = 3", "f0 = 0", "2 other features"]
    with pytest.raises(ValueError, match="image_attribution"):
        npl.attribution_bars(_explanation(np.zeros((1, 2, 2)), np.zeros((1, 2, 2))))


def _curve(kind, seed):
    rng = np.random.default_rng(seed)
    frac = np.linspace(0, 1, 6)
    c, r = rng.random((3, 6)), rng.random((3, 6))
    return SimpleNamespace(kind=kind, fractions=frac, curve=c, random_curve=r,
                           auc=np.trapezoid(c, frac, axis=1),
                           random_auc=np.trapezoid(r, frac, axis=1))  # fmt: skip


def test_perturbation_curves():
    a, b = _curve("deletion", 0), _curve("deletion", 1)
    fig = npl.perturbation_curves([a, b], labels=["IG", "saliency"])
    _png(fig)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4
    np.testing.assert_allclose(lines[0].get_ydata(), a.curve.mean(axis=0))
    np.testing.assert_allclose(lines[1].get_ydata(), a.random_curve.mean(axis=0))
    np.testing.assert_allclose(lines[2].get_xdata(), b.fractions)
    assert lines[1].get_linestyle() == "--"
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[0] == f"IG: AUC {a.auc.mean():.3g}"
    assert "deleted" in fig.axes[0].get_xlabel()
    # one shared random order (same rows, same seed) is drawn once, in grey
    b2 = SimpleNamespace(**{**vars(b), "random_curve": a.random_curve, "random_auc": a.random_auc})
    lines = npl.perturbation_curves([a, b2]).axes[0].get_lines()
    assert len(lines) == 3
    np.testing.assert_allclose(lines[2].get_ydata(), a.random_curve.mean(axis=0))
    with pytest.raises(ValueError, match="labels"):
        npl.perturbation_curves([a, b], labels=["one"])


def test_randomization_plot():
    rng = np.random.default_rng(3)
    res = SimpleNamespace(method="saliency", mode="cascading", layers=("4", "2", "0"),
                          layer_types=("Linear",) * 3, spearman=rng.uniform(-1, 1, (3, 5)),
                          spearman_abs=rng.uniform(0, 1, (3, 5)),
                          data_spearman=rng.uniform(-1, 1, 5),
                          data_spearman_abs=rng.uniform(0, 1, 5))  # fmt: skip
    fig = npl.randomization(res)
    _png(fig)
    ax = fig.axes[0]
    signed, absolute = ax.get_lines()[0], ax.get_lines()[1]
    expect = [1.0, *res.spearman.mean(axis=1), res.data_spearman.mean()]
    np.testing.assert_allclose(signed.get_ydata(), expect)
    np.testing.assert_allclose(
        absolute.get_ydata(), [1.0, *res.spearman_abs.mean(axis=1), res.data_spearman_abs.mean()]
    )
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["trained", "4 Linear", "2 Linear", "0 Linear", "labels permuted"]
    assert ax.get_ylim() == pytest.approx((-1.05, 1.05))
