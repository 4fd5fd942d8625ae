"""LocalSurrogate against closed forms and lime's own fitting code."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge

from surrogates import LocalSurrogate, additivity_error, as_blackbox


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)) * [1, 2, 3, 1, 1, 5] + [0, 1, -1, 0, 2, 0]
    w = np.array([1.0, -2.0, 0.5, 0.0, 3.0, 0.1])
    return X, w, (lambda Z: Z @ w + 2.0)


def test_linear_black_box_coefficients_are_recovered_exactly(linear):
    X, w, f = linear
    e = LocalSurrogate(f, X, n_features=6, alpha=0.0, n_samples=500, random_state=0).explain(X[:20])
    np.testing.assert_allclose(e.extras["coefficients"], np.tile(w, (20, 1)), atol=1e-9)
    np.testing.assert_allclose(e.extras["local_fidelity"], 1.0, atol=1e-12)
    # contributions are coef * (x - training mean); they add up to f(x)
    np.testing.assert_allclose(e.values, w * (X[:20] - X.mean(axis=0)), atol=1e-8)
    np.testing.assert_allclose(e.output(), f(X[:20]), atol=1e-8)
    assert additivity_error(e).max() < 1e-8
    np.testing.assert_allclose(e.extras["stability"], 1.0)


def test_top_features_are_the_largest_standardized_effects(linear):
    X, w, f = linear
    e = LocalSurrogate(f, X, n_features=3, random_state=0).explain(X[:5])
    expected = np.argsort(-np.abs(w * X.std(axis=0)))[:3]  # x1 (4), x4 (3), x2 (1.5)
    for row in e.extras["selected"]:
        assert set(np.nonzero(row)[0]) == set(expected)
    assert (e.values[:, [0, 3, 5]] == 0).all()


def test_same_as_lime_fit_on_the_same_neighbourhood():
    """lime's LimeBase fitted on our samples gives our weights, score and local prediction."""
    from lime.lime_base import LimeBase

    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    model = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    ls = LocalSurrogate(
        model, X, n_features=3, n_samples=800, n_repeats=0, random_state=5, link="identity"
    )
    e = ls.explain(X[:3])
    E = ls._offsets(np.random.SeedSequence(5).spawn(1)[0])
    dist = np.sqrt((E**2).sum(axis=1))
    width = ls.kernel_width
    base = LimeBase(lambda d: np.sqrt(np.exp(-(d**2) / width**2)))
    for r in range(3):
        Y = model.predict_proba(X[r] + E * ls.sd_)
        _, exp, score, local_pred = base.explain_instance_with_data(
            E,
            Y,
            dist,
            1,
            3,
            feature_selection="forward_selection",
            model_regressor=Ridge(alpha=1.0),
        )
        lime_coef = np.zeros(6)
        for j, v in exp:
            lime_coef[j] = v
        np.testing.assert_allclose(
            e.extras["coefficients"][r] * ls.sd_, lime_coef, rtol=1e-6, atol=1e-9
        )
        assert e.extras["local_fidelity"][r] == pytest.approx(score, rel=1e-6)
        assert e.extras["local_prediction"][r] == pytest.approx(local_pred[0], rel=1e-6)


def test_logit_link_recovers_logistic_regression_coefficients():
    """A logistic model is linear in log-odds: the local fit is its coef_ and intercept."""
    X, y = make_classification(
        n_samples=300, n_features=4, n_informative=3, n_redundant=0, class_sep=0.5, random_state=2
    )
    model = LogisticRegression(C=0.05).fit(X, y)
    e = LocalSurrogate(model, X, n_features=4, alpha=0.0, n_samples=500, random_state=0).explain(
        X[:5]
    )
    assert e.link == "logit"
    np.testing.assert_allclose(e.extras["coefficients"], np.tile(model.coef_[0], (5, 1)), rtol=1e-6)
    np.testing.assert_allclose(e.extras["local_fidelity"], 1.0, atol=1e-9)
    np.testing.assert_allclose(e.output(), model.decision_function(X[:5]), rtol=1e-6, atol=1e-9)
    # identity link on the same model: not linear, so fidelity below 1
    p = LocalSurrogate(
        model, X, n_features=4, alpha=0.0, n_samples=500, random_state=0, link="identity"
    ).explain(X[:5])
    assert p.link == "identity"
    np.testing.assert_allclose(p.extras["model_output"], model.predict_proba(X[:5])[:, 1])
    assert (p.extras["local_fidelity"] < 1 - 1e-6).all()


