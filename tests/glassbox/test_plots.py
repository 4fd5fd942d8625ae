"""glassbox.render.plots: each plot is rendered to PNG (Agg) and what it draws is
checked against the explanation data it was given (labels, artists, positions),
never pixels."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection, PolyCollection  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from sklearn.base import is_classifier  # noqa: E402

from glassbox import (  # noqa: E402
    CLASSIFIERS,
    REGRESSORS,
    GlobalExplanation,
    LocalExplanation,
    TermShape,
)
from glassbox.registry import fast  # noqa: E402
from glassbox.render import plots  # noqa: E402


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)  # what is drawn is checked, not pixels
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def _ticklabels(ax, axis="y") -> list[str]:
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


# --- GLM coefficients ----------------------------------------------------------


def test_coefficients_with_wald_intervals_match_ols_closed_form(named_data, names):
    from glassbox import GLMRegressor

    X, y = named_data(False, n=150, seed=2)
    model = GLMRegressor().fit(X, y)
    fig = plots.coefficients(model.explain_global())
    _png(fig)
    ax = fig.axes[0]
    labels = {t.get_position()[1]: t.get_text() for t in ax.get_yticklabels()}
    assert [labels[p] for p in sorted(labels, reverse=True)] == names  # real names, top down
    (container,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    line, _, (bars,) = container.lines
    # points are the OLS coefficients (oracle: numpy least squares)
    A = np.column_stack([np.ones(len(X)), X.to_numpy()])
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    np.testing.assert_allclose(line.get_xdata(), beta[1:], rtol=1e-6)
    # half-widths are t(0.975, n-p-1) * sigma * sqrt(diag((A'A)^-1)), the printout's
    # t interval (oracle: closed form); other levels use the normal quantile
    from scipy import stats

    resid = y - A @ beta
    dof = len(y) - A.shape[1]
    sigma2 = resid @ resid / dof
    se = np.sqrt(sigma2 * np.diag(np.linalg.inv(A.T @ A)))
    segs = bars.get_segments()
    half = np.array([(s[1][0] - s[0][0]) / 2 for s in segs])
    np.testing.assert_allclose(half, stats.t.ppf(0.975, dof) * se[1:], rtol=1e-6)
    assert "coefficient" in ax.get_xlabel()
    fig = plots.coefficients(model.explain_global(), level=0.9)
    (container,) = [c for c in fig.axes[0].containers if isinstance(c, ErrorbarContainer)]
    segs = container.lines[2][0].get_segments()
    half = np.array([(s[1][0] - s[0][0]) / 2 for s in segs])
    np.testing.assert_allclose(half, stats.norm.ppf(0.95) * se[1:], rtol=1e-6)
    # per +1 SD (the report's form): coefficient times the feature's SD (ddof 0)
    sd = X.to_numpy().std(axis=0)
    fig = plots.coefficients(model.explain_global(), per=sd)
    (container,) = [c for c in fig.axes[0].containers if isinstance(c, ErrorbarContainer)]
    np.testing.assert_allclose(container.lines[0].get_xdata(), beta[1:] * sd, rtol=1e-6)
    assert "per +1 SD" in fig.axes[0].get_xlabel()


def test_coefficients_without_standard_errors_draw_points_only(named_data):
    from glassbox import GLMClassifier

    X, y = named_data(True, n=150, seed=2)
    fig = plots.coefficients(GLMClassifier().fit(X, y).explain_global())
    ax = fig.axes[0]
    assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(ax.lines[0].get_xdata()) == 4
    assert "log-odds" in ax.get_xlabel()
    _png(fig)


def test_coefficients_refuses_explanation_without_coefficients():
    expl = GlobalExplanation(
        term_names=("a",),
        importances=np.ones(1),
        intercept=np.zeros(1),
        output_names=("y",),
        link="identity",
        method="tree",
    )
    with pytest.raises(ValueError, match="no coefficients"):
        plots.coefficients(expl)


# --- shape functions and pair heat maps ------------------------------------------------


def _shape(kind="continuous", n=20):
    grid = np.linspace(0, 1, n)
    values = np.sin(3 * grid)
    return TermShape(
        name="age",
        features=("age",),
        kind=kind,
        grid=(grid,),
        values=values,
        lower=values - 0.1,
        upper=values + 0.1,
        density=np.arange(n) + 1.0,
    )


def test_shape_line_band_and_density():
    term = _shape()
    fig = plots.shape(term)
    _png(fig)
    ax, dax = fig.axes
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), term.values)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), term.grid[0])
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1  # the confidence band
    verts = bands[0].get_paths()[0].vertices
    assert verts[:, 1].min() == pytest.approx(term.lower.min())
    assert verts[:, 1].max() == pytest.approx(term.upper.max())
    heights = [p.get_height() for p in dax.patches]
    np.testing.assert_array_equal(heights, term.density)
    assert (
        dax.get_xlabel() == "age" and ax.get_title() == "age" and ax.get_ylabel() == "contribution"
    )


def test_shape_categorical_bars():
    term = TermShape(
        name="colour",
        features=("colour",),
        kind="categorical",
        grid=(np.array(["red", "green", "blue"], dtype=object),),
        values=np.array([0.5, -0.2, 0.1]),
    )
    fig = plots.shape(term)
    _png(fig)
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == pytest.approx([0.5, -0.2, 0.1])
    assert _ticklabels(ax, "x") == ["red", "green", "blue"]


def test_pair_heatmap():
    g0, g1 = np.linspace(0, 1, 5), np.linspace(10, 20, 4)
    values = np.outer(g0, g1 - 15)
    term = TermShape(name="a x b", features=("a", "b"), kind="pair", grid=(g0, g1), values=values)
    fig = plots.pair_heatmap(term)
    _png(fig)
    ax = fig.axes[0]
    (image,) = [c for c in ax.get_children() if isinstance(c, AxesImage)]
    np.testing.assert_array_equal(image.get_array(), values.T)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")
    assert len(fig.axes) == 2  # the colour bar
    with pytest.raises(ValueError, match="needs 2"):
        plots.pair_heatmap(_shape())


def test_shapes_orders_by_importance_and_caps():
    terms = tuple(
        TermShape(
            name=f"t{i}",
            features=(f"t{i}",),
            kind="continuous",
            grid=(np.linspace(0, 1, 5),),
            values=np.full(5, float(i)),
        )
        for i in range(5)
    )
    expl = GlobalExplanation(
        term_names=tuple(t.name for t in terms),
        importances=np.array([0.1, 0.5, 0.3, 0.9, 0.2]),
        intercept=np.zeros(1),
        output_names=("y",),
        link="identity",
        method="gam",
        shapes=terms,
    )
    figs = plots.shapes(expl, max_terms=3)
    assert [f.axes[0].get_title() for f in figs] == ["t3", "t1", "t2"]


# --- trees -------------------------------------------------------------------------


def test_tree_plot_uses_real_names_and_every_node(named_data, names):
    from glassbox import TreeClassifier

    X, y = named_data(True, n=150, seed=2)
    model = TreeClassifier(max_depth=3).fit(X, y)
    fig = plots.tree(model)
    _png(fig)
    texts = [t.get_text() for t in fig.axes[0].texts if "samples =" in t.get_text()]
    assert len(texts) == model.estimator_.tree_.node_count
    split_features = {names[f] for f in model.estimator_.tree_.feature if f >= 0}
    for name in split_features:
        assert any(name in t for t in texts)
    assert not any("x[" in t for t in texts)
    assert any("class = yes" in t or "class = no" in t for t in texts)


# --- local explanations ----------------------------------------------------------------


def _local(names, n=40, f=4, seed=0, outputs=None):
    rng = np.random.default_rng(seed)
    scale = np.array([3.0, 0.5, 2.0, 0.1])[:f]
    shape = (n, f) if outputs is None else (n, f, len(outputs))
    values = rng.normal(size=shape) * (scale if outputs is None else scale[:, None])
    base = np.full((n,) if outputs is None else (n, len(outputs)), 1.5)
    return LocalExplanation(
        values=values,
        base_values=base,
        data=rng.normal(size=(n, f)),
        feature_names=tuple(names[:f]),
        output_names=tuple(outputs or ("y",)),
        link="identity",
        method="test",
    )


def test_shap_summary_beeswarm(names):
    expl = _local(names)
    fig = plots.shap_summary(expl)
    _png(fig)
    ax = fig.axes[0]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots) == 4 and all(len(d.get_offsets()) == 40 for d in dots)
    order = np.argsort(-np.abs(expl.values).mean(axis=0))  # oracle: mean |value|
    assert _ticklabels(ax)[::-1] == [names[j] for j in order]
    # the top row's dots sit at that feature's values
    top = dots[-1].get_offsets()[:, 0]
    np.testing.assert_allclose(np.sort(top), np.sort(expl.values[:, order[0]]))
    assert "feature value" in fig.axes[1].get_ylabel()


def test_shap_summary_multi_output_picks_named_output(names):
    expl = _local(names, outputs=["a", "b", "c"])
    fig = plots.shap_summary(expl, output="b")
    dots = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    xs = np.sort(np.concatenate([d.get_offsets()[:, 0] for d in dots]))
    np.testing.assert_allclose(xs, np.sort(expl.values[:, :, 1].ravel()))
    assert "(b)" in fig.axes[0].get_title()


def test_waterfall_adds_up_to_the_output(names):
    expl = _local(names, f=4)
    fig = plots.waterfall(expl, row=3, max_display=2)
    _png(fig)
    ax = fig.axes[0]
    bars = [p for c in ax.containers if isinstance(c, BarContainer) for p in c.patches]
    assert len(bars) == 3  # two features + "2 other features"
    widths = np.array([b.get_width() for b in bars])
    v = expl.values[3]
    top2 = np.argsort(-np.abs(v))[:2]
    np.testing.assert_allclose(widths[:2], v[top2])
    np.testing.assert_allclose(widths[2], v.sum() - v[top2].sum())
    end = bars[-1].get_x() + bars[-1].get_width()
    np.testing.assert_allclose(end, expl.output()[3])  # base + contributions
    assert _ticklabels(ax)[-1] == "2 other features"
    assert _ticklabels(ax)[0].startswith(names[top2[0]] + " = ")


# --- distillation frontier ---------------------------------------------------------------


def test_pareto_frontier():
    frame = pd.DataFrame(
        {
            "student": ["tree", "tree", "rules", "glm", "gam"],
            "complexity": [3, 9, 5, 4, 12],
            "fidelity": [0.8, 0.95, 0.85, 0.7, 0.96],
            "frontier": [True, True, True, False, True],
        }
    )
    fig = plots.pareto_frontier(frame)
    _png(fig)
    ax = fig.axes[0]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots) == 4  # one per student
    (step,) = [ln for ln in ax.lines if ln.get_label() == "frontier"]
    np.testing.assert_array_equal(step.get_xdata(), [3, 5, 9, 12])
    np.testing.assert_array_equal(step.get_ydata(), [0.8, 0.85, 0.95, 0.96])
    assert "fidelity" in ax.get_ylabel() and "complexity" in ax.get_xlabel()
    with pytest.raises(ValueError, match="lacks column"):
        plots.pareto_frontier(frame.drop(columns="frontier"))


# --- every family in the registry ------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSIFIERS + REGRESSORS, ids=lambda c: c.__name__)
def test_plot_model_every_family(cls, named_data, names):
    X, y = named_data(is_classifier(cls()), n=150, seed=2)
    model = fast(cls).fit(X, y)
    figures = plots.plot_model(model, X.iloc[:30], max_terms=6)
    assert figures, "no plot for this family"
    for title, fig in figures:
        assert isinstance(fig, Figure) and title
        _png(fig)
        drawn = [
            t.get_text() for ax in fig.axes for t in ax.get_yticklabels() + ax.get_xticklabels()
        ]
        drawn += [ax.get_xlabel() for ax in fig.axes] + [ax.get_title() for ax in fig.axes]
        drawn += [t.get_text() for ax in fig.axes for t in ax.texts]
        assert any(n in " ".join(drawn) for n in names) or title in ("Coefficients",)
    expl = None
    try:
        expl = model.explain_global()
    except NotImplementedError:
        pass
    if expl is not None and expl.shapes:
        n_shape = sum(1 for t, _ in figures if t in {s.name for s in expl.shapes})
        assert n_shape == min(len(expl.shapes), 6)


def test_shape_multi_output_draws_one_line_per_output():
    grid = np.linspace(0, 1, 10)
    values = np.column_stack([grid, -grid, grid**2])
    term = TermShape(
        name="dose",
        features=("dose",),
        kind="continuous",
        grid=(grid,),
        values=values,
        lower=values - 0.1,
        upper=values + 0.1,
    )
    expl = GlobalExplanation(
        term_names=("dose",),
        importances=np.ones((1, 3)),
        intercept=np.zeros(3),
        output_names=("a", "b", "c"),
        link="logit",
        method="gam",
        shapes=(term,),
    )
    (fig,) = plots.shapes(expl)
    _png(fig)
    ax = fig.axes[0]
    lines = [ln for ln in ax.lines if ln.get_label() in ("a", "b", "c")]
    assert [ln.get_label() for ln in lines] == ["a", "b", "c"]
    for k, ln in enumerate(lines):
        np.testing.assert_array_equal(ln.get_ydata(), values[:, k])
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 3
    # one output picked by name/index draws only that one
    (single,) = [
        ln for ln in plots.shape(term, output=1).axes[0].lines if ln.get_label() == "shape"
    ]
    np.testing.assert_array_equal(single.get_ydata(), values[:, 1])


def test_waterfall_multi_output_and_kernel_shap_explanation(named_data):
    """A waterfall of one class of a real SHAP explanation (surrogates.shap) ends at
    that class's probability, the value the model itself returns (the oracle)."""
    from sklearn.linear_model import LogisticRegression

    from surrogates.shap import exact_shap

    X, y = named_data(True, n=80, seed=2)
    y3 = np.where(X["leaf_count"] > 10.5, "maybe", y)
    model = LogisticRegression(max_iter=500).fit(X, y3)
    expl = exact_shap(model.predict_proba, X.iloc[:4], X.iloc[:20], progress=False)
    k = list(model.classes_).index("maybe")
    fig = plots.waterfall(expl, row=2, output=k)
    _png(fig)
    bars = [p for c in fig.axes[0].containers if isinstance(c, BarContainer) for p in c.patches]
    end = bars[-1].get_x() + bars[-1].get_width()
    np.testing.assert_allclose(end, model.predict_proba(X.iloc[[2]])[0, k], rtol=1e-9)


