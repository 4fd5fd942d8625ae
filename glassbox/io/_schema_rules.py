"""Schemas of the rule families (rule list, rule set, RIPPER, OneR): their conditions and
rules rebuilt by the ``Condition`` / ``ListRule`` constructors, every column reference,
operator, level code and probability checked first. The backend estimator (imodels,
wittgenstein, mlxtend) is not stored: they predict from their rules.
"""

from __future__ import annotations

import numpy as np

from . import _plain
from ._check import (
    array,
    dict_of,
    integer,
    list_of,
    need,
    number,
    one_of,
    optional,
    text,
)
from ._common import (
    CATEGORIES,
    CLASSES,
    COMMON,
    COUNT,
    DROPPED,
    FLOATS,
    SOURCE,
    Family,
    _n_columns,
    _scales_check,
)
from ._plain import SerializationError
from ._schema import F, Obj, dump_nested_model, load_nested_model

_COND_KEYS = ("feature", "op", "value", "column", "threshold", "codes")


def _dump_cond(c, path):
    from ..models._rules import Condition

    if type(c) is not Condition:
        raise SerializationError(f"{path}: expected a Condition, got {type(c).__name__}")
    return {k: _plain.encode(getattr(c, k), f"{path}.{k}") for k in _COND_KEYS if hasattr(c, k)}


def _column_is_numeric(done: dict, column: int) -> bool | None:
    """Whether column ``column`` of the model's matrix holds numbers (None: unknown)."""
    source = done.get("source_")
    if source is not None and column < len(source) and source[column][1] is not None:
        return False  # a 0/1 dummy of one level
    schema = done.get("input_schema_")
    enc = done.get("encoded_names_")
    if schema is not None and column < len(schema.columns):
        if enc is None or len(enc) == len(schema.columns):
            return schema.columns[column].kind == "numeric"
    return None


def _load_cond(node, path, budget, done: dict):
    from ..models import _rules

    n_columns = _n_columns(done)

    names = [f.name for f in _rules.Condition.__dataclass_fields__.values()]
    need(
        isinstance(node, dict) and set(node) == set(names), path, f"a condition has exactly {names}"
    )
    v = {k: _plain.decode(node[k], f"{path}.{k}", budget) for k in names}
    text(100_000)(v["feature"], path + ".feature")
    op = text(20)(v["op"], path + ".op")
    integer(0, n_columns - 1)(v["column"], path + ".column")
    number(finite=False)(v["threshold"], path + ".threshold")
    value = v["value"]
    need(
        value is None
        or isinstance(value, (str, float, int))
        and not isinstance(value, bool)
        or (isinstance(value, tuple) and all(isinstance(x, str) for x in value)),
        path + ".value",
        "must be a number, a level, a tuple of levels or null",
    )
    codes = v.get("codes", ())
    need(
        type(codes) is tuple and all(type(x) is int and 0 <= x <= 10**7 for x in codes),
        path + ".codes",
        "must be a tuple of level codes",
    )
    cmp = getattr(_rules, "_CMP", {})
    if not codes and op != "is missing":
        need(op in cmp, path + ".op", f"must be one of {sorted(cmp)} or 'is missing'")
        if op != "!=":
            number()(v["threshold"], path + ".threshold")
    numeric = _column_is_numeric(done, v["column"])
    if op == "is missing":
        need(value is None and not codes, path + ".value", "'is missing' has no value")
    elif codes or numeric is False:
        need(
            isinstance(value, str) or isinstance(value, tuple),
            path + ".value",
            "a condition on levels names a level or a tuple of levels",
        )
    elif numeric:
        need(
            isinstance(value, (int, float)) and not isinstance(value, bool),
            path + ".value",
            "a condition on a number compares with a number",
        )
    return _rules.Condition(**v)


def _dump_conds(conds, path):
    if type(conds) is not tuple:
        raise SerializationError(f"{path}: expected a tuple of conditions")
    return [_dump_cond(c, f"{path}[{i}]") for i, c in enumerate(conds)]


def _load_conds(node, path, budget, done):
    need(isinstance(node, list) and len(node) <= 10_000, path, "expected a list of conditions")
    return tuple(_load_cond(c, f"{path}[{i}]", budget, done) for i, c in enumerate(node))


def _dump_cond_lists(v, path):
    if type(v) is not list:
        raise SerializationError(f"{path}: expected a list of rules")
    return [_dump_conds(c, f"{path}[{i}]") for i, c in enumerate(v)]


def _load_cond_lists(node, path, budget, done):
    need(isinstance(node, list) and len(node) <= 1_000_000, path, "expected a list of rules")
    return [_load_conds(c, f"{path}[{i}]", budget, done) for i, c in enumerate(node)]


RULE_CONDITIONS = Obj(_dump_cond_lists, _load_cond_lists, needs_done=True)


def _dump_items(v, path):
    if type(v) is not list:
        raise SerializationError(f"{path}: expected a list of conditions")
    return [_dump_cond(c, f"{path}[{i}]") for i, c in enumerate(v)]


