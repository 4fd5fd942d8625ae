"""glassbox.io: model files that round-trip exactly and cannot run code.

Every family in the registry and a distilled Surrogate (scikit-learn and
xgboost black boxes) must come back with identical predictions (1e-12) and
identical text; what lies outside a family's schema is refused at save time
with its attribute path; writing is atomic; the optional HMAC authenticates.
The hostile-file matrix is in test_model_file_attacks.py.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier

from glassbox import CLASSIFIERS, ESTIMATORS, REGRESSORS, io
from glassbox.registry import fast


def _outputs(model, X):
    out = {"predict": model.predict(X)}
    for method in ("predict_proba", "decision_function"):
        if hasattr(model, method):
            out[method] = getattr(model, method)(X)
    return out


def _assert_same_model(model, loaded, X):
    assert type(loaded) is type(model)
    assert str(loaded) == str(model)
    assert repr(loaded) == repr(model)
    before, after = _outputs(model, X), _outputs(loaded, X)
    assert before.keys() == after.keys()
    for key in before:
        a, b = np.asarray(before[key]), np.asarray(after[key])
        if a.dtype.kind in "fc":
            np.testing.assert_allclose(b, a, rtol=0, atol=1e-12, err_msg=key)
        else:
            np.testing.assert_array_equal(b, a, err_msg=key)
    np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    assert loaded.complexity_ == model.complexity_
    la, lb = model.explain_local(X[:5]), loaded.explain_local(X[:5])
    np.testing.assert_allclose(lb.values, la.values, rtol=0, atol=1e-12)


@pytest.fixture(scope="module", params=ESTIMATORS, ids=lambda c: c.__name__)
def fitted(request, named_data):
    cls = request.param
    X, y = named_data(is_classifier(cls()), n=120, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fast(cls).fit(X, y), X


def test_round_trip_every_family(fitted, tmp_path):
    model, X = fitted
    path = io.save(model, tmp_path / "model.json")
    loaded = io.load(path)
    _assert_same_model(model, loaded, X)
    X_new = X + np.random.default_rng(5).normal(size=X.shape) * 0.3  # rows not seen in fit
    _assert_same_model(model, loaded, X_new)
    doc = json.loads(path.read_text())
    assert doc["format"] == "glassbox-model" and doc["format_version"] == io.FORMAT_VERSION == 2
    assert doc["model"]["class"] == type(model).__name__  # a name from a fixed list, no path
    assert ":" not in json.dumps(doc["model"]["class"])


def test_round_trip_twice_gives_the_same_model_entry(fitted):
    model, _ = fitted
    first = json.loads(io.dumps(model))["model"]
    second = json.loads(io.dumps(io.loads(io.dumps(model))))["model"]
    assert first == second


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_round_trip_with_names_that_look_like_code(cls, named_data):
    """Column names are data: quotes, braces and Python code come back as they were."""
    X, y = named_data(is_classifier(cls()), n=100, seed=1)
    X.columns = ["a'b", 'x"y', "__import__('os').system('id')", "§ ü {x}"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fast(cls).fit(X, y)
    loaded = io.loads(io.dumps(model))
    assert str(loaded) == str(model)
    np.testing.assert_array_equal(np.asarray(loaded.predict(X)), np.asarray(model.predict(X)))


TEXT_FAMILIES = [c for c in ESTIMATORS if c.traits.categorical]


@pytest.mark.parametrize("cls", TEXT_FAMILIES, ids=lambda c: c.__name__)
def test_round_trip_with_text_columns(cls, tmp_path, credit_table):
    table = credit_table(n=240, seed=3)
    X = table[["Seniority", "Marital", "Records", "Grade", "Amount"]]
    y = table["Status"].to_numpy() if is_classifier(cls()) else table["Visits"].to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fast(cls).fit(X, y)
    loaded = io.load(io.save(model, tmp_path / "m.json"))
    _assert_same_model(model, loaded, X)
    assert loaded.input_schema_ == model.input_schema_


MULTICLASS = [c for c in CLASSIFIERS if fast(c).__sklearn_tags__().classifier_tags.multi_class]


@pytest.mark.parametrize("cls", MULTICLASS, ids=lambda c: c.__name__)
def test_round_trip_multiclass(cls, tmp_path, named_data):
    X, y = named_data(True, n=120, seed=1, n_classes=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fast(cls).fit(X, y)
    _assert_same_model(model, io.load(io.save(model, tmp_path / "m.json")), X)


def test_glm_variants_round_trip(tmp_path, named_data):
    from glassbox import GLMRegressor

    X, y = named_data(False, n=120, seed=1)
    for params in (
        {"family": "poisson", "alpha": 0.1},
        {"family": "gamma"},
        {"family": "tweedie", "power": 1.5},
        {"alpha": 0.5},
    ):
        model = GLMRegressor(**params).fit(X, np.abs(y) + 1)
        _assert_same_model(model, io.load(io.save(model, tmp_path / "m.json")), X)


def test_numpy_input_and_random_state_object(tmp_path, named_data):
    from glassbox import TreeClassifier

    X, y = named_data(True, n=120, seed=1)
    model = TreeClassifier(random_state=np.random.RandomState(3)).fit(X.to_numpy(), y)
    loaded = io.load(io.save(model, tmp_path / "m.json"))
    assert str(loaded) == str(model) and "x0" in str(loaded)
    np.testing.assert_array_equal(
        loaded.predict_proba(X.to_numpy()), model.predict_proba(X.to_numpy())
    )
    # the generator's state survives too: both draw the same next numbers
    np.testing.assert_array_equal(loaded.random_state.rand(3), model.random_state.rand(3))


def test_equations_round_trip_exactly():
    """The equation tree rebuilds the very same sympy expression (oracle: sympy's srepr)."""
    import sympy as sp

    from glassbox.io import _equation

    a, b = sp.Symbol("petal len", real=True), sp.Symbol("b", real=True)
    expr = (
        sp.Float(0.1) * sp.exp(-a)
        + sp.sin(b) ** 2
        - sp.Rational(3, 7) * sp.sqrt(sp.Abs(a))
        + sp.log(b + 2) * sp.pi
        + sp.Float("1.234567890123456789", 30) * sp.cos(a * b)
        + sp.Max(a, b)
        - sp.tanh(a)
        + sp.Integer(-5) * sp.E
    )
    node = _equation.dump(expr, ["petal len", "b"], "eq")
    back = _equation.load(json.loads(json.dumps(node)), ["petal len", "b"], "eq")
    assert sp.srepr(back) == sp.srepr(expr)


# --- surrogates --------------------------------------------------------------------


def _blackboxes():
    import xgboost as xgb
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(150, 3)), columns=["dose", "age", "bmi"])
    s = X.dose + X.age
    y2 = np.where(s > 0, "sick", "well")
    y3 = np.array(["low", "mid", "high"])[np.digitize(s, [-0.5, 0.5])]
    yr = 2 * X.dose + X.age
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return X, {
            "mlp_clf": MLPClassifier(max_iter=40, random_state=0).fit(X, y2),
            "mlp_reg": MLPRegressor(max_iter=40, random_state=0).fit(X, yr),
            "rf_clf3": RandomForestClassifier(4, random_state=0).fit(X, y3),
            "rf_reg": RandomForestRegressor(4, random_state=0).fit(X, yr),
            "et_clf": ExtraTreesClassifier(4, random_state=0).fit(X, y2),
            "et_reg": ExtraTreesRegressor(4, random_state=0).fit(X, yr),
            "gb_clf3": GradientBoostingClassifier(n_estimators=4).fit(X, y3),
            "gb_clf": GradientBoostingClassifier(n_estimators=4).fit(X, y2),
            "gb_reg": GradientBoostingRegressor(n_estimators=4).fit(X, yr),
            "dt_clf": DecisionTreeClassifier(max_depth=3).fit(X, y2),
            "dt_reg": DecisionTreeRegressor(max_depth=3).fit(X, yr),
            "logreg3": LogisticRegression().fit(X, y3),
            "linreg": LinearRegression().fit(X, yr),
            "pipe_logreg": make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y2),
            "pipe_mlp": make_pipeline(StandardScaler(), MLPRegressor(max_iter=30)).fit(X, yr),
            "xgb_clf": xgb.XGBClassifier(n_estimators=4).fit(X, (y2 == "sick").astype(int)),
            "xgb_reg": xgb.XGBRegressor(n_estimators=4).fit(X, yr),
            "xgb_booster": xgb.train(
                {"objective": "binary:logistic"},
                xgb.DMatrix(X.to_numpy(), (y2 == "sick").astype(int)),
                4,
            ),
            "bound_method": LogisticRegression().fit(X, y2).predict_proba,
        }


