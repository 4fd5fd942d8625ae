"""The model-file schema of a distilled ``Surrogate``: its fields, its black box, its student.

glassbox's model files (``glassbox.io``) know the glassbox families; this module
adds ``Surrogate`` to them (``register_schema``, called when ``surrogates`` is
imported), so that glassbox never imports surrogates.

The black box is written as the scikit-learn / xgboost model behind it (see
``_sklearn``) plus which of its methods gives the scores (``predict``,
``predict_proba`` or ``decision_function``; for an xgboost Booster, the
Booster's own prediction), and the ``BlackBox`` settings. A black box given as
any other callable (a lambda, a local function, a torch module) cannot be saved.
"""

from __future__ import annotations

from typing import Any

from glassbox.io import _plain, _sklearn, register_schema
from glassbox.io._check import (
    array,
    boolean,
    classes,
    dict_of,
    integer,
    list_of,
    need,
    number,
    optional,
    text,
)
from glassbox.io._families import FRAME
from glassbox.io._plain import Budget, SerializationError
from glassbox.io._schema import F, Obj, dump_fields, load_fields

_METHODS = ("predict", "predict_proba", "decision_function")

_BB_FIELDS = {
    "task": F(optional(text(20, ("classification", "regression")))),
    "output": F(text(20, ("auto", "proba", "logits", "value", "label", "raw"))),
    "classes_": F(optional(classes)),
    "feature_names_in_": F(optional(list_of(text(100_000), 10**7))),
    "n_features_in_": F(optional(integer(1, 10**7))),
    "batch_size": F(integer(1, 2**31)),
    "_as_frame": F(boolean),
    "description": F(text(1000)),
    "n_calls_": F(integer(0, 2**62)),
    "n_rows_": F(integer(0, 2**62)),
    "_n_outputs": F(optional(integer(1, 10**7))),
    "single_output_": F(optional(boolean)),
    "_classes_inferred": F(boolean),
}


def _dump_blackbox(bb, path: str) -> dict:
    from .blackbox import BlackBox

    if type(bb) is not BlackBox:
        raise SerializationError(f"{path}: expected a BlackBox, got {type(bb).__name__}")
    fn = bb._fn
    owner = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", "")
    if owner is not None and name in _METHODS and getattr(owner, name, None) == fn:
        model, method, names = owner, name, None
    elif getattr(fn, "__qualname__", "") == "_booster_fn.<locals>.fn" and fn.__closure__:
        cells = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__)))
        model, method, names = cells.get("booster"), "booster", cells.get("names")
        if type(model).__name__ != "Booster":
            raise SerializationError(f"{path}._fn: not an xgboost Booster")
    else:
        raise SerializationError(
            f"{path}._fn: a black box given as {getattr(fn, '__qualname__', type(fn).__name__)} "
            "cannot be saved; model files hold scikit-learn and xgboost models (pass the fitted "
            "model itself to distill)"
        )
    if not _sklearn.supported(model):
        raise SerializationError(
            f"{path}._fn: a {type(model).__module__}.{type(model).__qualname__} black box cannot "
            "be saved; model files hold MLP, random forest, extra trees, decision tree, gradient "
            "boosting, logistic and linear regression models, a Pipeline of StandardScaler + one "
            "of those, and xgboost XGBClassifier / XGBRegressor / Booster"
        )
    attrs = {k: getattr(bb, k) for k in _BB_FIELDS}
    return {
        "model": _sklearn.dump_estimator(model, path + ".model"),
        "method": method,
        "booster_names": _plain.encode(names, path + ".booster_names"),
        "settings": dump_fields(attrs, _BB_FIELDS, path),
    }


