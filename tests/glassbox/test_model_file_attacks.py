"""The attacker's matrix for model files (issue 14).

Every hostile file must be refused by ``glassbox.io.load`` with a ValueError
that names the field, with nothing written, deleted or executed (marker files
and canary directories are checked), no crash (crash-prone cases run in a
subprocess whose return code is checked) and bounded memory (peak RSS measured
in a subprocess). The command line must exit 2 with one line on such files.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
import zlib

import numpy as np
import pytest
from sklearn.base import is_classifier

from glassbox import ESTIMATORS, io
from glassbox.io import _file, _plain
from glassbox.registry import fast


def _resign(doc: dict) -> str:
    """The attacker recomputes the plain checksum, so edits reach the field checks."""
    doc["sha256"] = _file.checksum({k: v for k, v in doc.items() if k not in ("sha256", "hmac")})
    return json.dumps(doc)


def _refused(text: str, match: str | None = None) -> str:
    with pytest.raises(ValueError) as info:
        io.loads(text)
    msg = str(info.value)
    assert "\n" not in msg
    if match is not None:
        assert match in msg, msg
    return msg


@pytest.fixture(scope="module")
def saved(named_data):
    """Family name -> (file text, X) of every registry class, fitted quickly."""
    out = {}
    for cls in ESTIMATORS:
        X, y = named_data(is_classifier(cls()), n=100, seed=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[cls.__name__] = (io.dumps(fast(cls).fit(X, y)), X)
    return out


def _child(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (a crash shows as a negative return code)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=timeout, cwd=os.getcwd(),
    )  # fmt: skip


_LOAD_ALL = """
    import json, sys, gc, numpy as np
    from glassbox import io
    paths = json.loads(sys.argv[1]) if len(sys.argv) > 1 else json.load(open({listing!r}))
    out = []
    for p in paths:
        try:
            m = io.load(p)
        except ValueError as exc:
            out.append(["ValueError", str(exc)])
            continue
        except Exception as exc:
            out.append([type(exc).__name__, str(exc)])
            continue
        out.append(["loaded", ""])
    gc.collect()
    print(json.dumps(out))