@pytest.fixture(scope="module")
def blackboxes():
    return _blackboxes()


BLACKBOXES = [
    "mlp_clf", "mlp_reg", "rf_clf3", "rf_reg", "et_clf", "et_reg", "gb_clf3", "gb_clf",
    "gb_reg", "dt_clf", "dt_reg", "logreg3", "linreg", "pipe_logreg", "pipe_mlp", "xgb_clf",
    "xgb_reg", "xgb_booster", "bound_method",
]  # fmt: skip


@pytest.mark.parametrize("name", BLACKBOXES)
def test_surrogate_round_trip(blackboxes, name, tmp_path):
    from surrogates import distill

    X, models = blackboxes
    bb = models[name]
    Xin = X.to_numpy() if name == "xgb_booster" else X
    sur = distill(bb, Xin, student="tree", n_queries=300, random_state=0, progress=False)
    loaded = io.load(io.save(sur, tmp_path / "sur.json"))
    assert type(loaded) is type(sur)
    assert str(loaded) == str(sur)
    np.testing.assert_array_equal(loaded.predict(Xin), sur.predict(Xin))
    # the black box itself came back: same scores as the original model (oracle: the model)
    np.testing.assert_allclose(loaded.blackbox_(Xin), sur.blackbox_(Xin), rtol=0, atol=1e-12)
    assert loaded.fidelity_ == sur.fidelity_
    pd.testing.assert_frame_equal(loaded.history_, sur.history_)
    pd.testing.assert_frame_equal(loaded.regions(), sur.regions())