# --- geometry: everything inside the axes, nothing overprinted (renderer bboxes) ---------


def _boxes(fig, artists):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [a.get_window_extent(renderer) for a in artists]


def _inside(box, frame, tol=0.5) -> bool:
    return (
        box.x0 >= frame.x0 - tol
        and box.x1 <= frame.x1 + tol
        and box.y0 >= frame.y0 - tol
        and box.y1 <= frame.y1 + tol
    )


def _assert_no_overlap(boxes, what):
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            w = min(a.x1, b.x1) - max(a.x0, b.x0)
            h = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert w <= 0.5 or h <= 0.5, f"{what[i]!r} overlaps {what[j]!r}"


@pytest.mark.parametrize(
    "values",
    [
        [-0.55, 0.3, 0.02, -0.01, 0.2],  # the case: a negative bar at the left edge
        [5.0, -4.9, 0.001, 2.5, -2.6],  # long bars that cancel
        [1e-3, -2e-3, 5e-4, 1e-4, -1e-4],  # tiny contributions
        [120.0, 0.5, -0.5, 3.0, -80.0],  # very different sizes
    ],
)
def test_waterfall_bars_and_labels_inside_the_axes_without_overlap(values):
    values = np.array(values)
    expl = LocalExplanation(
        values=values[None, :],
        base_values=np.array([-0.2]),
        data=np.array([[600.0, 35.5, 1.0, 0.0, 12345.678]]),
        feature_names=("Amount", "Income per household member", "Records", "Home", "Seniority"),
        output_names=("good",),
        link="logit",
        method="test",
    )
    fig = plots.waterfall(expl, 0, max_display=4)
    _png(fig)
    ax = fig.axes[0]
    frame = ax.get_window_extent(fig.canvas.get_renderer())
    bars = [p for c in ax.containers if isinstance(c, BarContainer) for p in c.patches]
    assert len(bars) == 5  # four features + "1 other feature"
    for box in _boxes(fig, bars):
        assert _inside(box, frame), "a bar leaves the axes"
    values_text = [t for t in ax.texts if t.get_text().strip()]
    assert len(values_text) == 5
    for t, box in zip(values_text, _boxes(fig, values_text)):
        assert _inside(box, frame), f"label {t.get_text()!r} leaves the axes"
    labels = values_text + [t for t in ax.get_yticklabels() if t.get_text()]
    _assert_no_overlap(_boxes(fig, labels), [t.get_text() for t in labels])
    from scipy.special import expit

    out = -0.2 + values.sum()  # the probability of a logit output (oracle: scipy)
    assert ax.get_xlabel().endswith(f"(P: {expit(-0.2):.3g} -> {expit(out):.3g})")
    # each value label is on its own bar's row and says the bar's width
    widths = sorted(round(b.get_width(), 12) for b in bars)
    said = sorted(float(t.get_text()) for t in values_text)
    np.testing.assert_allclose(said, widths, rtol=5e-3, atol=1e-12)


