"""Plots of global effects (partial dependence with ICE, 2-D PD, ALE with a bootstrap
band, permutation importance with intervals): what each draws is read back from the
matplotlib artists and compared with the data passed (itself checked against a closed
form), and every label lies inside the figure without overlapping another."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection, QuadMesh  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.patches import StepPatch  # noqa: E402
from sklearn.base import BaseEstimator, RegressorMixin  # noqa: E402

from glassbox.render import plots  # noqa: E402
from surrogates.effects import ale, partial_dependence, permutation_importance  # noqa: E402


class _Known(RegressorMixin, BaseEstimator):
    """A regressor with a known formula, f(x) = x0^2 + x1 (x2 unused), and real
    feature names: closed-form PD and ALE."""

    feature_names_in_ = np.array(["age", "income", "debt"], dtype=object)
    n_features_in_ = 3

    def __init__(self, fn=None):
        self.fn = fn or (lambda X: X[:, 0] ** 2 + X[:, 1])

    def fit(self, X, y=None):  # pragma: no cover - already "fitted"
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def predict(self, X):
        return self.fn(np.asarray(X, dtype=float))


_f = _Known()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.uniform(-1, 1, (200, 3)), columns=["age", "income", "debt"])


def _png(fig) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:4] == b"\x89PNG"


def _ticks(ax):
    """Tick labels that are drawn (matplotlib also lists ticks outside the view)."""
    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    xs = [t for t in ax.get_xticklabels() if x0 - 1e-9 <= t.get_position()[0] <= x1 + 1e-9]
    ys = [t for t in ax.get_yticklabels() if y0 - 1e-9 <= t.get_position()[1] <= y1 + 1e-9]
    return xs + ys


def _texts(fig):
    """Every visible non-empty text of the figure: titles, axis and tick labels, legends."""
    out = []
    for ax in fig.axes:
        out += [ax.title, ax.xaxis.label, ax.yaxis.label]
        out += _ticks(ax)
        leg = ax.get_legend()
        if leg is not None:
            out += list(leg.get_texts())
    for leg in fig.legends:
        out += list(leg.get_texts())
    return [t for t in out if t.get_visible() and t.get_text().strip()]


def _check_layout(fig) -> None:
    """Labels inside the figure; no two labels of one axes overlap; the tick labels of
    one axis do not overlap each other."""
    _png(fig)
    fig.canvas.draw()  # lay out again at the figure's own dpi, then measure
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    for t in _texts(fig):
        b = t.get_window_extent(renderer)
        assert b.x0 >= frame.x0 - 1 and b.x1 <= frame.x1 + 1, f"{t.get_text()!r} leaves the figure"
        assert b.y0 >= frame.y0 - 1 and b.y1 <= frame.y1 + 1, f"{t.get_text()!r} leaves the figure"
    for ax in fig.axes:
        group = [ax.title, ax.xaxis.label, ax.yaxis.label]
        group += _ticks(ax)
        group = [t for t in group if t.get_visible() and t.get_text().strip()]
        boxes = [t.get_window_extent(renderer) for t in group]
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                w = min(a.x1, b.x1) - max(a.x0, b.x0)
                h = min(a.y1, b.y1) - max(a.y0, b.y0)
                assert w <= 0.5 or h <= 0.5, (
                    f"{group[i].get_text()!r} overlaps {group[j].get_text()!r}"
                )


def _inside_limits(ax, xs, ys) -> None:
    """Every plotted point lies within the axes' view limits (so inside the axes)."""
    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    xs, ys = np.asarray(xs, float).ravel(), np.asarray(ys, float).ravel()
    assert xs.min() >= x0 - 1e-12 and xs.max() <= x1 + 1e-12
    assert ys.min() >= y0 - 1e-12 and ys.max() <= y1 + 1e-12


# --- partial dependence with ICE --------------------------------------------------------