def test_logit_link_is_lime_fit_on_log_odds():
    """lime's LimeBase fitted on the clipped log-odds of our samples gives our weights."""
    from lime.lime_base import LimeBase

    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    model = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    ls = LocalSurrogate(model, X, n_features=3, n_samples=800, n_repeats=0, random_state=5)
    e = ls.explain(X[:3])
    E = ls._offsets(np.random.SeedSequence(5).spawn(1)[0])
    dist = np.sqrt((E**2).sum(axis=1))
    width = ls.kernel_width
    base = LimeBase(lambda d: np.sqrt(np.exp(-(d**2) / width**2)))
    for r in range(3):
        P = np.clip(model.predict_proba(X[r] + E * ls.sd_)[:, 1], 1e-6, 1 - 1e-6)
        _, exp, score, _ = base.explain_instance_with_data(
            E,
            np.log(P / (1 - P))[:, None],
            dist,
            0,
            3,
            feature_selection="forward_selection",
            model_regressor=Ridge(alpha=1.0),
        )
        lime_coef = np.zeros(6)
        for j, v in exp:
            lime_coef[j] = v
        np.testing.assert_allclose(
            e.extras["coefficients"][r] * ls.sd_, lime_coef, rtol=1e-6, atol=1e-9
        )
        assert e.extras["local_fidelity"][r] == pytest.approx(score, rel=1e-6)


def test_lime_and_ours_agree_on_top_features_of_a_linear_model(linear):
    from lime.lime_tabular import LimeTabularExplainer

    X, w, f = linear
    ours = LocalSurrogate(f, X, n_features=3, random_state=0).explain(X[:3])
    lime = LimeTabularExplainer(
        X,
        mode="regression",
        discretize_continuous=False,
        sample_around_instance=True,
        random_state=0,
    )
    for r in range(3):
        exp = lime.explain_instance(X[r], f, num_features=3, num_samples=2000)
        lime_top = {j for j, _ in exp.as_map()[1]}
        assert lime_top == set(np.nonzero(ours.extras["selected"][r])[0])


def test_deterministic_and_batch_independent():
    X, y = make_classification(n_samples=200, n_features=5, random_state=1)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    ls = LocalSurrogate(model, X, n_samples=400, random_state=3)
    a, b = ls.explain(X[:6]), ls.explain(X[:6])
    np.testing.assert_array_equal(a.values, b.values)
    # a row's explanation does not depend on the other rows in the batch
    one = LocalSurrogate(model, X, n_samples=400, random_state=3, batch_size=400).explain(X[4:5])
    np.testing.assert_allclose(one.values[0], a.values[4], rtol=1e-12, atol=1e-14)
    c = LocalSurrogate(model, X, n_samples=400, random_state=4).explain(X[:6])
    assert not np.array_equal(a.values, c.values)
    assert ((a.extras["stability"] >= 0) & (a.extras["stability"] <= 1)).all()
    assert a.extras["coefficient_std"].shape == (6, 5)


def test_stability_matches_refits_with_other_seeds():
    X, y = make_classification(n_samples=200, n_features=5, random_state=1)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    e = LocalSurrogate(model, X, n_samples=300, n_features=2, n_repeats=2, random_state=9).explain(
        X[:4]
    )
    seeds = np.random.SeedSequence(9).spawn(3)
    # refit each seed alone (no repeats) by overriding the seed sequence: same selection per seed
    sets = []
    for s in seeds:
        ls = LocalSurrogate(model, X, n_samples=300, n_features=2, n_repeats=0, random_state=9)
        run = ls._fit_seed(X[:4], s, cols=np.ones(4, dtype=np.intp))
        sets.append([set(r) for r in run["idx"]])
    for r in range(4):
        jac = [
            len(sets[i][r] & sets[j][r]) / len(sets[i][r] | sets[j][r])
            for i in range(3)
            for j in range(i + 1, 3)
        ]
        assert e.extras["stability"][r] == pytest.approx(np.mean(jac))


