"""scikit-learn and xgboost models rebuilt from validated data.

Each supported class has an explicit list of fitted fields (``KINDS``); a model is
written as ``{"kind": <name from KINDS>, "params": {...}, "fitted": {...}}`` and
rebuilt by its own constructor (parameters checked by scikit-learn) plus those
fields. A decision tree's node table is checked here (children in range and
forming a tree, feature indices below n_features, finite thresholds, value
shapes) before scikit-learn's ``Tree`` is given it. xgboost models: see
``_xgboost``. Anything else is refused at save time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _plain
from ._check import (
    any_plain,
    array,
    bad,
    boolean,
    classes,
    integer,
    list_of,
    names_array,
    need,
    number,
    one_of,
    optional,
    text,
)
from ._plain import Budget, SerializationError
from ._schema import F, Obj, construct, dump_fields, dump_params, load_fields
from ._xgboost import dump_xgb, is_xgb, load_xgb

MAX_NODES = 10_000_000
MAX_TREES = 100_000


# --- the node table of a decision tree -----------------------------------------------


def _dump_tree(tree, path: str) -> dict:
    state = tree.__getstate__()
    nodes = state["nodes"]
    return {
        "n_features": int(tree.n_features),
        "n_classes": _plain.encode(np.asarray(tree.n_classes, dtype=np.int64), path + ".n_classes"),
        "n_outputs": int(tree.n_outputs),
        "node_count": int(state["node_count"]),
        "max_depth": int(state["max_depth"]),
        **{
            name: _plain.encode(np.ascontiguousarray(nodes[name]), f"{path}.{name}")
            for name in nodes.dtype.names
        },
        "values": _plain.encode(np.ascontiguousarray(state["values"]), path + ".values"),
    }


_NODE_FIELDS = {
    "left_child": "i",
    "right_child": "i",
    "feature": "i",
    "threshold": "f",
    "impurity": "f",
    "n_node_samples": "i",
    "weighted_n_node_samples": "f",
    "missing_go_to_left": "u",
}


def _load_tree(node: Any, path: str, budget: Budget):
    from sklearn.tree._tree import NODE_DTYPE, Tree

    want = {
        "n_features",
        "n_classes",
        "n_outputs",
        "node_count",
        "max_depth",
        "values",
        *_NODE_FIELDS,
    }
    if not isinstance(node, dict) or set(node) != want:
        raise bad(path, f"a tree needs exactly the entries {sorted(want)}")
    n_features = integer(1, 10_000_000)(node["n_features"], path + ".n_features")
    n_outputs = integer(1, 1)(node["n_outputs"], path + ".n_outputs")
    n = integer(1, MAX_NODES)(node["node_count"], path + ".node_count")
    integer(0, MAX_NODES)(node["max_depth"], path + ".max_depth")
    n_classes = array("i", 1, shape=(n_outputs,))(
        _plain.decode(node["n_classes"], path + ".n_classes", budget), path + ".n_classes"
    )
    need(
        bool(np.all((n_classes >= 1) & (n_classes <= 1_000_000))),
        path + ".n_classes",
        "class counts must be between 1 and 1,000,000",
    )
    width = int(n_classes.max())
    if n * n_outputs * width * 8 > budget.left:  # before decoding anything large
        budget.take(n * n_outputs * width * 8, path + ".values")
    cols = {}
    for name, kind in _NODE_FIELDS.items():
        cols[name] = array(kind, 1, shape=(n,))(
            _plain.decode(node[name], f"{path}.{name}", budget), f"{path}.{name}"
        )
        want = NODE_DTYPE.fields[name][0]
        need(
            cols[name].dtype == want,
            f"{path}.{name}",
            f"must be of dtype {want}, not {cols[name].dtype}",
        )
    values = array("f", 3, finite=True, shape=(n, n_outputs, width))(
        _plain.decode(node["values"], path + ".values", budget), path + ".values"
    )
    need(values.dtype == np.float64, path + ".values", "must be float64")
    left, right, feat = cols["left_child"], cols["right_child"], cols["feature"]
    leaf = left == -1
    need(
        bool(np.array_equal(leaf, right == -1)),
        path + ".right_child",
        "a node must have both children or none",
    )
    idx = np.arange(n)
    inner = ~leaf
    # children after their parent (scikit-learn's depth-first order): no cycles
    need(
        bool(np.all((left[inner] > idx[inner]) & (left[inner] < n))),
        path + ".left_child",
        f"child indices must point forward and be below node_count={n}",
    )
    need(
        bool(np.all((right[inner] > idx[inner]) & (right[inner] < n))),
        path + ".right_child",
        f"child indices must point forward and be below node_count={n}",
    )
    parents = np.bincount(np.concatenate([left[inner], right[inner]]), minlength=n)
    need(
        parents[0] == 0 and bool(np.all(parents[1:] == 1)),
        path + ".left_child",
        "every node but the root must have exactly one parent",
    )
    need(
        bool(np.all((feat[inner] >= 0) & (feat[inner] < n_features))),
        path + ".feature",
        f"split features must be in [0, {n_features})",
    )
    need(bool(np.all(feat[leaf] == -2)), path + ".feature", "leaves must have feature -2")
    need(
        bool(np.all(np.isfinite(cols["threshold"][inner]))),
        path + ".threshold",
        "split thresholds must be finite",
    )
    need(
        bool(np.all(cols["missing_go_to_left"] <= 1)),
        path + ".missing_go_to_left",
        "must be 0 or 1",
    )
    need(bool(np.all(cols["n_node_samples"] >= 0)), path + ".n_node_samples", "must be >= 0")
    need(bool(np.all(np.isfinite(cols["impurity"]))), path + ".impurity", "must be finite")
    need(
        bool(np.all(np.isfinite(cols["weighted_n_node_samples"]))),
        path + ".weighted_n_node_samples",
        "must be finite",
    )
    depth = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(inner):  # parents come first, so one pass gives every depth
        depth[left[i]] = depth[right[i]] = depth[i] + 1
    nodes = np.zeros(n, dtype=NODE_DTYPE)
    for name in _NODE_FIELDS:
        nodes[name] = cols[name]
    tree = Tree(n_features, n_classes.astype(np.intp), n_outputs)
    tree.__setstate__(
        {"max_depth": int(depth.max()), "node_count": n, "nodes": nodes, "values": values}
    )
    return tree


TREE = Obj(_dump_tree, _load_tree)


# --- sub-estimators ----------------------------------------------------------------


def _dump_sub(est: Any, path: str) -> dict:
    return dump_estimator(est, path)


def _load_sub(node: Any, path: str, budget: Budget):
    return load_estimator(node, path, budget)


SUB = Obj(_dump_sub, _load_sub)


def _dump_template(est: Any, path: str) -> dict:
    """An unfitted estimator (a forest's template tree): its kind and parameters only."""
    name = type(est).__name__
    entry = kinds().get(name)
    if entry is None or type(est) is not entry[0] or "tree_" in vars(est):
        raise SerializationError(f"{path}: expected an unfitted decision tree template")
    return {"kind": name, "params": dump_params(est, path + ".params")}


def _load_template(node: Any, path: str, budget: Budget):
    need(
        isinstance(node, dict) and set(node) == {"kind", "params"},
        path,
        "a template has exactly kind and params",
    )
    need(
        node["kind"]
        in (
            "DecisionTreeClassifier",
            "DecisionTreeRegressor",
            "ExtraTreeClassifier",
            "ExtraTreeRegressor",
        ),
        path + ".kind",
        "must be a decision tree",
    )
    return construct(kinds()[node["kind"]][0], node["params"], path + ".params", budget)


TEMPLATE = Obj(_dump_template, _load_template)


def _dump_subs(ests: Any, path: str) -> Any:
    if isinstance(ests, np.ndarray):  # gradient boosting: (n_estimators, K) object grid
        if ests.dtype != object or ests.ndim != 2:
            raise SerializationError(f"{path}: expected a 2-D grid of trees")
        return {
            "grid": [
                [dump_estimator(e, f"{path}[{i},{j}]") for j, e in enumerate(row)]
                for i, row in enumerate(ests)
            ]
        }
    if type(ests) is not list:
        raise SerializationError(f"{path}: expected a list of estimators")
    return [dump_estimator(e, f"{path}[{i}]") for i, e in enumerate(ests)]


def _load_subs(node: Any, path: str, budget: Budget):
    if isinstance(node, dict) and set(node) == {"grid"} and isinstance(node["grid"], list):
        rows = node["grid"]
        need(0 < len(rows) <= MAX_TREES, path, "bad number of boosting stages")
        width = len(rows[0]) if isinstance(rows[0], list) else -1
        need(
            width >= 1 and all(isinstance(r, list) and len(r) == width for r in rows),
            path,
            "boosting stages must all have the same number of trees",
        )
        grid = np.empty((len(rows), width), dtype=object)
        for i, r in enumerate(rows):
            for j, e in enumerate(r):
                grid[i, j] = load_estimator(e, f"{path}[{i},{j}]", budget)
        return grid
    need(isinstance(node, list) and len(node) <= MAX_TREES, path, "expected a list of estimators")
    return [load_estimator(e, f"{path}[{i}]", budget) for i, e in enumerate(node)]


SUBS = Obj(_dump_subs, _load_subs)

INT = integer(0, 2**62)
FLOAT = number(finite=False)
NAMES = F(names_array, optional=True)


def _tree_fields(classifier: bool) -> dict:
    out = {
        "n_features_in_": F(integer(1, 10_000_000)),
        "feature_names_in_": NAMES,
        "n_outputs_": F(integer(1, 1)),
        "max_features_": F(INT),
        "tree_": F(TREE),
    }
    if classifier:
        out["classes_"] = F(classes)
        out["n_classes_"] = F(integer(1, 1_000_000))
    return out


def _forest_fields(classifier: bool) -> dict:
    out = {
        "n_features_in_": F(integer(1, 10_000_000)),
        "feature_names_in_": NAMES,
        "n_outputs_": F(integer(1, 1)),
        "_n_samples": F(INT),
        "_n_samples_bootstrap": F(optional(INT)),
        "_sample_weight": F(optional(array("f", 1)), optional=True),
        "estimator_": F(TEMPLATE),
        "estimators_": F(SUBS),
        "oob_score_": F(FLOAT, optional=True),
        "oob_decision_function_": F(array("f", 2), optional=True),
        "oob_prediction_": F(array("f", (1, 2)), optional=True),
    }
    if classifier:
        out["classes_"] = F(classes)
        out["n_classes_"] = F(integer(1, 1_000_000))
    return out


def _gb_fields(classifier: bool) -> dict:
    out = {
        "n_features_in_": F(integer(1, 10_000_000)),
        "feature_names_in_": NAMES,
        "n_trees_per_iteration_": F(integer(1, 1_000_000)),
        "max_features_": F(INT),
        "init_": F(SUB_OR_ZERO),
        "estimators_": F(SUBS),
        "train_score_": F(array("f", 1)),
        "n_estimators_": F(integer(1, MAX_TREES)),
        "oob_improvement_": F(array("f", 1), optional=True),
        "oob_scores_": F(array("f", 1), optional=True),
        "oob_score_": F(FLOAT, optional=True),
    }
    if classifier:
        out["classes_"] = F(classes)
        out["n_classes_"] = F(integer(1, 1_000_000))
    return out


def _dump_sub_or_zero(v, path):
    return "zero" if isinstance(v, str) and v == "zero" else dump_estimator(v, path)


def _load_sub_or_zero(node, path, budget):
    return "zero" if node == "zero" else load_estimator(node, path, budget)


SUB_OR_ZERO = Obj(_dump_sub_or_zero, _load_sub_or_zero)

_LINEAR = {
    "n_features_in_": F(integer(1, 10_000_000)),
    "feature_names_in_": NAMES,
    "coef_": F(array("f", (1, 2), finite=True)),
    "intercept_": F(one_of(number(), array("f", (0, 1), finite=True))),
}

_MLP = {
    "n_features_in_": F(integer(1, 10_000_000)),
    "feature_names_in_": NAMES,
    "n_outputs_": F(integer(1, 1_000_000)),
    "n_iter_": F(INT),
    "t_": F(INT),
    "n_layers_": F(integer(2, 1000)),
    "out_activation_": F(text(choices=("identity", "logistic", "softmax", "tanh", "relu"))),
    "coefs_": F(list_of(array("f", 2, finite=True), 1000)),
    "intercepts_": F(list_of(array("f", 1, finite=True), 1000)),
    "loss_curve_": F(list_of(number(finite=False)), optional=True),
    "loss_": F(FLOAT, optional=True),
    "best_loss_": F(optional(FLOAT), optional=True),
    "validation_scores_": F(optional(list_of(number(finite=False))), optional=True),
    "best_validation_score_": F(optional(FLOAT), optional=True),
    "_no_improvement_count": F(INT, optional=True),
}


def _kinds() -> dict:
    """name -> (class, fitted fields, attributes not written (rebuilt or training-only))."""
    from sklearn import ensemble, linear_model, neural_network, preprocessing, tree
    from sklearn.dummy import DummyClassifier, DummyRegressor

    out = {}
    for cls in (tree.DecisionTreeClassifier, tree.ExtraTreeClassifier):
        out[cls.__name__] = (cls, _tree_fields(True), ())
    for cls in (tree.DecisionTreeRegressor, tree.ExtraTreeRegressor):
        out[cls.__name__] = (cls, _tree_fields(False), ())
    for cls in (ensemble.RandomForestClassifier, ensemble.ExtraTreesClassifier):
        out[cls.__name__] = (cls, _forest_fields(True), ())
    for cls in (ensemble.RandomForestRegressor, ensemble.ExtraTreesRegressor):
        out[cls.__name__] = (cls, _forest_fields(False), ())
    out["GradientBoostingClassifier"] = (
        ensemble.GradientBoostingClassifier,
        _gb_fields(True),
        ("_loss", "_rng"),
    )
    out["GradientBoostingRegressor"] = (
        ensemble.GradientBoostingRegressor,
        _gb_fields(False),
        ("_loss", "_rng"),
    )
    dummy = {
        "n_features_in_": F(integer(1, 10_000_000)),
        "feature_names_in_": NAMES,
        "_strategy": F(
            optional=True,
            check=text(
                choices=(
                    "most_frequent",
                    "prior",
                    "stratified",
                    "uniform",
                    "constant",
                    "mean",
                    "median",
                    "quantile",
                )
            ),
        ),
        "n_outputs_": F(integer(1, 1)),
        "sparse_output_": F(boolean, optional=True),
        "classes_": F(classes, optional=True),
        "n_classes_": F(integer(1, 1_000_000), optional=True),
        "class_prior_": F(array("f", 1, finite=True), optional=True),
        "constant_": F(array("f", (1, 2), finite=True), optional=True),
        "_n_classes_per_output": F(any_plain, optional=True),
    }
    out["DummyClassifier"] = (DummyClassifier, dummy, ())
    out["DummyRegressor"] = (DummyRegressor, dummy, ())
    out["LogisticRegression"] = (
        linear_model.LogisticRegression,
        {**_LINEAR, "classes_": F(classes), "n_iter_": F(array("i", 1))},
        (),
    )
    out["LinearRegression"] = (
        linear_model.LinearRegression,
        {**_LINEAR, "rank_": F(INT), "singular_": F(optional(array("f", 1)))},
        (),
    )
    out["StandardScaler"] = (
        preprocessing.StandardScaler,
        {
            "n_features_in_": F(integer(1, 10_000_000)),
            "feature_names_in_": NAMES,
            "n_samples_seen_": F(one_of(number(), array("i", 1))),
            "mean_": F(optional(array("f", 1, finite=True))),
            "var_": F(optional(array("f", 1, finite=True))),
            "scale_": F(optional(array("f", 1, finite=True))),
        },
        (),
    )
    out["LabelBinarizer"] = (
        preprocessing.LabelBinarizer,
        {
            "classes_": F(classes),
            "y_type_": F(text(choices=("binary", "multiclass", "multilabel-indicator"))),
            "sparse_input_": F(boolean),
        },
        (),
    )
    out["MLPClassifier"] = (
        neural_network.MLPClassifier,
        {**_MLP, "classes_": F(classes), "_label_binarizer": F(SUB)},
        ("_optimizer", "_random_state", "_best_coefs", "_best_intercepts"),
    )
    out["MLPRegressor"] = (
        neural_network.MLPRegressor,
        _MLP,
        ("_optimizer", "_random_state", "_best_coefs", "_best_intercepts"),
    )
    return out


_KINDS: dict | None = None


def kinds() -> dict:
    global _KINDS
    if _KINDS is None:
        _KINDS = _kinds()
    return _KINDS


def _is_xgb(est) -> bool:
    return is_xgb(est)


def supported(est) -> bool:
    if _is_xgb(est):
        return type(est).__name__ in ("XGBClassifier", "XGBRegressor", "Booster")
    if type(est).__name__ == "Pipeline" and type(est).__module__.startswith("sklearn"):
        return True
    entry = kinds().get(type(est).__name__)
    return entry is not None and type(est) is entry[0]


def dump_estimator(est: Any, path: str) -> dict:
    """``est`` as ``{"kind", "params", "fitted"}``; SerializationError for anything unsupported."""
    name = type(est).__name__
    if _is_xgb(est):
        return dump_xgb(est, path)
    if name == "Pipeline" and type(est).__module__.startswith("sklearn"):
        return _dump_pipeline(est, path)
    entry = kinds().get(name)
    if entry is None or type(est) is not entry[0]:
        raise SerializationError(
            f"{path}: a {type(est).__module__}.{type(est).__qualname__} cannot be saved in a "
            f"model file; supported: {', '.join(sorted(kinds()))}, Pipeline (StandardScaler "
            "steps + one of those), xgboost XGBClassifier / XGBRegressor / Booster"
        )
    cls, fields, skip = entry
    params = dump_params(est, f"{path}.params")
    fresh = set(vars(cls(**est.get_params(deep=False))))
    attrs = {k: v for k, v in vars(est).items() if k not in fresh and k not in skip}
    return {"kind": name, "params": params, "fitted": dump_fields(attrs, fields, path)}


def load_estimator(node: Any, path: str, budget: Budget):
    if not isinstance(node, dict) or not isinstance(node.get("kind"), str):
        raise bad(path, "expected an estimator entry with a 'kind'")
    kind = node["kind"]
    if kind in ("XGBClassifier", "XGBRegressor", "Booster"):
        return load_xgb(node, path, budget)
    if kind == "Pipeline":
        return _load_pipeline(node, path, budget)
    entry = kinds().get(kind)
    if entry is None:
        raise bad(path, f"unknown estimator kind {kind[:60]!r} (not in the model file schema)")
    if set(node) != {"kind", "params", "fitted"}:
        raise bad(path, "an estimator entry has exactly kind, params and fitted")
    cls, fields, _ = entry
    est = construct(cls, node["params"], f"{path}.params", budget)
    attrs = load_fields(node["fitted"], fields, path, budget)
    _cross_check(kind, est, attrs, path)
    for k, v in attrs.items():
        setattr(est, k, v)
    if kind.startswith("GradientBoosting"):
        est._loss = est._get_loss(sample_weight=None)
    return est


def _cross_check(kind: str, est, a: dict, path: str) -> None:
    n_in = a.get("n_features_in_")
    names = a.get("feature_names_in_")
    if names is not None:
        need(len(names) == n_in, path + ".feature_names_in_", f"needs {n_in} names")
    if "tree_" in a:
        t = a["tree_"]
        need(t.n_features == n_in, path + ".tree_", f"reads {t.n_features} features, not {n_in}")
        if "classes_" in a:
            need(
                int(t.n_classes[0]) == len(a["classes_"]) == a["n_classes_"],
                path + ".tree_",
                "class counts of the tree and classes_ differ",
            )
        else:
            need(
                int(t.n_classes[0]) == 1,
                path + ".tree_",
                "a regression tree has one value per node",
            )
    if "estimators_" in a:
        subs = a["estimators_"]
        flat = list(subs.ravel()) if isinstance(subs, np.ndarray) else list(subs)
        need(len(flat) > 0, path + ".estimators_", "no trees")
        for i, e in enumerate(flat):
            need(
                type(e).__name__
                in (
                    "DecisionTreeClassifier",
                    "DecisionTreeRegressor",
                    "ExtraTreeClassifier",
                    "ExtraTreeRegressor",
                ),
                f"{path}.estimators_[{i}]",
                "must be a decision tree",
            )
            need(e.n_features_in_ == n_in, f"{path}.estimators_[{i}]", f"must read {n_in} features")
            if kind.startswith("GradientBoosting"):
                need(
                    type(e).__name__ == "DecisionTreeRegressor",
                    f"{path}.estimators_[{i}]",
                    "boosting stages are regression trees",
                )
            elif "classes_" in a:
                need(
                    len(getattr(e, "classes_", ())) == len(a["classes_"]),
                    f"{path}.estimators_[{i}]",
                    "classes differ from the forest's",
                )
        if kind.startswith("GradientBoosting"):
            need(
                subs.shape == (a["n_estimators_"], a["n_trees_per_iteration_"]),
                path + ".estimators_",
                "shape must be (n_estimators_, n_trees_per_iteration_)",
            )
    if "coefs_" in a:
        coefs, ints = a["coefs_"], a["intercepts_"]
        need(
            len(coefs) == len(ints) == a["n_layers_"] - 1,
            path + ".coefs_",
            "one weight matrix and intercept per layer",
        )
        need(coefs[0].shape[0] == n_in, path + ".coefs_[0]", f"must take {n_in} inputs")
        for i in range(len(coefs)):
            need(ints[i].shape == (coefs[i].shape[1],), f"{path}.intercepts_[{i}]", "wrong size")
            if i + 1 < len(coefs):
                need(
                    coefs[i + 1].shape[0] == coefs[i].shape[1],
                    f"{path}.coefs_[{i + 1}]",
                    "does not chain with the layer before",
                )
        need(coefs[-1].shape[1] == a["n_outputs_"], path + ".coefs_", "output width differs")
        if "_label_binarizer" in a:
            lb = a["_label_binarizer"]
            need(
                type(lb).__name__ == "LabelBinarizer",
                path + "._label_binarizer",
                "must be a LabelBinarizer",
            )
            need(
                len(lb.classes_) == len(a["classes_"]), path + "._label_binarizer", "classes differ"
            )
    if kind in ("LogisticRegression", "LinearRegression"):
        coef = a["coef_"]
        need(coef.shape[-1] == n_in, path + ".coef_", f"must have {n_in} columns")
        if kind == "LogisticRegression":
            k = len(a["classes_"])
            need(
                coef.ndim == 2 and coef.shape[0] == (1 if k == 2 else k),
                path + ".coef_",
                "one row per class (one for binary)",
            )
            need(
                np.shape(a["intercept_"]) == (coef.shape[0],),
                path + ".intercept_",
                "one per row of coef_",
            )
    if kind == "StandardScaler":
        for name in ("mean_", "var_", "scale_"):
            v = a.get(name)
            need(v is None or v.shape == (n_in,), f"{path}.{name}", f"must have {n_in} entries")
    if kind.startswith("GradientBoosting"):
        init = a["init_"]
        need(
            init == "zero" or type(init).__name__ in ("DummyClassifier", "DummyRegressor"),
            path + ".init_",
            "must be 'zero' or a Dummy estimator",
        )
        if "classes_" in a:
            k = len(a["classes_"])
            need(
                a["n_trees_per_iteration_"] == (1 if k == 2 else k),
                path + ".n_trees_per_iteration_",
                "one tree per class per stage (one for binary)",
            )
        else:
            need(a["n_trees_per_iteration_"] == 1, path + ".n_trees_per_iteration_", "must be 1")


# --- Pipeline ----------------------------------------------------------------------


def _dump_pipeline(pipe, path: str) -> dict:
    params = pipe.get_params(deep=False)
    extra = {k: v for k, v in params.items() if k != "steps"}
    for k, v in extra.items():
        if v not in (None, False, True) or (k != "verbose" and v is not None):
            raise SerializationError(f"{path}.{k}: only the default is saved ({v!r} is not)")
    steps = []
    for i, (name, step) in enumerate(pipe.steps):
        spath = f"{path}.steps[{i}]"
        last = i == len(pipe.steps) - 1
        if not last and type(step).__name__ != "StandardScaler":
            raise SerializationError(
                f"{spath}: a {type(step).__qualname__} step cannot be saved (a model file "
                "holds a Pipeline of StandardScaler steps and one final model)"
            )
        if last and (type(step).__name__ in ("Pipeline", "StandardScaler") or _is_xgb(step)):
            raise SerializationError(f"{spath}: the last step must be a supported model")
        steps.append([_plain.encode(name, spath + ".name"), dump_estimator(step, spath)])
    return {"kind": "Pipeline", "verbose": bool(extra.get("verbose", False)), "steps": steps}


def _load_pipeline(node: Any, path: str, budget: Budget):
    from sklearn.pipeline import Pipeline

    need(set(node) == {"kind", "verbose", "steps"}, path, "a Pipeline has kind, verbose, steps")
    boolean(node["verbose"], path + ".verbose")
    steps = node["steps"]
    need(isinstance(steps, list) and 1 <= len(steps) <= 20, path + ".steps", "1 to 20 steps")
    out = []
    for i, s in enumerate(steps):
        spath = f"{path}.steps[{i}]"
        need(isinstance(s, list) and len(s) == 2, spath, "a step is [name, estimator]")
        name = text(200)(s[0], spath + ".name")
        need(
            not name.startswith("_") and "__" not in name and name not in [n for n, _ in out],
            spath + ".name",
            "bad or repeated step name",
        )
        est = load_estimator(s[1], spath, budget)
        last = i == len(steps) - 1
        kind = type(est).__name__
        need(
            (kind == "StandardScaler") != last,
            spath,
            "steps are StandardScaler, then one final model",
        )
        need(not _is_xgb(est) and kind != "Pipeline", spath, "not allowed as the final step")
        out.append((name, est))
    pipe = Pipeline(out, verbose=node["verbose"])
    widths = [getattr(e, "n_features_in_", None) for _, e in out]
    need(len(set(widths)) == 1, path + ".steps", "every step must take the same number of columns")
    return pipe
