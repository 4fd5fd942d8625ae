"""partial_dependence: tree method vs scikit-learn brute force, additive models' shapes."""

import numpy as np
import pytest
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.inspection import partial_dependence as sk_partial_dependence

from surrogates import partial_dependence


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(250, 4))
    X[:, 3] = X[:, 0] + 0.3 * rng.normal(size=250)  # correlated: recursion would differ
    y = X[:, 0] ** 2 + X[:, 1] * X[:, 2] + X[:, 3]
    return X, y, (y > np.median(y)).astype(int)


def _sk(model, X, feats, pd_, kind="both", **kw):
    return sk_partial_dependence(
        model,
        X,
        feats,
        method="brute",
        kind=kind,
        custom_values={f: g for f, g in zip(feats, pd_.grid, strict=True)},
        **kw,
    )


@pytest.mark.parametrize("feats", [[0], [1, 2], [3, 0]])
@pytest.mark.parametrize(
    "make",
    [
        lambda X, y, yc: RandomForestRegressor(20, max_depth=7, random_state=0).fit(X, y),
        lambda X, y, yc: GradientBoostingRegressor(n_estimators=40, random_state=0).fit(X, y),
        lambda X, y, yc: RandomForestClassifier(15, random_state=0).fit(X, yc),
    ],
    ids=["rf_reg", "gb_reg", "rf_clf"],
)
def test_tree_equals_sklearn_brute(data, make, feats):
    X, y, yc = data
    model = make(X, y, yc)
    ours = partial_dependence(model, X, feats, grid=12, kind="both", method="tree")
    assert ours.method == "tree" and ours.scale == "output"
    ref = _sk(model, X, feats, ours)
    np.testing.assert_allclose(ours.average[..., 0], ref["average"][0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.individual[..., 0], ref["individual"][0], rtol=0, atol=1e-12)
    brute = partial_dependence(model, X, feats, grid=12, kind="both", method="brute")
    np.testing.assert_allclose(brute.individual[..., 0], ref["individual"][0], atol=1e-12)


def test_tree_on_boosted_classifier_is_the_margin(data):
    X, _, yc = data
    model = GradientBoostingClassifier(n_estimators=30, random_state=0).fit(X, yc)
    ours = partial_dependence(model, X, [0, 1], grid=8, method="tree")
    assert ours.scale == "raw margin"
    ref = _sk(model, X, [0, 1], ours, kind="average", response_method="decision_function")
    np.testing.assert_allclose(ours.average[..., 0], ref["average"][0], atol=1e-12)
    # auto stays on the probability scale the black box reports: brute force
    auto = partial_dependence(model, X, 0, grid=8)
    assert auto.method == "brute"
    np.testing.assert_allclose(
        auto.average[:, 0], _sk(model, X, [0], auto, "average")["average"][0]
    )


def test_tree_xgboost_exact_against_its_own_leaves(data):
    xgb = pytest.importorskip("xgboost")
    X, y, _ = data
    model = xgb.XGBRegressor(n_estimators=60, max_depth=4, random_state=0).fit(X, y)
    ours = partial_dependence(model, X, [1, 2], grid=7, kind="both", method="tree")
    booster = model.get_booster()
    import json

    trees = json.loads(booster.save_raw(raw_format="json"))["learner"]["gradient_booster"]
    leaves = [
        np.asarray(t["split_conditions"], dtype=np.float32).astype(np.float64)
        for t in trees["model"]["trees"]
    ]
    ice = np.empty((len(X), 7, 7))
    for a, va in enumerate(ours.grid[0]):
        for b, vb in enumerate(ours.grid[1]):
            Xg = X.copy()
            Xg[:, 1], Xg[:, 2] = va, vb
            leaf = booster.predict(xgb.DMatrix(Xg), pred_leaf=True).astype(int)
            ice[:, a, b] = sum(leaves[t][leaf[:, t]] for t in range(leaf.shape[1]))
    # xgboost routes the rows; leaf values summed in float64 (xgboost itself sums in float32)
    offset = ours.individual[..., 0] - ice  # the base score, one constant
    np.testing.assert_allclose(offset, offset.flat[0], rtol=0, atol=1e-12)
    margin = booster.predict(xgb.DMatrix(X[:1]), output_margin=True)[0]
    leaf = booster.predict(xgb.DMatrix(X[:1]), pred_leaf=True)[0].astype(int)
    np.testing.assert_allclose(
        offset.flat[0], margin - sum(leaves[t][n] for t, n in enumerate(leaf)), atol=1e-5
    )
    spread = ours.individual - ours.individual.mean()
    assert np.abs(spread).max() > 0.1
    ref = _sk(model, X, [1, 2], ours, kind="average")
    np.testing.assert_allclose(ours.average[..., 0], ref["average"][0], rtol=0, atol=2e-5)


def test_centred_ice_and_frame(data):
    X, y, _ = data
    model = RandomForestRegressor(10, max_depth=5, random_state=0).fit(X, y)
    pd_ = partial_dependence(model, X, "x0", grid=9, kind="individual")
    avg, ind = pd_.centered()
    assert np.all(ind[:, 0, :] == 0) and avg[0, 0] == 0
    np.testing.assert_allclose(ind.mean(axis=0), avg, atol=1e-12)
    frame = pd_.to_frame()
    assert list(frame.columns) == ["x0", "output", "value"] and len(frame) == 9


def test_glm_and_ebm_shapes_are_reproduced():
    from glassbox import EBMRegressor, GLMRegressor

    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, size=(300, 3))
    y = X[:, 0] ** 2 + X[:, 1] + 0.1 * rng.normal(size=300)
    glm = GLMRegressor().fit(X, y)
    pd_ = partial_dependence(glm, X, 1, grid=[-1.0, 0.0, 2.0])
    np.testing.assert_allclose(
        np.diff(pd_.average[:, 0]) / [1.0, 2.0], glm.explain_global().coefficients[1], atol=1e-10
    )
    ebm = EBMRegressor(outer_bags=1, interactions=0).fit(X, y)
    shape = ebm.explain_global().shapes[0]
    pd_ = partial_dependence(ebm, X, 0, grid=shape.grid[0])
    diff = pd_.average[:, 0] - shape.values
    np.testing.assert_allclose(diff, diff[0], atol=1e-8)  # equal up to a constant


