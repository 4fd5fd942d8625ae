"""Read tree ensembles into flat numpy arrays for the TreeSHAP kernels.

Every supported model becomes one :class:`TreeEnsemble`: all trees' nodes
concatenated (child indices are global), one decision rule for all
(``x <= threshold`` goes left, NaN follows ``default_left``), and leaf values
already scaled so that the model's raw output is ``bias + sum of leaf values``.

Decision rule. Both libraries compare the input cast to float32: scikit-learn
tests ``x32 <= threshold``; xgboost tests ``x32 < threshold32``, which for
float32 inputs equals ``x32 <= nextafter(threshold32, -inf)``, so xgboost
thresholds are moved down one float32 ulp and every model shares one kernel.

Scales (as ``shap.TreeExplainer`` gives them, so values can be compared):
xgboost and scikit-learn GradientBoosting* explain the raw margin (log-odds
for binary, per-class margins for multiclass, log for count objectives);
scikit-learn DecisionTree*/RandomForest*/ExtraTrees* classifiers and glassbox
TreeClassifier explain class probabilities (one output per class).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np


@dataclass
class TreeEnsemble:
    left: np.ndarray  # (n_nodes,) int64, global index of the left child, -1 at leaves
    right: np.ndarray  # (n_nodes,) int64
    feature: np.ndarray  # (n_nodes,) int64, -1 at leaves
    threshold: np.ndarray  # (n_nodes,) float64; x <= threshold goes left
    default_left: np.ndarray  # (n_nodes,) uint8; where NaN goes
    value: np.ndarray  # (n_nodes, n_values) float64, leaf values (scaled)
    cover: np.ndarray  # (n_nodes,) float64, training weight through each node
    tree_start: np.ndarray  # (n_trees + 1,) int64 offsets into the node arrays
    tree_group: np.ndarray  # (n_trees,) int64: output index, or -1 = value columns are outputs
    bias: np.ndarray  # (n_outputs,) raw-output constant (base_score, init estimator)
    n_features: int
    n_outputs: int
    output_names: tuple[str, ...]
    link: str  # scale the raw output lives on
    allow_nan: bool
    float32_values: bool  # xgboost: leaf values and predictions are float32
    predict_raw: object  # callable X (float64 2-D) -> (n, n_outputs) model's own raw output
    feature_names: tuple[str, ...] | None = None
    # glassbox trees split in float64 on their own encoding of the user's columns
    # (level codes for categories): ``encode`` turns raw X into that matrix
    float32_inputs: bool = True
    encode: object = None

    @property
    def n_trees(self) -> int:
        return len(self.tree_start) - 1


def read_model(model) -> TreeEnsemble:
    """Dispatch on the model type; a clear TypeError for anything unsupported."""
    mod = type(model).__module__
    name = type(model).__name__
    if mod.startswith("xgboost"):
        return _read_xgboost(model)
    if mod.startswith("glassbox") and hasattr(model, "split_conditions"):
        return _read_glassbox_tree(model)
    if mod.startswith("sklearn"):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(model)
        if name in (
            "DecisionTreeRegressor",
            "DecisionTreeClassifier",
            "ExtraTreeRegressor",
            "ExtraTreeClassifier",
        ):
            return _read_sklearn_forest(model, [model])
        if name in (
            "RandomForestRegressor",
            "RandomForestClassifier",
            "ExtraTreesRegressor",
            "ExtraTreesClassifier",
        ):
            return _read_sklearn_forest(model, list(model.estimators_))
        if name in ("GradientBoostingRegressor", "GradientBoostingClassifier"):
            return _read_sklearn_gb(model)
    raise TypeError(
        f"tree_shap does not support {mod}.{name}; supported: xgboost Booster/XGBRegressor/"
        "XGBClassifier, scikit-learn DecisionTree*, RandomForest*, ExtraTrees*, "
        "GradientBoosting*, and glassbox TreeClassifier/TreeRegressor. For any other model "
        "use kernel_shap or exact_shap"
    )


def _concat(trees: list[dict], n_values: int) -> dict:
    """Concatenate per-tree arrays, shifting child indices to global ones."""
    sizes = np.array([len(t["left"]) for t in trees], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    out = {k: np.concatenate([t[k] for t in trees]) for k in ("feature", "threshold", "cover")}
    for side in ("left", "right"):
        out[side] = np.concatenate(
            [
                np.where(t[side] >= 0, t[side] + s, -1)
                for t, s in zip(trees, start[:-1], strict=True)
            ]
        ).astype(np.int64)
    out["default_left"] = np.concatenate([t["default_left"] for t in trees]).astype(np.uint8)
    out["value"] = np.ascontiguousarray(
        np.concatenate([t["value"] for t in trees]).reshape(-1, n_values), dtype=np.float64
    )
    out["feature"] = out["feature"].astype(np.int64)
    out["threshold"] = out["threshold"].astype(np.float64)
    out["cover"] = out["cover"].astype(np.float64)
    out["tree_start"] = start
    return out


def _sk_tree(est, scale: float, normalise: bool, n_values: int) -> dict:
    t = est.tree_
    value = t.value.reshape(t.node_count, -1).astype(np.float64)
    if value.shape[1] != n_values:
        raise TypeError("multi-output scikit-learn trees are not supported by tree_shap")
    if normalise:  # class fractions, as predict_proba gives them
        value = value / value.sum(axis=1, keepdims=True)
    missing = getattr(t, "missing_go_to_left", None)
    return {
        "left": t.children_left.astype(np.int64),
        "right": t.children_right.astype(np.int64),
        "feature": np.where(t.children_left >= 0, t.feature, -1),
        "threshold": t.threshold,
        "default_left": (np.ones(t.node_count) if missing is None else np.asarray(missing)),
        "value": value * scale,
        "cover": t.weighted_n_node_samples,
    }


def _read_glassbox_tree(model) -> TreeEnsemble:
    """A glassbox tree through its public ``nodes()``: thresholds in the user's units
    (the short printed numbers), compared in float64 as its ``predict`` does."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    nodes = model.nodes()
    leaf = nodes.left < 0
    tree = {
        "left": nodes.left.astype(np.int64),
        "right": nodes.right.astype(np.int64),
        "feature": nodes.feature.astype(np.int64),
        "threshold": np.where(leaf, 0.0, nodes.threshold),
        "default_left": np.asarray(model.estimator_.tree_.missing_go_to_left, dtype=np.uint8),
        "value": nodes.value,
        "cover": model.estimator_.tree_.weighted_n_node_samples,
    }
    n_values = nodes.value.shape[1]
    arrays = _concat([tree], n_values)
    clf = hasattr(model, "classes_")
    predict = model.predict_proba if clf else model.predict
    return TreeEnsemble(
        **arrays,
        tree_group=np.full(1, -1, dtype=np.int64),
        bias=np.zeros(n_values),
        n_features=int(model.n_features_in_),
        n_outputs=n_values,
        output_names=nodes.output_names if clf else (),
        link="identity",
        allow_nan=True,
        float32_values=False,
        # checked on the user's rows (the encoding is the model's own)
        predict_raw=lambda X: np.asarray(predict(X), dtype=np.float64).reshape(len(X), -1),
        feature_names=tuple(model.feature_names_),
        float32_inputs=False,
        encode=model.encoded,
    )