def test_pd_with_ice_and_rug_draws_the_data(data):
    pdep = partial_dependence(_f, data, "age", kind="both", grid=15)
    # the data itself against the closed form: PD(age) = age^2 + mean(income)
    np.testing.assert_allclose(
        pdep.average[:, 0], pdep.grid[0] ** 2 + data["income"].mean(), atol=1e-12
    )
    fig = plots.partial_dependence(pdep, max_ice=50)
    _check_layout(fig)
    ax = fig.axes[0]
    (avg,) = [ln for ln in ax.lines if ln.get_gid() == "average"]
    np.testing.assert_allclose(avg.get_xdata(), pdep.grid[0])
    np.testing.assert_allclose(avg.get_ydata(), pdep.average[:, 0])
    (ice,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segs = ice.get_segments()
    rows = np.unique(np.linspace(0, len(data) - 1, 50).astype(int))
    assert len(segs) == len(rows) == 50
    for seg, r in zip(segs, rows):
        np.testing.assert_allclose(seg[:, 0], pdep.grid[0])
        np.testing.assert_allclose(seg[:, 1], pdep.individual[r, :, 0])
    # the rug: the deciles of the data (oracle: numpy), at the bottom of the axes
    (rug,) = [ln for ln in ax.lines if ln.get_marker() == "|"]
    np.testing.assert_allclose(rug.get_xdata(), np.percentile(data["age"], np.arange(10, 100, 10)))
    # everything within the axes
    allx = np.concatenate([s[:, 0] for s in segs] + [rug.get_xdata()])
    ally = np.concatenate([s[:, 1] for s in segs] + [avg.get_ydata()])
    _inside_limits(ax, allx, ally)
    assert ax.get_xlabel() == "age"


def test_centred_ice_starts_every_curve_at_zero(data):
    pdep = partial_dependence(_f, data, "age", kind="both", grid=10)
    fig = plots.partial_dependence(pdep, centered=True, max_ice=500)
    _check_layout(fig)
    ax = fig.axes[0]
    (ice,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segs = np.stack(ice.get_segments())
    assert segs.shape[0] == len(data)
    np.testing.assert_allclose(segs[:, 0, 1], 0.0, atol=1e-12)
    # additive f: every centred ICE curve is age^2 - grid0^2 (closed form)
    g = pdep.grid[0]
    np.testing.assert_allclose(segs[:, :, 1], np.broadcast_to(g**2 - g[0] ** 2, segs.shape[:2]))
    (avg,) = [ln for ln in ax.lines if ln.get_gid() == "average"]
    np.testing.assert_allclose(avg.get_ydata(), g**2 - g[0] ** 2, atol=1e-12)
    assert ax.get_ylabel().startswith("change in") and ax.get_title().startswith("Centred")


def test_pd_average_only_has_no_ice(data):
    pdep = partial_dependence(_f, data, "income", grid=8)
    fig = plots.partial_dependence(pdep, rug=False)
    _check_layout(fig)
    ax = fig.axes[0]
    assert not [c for c in ax.collections if isinstance(c, LineCollection)]
    assert not [ln for ln in ax.lines if ln.get_marker() == "|"]


def test_pd_pair_heatmap_values_and_cells(data):
    pdep = partial_dependence(_f, data, ["age", "income"], grid=(6, 4))
    g0, g1 = pdep.grid
    np.testing.assert_allclose(
        pdep.average[..., 0], g0[:, None] ** 2 + g1[None, :], atol=1e-12
    )  # closed form
    fig = plots.partial_dependence(pdep)
    _check_layout(fig)
    ax = fig.axes[0]
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(4, 6), pdep.average[..., 0].T)
    coords = mesh.get_coordinates()  # (rows+1, cols+1, 2) cell corners
    xe, ye = coords[0, :, 0], coords[:, 0, 1]
    np.testing.assert_allclose((xe[1:] + xe[:-1]) / 2, g0)  # each cell centred on its grid value
    np.testing.assert_allclose((ye[1:] + ye[:-1]) / 2, g1)
    assert ax.get_xlabel() == "age" and ax.get_ylabel() == "income"
    with pytest.raises(ValueError, match="pair"):
        plots.partial_dependence_heatmap(partial_dependence(_f, data, "age", grid=5))


def test_pd_output_by_name_for_a_multiclass_model(data):
    from sklearn.linear_model import LogisticRegression

    y = np.digitize(data["age"] + data["income"], [-0.5, 0.5])
    model = LogisticRegression().fit(data, y)
    pdep = partial_dependence(model, data, "age", grid=6, method="brute")
    fig = plots.partial_dependence(pdep, output="0")
    (avg,) = [ln for ln in fig.axes[0].lines if ln.get_gid() == "average"]
    np.testing.assert_allclose(avg.get_ydata(), pdep.average[:, 0])
    # oracle: the mean predicted probability of class 0 with age set to each value
    want = []
    for v in pdep.grid[0]:
        Z = data.copy()
        Z["age"] = v
        want.append(model.predict_proba(Z)[:, 0].mean())
    np.testing.assert_allclose(avg.get_ydata(), want, rtol=1e-10)
    _check_layout(fig)
    _check_layout(plots.partial_dependence(pdep, output="2", centered=True))
    with pytest.raises(ValueError, match="not one of"):
        plots.partial_dependence(pdep, output="seven")


# --- ALE ---------------------------------------------------------------------------------


def test_ale_line_band_and_rows_per_bin(data):
    eff = ale(_f, data, "age", bins=8, n_bootstrap=20, random_state=0)
    edges = eff.grid[0]
    # the data against the closed form: centred age^2 (within the bin's exactness:
    # for a quadratic the local differences are exact, only the centring differs)
    shape = edges**2
    np.testing.assert_allclose(eff.values[:, 0] - eff.values[0, 0], shape - shape[0], atol=1e-12)
    fig = plots.ale(eff)
    _check_layout(fig)
    ax, dax = fig.axes
    (line,) = [ln for ln in ax.lines if ln.get_gid() == "ale"]
    np.testing.assert_allclose(line.get_xdata(), edges)
    np.testing.assert_allclose(line.get_ydata(), eff.values[:, 0])
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    verts = band.get_paths()[0].vertices
    # fill_between's polygon: lower edge left to right, then upper edge back
    for x, lo, hi in zip(edges, eff.lower[:, 0], eff.upper[:, 0]):
        at = verts[np.isclose(verts[:, 0], x)][:, 1]
        assert np.isclose(at.min(), lo) and np.isclose(at.max(), hi)
    assert np.all(eff.lower[:, 0] <= eff.values[:, 0] + 1e-12)
    (stairs,) = [p for p in dax.patches if isinstance(p, StepPatch)]
    np.testing.assert_allclose(stairs.get_data().edges, edges)
    counts = np.histogram(data["age"], bins=edges)[0]  # oracle: numpy (edges are quantiles)
    np.testing.assert_allclose(stairs.get_data().values, counts / np.diff(edges))
    _inside_limits(ax, verts[:, 0], verts[:, 1])


def test_ale_categorical_bars_with_band(data):
    X = data.copy()
    X["debt"] = np.floor((X["debt"] + 1) * 2)  # levels 0..3
    eff = ale(_Known(lambda Z: Z[:, 2] * 2.0), X, "debt", categorical=True, n_bootstrap=10)
    fig = plots.ale(eff)
    _check_layout(fig)
    ax, dax = fig.axes
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    np.testing.assert_allclose([b.get_height() for b in bars], eff.values[:, 0])
    (dbars,) = [c for c in dax.containers if isinstance(c, BarContainer)]
    np.testing.assert_allclose([b.get_height() for b in dbars], eff.counts)
    assert [t.get_text() for t in dax.get_xticklabels()] == [f"{v:.4g}" for v in eff.grid[0]]


def test_ale_pair_heatmap(data):
    eff = ale(_Known(lambda Z: Z[:, 0] * Z[:, 1]), data, ["age", "income"], bins=5)
    fig = plots.ale(eff)
    _check_layout(fig)
    (mesh,) = [c for c in fig.axes[0].collections if isinstance(c, QuadMesh)]
    k0, k1 = (len(g) for g in eff.grid)
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(k1, k0), eff.values[..., 0].T)


