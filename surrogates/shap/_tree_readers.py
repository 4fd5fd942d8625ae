"""Read tree ensembles into flat numpy arrays for the TreeSHAP kernels.

Every supported model becomes one :class:`TreeEnsemble`: all trees' nodes
concatenated (child indices are global), one decision rule for all
(``x <= threshold`` goes left, NaN follows ``default_left``), and leaf values
already scaled so that the model's raw output is ``bias + sum of leaf values``.

Decision rule. Both libraries compare the input cast to float32: scikit-learn
tests ``x32 <= threshold``; xgboost tests ``x32 < threshold32``, which for
float32 inputs equals ``x32 <= nextafter(threshold32, -inf)``, so xgboost
thresholds are moved down one float32 ulp and every model shares one kernel.

HistGradientBoosting* compares in float64 (``float32_inputs=False``);
categorical splits (HistGradientBoosting bitsets, xgboost category sets) are
per-node look-up rows in ``cat_dir``; xgboost's non-NaN ``missing`` value is
in ``missing`` (inputs equal to it are missing, as NaN is).

Scales (as ``shap.TreeExplainer`` gives them, so values can be compared):
xgboost and scikit-learn (Hist)GradientBoosting* explain the raw margin
(log-odds for binary, per-class margins for multiclass, log for count
objectives); scikit-learn DecisionTree*/RandomForest*/ExtraTrees* classifiers
and glassbox TreeClassifier explain class probabilities (one output per class,
or per (target, class) for multi-output forests); IsolationForest the mean
path length.
"""

from __future__ import annotations

import json
import struct
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
    # xgboost's ``missing``: inputs equal to it (compared in float32) are missing too,
    # as NaN always is; NaN here means "NaN only"
    missing: float = float("nan")
    # trees explained, as [start, stop) boosting rounds; (0, 0) = all
    iteration_range: tuple[int, int] = (0, 0)
    # categorical splits: cat_index[node] is the node's row of cat_dir (-1: numeric
    # split); cat_dir[row, code] is 1 (left), 0 (right) or 2 (the missing-value rule,
    # for unknown categories); codes outside [0, width) follow the missing-value rule
    cat_index: np.ndarray | None = None
    cat_dir: np.ndarray | None = None

    @property
    def n_trees(self) -> int:
        return len(self.tree_start) - 1