def test_gam_shape_is_reproduced():
    from glassbox import GAMRegressor

    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, size=(200, 2))
    y = np.sin(X[:, 0]) + X[:, 1]
    gam = GAMRegressor(lam=1.0, verbose=False).fit(X, y)
    shape = gam.explain_global().shapes[0]
    pd_ = partial_dependence(gam, X, 0, grid=shape.grid[0])
    diff = pd_.average[:, 0] - shape.values
    np.testing.assert_allclose(diff, diff[0], atol=1e-8)


def test_bad_input(data):
    X, y, _ = data
    model = RandomForestRegressor(5, max_depth=3, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="kind"):
        partial_dependence(model, X, 0, kind="mean")
    with pytest.raises(ValueError, match="pair"):
        partial_dependence(model, X, [0, 1, 2])
    with pytest.raises(TypeError, match="method='brute'"):
        partial_dependence(lambda Z: model.predict(Z), X, 0, method="tree")
    with pytest.raises(ValueError, match="no feature named"):
        partial_dependence(model, X, "age")


def test_glassbox_tree_and_multiclass_forest_on_named_columns():
    import pandas as pd

    from glassbox import TreeRegressor

    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    y = X["a"] ** 2 + X["b"] * X["c"]
    tree = TreeRegressor(max_depth=4).fit(X, y)
    ours = partial_dependence(tree, X, ["a", "c"], grid=6, method="tree")
    brute = partial_dependence(tree, X, ["a", "c"], grid=6, method="brute")
    np.testing.assert_allclose(ours.average, brute.average, atol=1e-12)
    assert ours.features == ("a", "c")
    labels = np.digitize(X["a"], [-0.5, 0.5])
    forest = RandomForestClassifier(10, random_state=0).fit(X, labels)
    ours = partial_dependence(forest, X, "b", grid=7)
    assert ours.method == "tree" and ours.output_names == ("0", "1", "2")
    ref = _sk(forest, X, ["b"], ours, kind="average")
    np.testing.assert_allclose(np.moveaxis(ours.average, -1, 0), ref["average"], atol=1e-12)


