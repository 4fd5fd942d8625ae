"""interpret's EBM and pygam's GAMs rebuilt from validated public attributes.

EBM: ``ExplainableBoostingClassifier/Regressor(**params)`` given its public fitted
attributes (``bins_``, ``term_features_``, ``term_scores_``, ``intercept_``, ...);
every term's score table is checked against the bins of its features, every
feature index against ``n_features_in_``.

pygam: each GAM is rebuilt from its terms (``s``/``f``/``l``/``intercept`` built by
pygam's own term classes from checked arguments), its ``coef_`` (one per basis
column of the terms) and its ``statistics_`` (numbers and arrays; ``cov`` square
of that size), through pygam's own parameter validation.
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
    dict_of,
    integer,
    list_of,
    need,
    number,
    one_of,
    optional,
    text,
)
from ._plain import Budget, SerializationError
from ._schema import F, Obj, construct, dump_fields, dump_params, load_fields

# --- EBM ---------------------------------------------------------------------------


def _bins_check(v, path):
    list_of(
        list_of(one_of(array("f", 1, finite=True), dict_of(text(10_000), integer(1, 10**7))), 8),
        10**6,
    )(v, path)
    for f, levels in enumerate(v):
        need(len(levels) >= 1, f"{path}[{f}]", "no binning levels")
        for k, b in enumerate(levels):
            if isinstance(b, np.ndarray):
                need(bool(np.all(np.diff(b) > 0)), f"{path}[{f}][{k}]", "cuts must increase")
            else:
                need(
                    sorted(b.values()) == list(range(1, len(b) + 1)),
                    f"{path}[{f}][{k}]",
                    "category bins must be numbered 1..n",
                )
    return v


_EBM_FIELDS = {
    "n_features_in_": F(integer(1, 10**6)),
    "term_names_": F(list_of(text(100_000), 10**6)),
    "histogram_edges_": F(list_of(optional(array("f", 1)), 10**6), optional=True),
    "histogram_weights_": F(list_of(optional(array("f", 1)), 10**6), optional=True),
    "unique_val_counts_": F(array("iu", 1)),
    "classes_": F(classes, optional=True),
    "bins_": F(_bins_check),
    "feature_names_in_": F(list_of(text(100_000), 10**6)),
    "feature_types_in_": F(list_of(text(40, ("continuous", "nominal", "ordinal")), 10**6)),
    "feature_bounds_": F(array("f", 2)),
    "term_features_": F(list_of(list_of(integer(0, 10**6), 8, kind=tuple), 10**6)),
    "bin_weights_": F(list_of(array("f"), 10**6)),
    "bagged_scores_": F(list_of(array("f"), 10**6)),
    "term_scores_": F(list_of(array("f", finite=True), 10**6)),
    "standard_deviations_": F(list_of(array("f"), 10**6)),
    "intercept_": F(one_of(number(), array("f", 1, finite=True))),
    "bagged_intercept_": F(one_of(number(), array("f", (1, 2)))),
    "link_": F(text(40, ("logit", "vlogit", "mlogit", "identity", "log", "monoclassification"))),
    "link_param_": F(number(finite=False)),
    "bag_weights_": F(array("f", 1)),
    "best_iteration_": F(array("iu", 2)),
    "has_fitted_": F(boolean),
    "min_target_": F(number(), optional=True),
    "max_target_": F(number(), optional=True),
}


def _ebm_cross_check(a: dict, path: str) -> None:
    n = a["n_features_in_"]
    for name in ("bins_", "feature_names_in_", "feature_types_in_"):
        need(len(a[name]) == n, f"{path}.{name}", f"needs one entry per feature ({n})")
    need(a["unique_val_counts_"].shape == (n,), path + ".unique_val_counts_", f"needs {n} entries")
    for f, (levels, kind) in enumerate(zip(a["bins_"], a["feature_types_in_"])):
        numeric = kind == "continuous"
        need(
            all(isinstance(b, np.ndarray) == numeric for b in levels),
            f"{path}.bins_[{f}]",
            "continuous features have cut arrays, nominal/ordinal ones level dicts",
        )
    need(a["feature_bounds_"].shape == (n, 2), path + ".feature_bounds_", f"must be ({n}, 2)")
    terms = a["term_features_"]
    k = len(terms)
    for name in (
        "term_names_",
        "term_scores_",
        "bin_weights_",
        "bagged_scores_",
        "standard_deviations_",
    ):
        need(len(a[name]) == k, f"{path}.{name}", f"needs one entry per term ({k})")
    n_scores = 1
    if "classes_" in a and len(a["classes_"]) > 2:
        n_scores = len(a["classes_"])
    for t, feats in enumerate(terms):
        tp = f"{path}.term_features_[{t}]"
        need(
            1 <= len(feats) and all(f < n for f in feats) and len(set(feats)) == len(feats),
            tp,
            f"feature indices must be distinct and below {n}",
        )
        shape = []
        for f in feats:
            levels = a["bins_"][f]
            b = levels[min(len(feats) - 1, len(levels) - 1)]
            shape.append(len(b) + 3 if isinstance(b, np.ndarray) else len(b) + 2)
        want = tuple(shape) + ((n_scores,) if n_scores > 1 else ())
        for name in ("term_scores_", "bin_weights_"):
            got = a[name][t].shape
            need(
                got == want if name == "term_scores_" else got == tuple(shape),
                f"{path}.{name}[{t}]",
                f"shape {got} does not match the bins of its features {want}",
            )
    icpt = np.atleast_1d(a["intercept_"])
    need(icpt.shape == (n_scores,), path + ".intercept_", f"needs {n_scores} value(s)")


def _ebm_params() -> dict:
    """Declared types of the EBM's parameters (interpret checks them only in fit)."""
    count = integer(0, 10**9)
    num = number()
    return {
        "feature_names": optional(list_of(text(100_000))),
        "feature_types": optional(list_of(optional(text(100)))),
        "max_bins": integer(2, 10**7),
        "max_interaction_bins": integer(2, 10**7),
        "interactions": one_of(number(), list_of(list_of(any_plain, 8, kind=tuple))),
        "exclude": optional(list_of(any_plain)),
        "validation_size": num,
        "outer_bags": integer(1, 10**5),
        "inner_bags": count,
        "learning_rate": num,
        "greedy_ratio": optional(num),
        "cyclic_progress": one_of(boolean, num),
        "smoothing_rounds": count,
        "interaction_smoothing_rounds": count,
        "max_rounds": count,
        "early_stopping_rounds": count,
        "early_stopping_tolerance": num,
        "min_samples_leaf": count,
        "min_hessian": num,
        "reg_alpha": optional(num),
        "reg_lambda": optional(num),
        "max_delta_step": optional(num),
        "gain_scale": optional(num),
        "min_cat_samples": count,
        "cat_smooth": num,
        "missing": text(40),
        "max_leaves": count,
        "monotone_constraints": optional(list_of(integer(-1, 1))),
        "objective": text(200),
        "n_jobs": integer(-(10**5), 10**5),
        "random_state": optional(integer(-(2**63), 2**63)),
        "callback": lambda v, p: need(v is None, p, "must be null"),
    }