def test_waterfall_names_missing_values_and_pair_terms():
    expl = LocalExplanation(
        values=np.array([[0.5, -0.3]]),
        base_values=np.array([0.0]),
        data=np.array([[np.nan, np.nan]]),
        feature_names=("Income", "Income & Amount"),
        output_names=("y",),
        link="identity",
        method="ebm",
    )
    fig = plots.waterfall(expl, 0)
    assert _ticklabels(fig.axes[0]) == ["Income = missing", "Income & Amount"]


def _binned(cuts, values, density, name="age"):
    cuts = np.asarray(cuts, float)
    edges = np.concatenate([[0.0], cuts, [cuts[-1] + 10]])
    centres = (edges[:-1] + edges[1:]) / 2
    return TermShape(
        name=name,
        features=(name,),
        kind="continuous",
        grid=(centres,),
        values=np.asarray(values, float),
        density=np.asarray(density, float),
        cuts=(cuts,),
    ), edges


def test_binned_shape_is_drawn_as_steps_over_its_bins():
    term, edges = _binned([10, 25, 40], [-1.0, 0.5, 0.2, 1.5], [5, 20, 30, 8])
    fig = plots.shape(term)
    _png(fig)
    ax, dax = fig.axes
    (line,) = [ln for ln in ax.lines if ln.get_label() == "shape"]
    assert line.get_drawstyle() == "steps-post"
    # oracle: the bin edges [lower, cut, cut, cut, upper], each bin at its score
    np.testing.assert_allclose(line.get_xdata(), edges)
    np.testing.assert_allclose(line.get_ydata()[:-1], term.values)
    # the density strip: one step per bin at its count, filled, dark enough to see
    (strip,) = dax.patches
    from matplotlib.colors import to_rgb

    assert sum(to_rgb(strip.get_facecolor()[:3])) / 3 < 0.6  # not a faint grey
    heights = strip.get_path().vertices[:, 1]
    assert set(np.round(heights, 9)) == {0.0, 5.0, 20.0, 30.0, 8.0}


