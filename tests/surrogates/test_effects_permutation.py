"""permutation_importance against a slow per-feature loop and scikit-learn."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.inspection import permutation_importance as sk_permutation_importance
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score, r2_score

from surrogates import permutation_importance
from surrogates.effects.permutation import draw_permutations


@pytest.fixture(scope="module")
def reg_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = X[:, 0] ** 2 + 2 * X[:, 1] + 0.1 * rng.normal(size=200)
    model = RandomForestRegressor(n_estimators=15, random_state=0).fit(X, y)
    return X, y, model


@pytest.fixture(scope="module")
def clf_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + 0.5 * X[:, 2] + 0.3 * rng.normal(size=200) > 0).astype(int)
    model = RandomForestClassifier(n_estimators=15, random_state=0).fit(X, y)
    return X, y, model


def _slow(predict, X, y, columns, perms, metric):
    """One model call per feature and repeat, scored with the metric function."""
    base = metric(y, predict(X))
    out = np.empty(perms.shape[:2])
    for g, cols in enumerate(columns):
        for r in range(perms.shape[1]):
            Xp = X.copy()
            for c in cols:
                Xp[:, c] = X[perms[g, r], c]
            out[g, r] = base - metric(y, predict(Xp))
    return out


def test_identical_to_slow_loop_regression_with_groups(reg_data):
    X, y, model = reg_data
    groups = {"a": [0, 1], "b": [2], "c": [3, 0]}
    exp = permutation_importance(model, X, y, n_repeats=3, groups=groups, random_state=7)
    perms = draw_permutations(len(X), 3, 3, 7)
    ref = _slow(model.predict, X, y, [[0, 1], [2], [3, 0]], perms, r2_score)
    np.testing.assert_allclose(exp.extras["importances_raw"], ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(exp.importances, ref.mean(axis=1), atol=1e-12)
    assert exp.term_names == ("a", "b", "c")


def test_own_output_mode_is_one_minus_fidelity(clf_data):
    X, _, model = clf_data
    exp = permutation_importance(model, X, n_repeats=2, random_state=3)
    own = model.predict(X)
    perms = draw_permutations(len(X), 4, 2, 3)
    ref = _slow(model.predict, X, own, [[j] for j in range(4)], perms, accuracy_score)
    np.testing.assert_allclose(exp.extras["importances_raw"], ref, atol=1e-12)
    assert exp.extras["baseline_score"] == 1.0


@pytest.mark.parametrize("scoring", [None, "roc_auc", "neg_log_loss"])
def test_same_numbers_as_sklearn_with_same_seed(clf_data, scoring):
    X, y, model = clf_data
    ours = permutation_importance(model, X, y, scoring=scoring, n_repeats=4, random_state=11)
    ref = sk_permutation_importance(model, X, y, scoring=scoring, n_repeats=4, random_state=11)
    np.testing.assert_allclose(ours.extras["importances_raw"], ref.importances, atol=1e-12)
    np.testing.assert_allclose(ours.extras["std"], ref.importances_std, atol=1e-12)


@pytest.mark.parametrize("scoring", [None, "neg_mean_squared_error", "neg_mean_absolute_error"])
def test_same_numbers_as_sklearn_regression_with_weights(reg_data, scoring):
    X, y, model = reg_data
    w = np.random.default_rng(3).uniform(0.5, 2, size=len(y))
    kw = dict(scoring=scoring, n_repeats=3, random_state=5, sample_weight=w)
    ours = permutation_importance(model, X, y, **kw)
    ref = sk_permutation_importance(model, X, y, **kw)
    np.testing.assert_allclose(ours.extras["importances_raw"], ref.importances, atol=1e-12)
    np.testing.assert_allclose(
        ours.extras["baseline_score"],
        model.score(X, y, w) if scoring is None else ours.extras["baseline_score"],
    )


def test_statistical_agreement_with_sklearn_other_seeds(reg_data):
    X, y, model = reg_data
    ours = permutation_importance(model, X, y, n_repeats=20, random_state=1)
    ref = sk_permutation_importance(model, X, y, n_repeats=20, random_state=2)
    se = np.sqrt((ours.extras["std"] ** 2 + ref.importances_std**2) / 20) + 1e-3
    assert np.all(np.abs(ours.importances - ref.importances_mean) < 5 * se)
    # the interval covers the other library's mean for the informative features
    assert ours.extras["ci_low"][0] < ref.importances_mean[0] * 1.2
    assert np.argmax(ours.importances) == np.argmax(ref.importances_mean)


def test_linear_model_closed_form():
    """Permuting x_j in a linear model: E[drop in R^2] = 2 b_j^2 var(x_j) / var(y) (large n)."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(4000, 2))
    y = 3 * X[:, 0] + 1 * X[:, 1]
    model = LinearRegression().fit(X, y)
    exp = permutation_importance(model, X, y, n_repeats=5, random_state=0)
    expected = 2 * model.coef_**2 * X.var(axis=0) / y.var()
    np.testing.assert_allclose(exp.importances, expected, rtol=0.05)


def test_one_model_call_per_block(reg_data):
    X, y, model = reg_data
    calls = []

    def f(Z):
        calls.append(len(Z))
        return model.predict(Z)

    permutation_importance(f, X, y, n_repeats=3, random_state=0, batch_rows=10**6)
    assert calls == [len(X), len(X) * 4 * 3]
    calls.clear()
    permutation_importance(f, X, y, n_repeats=3, random_state=0, batch_rows=len(X) * 5)
    assert calls == [len(X)] + [len(X) * 5] * 2 + [len(X) * 2]