def _dump_ebm(est, path: str) -> dict:
    name = type(est).__name__
    if name not in ("ExplainableBoostingClassifier", "ExplainableBoostingRegressor"):
        raise SerializationError(f"{path}: a {name} cannot be saved here (an EBM is expected)")
    params = est.get_params(deep=False)
    attrs = {k: v for k, v in vars(est).items() if k not in params}
    return {
        "kind": name,
        "params": dump_params(est, path + ".params"),
        "fitted": dump_fields(attrs, _EBM_FIELDS, path),
    }


def _load_ebm(node: Any, path: str, budget: Budget):
    from interpret.glassbox import ExplainableBoostingClassifier, ExplainableBoostingRegressor

    need(
        isinstance(node, dict) and set(node) == {"kind", "params", "fitted"},
        path,
        "an EBM entry has exactly kind, params and fitted",
    )
    cls = {
        "ExplainableBoostingClassifier": ExplainableBoostingClassifier,
        "ExplainableBoostingRegressor": ExplainableBoostingRegressor,
    }.get(node["kind"] if isinstance(node["kind"], str) else "")
    need(cls is not None, path + ".kind", "must be ExplainableBoostingClassifier/Regressor")
    est = construct(cls, node["params"], path + ".params", budget)
    for name, check in _ebm_params().items():
        if hasattr(est, name):
            check(getattr(est, name), f"{path}.params.{name}")
    a = load_fields(node["fitted"], _EBM_FIELDS, path, budget)
    need(
        ("classes_" in a) == (cls is ExplainableBoostingClassifier),
        path + ".classes_",
        "a classifier has classes_, a regressor none",
    )
    _ebm_cross_check(a, path)
    if cls is ExplainableBoostingClassifier:
        need(isinstance(a["intercept_"], np.ndarray), path + ".intercept_", "must be an array")
    else:
        need(type(a["intercept_"]) is float, path + ".intercept_", "must be a float")
    for k, v in a.items():
        setattr(est, k, v)
    return est


