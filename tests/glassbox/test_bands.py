"""Confidence bands of additive shapes: EBM (spread of each bin's score across
interpret's outer bags) and GAM (pygam's pointwise intervals), in the global
explanation, the printout, the shape plots and through model files.

Oracles: the bagged scores interpret keeps (a weighted standard deviation in
numpy), the GAM's coefficient covariance (the interval in closed form), and the
backends' own arrays called directly.
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import scipy.stats  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from glassbox import io  # noqa: E402
from glassbox.models.ebm import EBMClassifier, EBMRegressor  # noqa: E402
from glassbox.models.gam import GAMClassifier, GAMRegressor  # noqa: E402
from glassbox.render import plots  # noqa: E402

_EBM = {"interactions": 1, "max_rounds": 300, "n_jobs": 1, "verbose": False}


def _table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.choice(["u", "v", "w"], n),
            "c": rng.uniform(-2, 2, n),
        }
    )
    X.loc[:9, "a"] = np.nan  # interpret's missing bin
    return X


@pytest.fixture(scope="module")
def ebm_reg():
    X = _table()
    rng = np.random.default_rng(1)
    y = X["a"].fillna(0) ** 2 + (X["b"] == "u") + np.sin(X["c"]) + rng.normal(size=len(X)) * 0.3
    return EBMRegressor(outer_bags=3, **_EBM).fit(X, y), X


@pytest.fixture(scope="module")
def ebm_multi():
    X = _table(seed=2)
    score = X["a"].fillna(0) + (X["b"] == "u") + np.random.default_rng(3).normal(size=len(X))
    y = np.where(score > 0.5, "p", np.where(score > -0.5, "q", "r"))
    return EBMClassifier(outer_bags=2, **_EBM).fit(X, y), X


@pytest.fixture(scope="module")
def gam_reg():
    X = _table(seed=4).fillna(0.0)
    rng = np.random.default_rng(5)
    y = X["a"] ** 2 + 2.0 * (X["b"] == "u") + np.sin(X["c"]) + rng.normal(size=len(X)) * 0.3
    return GAMRegressor(lam=1.0, verbose=False).fit(X, y), X


def _weighted_std(bagged: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (population) standard deviation over the first axis, weighted."""
    mean = np.tensordot(w, bagged, axes=1) / w.sum()
    var = np.tensordot(w, (bagged - mean) ** 2, axes=1) / w.sum()
    return mean, np.sqrt(var)


@pytest.mark.parametrize("which", ["ebm_reg", "ebm_multi"])
def test_ebm_bands_are_the_spread_of_the_bagged_scores(which, request):
    model, _ = request.getfixturevalue(which)
    ebm = model.estimator_
    g = model.explain_global()
    assert len(g.shapes) == len(ebm.term_features_)
    for t, shape in enumerate(g.shapes):
        n_feats = len(ebm.term_features_[t])
        inner = (slice(1, -1),) * n_feats  # interpret's tables: missing, bins..., unseen
        mean, sd = _weighted_std(np.asarray(ebm.bagged_scores_[t]), ebm.bag_weights_)
        np.testing.assert_allclose(shape.std, sd[inner], rtol=0, atol=1e-10)
        np.testing.assert_allclose(shape.values, mean[inner], rtol=0, atol=1e-10)
        np.testing.assert_allclose(
            shape.std, np.asarray(ebm.standard_deviations_[t])[inner], rtol=0, atol=1e-10
        )
        np.testing.assert_allclose(shape.lower, shape.values - shape.std, rtol=0, atol=1e-12)
        np.testing.assert_allclose(shape.upper, shape.values + shape.std, rtol=0, atol=1e-12)
        assert shape.std.shape == shape.values.shape
        assert np.all(shape.lower <= shape.values) and np.all(shape.values <= shape.upper)
        assert np.any(shape.std > 0)  # several bags differ somewhere
    assert f"across the {len(ebm.bag_weights_)} outer bags" in g.extras["band"]


def test_ebm_with_one_bag_has_no_band():
    X = _table(n=150)
    y = X["c"] + (X["b"] == "u")
    model = EBMRegressor(outer_bags=1, **_EBM).fit(X, y)
    g = model.explain_global()
    assert all(s.std is None and s.lower is None and s.upper is None for s in g.shapes)
    assert "band" not in g.extras
    assert "± sd" not in str(model)