def test_max_rows_and_bad_input(reg_data):
    X, y, model = reg_data
    exp = permutation_importance(model, X, y, n_repeats=2, max_rows=50, random_state=0)
    assert exp.extras["n_rows"] == 50
    with pytest.raises(ValueError, match="n_repeats"):
        permutation_importance(model, X, y, n_repeats=0)
    with pytest.raises(ValueError, match="no feature named"):
        permutation_importance(model, X, y, groups={"g": ["nope"]})
    with pytest.raises(ValueError, match="y has"):
        permutation_importance(model, X, y[:10])


def _tree_models():
    from sklearn.ensemble import (
        ExtraTreesRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(4)
    X = rng.normal(size=(150, 4))
    y = X[:, 0] ** 2 + X[:, 1] * X[:, 2]
    yc = (y > np.median(y)).astype(int)
    y3 = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    Xn = X.copy()
    Xn[::6, 1] = np.nan  # NaN rows follow each split's default side
    return [
        ("rf_reg_nan", RandomForestRegressor(8, random_state=0), Xn, y),
        ("rf_clf", RandomForestClassifier(8, random_state=0), X, yc),
        ("et_reg", ExtraTreesRegressor(6, random_state=0), X, y),
        ("tree_clf3", DecisionTreeClassifier(random_state=0), X, y3),
        ("gb_reg", GradientBoostingRegressor(n_estimators=15, random_state=0), X, y),
        ("gb_clf3", GradientBoostingClassifier(n_estimators=10, random_state=0), X, y3),
        ("hgb_reg_nan", HistGradientBoostingRegressor(max_iter=15), Xn, y),
        (
            "hgb_poisson",
            HistGradientBoostingRegressor(max_iter=15, loss="poisson"),
            X,
            np.exp(y / 4),
        ),
        ("hgb_clf_nan", HistGradientBoostingClassifier(max_iter=15), Xn, yc),
    ]


@pytest.mark.parametrize("case", range(9))
def test_tree_scores_are_the_models_own_to_the_bit(case):
    """The numba walk gives predict / predict_proba exactly, also for permuted copies."""
    from surrogates.effects._tree_predict import tree_scorer

    name, model, X, y = _tree_models()[case]
    model.fit(X, y)
    scorer = tree_scorer(model)
    assert scorer is not None, name

    def own(Z):
        return (
            model.predict_proba(Z) if hasattr(model, "predict_proba") else model.predict(Z)[:, None]
        )

    np.testing.assert_array_equal(scorer.scores(X), own(X))
    rng = np.random.default_rng(0)
    targets = np.stack([X[rng.permutation(len(X))][:, [1, 3]].T for _ in range(3)], axis=1)
    out = scorer.permuted(X, [1, 3], targets)  # (2 columns, 3 repeats, n, k)
    for g, j in enumerate([1, 3]):
        for r in range(3):
            Z = X.copy()
            Z[:, j] = targets[g, r]
            np.testing.assert_array_equal(out[g, r], own(Z))
    lo, hi = np.full(len(X), -0.3), np.where(np.arange(len(X)) % 2 == 0, -0.3, X[:, 2])
    both = scorer.two_values(X, 0, lo, hi)
    for side, v in enumerate((lo, hi)):
        Z = X.copy()
        Z[:, 0] = v
        np.testing.assert_array_equal(both[side], own(Z))


def test_tree_scores_xgboost():
    xgb = pytest.importorskip("xgboost")
    from surrogates.effects._tree_predict import tree_scorer

    name, _, X, y = _tree_models()[2]
    y3 = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    reg = xgb.XGBRegressor(n_estimators=20, max_depth=3).fit(X, y)
    # regression: float32 leaves added to the float32 base score in xgboost's order
    np.testing.assert_array_equal(tree_scorer(reg).scores(X)[:, 0], reg.predict(X))
    for yy in ((y3 > 0).astype(int), y3):
        clf = xgb.XGBClassifier(n_estimators=10, max_depth=3).fit(X, yy)
        # probabilities: within one float32 ulp (xgboost's own exp)
        np.testing.assert_allclose(tree_scorer(clf).scores(X), clf.predict_proba(X), atol=2e-7)
    exp = permutation_importance(reg, X, y, n_repeats=3, random_state=0)
    ref = sk_permutation_importance(reg, X, y, n_repeats=3, random_state=0)
    np.testing.assert_allclose(exp.extras["importances_raw"], ref.importances, atol=1e-12)


@pytest.mark.parametrize("case", [1, 4, 5])
def test_tree_path_equals_asking_the_model(case):
    """Same numbers as the generic path (the model called through a plain function),
    including groups of columns (walked as stacked rows)."""
    name, model, X, y = _tree_models()[case]
    model.fit(X, y)
    kw = dict(n_repeats=3, random_state=2, groups=[[0], [1], [2, 3]])
    fast = permutation_importance(model, X, y, **kw)
    if hasattr(model, "predict_proba"):
        slow = permutation_importance(lambda Z: model.predict_proba(Z), X, y, **kw)
    else:
        slow = permutation_importance(lambda Z: model.predict(Z), X, y, **kw)
    np.testing.assert_array_equal(fast.extras["importances_raw"], slow.extras["importances_raw"])