def _allow_nan(model) -> bool:
    try:
        from sklearn.utils import get_tags

        return bool(get_tags(model).input_tags.allow_nan)
    except Exception:  # older scikit-learn: no missing-value support in trees
        return False


def _read_sklearn_forest(model, trees: list) -> TreeEnsemble:
    from sklearn.base import is_classifier

    clf = is_classifier(model)
    if getattr(trees[0], "n_outputs_", 1) != 1:
        raise TypeError("multi-output scikit-learn trees are not supported by tree_shap")
    if clf:
        classes = [str(c) for c in model.classes_]
        n_values = len(classes)
        predict = model.predict_proba
    else:
        classes = []
        n_values = 1
        predict = model.predict
    parts = [_sk_tree(t, 1.0 / len(trees), clf, n_values) for t in trees]
    arrays = _concat(parts, n_values)
    return TreeEnsemble(
        **arrays,
        tree_group=np.full(len(trees), -1, dtype=np.int64),
        bias=np.zeros(n_values),
        n_features=int(model.n_features_in_),
        n_outputs=n_values,
        output_names=tuple(classes),
        link="identity",
        allow_nan=_allow_nan(model),
        float32_values=False,
        predict_raw=lambda X: np.asarray(predict(_np_or_names(model, X)), dtype=np.float64).reshape(
            len(X), -1
        ),
        feature_names=_names(model),
    )


def _names(model):
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else tuple(str(n) for n in names)