def test_density_of_many_narrow_bins_is_pooled_into_a_histogram():
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.uniform(0, 100, 199))
    counts = rng.integers(1, 6, 200).astype(float)
    term, edges = _binned(cuts, rng.normal(size=200), counts)
    fig = plots.shape(term)
    strip = fig.axes[1].patches[0]
    centres = (edges[:-1] + edges[1:]) / 2
    expected, _ = np.histogram(centres, bins=30, range=(edges[0], edges[-1]), weights=counts)
    heights = strip.get_path().vertices[:, 1]
    assert heights.max() == pytest.approx(expected.max())
    assert set(np.round(heights, 9)) - {0.0} <= set(np.round(expected, 9))


def test_zero_one_feature_draws_two_bars_not_a_line():
    term, _ = _binned([0.5], [-0.4, 0.9], [70, 30], name="Records_yes")
    term = TermShape(**{**term.__dict__, "grid": (np.array([0.25, 0.75]),)})
    fig = plots.shapes(
        GlobalExplanation(
            term_names=("Records_yes",),
            importances=np.array([0.5]),
            intercept=np.array([0.0]),
            output_names=("y",),
            link="logit",
            method="ebm",
            shapes=(term,),
        )
    )[0]
    _png(fig)
    ax, dax = fig.axes
    assert not [ln for ln in ax.lines if ln.get_label() == "shape"]  # no diagonal line
    bars = [p for c in ax.containers if isinstance(c, BarContainer) for p in c.patches]
    assert [b.get_x() + b.get_width() / 2 for b in bars] == pytest.approx([0.0, 1.0])
    assert [b.get_height() for b in bars] == pytest.approx([-0.4, 0.9])
    assert [p.get_height() for p in dax.patches] == pytest.approx([70, 30])
    assert _ticklabels(dax, "x") == ["0", "1"]