def test_ebm_printout_shows_each_level_with_its_spread(ebm_reg):
    model, _ = ebm_reg
    ebm = model.estimator_
    text = str(model)
    t = model.term_names_.index("b")
    sd = np.asarray(ebm.standard_deviations_[t])
    scores = np.asarray(ebm.term_scores_[t])
    levels = sorted(ebm.bins_[1][0], key=ebm.bins_[1][0].get)
    block = text.split("\nb:\n", 1)[1].splitlines()
    assert block[0].split() == ["level", "score", "±", "sd"]
    for i, level in enumerate(levels):
        cells = block[2 + i].split()
        assert cells[0] == level
        assert float(cells[1]) == pytest.approx(scores[i + 1], rel=1e-3)
        assert cells[2].startswith("±")
        assert float(cells[2][1:]) == pytest.approx(sd[i + 1], rel=1e-3)
    assert "± sd: the standard deviation of a score across the 3 outer bags" in text


def _gam_term_interval(gam, j: int, Xg: np.ndarray, width: float = 0.95) -> np.ndarray:
    """pygam's term interval in closed form: B beta -/+ q sqrt(diag(B cov B')) with
    B the term's basis, cov its coefficient covariance and q a t quantile (the
    normal model estimates its scale)."""
    idx = gam.terms.get_coef_indices(j)
    B = gam.terms[j].build_columns(Xg).toarray()
    cov = gam.statistics_["cov"][np.ix_(idx, idx)]
    centre = B @ gam.coef_[idx]
    se = np.sqrt(np.einsum("ij,jk,ik->i", B, cov, B))
    df = gam.statistics_["n_samples"] - gam.statistics_["edof"]
    q = scipy.stats.t.ppf(0.5 + width / 2, df=df)
    return np.column_stack([centre - q * se, centre + q * se])


def _gam_grid(model, j: int, shape) -> np.ndarray:
    """The rows pygam is evaluated on for term j: the grid in column j (level codes
    for a factor); the other columns do not enter term j."""
    grid = np.asarray(shape.grid[0])
    x = np.arange(len(grid), dtype=float) if shape.kind == "categorical" else grid.astype(float)
    Xg = np.zeros((len(x), model.n_features_in_))
    Xg[:, j] = x
    return Xg


def test_gam_bands_equal_pygams_intervals(gam_reg):
    model, _ = gam_reg
    gam = model.gams_[0]
    g = model.explain_global()
    for j, shape in enumerate(g.shapes):
        Xg = _gam_grid(model, j, shape)
        mean_j = model.term_means_[j, 0]
        closed = _gam_term_interval(gam, j, Xg) - mean_j
        np.testing.assert_allclose(shape.lower, closed[:, 0], rtol=0, atol=1e-10)
        np.testing.assert_allclose(shape.upper, closed[:, 1], rtol=0, atol=1e-10)
        _, ci = gam.partial_dependence(j, Xg, width=0.95)  # the backend called directly
        np.testing.assert_allclose(shape.lower, ci[:, 0] - mean_j, rtol=0, atol=1e-10)
        np.testing.assert_allclose(shape.upper, ci[:, 1] - mean_j, rtol=0, atol=1e-10)
        assert shape.std is None
        assert np.all(shape.lower <= shape.values) and np.all(shape.values <= shape.upper)
    assert g.shapes[0].kind == "continuous" and g.shapes[1].kind == "categorical"


def test_gam_band_of_the_whole_prediction_matches_confidence_intervals():
    """A GAM of one factor: the intercept plus the factor's term is the whole linear
    predictor, so pygam's confidence_intervals (of the mean response) is the band of
    that sum, computed here from the covariance of all coefficients."""
    X = pd.DataFrame({"b": np.repeat(["u", "v", "w"], 20)}, dtype=object)
    y = np.repeat([1.0, 2.0, 4.0], 20) + np.random.default_rng(6).normal(size=60) * 0.5
    model = GAMRegressor(lam=1.0, verbose=False).fit(X, y)
    gam = model.gams_[0]
    Xg = np.arange(3, dtype=float)[:, None]
    ci = gam.confidence_intervals(Xg, width=0.95)
    B = gam._modelmat(Xg).toarray()
    centre = B @ gam.coef_
    se = np.sqrt(np.einsum("ij,jk,ik->i", B, gam.statistics_["cov"], B))
    q = scipy.stats.t.ppf(0.975, df=gam.statistics_["n_samples"] - gam.statistics_["edof"])
    np.testing.assert_allclose(ci[:, 0], centre - q * se, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ci[:, 1], centre + q * se, rtol=0, atol=1e-10)
    # the term's own band is narrower: it leaves out the intercept's uncertainty
    shape = model.explain_global().shapes[0]
    assert np.all(shape.upper - shape.lower <= ci[:, 1] - ci[:, 0] + 1e-12)