def _load_items(node, path, budget, done):
    need(isinstance(node, list) and len(node) <= 1_000_000, path, "expected a list of conditions")
    return [_load_cond(c, f"{path}[{i}]", budget, done) for i, c in enumerate(node)]


CONDITIONS = Obj(_dump_items, _load_items, needs_done=True)


def _dump_rule_list(v, path):
    from ..models._rules import ListRule

    if type(v) is not list:
        raise SerializationError(f"{path}: expected a list of rules")
    out = []
    for i, r in enumerate(v):
        p = f"{path}[{i}]"
        if type(r) is not ListRule:
            raise SerializationError(f"{p}: expected a ListRule, got {type(r).__name__}")
        out.append(
            {
                "conds": _dump_conds(r.conds, p + ".conds"),
                "proba": _plain.encode(r.proba, p + ".proba"),
                "support": _plain.encode(r.support, p + ".support"),
                "label": _plain.encode(r.label, p + ".label"),
            }
        )
    return out


def _load_rule_list(node, path, budget, done):
    from ..models._rules import ListRule

    need(isinstance(node, list) and 1 <= len(node) <= 1_000_000, path, "expected a list of rules")
    k = len(done["classes_"]) if "classes_" in done else 2
    out = []
    for i, r in enumerate(node):
        p = f"{path}[{i}]"
        need(
            isinstance(r, dict) and set(r) == {"conds", "proba", "support", "label"},
            p,
            "a rule has exactly conds, proba, support, label",
        )
        conds = _load_conds(r["conds"], p + ".conds", budget, done)
        proba = array("f", 1, finite=True, shape=(k,))(
            _plain.decode(r["proba"], p + ".proba", budget), p + ".proba"
        )
        support = integer(0, 2**62)(
            _plain.decode(r["support"], p + ".support", budget), p + ".support"
        )
        label = integer(-1, k - 1)(_plain.decode(r["label"], p + ".label", budget), p + ".label")
        out.append(ListRule(conds, proba, support, label))
    need(len(out[-1].conds) == 0, path, "the last rule must be the ELSE rule (no conditions)")
    return out


RULE_LIST = Obj(_dump_rule_list, _load_rule_list, needs_done=True)


def _sub_models(cls_name: str) -> Obj:
    """``estimators_`` of a one-vs-rest fit: one binary model of the same class per
    class, each a full model entry checked by its own schema (never one-vs-rest itself)."""

    def dump(v, path):
        if type(v) is not list:
            raise SerializationError(f"{path}: expected a list of models")
        return [dump_nested_model(m, f"{path}[{i}]") for i, m in enumerate(v)]

    def load(node, path, budget, done):
        k = len(done.get("classes_", ()))
        need(
            isinstance(node, list) and k >= 3 and len(node) == k,
            path,
            "one-vs-rest holds one model per class (3 or more classes)",
        )
        out = []
        for i, entry in enumerate(node):
            p = f"{path}[{i}]"
            need(
                isinstance(entry, dict) and entry.get("class") == cls_name,
                p,
                f"must be a {cls_name}",
            )
            m = load_nested_model(entry, p, budget)
            need(
                getattr(m, "estimators_", None) is None
                and [int(c) for c in m.classes_] == [0, 1]
                and m.classes_.dtype.kind in "iu",
                p,
                "must be a binary model on targets 0 (the rest) and 1 (the class)",
            )
            need(
                m.n_features_in_ == done.get("n_features_in_"),
                p + ".n_features_in_",
                "must take the model's columns",
            )
            out.append(m)
        return out

    return Obj(dump, load, needs_done=True)


def _one_vs_rest_check(a, path, binary_fields) -> bool:
    """True for a one-vs-rest model (then its own fields are the shared ones only)."""
    if a.get("estimators_") is None:
        missing = [f for f in binary_fields if f not in a]
        need(not missing, path + "." + (missing[0] if missing else ""), "missing")
        return False
    k = len(a["classes_"])
    extra = [f for f in binary_fields if f in a]
    need(not extra, path + "." + (extra[0] if extra else ""), "not a field of a one-vs-rest fit")
    need(np.shape(a["base_value_"]) == (k,), path + ".base_value_", "one number per class")
    need(
        a["importances_"].shape == (a["n_features_in_"], k),
        path + ".importances_",
        "one column per class",
    )
    return True


def _rules_check(a, path):
    n = a["n_features_in_"]
    need(
        a["importances_"].ndim >= 1 and a["importances_"].shape[0] == n,
        path + ".importances_",
        f"one entry per feature ({n})",
    )
    if "rule_list_" in a:
        k = len(a["classes_"])
        want = () if k == 2 else (k,)
        need(
            np.shape(a["base_value_"]) == want,
            path + ".base_value_",
            "one number (two classes) or one per class",
        )
    cuts = a.get("ripper_cuts_")
    if cuts is not None:
        need(all(j < _n_columns(a) for j in cuts), path + ".ripper_cuts_", "column out of range")
    bins = a.get("bins_")
    if bins is not None:
        need(len(bins) == n, path + ".bins_", f"one entry per feature ({n})")