def test_surrogate_with_glm_student_and_hmac(blackboxes, tmp_path):
    from surrogates import distill

    X, models = blackboxes
    sur = distill(
        models["mlp_clf"], X, student="glm", n_queries=200, random_state=0, progress=False
    )
    path = io.save(sur, tmp_path / "s.json", key=b"k3y")
    loaded = io.load(path, key=b"k3y")
    assert str(loaded) == str(sur)
    np.testing.assert_allclose(loaded.predict_proba(X), sur.predict_proba(X), rtol=0, atol=1e-12)


def test_surrogate_of_unsupported_blackbox_is_refused_at_save(blackboxes, tmp_path):
    from sklearn.neighbors import KNeighborsClassifier

    from surrogates import distill

    X, _ = blackboxes
    y = np.where(X.dose > 0, "a", "b")
    target = tmp_path / "sur.json"
    sur = distill(lambda Z: np.asarray(Z)[:, 0] * 2.0, X.to_numpy(), student="tree",
                  n_queries=100, random_state=0, progress=False)  # fmt: skip
    with pytest.raises(
        TypeError, match=r"Surrogate\.blackbox_\._fn: a black box given as .*lambda"
    ):
        io.save(sur, target)
    knn = KNeighborsClassifier(3).fit(X, y)
    sur = distill(knn, X, student="tree", n_queries=100, random_state=0, progress=False)
    with pytest.raises(TypeError, match=r"Surrogate\.blackbox_\._fn: a .*KNeighborsClassifier"):
        io.save(sur, target)
    assert not target.exists() and list(tmp_path.iterdir()) == []


