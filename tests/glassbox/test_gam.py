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


# --- real tables: factor terms, missing values, truthful multiclass link, progress --


CREDIT_COLS = ["Seniority", "Home", "Records", "Grade", "Income"]


def test_credit_table_factor_terms_match_pygam(credit_table):
    from pygam import LogisticGAM, f, s

    frame = credit_table().dropna()
    X, y = frame[CREDIT_COLS], frame["Status"]
    model = GAMClassifier(n_splines=8, lam=1.0).fit(X, y)
    # independent coding: sorted text levels, the ordered Categorical in its own order
    codes = np.column_stack(
        [
            frame["Seniority"].to_numpy(float),
            frame["Home"].map({v: i for i, v in enumerate(sorted(frame["Home"].unique()))}),
            (frame["Records"] == "yes").to_numpy(float),
            frame["Grade"].cat.codes.to_numpy(float),
            frame["Income"].to_numpy(float),
        ]
    ).astype(float)
    terms = s(0, n_splines=8) + f(1) + f(2) + f(3) + s(4, n_splines=8)
    direct = LogisticGAM(terms, lam=1.0).fit(codes, (y == "good").to_numpy(float))
    np.testing.assert_allclose(
        model.decision_function(X), logit(direct.predict_mu(codes)), atol=1e-8
    )
    shapes = {sh.name: sh for sh in model.explain_global().shapes}
    assert list(shapes["Grade"].grid[0]) == ["low", "mid", "high"]
    assert shapes["Home"].kind == "categorical"
    loc = model.explain_local(X.iloc[:5])
    assert loc.data[0, 1] == X["Home"].iloc[0]


def test_missing_values_refused_naming_the_column(credit_table):
    frame = credit_table()
    X = frame[CREDIT_COLS].fillna({"Home": "owner"})
    row = X.index[X["Income"].isna()][0]
    with pytest.raises(
        ValueError, match=rf"column 'Income' has a missing value \(NaN\) at row {row}\b"
    ):
        GAMClassifier(lam=1.0).fit(X, frame["Status"])
    X = frame[CREDIT_COLS].fillna({"Income": 0.0})
    with pytest.raises(ValueError, match="column 'Home' has a missing value"):
        GAMRegressor(lam=1.0).fit(X, frame["Amount"])


def test_multiclass_link_is_truthful():
    from glassbox.base import inverse_link

    X, y = _data(cat=True)
    y_lab = np.array(["low", "mid", "high"])[np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))]
    model = GAMClassifier(n_splines=8, lam=1.0).fit(X, y_lab)
    loc = model.explain_local(X.iloc[:50])
    assert loc.link == model.explain_global().link == "ovr_logit"
    eta = loc.values.sum(axis=1) + loc.base_values
    np.testing.assert_allclose(eta, model.decision_function(X.iloc[:50]), atol=1e-10)
    proba = model.predict_proba(X.iloc[:50])
    np.testing.assert_allclose(inverse_link(loc.link, eta), proba, atol=1e-12)
    p = 1 / (1 + np.exp(-eta))  # the conversion written out
    np.testing.assert_allclose(p / p.sum(axis=1, keepdims=True), proba, atol=1e-12)
    # binary: plain logit, and the sigmoid gives P(positive class)
    binary = GAMClassifier(n_splines=8, lam=1.0).fit(X, y > np.median(y))
    loc = binary.explain_local(X.iloc[:50])
    assert loc.link == "logit"
    np.testing.assert_allclose(
        inverse_link("logit", loc.output()), binary.predict_proba(X.iloc[:50])[:, 1], atol=1e-12
    )


def test_progress_bar_counts_every_class_and_lam(monkeypatch):
    import contextlib

    import glassbox.models.gam as gam_module

    seen = {}

    class Bar:
        def update(self, k):
            seen["n"] = seen.get("n", 0) + k

    @contextlib.contextmanager
    def fake(total, desc, enabled=True):
        seen.update(total=total, enabled=enabled, desc=desc)
        yield Bar()

    monkeypatch.setattr(gam_module, "progress_bar", fake)
    X, y = _data()
    y_lab = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    GAMClassifier(n_splines=6, lam_grid=(1.0, 10.0)).fit(X, y_lab)
    assert seen["total"] == seen["n"] == 6 and seen["enabled"] and "3 classes" in seen["desc"]
    seen.clear()
    GAMRegressor(n_splines=6, lam=1.0, verbose=False).fit(X, y)
    assert seen["total"] == seen["n"] == 1 and not seen["enabled"]


def test_no_progress_output_when_silenced(capsys):
    X, y = _data()
    GAMRegressor(n_splines=6, lam_grid=(1.0, 10.0), verbose=False).fit(X, y)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


@pytest.mark.parametrize("factor", [1e300, 1e-300])
@pytest.mark.parametrize("distribution", ["normal", "gamma"])
def test_extreme_scales_give_the_same_model(distribution, factor):
    X, y = _data()
    y = y if distribution == "normal" else np.exp(y)
    kw = dict(n_splines=8, lam_grid=(0.1, 10.0), verbose=False)
    ref = GAMRegressor(distribution, **kw).fit(X, y)
    big_y = GAMRegressor(distribution, **kw).fit(X, y * factor)
    assert [g.lam for g in big_y.gams_] == [g.lam for g in ref.gams_]
    np.testing.assert_allclose(big_y.predict(X) / factor, ref.predict(X), rtol=1e-7)
    loc, ref_loc = big_y.explain_local(X.iloc[:20]), ref.explain_local(X.iloc[:20])
    if distribution == "normal":  # identity link: every term in the user's units
        np.testing.assert_allclose(loc.values / factor, ref_loc.values, rtol=1e-7, atol=1e-12)
    else:  # log link: the same shapes, the intercept moved by log(factor)
        np.testing.assert_allclose(loc.values, ref_loc.values, rtol=1e-6, atol=1e-9)
    big_x = GAMRegressor(distribution, **kw).fit(X * factor, y)
    np.testing.assert_allclose(big_x.predict(X * factor), ref.predict(X), rtol=1e-7)