# --- permutation importance ------------------------------------------------------------


def test_importance_bars_and_intervals(data):
    y = _f.predict(data)
    expl = permutation_importance(_f, data, y, n_repeats=6, random_state=0)
    fig = plots.permutation_importance(expl)
    _check_layout(fig)
    ax = fig.axes[0]
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    order = np.argsort(-expl.importances, kind="stable")
    np.testing.assert_allclose([b.get_width() for b in bars], expl.importances[order])
    labels = {t.get_position()[1]: t.get_text() for t in ax.get_yticklabels()}
    assert [labels[p] for p in sorted(labels, reverse=True)] == [
        expl.term_names[i] for i in order
    ]  # largest on top
    (err,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    segs = err.lines[2][0].get_segments()
    lo = np.array([s[:, 0].min() for s in segs])
    hi = np.array([s[:, 0].max() for s in segs])
    np.testing.assert_allclose(lo, expl.extras["ci_low"][order])
    np.testing.assert_allclose(hi, expl.extras["ci_high"][order])
    # oracle for the interval: the t interval of the raw repeats (scipy)
    from scipy import stats

    raw = expl.extras["importances_raw"][order]
    half = stats.t.ppf(0.975, 5) * raw.std(axis=1, ddof=1) / np.sqrt(6)
    np.testing.assert_allclose(hi - lo, 2 * half, rtol=1e-10)
    _inside_limits(ax, np.concatenate([lo, hi]), [0])
    assert expl.importances[2] == 0.0  # debt is unused: its bar has zero width


# --- prototypes and criticisms -----------------------------------------------------------


def test_prototype_gallery_draws_the_chosen_rows():
    from sklearn.datasets import load_digits

    from surrogates.prototypes import prototypes

    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    chosen = prototypes(X, 10, n_criticisms=3, y=y)
    fig = plots.prototypes(chosen, columns=5)
    _check_layout(fig)
    protos = [ax for ax in fig.axes if ax.get_gid() == "prototype"]
    crits = [ax for ax in fig.axes if ax.get_gid() == "criticism"]
    assert len(protos) == 10 and len(crits) == 3
    for ax, i, label in zip(protos, chosen.prototype_indices, chosen.prototype_labels):
        (im,) = ax.get_images()
        np.testing.assert_array_equal(im.get_array(), X[i].reshape(8, 8))  # the row itself
        assert ax.get_title() == f"prototype: {label}" and label == y[i]
    for ax, i, w in zip(crits, chosen.criticism_indices, chosen.witness):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), X[i].reshape(8, 8))
        assert ax.get_title().endswith(f"w={w:.2g}")
    with pytest.raises(ValueError, match="image_shape"):
        plots.prototypes(chosen, image_shape=(4, 4))