def _load_blackbox(node: Any, path: str, budget: Budget):
    from .blackbox import BlackBox, _booster_fn

    need(
        isinstance(node, dict) and set(node) == {"model", "method", "booster_names", "settings"},
        path,
        "a black box has exactly model, method, booster_names, settings",
    )
    model = _sklearn.load_estimator(node["model"], path + ".model", budget)
    method = text(40, (*_METHODS, "booster"))(node["method"], path + ".method")
    s = load_fields(node["settings"], _BB_FIELDS, path, budget)
    if method == "booster":
        need(type(model).__name__ == "Booster", path + ".method", "'booster' is for a Booster")
        names = optional(list_of(text(100_000)))(
            _plain.decode(node["booster_names"], path + ".booster_names", budget),
            path + ".booster_names",
        )
        fn = _booster_fn(model, names)
    else:
        need(node["booster_names"] is None, path + ".booster_names", "must be null")
        need(
            type(model).__name__ != "Booster" and hasattr(model, method),
            path + ".method",
            f"the model has no {method}",
        )
        fn = getattr(model, method)
    width = getattr(model, "n_features_in_", None)
    if method == "booster":
        width = model.num_features()
    if s["n_features_in_"] is not None and width is not None:
        need(
            s["n_features_in_"] == width,
            path + ".n_features_in_",
            f"the model takes {width} features",
        )
    if s["feature_names_in_"] is not None and s["n_features_in_"] is not None:
        need(
            len(s["feature_names_in_"]) == s["n_features_in_"],
            path + ".feature_names_in_",
            "one name per feature",
        )
    try:
        bb = BlackBox(
            fn,
            task=s["task"],
            output=s["output"],
            classes=s["classes_"],
            n_features=s["n_features_in_"],
            feature_names=s["feature_names_in_"],
            batch_size=s["batch_size"],
            as_frame=s["_as_frame"],
            description=s["description"],
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"model file field {path}: {str(exc).splitlines()[0]}") from None
    for k in (
        "n_calls_",
        "n_rows_",
        "_n_outputs",
        "single_output_",
        "_classes_inferred",
        "classes_",
    ):
        setattr(bb, k, s[k])
    bb._as_frame = s["_as_frame"]
    return bb


BLACKBOX = Obj(_dump_blackbox, _load_blackbox)

_FID_KEYS = {
    "metric": text(20, ("agreement", "r2")),
    "value": number(finite=False),
    "lower": number(finite=False),
    "upper": number(finite=False),
    "n": integer(0, 2**62),
    "confidence": number(),
    "method": text(40, ("clopper-pearson", "bootstrap")),
}


def _dump_fidelity(f, path):
    from .metrics import Fidelity

    if type(f) is not Fidelity:
        raise SerializationError(f"{path}: expected a Fidelity")
    return {k: _plain.encode(getattr(f, k), f"{path}.{k}") for k in _FID_KEYS}


def _load_fidelity(node, path, budget):
    from .metrics import Fidelity

    need(isinstance(node, dict) and set(node) == set(_FID_KEYS), path, f"needs {sorted(_FID_KEYS)}")
    return Fidelity(
        **{
            k: c(_plain.decode(node[k], f"{path}.{k}", budget), f"{path}.{k}")
            for k, c in _FID_KEYS.items()
        }
    )


FIDELITY = Obj(_dump_fidelity, _load_fidelity)


def _dump_student(m, path):
    from glassbox.io import dump_model

    return dump_model(m, path)


def _load_student(node, path, budget):
    from glassbox.io import load_model

    return load_model(node, path, budget, surrogate=False)


STUDENT = Obj(_dump_student, _load_student)

FIELDS = {
    "student_": F(STUDENT),
    "blackbox_": F(BLACKBOX),
    "fidelity_": F(FIDELITY),
    "input_names": F(optional(list_of(text(100_000)))),
    "labels_": F(text(10, ("hard", "soft"))),
    "history_": F(FRAME),
    "confidence": F(number()),
    "query_mix_": F(optional(dict_of(text(40), number()))),
    "n_data_": F(integer(0, 2**62)),
    "n_queries_": F(integer(0, 2**62)),
    "holdout_X": F(array("f", 2)),
    "holdout_scores": F(array("f", 2)),
}


def dump_surrogate(sur, path: str) -> dict:
    state = sur._to_state()
    return dump_fields(state, FIELDS, path)


def load_surrogate(node, path: str, budget: Budget):
    from .distill import Surrogate

    state = load_fields(node, FIELDS, path, budget)
    width = state["holdout_X"].shape[1]
    need(
        state["student_"].n_features_in_ == width,
        path + ".student_",
        f"the student must take the {width} columns of the held-out rows",
    )
    try:
        return Surrogate._from_state(state)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"model file field {path}: {str(exc).splitlines()[0]}") from None


def register() -> None:
    """Add ``Surrogate`` to the classes glassbox model files hold."""
    from .distill import Surrogate

    register_schema(Surrogate, dump_surrogate, load_surrogate)
