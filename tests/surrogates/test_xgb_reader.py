"""The xgboost tree reader (binary UBJSON parser, all trees converted at once)
gives exactly what a slow reference gives.

Oracles: ``json.loads`` of the booster's JSON dump (the UBJSON document must
hold the same values), a slow per-tree reference decoder in this file working
on that JSON document, and the reader's own JSON fallback path; every array of
the resulting ``TreeEnsemble`` must be identical (``np.array_equal``).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from surrogates.shap import _tree_readers as tr

xgb = pytest.importorskip("xgboost")

MISSING = 1e-8


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1] * X[:, 2]) > 0).astype(int)
    return X, y


def _cat_frame():
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "c": pd.Categorical(rng.choice(list("pqrstu"), n)),
            "b": rng.normal(size=n),
        }
    )
    frame.loc[rng.random(n) < 0.05, "c"] = np.nan
    y = frame.a + 2.0 * frame.c.isin(["p", "r", "t"]) + frame.b * (frame.c == "q")
    return frame, y.to_numpy()


def _model(kind, X, y):
    kw = dict(n_estimators=8, max_depth=3, n_jobs=1, random_state=0)
    y3 = y + (np.nan_to_num(X[:, 3]) > 0.5)
    if kind == "binary":
        return xgb.XGBClassifier(**kw).fit(X, y)
    if kind == "regressor_missing":
        Xm = np.where(np.isnan(X), MISSING, X)
        return xgb.XGBRegressor(missing=MISSING, **kw).fit(Xm, y + np.nan_to_num(X[:, 1]))
    if kind == "multiclass":
        return xgb.XGBClassifier(**kw).fit(X, y3)
    if kind == "random_forest":  # several parallel trees per round
        return xgb.XGBRFClassifier(n_estimators=4, max_depth=3, n_jobs=1).fit(X, y)
    if kind == "dart":
        return xgb.XGBRegressor(booster="dart", rate_drop=0.3, **kw).fit(X, y)
    if kind == "dart_classifier":
        return xgb.XGBClassifier(booster="dart", rate_drop=0.3, **kw).fit(X, y)
    if kind.startswith("categorical"):
        frame, yc = _cat_frame()
        onehot = 10 if kind.endswith("onehot") else 1  # one-hot / partition splits
        return xgb.XGBRegressor(enable_categorical=True, max_cat_to_onehot=onehot, **kw).fit(
            frame, yc
        )
    if kind == "vector_leaf_regressor":
        Y = np.column_stack([np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]), y])
        return xgb.XGBRegressor(multi_strategy="multi_output_tree", **kw).fit(X, Y)
    if kind == "vector_leaf_classifier":
        return xgb.XGBClassifier(multi_strategy="multi_output_tree", **kw).fit(X, y3)
    if kind == "booster":
        return xgb.train(
            {"max_depth": 3, "objective": "binary:logistic", "nthread": 1},
            xgb.DMatrix(X, label=y),
            num_boost_round=6,
        )
    raise AssertionError(kind)


KINDS = [
    "binary",
    "regressor_missing",
    "multiclass",
    "random_forest",
    "dart",
    "dart_classifier",
    "categorical_partition",
    "categorical_onehot",
    "vector_leaf_regressor",
    "vector_leaf_classifier",
    "booster",
]


def _booster(model):
    return model if isinstance(model, xgb.Booster) else model.get_booster()


def _reference_arrays(model, iteration_range=None):
    """Slow reference: the JSON document, decoded tree by tree in plain Python."""
    booster = _booster(model)
    doc = json.loads(booster.save_raw(raw_format="json"))
    gb = doc["learner"]["gradient_booster"]
    weights = None
    if gb["name"] == "dart":
        weights = [float(np.float32(w)) for w in gb["weight_drop"]]  # float32 in xgboost
        gb = gb["gbtree"]
    trees = gb["model"]["trees"]
    indptr = [int(v) for v in gb["model"]["iteration_indptr"]]
    a, b = (0, 0) if iteration_range is None else iteration_range
    keep = range(indptr[a], indptr[b] if b else indptr[-1])
    f32 = np.float32
    rows = []  # (left, right, feature, threshold, default_left, value, cover, cat_set)
    starts = [0]
    for i in keep:
        t = trees[i]
        w = 1.0 if weights is None or i >= len(weights) else weights[i]
        k = int(t["tree_param"]["size_leaf_vector"])
        cat_of = {}
        for node, s0, n0 in zip(
            t["categories_nodes"], t["categories_segments"], t["categories_sizes"], strict=True
        ):
            if t["split_type"][node] != 0:
                cat_of[node] = t["categories"][s0 : s0 + n0]
        s = starts[-1]
        for j, (lc, rc) in enumerate(zip(t["left_children"], t["right_children"], strict=True)):
            cond = f32(t["split_conditions"][j])
            if lc < 0:
                if k > 1:
                    val = [float(f32(v)) * w for v in t["leaf_weights"][rc * k : (rc + 1) * k]]
                else:
                    val = [float(cond) * w]
                rows.append(
                    (
                        -1,
                        -1,
                        -1,
                        0.0,
                        t["default_left"][j],
                        val,
                        float(f32(t["sum_hessian"][j])),
                        None,
                    )
                )
            else:
                # x < cond  <=>  x <= the next float32 below cond
                thr = float(np.nextafter(cond, f32(-np.inf)))
                val = [0.0] * (k if k > 1 else 1)
                rows.append(
                    (
                        lc + s,
                        rc + s,
                        t["split_indices"][j],
                        thr,
                        t["default_left"][j],
                        val,
                        float(f32(t["sum_hessian"][j])),
                        cat_of.get(j),
                    )
                )
        starts.append(starts[-1] + len(t["left_children"]))
    cols = list(zip(*rows, strict=True))
    cat_sets = [c for c in cols[7] if c is not None]
    out = {
        "left": np.array(cols[0], dtype=np.int64),
        "right": np.array(cols[1], dtype=np.int64),
        "feature": np.array(cols[2], dtype=np.int64),
        "threshold": np.array(cols[3], dtype=np.float64),
        "default_left": np.array(cols[4], dtype=np.uint8),
        "value": np.array(cols[5], dtype=np.float64),
        "cover": np.array(cols[6], dtype=np.float64),
        "tree_start": np.array(starts, dtype=np.int64),
        "cat_index": None,
        "cat_dir": None,
    }
    if cat_sets:
        idx, r = [], 0
        for c in cols[7]:
            idx.append(-1 if c is None else r)
            r += c is not None
        width = max(max(c) + 1 if c else 1 for c in cat_sets)
        cat_dir = np.ones((len(cat_sets), width), dtype=np.int8)
        for r, c in enumerate(cat_sets):
            for code in c:
                cat_dir[r, code] = 0
        out["cat_index"], out["cat_dir"] = np.array(idx, dtype=np.int64), cat_dir
    return out


def _same(a, b, name):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), name
        assert a.dtype == b.dtype and a.shape == b.shape, (name, a.dtype, b.dtype)
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
    elif callable(a):
        assert callable(b), name
    else:
        assert type(a) is type(b), name
        assert a == b or (a != a and b != b), (name, a, b)


def _json_doc_equal(u, j, path=""):
    """The UBJSON document holds what the JSON one holds (arrays for lists)."""
    if isinstance(j, dict):
        assert isinstance(u, dict) and list(u) == list(j), path
        for k in j:
            _json_doc_equal(u[k], j[k], f"{path}/{k}")
    elif isinstance(u, np.ndarray):
        ref = np.asarray(j, dtype=u.dtype)  # JSON prints float32 values exactly
        assert u.shape == ref.shape and np.array_equal(u, ref, equal_nan=True), path
    elif isinstance(j, list):
        assert isinstance(u, list) and len(u) == len(j), path
        for i, (a, b) in enumerate(zip(u, j, strict=True)):
            _json_doc_equal(a, b, f"{path}[{i}]")
    elif isinstance(j, float):
        assert float(np.float32(u)) == float(np.float32(j)) or (u != u and j != j), path
    else:
        assert u == j, (path, u, j)


@pytest.mark.parametrize("kind", KINDS)
def test_reader_matches_slow_reference(data, kind, monkeypatch):
    X, y = data
    model = _model(kind, X, y)
    booster = _booster(model)
    doc = tr._ubj_load(bytes(booster.save_raw(raw_format="ubj")))
    full = json.loads(booster.save_raw(raw_format="json"))
    _json_doc_equal(doc, full)
    # the reader's form leaves out the node arrays it does not use, nothing else
    lean = tr._ubj_load(bytes(booster.save_raw(raw_format="ubj")), skip=tr._XGB_UNUSED)
    gb = full["learner"]["gradient_booster"]
    for t in (gb.get("gbtree", gb))["model"]["trees"]:
        for k in tr._XGB_UNUSED:
            del t[k]
    _json_doc_equal(lean, full)
    ranges = [None] + ([(1, 3)] if kind in ("binary", "multiclass", "dart") else [])
    for rng_ in ranges:
        got = tr.read_model(model, iteration_range=rng_)
        ref = _reference_arrays(model, rng_)
        for name, want in ref.items():
            _same(getattr(got, name), want, f"{kind}:{name}")
        # the reader's JSON fallback reads the same ensemble, field by field
        with monkeypatch.context() as mp:

            def broken(buf):
                raise ValueError("forced fallback")

            mp.setattr(tr, "_ubj_load", broken)
            slow = tr.read_model(model, iteration_range=rng_)
        for f in dataclasses.fields(got):
            _same(getattr(got, f.name), getattr(slow, f.name), f"{kind}:{f.name}")
    assert got.value.flags.c_contiguous and got.value.dtype == np.float64


def test_reader_predicts_like_the_model(data):
    # a plain walk of the read trees gives xgboost's own margin (float32 sums)
    X, y = data
    model = _model("multiclass", X, y)
    ens = tr.read_model(model)
    rows = X[:40]
    out = np.tile(ens.bias, (len(rows), 1))
    for t in range(ens.n_trees):
        for r, x in enumerate(rows.astype(np.float32).astype(np.float64)):
            i = int(ens.tree_start[t])
            while ens.left[i] >= 0:
                v = x[ens.feature[i]]
                go_left = ens.default_left[i] if np.isnan(v) else v <= ens.threshold[i]
                i = int(ens.left[i] if go_left else ens.right[i])
            out[r, ens.tree_group[t]] += ens.value[i, 0]
    np.testing.assert_allclose(out, model.predict(rows, output_margin=True), atol=1e-5)


def test_ubj_parser_general_values():
    # the UBJSON forms xgboost does not write today: counted/typed containers,
    # chars, booleans, null, nested arrays, every numeric type
    import struct

    def key(s):
        return b"U" + bytes([len(s)]) + s.encode()

    buf = (
        b"{"
        + key("i")
        + b"i\xff"
        + key("U")
        + b"U\xff"
        + key("I")
        + b"I"
        + struct.pack(">h", -300)
        + key("l")
        + b"l"
        + struct.pack(">i", -70000)
        + key("L")
        + b"L"
        + struct.pack(">q", 2**40)
        + key("d")
        + b"d"
        + struct.pack(">f", 1.5)
        + key("D")
        + b"D"
        + struct.pack(">d", -2.25)
        + key("s")
        + b"SU\x03abc"
        + key("c")
        + b"Cz"
        + key("t")
        + b"T"
        + key("f")
        + b"F"
        + key("z")
        + b"Z"
        + key("ti")
        + b"[$I#U\x03"
        + struct.pack(">3h", 1, -2, 3)
        + key("td")
        + b"[$D#U\x02"
        + struct.pack(">2d", 0.5, np.nan)
        + key("e")
        + b"[$l#U\x00"
        + key("mixed")
        + b"[i\x01SU\x01x[$U#U\x02\x07\x08[]]"
        + key("counted")
        + b"[#U\x02TF"
        + key("o")
        + b"{#U\x01"
        + key("k")
        + b"i\x05"
        + b"}"
    )
    doc = tr._ubj_load(buf)
    assert list(doc) == [
        "i",
        "U",
        "I",
        "l",
        "L",
        "d",
        "D",
        "s",
        "c",
        "t",
        "f",
        "z",
        "ti",
        "td",
        "e",
        "mixed",
        "counted",
        "o",
    ]
    assert (doc["i"], doc["U"], doc["I"], doc["l"], doc["L"]) == (-1, 255, -300, -70000, 2**40)
    assert (doc["d"], doc["D"], doc["s"], doc["c"]) == (1.5, -2.25, "abc", "z")
    assert (doc["t"], doc["f"], doc["z"]) == (True, False, None)
    assert doc["ti"].dtype == np.int16 and doc["ti"].tolist() == [1, -2, 3]
    assert doc["td"][0] == 0.5 and np.isnan(doc["td"][1])
    assert doc["e"].dtype == np.int32 and doc["e"].size == 0
    assert doc["mixed"][:2] == [1, "x"]
    assert doc["mixed"][2].dtype == np.uint8 and doc["mixed"][2].tolist() == [7, 8]
    assert doc["mixed"][3] == []
    assert doc["counted"] == [True, False]
    assert doc["o"] == {"k": 5}
    with pytest.raises((ValueError, IndexError, KeyError)):
        tr._ubj_load(b"{" + key("x") + b"[$d#U\x09" + b"\x00" * 8)  # payload cut short
    with pytest.raises(ValueError):
        tr._ubj_load(b"{" + key("x") + b"L\x00\x01")  # a number cut short
    with pytest.raises(ValueError, match="marker"):
        tr._ubj_load(b"{" + key("x") + b"Q}")