def test_zero_one_column_of_a_spline_shape_is_read_at_0_and_1():
    """A smooth (GAM) shape over a 0/1 column: two bars at the line's values at 0 and 1
    (oracle: numpy's interpolation of the grid), when the data says it is 0/1."""
    grid = np.linspace(0, 1, 11)
    term = TermShape(
        name="flag", features=("flag",), kind="continuous", grid=(grid,), values=2 * grid - 0.5
    )
    expl = GlobalExplanation(
        term_names=("flag",),
        importances=np.array([1.0]),
        intercept=np.array([0.0]),
        output_names=("y",),
        link="identity",
        method="gam",
        shapes=(term,),
    )
    X = pd.DataFrame({"flag": [0, 1, 1, 0, 1]})
    (fig,) = plots.shapes(expl, X=X)
    bars = [p for c in fig.axes[0].containers if isinstance(c, BarContainer) for p in c.patches]
    assert [b.get_height() for b in bars] == pytest.approx(np.interp([0, 1], grid, 2 * grid - 0.5))
    (fig,) = plots.shapes(expl)  # without the data it cannot know: the line stays
    assert fig.axes[0].lines[0].get_drawstyle() == "default"


def test_missing_bin_score_is_named_on_the_shape():
    term, _ = _binned([10, 25], [-1.0, 0.5, 0.2], [5, 20, 30])
    with_missing = TermShape(**{**term.__dict__, "lookup": np.array([1.25, -1.0, 0.5, 0.2, 0.0])})
    assert plots.shape(with_missing).axes[0].get_title() == "age (missing: +1.25)"
    no_missing = TermShape(**{**term.__dict__, "lookup": np.array([0.0, -1.0, 0.5, 0.2, 0.0])})
    assert plots.shape(no_missing).axes[0].get_title() == "age"


