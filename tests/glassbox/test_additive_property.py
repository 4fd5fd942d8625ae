"""Property: for random small data sets, every additive model's local
contributions plus its base value equal the model's link-scale output, as the
backend computes it (pygam's predict_mu through the link; interpret's
decision_function / predict), to 1e-8."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import logit

from glassbox import EBMClassifier, EBMRegressor, GAMClassifier, GAMRegressor

CHEAP_EBM = dict(outer_bags=1, interactions=1, max_rounds=100, n_jobs=1)


@st.composite
def datasets(draw):
    n = draw(st.integers(40, 80))
    p = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    task = draw(st.sampled_from(["regression", "binary", "multiclass"]))
    with_cat = draw(st.booleans())
    nan_rate = draw(st.sampled_from([0.0, 0.1]))
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        rng.normal(size=(n, p)) * rng.uniform(0.1, 10, p), columns=[f"f{j}" for j in range(p)]
    )
    score = X.to_numpy() @ rng.normal(size=p) / X.std().to_numpy().sum()
    if with_cat:
        X["group"] = rng.choice(["a", "b", "c"], n)
        score = score + (X["group"] == "a")
    score = score + 0.3 * rng.normal(size=n)
    if task == "regression":
        y = score
    elif task == "binary":
        y = (score > np.median(score)).astype(int)
    else:
        y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    return X, y, task, nan_rate, rng


def _with_nan(X, rate, rng):
    X = X.copy()
    if rate:
        mask = rng.random(len(X)) < rate
        X.loc[mask, "f0"] = np.nan
    return X


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_ebm_contributions_add_up(data):
    X, y, task, nan_rate, rng = data
    X = _with_nan(X, nan_rate, rng)
    if task == "regression":
        model = EBMRegressor(**CHEAP_EBM).fit(X, y)
        link = model.estimator_.predict(model._prepare(X))
    else:
        model = EBMClassifier(**CHEAP_EBM).fit(X, y)
        link = model.estimator_.decision_function(model._prepare(X))
    loc = model.explain_local(X)
    np.testing.assert_allclose(loc.output(), link, rtol=0, atol=1e-8)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_gam_contributions_add_up(data):
    X, y, task, _, _ = data
    if task == "regression":
        model = GAMRegressor(n_splines=6, lam=1.0).fit(X, y)
        mus = [model.gams_[0].predict_mu(model._prepare(X))]
        link = mus[0]
    else:
        model = GAMClassifier(n_splines=6, lam=1.0).fit(X, y)
        mus = [g.predict_mu(model._prepare(X)) for g in model.gams_]
        link = np.column_stack([logit(m) for m in mus])
        if link.shape[1] == 1:
            link = link[:, 0]
        # logit(mu) loses digits when mu is within 1e-6 of 0 or 1; keep those rows out
        keep = np.all([(m > 1e-6) & (m < 1 - 1e-6) for m in mus], axis=0)
        X, link = X[keep], link[keep]
    loc = model.explain_local(X)
    np.testing.assert_allclose(loc.output(), link, rtol=0, atol=1e-8)
