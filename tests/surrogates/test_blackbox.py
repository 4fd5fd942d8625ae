"""surrogates.blackbox: every kind of model becomes one f(X) -> scores."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import LinearSVC

from surrogates import BlackBoxError, as_blackbox


@pytest.fixture(scope="module")
def clf_data():
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    return X, y


def test_sklearn_classifier_scores_are_predict_proba(clf_data):
    X, y = clf_data
    model = LogisticRegression().fit(X, y)
    bb = as_blackbox(model)
    np.testing.assert_allclose(bb(X), model.predict_proba(X), rtol=0, atol=0)
    assert bb.task == "classification"
    np.testing.assert_array_equal(bb.classes_, model.classes_)
    np.testing.assert_array_equal(bb.predict(X), model.predict(X))


def test_sklearn_regressor_and_bound_method():
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    model = LinearRegression().fit(X, y)
    for bb in (as_blackbox(model), as_blackbox(model.predict)):
        out = bb(X)
        assert out.shape == (100, 1)
        np.testing.assert_allclose(out[:, 0], model.predict(X))
        assert bb.task == "regression"


def test_bound_predict_proba_keeps_classes_and_names(clf_data):
    X, y = clf_data
    names = [f"f{i}" for i in range(5)]
    labels = np.where(y == 1, "yes", "no")
    model = LogisticRegression().fit(pd.DataFrame(X, columns=names), labels)
    bb = as_blackbox(model.predict_proba)
    assert list(bb.classes_) == ["no", "yes"]
    assert bb.feature_names_in_ == names
    assert bb.task == "classification"
    np.testing.assert_array_equal(bb.predict(X), model.predict(pd.DataFrame(X, columns=names)))


def test_label_only_classifier_gives_one_hot(clf_data):
    X, y = clf_data
    model = LinearSVC().fit(X, y)  # no predict_proba
    bb = as_blackbox(model)
    scores = bb(X)
    np.testing.assert_array_equal(scores.sum(axis=1), 1.0)
    np.testing.assert_array_equal(bb.classes_[scores.argmax(axis=1)], model.predict(X))


def test_feature_name_checks(clf_data):
    X, y = clf_data
    names = [f"f{i}" for i in range(5)]
    frame = pd.DataFrame(X, columns=names)
    model = LogisticRegression().fit(frame, y)
    bb = as_blackbox(model)
    # permuted columns are put back in order; numpy input is taken positionally
    np.testing.assert_allclose(bb(frame[names[::-1]]), model.predict_proba(frame))
    np.testing.assert_allclose(bb(X), model.predict_proba(frame))
    wrong = frame.rename(columns={"f0": "age"})
    with pytest.raises(ValueError, match=r"missing \['f0'\].*unexpected \['age'\]"):
        bb(wrong)
    with pytest.raises(ValueError, match="has 4 columns but the black box takes 5"):
        bb(X[:, :4])


def test_callable_output_kinds():
    X = np.random.default_rng(0).normal(size=(50, 3))
    reg = as_blackbox(lambda Z: Z.sum(axis=1))
    assert reg(X).shape == (50, 1) and reg.task == "regression"
    p = 1 / (1 + np.exp(-X[:, 0]))
    proba = as_blackbox(lambda Z: np.column_stack([1 - p[: len(Z)], p[: len(Z)]]))
    np.testing.assert_allclose(proba(X)[:, 1], p)
    assert proba.task == "classification"
    logits = as_blackbox(lambda Z: Z[:, 0], output="logits")
    np.testing.assert_allclose(logits(X)[:, 1], p)
    labels = as_blackbox(lambda Z: np.where(Z[:, 0] > 0, "a", "b"), output="label")
    assert list(np.unique(labels.predict(X))) == ["a", "b"]


def test_batching_calls_in_chunks_with_same_result(clf_data):
    X, y = clf_data
    model = LogisticRegression().fit(X, y)
    sizes = []

    def f(Z):
        sizes.append(len(Z))
        return model.predict_proba(Z)

    bb = as_blackbox(f, batch_size=64)
    np.testing.assert_allclose(bb(X), model.predict_proba(X))
    assert sizes == [64, 64, 64, 8]
    assert bb.n_calls_ == 4


def test_wrong_shaped_or_raising_model_is_a_clear_error():
    X = np.zeros((10, 3))
    with pytest.raises(BlackBoxError, match=r"returned shape \(9,\) for 10 rows"):
        as_blackbox(lambda Z: np.zeros(len(Z) - 1))(X)
    with pytest.raises(BlackBoxError, match=r"raised ZeroDivisionError: boom.*10 rows x 3 columns"):

        def bad(Z):
            raise ZeroDivisionError("boom")

        as_blackbox(bad)(X)
    with pytest.raises(BlackBoxError, match="NaN or infinity"):
        as_blackbox(lambda Z: np.full(len(Z), np.nan))(X)
    with pytest.raises(BlackBoxError, match="not probabilities"):
        as_blackbox(lambda Z: np.ones((len(Z), 3)))(X)
    with pytest.raises(TypeError, match="cannot use a int as a black box"):
        as_blackbox(3)


def test_bad_input_rows():
    bb = as_blackbox(lambda Z: Z.sum(axis=1))
    with pytest.raises(ValueError, match="1-D"):
        bb(np.zeros(3))
    with pytest.raises(ValueError, match="contains NaN"):
        bb(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="contains infinity"):
        bb(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match="empty"):
        bb(np.zeros((0, 2)))
    with pytest.raises(TypeError, match="not numeric"):
        bb(pd.DataFrame({"a": ["x", "y"]}))


def test_unfitted_estimator_is_refused():
    with pytest.raises(ValueError, match="not fitted"):
        as_blackbox(LogisticRegression())


def test_xgboost_booster_uses_dmatrix(clf_data):
    import xgboost as xgb

    X, y = clf_data
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 2}, xgb.DMatrix(X, label=y), num_boost_round=5
    )
    bb = as_blackbox(booster)
    p = booster.predict(xgb.DMatrix(X))
    np.testing.assert_allclose(bb(X)[:, 1], p, rtol=1e-6)
    assert bb.task == "classification"
    Xr, yr = make_regression(n_samples=80, n_features=3, random_state=1)
    reg = xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(Xr, label=yr), num_boost_round=3)
    bbr = as_blackbox(reg)
    np.testing.assert_allclose(bbr(Xr)[:, 0], reg.predict(xgb.DMatrix(Xr)), rtol=1e-6)
    assert bbr.task == "regression"
    y3 = np.arange(80) % 3
    multi = xgb.train(
        {"objective": "multi:softprob", "num_class": 3},
        xgb.DMatrix(Xr, label=y3),
        num_boost_round=3,
    )
    np.testing.assert_allclose(as_blackbox(multi)(Xr), multi.predict(xgb.DMatrix(Xr)), rtol=1e-6)


def _torch_or_skip():
    try:
        import torch
    except ImportError:
        pytest.skip("torch is an optional extra (pip install glassbox[torch]) and is not installed")
    return torch


def test_torch_module_logits_become_probabilities():
    torch = _torch_or_skip()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    X = np.random.default_rng(0).normal(size=(30, 4))
    bb = as_blackbox(net, batch_size=7)
    with torch.no_grad():
        ref = torch.softmax(net(torch.as_tensor(X, dtype=torch.float32)), dim=1).numpy()
    np.testing.assert_allclose(bb(X), ref, rtol=1e-5, atol=1e-6)
    assert bb.task == "classification"
    reg = torch.nn.Linear(4, 1)
    bbr = as_blackbox(reg, task="regression")
    with torch.no_grad():
        ref = reg(torch.as_tensor(X, dtype=torch.float32)).numpy()[:, 0]
    np.testing.assert_allclose(bbr(X)[:, 0], ref, rtol=1e-5)


def test_import_surrogates_stays_light():
    code = (
        "import sys, surrogates; "
        "heavy = [m for m in ('xgboost', 'torch', 'dask', 'lime', 'shap', 'interpret', 'pygam',"
        " 'imodels', 'pyoperon') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_task_and_output_are_checked_against_the_model(clf_data):
    X, y = clf_data
    clf = LogisticRegression().fit(X, y)
    reg = LinearRegression().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="regressor: its predictions are values"):
        as_blackbox(reg, task="classification")
    with pytest.raises(ValueError, match="is a classifier"):
        as_blackbox(clf, task="regression")
    with pytest.raises(ValueError, match="task must be"):
        as_blackbox(clf, task="nonsense")
    with pytest.raises(ValueError, match="output must be one of"):
        as_blackbox(clf, output="nonsense")
    with pytest.raises(ValueError, match="output='proba' is for classifiers"):
        as_blackbox(reg, output="proba")
    with pytest.raises(ValueError, match=r"use one of \['logits', 'label'\]"):
        as_blackbox(LinearSVC().fit(X, y), output="proba")
    # logits of a classifier are its decision function: sigmoid gives predict_proba
    np.testing.assert_allclose(
        as_blackbox(clf, output="logits")(X), clf.predict_proba(X), rtol=1e-12, atol=1e-12
    )


def test_feature_names_must_match_the_model_width(clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match="2 feature names but the model takes 5"):
        as_blackbox(LogisticRegression().fit(X, y), feature_names=["a", "b"])


@pytest.mark.parametrize("returned", [None, {"p": 1}, 3.0])
def test_callable_returning_no_rows_is_named(clf_data, returned):
    X, _ = clf_data
    with pytest.raises(BlackBoxError, match="one score, value or label per row"):
        as_blackbox(lambda Z: returned)(X)


def test_labels_of_mixed_types_are_named(clf_data):
    X, _ = clf_data
    bb = as_blackbox(
        lambda Z: np.array([1 if z > 0 else "a" for z in Z[:, 0]], dtype=object), output="label"
    )
    with pytest.raises(BlackBoxError, match="mixed types"):
        bb(X)


def test_inferred_classes_cannot_shift_between_calls(clf_data):
    X, _ = clf_data

    def labels(Z):
        return np.where(Z[:, 0] > 1, "c", np.where(Z[:, 0] > 0, "b", "a"))

    bb = as_blackbox(labels, output="label")
    low = X[X[:, 0] <= 1]
    assert list(np.unique(bb.predict(low))) == ["a", "b"]
    with pytest.raises(BlackBoxError, match=r"label\(s\) \['c'\] not seen on its earlier calls"):
        bb(X)
    fixed = as_blackbox(labels, output="label", classes=["a", "b", "c"])
    assert fixed(low).shape[1] == 3 and fixed(X).shape[1] == 3
    np.testing.assert_array_equal(fixed.predict(X), labels(X))


def test_settle_asks_every_row_only_for_label_callables(clf_data):
    X, _ = clf_data

    def labels(Z):
        return np.where(Z[:, 0] > 1, "c", np.where(Z[:, 0] > 0, "b", "a"))

    lab = as_blackbox(labels, output="auto")
    lab.settle(X)
    assert list(lab.classes_) == ["a", "b", "c"] and lab.n_rows_ == len(X)
    model = LogisticRegression().fit(X, X[:, 0] > 0)
    proba = as_blackbox(lambda Z: model.predict_proba(Z))
    proba.settle(X)
    assert proba.task == "classification" and proba.n_rows_ == 1


def test_raw_output_is_the_models_own_numbers(clf_data):
    # output="raw" (what SHAP explains): the model's numbers as they are, checked
    # against calling the model directly
    X, y = clf_data
    names = [f"f{i}" for i in range(5)]
    frame = pd.DataFrame(X, columns=names)
    model = LogisticRegression().fit(frame, y)
    bb = as_blackbox(model, output="raw")
    np.testing.assert_array_equal(bb(X), model.predict_proba(frame))
    assert bb.task is None and bb.single_output_ is False and bb.output_names() == ("0", "1")
    dec = as_blackbox(model.decision_function, output="raw")  # not read as probabilities
    np.testing.assert_array_equal(dec(X)[:, 0], model.decision_function(frame))
    assert dec.single_output_ and dec.output_names() == ("y",)
    # rows with NaN reach the model (masked rows carry the background's NaN)
    Xn = X[:10].copy()
    Xn[0, 1] = np.nan
    summed = as_blackbox(lambda Z: np.nan_to_num(Z).sum(axis=1), output="raw")
    np.testing.assert_array_equal(summed(Xn)[:, 0], np.nan_to_num(Xn).sum(axis=1))
    assert summed.n_rows_ == 10 and summed.n_calls_ == 1
    # a BlackBox given for raw output is wrapped: its scores are the numbers
    np.testing.assert_array_equal(
        as_blackbox(as_blackbox(model), output="raw")(X), model.predict_proba(frame)
    )


def test_raw_output_errors():
    X = np.zeros((10, 3))
    with pytest.raises(ValueError, match=r"model returned shape \(9,\) for 10 rows"):
        as_blackbox(lambda Z: np.zeros(len(Z) - 1), output="raw")(X)
    with pytest.raises(ValueError, match="NaN or infinity for the row"):
        as_blackbox(lambda Z: np.full(len(Z), np.inf), output="raw")(X)
    calls = []

    def widening(Z):
        calls.append(1)
        return Z[:, :1] if len(calls) == 1 else Z[:, :2]

    raw = as_blackbox(widening, output="raw")
    raw(X)
    with pytest.raises(ValueError, match="same number of outputs on every call"):
        raw(X)
    with pytest.raises(ZeroDivisionError):  # the model's own error, not re-wrapped
        as_blackbox(lambda Z: 1 / 0, output="raw")(X)
    with pytest.raises(ValueError, match="reads no task"):
        as_blackbox(lambda Z: Z[:, 0], output="raw", task="regression")
    with pytest.raises(TypeError, match="cannot use a object as a black box"):
        as_blackbox(object(), output="raw")
