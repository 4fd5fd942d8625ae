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
    # half-widths are 1.96 * sigma * sqrt(diag((A'A)^-1)) (oracle: closed form)
    resid = y - A @ beta
    sigma2 = resid @ resid / (len(y) - A.shape[1])
    se = np.sqrt(sigma2 * np.diag(np.linalg.inv(A.T @ A)))
    segs = bars.get_segments()
    half = np.array([(s[1][0] - s[0][0]) / 2 for s in segs])
    np.testing.assert_allclose(half, 1.959963984540054 * se[1:], rtol=1e-6)
    assert "coefficient" in ax.get_xlabel()


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