def _with_one_vs_rest(check, binary_fields):
    """``check`` for a binary fit; the one-vs-rest checks for one with ``estimators_``."""

    def both(a, path):
        if not _one_vs_rest_check(a, path, binary_fields):
            check(a, path)
        else:
            _rules_check(a, path)

    return both


_RULE_SET_FIELDS = (
    "rule_conditions_",
    "rule_weights_",
    "linear_coef_",
    "linear_bounds_",
    "intercept_",
    "rule_support_",
    "term_means_",
)


def _rule_set_check(a, path):
    _rules_check(a, path)
    _scales_check(
        a, path, len(a["encoded_names_"]) if a.get("encoded_names_") is not None else _n_columns(a)
    )
    n_rules = len(a["rule_conditions_"])
    need(a["rule_weights_"].shape == (n_rules,), path + ".rule_weights_", "one per rule")
    need(a["rule_support_"].shape == (n_rules,), path + ".rule_support_", "one per rule")
    width = _n_columns(a)
    if a.get("encoded_names_") is not None:
        width = len(a["encoded_names_"])
    need(a["linear_coef_"].shape == (width,), path + ".linear_coef_", f"one per column ({width})")
    need(a["linear_bounds_"].shape == (2, width), path + ".linear_bounds_", f"shape (2, {width})")
    need(a["term_means_"].shape == (width + n_rules,), path + ".term_means_", "one per term")
    need(not isinstance(a["base_value_"], np.ndarray), path + ".base_value_", "must be one number")


def families() -> dict[str, Family]:
    from ..models.one_r import OneRClassifier
    from ..models.ripper import RipperClassifier
    from ..models.rule_list import RuleListClassifier
    from ..models.rule_set import RuleSetClassifier, RuleSetRegressor

    rules_common = {
        **COMMON,
        "categories_": F(CATEGORIES, optional=True),
        "encoded_names_": F(list_of(text(100_000)), optional=True),
        "source_": F(SOURCE, optional=True),
        "estimator_": F(DROPPED, optional=True),
        "backend_": F(text(200), optional=True),
        "base_value_": F(one_of(number(), array("f", 1, finite=True))),
        "importances_": F(FLOATS),
        "missing_rule_": F(text(10_000), optional=True),
        "input_scale_": F(optional(FLOATS), optional=True),
        "target_scale_": F(number(), optional=True),
    }
    rule_list = {
        **rules_common,
        **CLASSES,
        "rule_list_": F(RULE_LIST, optional=True),  # absent in a one-vs-rest fit
        "n_iter_": F(COUNT, optional=True),
        "items_": F(CONDITIONS, optional=True),
    }
    ripper = {
        **rule_list,
        "ripper_cuts_": F(dict_of(integer(0, 10**7), array("f", 1)), optional=True),
        "estimators_": F(_sub_models("RipperClassifier"), optional=True),
    }
    one_r = {
        **rule_list,
        "rule_list_": F(RULE_LIST),
        "bins_": F(list_of(optional(array("f", 1)))),
        "feature_": F(text(100_000)),
        "train_accuracy_": F(number()),
    }
    rule_set = {
        **rules_common,
        "rule_conditions_": F(RULE_CONDITIONS),
        "rule_weights_": F(array("f", 1, finite=True)),
        "linear_coef_": F(array("f", 1, finite=True)),
        "linear_bounds_": F(array("f", 2)),
        "intercept_": F(number()),
        "rule_support_": F(array("iu", 1)),
        "term_means_": F(FLOATS),
    }
    rule_set_classifier = {  # a one-vs-rest fit holds estimators_ instead of its own terms
        **rules_common,
        **CLASSES,
        **{k: F(v.check, optional=True) for k, v in rule_set.items() if k in _RULE_SET_FIELDS},
        "estimators_": F(_sub_models("RuleSetClassifier"), optional=True),
    }
    rule_list["estimators_"] = F(_sub_models("RuleListClassifier"), optional=True)
    dropped = ("estimator_",)  # the imodels / wittgenstein / mlxtend estimator: not stored
    return {
        "RuleListClassifier": Family(
            RuleListClassifier, rule_list, _with_one_vs_rest(_rules_check, ("rule_list_",)), dropped
        ),
        "RuleSetClassifier": Family(
            RuleSetClassifier,
            rule_set_classifier,
            _with_one_vs_rest(_rule_set_check, _RULE_SET_FIELDS),
            dropped,
        ),
        "RuleSetRegressor": Family(RuleSetRegressor, rule_set, _rule_set_check, dropped),
        "RipperClassifier": Family(
            RipperClassifier,
            ripper,
            _with_one_vs_rest(_rules_check, ("rule_list_", "ripper_cuts_")),
            dropped,
        ),
        "OneRClassifier": Family(OneRClassifier, one_r, _rules_check, dropped),
    }
