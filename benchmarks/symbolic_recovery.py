"""Recovery of known laws: glassbox SymbolicRegressor (pyoperon) vs gplearn.

For each law, draw the training points (200; the textbook example keeps its
100), noise-free and with Gaussian noise of 1% of std(y), fit both methods in
this process with the same wall-clock budget per problem, and call a law
*recovered* when the printed equation (what a reader sees: glassbox's 4
significant digits, gplearn's own 3-decimal program text) reaches
R^2 >= 0.99999 against the noise-free law on 1000 fresh points. Both stop
early once their training R^2 reaches 1 - 1e-10 (only noise-free data gets
there); "seconds" is the wall-clock time of the whole fit.

Run:  .venv/bin/python benchmarks/symbolic_recovery.py [--budget 10] [--only textbook]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import sympy as sp

from glassbox import SymbolicRegressor
from glassbox.models import _sympy_tools as st

THRESHOLD = 0.99999
EARLY = 1 - 1e-10
U = (1.0, 5.0)

# name -> (law as text, {variable: range or "normal2"}, n training points)
LAWS = {
    "textbook": ("2.5382*cos(x3) + x0**2 - 0.5", {f"x{j}": "normal2" for j in range(5)}, 100),
    "gaussian": ("exp(-theta**2/2)/sqrt(2*pi)", {"theta": U}, 200),
    "coulomb": ("q1*q2/(4*pi*eps*r**2)", {"q1": U, "q2": U, "eps": U, "r": U}, 200),
    "m*g*z": ("m*g*z", {"m": U, "g": U, "z": U}, 200),
    "torque": ("r*F*sin(theta)", {"r": U, "F": U, "theta": U}, 200),
    "omega/c": ("omega/c", {"omega": U, "c": U}, 200),
    "q*v*B/p": ("q*v*B/p", {"q": U, "v": U, "B": U, "p": U}, 200),
    "mob*kb*T": ("mob*kb*T", {"mob": U, "kb": U, "T": U}, 200),
    "intensity": ("P/(4*pi*r**2)", {"P": U, "r": U}, 200),
    "rel. mass": ("m0/sqrt(1 - v**2/c**2)", {"m0": U, "v": (1.0, 2.0), "c": (3.0, 10.0)}, 200),
    "3/2*pF*V": ("3/2*pF*V", {"pF": U, "V": U}, 200),
}


def draw(law: str, n: int, seed: int):
    text, ranges, _ = LAWS[law]
    rng = np.random.default_rng(seed)
    cols = {}
    for name, r in ranges.items():
        cols[name] = 2 * rng.standard_normal(n) if r == "normal2" else rng.uniform(*r, size=n)
    X = pd.DataFrame(cols)
    syms = {c: sp.Symbol(c, real=True) for c in X.columns}
    expr = sp.sympify(text, locals=syms)
    f = sp.lambdify([list(syms.values())], expr, "numpy")
    return X, np.asarray(f(X.to_numpy().T), dtype=float)


def r2(y, pred) -> float:
    pred = np.asarray(pred, dtype=float)
    if pred.shape != y.shape or not np.all(np.isfinite(pred)):
        return -np.inf
    return 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)


def printed_r2(text: str, names, X_new, y_new) -> float:
    syms = [sp.Symbol(n, real=True) for n in names]
    expr = sp.sympify(text, locals={s.name: s for s in syms})
    f = sp.lambdify([syms], expr, "numpy")
    with np.errstate(all="ignore"):
        pred = np.broadcast_to(np.asarray(f(X_new.to_numpy().T), dtype=float), y_new.shape)
    return r2(y_new, pred)


def run_ours(X, y, budget: float, seed: int):
    start = time.perf_counter()
    model = SymbolicRegressor(
        time_budget=budget,
        generations=10**6,
        early_stop=EARLY,
        random_state=seed,
        n_jobs=1,
        verbose=False,
    ).fit(X, y)
    seconds = time.perf_counter() - start
    return st.to_text(model.equation_), seconds


# gplearn: the same operators (exp and square added as protected functions)
def _gplearn_functions():
    from gplearn.functions import make_function

    def _exp(x):
        with np.errstate(over="ignore"):
            return np.exp(np.clip(x, -50, 50))

    def _square(x):
        return np.clip(x, -1e100, 1e100) ** 2

    return (
        "add",
        "sub",
        "mul",
        "div",
        "sqrt",
        "sin",
        "cos",
        make_function(function=_exp, name="exp", arity=1),
        make_function(function=_square, name="square", arity=1),
    )


def run_gplearn(X, y, budget: float, seed: int):
    from gplearn.genetic import SymbolicRegressor as GP

    start = time.perf_counter()
    est = GP(
        population_size=1000,
        generations=5,
        function_set=_gplearn_functions(),
        warm_start=True,
        random_state=seed,
        n_jobs=1,
        verbose=0,
    )
    Xa = X.to_numpy()
    while True:  # gplearn has no time limit: grow it 5 generations at a time
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(Xa, y)
        if time.perf_counter() - start >= budget or r2(y, est.predict(Xa)) >= EARLY:
            break
        est.set_params(generations=est.generations + 5)
    seconds = time.perf_counter() - start
    return str(est._program), seconds


def gplearn_to_text(program: str, names) -> str:
    """gplearn's printed program as infix text (its own 3-decimal constants)."""
    syms = {f"X{j}": sp.Symbol(n, real=True) for j, n in enumerate(names)}
    funcs = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "sqrt": lambda a: sp.sqrt(sp.Abs(a)),
        "sin": sp.sin,
        "cos": sp.cos,
        "exp": sp.exp,
        "square": lambda a: a**2,
    }
    return str(sp.sympify(program, locals={**syms, **funcs}))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--budget", type=float, default=10.0, help="seconds per problem and method")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", action="append", help="only these laws (repeatable)")
    args = ap.parse_args(argv)
    rows = []
    for law in args.only or list(LAWS):
        n = LAWS[law][2]
        X, y_clean = draw(law, n, args.seed)
        X_new, y_new = draw(law, 1000, args.seed + 1000)
        for noise in (0.0, 0.01):
            rng = np.random.default_rng(args.seed + 7)
            y = y_clean + noise * np.std(y_clean) * rng.standard_normal(len(y_clean))
            names = list(X.columns)
            ours_text, ours_s = run_ours(X, y, args.budget, args.seed)
            gp_program, gp_s = run_gplearn(X, y, args.budget, args.seed)
            gp_text = gplearn_to_text(gp_program, names)
            row = {
                "law": law,
                "noise": noise,
                "glassbox_r2": printed_r2(ours_text, names, X_new, y_new),
                "glassbox_s": ours_s,
                "gplearn_r2": printed_r2(gp_text, names, X_new, y_new),
                "gplearn_s": gp_s,
                "glassbox_equation": ours_text,
                "gplearn_equation": gp_text,
            }
            rows.append(row)
            print(
                f"{law:13s} noise={noise:4.0%}  glassbox R2={row['glassbox_r2']:.7f} "
                f"({ours_s:5.1f}s) y = {ours_text}\n"
                f"{'':13s}             gplearn  R2={row['gplearn_r2']:.7f} ({gp_s:5.1f}s) "
                f"y = {gp_text[:100]}",
                flush=True,
            )
    df = pd.DataFrame(rows)
    df["glassbox_recovered"] = df["glassbox_r2"] >= THRESHOLD
    df["gplearn_recovered"] = df["gplearn_r2"] >= THRESHOLD
    print(
        f"\nbudget {args.budget:g} s per problem and method, 1 thread each; recovered = printed "
        f"equation R^2 >= {THRESHOLD} on fresh points\n"
    )
    summary = []
    for noise, g in df.groupby("noise"):
        summary.append(
            {
                "noise": f"{noise:.0%}",
                "problems": len(g),
                "glassbox recovered": f"{g['glassbox_recovered'].sum()}/{len(g)}",
                "gplearn recovered": f"{g['gplearn_recovered'].sum()}/{len(g)}",
                "glassbox median s": round(float(g["glassbox_s"].median()), 2),
                "gplearn median s": round(float(g["gplearn_s"].median()), 2),
                "median s ratio (gplearn/glassbox)": round(
                    float(g["gplearn_s"].median() / g["glassbox_s"].median()), 2
                ),
            }
        )
    print(pd.DataFrame(summary).to_string(index=False))
    print("\nper problem (R^2 of the printed equation on fresh points):")
    print(
        df[["law", "noise", "glassbox_r2", "glassbox_s", "gplearn_r2", "gplearn_s"]].to_string(
            index=False, float_format=lambda v: f"{v:.6g}"
        )
    )


if __name__ == "__main__":
    main()