def test_gam_classifier_bands_per_class():
    X = _table(n=240, seed=7).fillna(0.0)
    score = X["a"] + (X["b"] == "u")
    y = np.where(score > 0.5, "p", np.where(score > -0.5, "q", "r"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GAMClassifier(lam=1.0, verbose=False).fit(X, y)
    g = model.explain_global()
    for j, shape in enumerate(g.shapes):
        assert shape.lower.shape == shape.values.shape == (len(shape.grid[0]), 3)
        Xg = _gam_grid(model, j, shape)
        for k, gam in enumerate(model.gams_):
            assert gam.distribution._known_scale  # binomial: a normal quantile
            idx = gam.terms.get_coef_indices(j)
            B = gam.terms[j].build_columns(Xg).toarray()
            cov = gam.statistics_["cov"][np.ix_(idx, idx)]
            se = np.sqrt(np.einsum("ij,jk,ik->i", B, cov, B))
            centre = B @ gam.coef_[idx]
            z = scipy.stats.norm.ppf(0.975)
            mean = model.term_means_[j, k]
            lower, upper = centre - z * se - mean, centre + z * se - mean
            np.testing.assert_allclose(shape.lower[:, k], lower, rtol=0, atol=1e-10)
            np.testing.assert_allclose(shape.upper[:, k], upper, rtol=0, atol=1e-10)


def test_gam_printout_shows_each_levels_interval(gam_reg):
    model, _ = gam_reg
    text = str(model)
    shape = model.explain_global().shapes[1]
    block = text.split("\nb:\n", 1)[1].splitlines()
    assert block[0].split() == ["level", "score", "interval"]
    for i, level in enumerate(shape.grid[0]):
        cells = block[2 + i].split()
        assert cells[0] == str(level) and cells[3] == ".."
        assert float(cells[2]) == pytest.approx(shape.lower[i], rel=1e-3)
        assert float(cells[4]) == pytest.approx(shape.upper[i], rel=1e-3)
    assert "interval: pygam's 95% pointwise confidence interval" in text


def _band_vertices(ax) -> np.ndarray:
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1
    return bands[0].get_paths()[0].vertices


def _has_point(verts: np.ndarray, x: float, y: float) -> bool:
    return bool(
        np.any(np.isclose(verts[:, 0], x, atol=1e-9) & np.isclose(verts[:, 1], y, atol=1e-9))
    )


def test_ebm_band_is_drawn_as_steps_over_the_bins(ebm_reg):
    model, _ = ebm_reg
    ebm = model.estimator_
    t = model.term_names_.index("c")
    shape = model.explain_global().shapes[t]
    f = model.feature_names_.index("c")
    # oracle bin edges: interpret's feature bounds around its cut points
    edges = np.concatenate(
        [[ebm.feature_bounds_[f][0]], ebm.bins_[f][0], [ebm.feature_bounds_[f][1]]]
    )
    fig = plots.shape(shape, density=False)
    try:
        verts = _band_vertices(fig.axes[0])
        for i in range(len(shape.values)):  # each bin: flat from its left to its right edge
            for y in (shape.lower[i], shape.upper[i]):
                assert _has_point(verts, edges[i], y) and _has_point(verts, edges[i + 1], y)
        ys = np.concatenate([shape.lower, shape.upper])
        assert np.all(np.min(np.abs(verts[:, 1][:, None] - ys[None, :]), axis=1) < 1e-9)
        assert verts[:, 0].min() == pytest.approx(edges[0])
        assert verts[:, 0].max() == pytest.approx(edges[-1])
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert "± 1 sd across bags" in labels
    finally:
        plt.close(fig)


def test_gam_band_is_drawn_through_the_grid_points(gam_reg):
    model, _ = gam_reg
    shape = model.explain_global().shapes[0]
    fig = plots.shape(shape, density=False)
    try:
        verts = _band_vertices(fig.axes[0])
        x = np.asarray(shape.grid[0], float)
        for i in range(len(x)):
            assert _has_point(verts, x[i], shape.lower[i])
            assert _has_point(verts, x[i], shape.upper[i])
        ys = np.concatenate([shape.lower, shape.upper])
        assert np.all(np.min(np.abs(verts[:, 1][:, None] - ys[None, :]), axis=1) < 1e-9)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("which", ["ebm_reg", "ebm_multi", "gam_reg"])
def test_bands_survive_a_model_file(which, request):
    model, X = request.getfixturevalue(which)
    loaded = io.loads(io.dumps(model))
    assert str(loaded) == str(model)
    a, b = model.explain_global(), loaded.explain_global()
    assert a.extras.get("band") == b.extras.get("band")
    for sa, sb in zip(a.shapes, b.shapes, strict=True):
        for field in ("values", "lower", "upper", "std"):
            va, vb = getattr(sa, field), getattr(sb, field)
            assert (va is None) == (vb is None), field
            if va is not None:
                np.testing.assert_array_equal(vb, va, err_msg=f"{sa.name}.{field}")