def _np_or_names(model, X):
    """Call scikit-learn with a DataFrame when it was fitted on one (no name warning)."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return X
    import pandas as pd

    return pd.DataFrame(X, columns=names)


def _read_sklearn_gb(model) -> TreeEnsemble:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    init = model.init_
    if not (isinstance(init, str) and init == "zero") and not isinstance(
        init, (DummyClassifier, DummyRegressor)
    ):
        raise TypeError(
            f"tree_shap supports GradientBoosting* only with the default init estimator or "
            f"init='zero'; this model's init is {type(init).__name__}, whose output is not a tree"
        )
    stages, k = model.estimators_.shape
    x0 = np.zeros((1, model.n_features_in_))
    bias = np.asarray(model._raw_predict_init(_np_or_names(model, x0)), dtype=np.float64).reshape(
        -1
    )
    parts, groups = [], []
    for s in range(stages):
        for j in range(k):
            parts.append(_sk_tree(model.estimators_[s, j], model.learning_rate, False, 1))
            groups.append(j)
    arrays = _concat(parts, 1)
    clf = hasattr(model, "classes_")
    if clf and k == 1:
        names, link = (str(model.classes_[1]),), "logit"
    elif clf:
        names, link = tuple(str(c) for c in model.classes_), "softmax"
    else:
        names, link = (), "identity"

    # public API for the raw score: decision_function (classifiers) / predict (regressors)
    raw = model.decision_function if clf else model.predict

    def predict_raw(X):
        return np.asarray(raw(_np_or_names(model, X)), dtype=np.float64).reshape(len(X), -1)

    return TreeEnsemble(
        **arrays,
        tree_group=np.asarray(groups, dtype=np.int64),
        bias=bias,
        n_features=int(model.n_features_in_),
        n_outputs=k,
        output_names=names,
        link=link,
        allow_nan=_allow_nan(model),
        float32_values=False,
        predict_raw=predict_raw,
        feature_names=_names(model),
    )


_NUM = {b"i": ">i1", b"U": ">u1", b"I": ">i2", b"l": ">i4", b"L": ">i8", b"d": ">f4", b"D": ">f8"}


def _ubj_load(buf: bytes):
    """Minimal UBJSON reader for xgboost's binary model; typed arrays become numpy."""
    mv = memoryview(buf)
    pos = 0

    def read_int(marker):
        nonlocal pos
        dt = np.dtype(_NUM[marker])
        v = int(np.frombuffer(mv[pos : pos + dt.itemsize], dt)[0])
        pos += dt.itemsize
        return v

    def read_len():
        nonlocal pos
        m = bytes(mv[pos : pos + 1])
        pos += 1
        return read_int(m)

    def value(marker):
        nonlocal pos
        if marker in _NUM:
            dt = np.dtype(_NUM[marker])
            v = np.frombuffer(mv[pos : pos + dt.itemsize], dt)[0]
            pos += dt.itemsize
            return v.item()
        if marker == b"S":
            n = read_len()
            s = bytes(mv[pos : pos + n]).decode()
            pos += n
            return s
        if marker == b"C":
            pos += 1
            return chr(mv[pos - 1])
        if marker == b"T":
            return True
        if marker == b"F":
            return False
        if marker == b"Z":
            return None
        if marker == b"[":
            return array()
        if marker == b"{":
            return obj()
        raise ValueError(f"unknown UBJSON marker {marker!r} at {pos}")

    def array():
        nonlocal pos
        typ = None
        if mv[pos : pos + 1] == b"$":
            typ = bytes(mv[pos + 1 : pos + 2])
            pos += 2
        if mv[pos : pos + 1] == b"#":
            pos += 1
            n = read_len()
            if typ in _NUM:
                dt = np.dtype(_NUM[typ])
                arr = np.frombuffer(mv[pos : pos + n * dt.itemsize], dt).astype(
                    dt.newbyteorder("=")
                )
                pos += n * dt.itemsize
                return arr
            out = []
            for _ in range(n):
                if typ is None:
                    m = bytes(mv[pos : pos + 1])
                    pos += 1
                else:
                    m = typ
                out.append(value(m))
            return out
        out = []
        while True:
            m = bytes(mv[pos : pos + 1])
            pos += 1
            if m == b"]":
                return out
            out.append(value(m))

    def obj():
        nonlocal pos
        out = {}
        typ = None
        if mv[pos : pos + 1] == b"$":
            typ = bytes(mv[pos + 1 : pos + 2])
            pos += 2
        count = None
        if mv[pos : pos + 1] == b"#":
            pos += 1
            count = read_len()
        i = 0
        while count is None or i < count:
            if count is None and mv[pos : pos + 1] == b"}":
                pos += 1
                return out
            n = read_len()
            key = bytes(mv[pos : pos + n]).decode()
            pos += n
            if typ is None:
                m = bytes(mv[pos : pos + 1])
                pos += 1
            else:
                m = typ
            out[key] = value(m)
            i += 1
        return out

    m = bytes(mv[0:1])
    pos = 1
    return value(m)


_LOGIT = ("binary:logistic", "reg:logistic", "binary:logitraw")
_LOG = ("count:poisson", "reg:gamma", "reg:tweedie", "survival:cox")