def test_pair_with_one_grid_per_feature(data):
    X, y, _ = data
    model = RandomForestRegressor(5, max_depth=4, random_state=0).fit(X, y)
    res = partial_dependence(model, X, [0, 2], grid=(5, np.array([-1.0, 0.0, 1.0])), kind="both")
    assert res.average.shape == (5, 3, 1) and res.individual.shape == (len(X), 5, 3, 1)
    np.testing.assert_array_equal(res.grid[1], [-1.0, 0.0, 1.0])
    ref = _sk(model, X, [0, 2], res, kind="average")
    np.testing.assert_allclose(res.average[..., 0], ref["average"][0], atol=1e-12)


def test_hist_gradient_boosting_and_categorical_splits_fall_back(data):
    from sklearn.ensemble import HistGradientBoostingRegressor

    X, y, _ = data
    model = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X, y)
    ours = partial_dependence(model, X, [0, 1], grid=8, kind="both")
    assert ours.method == "tree"
    ref = _sk(model, X, [0, 1], ours)
    np.testing.assert_allclose(ours.individual[..., 0], ref["individual"][0], atol=1e-12)
    Xc = X.copy()
    Xc[:, 2] = np.random.default_rng(0).integers(0, 4, len(X))
    cat = HistGradientBoostingRegressor(max_iter=10, categorical_features=[2]).fit(Xc, y)
    assert partial_dependence(cat, Xc, 0, grid=5).method == "brute"
    with pytest.raises(TypeError, match="categorical"):
        partial_dependence(cat, Xc, 0, grid=5, method="tree")


def test_tree_pd_honours_xgboosts_own_missing_value():
    import xgboost as xgb

    from surrogates import partial_dependence

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)).round(1)  # many exact zeros: the missing marker below
    y = X[:, 0] + 2 * (X[:, 1] > 0) + X[:, 2] ** 2
    model = xgb.XGBRegressor(n_estimators=20, max_depth=3, missing=0.0).fit(X, y)
    grid = np.array([-1.05, -0.55, 0.45, 0.95])
    tree = partial_dependence(model, X[:60], 0, grid=grid, kind="both", method="tree")
    brute = partial_dependence(model, X[:60], 0, grid=grid, kind="both", method="brute")
    # xgboost predicts in float32: agreement to float32 rounding, not 1e-12
    np.testing.assert_allclose(tree.individual, brute.individual, atol=1e-5)


def test_tree_arrays_are_read_once_and_again_after_a_refit(data):
    from surrogates.shap._tree_readers import read_model_cached

    X, y, _ = data
    model = RandomForestRegressor(5, max_depth=4, random_state=0).fit(X, y)
    first = partial_dependence(model, X, 0, grid=6, method="tree")
    assert read_model_cached(model) is read_model_cached(model)
    before = read_model_cached(model)
    model.fit(X, -y)  # a refit builds new trees: they must be read again
    assert read_model_cached(model) is not before
    again = partial_dependence(model, X, 0, grid=6, method="tree")
    ref = _sk(model, X, [0], again, kind="average")
    np.testing.assert_allclose(again.average[:, 0], ref["average"][0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(again.average, -first.average, atol=1e-12)
    xgb = pytest.importorskip("xgboost")
    booster_model = xgb.XGBRegressor(n_estimators=5, max_depth=2).fit(X, y)
    one = read_model_cached(booster_model)
    booster_model.fit(X, -y)
    assert read_model_cached(booster_model) is not one