EBM = Obj(_dump_ebm, _load_ebm)


# --- pygam -------------------------------------------------------------------------

_TERM_KEYS = {
    "s": {
        "feature",
        "n_splines",
        "spline_order",
        "lam",
        "penalties",
        "constraints",
        "basis",
        "edge_knots_",
    },
    "f": {"feature", "n_splines", "lam", "penalties", "coding", "edge_knots_"},
    "l": {"feature", "lam", "penalties", "edge_knots_"},
    "intercept": set(),
}
_STAT_KEYS = {
    "n_samples": integer(0, 2**62),
    "m_features": integer(1, 10**6),
    "edof_per_coef": array("f", 1),
    "edof": number(False),
    "scale": number(False),
    "cov": array("f", 2),
    "se": array("f", 1),
    "AIC": number(False),
    "AICc": number(False),
    "pseudo_r2": dict_of(text(40), number(False)),
    "GCV": optional(number(False)),
    "UBRE": optional(number(False)),
    "loglikelihood": number(False),
    "deviance": number(False),
    "p_values": list_of(number(False)),
}
_DISTS = ("normal", "binomial", "poisson", "gamma", "inv_gauss")
_LINKS = ("identity", "logit", "log", "inverse", "inv_squared")


def _dump_term(t, path: str) -> dict:
    from pygam.terms import FactorTerm, Intercept, LinearTerm, SplineTerm, TensorTerm

    if type(t) is TensorTerm:  # a pair te(i, j): its spline margins, in order
        if getattr(t, "by", None) is not None:
            raise SerializationError(f"{path}: pygam terms with by= cannot be saved")
        margins = t._terms
        if len(margins) != 2 or any(type(m) is not SplineTerm for m in margins):
            raise SerializationError(f"{path}: only tensor terms of two splines can be saved")
        return {
            "kind": "te",
            "margins": [_dump_term(m, f"{path}.margins[{i}]") for i, m in enumerate(margins)],
        }
    kind = {SplineTerm: "s", FactorTerm: "f", LinearTerm: "l", Intercept: "intercept"}.get(type(t))
    if kind is None:
        raise SerializationError(f"{path}: a pygam {type(t).__name__} cannot be saved")
    if getattr(t, "by", None) is not None:
        raise SerializationError(f"{path}: pygam terms with by= cannot be saved")
    out = {"kind": kind}
    for key in sorted(_TERM_KEYS[kind]):
        out[key] = _plain.encode(getattr(t, key), f"{path}.{key}")
    return out


