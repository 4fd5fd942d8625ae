"""Sympy helpers for symbolic regression: evaluate, simplify, print.

Kept apart from the estimator so the simplification rules can be read (and
tested) on their own. sympy is imported inside functions: ``import glassbox``
stays light.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._format import num

#: numpy twin of every sympy function an equation may contain
_NUMPY_FUNCS = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "exp": np.exp,
    "log": np.log,
    "Abs": np.abs,
    "atan": np.arctan,
    "asin": np.arcsin,
    "acos": np.arccos,
}


def compile_numpy(expr, symbols: Sequence):
    """A function X -> values of a sympy expression, as a tree of numpy closures.

    No code generation (unlike ``lambdify``), so compiling the many small
    candidate equations tried during simplification costs microseconds, and
    a compiled equation runs with no sympy in the loop. ``to_callable`` uses
    ``lambdify``, which gives the tests an independent path.
    """
    import sympy as sp

    index = {s: j for j, s in enumerate(symbols)}

    def build(e):
        if e.is_Symbol:
            j = index[e]
            return lambda X: X[:, j]
        if e.is_Atom:
            try:
                c = float(e)
            except (TypeError, ValueError):  # zoo, nan, complex: 1/0 after pruning
                c = np.nan
            return lambda X: np.full(X.shape[0], c)
        if e.is_Pow and e.exp.is_Number:
            base, ex = build(e.base), e.exp
            if ex == sp.S.Half:
                return lambda X: np.sqrt(base(X))
            if ex.is_Integer:
                k = int(ex)
                return lambda X: base(X) ** k
            c = float(ex)
            return lambda X: np.power(base(X), c)
        args = [build(a) for a in e.args]
        if e.is_Add:
            return lambda X: sum((f(X) for f in args[1:]), args[0](X))
        if e.is_Mul:

            def mul(X):
                out = args[0](X)
                for f in args[1:]:
                    out = out * f(X)
                return out

            return mul
        if e.is_Pow:
            return lambda X: np.power(args[0](X), args[1](X))
        fn = _NUMPY_FUNCS.get(type(e).__name__)
        if fn is None:
            raise ValueError(f"cannot evaluate {type(e).__name__} in {e}")
        return lambda X: fn(*(f(X) for f in args))

    f = build(expr)

    def run(X):
        with np.errstate(all="ignore"):
            return np.asarray(f(X), dtype=np.float64)

    return run


def evaluate(expr, symbols: Sequence, X: np.ndarray) -> np.ndarray:
    """Evaluate a sympy expression on the columns of X in float64."""
    return compile_numpy(expr, symbols)(X)


def n_nodes(expr) -> int:
    """Number of nodes of the sympy expression tree (operators, symbols, numbers)."""
    import sympy as sp

    return sum(1 for _ in sp.preorder_traversal(expr))


def _weighted_mse(pred: np.ndarray, y: np.ndarray, sw: np.ndarray | None) -> float:
    if not np.all(np.isfinite(pred)):
        return np.inf
    with np.errstate(over="ignore"):
        return float(np.average((pred - y) ** 2, weights=sw))


def refit_constants(expr, symbols, X, y, sw):
    """Least-squares refit of every float constant of ``expr`` (float64, weighted).

    The search runs in float32 and unweighted; this gives the final equation
    full-precision constants for its structure and honours ``sample_weight``.
    """
    import sympy as sp
    from scipy.optimize import least_squares

    floats = sorted(expr.atoms(sp.Float), key=lambda f: float(f))
    if not floats or len(floats) > 15:  # large equations keep the search's constants
        return expr
    params = sp.symbols(f"_c0:{len(floats)}")
    template = expr.xreplace(dict(zip(floats, params)))
    wsqrt = np.ones_like(y) if sw is None else np.sqrt(sw)
    all_syms = list(symbols) + list(params)

    f = compile_numpy(template, all_syms)

    def residual(theta):
        Xt = np.column_stack([X, np.broadcast_to(theta, (X.shape[0], len(theta)))])
        r = (f(Xt) - y) * wsqrt
        return np.where(np.isfinite(r), r, 1e150)

    theta0 = np.array([float(f) for f in floats])
    try:
        sol = least_squares(
            residual,
            theta0,
            method="lm",
            xtol=1e-12,
            ftol=1e-12,
            gtol=1e-12,
            max_nfev=10 * (len(floats) + 1),
        )
    except (ValueError, np.linalg.LinAlgError):  # singular or non-finite Jacobian
        return expr
    new = template.xreplace({p: sp.Float(float(v)) for p, v in zip(params, sol.x)})
    old_loss = _weighted_mse(evaluate(expr, symbols, X), y, sw)
    new_loss = _weighted_mse(evaluate(new, symbols, X), y, sw)
    return new if new_loss <= old_loss else expr


def prune(expr, symbols, X, y, sw, tol: float):
    """Drop constants that do not matter and snap near-integers.

    Each float (smallest magnitude first) is tried as 0 and then as the nearest
    integer; the change is kept when the training MSE grows by at most
    ``tol * var(y)``. sympy then folds what is left: ``0*x`` vanishes,
    ``1*x`` becomes ``x``, ``cos(0)`` becomes 1, ``x*x`` is ``x**2``.
    """
    import sympy as sp

    var = float(np.average((y - np.average(y, weights=sw)) ** 2, weights=sw))
    slack = tol * max(var, 1e-300)
    loss = _weighted_mse(evaluate(expr, symbols, X), y, sw)
    for _ in range(3):  # a few greedy passes; each folds what the last one freed
        changed = False
        for f in sorted(expr.atoms(sp.Float), key=lambda f: abs(float(f))):
            if not expr.has(f):  # folded away by an earlier change in this pass
                continue
            for target in (sp.S.Zero, sp.Integer(round(float(f)))):
                if target == f:
                    continue
                cand = expr.xreplace({f: target})
                cand_loss = _weighted_mse(evaluate(cand, symbols, X), y, sw)
                if cand_loss <= loss + slack:
                    expr, loss, changed = cand, min(cand_loss, loss), True
                    break
        if not changed:
            break
    return expr


def simplify(expr, symbols, X, y, sw, tol: float = 1e-9, refit: bool = True):
    """The readable form of a fitted equation, with full-precision constants.

    Tries the equation with products distributed over sums (``2*(a + b)`` ->
    ``2*a + 2*b``) and exponentials merged (``exp(a)*exp(b)`` -> ``exp(a + b)``),
    distributed only, and as found; each is pruned, refit and pruned again, and
    the one with fewest nodes is kept (earliest on ties: a sum of terms reads,
    and explains, term by term). ``refit=False`` skips
    the (slower) least-squares refit, for a first pass over many candidates.
    """
    import sympy as sp

    out = []
    expanded = sp.expand_mul(expr)
    # powsimp merges exp(a)*exp(b) into exp(a + b); it goes first so it wins ties
    forms = [sp.powsimp(expanded, combine="exp"), expanded, expr]
    forms = [f for i, f in enumerate(forms) if f not in forms[:i]]
    for cand in forms:
        cand = prune(cand, symbols, X, y, sw, tol)
        if refit:
            cand = refit_constants(cand, symbols, X, y, sw)
            cand = prune(cand, symbols, X, y, sw, tol)
        out.append(cand)
    return min(out, key=n_nodes)


def rounded(expr, digits: int = 4):
    """``expr`` with every float rounded to ``digits`` significant digits;
    floats that round to an integer become sympy integers (so ``1.0*x`` is ``x``)."""
    import sympy as sp

    repl = {}
    for f in expr.atoms(sp.Float):
        v = float(f"{float(f):.{digits}g}")
        repl[f] = sp.Integer(int(v)) if v == int(v) and abs(v) < 1e15 else sp.Float(v)
    return expr.xreplace(repl)


def to_text(expr, digits: int | None = 4) -> str:
    """sympy's infix text, with floats at ``digits`` significant digits
    (``None``: 17, enough to reproduce every prediction)."""
    from sympy.printing.str import StrPrinter

    shown = 17 if digits is None else digits

    class _Printer(StrPrinter):
        def _print_Float(self, e):
            return num(float(e), shown)

    return _Printer({"order": None}).doprint(rounded(expr, digits) if digits else expr)