def _read_xgboost(model) -> TreeEnsemble:
    import xgboost as xgb

    if isinstance(model, xgb.Booster):
        booster = model
    elif hasattr(model, "get_booster"):
        booster = model.get_booster()  # raises xgboost's NotFittedError when unfitted
    else:
        raise TypeError(f"tree_shap does not support xgboost {type(model).__name__}")
    try:  # binary UBJSON: typed arrays map straight to numpy, ~2x faster than JSON
        doc = _ubj_load(bytes(booster.save_raw(raw_format="ubj")))
    except (ValueError, KeyError, IndexError, TypeError):
        doc = json.loads(booster.save_raw(raw_format="json"))
    learner = doc["learner"]
    gb = learner["gradient_booster"]
    if gb.get("name") == "dart":
        gb = gb["gbtree"]
    if gb.get("name") not in ("gbtree", None) or "model" not in gb:
        raise TypeError(
            f"tree_shap needs a tree booster; this xgboost model uses {gb.get('name')!r}"
        )
    objective = learner["objective"]["name"]
    param = learner["learner_model_param"]
    n_features = int(param["num_feature"])
    n_class = int(param.get("num_class", "0"))
    n_target = int(param.get("num_target", "1"))
    trees_json = gb["model"]["trees"]
    tree_info = np.asarray(gb["model"]["tree_info"], dtype=np.int64)
    n_outputs = max(n_class, n_target, 1)
    parts = []
    for t in trees_json:
        if int(t["tree_param"].get("size_leaf_vector", "1")) > 1:
            raise TypeError(
                "tree_shap does not support xgboost vector-leaf trees (multi_strategy="
                "'multi_output_tree'); refit with multi_strategy='one_output_per_tree'"
            )
        if any(int(s) != 0 for s in t["split_type"]):
            raise TypeError(
                "tree_shap does not support xgboost categorical splits (enable_categorical=True); "
                "one-hot encode the categorical features or use kernel_shap"
            )
        left = np.asarray(t["left_children"], dtype=np.int64)
        cond = np.asarray(t["split_conditions"], dtype=np.float32)
        leaf = left < 0
        # x < t  <=>  x <= nextafter(t, -inf) for float32 x
        thr = np.nextafter(cond, np.float32(-np.inf)).astype(np.float64)
        parts.append(
            {
                "left": left,
                "right": np.asarray(t["right_children"], dtype=np.int64),
                "feature": np.where(leaf, -1, np.asarray(t["split_indices"], dtype=np.int64)),
                "threshold": np.where(leaf, 0.0, thr),
                "default_left": np.asarray(t["default_left"], dtype=np.uint8),
                "value": np.where(leaf, cond.astype(np.float64), 0.0),
                "cover": np.asarray(t["sum_hessian"], dtype=np.float64),
            }
        )
    if not parts:
        raise ValueError("this xgboost model has no trees; fit it first")
    arrays = _concat(parts, 1)
    base = np.asarray(
        [float(v) for v in str(param["base_score"]).strip("[]").split(",")], dtype=np.float64
    )
    base = (
        np.broadcast_to(base, (n_outputs,)).astype(np.float64)
        if base.size in (1, n_outputs)
        else np.zeros(n_outputs)
    )
    if objective in ("binary:logistic", "reg:logistic"):
        base = np.log(base / (1.0 - base))
    elif objective in _LOG:
        base = np.log(base)
    if objective in _LOGIT:
        link = "logit"
    elif objective.startswith("multi:"):
        link = "softmax"
    elif objective in _LOG:
        link = "log"
    else:
        link = "identity"

    def predict_raw(X):
        # the booster checks names when it was fitted on a DataFrame
        dm = xgb.DMatrix(
            np.asarray(X, dtype=np.float32),
            missing=np.nan,
            feature_names=booster.feature_names,
            feature_types=booster.feature_types,
        )
        return np.asarray(booster.predict(dm, output_margin=True), dtype=np.float64).reshape(
            len(X), -1
        )

    names = None
    if booster.feature_names is not None:
        names = tuple(booster.feature_names)
    classes = getattr(model, "classes_", None)
    if n_outputs > 1 and classes is not None and len(classes) == n_outputs:
        out_names = tuple(str(c) for c in classes)
    elif n_outputs > 1:
        out_names = tuple(f"output{k}" for k in range(n_outputs))
    elif classes is not None and len(classes) == 2:
        out_names = (str(classes[1]),)
    else:
        out_names = ()
    return TreeEnsemble(
        **arrays,
        tree_group=tree_info if n_outputs > 1 else np.zeros(len(parts), dtype=np.int64),
        bias=base,
        n_features=n_features,
        n_outputs=n_outputs,
        output_names=out_names,
        link=link,
        allow_nan=True,
        float32_values=True,
        predict_raw=predict_raw,
        feature_names=names,
    )