def test_report_plots_glm_effects_per_sd_and_levels_as_they_are():
    from glassbox import GLMRegressor

    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        {
            "income": rng.normal(50_000, 10_000, 120),
            "home": rng.choice(["own", "rent"], 120).astype(object),
        }
    )
    y = X["income"] / 10_000 + (X["home"] == "own") * 2 + rng.normal(size=120)
    model = GLMRegressor().fit(X, y)
    caption, fig = plots.plot_model(model)[0]
    assert caption == "Effects per +1 SD"
    (container,) = [c for c in fig.axes[0].containers if isinstance(c, ErrorbarContainer)]
    xs = container.lines[0].get_xdata()
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]  # in term order
    got = dict(zip(names, xs))
    num_term = next(n for n in names if n == "income")
    lvl_term = next(n for n in names if n.startswith("home"))
    coef = dict(zip(model.term_names_, model.coef_))
    assert got[num_term] == pytest.approx(coef["income"] * X["income"].std(ddof=0), rel=1e-9)
    assert got[lvl_term] == pytest.approx(coef[lvl_term], rel=1e-12)


def test_local_plots_take_text_columns():
    """A GLM with a text column explains rows whose data holds the level text: the
    beeswarm colours levels by code and the waterfall names the level."""
    from glassbox import GLMRegressor

    rng = np.random.default_rng(4)
    X = pd.DataFrame(
        {"hours": rng.normal(10, 2, 60), "site": rng.choice(["north", "south"], 60).astype(object)}
    )
    y = X["hours"] + (X["site"] == "north") * 3 + rng.normal(size=60)
    model = GLMRegressor().fit(X, y)
    figures = dict(plots.plot_model(model, X.iloc[:10]))
    fig = figures["How the first row's prediction is built"]
    assert f"site = {X['site'].iloc[0]}" in _ticklabels(fig.axes[0])
    dots = [
        c
        for c in figures["Local contributions"].axes[0].collections
        if isinstance(c, PathCollection)
    ]
    site_dots = dots[
        [t.get_text() for t in figures["Local contributions"].axes[0].get_yticklabels()].index(
            "site"
        )
    ]
    colours = site_dots.get_array()
    assert len(np.unique(colours)) == 2  # one colour per level


