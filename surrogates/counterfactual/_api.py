"""The entry point ``counterfactuals``: constraints and cost, then the exact
solver the model allows, the search otherwise; every row re-checked."""

from __future__ import annotations

import numpy as np

from glassbox.base import progress_ticker

from .._threads import one_blas_thread
from . import _additive
from ._additive import _additive_solve
from ._cells import _auto_budget, _cells_solve
from ._linear import _linear_solve
from ._oracle import _Oracle
from ._result import Counterfactuals
from ._ruleset import _ruleset_solve
from ._search import _search
from ._space import _Space
from ._tree import _tree_solve

_METHODS = ("auto", "linear", "tree", "ruleset", "additive", "cells", "search")


def counterfactuals(
    model,
    x,
    *,
    desired=None,
    n: int = 4,
    X=None,
    immutable=(),
    bounds=None,
    monotone=None,
    cost=None,
    method: str = "auto",
    time_limit: float = 10.0,
    random_state=None,
    progress: bool = True,
) -> Counterfactuals:
    """Up to ``n`` rows near ``x`` that ``model`` gives the ``desired`` outcome.

    Parameters
    ----------
    model : fitted classifier or regressor (glassbox, scikit-learn, any object
        with ``predict``) or a callable returning labels / values.
    x : one row: a one-row DataFrame, a Series, or a 1-D array.
    desired : a class (classifiers; default the other class of a binary one)
        or ``(low, high)`` of the prediction (regressors; None for an open side).
    n : number of counterfactuals.
    X : data the model was trained on (or like it): feature scales for the cost,
        observed levels, integer features, default bounds, plausible seeds.
    immutable : features that must not change.
    bounds : ``{feature: (low, high)}`` for numeric features (None for an open
        side; default the range in ``X``), ``{feature: [levels]}`` for categorical ones.
    monotone : ``{feature: "up" | "down"}``.
    cost : ``{feature: weight}`` or one weight per feature (default 1 / MAD on X).
    method : "auto", "linear", "tree", "ruleset", "additive", "cells" or "search".
        "auto" takes the exact solver the model allows; on a scikit-learn or
        xgboost tree ensemble it enumerates the cells only when the ensemble is
        small (``_cells.AUTO_NODES`` split nodes, for ``_cells.AUTO_SECONDS`` at
        most) and searches otherwise; ``exact`` and ``message`` say which.
    time_limit : seconds the search (and the cell enumeration, half of it with
        ``method="cells"``) may take; the tree and linear solvers are not limited.
    random_state : seed of the search.
    progress : show a line with the elapsed time when the solve takes more than
        about 2 s (``progress=False``: nothing).

    Returns
    -------
    Counterfactuals
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    if isinstance(immutable, str):
        immutable = (immutable,)
    space = _Space(model, x, X, immutable, bounds, monotone, cost)
    with progress_ticker("counterfactuals", enabled=bool(progress)):
        # the search's small batches on one BLAS thread; the final re-check runs
        # outside, as the model runs for its user
        with one_blas_thread():
            oracle = _Oracle(model, space, desired)
            solved = _solve(model, space, oracle, n, method, float(time_limit), random_state)
        Z = solved[0]
        out = oracle.final_predict(Z)  # re-checked on the model itself, always
        if out is None:  # the read trees or the bare matrix disagreed with the model: again without
            with one_blas_thread():
                oracle = _Oracle(model, space, desired, read_trees=False)
                solved = _solve(model, space, oracle, n, method, float(time_limit), random_state)
            Z = solved[0]
            out = oracle.final_predict(Z)
    Z, exact, used, complete, message, lower = solved
    valid = oracle.ok(out)
    if used == "search" and not valid.all():
        # a searched row the model disagrees on (possible only through rounding in
        # the read trees) is dropped, not shown: the search promises nothing about it
        Z, out, valid = Z[valid], out[valid], valid[valid]
    changes = []
    for z in Z:
        ch = []
        for j in np.flatnonzero(z != space.x0):
            ch.append((space.names[j], space.value(j, space.x0[j]), space.value(j, z[j])))
        changes.append(tuple(ch))
    if not len(Z) and used == "search":
        message = message or "no counterfactual found by the search"
    original = oracle.original
    costs = space.costs(Z)
    return Counterfactuals(
        x=space.x_frame,
        rows=space.decode(Z),
        changes=tuple(changes),
        costs=costs,
        valid=valid,
        outcomes=tuple(o.item() if hasattr(o, "item") else o for o in out),
        original=original.item() if hasattr(original, "item") else original,
        desired=oracle.desired,
        exact=bool(exact) and bool(valid.all()),
        method=used,
        complete=complete,
        message=message,
        n_calls=oracle.n_calls,
        feature_weights=dict(zip(space.names, space.w.tolist())),
        lower_bound=float(costs[0]) if exact and len(Z) and valid.all() else lower,
    )


def _solve(model, space: _Space, oracle: _Oracle, n: int, method: str, time_limit: float, seed):
    """(rows, exact, solver used, complete, message, lower bound) of the first solver
    that applies (``method="auto"``) or of the one asked for."""
    rng = np.random.default_rng(seed)
    result = None
    used = method
    complete, message = True, ""
    if method in ("auto", "tree"):
        result = _tree_solve(model, space, oracle, n)
        used = "tree"
        if result is None and method == "tree":
            raise ValueError(f"method='tree' needs a decision tree, got {type(model).__name__}")
    if result is None and method in ("auto", "linear"):
        result = _linear_solve(model, space, oracle, n)
        used = "linear"
        if result is None and method == "linear":
            raise ValueError(f"method='linear' needs a linear model, got {type(model).__name__}")
    if result is None and method in ("auto", "ruleset"):
        result = _ruleset_solve(model, space, oracle, n)
        used = "ruleset"
        if result is None and method == "ruleset":
            raise ValueError(
                "method='ruleset' needs a RuleSetClassifier (binary) or RuleSetRegressor on "
                f"numeric features, got {type(model).__name__}"
            )
    lower = float("nan")
    if result is None and method in ("auto", "additive"):
        got = _additive_solve(model, space, oracle, n, float(time_limit))
        if got is None and method == "additive":
            raise ValueError(
                "method='additive' needs an EBM without pair terms or a GAM (binary or "
                f"regression), got {type(model).__name__}"
            )
        if got is not None:
            Za, finished, on_grid = got
            used = "additive-grid" if on_grid else "additive"
            # on a grid the first row is the nearest of the grid's rows, not proven
            # nearest of all rows: not ``exact``, and the message says which grid
            result = (Za, finished and not on_grid)
            if not finished:
                complete = False
                message = f"branch and bound stopped at time_limit={time_limit:g}s"
            elif on_grid:
                message = (
                    f"nearest among rows on a grid of {_additive.GAM_GRID} values per numeric feature "
                    "(and x's own), proven by branch and bound over the additive shapes"
                )
    skipped = ""
    if result is None and method in ("auto", "cells"):
        budget: float | None = float(time_limit) / 2
        if method == "auto":  # small ensembles only, for a fraction of a second
            budget, skipped = _auto_budget(model, space, float(time_limit))
        got = None if budget is None else _cells_solve(model, space, oracle, n, budget)
        if got is None and method == "cells":
            raise ValueError(
                "method='cells' needs a rule list, OneR, EBM, or a scikit-learn or xgboost tree "
                f"ensemble, got {type(model).__name__}"
            )
        if got is not None:
            used = "cells"
            Zc, proven, extra = got
            if proven and (extra is True or len(Zc) >= n):
                result = (Zc, True)
            else:  # out of time: fill up with what the search finds
                Zs, _, _ = _search(space, oracle, n, float(time_limit) - budget, rng)
                Zs = Zs[[not any(np.array_equal(z, c) for c in Zc) for z in Zs]]
                result = (np.concatenate([Zc, Zs])[:n].reshape(-1, space.p), proven)
                used = "cells+search"
                complete = False
                if proven:
                    message = (
                        f"enumeration stopped after {budget:g}s; row 1 is "
                        "proven nearest, the others were searched"
                    )
                else:
                    lower = float(extra)
                    message = (
                        f"enumeration stopped after {budget:g}s; the nearest "
                        f"costs at least {lower:.4g}"
                    )
                if method == "auto":  # a short budget: say how to prove more
                    message += (
                        "; method='cells' (half of time_limit) with a larger "
                        "time_limit can prove more"
                    )
    if result is None:
        Z, _, stopped = _search(space, oracle, n, float(time_limit), rng)
        used, exact = "search", False
        message = skipped
        if stopped:
            complete = False
            message = f"stopped at time_limit={time_limit:g}s with what it had"
    else:
        Z, exact = result
        if not len(Z) and exact:
            message = "no counterfactual exists under these constraints (proven)"
    Z = np.asarray(Z, dtype=np.float64).reshape(-1, space.p)
    return Z, exact, used, complete, message, lower
