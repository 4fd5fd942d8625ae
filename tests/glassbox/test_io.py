"""glassbox.io: pickle-free model files.

Every family in the registry must round-trip exactly (predictions to 1e-12,
identical text); damaged, edited, foreign or hostile files are refused with a
ValueError that names the problem, and nothing in a file is ever executed.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier

from glassbox import CLASSIFIERS, REGRESSORS, io
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


@pytest.fixture(scope="module", params=CLASSIFIERS + REGRESSORS, ids=lambda c: c.__name__)
def fitted(request, named_data):
    cls = request.param
    X, y = named_data(is_classifier(cls()), n=120, seed=1)
    return fast(cls).fit(X, y), X


def test_round_trip_every_family(fitted, tmp_path):
    model, X = fitted
    path = io.save(model, tmp_path / "model.json")
    loaded = io.load(path)
    _assert_same_model(model, loaded, X)
    # new rows, not only the training rows
    X_new = X + np.random.default_rng(5).normal(size=X.shape) * 0.3
    _assert_same_model(model, loaded, X_new)
    # the file is plain JSON with the class, versions and a checksum
    doc = json.loads(path.read_text())
    assert doc["format"] == "glassbox-model" and doc["format_version"] == io.FORMAT_VERSION
    assert doc["class"].endswith(":" + type(model).__name__)


def test_round_trip_twice_gives_the_same_file(fitted, tmp_path):
    model, _ = fitted
    first = json.loads(io.dumps(model))
    second = json.loads(io.dumps(io.loads(io.dumps(model))))
    assert first["payload"] == second["payload"]


MULTICLASS = [c for c in CLASSIFIERS if fast(c).__sklearn_tags__().classifier_tags.multi_class]


@pytest.mark.parametrize("cls", MULTICLASS, ids=lambda c: c.__name__)
def test_round_trip_multiclass(cls, tmp_path, named_data):
    X, y = named_data(True, n=120, seed=1, n_classes=3)
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


def test_numpy_only_input_and_random_state_object(tmp_path, named_data):
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


def test_exotic_values_round_trip():
    """Everything the encoder claims to handle comes back equal (oracle: the input)."""
    from glassbox._serialize import Decoder, Encoder

    nodes = np.zeros(3, dtype=np.dtype([("a", "<i8"), ("b", "<f8"), ("c", "u1")], align=True))
    nodes["b"] = [0.1, np.nan, -np.inf]
    shared = [1, 2]
    value = {
        "nan": float("nan"),
        "inf": float("inf"),
        "big": 2**70,
        "c": 1 + 2j,
        "b": b"\x00\xff",
        "t": (1, "a", None),
        "s": {1, 2},
        "fs": frozenset({"x"}),
        "np": np.float32(1.5),
        "i8": np.int64(-3),
        "obj": np.array(["a", None, 3], dtype=object),
        "nodes": nodes,
        "big_array": np.arange(5000, dtype=np.float64) / 7,
        "dtype": np.dtype("<f4"),
        "type": float,
        "ufunc": np.exp,
        "sl": slice(1, None, 2),
        (1, 2): "tuple key",
        "frame": pd.DataFrame({"x": [1.0, 2.0], "name": ["a", "b"]}, index=[3, 4]),
        "series": pd.Series([1, 2], name="s"),
        "shared1": shared,
        "shared2": shared,
    }
    back = Decoder().decode(json.loads(json.dumps(Encoder().encode(value), allow_nan=False)))
    assert np.isnan(back["nan"]) and back["inf"] == float("inf") and back["big"] == 2**70
    assert back["c"] == 1 + 2j and back["b"] == b"\x00\xff" and back["t"] == (1, "a", None)
    assert back["s"] == {1, 2} and back["fs"] == frozenset({"x"})
    assert type(back["np"]) is np.float32 and back["np"] == 1.5 and type(back["i8"]) is np.int64
    assert list(back["obj"]) == ["a", None, 3]
    assert back["nodes"].dtype == nodes.dtype
    for name in nodes.dtype.names:  # per field: NaN == NaN there
        np.testing.assert_array_equal(back["nodes"][name], nodes[name])
    np.testing.assert_array_equal(back["big_array"], value["big_array"])
    assert back["dtype"] == np.dtype("<f4") and back["type"] is float and back["ufunc"] is np.exp
    assert back["sl"] == slice(1, None, 2) and back[(1, 2)] == "tuple key"
    pd.testing.assert_frame_equal(back["frame"], value["frame"])
    pd.testing.assert_series_equal(back["series"], value["series"])
    assert back["shared1"] is back["shared2"]  # identity kept, as pickle keeps it


# --- refusing what cannot be saved safely ----------------------------------------


def test_unsafe_attribute_is_refused_with_its_path(tmp_path, named_data):
    from glassbox import TreeRegressor

    X, y = named_data(False, n=120, seed=1)
    model = TreeRegressor().fit(X, y)
    model.hook_ = {"transform": lambda v: v}
    with pytest.raises(TypeError, match=r"TreeRegressor\.hook_\['transform'\].*lambda"):
        io.save(model, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()

    class Local:
        pass

    model.hook_ = Local()
    with pytest.raises(TypeError, match=r"TreeRegressor\.hook_: class .*Local"):
        io.dumps(model)


def test_unfitted_model_is_refused(tmp_path):
    from sklearn.exceptions import NotFittedError

    from glassbox import GLMRegressor

    with pytest.raises(NotFittedError):
        io.save(GLMRegressor(), tmp_path / "m.json")


# --- damaged, edited and hostile files --------------------------------------------


@pytest.fixture(scope="module")
def model_text(named_data):
    from glassbox import TreeClassifier

    X, y = named_data(True, n=120, seed=1)
    return io.dumps(TreeClassifier(max_depth=2).fit(X, y))


def _resign(doc: dict) -> str:
    """Recompute the checksum, as an attacker (not a careless editor) would."""
    doc["sha256"] = io._checksum(doc["payload"])
    return json.dumps(doc)


def test_truncated_file(model_text, tmp_path):
    path = tmp_path / "m.json"
    path.write_text(model_text[: len(model_text) // 2])
    with pytest.raises(ValueError, match="invalid JSON.*truncated or corrupt"):
        io.load(path)


def test_binary_garbage():
    with pytest.raises(ValueError, match="invalid JSON"):
        io.loads(b"\x80\x04\x95 pickle bytes")


def test_hand_edited_number_is_detected(model_text):
    doc = json.loads(model_text)
    text = json.dumps(doc)
    edited = text.replace('"max_depth": 2', '"max_depth": 3', 1)
    assert edited != text
    with pytest.raises(ValueError, match="checksum mismatch.*hand-edited"):
        io.loads(edited)


def test_wrong_version(model_text):
    doc = json.loads(model_text)
    doc["format_version"] = 99
    with pytest.raises(ValueError, match="format_version 99.*reads version 1"):
        io.loads(json.dumps(doc))
    doc["format_version"] = "1"
    with pytest.raises(ValueError, match="no valid format_version"):
        io.loads(json.dumps(doc))


def test_not_a_model_file():
    with pytest.raises(ValueError, match="not a glassbox model file"):
        io.loads(json.dumps({"hello": "world"}))
    with pytest.raises(ValueError, match="not a glassbox model file"):
        io.loads("[1, 2, 3]")


def test_missing_entry(model_text):
    doc = json.loads(model_text)
    del doc["sha256"]
    with pytest.raises(ValueError, match="missing its 'sha256'"):
        io.loads(json.dumps(doc))


@pytest.mark.parametrize(
    "evil",
    [
        {"__object__": "os:system", "id": 0},
        {"__object__": "subprocess:Popen", "id": 0, "new_args": {"__tuple__": ["echo"]}},
        {"__function__": "builtins:eval"},
        {"__type__": "builtins:exec"},
        {"__object__": "numpy:memmap", "id": 0, "new_args": {"__tuple__": ["/tmp/x"]}},
        {"__object__": "sklearn.utils:_testing", "id": 0},
        {"__object__": "sklearn.utils._testing:os.system", "id": 0},
        {"__sympy__": {"func": "sympy:sympify", "args": []}},
        {"__function__": "numpy:save"},
        {"__function__": "pandas:read_pickle"},
        {"__method__": [{"__list__": [], "id": 99}, "clear"]},
        {"__ndarray__": {"dtype": "|O", "shape": [1], "data": "AAAAAAAAAAA="}, "id": 98},
    ],
    ids=lambda e: str(next(iter(e.values())))[:40],
)
def test_hostile_references_are_refused(model_text, evil, tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr("os.system", lambda *a: ran.append(a))
    doc = json.loads(model_text)
    doc["payload"]["object"]["state"]["__dict__"]["estimator_"] = evil
    with pytest.raises(ValueError):
        io.loads(_resign(doc))
    assert not ran
    assert not (tmp_path / "x").exists()


def test_class_header_must_match_payload(model_text):
    doc = json.loads(model_text)
    doc["class"] = "glassbox.models.tree:TreeRegressor"
    with pytest.raises(
        ValueError, match="says its class is .*TreeRegressor.*holds a TreeClassifier"
    ):
        io.loads(json.dumps(doc))


def test_malformed_array_bytes(model_text):
    doc = json.loads(model_text)
    tree = doc["payload"]["object"]["state"]["__dict__"]["estimator_"]["state"]["__dict__"]["tree_"]
    tree["state"]["__dict__"]["nodes"]["__ndarray__"]["shape"] = [70]
    with pytest.raises(ValueError, match="bytes, expected shape"):
        io.loads(_resign(doc))


# --- distilled surrogates ---------------------------------------------------------


@pytest.fixture(scope="module")
def surrogate_data(named_data):
    X, y = named_data(True, n=150, seed=1)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    black = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    return X, y, black


@pytest.mark.parametrize("student", ["tree", "glm"])
def test_surrogate_round_trip(surrogate_data, student, tmp_path):
    from surrogates import distill

    X, _, black = surrogate_data
    sur = distill(black.predict_proba, X, student=student, n_queries=400, random_state=0)
    loaded = io.load(io.save(sur, tmp_path / "sur.json"))
    assert str(loaded) == str(sur)
    np.testing.assert_array_equal(loaded.predict(X), sur.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), sur.predict_proba(X), rtol=0, atol=1e-12)
    assert loaded.fidelity_ == sur.fidelity_
    # the black box came back too: fidelity on new rows is computed the same way
    assert loaded.fidelity(X.iloc[:60]) == sur.fidelity(X.iloc[:60])


def _arrays(node, out):
    """Every array spec in a decoded-JSON payload."""
    if isinstance(node, dict):
        if "__ndarray__" in node:
            out.append(node["__ndarray__"])
        for v in node.values():
            _arrays(v, out)
    elif isinstance(node, list):
        for v in node:
            _arrays(v, out)
    return out


def test_surrogate_file_keeps_held_out_queries_not_training_queries(surrogate_data, tmp_path):
    from surrogates import distill

    X, _, black = surrogate_data
    sur = distill(
        black.predict_proba, X, student="tree", n_queries=400, n_holdout=300, random_state=0
    )
    text = io.dumps(sur)
    loaded = io.loads(text)
    # the held-out queries come back: regions() without X is the same table
    pd.testing.assert_frame_equal(loaded.regions(), sur.regions())
    assert str(loaded) == str(sur) and loaded.feature_names_ == sur.feature_names_
    assert (loaded.n_data_, loaded.n_queries_, loaded.n_holdout_) == (150, sur.n_queries_, 300)
    # no array of the file has the training queries' rows (data rows + queries)
    n_train = sur._queries.X_train.shape[0]
    shapes = [tuple(a["shape"]) for a in _arrays(json.loads(text)["payload"], [])]
    assert (300, X.shape[1]) in shapes
    assert not any(shape and shape[0] == n_train for shape in shapes)
    assert loaded._queries is None
    # saving the loaded surrogate again gives the same payload
    assert json.loads(io.dumps(loaded))["payload"] == json.loads(text)["payload"]


def _encoded_zeros(*shape: int) -> dict:
    """A float array of zeros as a model file writes it."""
    raw = np.zeros(shape).tobytes()
    spec = {"dtype": "<f8", "shape": list(shape), "data": base64.b64encode(raw).decode()}
    return {"__ndarray__": spec, "id": 997}


def _n_holdout(state: dict) -> int:
    return state["holdout_X"]["__ndarray__"]["shape"][0]


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda st: st.pop("holdout_scores"), "Surrogate state has fields"),
        (lambda st: st.update(extra={"__int__": "1"}), "Surrogate state has fields"),
        (lambda st: st.update(n_data_=-1), "n_data_ is not a count"),
        (lambda st: st.update(labels_="maybe"), "labels 'maybe' are unknown"),
        (
            lambda st: st.update(
                holdout_scores={
                    "__ndarray__": {"dtype": "<f8", "shape": [0, 2], "data": ""},
                    "id": 998,
                }
            ),
            "held-out rows but 0 answers",
        ),
        (
            lambda st: st.update(holdout_X=_encoded_zeros(_n_holdout(st), 2), input_names=None),
            "held-out rows have 2 columns; its black box takes 4",
        ),
        (
            lambda st: st.update(holdout_scores=_encoded_zeros(_n_holdout(st), 3)),
            "3 scores per held-out row; its black box gives 2",
        ),
        (lambda st: st["query_mix_"]["__dict__"].update(evil=0.0), "query mix is not shares"),
        (lambda st: st["query_mix_"]["__dict__"].update(jitter=7.0), "query mix is not shares"),
    ],
)
def test_edited_surrogate_state_is_refused(surrogate_data, edit, match):
    from surrogates import distill

    X, _, black = surrogate_data
    sur = distill(black.predict_proba, X, student="tree", n_queries=300, random_state=0)
    doc = json.loads(io.dumps(sur))
    edit(doc["payload"]["object"]["from_state"]["__dict__"])
    with pytest.raises(ValueError, match=match):
        io.loads(_resign(doc))


def test_state_protocol_only_for_classes_that_define_it(model_text):
    doc = json.loads(model_text)
    obj = doc["payload"]["object"]
    obj["from_state"] = {"__dict__": {}, "id": 999}  # a TreeClassifier has no _from_state
    with pytest.raises(ValueError, match="TreeClassifier to rebuild itself from a state"):
        io.loads(_resign(doc))


def test_surrogate_without_its_state_is_refused(surrogate_data):
    """A Surrogate written as a plain attribute dict (by hand, or by the format before it
    defined its state) would skip every check of _from_state: refused, with what to do."""
    from surrogates import distill

    X, _, black = surrogate_data
    sur = distill(black.predict_proba, X, student="tree", n_queries=300, random_state=0)
    doc = json.loads(io.dumps(sur))
    obj = doc["payload"]["object"]
    obj["state"] = obj.pop("from_state")
    with pytest.raises(ValueError, match="without its saved state.*save the model again"):
        io.loads(_resign(doc))


def test_surrogate_of_xgboost_round_trip(surrogate_data, tmp_path):
    import xgboost

    from surrogates import distill

    X, y, _ = surrogate_data
    black = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(X, (y == "yes").astype(int))
    sur = distill(black, X, student="tree", n_queries=400, random_state=0)
    loaded = io.load(io.save(sur, tmp_path / "sur.json"))
    assert str(loaded) == str(sur)
    np.testing.assert_array_equal(loaded.predict(X), sur.predict(X))
    np.testing.assert_array_equal(loaded.blackbox_.predict(X.to_numpy()), black.predict(X))


def test_surrogate_of_a_lambda_is_refused(surrogate_data, tmp_path):
    from surrogates import distill

    X, _, black = surrogate_data
    sur = distill(
        lambda A: black.predict_proba(A), X, student="tree", n_queries=300, random_state=0
    )
    with pytest.raises(TypeError, match=r"Surrogate\.blackbox_\..*lambda"):
        io.save(sur, tmp_path / "sur.json")


def test_malformed_payloads_give_value_errors(model_text):
    doc = json.loads(model_text)
    tree = doc["payload"]["object"]["state"]["__dict__"]["estimator_"]["state"]["__dict__"]["tree_"]
    nodes = tree["state"]["__dict__"]["nodes"]["__ndarray__"]
    for broken in (
        {"__ndarray__": {**nodes, "data": "!!not base64!!"}},
        {"__ndarray__": {**nodes, "data": "AAAA", "zlib": True}},
        {"__nonsense__": 1},
        [1, 2],
    ):
        tree["state"]["__dict__"]["nodes"] = broken
        with pytest.raises(ValueError):
            io.loads(_resign(doc))
    deep = "[" * 100000 + "]" * 100000
    with pytest.raises(ValueError):
        io.loads(deep)


def test_sympy_expressions_round_trip_exactly():
    """Expressions come back structurally identical (oracle: sympy's own srepr),
    rebuilt from a tree of class names, never by parsing text."""
    import sympy as sp

    from glassbox._serialize import Decoder, Encoder

    x, y = sp.symbols("x y", real=True)
    z = sp.Symbol("z")
    exprs = [
        sp.Float("2.05812345678901234", 30) * x + sp.Rational(1, 3) - sp.exp(-(y**2)) / x,
        sp.Integer(-5) * x ** sp.Float(1.5) + sp.pi * sp.sqrt(z) + sp.Abs(x),
        sp.log(x + 1) * sp.cos(y) + x * sp.E,
        sp.Max(x, 0),
        sp.Piecewise((x, x > 0), (0, True)),
        sp.Float(0.1) * x + sp.Float(1e-300),
    ]
    back = Decoder().decode(json.loads(json.dumps(Encoder().encode(exprs))))
    for original, rebuilt in zip(exprs, back):
        assert sp.srepr(rebuilt) == sp.srepr(original)
    assert back[1].free_symbols == {x, z} and next(iter(back[0].free_symbols)).is_real