# --- refusing at save what lies outside the schema ---------------------------------


def test_attribute_outside_the_schema_is_refused_with_its_path(tmp_path, named_data):
    from glassbox import TreeRegressor

    X, y = named_data(False, n=120, seed=1)
    model = TreeRegressor().fit(X, y)
    model.hook_ = {"transform": lambda v: v}
    with pytest.raises(TypeError, match=r"TreeRegressor\.hook_: attribute outside the model file"):
        io.save(model, tmp_path / "m.json")
    del model.hook_
    model.n_train_ = lambda: 3
    with pytest.raises(TypeError, match=r"TreeRegressor\.n_train_: a builtins\.function"):
        io.save(model, tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


def test_glued_on_pipeline_is_refused(tmp_path, named_data):
    """The issue's FunctionTransformer(func=glassbox.io.save) glued on as estimator_."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.tree import DecisionTreeRegressor

    from glassbox import TreeRegressor

    X, y = named_data(False, n=120, seed=1)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    model = TreeRegressor().fit(X, y)
    glue = FunctionTransformer()
    model.estimator_ = make_pipeline(glue, DecisionTreeRegressor()).fit(X.to_numpy(), y)
    glue.set_params(func=io.save, kw_args={"path": str(victim)})  # armed after fitting
    with pytest.raises(
        TypeError, match=r"TreeRegressor\.estimator_\.steps\[0\]: a FunctionTransformer"
    ):
        io.save(model, tmp_path / "m.json")
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim.txt"]


def test_unfitted_model_is_refused(tmp_path):
    from sklearn.exceptions import NotFittedError

    from glassbox import GLMRegressor

    with pytest.raises(NotFittedError):
        io.save(GLMRegressor(), tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


def test_foreign_object_is_refused(tmp_path):
    from sklearn.linear_model import LinearRegression

    with pytest.raises(TypeError, match="cannot be saved"):
        io.save(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), tmp_path / "m.json")


# --- writing -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model(named_data):
    from glassbox import GLMRegressor

    X, y = named_data(False, n=80, seed=2)
    return GLMRegressor().fit(X, y), X


def test_save_is_atomic_and_never_follows_planted_symlinks(small_model, tmp_path):
    model, X = small_model
    canary = tmp_path / "canary.txt"
    canary.write_text("do not touch")
    target = tmp_path / "m.json"
    # the old writer used P + ".tmp": a link planted there must not be followed
    os.symlink(canary, tmp_path / "m.json.tmp")
    io.save(model, target)
    assert canary.read_text() == "do not touch"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["canary.txt", "m.json", "m.json.tmp"]
    np.testing.assert_array_equal(io.load(target).predict(X), model.predict(X))


def test_failed_save_leaves_nothing_and_keeps_the_old_file(small_model, tmp_path):
    model, _ = small_model
    target = tmp_path / "m.json"
    io.save(model, target)
    before = target.read_bytes()
    model.bad_ = lambda: 0
    try:
        with pytest.raises(TypeError):
            io.save(model, target)
    finally:
        del model.bad_
    assert target.read_bytes() == before
    (tmp_path / "dir").mkdir()
    with pytest.raises(OSError):
        io.save(model, tmp_path / "dir")  # a directory: the rename fails
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "m.json"]
    assert list((tmp_path / "dir").iterdir()) == []


def test_metadata_round_trip_and_validation(small_model, tmp_path):
    model, X = small_model
    meta = {"target": "y", "dropped": ["id"], "seed": 3, "test_size": 0.25, "nested": {"a": None}}
    path = io.save(model, tmp_path / "m.json", metadata=meta)
    assert io.load_metadata(path) == meta
    np.testing.assert_array_equal(io.load(path).predict(X), model.predict(X))
    assert io.load_metadata(io.save(model, tmp_path / "n.json")) == {}
    for bad in ({"x": float("nan")}, {"x": object()}, {1: "a"}, ["not", "a", "dict"]):
        with pytest.raises(ValueError, match="metadata"):
            io.save(model, tmp_path / "bad.json", metadata=bad)
    assert not (tmp_path / "bad.json").exists()


def test_hmac_signature(small_model, tmp_path):
    model, X = small_model
    path = io.save(model, tmp_path / "m.json", key="secret")
    np.testing.assert_array_equal(io.load(path, key="secret").predict(X), model.predict(X))
    io.load(path)  # the checks do not depend on the key
    with pytest.raises(ValueError, match="HMAC does not match"):
        io.load(path, key="other")
    unsigned = io.save(model, tmp_path / "u.json")
    with pytest.raises(ValueError, match="no HMAC signature"):
        io.load(unsigned, key="secret")
    # an attacker who edits a number and recomputes the plain checksum is caught by the key
    from glassbox.io import _file

    doc = json.loads(path.read_text())
    doc["model"]["fitted"]["intercept_"] = 123.0
    doc["sha256"] = _file.checksum({k: v for k, v in doc.items() if k not in ("sha256", "hmac")})
    edited = json.dumps(doc)
    assert io.loads(edited).intercept_ == 123.0  # without a key: valid, just different
    with pytest.raises(ValueError, match="HMAC does not match"):
        io.loads(edited, key="secret")


def test_format_version_1_is_refused_with_advice():
    old = json.dumps({
        "format": "glassbox-model", "format_version": 1,
        "class": "glassbox.models.tree:TreeClassifier", "sha256": "0" * 64,
        "payload": {"object": {"__object__": "glassbox.models.tree:TreeClassifier", "state": {}}},
    })  # fmt: skip
    with pytest.raises(ValueError, match=r"format_version 1 .*fit the model again and save"):
        io.loads(old)


def test_hand_edit_is_caught_by_the_checksum(small_model):
    model, _ = small_model
    text = io.dumps(model)
    doc = json.loads(text)
    doc["model"]["fitted"]["intercept_"] = 1.0
    with pytest.raises(ValueError, match="checksum mismatch"):
        io.loads(json.dumps(doc))


def test_io_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, glassbox, glassbox.io, surrogates; heavy = [m for m in ('sklearn.tree', "
        "'xgboost', 'interpret', 'pygam', 'sympy') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_registry_lists_are_all_saveable():
    from glassbox.io._families import families

    assert {c.__name__ for c in CLASSIFIERS + REGRESSORS} == set(families())


def test_a_surrogate_file_needs_surrogates_imported_and_glassbox_never_imports_it(tmp_path):
    """glassbox never imports surrogates (design.md layers): surrogates adds Surrogate to
    the classes model files hold when it is imported, and glassbox alone says so."""
    import subprocess
    import sys

    from sklearn.linear_model import LogisticRegression

    from surrogates import distill

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    box = LogisticRegression().fit(X, X[:, 0] + X[:, 1] > 0)
    sur = distill(box.predict_proba, X, student="tree", n_queries=200, random_state=0)
    # a bound predict_proba of a scikit-learn model is saveable
    path = tmp_path / "sur.json"
    io.save(sur, path)
    code = (
        "import sys, glassbox.io as io\n"
        f"p = {str(path)!r}\n"
        "try:\n    io.load(p)\nexcept ValueError as e:\n    print('refused:', e)\n"
        "assert 'surrogates' not in sys.modules\n"
        "import surrogates\n"
        "print(type(io.load(p)).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "refused: this model file holds a surrogates.Surrogate: import surrogates" in out.stdout
    assert out.stdout.strip().endswith("Surrogate")