"""


def _load_in_child(tmp_path, texts: dict[str, str]) -> dict[str, list]:
    paths = {}
    for i, (name, text) in enumerate(texts.items()):
        p = tmp_path / f"hostile{i}.json"
        p.write_text(text)
        paths[name] = str(p)
    listing = tmp_path / "listing.json"
    listing.write_text(json.dumps(list(paths.values())))
    res = _child(_LOAD_ALL.format(listing=str(listing)))
    assert res.returncode == 0, f"child crashed ({res.returncode}): {res.stderr[-2000:]}"
    results = json.loads(res.stdout.strip().splitlines()[-1])
    return dict(zip(paths, results))


# --- hostile class names and the old decoder's tricks --------------------------------


def test_hostile_class_names_and_object_tags(saved, tmp_path):
    canary = tmp_path / "canary_dir"
    canary.mkdir()
    (canary / "keep.txt").write_text("keep")
    text, _ = saved["TreeRegressor"]
    hostile = {}
    for name in (
        "numpy.lib.npyio:DataSource",
        "os:system",
        "builtins:eval",
        "glassbox.io:save",
        "xgboost.core:DMatrix",
        "scipy.spatial:cKDTree",
        "__import__('os')",
        "",
    ):
        doc = json.loads(text)
        doc["model"]["class"] = name
        hostile[f"class {name}"] = _resign(doc)
    datasource = {
        "__object__": "numpy.lib.npyio:DataSource",
        "state": {"_istmpdest": True, "_destpath": str(canary)},
    }
    dmatrix = {"__object__": "xgboost.core:DMatrix", "state": {"handle": 12345678}}
    kdtree = {"__object__": "scipy.spatial._ckdtree:cKDTree", "state": {"data": "AAAA"}}
    for label, obj in (("DataSource", datasource), ("DMatrix", dmatrix), ("cKDTree", kdtree)):
        for field in ("n_train_", "estimator_", "input_schema_"):
            doc = json.loads(text)
            doc["model"]["fitted"][field] = obj
            hostile[f"{label} in {field}"] = _resign(doc)
        doc = json.loads(text)
        doc["model"]["params"]["random_state"] = obj
        hostile[f"{label} in a parameter"] = _resign(doc)
        doc = json.loads(text)
        doc["model"]["fitted"]["estimator_"]["fitted"]["tree_"] = obj
        hostile[f"{label} as the tree"] = _resign(doc)
        doc = json.loads(text)
        doc["payload"] = {"object": obj}
        hostile[f"{label} as a v1 payload"] = _resign(doc)
    for kind in ("xgboost.core:DMatrix", "FunctionTransformer", "KNeighborsClassifier", "Tree"):
        doc = json.loads(text)
        doc["model"]["fitted"]["estimator_"]["kind"] = kind
        hostile[f"estimator kind {kind}"] = _resign(doc)
    results = _load_in_child(tmp_path, hostile)
    for label, (kind, msg) in results.items():
        assert kind == "ValueError", (label, kind, msg)
        assert msg.startswith(("model file", "not a glassbox")), (label, msg)
    assert (canary / "keep.txt").read_text() == "keep"


# --- decision tree node tables -----------------------------------------------------


def _tree_edits():
    def arr(a):
        return _plain.encode(np.asarray(a), "x")

    def set_(key, fn):
        def edit(tree):
            tree[key] = arr(fn(_plain.decode(tree[key], "x", _plain.Budget(10**9))))

        return edit

    def child_out_of_range(a):
        a = a.copy()
        a[0] = 10**6
        return a  # noqa: E702

    def child_negative(a):
        a = a.copy()
        a[0] = -7
        return a  # noqa: E702

    def child_backwards(a):
        a = a.copy()
        i = int(np.flatnonzero(a > 0)[-1])
        a[i] = 0
        return a  # noqa: E702

    def feature_out_of_range(a):
        a = a.copy()
        a[0] = 99
        return a  # noqa: E702

    def feature_negative(a):
        a = a.copy()
        a[0] = -1
        return a  # noqa: E702

    def threshold_nan(a):
        a = a.copy()
        a[0] = np.nan
        return a  # noqa: E702

    def two_parents(a):
        a = a.copy()
        inner = np.flatnonzero(a > 0)
        a[inner[1]] = a[inner[0]]
        return a  # noqa: E702

    return {
        "left child out of range": set_("left_child", child_out_of_range),
        "right child negative": set_("right_child", child_negative),
        "child pointing back (cycle)": set_("right_child", child_backwards),
        "node with two parents": set_("left_child", two_parents),
        "feature out of range": set_("feature", feature_out_of_range),
        "feature negative": set_("feature", feature_negative),
        "threshold NaN": set_("threshold", threshold_nan),
        "values of the wrong shape": set_("values", lambda v: np.concatenate([v, v], axis=2)),
        "short node array": set_("impurity", lambda v: v[:-1].copy()),
        "n_outputs -1": lambda t: t.update(n_outputs=-1),
        "node_count 10**12": lambda t: t.update(node_count=10**12),
        "n_features 0": lambda t: t.update(n_features=0),
        "n_classes huge": lambda t: t.update(n_classes=arr(np.array([10**9]))),
        "values as text": lambda t: t.update(values="AAAA"),
        "threshold float32": set_("threshold", lambda v: v.astype(np.float32)),
    }


def test_tree_node_tables_are_validated(saved, tmp_path):
    hostile = {}
    for fam in ("TreeClassifier", "TreeRegressor"):
        text, _ = saved[fam]
        for label, edit in _tree_edits().items():
            doc = json.loads(text)
            edit(doc["model"]["fitted"]["estimator_"]["fitted"]["tree_"])
            hostile[f"{fam}: {label}"] = _resign(doc)
    results = _load_in_child(tmp_path, hostile)
    for label, (kind, msg) in results.items():
        assert kind == "ValueError", (label, kind, msg)
        assert "tree_" in msg, (label, msg)


# --- equations -------------------------------------------------------------------------


def test_equations_cannot_carry_code(saved, tmp_path):
    marker = tmp_path / "marker"
    code = f"__import__('os').system('touch {marker}')"
    text, X = saved["SymbolicRegressor"]
    base = json.loads(text)
    hostile = {
        "free symbol named code": {"sym": code},
        "symbol node with a name": {"x": code},
        "function class": {"op": "Function", "args": [{"x": 0}]},
        "eval": {"op": "eval", "args": [{"int": 1}]},
        "lambda": {"op": "Lambda", "args": [{"x": 0}, {"x": 0}]},
        "feature out of range": {"x": 99},
        "feature negative": {"x": -1},
        "text for sympify": code,
        "no args": {"op": "Add", "args": []},
        "huge float exponent": {"float": [0, "1", 10**9, 1, 53]},
        "bad mantissa": {"float": [0, "zz", 0, 1, 53]},
        "rational by zero": {"rat": [1, 0]},
        "huge power": {"op": "Pow", "args": [{"int": 2}, {"int": 10**30}]},
        "deep nesting": json.loads("{\"op\": \"sin\", \"args\": [" * 400 + "{\"x\": 0}" + "]}" * 400),
    }  # fmt: skip
    for label, node in hostile.items():
        for field in ("equation_", "_front_exprs"):
            doc = json.loads(json.dumps(base))
            if field == "equation_":
                doc["model"]["fitted"][field] = node
            else:
                doc["model"]["fitted"][field][-1] = node
            msg = _refused(_resign(doc))
            assert field in msg, (label, msg)
    assert not marker.exists()


def test_feature_names_that_look_like_code_stay_names(tmp_path):
    from glassbox import SymbolicRegressor

    marker = tmp_path / "marker"
    name = f"__import__('os').system('touch {marker}')"
    rng = np.random.default_rng(0)
    import pandas as pd

    X = pd.DataFrame({name: rng.normal(size=80), "b": rng.normal(size=80)})
    y = 3 * X[name] + 1
    model = fast(SymbolicRegressor).fit(X, y)
    loaded = io.load(io.save(model, tmp_path / "m.json"))
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=0, atol=1e-12)
    fn = loaded.to_callable()
    np.testing.assert_allclose(fn(X.to_numpy()), model.predict(X), rtol=0, atol=1e-9)
    loaded.to_latex()
    str(loaded)
    assert not marker.exists()


# --- arrays: sizes, compression, encodings ------------------------------------------


def _zeros_zlib(nbytes: int) -> bytes:
    comp = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [comp.compress(chunk) for _ in range(nbytes >> 20)]
    parts.append(comp.flush())
    return b"".join(parts)


_MEM_CHILD = """
    import json, re, resource
    import numpy as np
    from glassbox import io

    def reset_peak():  # Linux: writing 5 to clear_refs resets the peak resident set (VmHWM)
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")

    def peak_kib():
        with open("/proc/self/status") as fh:
            return int(re.search(r"VmHWM:\\s+(\\d+)", fh.read()).group(1))

    def current_kib():
        with open("/proc/self/status") as fh:
            return int(re.search(r"VmRSS:\\s+(\\d+)", fh.read()).group(1))

    paths = json.load(open({listing!r}))
    io.load(paths[0])  # a valid file first: every lazy import is done before measuring
    out = []
    for p in paths[1:]:
        reset_peak()
        now = current_kib()
        try:
            io.load(p)
            kind = "loaded"
        except ValueError as exc:
            kind = "ValueError: " + str(exc)
        out.append([kind, now, peak_kib()])
    reset_peak()
    now = current_kib()
    block = np.ones((100 << 20) // 8)  # control: the measurement must see 100 MiB
    control = peak_kib() - now
    print(json.dumps({{"loads": out, "control_kib": control, "block": float(block[-1]),
                      "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def test_compressed_and_huge_arrays_are_bounded(saved, tmp_path):
    """Peak RSS of load() on each hostile array file, measured in a fresh process."""
    text, _ = saved["GLMRegressor"]
    bomb = base64.b64encode(_zeros_zlib(700 << 20)).decode()  # 700 MB of zeros, 0.7 MB packed
    files = {}

    def with_coef(spec):
        doc = json.loads(text)
        doc["model"]["fitted"]["coef_"] = {"array": spec}
        return _resign(doc)

    files["700 MB zlib claim"] = with_coef(
        {"dtype": "<f8", "shape": [700 << 17], "zlib": True, "data": bomb}
    )
    files["small claim, 700 MB stream"] = with_coef(
        {"dtype": "<f8", "shape": [4], "zlib": True, "data": bomb}
    )
    within = base64.b64encode(zlib.compress(bytes(16 << 20), 9)).decode()  # inside the budget
    files["16 MiB array of the wrong shape"] = with_coef(
        {"dtype": "<f8", "shape": [2 << 20], "zlib": True, "data": within}
    )
    files["10**12 elements claimed"] = with_coef(
        {"dtype": "<f8", "shape": [10**6, 10**6], "data": ""}
    )
    files["2**40 per axis"] = with_coef(
        {"dtype": "<f8", "shape": [2**40, 2**40, 2**40], "data": ""}
    )
    files["list of 10**8 claimed"] = with_coef({"dtype": "object", "shape": [10**8], "items": []})
    files["text array 10**9 wide"] = with_coef(
        {"dtype": "<U1000000000", "shape": [10], "items": []}
    )
    doc = json.loads(saved["TreeRegressor"][0])
    tree = doc["model"]["fitted"]["estimator_"]["fitted"]["tree_"]
    tree["n_classes"] = _plain.encode(np.array([10**6]), "x")
    files["tree with 10**6 classes"] = _resign(doc)
    # JSON itself: the most values allowed, and the largest file allowed (one long string)
    json_files = {
        "2M nested JSON lists (3 MB)": "[" + "[[]]," * 660_000 + "[]]",
        "60 MiB string": '{"format": "glassbox-model", "x": "' + "a" * (60 << 20) + '"}',
    }
    files.update(json_files)
    listing = tmp_path / "listing.json"
    valid = tmp_path / "valid.json"
    valid.write_text(text)
    paths = [str(valid)]
    for i, t in enumerate(files.values()):
        p = tmp_path / f"a{i}.json"
        p.write_text(t)
        paths.append(str(p))
    listing.write_text(json.dumps(paths))
    res = _child(_MEM_CHILD.format(listing=str(listing)), timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["control_kib"] > 90 * 1024  # the measurement does see allocations
    peaks = {}
    for label, (kind, now, peak) in zip(files, report["loads"]):
        prefix = "ValueError: " if label in json_files else "ValueError: model file field model."
        assert kind.startswith(prefix), (label, kind)
        peaks[label] = round((peak - now) / 1024, 1)  # an upper bound of load()'s extra MiB
    worst = max(v for k, v in peaks.items() if k not in json_files)
    print(
        f"\npeak RSS of the whole child (getrusage) {report['ru_maxrss_kib'] / 1024:.0f} MiB; "
        f"peak RSS of load() above the resident set before it, per refused file (MiB): {peaks}"
    )
    assert worst < 64, peaks  # a 1.4 MB file used to peak at 2.2 GB
    # parsing is bounded by the file size (bytes and text: 2 x 64 MiB at most) and the
    # number of JSON values
    assert max(peaks[k] for k in json_files) < 192, peaks


def test_array_encodings_are_checked(saved):
    text, _ = saved["GLMRegressor"]
    coef = json.loads(text)["model"]["fitted"]["coef_"]["array"]
    cases = {
        "bad base64": {**coef, "data": "@@@@" * (len(coef["data"]) // 4)},
        "short data": {**coef, "data": coef["data"][:-4]},
        "object dtype with bytes": {**coef, "dtype": "|O"},
        "big-endian": {**coef, "dtype": ">f8"},
        "void dtype": {**coef, "dtype": "|V8"},
        "datetime": {**coef, "dtype": "<M8[s]"},
        "negative size": {**coef, "shape": [-4]},
        "five dimensions": {**coef, "shape": [1, 1, 1, 1, 4]},
        "unknown entry": {**coef, "extra": 1},
        "zlib flag on raw data": {**coef, "zlib": True},
        "zlib not a bool": {**coef, "zlib": "yes"},
        "integer dtype": {**coef, "dtype": "<i8"},
    }
    for label, spec in cases.items():
        doc = json.loads(text)
        doc["model"]["fitted"]["coef_"] = {"array": spec}
        msg = _refused(_resign(doc), "coef_")
        assert msg, label


# --- special files, sizes, JSON ------------------------------------------------------


def test_special_files_are_refused_at_once(tmp_path, saved):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    link = tmp_path / "zero.json"
    os.symlink("/dev/zero", link)
    (tmp_path / "dir.json").mkdir()
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(io.MAX_FILE_BYTES + 1)  # sparse: costs nothing on disk
    code = f"""
        import json
        from glassbox import io
        out = []
        for p in {json.dumps([str(fifo), "/dev/zero", str(link), str(tmp_path / "dir.json"), str(big)])}:
            try:
                io.load(p)
                out.append("loaded")
            except ValueError as exc:
                out.append("ValueError: " + str(exc))
        print(json.dumps(out))
    """
    res = _child(code, timeout=60)  # a blocking FIFO read would time out here
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert all(o.startswith("ValueError") for o in out), out
    assert "not a regular file" in out[0] and "not a regular file" in out[1]
    assert "over the limit" in out[4]
    # a caller who trusts a file can raise the limit
    text, X = saved["GLMRegressor"]
    p = tmp_path / "ok.json"
    p.write_text(text)
    with pytest.raises(ValueError, match="over the limit"):
        io.load(p, max_bytes=100)
    io.load(p, max_bytes=len(text) + 1)
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "missing.json")


def test_json_level_attacks(saved):
    text, _ = saved["GLMRegressor"]
    doc = json.loads(text)
    dup_top = text[:-1] + ',"format_version":2}'
    _refused(dup_top, "twice")
    inner = json.dumps(doc["model"]["fitted"]).replace('"n_train_":', '"n_train_":1,"n_train_":', 1)
    _refused(
        text.replace(json.dumps(doc["model"]["fitted"], separators=(",", ":")), inner), "twice"
    )
    for literal in ("NaN", "Infinity", "-Infinity"):
        edited = re.sub(r'"n_train_":\d+', f'"n_train_":{literal}', text)
        assert edited != text
        _refused(edited, literal)
    _refused("[" * 100_000 + "]" * 100_000)
    _refused("[" + "{}," * 2_100_000 + "{}]", "JSON values")
    _refused('{"format": "glassbox-model", "format_version": ' + "1" * 5000 + "}")
    _refused(b"\xff\xfe\x00garbage")
    _refused("")
    for cut in (1, len(text) // 3, len(text) // 2, len(text) - 1):
        _refused(text[:cut])
    _refused(json.dumps({**doc, "format_version": 3}), "format_version 3")
    _refused(json.dumps({**doc, "format_version": "2"}))
    _refused(_resign({**doc, "extra": 1}), "unknown top-level")
    _refused(json.dumps({k: v for k, v in doc.items() if k != "model"}))


def test_parameters_are_checked_by_the_class(saved):
    text, _ = saved["TreeRegressor"]
    cases = {
        "unknown parameter": lambda p: p.update(evil=1),
        "missing parameter": lambda p: p.pop("max_depth"),
        "wrong type": lambda p: p.update(max_depth="deep"),
        "negative depth": lambda p: p.update(max_depth=-3),
        "bad random state": lambda p: p.update(random_state={"random_state": {"key": 1}}),
        "object tag": lambda p: p.update(criterion={"__object__": "os:system"}),
    }
    for label, edit in cases.items():
        doc = json.loads(text)
        edit(doc["model"]["params"])
        msg = _refused(_resign(doc), "params")
        assert msg, label
    for fam in ("EBMRegressor", "SymbolicRegressor"):  # a million workers at predict
        doc = json.loads(saved[fam][0])
        doc["model"]["params"]["n_jobs"] = 10**6
        _refused(_resign(doc), "params.n_jobs")


# --- wrong types (every nested field of every family: test_model_file_fuzz.py) ---------

WRONG = [
    "§", -1, 1.5, True, None, [], [1, "a"], {"dict": [["k", 1]]}, {"tuple": ["a"]},
    {"float": "nan"}, {"array": {"dtype": "<f8", "shape": [2], "data": "AAAAAAAAAAAAAAAAAAAAAA=="}},
    {"array": {"dtype": "object", "shape": [1], "items": ["a"]}}, {"nope": 1},
]  # fmt: skip


# --- surrogates: black boxes and xgboost models ---------------------------------------


@pytest.fixture(scope="module")
def surrogate_texts():
    import pandas as pd
    import xgboost as xgb
    from sklearn.linear_model import LogisticRegression

    from surrogates import distill

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    y = (X.a + X.b > 0).astype(int)
    out = {}
    for name, bb in (
        ("logreg", LogisticRegression().fit(X, y)),
        ("xgb", xgb.XGBClassifier(n_estimators=3, max_depth=2).fit(X, y)),
    ):
        sur = distill(bb, X, student="tree", n_queries=150, random_state=0, progress=False)
        out[name] = io.dumps(sur)
    return out


def test_hostile_black_boxes(surrogate_texts, tmp_path):
    marker = tmp_path / "marker"
    text = surrogate_texts["logreg"]
    hostile = {}
    for method in ("fit", "__init__", "save_model", "set_params", "__class__"):
        doc = json.loads(text)
        doc["model"]["state"]["blackbox_"]["method"] = method
        hostile[f"method {method}"] = _resign(doc)
    for kind in ("FunctionTransformer", "Pipeline", "os:system"):
        doc = json.loads(text)
        doc["model"]["state"]["blackbox_"]["model"]["kind"] = kind
        hostile[f"kind {kind}"] = _resign(doc)
    doc = json.loads(text)
    lr = doc["model"]["state"]["blackbox_"]["model"]
    doc["model"]["state"]["blackbox_"]["model"] = {
        "kind": "Pipeline", "verbose": False,
        "steps": [["glue", {"kind": "FunctionTransformer", "params": {"func": "glassbox.io:save",
                   "kw_args": {"dict": [["path", str(marker)]]}}, "fitted": {}}], ["lr", lr]],
    }  # fmt: skip
    hostile["pipeline with FunctionTransformer"] = _resign(doc)
    doc = json.loads(text)
    doc["model"]["state"]["student_"]["class"] = "Surrogate"
    hostile["surrogate as its own student"] = _resign(doc)
    doc = json.loads(text)
    doc["model"]["state"]["holdout_X"] = _plain.encode(np.zeros((3, 7)), "x")
    hostile["held-out rows of another width"] = _resign(doc)
    # xgboost's own JSON with indices out of range: checked before xgboost sees it
    xdoc = json.loads(surrogate_texts["xgb"])
    bbm = xdoc["model"]["state"]["blackbox_"]["model"]
    model_json = json.loads(base64.b64decode(bbm["model_json"]))

    def tree0(key, value):
        def edit(mj):
            mj["learner"]["gradient_booster"]["model"]["trees"][0][key][0] = value

        return edit

    def param(*keys, value):
        def edit(mj):
            node = mj["learner"]
            for k in keys[:-1]:
                node = node[k]
            node[keys[-1]] = value

        return edit

    gbm = ("gradient_booster", "model")
    edits = {
        "split feature 99": tree0("split_indices", 99),
        "left child 10**6": tree0("left_children", 10**6),
        "right child -5": tree0("right_children", -5),
        "wrong parent": tree0("parents", 5),
        "categorical split": tree0("split_type", 1),
        # these made xgboost itself segfault, hang or exhaust memory before the checks:
        "size_leaf_vector 10**6": lambda mj: mj["learner"]["gradient_booster"]["model"]["trees"][0][
            "tree_param"
        ].update(size_leaf_vector="1000000"),
        "num_class 10**9": param("learner_model_param", "num_class", value="1000000000"),
        "num_feature 10**9": param("learner_model_param", "num_feature", value="1000000000"),
        "num_trees 10**6": param(*gbm, "gbtree_model_param", "num_trees", value="1000000"),
        "iteration_indptr past the end": param(*gbm, "iteration_indptr", value=[0, 1000]),
        "gblinear": param("gradient_booster", "name", value="gblinear"),
    }
    for label, edit in edits.items():
        mj = json.loads(json.dumps(model_json))
        edit(mj)
        d = json.loads(json.dumps(xdoc))
        d["model"]["state"]["blackbox_"]["model"]["model_json"] = base64.b64encode(
            json.dumps(mj).encode()
        ).decode()
        hostile[f"xgboost {label}"] = _resign(d)
    d = json.loads(json.dumps(xdoc))
    d["model"]["state"]["blackbox_"]["model"]["model_json"] = base64.b64encode(
        b'{"learner": 1}'
    ).decode()
    hostile["xgboost not a model"] = _resign(d)
    results = _load_in_child(tmp_path, hostile)
    for label, (kind, msg) in results.items():
        assert kind == "ValueError", (label, kind, msg)
    assert not marker.exists()


# --- the command line -------------------------------------------------------------------


def test_cli_refuses_hostile_files_with_one_line(saved, tmp_path):
    canary = tmp_path / "canary_dir"
    canary.mkdir()
    text, X = saved["TreeRegressor"]
    data = tmp_path / "data.csv"
    X.to_csv(data, index=False)
    doc = json.loads(text)
    doc["model"]["fitted"]["n_train_"] = {
        "__object__": "numpy.lib.npyio:DataSource",
        "state": {"_istmpdest": True, "_destpath": str(canary)},
    }
    hostile = tmp_path / "hostile.json"
    hostile.write_text(_resign(doc))
    doc = json.loads(text)
    doc["model"]["fitted"]["estimator_"]["fitted"]["n_outputs_"] = -1
    bad_outputs = tmp_path / "outputs.json"
    bad_outputs.write_text(_resign(doc))
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    exe = [sys.executable, "-m", "glassbox.cli"]
    report = ["report", "-o", str(tmp_path / "r.html")]
    for args in (
        ["explain", str(hostile), str(data)],
        [*report, str(hostile)],
        ["explain", str(fifo), str(data)],
        [*report, str(bad_outputs)],
    ):
        if True:
            res = subprocess.run(exe + args, capture_output=True, text=True, timeout=120)
            assert res.returncode == 2, (args, res.stderr[-1500:])
            lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
            assert len(lines) == 1, res.stderr
            assert "Traceback" not in res.stderr
    assert canary.exists() and not (tmp_path / "r.html").exists()


def _field_paths(node, prefix=()):
    """Paths of every named field under ``node`` (plain-value tags are leaves)."""
    tags = ("array", "dict", "tuple", "float", "scalar", "random_state")
    if isinstance(node, dict) and not (len(node) == 1 and next(iter(node)) in tags):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _field_paths(v, (*prefix, k))


def test_wrong_types_in_every_surrogate_field(surrogate_texts):
    import pandas as pd

    text = surrogate_texts["logreg"]
    X = pd.DataFrame(np.random.default_rng(1).normal(size=(20, 3)), columns=["a", "b", "c"])
    n_refused = n_loaded = 0
    for path in _field_paths(json.loads(text)["model"]):
        for value in WRONG:
            doc = json.loads(text)
            node = doc["model"]
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            try:
                sur = io.loads(_resign(doc))
            except ValueError as exc:
                assert str(exc).startswith("model file"), (path, value, str(exc))
                n_refused += 1
                continue
            n_loaded += 1  # the value fits the field's type: the surrogate still works
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sur.predict(X)
                str(sur)
                sur.regions()
                sur.blackbox_(X)
    assert n_refused > 10 * n_loaded