def test_beeswarm_keeps_rows_with_missing_values_and_pair_terms():
    rng = np.random.default_rng(5)
    data = rng.normal(size=(30, 3))
    data[::4, 0] = np.nan  # missing values of a feature
    data[:, 2] = np.nan  # a pair term has no single value
    expl = LocalExplanation(
        values=rng.normal(size=(30, 3)),
        base_values=np.zeros(30),
        data=data,
        feature_names=("income", "age", "income & age"),
        output_names=("y",),
        link="identity",
        method="ebm",
    )
    ax = plots.shap_summary(expl).axes[0]
    xs = np.concatenate(
        [c.get_offsets()[:, 0] for c in ax.collections if isinstance(c, PathCollection)]
    )
    np.testing.assert_allclose(np.sort(xs), np.sort(expl.values.ravel()))  # every dot drawn


def test_importances_bars_and_multi_output_mean():
    imp = np.array([[0.1, 0.3], [2.0, 0.0], [0.5, 0.5]])
    expl = GlobalExplanation(
        term_names=("a", "b", "c"),
        importances=imp,
        intercept=np.zeros(2),
        output_names=("p", "q"),
        link="softmax",
        method="t",
    )
    ax = plots.importances(expl).axes[0]
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, [1.0, 0.5, 0.2])  # mean over outputs, largest on top
    assert _ticklabels(ax) == ["b", "c", "a"] and "mean over outputs" in ax.get_title()
    ax = plots.importances(expl, output="q").axes[0]
    np.testing.assert_allclose([p.get_width() for p in ax.patches], [0.5, 0.3, 0.0])


def test_binned_pair_is_drawn_on_its_real_bin_edges():
    """An EBM pair: cells span their bins (cuts 10, 40 on [0, 100]) on the feature's
    own axis; a categorical side keeps one cell per level."""
    from matplotlib.collections import QuadMesh

    g0 = np.array([5.0, 25.0, 70.0])  # bin centres of [0,10), [10,40), [40,100)
    levels = np.array(["u", "v"], dtype=object)
    values = np.arange(6.0).reshape(3, 2) - 2.5
    term = TermShape(
        name="age & c",
        features=("age", "c"),
        kind="pair",
        grid=(g0, levels),
        values=values,
        cuts=(np.array([10.0, 40.0]), None),
    )
    fig = plots.pair_heatmap(term)
    _png(fig)
    ax = fig.axes[0]
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    coords = mesh.get_coordinates()
    np.testing.assert_allclose(coords[0, :, 0], [0.0, 10.0, 40.0, 100.0])
    np.testing.assert_allclose(coords[:, 0, 1], [-0.5, 0.5, 1.5])
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(2, 3), values.T)
    assert _ticklabels(ax) == ["u", "v"]


def test_log_link_waterfall_states_the_expected_value():
    """A Poisson GLM row: the output on the log scale, and E[y] = the model's predict."""
    from glassbox import GLMRegressor

    rng = np.random.default_rng(6)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    y = rng.poisson(np.exp(0.5 + 0.4 * X["a"]))
    model = GLMRegressor(family="poisson").fit(X, y)
    fig = plots.waterfall(model.explain_local(X.iloc[:3]), 1)
    expected = model.predict(X.iloc[[1]])[0]
    assert fig.axes[0].get_xlabel().endswith(f"-> {expected:.4g})")
    assert fig.axes[0].get_xlabel().startswith("log E[y]: base ")