def read_model(model, *, iteration_range=None) -> TreeEnsemble:
    """Dispatch on the model type; a clear TypeError for anything unsupported.

    ``iteration_range`` (xgboost only, as in ``Booster.predict``): the boosting
    rounds [start, stop) to read; None reads what the model's ``predict`` uses
    (``best_iteration`` for an early-stopped scikit-learn wrapper, else all)."""
    mod = type(model).__module__
    name = type(model).__name__
    if mod.startswith("xgboost"):
        return _read_xgboost(model, iteration_range)
    if iteration_range is not None:
        raise ValueError("iteration_range applies to xgboost models only")
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
        if name in ("HistGradientBoostingRegressor", "HistGradientBoostingClassifier"):
            return _read_sklearn_hgb(model)
        if name == "IsolationForest":
            return _read_isolation_forest(model)
    raise TypeError(
        f"tree_shap does not support {mod}.{name}; supported: xgboost Booster/XGBRegressor/"
        "XGBClassifier, scikit-learn DecisionTree*, RandomForest*, ExtraTrees*, "
        "GradientBoosting*, HistGradientBoosting*, IsolationForest, and glassbox "
        "TreeClassifier/TreeRegressor. For any other model "
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


def _sk_tree(est, scale: float, normalise: bool, n_values: int, n_classes=None) -> dict:
    """One scikit-learn tree. Multi-output trees give one value column per output
    (regression) or per (output, class) pair, class fractions normalised within
    each output (classification; ``n_classes`` per output)."""
    t = est.tree_
    raw = t.value.astype(np.float64)  # (nodes, n_outputs, max_classes)
    if n_classes is not None and raw.shape[1] > 1:
        cols = []
        for j, c in enumerate(n_classes):
            v = raw[:, j, :c]
            cols.append(v / v.sum(axis=1, keepdims=True) if normalise else v)
        value = np.concatenate(cols, axis=1)
    else:
        value = raw.reshape(t.node_count, -1)
        if normalise:  # class fractions, as predict_proba gives them
            value = value / value.sum(axis=1, keepdims=True)
    if value.shape[1] != n_values:
        raise TypeError(
            f"tree_shap cannot read this scikit-learn tree: {value.shape[1]} values per node, "
            f"expected {n_values}"
        )
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
    n_out = int(getattr(model, "n_outputs_", 1))
    n_classes = None
    if clf and n_out > 1:  # one output per (target, class), as predict_proba's list
        n_classes = [len(c) for c in model.classes_]
        names = tuple(f"{j}:{c}" for j, cs in enumerate(model.classes_) for c in cs)
        n_values = len(names)

        def predict(X):
            return np.hstack(model.predict_proba(X))
    elif clf:
        names = tuple(str(c) for c in model.classes_)
        n_values = len(names)
        predict = model.predict_proba
    else:
        names = tuple(f"output{j}" for j in range(n_out)) if n_out > 1 else ()
        n_values = n_out
        predict = model.predict
    parts = [_sk_tree(t, 1.0 / len(trees), clf, n_values, n_classes) for t in trees]
    arrays = _concat(parts, n_values)
    return TreeEnsemble(
        **arrays,
        tree_group=np.full(len(trees), -1, dtype=np.int64),
        bias=np.zeros(n_values),
        n_features=int(model.n_features_in_),
        n_outputs=n_values,
        output_names=names,
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


def _read_isolation_forest(model) -> TreeEnsemble:
    """IsolationForest as shap reads it: each leaf's value is its depth plus the
    average path length c(n) of the n training samples in it, averaged over
    trees, so the raw output is the mean path length E[h(x)] and
    score_samples(x) = -2 ** (-E[h(x)] / c(max_samples))."""
    from sklearn.ensemble._iforest import _average_path_length

    parts = []
    n_trees = len(model.estimators_)
    for est, feats in zip(model.estimators_, model.estimators_features_, strict=True):
        t = est.tree_
        left = t.children_left.astype(np.int64)
        right = t.children_right.astype(np.int64)
        depth = np.zeros(t.node_count)
        for nd in range(t.node_count):  # children come after their parent
            if left[nd] >= 0:
                depth[left[nd]] = depth[right[nd]] = depth[nd] + 1
        leaf = left < 0
        value = np.where(
            leaf, depth + _average_path_length(t.n_node_samples.astype(np.float64)), 0.0
        )
        feats = np.asarray(feats, dtype=np.int64)
        parts.append(
            {
                "left": left,
                "right": right,
                "feature": np.where(leaf, -1, feats[np.maximum(t.feature, 0)]),
                "threshold": t.threshold,
                "default_left": np.ones(t.node_count),
                "value": value / n_trees,
                "cover": t.weighted_n_node_samples,
            }
        )
    arrays = _concat(parts, 1)
    c_max = float(_average_path_length([model._max_samples])[0])

    def predict_raw(X):
        score = model.score_samples(_np_or_names(model, X))
        return (-np.log2(-np.asarray(score, dtype=np.float64)) * c_max).reshape(len(X), 1)

    return TreeEnsemble(
        **arrays,
        tree_group=np.zeros(n_trees, dtype=np.int64),
        bias=np.zeros(1),
        n_features=int(model.n_features_in_),
        n_outputs=1,
        output_names=(),
        link="identity",
        allow_nan=_allow_nan(model),
        float32_values=False,
        predict_raw=predict_raw,
        feature_names=_names(model),
    )


def _bits(words: np.ndarray) -> np.ndarray:
    """scikit-learn's bitsets (uint32 words, bit c of word c // 32) -> bool per code."""
    w = np.asarray(words, dtype=np.uint32)
    return ((w[..., :, None] >> np.arange(32, dtype=np.uint32)) & 1).reshape(*w.shape[:-1], -1) > 0


def _read_sklearn_hgb(model) -> TreeEnsemble:
    """HistGradientBoosting*: each predictor's ``nodes`` (thresholds in the input's
    units, compared in float64; NaN by ``missing_go_to_left``; categorical splits
    by the left-category bitsets, unknown categories following the missing rule).
    With categorical features the model encodes X first (categories to codes,
    categorical columns moved first); ``encode`` does the same and puts the
    columns back in the user's order, so values are per user column."""
    predictors = model._predictors
    k = len(predictors[0])
    n_features = int(model.n_features_in_)
    pre = getattr(model, "_preprocessor", None)
    if pre is not None:  # internal column j is user column perm[j]
        is_cat = np.asarray(model.is_categorical_, dtype=bool)
        perm = np.concatenate([np.nonzero(is_cat)[0], np.nonzero(~is_cat)[0]])
    else:
        perm = np.arange(n_features)
    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    known_bits = _bits(known) if len(known) else np.zeros((0, 256), bool)
    parts, groups, cat_rows = [], [], []
    for stage in predictors:
        for j, pred in enumerate(stage):
            nd = pred.nodes
            leaf = nd["is_leaf"].astype(bool)
            cat = nd["is_categorical"].astype(bool) & ~leaf
            cidx = np.full(len(nd), -1, dtype=np.int64)
            if cat.any():
                left_bits = _bits(pred.raw_left_cat_bitsets)
                for i in np.nonzero(cat)[0]:
                    f = int(nd["feature_idx"][i])
                    row = np.where(left_bits[nd["bitset_idx"][i]], 1, 0).astype(np.int8)
                    unknown = ~known_bits[f_idx_map[f]]
                    row[unknown & (row == 0)] = 2
                    cidx[i] = len(cat_rows)
                    cat_rows.append(row)
            parts.append(
                {
                    "left": np.where(leaf, -1, nd["left"].astype(np.int64)),
                    "right": np.where(leaf, -1, nd["right"].astype(np.int64)),
                    "feature": np.where(leaf, -1, perm[nd["feature_idx"]].astype(np.int64)),
                    "threshold": np.where(leaf | cat, 0.0, nd["num_threshold"]),
                    "default_left": nd["missing_go_to_left"],
                    "value": np.where(leaf, nd["value"], 0.0),
                    "cover": nd["count"].astype(np.float64),
                    "cat": cidx,
                }
            )
            groups.append(j)
    arrays = _concat(parts, 1)
    # categorical rows are global: shift each tree's local ids by nothing (they are
    # numbered across trees already); leaves and numeric splits keep -1
    cat_index = np.concatenate([p["cat"] for p in parts]).astype(np.int64)
    cat_dir = np.stack(cat_rows) if cat_rows else None
    bias = np.asarray(model._baseline_prediction, dtype=np.float64).reshape(-1)
    clf = hasattr(model, "classes_")
    loss = getattr(model, "loss", "")
    if clf and k == 1:
        names, link = (str(model.classes_[1]),), "logit"
    elif clf:
        names, link = tuple(str(c) for c in model.classes_), "softmax"
    else:
        names, link = (), ("log" if loss in ("poisson", "gamma") else "identity")

    def predict_raw(X):
        # the model's own raw score (decision_function's path; predict for
        # regressors applies the inverse link). One OpenMP thread: right after
        # numba's parallel kernels its OpenMP pool fights ours (measured 0.06 s
        # instead of 0.0007 s for 60 rows)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="openmp"):
            raw = model._raw_predict(X)
        return np.asarray(raw, dtype=np.float64).reshape(len(X), -1)

    encode = None
    if pre is not None:

        def encode(X):
            inner = np.asarray(pre.transform(X), dtype=np.float64)
            out = np.empty_like(inner)
            out[:, perm] = inner
            return out

    return TreeEnsemble(
        **arrays,
        tree_group=np.asarray(groups, dtype=np.int64),
        bias=bias,
        n_features=n_features,
        n_outputs=k,
        output_names=names,
        link=link,
        allow_nan=True,
        float32_values=False,
        predict_raw=predict_raw,
        feature_names=_names(model),
        float32_inputs=False,
        encode=encode,
        cat_index=cat_index,
        cat_dir=cat_dir,
    )


_NUM = {b"i": ">i1", b"U": ">u1", b"I": ">i2", b"l": ">i4", b"L": ">i8", b"d": ">f4", b"D": ">f8"}
# marker byte -> (big-endian struct, size, numpy dtype), the types of _NUM
_SCALAR = {
    k[0]: (struct.Struct(">" + f), np.dtype(_NUM[k]).itemsize, np.dtype(_NUM[k]))
    for k, f in zip(_NUM, "bBhiqfd", strict=True)
}
# marker byte -> item size of a numeric type, 0 for any other byte (list look-up)
_ITEMSIZE = [_SCALAR[b][1] if b in _SCALAR else 0 for b in range(256)]


def _ubj_load(buf: bytes, skip: frozenset = frozenset()):
    """UBJSON reader for xgboost's binary model; typed arrays become numpy.
    Numeric typed arrays under a key in ``skip`` are left out of their object.

    A model holds thousands of small typed arrays (several per tree): their
    payloads are collected per type and converted by one numpy call at the end,
    each array a slice of the result, rather than one numpy call per array.
    Objects in xgboost's form (int64 key lengths, no count) take an inlined path."""
    buf = bytes(buf)
    scalar = _SCALAR
    itemsize = _ITEMSIZE
    payloads: list[list] = [[] for _ in range(256)]  # type marker -> payloads, in order
    counts = [0] * 256  # type marker -> items collected so far
    holes: list = []  # (container, key, type marker, first item, count)
    int64 = scalar[76][0].unpack_from
    size = len(buf)
    pos = 0

    def read_int():
        nonlocal pos
        s, n, _ = scalar[buf[pos]]
        v = s.unpack_from(buf, pos + 1)[0]
        pos += 1 + n
        return v

    def typed(container, key) -> bool:
        # at the byte after "[": a numeric typed array "$t#n" becomes a hole
        nonlocal pos
        if buf[pos] != 36 or buf[pos + 2] != 35:  # "$" type "#"
            return False
        t = buf[pos + 1]
        if not itemsize[t]:
            return False
        if buf[pos + 3] == 76:
            n = int64(buf, pos + 4)[0]
            pos += 12
        else:
            pos += 3
            n = read_int()
        end = pos + n * itemsize[t]
        if n < 0 or end > size:
            raise ValueError("UBJSON typed array runs past the end of the buffer")
        payloads[t].append(buf[pos:end])
        holes.append((container, key, t, counts[t], n))
        counts[t] += n
        container[key] = None  # placeholder, keeps the key order
        pos = end
        return True

    def value(m):
        nonlocal pos
        sc = scalar.get(m)
        if sc is not None:
            v = sc[0].unpack_from(buf, pos)[0]
            pos += sc[1]
            return v
        if m == 83:  # "S"
            n = read_int()
            pos += n
            return buf[pos - n : pos].decode()
        if m == 91:  # "["
            return array()
        if m == 123:  # "{"
            return obj()
        if m == 67:  # "C"
            pos += 1
            return chr(buf[pos - 1])
        if m == 84:  # "T"
            return True
        if m == 70:  # "F"
            return False
        if m == 90:  # "Z"
            return None
        raise ValueError(f"unknown UBJSON marker {bytes([m])!r} at {pos}")

    def array():
        nonlocal pos
        out: list = []
        typ = None
        if buf[pos] == 36:  # "$": one type for all (numeric ones handled by typed())
            typ = buf[pos + 1]
            pos += 2
        if buf[pos] == 35:  # "#": a count
            pos += 1
            n = read_int()
            for _ in range(n):
                if typ is None:
                    m = buf[pos]
                    pos += 1
                else:
                    m = typ
                if m == 91:
                    out.append(None)
                    if not typed(out, len(out) - 1):
                        out[-1] = array()
                else:
                    out.append(value(m))
            return out
        while True:
            m = buf[pos]
            pos += 1
            if m == 93:  # "]"
                return out
            if m == 91:
                out.append(None)
                if not typed(out, len(out) - 1):
                    out[-1] = array()
            else:
                out.append(value(m))

    def obj():
        nonlocal pos
        out: dict = {}
        if buf[pos] == 36 or buf[pos] == 35:  # "$" type and/or "#" count
            return counted_obj(out)
        while True:  # xgboost's objects: this loop is the bulk of the reading
            c = buf[pos]
            if c == 125:  # "}"
                pos += 1
                return out
            if c == 76:  # int64 key length
                n = int64(buf, pos + 1)[0]
                pos += 9 + n
            else:
                n = read_int()
                pos += n
            key = buf[pos - n : pos].decode()
            m = buf[pos]
            pos += 1
            if m == 91:  # "[": typed() inlined
                t = buf[pos + 1]
                if buf[pos] == 36 and itemsize[t] and buf[pos + 2] == 35:
                    if buf[pos + 3] == 76:
                        n = int64(buf, pos + 4)[0]
                        pos += 12
                    else:
                        pos += 3
                        n = read_int()
                    end = pos + n * itemsize[t]
                    if n < 0 or end > size:
                        raise ValueError("UBJSON typed array runs past the end of the buffer")
                    if key in skip:
                        pos = end
                        continue
                    payloads[t].append(buf[pos:end])
                    holes.append((out, key, t, counts[t], n))
                    counts[t] += n
                    out[key] = None  # placeholder, keeps the key order
                    pos = end
                    continue
                out[key] = array()
            elif m == 83 and buf[pos] == 76:  # a string (tree_param values)
                n = int64(buf, pos + 1)[0]
                pos += 9 + n
                out[key] = buf[pos - n : pos].decode()
            else:
                out[key] = value(m)

    def counted_obj(out):
        nonlocal pos
        typ = None
        if buf[pos] == 36:
            typ = buf[pos + 1]
            pos += 2
        count = None
        if buf[pos] == 35:
            pos += 1
            count = read_int()
        i = 0
        while count is None or i < count:
            if count is None and buf[pos] == 125:
                pos += 1
                return out
            n = read_int()
            pos += n
            key = buf[pos - n : pos].decode()
            if typ is None:
                m = buf[pos]
                pos += 1
            else:
                m = typ
            if m != 91 or not typed(out, key):
                out[key] = value(m)
            i += 1
        return out

    try:
        m = buf[0]
        pos = 1
        if m == 91:
            box: list = [None]
            if not typed(box, 0):
                box[0] = array()
            doc = box[0]
        else:
            doc = value(m)
    except struct.error as e:  # a number cut short
        raise ValueError(f"truncated UBJSON near byte {pos}: {e}") from None
    # one conversion per type; every typed array is a slice of it
    flat = {}
    for t, p in enumerate(payloads):
        if p:
            dt = scalar[t][2]
            flat[t] = np.frombuffer(b"".join(p), dt).astype(dt.newbyteorder("="))
    for container, key, t, a, n in holes:
        container[key] = flat[t][a : a + n]
    return doc


# per-node arrays of xgboost trees the reader does not use (a third of the bytes)
_XGB_UNUSED = frozenset(("base_weights", "loss_changes", "parents"))

_LOGIT = ("binary:logistic", "reg:logistic", "binary:logitraw")
_LOG = ("count:poisson", "reg:gamma", "reg:tweedie", "survival:cox")


def _xgb_iteration_range(model, booster, iteration_range) -> tuple[int, int]:
    """The rounds ``predict`` uses: the scikit-learn wrappers stop at
    ``best_iteration`` after early stopping; a Booster uses all rounds."""
    if iteration_range is not None:
        try:
            a, b = (int(v) for v in iteration_range)
        except (TypeError, ValueError):
            raise ValueError(
                f"iteration_range must be a pair (start, stop) of ints, got {iteration_range!r}"
            ) from None
        if a < 0 or b < 0 or (b != 0 and b <= a):
            raise ValueError(
                f"iteration_range must satisfy 0 <= start < stop (or stop = 0 for all rounds), "
                f"got {iteration_range!r}"
            )
        if b != 0 or a != 0:
            return a, b
        iteration_range = None
    if model is not booster and hasattr(model, "_get_iteration_range"):
        a, b = model._get_iteration_range(None)
        return int(a), int(b)
    return 0, 0


def _xgb_field(trees: list, key: str, dtype) -> np.ndarray:
    """One field of all trees, concatenated (UBJSON gives arrays, JSON lists)."""
    parts = [t.get(key, ()) for t in trees]
    if all(isinstance(v, np.ndarray) for v in parts):
        return np.concatenate(parts).astype(dtype, copy=False)
    return np.concatenate([np.asarray(v, dtype=dtype).ravel() for v in parts])


def _xgb_arrays(trees: list, tw: np.ndarray, size_leaf: list, n_outputs: int):
    """The node arrays of xgboost trees (their JSON/UBJSON dicts), concatenated and
    converted in one pass over all trees (a model has hundreds of small trees);
    ``tw`` is each tree's weight (dart), ``size_leaf`` its leaf-vector length.
    Returns the ``_concat`` dict, cat_index and cat_dir."""
    sizes = np.array([len(t["left_children"]) for t in trees], dtype=np.int64)
    start = np.zeros(len(trees) + 1, dtype=np.int64)
    np.cumsum(sizes, out=start[1:])
    offset = np.repeat(start[:-1], sizes)  # each node's tree offset
    left = _xgb_field(trees, "left_children", np.int64)
    right = _xgb_field(trees, "right_children", np.int64)
    cond = _xgb_field(trees, "split_conditions", np.float32)
    leaf = left < 0
    node_w = np.repeat(tw, sizes)
    vector_leaf = max(size_leaf) > 1
    if vector_leaf:
        # vector leaves (multi_strategy="multi_output_tree"): a leaf's right
        # child is its row in leaf_weights, one weight per target
        value = np.zeros((len(left), n_outputs))
        for t, (s, k, w) in enumerate(zip(start[:-1], size_leaf, tw, strict=True)):
            lw = np.asarray(trees[t]["leaf_weights"], dtype=np.float32).astype(np.float64)
            lw = lw.reshape(-1, k)
            lf = np.flatnonzero(leaf[s : start[t + 1]]) + s
            value[lf] = lw[right[lf]] * w
        right = np.where(leaf, -1, right)
    else:
        value = np.where(leaf, cond.astype(np.float64) * node_w, 0.0).reshape(-1, 1)
    # x < t  <=>  x <= nextafter(t, -inf) for float32 x
    thr = np.nextafter(cond, np.float32(-np.inf)).astype(np.float64)
    arrays = {
        "left": np.where(left >= 0, left + offset, -1),
        "right": np.where(right >= 0, right + offset, -1),
        "feature": np.where(leaf, -1, _xgb_field(trees, "split_indices", np.int64)),
        "threshold": np.where(leaf, 0.0, thr),
        "default_left": _xgb_field(trees, "default_left", np.uint8),
        "value": np.ascontiguousarray(value, dtype=np.float64),
        # float32 in the model: the JSON text (fallback path) is rounded to it too
        "cover": _xgb_field(trees, "sum_hessian", np.float32).astype(np.float64),
        "tree_start": start,
    }
    cat_index = cat_dir = None
    cat_sets: list[np.ndarray] = []
    cidx = None
    for t, tree in enumerate(trees):
        nodes = tree.get("categories_nodes", ())
        if not len(nodes):
            continue
        split_type = np.asarray(tree.get("split_type", []), dtype=np.int64)
        if not (split_type.size and (split_type != 0).any()):
            continue
        # categorical split: the stored categories go right, all others left
        if cidx is None:
            cidx = np.full(len(left), -1, dtype=np.int64)
        cats = np.asarray(tree["categories"], dtype=np.int64)
        seg = np.asarray(tree["categories_segments"], dtype=np.int64)
        size = np.asarray(tree["categories_sizes"], dtype=np.int64)
        for node, a0, n0 in zip(nodes, seg, size, strict=True):
            cidx[int(start[t]) + int(node)] = len(cat_sets)
            cat_sets.append(cats[a0 : a0 + n0])
    if cat_sets:
        cat_index = cidx
        width = max(int(c.max()) + 1 if c.size else 1 for c in cat_sets)
        cat_dir = np.ones((len(cat_sets), width), dtype=np.int8)
        for r, c in enumerate(cat_sets):
            cat_dir[r, c] = 0
    return arrays, cat_index, cat_dir


def _read_xgboost(model, iteration_range=None) -> TreeEnsemble:
    import xgboost as xgb

    if isinstance(model, xgb.Booster):
        booster = model
    elif hasattr(model, "get_booster"):
        booster = model.get_booster()  # raises xgboost's NotFittedError when unfitted
    else:
        raise TypeError(f"tree_shap does not support xgboost {type(model).__name__}")
    missing = getattr(model, "missing", np.nan) if model is not booster else np.nan
    missing = float(np.float32(np.nan if missing is None else missing))
    it_range = _xgb_iteration_range(model, booster, iteration_range)
    try:  # binary UBJSON: typed arrays map straight to numpy, ~2x faster than JSON
        doc = _ubj_load(bytes(booster.save_raw(raw_format="ubj")), skip=_XGB_UNUSED)
    except (ValueError, KeyError, IndexError, TypeError):
        doc = json.loads(booster.save_raw(raw_format="json"))
    learner = doc["learner"]
    gb = learner["gradient_booster"]
    weight_drop = None
    if gb.get("name") == "dart":
        # dart scales each tree by its weight at prediction time
        # float32 in the model (the JSON fallback's text is rounded back to it)
        weight_drop = np.asarray(gb.get("weight_drop", []), dtype=np.float32).astype(np.float64)
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
    indptr = gb["model"].get("iteration_indptr")
    if indptr is None:  # older models: a fixed number of trees per round
        per = n_outputs * int(gb["model"]["gbtree_model_param"].get("num_parallel_tree", "1"))
        indptr = np.arange(0, len(trees_json) + per, per)
    indptr = np.asarray(indptr, dtype=np.int64)
    n_rounds = len(indptr) - 1
    a, b = it_range
    if b > n_rounds or a >= max(n_rounds, 1):
        raise ValueError(
            f"iteration_range {it_range} is outside this model's {n_rounds} boosting rounds"
        )
    stop = indptr[b] if b else indptr[-1]
    keep = range(int(indptr[a]), int(stop))
    if not len(keep):
        raise ValueError("this xgboost model has no trees; fit it first")
    trees = [trees_json[i] for i in keep]
    tw = np.ones(len(trees))
    if weight_drop is not None:
        k = np.arange(keep.start, keep.stop)
        inside = k < len(weight_drop)
        tw[inside] = weight_drop[k[inside]]
    size_leaf = [int(t["tree_param"].get("size_leaf_vector", "1")) for t in trees]
    vector_leaf = max(size_leaf) > 1
    arrays, cat_index, cat_dir = _xgb_arrays(trees, tw, size_leaf, n_outputs)
    encode = _xgb_category_encoder(gb["model"].get("cats"), booster.feature_types)
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
        # the model's own prediction path: its ``missing``, rounds and tree weights
        # (the booster checks names when it was fitted on a DataFrame)
        if hasattr(X, "columns"):  # categorical frames: xgboost codes them itself
            dm = xgb.DMatrix(X, missing=missing, enable_categorical=True)
        else:
            dm = xgb.DMatrix(
                np.asarray(X, dtype=np.float64),
                missing=missing,
                feature_names=booster.feature_names,
                feature_types=booster.feature_types,
            )
        margin = booster.predict(dm, output_margin=True, iteration_range=it_range)
        return np.asarray(margin, dtype=np.float64).reshape(len(X), -1)

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
        tree_group=np.full(len(trees), -1, dtype=np.int64)
        if vector_leaf
        else (tree_info[list(keep)] if n_outputs > 1 else np.zeros(len(trees), dtype=np.int64)),
        bias=base,
        n_features=n_features,
        n_outputs=n_outputs,
        output_names=out_names,
        link=link,
        allow_nan=True,
        float32_values=True,
        predict_raw=predict_raw,
        feature_names=names,
        missing=missing,
        iteration_range=it_range,
        cat_index=cat_index,
        cat_dir=cat_dir,
        encode=encode,
    )


def _xgb_category_encoder(cats, feature_types):
    """For models with categorical features (feature type "c"): a function turning
    a DataFrame into the codes xgboost's trees compare (each value's position among
    the training categories stored in the model; unknown and missing -> NaN).
    Arrays are taken as codes already. None when no feature is categorical."""
    if not feature_types or "c" not in feature_types:
        return None
    cat_cols = [j for j, t in enumerate(feature_types) if t == "c"]
    levels: dict[int, list] = {}
    if cats:
        for j, enc in enumerate(cats.get("enc", [])):
            vals = list(np.asarray(enc.get("values", [])).ravel())
            offs = list(np.asarray(enc.get("offsets", [])).ravel())
            if offs:  # strings: utf-8 bytes cut at the offsets
                raw = bytes(int(v) & 0xFF for v in vals)
                levels[j] = [raw[a:b].decode() for a, b in zip(offs[:-1], offs[1:], strict=True)]
            elif vals:
                levels[j] = vals

    def encode(X):
        if not hasattr(X, "columns"):
            return np.ascontiguousarray(np.asarray(X, dtype=np.float64))
        out = np.empty((len(X), X.shape[1]))
        for j, col in enumerate(X.columns):
            s = X[col]
            if j in cat_cols:
                lev = levels.get(j)
                if lev is None:  # no stored categories: the frame's own codes
                    codes = s.cat.codes.to_numpy() if hasattr(s, "cat") else s.to_numpy()
                    out[:, j] = np.where(np.asarray(codes) < 0, np.nan, codes)
                else:
                    pos = {v: k for k, v in enumerate(lev)}
                    vals = s.astype(object).to_numpy()
                    out[:, j] = [
                        pos.get(str(v) if isinstance(lev[0], str) else v, np.nan) for v in vals
                    ]
            else:
                out[:, j] = np.asarray(s, dtype=np.float64)
        return out

    return encode


# -- cache of read models (for callers that read the same model many times) ----

_CACHE: dict[tuple, tuple] = {}
_CACHE_SIZE = 8


def _fingerprint(model) -> tuple:
    """What changes when a model is refitted or grown in place: the identity of its
    fitted parts and their count (a refit builds new tree objects)."""
    parts: list = [type(model).__name__]
    for attr in ("estimators_", "_predictors", "estimator_", "tree_"):
        v = getattr(model, attr, None)
        if v is not None:
            parts.append((attr, id(v), len(v) if hasattr(v, "__len__") else -1))
    if type(model).__module__.startswith("xgboost"):
        try:
            booster = model if hasattr(model, "save_raw") else model.get_booster()
        except Exception:  # unfitted: read_model raises the clear error
            return tuple(parts)
        parts.append(
            (id(booster), booster.num_boosted_rounds(), getattr(model, "best_iteration", None))
        )
    return tuple(parts)


def read_model_cached(model, *, iteration_range=None) -> TreeEnsemble:
    """``read_model`` kept per model object (the last 8 models read), so that
    repeated effect computations on one model read its trees once. A refitted
    model (new tree objects, another number of rounds) is read again. The
    returned arrays are shared: callers must not write to them. The cache keeps
    those 8 models alive (their ``predict_raw`` refers to them)."""
    key = (id(model), None if iteration_range is None else tuple(iteration_range))
    fp = _fingerprint(model)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is model and hit[1] == fp:
        return hit[2]
    ens = read_model(model, iteration_range=iteration_range)
    _CACHE.pop(key, None)
    while len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (model, fp, ens)
    return ens