def test_interaction_strength_bars_and_pair_matrix(data):
    from matplotlib.image import AxesImage

    from surrogates.effects import interaction_strength

    model = _Known(lambda Z: Z[:, 0] * Z[:, 1] + Z[:, 2])
    expl = interaction_strength(model, data, max_rows=60, random_state=0)
    pair = expl.extras["pair_h"]
    # the data against the closed form: debt enters additively, so no pair with it interacts
    np.testing.assert_allclose([pair[0, 2], pair[1, 2]], 0.0, atol=1e-10)
    assert pair[0, 1] > 0.9 and expl.importances[2] < 1e-6
    fig = plots.interaction_strength(expl)
    _check_layout(fig)
    ax, mat_ax = fig.axes[:2]
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    order = np.argsort(-expl.importances, kind="stable")
    np.testing.assert_allclose([b.get_width() for b in bars], expl.importances[order])
    (img,) = [i for i in mat_ax.get_images() if isinstance(i, AxesImage)]
    np.testing.assert_allclose(np.ma.filled(img.get_array(), np.nan), pair, equal_nan=True)
    cells = {(t.get_position()[1], t.get_position()[0]): t.get_text() for t in mat_ax.texts}
    for (i, j), text in cells.items():
        assert text == f"{pair[int(i), int(j)]:.2f}"
    assert len(cells) == int(np.isfinite(pair).sum())
