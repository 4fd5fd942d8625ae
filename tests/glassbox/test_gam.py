"""GAMRegressor / GAMClassifier against pygam called directly.

Oracles: pygam's GAM / LogisticGAM fitted on the same data with the same terms
and lam (predictions, link-scale output, chosen lam), a duplicated-rows fit for
sample weights, and a parser that evaluates ``export_text(model, full=True)``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from glassbox import GAMClassifier, GAMRegressor, export_text

GRID = (0.01, 1.0, 100.0)


def _data(n=200, seed=0, cat=False):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age": rng.uniform(20, 80, n), "bmi": rng.normal(25, 4, n)})
    signal = np.sin(X["age"] / 10) + 0.15 * (X["bmi"] - 25)
    if cat:
        X["colour"] = rng.choice(["red", "blue", "green"], n)
        signal = signal + (X["colour"] == "red") * 1.0
    return X, signal.to_numpy() + 0.1 * rng.normal(size=n)


def _codes(X: pd.DataFrame) -> np.ndarray:
    """The numeric matrix pygam gets: categorical levels as sorted integer codes."""
    out = X.copy()
    for c in out.columns:
        if not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].map({v: i for i, v in enumerate(sorted(out[c].unique()))})
    return out.to_numpy(dtype=float)


def _terms(X: pd.DataFrame, n_splines=10):
    from pygam import f, s

    terms = None
    for j, c in enumerate(X.columns):
        t = s(j, n_splines=n_splines) if pd.api.types.is_numeric_dtype(X[c]) else f(j)
        terms = t if terms is None else terms + t
    return terms


@pytest.mark.parametrize("distribution", ["normal", "poisson", "gamma"])
@pytest.mark.parametrize("cat", [False, True])
def test_regressor_matches_pygam_and_is_additive(distribution, cat):
    from pygam import GAM

    X, y = _data(cat=cat)
    if distribution != "normal":
        y = np.exp(y / 2)
    model = GAMRegressor(distribution, n_splines=10, lam_grid=GRID).fit(X, y)
    link = "identity" if distribution == "normal" else "log"
    direct = GAM(_terms(X), distribution=distribution, link=link)
    direct.gridsearch(_codes(X), y, lam=np.array(GRID), progress=False)
    Xt, _ = _data(n=50, seed=1, cat=cat)
    Xt = Xt[
        (Xt["age"].between(X["age"].min(), X["age"].max()))
        & Xt["bmi"].between(X["bmi"].min(), X["bmi"].max())
    ]
    mu = direct.predict_mu(_codes(Xt))
    np.testing.assert_allclose(model.predict(Xt), mu, rtol=1e-10)
    eta = mu if link == "identity" else np.log(mu)
    loc = model.explain_local(Xt)
    np.testing.assert_allclose(loc.output(), eta, rtol=0, atol=1e-8)
    assert loc.link == link and loc.feature_names == tuple(X.columns)
    assert model.complexity_ == X.shape[1]
    np.testing.assert_allclose(np.ravel(model.gams_[0].lam), np.ravel(direct.lam))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_matches_pygam_and_is_additive(n_classes):
    from pygam import LogisticGAM

    X, y = _data(cat=True)
    labels = np.array(["low", "mid", "high"])
    codes = (
        (y > np.median(y)).astype(int)
        if n_classes == 2
        else np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    )
    y_lab = labels[codes] if n_classes == 3 else np.where(codes == 1, "yes", "no")
    model = GAMClassifier(n_splines=10, lam=1.0).fit(X, y_lab)
    classes = np.unique(y_lab)
    Xt = X.iloc[:40]
    etas = []
    for k in [1] if n_classes == 2 else range(n_classes):
        direct = LogisticGAM(_terms(X), lam=1.0).fit(_codes(X), (y_lab == classes[k]).astype(float))
        etas.append(logit(direct.predict_mu(_codes(Xt))))
    eta = etas[0] if n_classes == 2 else np.column_stack(etas)
    np.testing.assert_allclose(model.decision_function(Xt), eta, atol=1e-8)
    loc = model.explain_local(Xt)
    np.testing.assert_allclose(loc.output(), eta, rtol=0, atol=1e-8)
    proba = model.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    if n_classes == 2:
        np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-eta)))


def test_monotonic_constraints():
    X, y = _data()
    y = y - 0.5 * np.cos(X["bmi"].to_numpy())  # wiggly in bmi
    model = GAMRegressor(n_splines=10, lam=0.01, monotonic_dec=["bmi"], monotonic_inc=[0]).fit(X, y)
    age, bmi = model.explain_global().shapes
    assert np.all(np.diff(age.values) >= -1e-8)
    assert np.all(np.diff(bmi.values) <= 1e-8)
    with pytest.raises(ValueError, match="monotonic"):
        GAMRegressor(monotonic_inc=["nope"]).fit(X, y)


def test_global_shapes_importances_and_intervals():
    X, y = _data(cat=True)
    model = GAMRegressor(n_splines=10, lam_grid=GRID).fit(X, y)
    g = model.explain_global()
    loc = model.explain_local(X)
    np.testing.assert_allclose(g.importances, np.abs(loc.values).mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(loc.values.mean(axis=0), 0, atol=1e-10)  # centred terms
    age, _, colour = g.shapes
    assert age.kind == "continuous" and colour.kind == "categorical"
    assert list(colour.grid[0]) == ["blue", "green", "red"]
    assert np.all(age.lower <= age.values + 1e-12) and np.all(age.values <= age.upper + 1e-12)
    assert np.all(age.upper - age.lower > 0)
    # the shape is pygam's partial dependence, shifted by the term's training mean
    pdep = model.gams_[0].partial_dependence(
        0, np.column_stack([age.grid[0], np.zeros((len(age.grid[0]), 2))])
    )
    np.testing.assert_allclose(age.values - age.values.mean(), pdep - pdep.mean(), atol=1e-10)


def test_sample_weight_equals_duplicated_rows():
    X, y = _data(n=80)
    w = np.random.default_rng(3).integers(
        1, 4, len(y)
    )  # no zeros: they would still set the knot range
    weighted = GAMRegressor(n_splines=8, lam=1.0).fit(X, y, sample_weight=w)
    duplicated = GAMRegressor(n_splines=8, lam=1.0).fit(X.loc[X.index.repeat(w)], np.repeat(y, w))
    Xt = X[(w > 0)].iloc[:20]
    np.testing.assert_allclose(weighted.predict(Xt), duplicated.predict(Xt), rtol=1e-6, atol=1e-8)


def test_categorical_errors_are_clear():
    X, y = _data(cat=True)
    model = GAMRegressor(n_splines=8, lam=1.0).fit(X, y)
    bad = X.iloc[:3].copy()
    bad.iloc[0, 2] = "purple"
    with pytest.raises(ValueError, match="purple"):
        model.predict(bad)
    X_nan = X.copy()
    X_nan.iloc[2, 2] = None
    with pytest.raises(ValueError, match="NaN"):
        GAMRegressor(lam=1.0).fit(X_nan, y)
    with pytest.raises(ValueError, match="y > 0"):
        GAMRegressor("gamma", lam=1.0).fit(X, y - 100)


def test_str_shows_sparklines_levels_and_names():
    X, y = _data(cat=True)
    model = GAMRegressor(n_splines=8, lam_grid=GRID).fit(X, y)
    text = str(model)
    assert re.search(r"^age\s+[▁▂▃▄▅▆▇█]{5,}\s+\S+ \.\. \S+", text, re.M), text
    for level in ("blue", "green", "red"):
        assert re.search(rf"^\s+{level}\s+[+-]\d", text, re.M), text
    assert "gridsearch" in text


# --- the full printout evaluates to the model ---------------------------------


def _parse_gam_full(text: str):
    body = text.split("=== full lookup tables ===", 1)[1]
    intercepts = np.array(
        [float(v) for v in re.findall(r"^intercept\[[^\]]*\] = (\S+)$", body, re.M)]
    )
    terms = {}
    for block in re.split(r"\n\n(?=\[)", body)[1:]:
        lines = block.splitlines()
        name, kind = re.match(r"\[(.*)\] (\w+)$", lines[0]).groups()
        rows = [ln.split() for ln in lines[3:]]
        keys = [r[0] for r in rows]
        vals = np.array([[float(v) for v in r[1:]] for r in rows])
        terms[name] = (kind, keys, vals)
    return intercepts, terms


def _evaluate_gam(text: str, X: pd.DataFrame) -> np.ndarray:
    """Linear interpolation in each continuous term's grid, level lookup otherwise."""
    intercepts, terms = _parse_gam_full(text)
    out = np.tile(intercepts, (len(X), 1))
    for name, (kind, keys, vals) in terms.items():
        col = X[name].to_numpy()
        if kind == "categorical":
            out += vals[[keys.index(str(v)) for v in col]]
        else:
            grid = np.array([float(k) for k in keys])
            out += np.column_stack(
                [np.interp(col.astype(float), grid, vals[:, k]) for k in range(vals.shape[1])]
            )
    return out


#: documented accuracy of the 400-point linear-interpolation table, relative to
#: the spread of the link-scale output (cubic splines: error ~ h^2 f''/8)
FULL_TABLE_RTOL = 1e-3


@pytest.mark.parametrize("kind", ["normal", "binary", "multiclass"])
def test_full_printout_reproduces_predictions(kind):
    X, y = _data(cat=True)
    if kind == "normal":
        model = GAMRegressor(n_splines=12, lam=0.1).fit(X, y)
        eta = model.explain_local(X).output()[:, None]
    else:
        q = [0.5] if kind == "binary" else [1 / 3, 2 / 3]
        model = GAMClassifier(n_splines=12, lam=0.1).fit(X, np.digitize(y, np.quantile(y, q)))
        eta = model.decision_function(X).reshape(len(X), -1)
    got = _evaluate_gam(export_text(model, full=True), X)
    spread = np.ptp(eta, axis=0)
    assert np.all(np.abs(got - eta) <= FULL_TABLE_RTOL * spread), (
        np.abs(got - eta).max(axis=0) / spread
    )
    if kind == "normal":  # back on the response scale too
        np.testing.assert_allclose(got[:, 0], model.predict(X), atol=FULL_TABLE_RTOL * spread[0])
