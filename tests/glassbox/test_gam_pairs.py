"""GAM pair terms: pygam tensor splines te(i, j), chosen by the user or a residual screen.

Oracles: pygam's LinearGAM / LogisticGAM fitted directly with the same terms,
a slow reference of the screen (backfitting and pandas group means), and the
link-scale output the contributions must add up to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glassbox import GAMClassifier, GAMRegressor
from glassbox.base import inverse_link
from glassbox.models import gam as gam_module


def _data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.uniform(20, 70, n),
            "dose": rng.uniform(0, 10, n),
            "bmi": rng.normal(25, 4, n),
        }
    )
    y = (
        0.05 * X["age"]
        + np.sin(X["dose"])
        + 0.03 * (X["age"] - 45) * (X["dose"] - 5)
        + 0.1 * rng.normal(size=n)
    ).to_numpy()
    return X, y


FIXED = dict(n_splines=8, lam=0.6, verbose=False)


def test_user_pair_matches_pygam_called_directly():
    from pygam import LinearGAM, s, te

    X, y = _data()
    model = GAMRegressor(interactions=[("age", "dose")], **FIXED).fit(X, y)
    assert model.pairs_ == [(0, 1)] and model.complexity_ == 4
    terms = s(0, n_splines=8) + s(1, n_splines=8) + s(2, n_splines=8) + te(0, 1, n_splines=8)
    ref = LinearGAM(terms, lam=0.6).fit(X.to_numpy(), y)
    np.testing.assert_allclose(model.predict(X), ref.predict(X.to_numpy()), rtol=1e-10)
    loc = model.explain_local(X)
    assert loc.feature_names == ("age", "dose", "bmi", "age & dose")
    np.testing.assert_allclose(
        loc.values.sum(axis=1) + loc.base_values, model.predict(X), atol=1e-8
    )
    # the pair's contribution is pygam's te term, centred on its training mean
    pd_ref = ref.partial_dependence(3, X.to_numpy())
    np.testing.assert_allclose(loc.values[:, 3], pd_ref - pd_ref.mean(), atol=1e-9)


def test_classifiers_with_pairs_match_logistic_gam():
    from pygam import LogisticGAM, s, te

    X, y = _data(seed=1)
    yb = np.where(y > np.median(y), "high", "low")
    model = GAMClassifier(interactions=[(1, 0)], n_splines=6, lam=1.0, verbose=False).fit(X, yb)
    assert model.pairs_ == [(0, 1)]
    terms = s(0, n_splines=6) + s(1, n_splines=6) + s(2, n_splines=6) + te(0, 1, n_splines=6)
    ref = LogisticGAM(terms, lam=1.0).fit(X.to_numpy(), (yb == "low").astype(float))
    np.testing.assert_allclose(
        model.predict_proba(X)[:, 1], ref.predict_proba(X.to_numpy()), rtol=1e-8
    )
    loc = model.explain_local(X)
    np.testing.assert_allclose(
        loc.values.sum(axis=1) + loc.base_values, model.decision_function(X), atol=1e-8
    )
    y3 = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    multi = GAMClassifier(interactions=1, n_splines=6, lam_grid=(1.0, 30.0), verbose=False)
    multi.fit(X, y3)
    loc = multi.explain_local(X)
    assert loc.values.shape == (len(X), 4, 3)
    np.testing.assert_allclose(
        inverse_link(loc.link, loc.values.sum(axis=1) + loc.base_values),
        multi.predict_proba(X),
        atol=1e-8,
    )


def _slow_screen(X, r, w, i, j, n_bins=8):
    """Interaction sum of squares by backfitting the additive fit (alternating weighted
    bin means, to convergence) and pandas group means for the 2-D cells."""
    bi = gam_module._screen_bins(X[:, i], n_bins)
    bj = gam_module._screen_bins(X[:, j], n_bins)
    wi, wj = np.bincount(bi, weights=w), np.bincount(bj, weights=w)
    total = 0.0
    for k in range(r.shape[1]):
        res = r[:, k]
        fi = np.zeros(len(res))
        fj = np.zeros(len(res))
        for _ in range(20000):
            fi = (np.bincount(bi, weights=w * (res - fj)) / wi)[bi]
            new = (np.bincount(bj, weights=w * (res - fi)) / wj)[bj]
            done = np.max(np.abs(new - fj)) < 1e-14
            fj = new
            if done:
                break
        rss_add = float((w * (res - fi - fj) ** 2).sum())
        frame = pd.DataFrame({"bi": bi, "bj": bj, "w": w, "t": res * w})
        g = frame.groupby(["bi", "bj"])
        cell = (g["t"].transform("sum") / g["w"].transform("sum")).to_numpy()
        total += rss_add - float((w * (res - cell) ** 2).sum())
    return total


def test_screen_matches_a_slow_reference_and_finds_the_pair():
    X, y = _data()
    model = GAMRegressor(interactions=1, **FIXED).fit(X, y)
    assert model.pairs_ == [(0, 1)]  # age x dose is the only interaction in y
    scores = model.interaction_scores_
    assert scores.shape == (3, 3) and scores[0, 2] > 3 * scores[1, 2]
    # the screen's scores from the main-effect fit's residuals, checked independently
    mains = GAMRegressor(**FIXED).fit(X, y)
    resid = (y - mains.predict(X))[:, None]
    w = np.random.default_rng(0).uniform(0.5, 2, len(y))
    Xa = X.to_numpy()
    got = {(i, j): v for i, j, v in gam_module.interaction_scores(Xa, resid, w, [0, 1, 2])}
    for (i, j), v in got.items():
        assert v == pytest.approx(_slow_screen(Xa, resid, w, i, j), rel=1e-6, abs=1e-9)
    unweighted = gam_module.interaction_scores(Xa, resid, None, [0, 1, 2])
    for i, j, v in unweighted:
        assert v == pytest.approx(scores[(scores[:, 0] == i) & (scores[:, 1] == j), 2][0], rel=1e-9)


def test_pair_shape_printout_and_model_file(tmp_path):
    from glassbox.io import load, save
    from glassbox.render.text import export_text

    X, y = _data()
    model = GAMRegressor(interactions=[("age", "dose")], **FIXED).fit(X, y)
    g = model.explain_global()
    shape = g.shapes[-1]
    assert shape.kind == "pair" and shape.features == ("age", "dose")
    assert shape.values.shape == (30, 30) and shape.lower.shape == (30, 30)
    assert np.all(shape.lower <= shape.values + 1e-12) and np.all(
        shape.values <= shape.upper + 1e-12
    )
    # grid values: pygam's te term at (age, dose), minus its training mean
    te = model.gams_[0]
    pts = np.tile((model.X_min_ + model.X_max_) / 2, (30, 1))
    pts[:, 0] = shape.grid[0][7]
    pts[:, 1] = shape.grid[1]
    np.testing.assert_allclose(
        shape.values[7], te.partial_dependence(3, pts) - model.term_means_[3, 0], atol=1e-12
    )
    text = str(model)
    assert "age & dose:" in text and "age \\ dose" in text and "grid points" in text
    full = export_text(model, full=True)
    assert "[age & dose] pair" in full
    save(model, tmp_path / "gam.gbx")
    back = load(tmp_path / "gam.gbx")
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    assert back.pairs_ == [(0, 1)] and str(back) == text


def test_bad_interactions_are_refused_by_name():
    X, y = _data(n=80)
    X = X.assign(colour=np.where(np.arange(80) % 2, "red", "blue"))
    cases = [
        ([("age", "colour")], "colour.*categorical"),
        ([("age", "height")], "height.*not a feature"),
        ([("age", "age")], "repeats one column"),
        ([("age", "dose"), ("dose", "age")], "listed twice"),
        (["age"], "column pairs"),
    ]
    for interactions, msg in cases:
        with pytest.raises(ValueError, match=msg):
            GAMRegressor(interactions=interactions, **FIXED).fit(X, y)


def test_pair_heatmap_draws_the_band_width():
    from glassbox.render.plots import pair_heatmap

    X, y = _data(n=120)
    model = GAMRegressor(interactions=[("age", "dose")], **FIXED).fit(X, y)
    shape = model.explain_global().shapes[-1]
    fig = pair_heatmap(shape)
    assert len(fig.axes) == 4  # two heat maps and their colour bars
    band = fig.axes[2].get_images()[0].get_array()
    np.testing.assert_allclose(np.asarray(band), (shape.upper - shape.lower).T)
    import dataclasses

    plain = pair_heatmap(dataclasses.replace(shape, lower=None, upper=None))
    assert len(plain.axes) == 2