def _load_term(node: Any, path: str, budget: Budget, n_features: int):
    from pygam.terms import FactorTerm, Intercept, LinearTerm, SplineTerm, TensorTerm

    if isinstance(node, dict) and node.get("kind") == "te":
        need(set(node) == {"kind", "margins"}, path, "a te term has margins")
        need(
            isinstance(node["margins"], list) and len(node["margins"]) == 2,
            path + ".margins",
            "a te term has two spline margins",
        )
        margins = []
        for i, m in enumerate(node["margins"]):
            need(isinstance(m, dict) and m.get("kind") == "s", f"{path}.margins[{i}]", "a spline")
            margins.append(_load_term(m, f"{path}.margins[{i}]", budget, n_features))
        need(
            margins[0].feature != margins[1].feature,
            path + ".margins",
            "two distinct features",
        )
        return TensorTerm(*margins)
    need(
        isinstance(node, dict) and isinstance(node.get("kind"), str) and node["kind"] in _TERM_KEYS,
        path,
        "unknown pygam term",
    )
    kind = node["kind"]
    need(
        set(node) == _TERM_KEYS[kind] | {"kind"},
        path,
        f"a {kind} term has {sorted(_TERM_KEYS[kind])}",
    )
    v = {k: _plain.decode(node[k], f"{path}.{k}", budget) for k in _TERM_KEYS[kind]}
    if kind == "intercept":
        return Intercept()
    integer(0, n_features - 1)(v["feature"], path + ".feature")
    lam = list_of(number(), 1)(v["lam"], path + ".lam")
    need(len(lam) == 1 and lam[0] >= 0, path + ".lam", "one lam >= 0")
    list_of(text(20, ("auto", "derivative", "l2", "none", "periodic")), 1)(
        v["penalties"], path + ".penalties"
    )
    need(len(v["penalties"]) == 1, path + ".penalties", "one penalty")
    knots = array("f", 1, finite=True, shape=(2,))(v["edge_knots_"], path + ".edge_knots_")
    need(knots[0] <= knots[1], path + ".edge_knots_", "must be [low, high]")
    if kind == "s":
        n_spl = integer(1, 10_000)(v["n_splines"], path + ".n_splines")
        order = integer(0, 10)(v["spline_order"], path + ".spline_order")
        need(n_spl > order, path + ".n_splines", "must exceed spline_order")
        list_of(
            optional(
                text(
                    40, ("monotonic_inc", "monotonic_dec", "convex", "concave", "periodic", "none")
                )
            ),
            1,
        )(v["constraints"], path + ".constraints")
        need(len(v["constraints"]) == 1, path + ".constraints", "one constraint (or null)")
        text(10, ("ps", "cp"))(v["basis"], path + ".basis")
        term = SplineTerm(
            v["feature"],
            n_splines=n_spl,
            spline_order=order,
            lam=lam,
            penalties=v["penalties"],
            constraints=v["constraints"],
            basis=v["basis"],
        )
    elif kind == "f":
        n_lev = integer(1, 1_000_000)(v["n_splines"], path + ".n_splines")
        text(20, ("one-hot", "dummy"))(v["coding"], path + ".coding")
        need(
            bool(knots[0] == -0.5 and knots[1] == n_lev - 0.5),
            path + ".edge_knots_",
            f"a factor of {n_lev} levels has knots [-0.5, {n_lev - 0.5}]",
        )
        term = FactorTerm(v["feature"], lam=lam, penalties=v["penalties"], coding=v["coding"])
        term.n_splines = n_lev
    else:
        term = LinearTerm(v["feature"], lam=lam, penalties=v["penalties"])
    term.edge_knots_ = knots
    return term


def _dump_gams(gams, path: str) -> list:
    from pygam import GAM, LogisticGAM

    if type(gams) is not list:
        raise SerializationError(f"{path}: expected a list of pygam models")
    out = []
    for i, g in enumerate(gams):
        p = f"{path}[{i}]"
        if type(g) not in (GAM, LogisticGAM):
            raise SerializationError(f"{p}: a {type(g).__qualname__} cannot be saved here")
        stats = {k: dict(v) if k == "pseudo_r2" else v for k, v in g.statistics_.items()}
        out.append(
            {
                "kind": type(g).__name__,
                "distribution": g.distribution._name,
                "scale": _plain.encode(g.distribution.scale, p + ".scale"),
                "link": g.link._name,
                "max_iter": int(g.max_iter),
                "tol": float(g.tol),
                "fit_intercept": bool(g.fit_intercept),
                "terms": [_dump_term(t, f"{p}.terms[{j}]") for j, t in enumerate(g.terms._terms)],
                "coef_": _plain.encode(g.coef_, p + ".coef_"),
                "statistics_": dump_fields(
                    stats, {k: F(c) for k, c in _STAT_KEYS.items()}, p + ".statistics_"
                ),
            }
        )
    return out


