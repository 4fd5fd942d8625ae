"""xgboost models as xgboost's own JSON model, checked as a schema before xgboost sees it.

``XGBClassifier`` / ``XGBRegressor`` are written as their constructor parameters plus
the Booster's JSON (``save_raw("json")``, with the scikit-learn wrapper's type in
its attributes, as ``XGBModel.save_model`` writes it); a ``Booster`` as its JSON
alone. On load the JSON is parsed strictly and checked (``_check_xgb_json``: a
single-target gbtree model whose parameters agree with its arrays, children and
split features in range, one parent per node, numerical splits only; several
hostile parameters made xgboost itself crash or exhaust memory before this
check existed) and only then handed to ``load_model(bytearray)``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

from ._check import bad, integer, need
from ._plain import Budget, SerializationError
from ._schema import construct, dump_params

MAX_NODES = 10_000_000
MAX_TREES = 100_000


def is_xgb(est) -> bool:
    mod = type(est).__module__
    return mod == "xgboost" or mod.startswith("xgboost.")


MAX_XGB_JSON = 512 * 1024 * 1024


def dump_xgb(est, path: str) -> dict:
    name = type(est).__name__
    if name == "Booster":
        booster, params = est, None
    elif name in ("XGBClassifier", "XGBRegressor"):
        booster = est.get_booster()
        params = dump_params(est, path + ".params")
        booster.set_attr(scikit_learn=json.dumps({"_estimator_type": est._get_type()}))
    else:
        raise SerializationError(
            f"{path}: xgboost {name} cannot be saved (XGBClassifier, XGBRegressor and Booster can)"
        )
    try:
        raw = bytes(booster.save_raw("json"))
    finally:
        if params is not None:
            booster.set_attr(scikit_learn=None)
    out = {"kind": name, "model_json": base64.b64encode(raw).decode("ascii")}
    if params is not None:
        out["params"] = params
    return out


_XGB_TREE_ARRAYS = (
    "left_children", "right_children", "parents", "split_indices", "split_conditions",
    "split_type", "default_left", "base_weights", "loss_changes", "sum_hessian",
)  # fmt: skip
_ROOT_PARENT = (-1, 2147483647)


def _int_text(v: Any, path: str, lo: int, hi: int) -> int:
    """xgboost writes its model parameters as decimal strings."""
    need(isinstance(v, str) and v.lstrip("-").isdigit() and len(v) <= 12, path, "not an integer")
    return integer(lo, hi)(int(v), path)


def _check_xgb_json(raw: bytes, path: str) -> None:
    """xgboost's JSON model, checked as a schema before xgboost is given it: a single-target
    gbtree model whose learner and tree parameters agree with its arrays, every child and
    split feature in range, one parent per node, numerical splits only."""
    from ._file import parse_json

    doc = parse_json(raw)
    try:
        learner = doc["learner"]
        lp = learner["learner_model_param"]
        booster = learner["gradient_booster"]
        name = booster["name"]
    except (KeyError, TypeError):
        raise bad(path, "not an xgboost JSON model") from None
    need(name == "gbtree", path + ".gradient_booster", "only gbtree models can be loaded")
    try:
        model = booster["model"]
        trees = model["trees"]
        info = model["tree_info"]
        indptr = model.get("iteration_indptr")
        gp = model["gbtree_model_param"]
    except (KeyError, TypeError):
        raise bad(path, "not an xgboost gbtree model") from None
    need(isinstance(lp, dict) and isinstance(gp, dict), path, "bad model parameters")
    n_features = _int_text(lp.get("num_feature"), path + ".num_feature", 1, 10_000_000)
    n_class = _int_text(lp.get("num_class"), path + ".num_class", 0, 100_000)
    _int_text(lp.get("num_target", "1"), path + ".num_target", 1, 1)
    need(isinstance(trees, list) and len(trees) <= MAX_TREES, path + ".trees", "too many trees")
    _int_text(gp.get("num_trees"), path + ".num_trees", len(trees), len(trees))
    _int_text(gp.get("num_parallel_tree"), path + ".num_parallel_tree", 1, 10_000)
    need(
        isinstance(info, list)
        and len(info) == len(trees)
        and all(type(i) is int and 0 <= i < max(1, n_class) for i in info),
        path + ".tree_info",
        "one output index per tree, below num_class",
    )
    if indptr is not None:
        need(
            isinstance(indptr, list)
            and all(type(i) is int for i in indptr)
            and indptr[:1] == [0]
            and indptr[-1:] == [len(trees)]
            and all(a <= b for a, b in zip(indptr, indptr[1:])),
            path + ".iteration_indptr",
            "must rise from 0 to the number of trees",
        )
    cats = model.get("cats")
    need(
        not cats or cats == {} or not any(cats.values()) if isinstance(cats, dict) else not cats,
        path + ".cats",
        "categorical xgboost models are not supported",
    )
    for t, tree in enumerate(trees):
        tp = f"{path}.trees[{t}]"
        need(isinstance(tree, dict) and tree.get("id") == t, tp, "trees must be numbered in order")
        param = tree.get("tree_param")
        need(isinstance(param, dict), tp, "no tree_param")
        n = _int_text(param.get("num_nodes"), tp + ".num_nodes", 1, MAX_NODES)
        _int_text(param.get("size_leaf_vector", "1"), tp + ".size_leaf_vector", 0, 1)
        _int_text(param.get("num_feature"), tp + ".num_feature", n_features, n_features)
        _int_text(param.get("num_deleted", "0"), tp + ".num_deleted", 0, 0)
        cols = {}
        for key in _XGB_TREE_ARRAYS:
            v = tree.get(key)
            need(isinstance(v, list) and len(v) == n, f"{tp}.{key}", f"must have {n} entries")
            try:
                cols[key] = np.asarray(
                    v,
                    dtype=np.float64
                    if key in ("split_conditions", "base_weights", "loss_changes", "sum_hessian")
                    else np.int64,
                )
            except (TypeError, ValueError, OverflowError):
                raise bad(f"{tp}.{key}", "must be numbers") from None
            need(cols[key].ndim == 1, f"{tp}.{key}", "must be a flat list")
        for key in ("categories", "categories_nodes", "categories_segments", "categories_sizes"):
            need(not tree.get(key), f"{tp}.{key}", "categorical splits are not supported")
        left, right, feat = cols["left_children"], cols["right_children"], cols["split_indices"]
        inner = left != -1
        idx = np.arange(n)
        need(bool(np.array_equal(inner, right != -1)), tp, "a node must have both children or none")
        for side, arr in (("left_children", left), ("right_children", right)):
            need(
                bool(np.all((arr[inner] > idx[inner]) & (arr[inner] < n))),
                f"{tp}.{side}",
                f"children must point forward and be below num_nodes={n}",
            )
        need(
            bool(np.all((feat[inner] >= 0) & (feat[inner] < n_features))),
            tp + ".split_indices",
            f"split features must be in [0, {n_features})",
        )
        need(
            bool(np.all(feat[~inner] >= 0) and np.all(feat < 2**31)),
            tp + ".split_indices",
            "bad index",
        )
        parents = np.bincount(np.concatenate([left[inner], right[inner]]), minlength=n)
        need(parents[0] == 0 and bool(np.all(parents[1:] == 1)), tp, "not a tree")
        par = cols["parents"]
        need(
            int(par[0]) in _ROOT_PARENT
            and bool(np.all(par[left[inner]] == idx[inner]))
            and bool(np.all(par[right[inner]] == idx[inner])),
            tp + ".parents",
            "must name each node's parent",
        )
        need(bool(np.all(cols["split_type"] == 0)), tp + ".split_type", "numerical splits only")
        need(
            bool(np.all((cols["default_left"] == 0) | (cols["default_left"] == 1))),
            tp + ".default_left",
            "must be 0 or 1",
        )
        need(
            bool(np.all(np.isfinite(cols["split_conditions"]))),
            tp + ".split_conditions",
            "must be finite",
        )


def load_xgb(node: Any, path: str, budget: Budget):
    import xgboost as xgb

    kind = node["kind"]
    want = {"kind", "model_json"} | ({"params"} if kind != "Booster" else set())
    need(set(node) == want, path, f"an xgboost entry has exactly {sorted(want)}")
    data = node["model_json"]
    need(
        isinstance(data, str) and len(data) <= MAX_XGB_JSON,
        path + ".model_json",
        "must be base64 text",
    )
    budget.take(len(data), path + ".model_json")
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise bad(path + ".model_json", "not valid base64") from None
    _check_xgb_json(raw, path + ".model_json")
    try:
        if kind == "Booster":
            booster = xgb.Booster()
            booster.load_model(bytearray(raw))
            return booster
        cls = xgb.XGBClassifier if kind == "XGBClassifier" else xgb.XGBRegressor
        est = construct(cls, node["params"], path + ".params", budget)
        est.load_model(bytearray(raw))
        return est
    except xgb.core.XGBoostError as exc:
        raise bad(path, f"xgboost refused the model: {str(exc).splitlines()[0][:200]}") from None
    except TypeError as exc:
        raise bad(path, str(exc)[:200]) from None