def test_classifier_target_and_output_names():
    X, y = make_classification(
        n_samples=150, n_features=4, n_classes=3, n_informative=3, n_redundant=0, random_state=0
    )
    model = LogisticRegression().fit(X, y)
    e = LocalSurrogate(model, X, n_samples=300, random_state=0).explain(X[:5])
    np.testing.assert_array_equal(e.extras["target"], model.predict(X[:5]))
    p = np.clip(model.predict_proba(X[:5]).max(axis=1), 1e-6, 1 - 1e-6)
    np.testing.assert_allclose(
        e.extras["model_output"], np.log(p / (1 - p))
    )  # default link="logit"
    assert e.link == "logit"
    e2 = LocalSurrogate(model, X, n_samples=300, target=2, random_state=0).explain(X[:2])
    assert e2.output_names == ("2",)
    with pytest.raises(ValueError, match="not one of the classes"):
        LocalSurrogate(model, X, target=7).explain(X[:1])


def test_bad_parameters():
    X = np.random.default_rng(0).normal(size=(50, 3))
    f = as_blackbox(lambda Z: Z.sum(axis=1))
    with pytest.raises(ValueError, match="n_samples"):
        LocalSurrogate(f, X, n_samples=2)
    with pytest.raises(ValueError, match="feature_selection"):
        LocalSurrogate(f, X, feature_selection="lasso")
    with pytest.raises(ValueError, match="link"):
        LocalSurrogate(f, X, link="probit")
    with pytest.raises(ValueError, match="has 2 columns"):
        LocalSurrogate(f, X).explain(X[:, :2])


@pytest.mark.parametrize(
    "kw,err,match",
    [
        (dict(kernel_width=np.nan), ValueError, "kernel_width must be a finite number > 0"),
        (dict(kernel_width=0.0), ValueError, "kernel_width must be a finite number > 0"),
        (dict(kernel_width="wide"), TypeError, "kernel_width must be a finite number > 0"),
        (dict(batch_size=0), ValueError, "batch_size must be an integer >= 1"),
        (dict(batch_size=-5), ValueError, "batch_size must be an integer >= 1"),
        (dict(alpha=-1.0), ValueError, "alpha must be a finite number >= 0"),
        (dict(alpha=np.nan), ValueError, "alpha must be a finite number >= 0"),
        (dict(n_repeats=-1), ValueError, "n_repeats must be an integer >= 0"),
        (dict(n_repeats=1.5), TypeError, "n_repeats must be an integer >= 0"),
        (dict(scale=np.inf), ValueError, "scale must be a finite number > 0"),
        (dict(scale=0.0), ValueError, "scale must be a finite number > 0"),
    ],
)
def test_bad_settings_are_named_before_the_black_box_is_called(kw, err, match):
    X = np.random.default_rng(0).normal(size=(50, 3))
    calls = []

    def f(Z):
        calls.append(len(Z))
        return Z.sum(axis=1)

    with pytest.raises(err, match=match):
        LocalSurrogate(f, X, n_samples=50, **kw).explain(X[:2])
    assert calls == []


def test_kernel_too_narrow_is_refused_instead_of_perfect_fidelity():
    X, y = make_classification(
        n_samples=200, n_features=4, n_informative=3, n_redundant=0, random_state=0
    )
    model = LogisticRegression().fit(X, y)
    # 1e-9: every perturbed sample's weight underflows to 0, only the row itself is left
    # (this used to return all-zero values with fidelity and stability 1.0)
    with pytest.raises(ValueError, match="kernel_width=1e-09 is too narrow.*effective sample size"):
        LocalSurrogate(model, X, n_samples=200, kernel_width=1e-9, random_state=0).explain(X[:2])
    # the effective size of the weights (the oracle, by hand) is ~1 for a width of 0.05
    E = np.random.default_rng(0).standard_normal((200, 4))
    E[0] = 0
    w = np.sqrt(np.exp(-(E**2).sum(axis=1) / 0.05**2))
    assert w.sum() ** 2 / (w**2).sum() < 2
    with pytest.raises(ValueError, match="too narrow"):
        LocalSurrogate(model, X, n_samples=200, kernel_width=0.05, random_state=0).explain(X[:2])
    # a narrower-than-default kernel that still weighs many samples works
    e = LocalSurrogate(model, X, n_samples=200, kernel_width=1.0, random_state=0).explain(X[:2])
    assert np.isfinite(e.values).all() and (e.extras["local_fidelity"] <= 1).all()