def load_gams(node: Any, path: str, budget: Budget, n_features: int):
    from collections import OrderedDict, defaultdict

    from pygam import GAM, LogisticGAM
    from pygam.terms import TermList

    need(
        isinstance(node, list) and 1 <= len(node) <= 10_000, path, "expected a list of pygam models"
    )
    out = []
    keys = {
        "kind",
        "distribution",
        "scale",
        "link",
        "max_iter",
        "tol",
        "fit_intercept",
        "terms",
        "coef_",
        "statistics_",
    }
    for i, g in enumerate(node):
        p = f"{path}[{i}]"
        need(isinstance(g, dict) and set(g) == keys, p, f"a pygam entry has exactly {sorted(keys)}")
        need(g["kind"] in ("GAM", "LogisticGAM"), p + ".kind", "must be GAM or LogisticGAM")
        dist = text(20, _DISTS)(g["distribution"], p + ".distribution")
        link = text(20, _LINKS)(g["link"], p + ".link")
        scale = optional(number())(_plain.decode(g["scale"], p + ".scale", budget), p + ".scale")
        max_iter = integer(1, 10**7)(g["max_iter"], p + ".max_iter")
        tol = number()(g["tol"], p + ".tol")
        boolean(g["fit_intercept"], p + ".fit_intercept")
        need(
            isinstance(g["terms"], list) and 1 <= len(g["terms"]) <= 10**5,
            p + ".terms",
            "bad terms",
        )
        terms = [
            _load_term(t, f"{p}.terms[{j}]", budget, n_features) for j, t in enumerate(g["terms"])
        ]
        termlist = TermList(*terms)
        if g["kind"] == "LogisticGAM":
            need(
                dist == "binomial" and link == "logit",
                p,
                "a LogisticGAM is binomial with logit link",
            )
            gam = LogisticGAM(
                termlist, max_iter=max_iter, tol=tol, fit_intercept=g["fit_intercept"]
            )
        else:
            gam = GAM(
                termlist,
                distribution=dist,
                link=link,
                max_iter=max_iter,
                tol=tol,
                fit_intercept=g["fit_intercept"],
            )
        try:
            gam._validate_params()
        except (TypeError, ValueError) as exc:
            raise bad(p, f"pygam refused the parameters: {exc}") from None
        gam.terms = termlist
        gam.distribution.scale = scale
        n_coefs = int(sum(t.n_coefs for t in terms))
        coef = array("f", 1, finite=True, shape=(n_coefs,))(
            _plain.decode(g["coef_"], p + ".coef_", budget), p + ".coef_"
        )
        stats = load_fields(
            g["statistics_"], {k: F(c) for k, c in _STAT_KEYS.items()}, p + ".statistics_", budget
        )
        need(
            stats["cov"].shape == (n_coefs, n_coefs),
            p + ".statistics_.cov",
            f"must be {n_coefs} square",
        )
        need(
            stats["m_features"] == n_features,
            p + ".statistics_.m_features",
            f"must be {n_features}",
        )
        for k in ("edof_per_coef", "se"):
            need(stats[k].shape == (n_coefs,), f"{p}.statistics_.{k}", f"needs {n_coefs} entries")
        stats["pseudo_r2"] = OrderedDict(stats["pseudo_r2"])
        gam.coef_ = coef
        gam.statistics_ = stats
        gam.logs_ = defaultdict(list)
        out.append(gam)
    return out
