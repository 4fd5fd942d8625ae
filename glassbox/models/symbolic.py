"""Symbolic regression: a readable equation and its Pareto front.

The search runs on pyoperon (Operon's C++ genetic programming, multi-threaded,
with Levenberg-Marquardt tuning of the constants of every candidate). PySR is
offered as ``backend="pysr"`` only when it can really start: importing it
installs Julia on first use, so it is never imported by ``import glassbox``,
and when it cannot start the error says why and suggests ``backend="operon"``.

After the search, every equation of the final Pareto front (length against
error) is turned into a sympy expression and simplified: constants that do not
matter are dropped, near-integers snapped, constants folded and refit in
float64 with the sample weights (the search itself is float32).

Sample weights reach the search too. Operon's fitness has no weights, so the
search runs on rows drawn by weight (``search_rows``): integer weights repeat
each row that many times in place (weight 0 drops it, weight 2 is the row
twice: exactly the data the weights stand for), other weights draw as many
rows as the data has by systematic resampling, proportional to the weights,
with a seed from ``random_state``. PySR takes the weights itself.
``equation_`` keeps full-precision constants and ``predict`` uses them;
printing shows 4 significant digits.

A text, category or boolean column enters as reference-coded 0/1 symbols
``[Home = rent]`` (baseline: the most frequent level, the first of an ordered
category); missing values are refused naming column and row. Columns and a
target far from 1 (beyond 2**30 or below 2**-30) are divided by a power of two
before the float32 search and the equations rewritten in the user's units; a
constant that rewrite pushes beyond float64 is warned about.
"""

from __future__ import annotations

import importlib.util
import time
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._validation import check_frame, check_frame_y, check_sample_weight
from ..base import GlassboxMixin, Traits
from ..explanation import GlobalExplanation, LocalExplanation
from . import _sympy_tools as st
from ._rules import most_frequent_first, power_scales

#: operators the search may use (pyoperon names); "constant"/"variable" are implied
OPERATORS = (
    "add",
    "sub",
    "mul",
    "div",
    "aq",
    "pow",
    "square",
    "sqrt",
    "sqrtabs",
    "exp",
    "log",
    "logabs",
    "log1p",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sinh",
    "cosh",
    "abs",
    "atan",
    "asin",
    "acos",
)
#: generations per search chunk (time budget and early stop are checked between chunks)
_CHUNK = 10

DEFAULT_OPERATORS = ("add", "sub", "mul", "div", "square", "sqrt", "exp", "sin", "cos")

# PySR's operator names for ours (binary, unary); used only by backend="pysr"
_PYSR_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}
_PYSR_UNARY = {
    "square": "square",
    "sqrt": "sqrt",
    "exp": "exp",
    "log": "log",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "abs": "abs",
    "atan": "atan",
    "asin": "asin",
    "acos": "acos",
    "log1p": "log1p",
}

_PYSR_STATUS: str | None = None  # cached reason PySR cannot start ("" = it can)


def pysr_unavailable_reason(timeout: float = 120.0) -> str:
    """Why PySR cannot run here ("" when it can).

    Never imports pysr in this process: first ``find_spec`` (no import at all),
    then ``import pysr`` in a subprocess with a timeout, because that import
    downloads Julia on first use and would hang or fail without internet.
    """
    global _PYSR_STATUS
    if _PYSR_STATUS is not None:
        return _PYSR_STATUS
    if importlib.util.find_spec("pysr") is None:
        _PYSR_STATUS = "the pysr package is not installed"
        return _PYSR_STATUS
    import subprocess
    import sys

    try:
        proc = subprocess.run(
            [sys.executable, "-c", "import pysr"], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        _PYSR_STATUS = (
            f"'import pysr' did not finish within {timeout:g} s (it installs Julia on "
            "first use, which needs internet access)"
        )
        return _PYSR_STATUS
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        _PYSR_STATUS = f"'import pysr' fails: {last}"
    else:
        _PYSR_STATUS = ""
    return _PYSR_STATUS


#: integer weights repeat rows for the search up to this many rows (and at most 10x
#: the data); beyond, rows are drawn by systematic resampling instead
_MAX_REPEATED_ROWS = 200_000


def search_rows(sample_weight: np.ndarray | None, n: int, seed: int) -> np.ndarray | None:
    """Row indices, in order, that stand for ``sample_weight`` in an unweighted search.

    None when there are no weights. Integer weights: each row repeated by its weight
    (0 drops it), exact. Otherwise (or when that would exceed ``_MAX_REPEATED_ROWS`` /
    10x the rows): ``n`` rows by systematic resampling, row i drawn about
    ``n * w_i / sum(w)`` times, with one uniform offset from ``seed``.
    """
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    rounded = np.round(w)
    total = float(rounded.sum())
    if np.allclose(w, rounded, rtol=0, atol=1e-12) and total <= min(_MAX_REPEATED_ROWS, 10 * n):
        return np.repeat(np.arange(n), rounded.astype(np.int64))
    u = np.random.default_rng(seed).uniform()
    positions = (u + np.arange(n)) * (w.sum() / n)
    idx = np.searchsorted(np.cumsum(w), positions, side="right")
    return np.minimum(idx, n - 1)


def _sympy_symbols(names):
    """One sympy symbol per feature, named after it, so printouts show real names.

    sympy accepts any string as a symbol name ("petal len", "a-b"); evaluation
    never parses names (tree walk / lambdify with dummies), so no sanitizing is
    needed for correctness, and the printout keeps the name the user knows.
    """
    import sympy as sp

    return [sp.Symbol(n, real=True) for n in names]


class SymbolicRegressor(GlassboxMixin, RegressorMixin, BaseEstimator):
    """Symbolic regression: find an equation y = f(x) that a person can read.
    The search runs on pyoperon (installed with glassbox). PySR with Julia: a
    user whose Julia is on the PATH (or named by the PYTHON_JULIAPKG_EXE
    environment variable, read by PySR's juliacall) runs `pip install pysr`,
    then once `python -c "import pysr"` (it installs PySR's Julia packages:
    minutes, and internet access), and fits
    `SymbolicRegressor(backend="pysr")`; the same
    parameters, sample weights, printout and model files apply (see Notes).
    Without Julia, `fit` raises an ImportError that says why.

    Parameters
    ----------
    backend : {"operon", "pysr"}
        ``"operon"`` (default, pyoperon). ``"pysr"`` only where PySR and Julia
        are installed; otherwise ``fit`` raises an ``ImportError`` naming why.
    operators : tuple of str
        Operators the search may use, from ``OPERATORS`` (pyoperon names).
    max_length : int
        Maximum number of nodes of a candidate equation during the search.
    population_size : int
        Equations evolved at once.
    generations : int
        Number of generations (the progress bar counts them).
    time_budget : float or None
        Wall-clock limit of the search in seconds (None: no limit). A search
        stopped by the clock is not reproducible; stop it by ``generations``
        when ``random_state`` must give the same equation twice.
    local_iterations : int
        Levenberg-Marquardt steps that tune each candidate's constants.
    early_stop : float or None
        Stop the search once the most accurate equation reaches this training
        R^2 (checked every 10 generations), e.g. 0.999999 for noise-free data.
    model_selection : {"best", "accuracy", "simplest"}
        Which equation of the Pareto front becomes ``equation_``. As in PySR:
        "accuracy" is the lowest loss, "best" the highest score
        (-d log(loss) / d complexity) among equations with loss at most 1.5x
        the lowest. "simplest" is the fewest nodes among equations whose R^2
        is within 0.001 of the most accurate one.
    random_state : int, RandomState or None
        Seed of the search; the same seed and settings give the same equation.
    n_jobs : int or None
        Threads of the search (None: 1, -1: all cores).
    verbose : bool
        Show a progress bar over generations.

    Attributes
    ----------
    equation_ : sympy.Expr
        The selected equation, simplified, with full-precision constants and
        symbols named after the features (``feature_names_in_`` or x0, x1, ...).
    pareto_front_ : pandas.DataFrame
        One row per equation, simplest first: complexity (nodes of the
        simplified sympy tree), loss (weighted training MSE), r2, score
        (PySR's -d log(loss) / d complexity) and the printed equation.
    selected_index_ : int
        Row of ``pareto_front_`` behind ``equation_``; ``select(i)`` changes it.
    complexity_ : int
        Nodes of the simplified expression tree of ``equation_``.
    train_r2_ : float
        Weighted training R^2 of ``equation_``.
    n_generations_ : int
        Generations the search ran (fewer than ``generations`` when the time
        budget or ``early_stop`` ended it).
    search_seconds_, simplify_seconds_ : float
        Wall-clock time of the search and of the simplification of its front.

    n_search_rows_ : int
        Rows the operon search evolved on (the training rows, or the rows that
        stand for the sample weights, see Notes).

    Notes
    -----
    Sample weights: Operon's fitness takes none, so the search runs on rows
    that stand for them (``glassbox.models.symbolic.search_rows``): integer
    weights repeat each row that many times in place (weight 0 removes it),
    which is exactly the weighted data; other weights draw as many rows as the
    data has, by systematic resampling proportional to the weights, with a seed
    from ``random_state``. The linear scaling, the float64 refit of the
    constants, the losses of the front and the model selection then use the
    weights themselves.

    PySR (``backend="pysr"``) needs Julia, which this package does not install.
    A user who has Julia (on the PATH, or named by ``PYTHON_JULIAPKG_EXE``, the
    variable PySR's juliacall reads) installs the Python side with
    ``pip install pysr`` and runs ``python -c "import pysr"`` once: that first
    import installs PySR's Julia packages (SymbolicRegression.jl), which takes
    a few minutes and needs internet access (without a usable Julia, juliacall
    tries to download one). After that,
    ``SymbolicRegressor(backend="pysr", random_state=0).fit(X, y)`` runs
    PySR's search with the same ``operators`` (PySR's names for them),
    ``max_length`` (PySR's ``maxsize``), ``population_size``, ``generations``
    (``niterations``), ``time_budget`` (``timeout_in_seconds``) and
    ``sample_weight`` (PySR's ``weights``); a ``random_state`` makes it
    deterministic (PySR then runs serially). Its hall of fame goes through the
    same simplification, Pareto front, selection, printing and model files as
    operon's equations. When PySR cannot start, ``fit`` raises an
    ``ImportError`` saying why (``pysr_unavailable_reason()`` gives the reason
    without importing pysr in the running process) and suggests
    ``backend="operon"``.
    ``explain_local`` gives each additive term's centred value to its feature;
    terms of several features are shared equally (see its docstring).
    """

    traits = Traits(
        family="symbolic",
        categorical=True,  # text columns enter as reference-coded 0/1 symbols
        quick_params={
            "population_size": 60,
            "generations": 8,
            "max_length": 15,
            "local_iterations": 5,
            "n_jobs": 1,
            "random_state": 0,
            "verbose": False,
        },
        title="Symbolic regression",
    )

    _parameter_constraints = {
        "backend": [StrOptions({"operon", "pysr"})],
        "operators": [tuple, list],
        "max_length": [Interval(Integral, 3, None, closed="left")],
        "population_size": [Interval(Integral, 2, None, closed="left")],
        "generations": [Interval(Integral, 1, None, closed="left")],
        "time_budget": [Interval(Real, 0, None, closed="neither"), None],
        "local_iterations": [Interval(Integral, 0, None, closed="left")],
        "early_stop": [Interval(Real, None, 1, closed="right"), None],
        "model_selection": [StrOptions({"best", "accuracy", "simplest"})],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["boolean"],
    }

    def __init__(
        self,
        backend="operon",
        *,
        operators=DEFAULT_OPERATORS,
        max_length=20,
        population_size=500,
        generations=100,
        time_budget=60.0,
        local_iterations=10,
        early_stop=None,
        model_selection="best",
        random_state=None,
        n_jobs=None,
        verbose=True,
    ):
        self.backend = backend
        self.operators = operators
        self.max_length = max_length
        self.population_size = population_size
        self.generations = generations
        self.time_budget = time_budget
        self.local_iterations = local_iterations
        self.early_stop = early_stop
        self.model_selection = model_selection
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # --- fitting ----------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Search equations, simplify the final Pareto front and select ``equation_``.

        Returns self.
        """
        self._validate_params()
        bad = [o for o in self.operators if o not in OPERATORS]
        if bad:
            raise ValueError(f"unknown operator(s) {bad}; choose from {list(OPERATORS)}")
        if self.backend == "pysr":
            reason = pysr_unavailable_reason()
            if reason:
                raise ImportError(
                    f"backend='pysr' cannot start: {reason}. PySR needs the pysr package "
                    "and a Julia installation; use backend='operon' (the default, "
                    "installed with glassbox) instead"
                )
        frame, y = check_frame_y(self, X, y, classifier=False)
        # text / category / boolean columns: reference-coded 0/1 columns [Home = rent]
        # (the most frequent level is the baseline), as the search takes numbers only
        self.input_schema_ = most_frequent_first(self.input_schema_, frame)
        X = self.input_schema_.one_hot(frame, reference=True)
        sw = check_sample_weight(sample_weight, X.shape[0])
        symbols = self._symbols()
        # the search works in float32 with absolute tolerances: columns and targets far
        # from 1 are divided by a power of two (exact), the equations mapped back after
        sx = power_scales(X, 2.0**-30, 2.0**30)
        sy = float(power_scales(y[:, None], 2.0**-30, 2.0**30)[0])
        Xs, ys = X / sx, y / sy
        start = time.perf_counter()
        if self.backend == "pysr":
            candidates = self._search_pysr(Xs, ys, sw, symbols)
        else:
            # operon has no sample weights: the search sees rows drawn by weight
            rows = search_rows(sw, X.shape[0], self._seed())
            self.n_search_rows_ = X.shape[0] if rows is None else int(rows.size)
            if rows is not None and np.ptp(ys[rows]) == 0 and np.ptp(ys) > 0:
                raise ValueError(
                    "the rows with non-zero sample_weight all have the same y; there is "
                    "nothing for the search to fit"
                )
            candidates = self._search_operon(
                Xs if rows is None else Xs[rows], ys if rows is None else ys[rows], symbols
            )
        self.search_seconds_ = time.perf_counter() - start
        self._build_front(candidates, symbols, Xs, ys, sw)
        if (sx != 1).any() or sy != 1:
            self._unscale_front(symbols, sx, sy, X, y, sw)
        self.simplify_seconds_ = time.perf_counter() - start - self.search_seconds_
        rng = np.random.default_rng(0)  # background rows for explanations
        rows = rng.choice(X.shape[0], size=min(X.shape[0], 1000), replace=False)
        self._X_background = X[np.sort(rows)]
        self.n_train_ = X.shape[0]
        self.select(self._choose(self.model_selection))
        return self

    def _seed(self) -> int:
        from sklearn.utils import check_random_state

        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    def _threads(self) -> int:
        import os

        if self.n_jobs is None:
            return 1
        if self.n_jobs < 0:
            return max(1, (os.cpu_count() or 1) + 1 + self.n_jobs)
        return max(1, self.n_jobs)

    def _search_operon(self, X, y, symbols):
        """NSGA-II over (R^2, length) on pyoperon; returns the front as sympy."""
        import pyoperon as op
        from pyoperon.sklearn import _KNOWN_SYMBOLS
        from tqdm.auto import tqdm

        ds = op.Dataset(np.asfortranarray(np.column_stack([X, y])))
        variables = sorted(ds.Variables, key=lambda v: v.Index)
        target = variables[-1]
        inputs = [v.Hash for v in variables[:-1]]
        column = {h: j for j, h in enumerate(inputs)}
        problem = op.Problem(ds)
        problem.TrainingRange = op.Range(0, ds.Rows)
        problem.TestRange = op.Range(ds.Rows - 1, ds.Rows)
        problem.Target = target
        problem.InputHashes = inputs
        config_bits = int(_KNOWN_SYMBOLS["constant"]) | int(_KNOWN_SYMBOLS["variable"])
        for name in self.operators:
            config_bits |= int(_KNOWN_SYMBOLS[name])
        problem.ConfigurePrimitiveSet(config_bits)
        pset = problem.PrimitiveSet
        max_depth = max(6, self.max_length // 2)
        # Operon's objects hold raw pointers to each other: everything below must
        # stay referenced until Run returns, hence the names and the `keep` list.
        creator = op.BalancedTreeCreator(pset, inputs, 0.0)
        coef_init = op.NormalCoefficientInitializer()
        coef_init.ParameterizeDistribution(0, 1)
        dtable = op.DispatchTable()
        optimizer = op.LMOptimizer(dtable, problem, self.local_iterations, 0)
        r2 = op.Evaluator(problem, dtable, op.R2(), True)  # True: linear scaling
        length = op.LengthEvaluator(problem)
        evaluator = op.MultiEvaluator(problem)
        evaluator.Add(r2)
        evaluator.Add(length)
        budget = 10**12
        r2.Budget = length.Budget = evaluator.Budget = budget
        comparison = op.CrowdedComparison()
        selector = op.TournamentSelector(comparison)
        selector.TournamentSize = 5
        reinserter = op.KeepBestReinserter(comparison)
        crossover = op.SubtreeCrossover(0.9, max_depth, self.max_length)
        one_point = op.NormalOnePointMutation()
        one_point.ParameterizeDistribution(0, 1)
        mutations = [
            one_point,
            op.ChangeVariableMutation(inputs),
            op.ChangeFunctionMutation(pset),
            op.ReplaceSubtreeMutation(creator, coef_init, max_depth, self.max_length),
            op.InsertSubtreeMutation(creator, coef_init, max_depth, self.max_length),
            op.RemoveSubtreeMutation(pset),
        ]
        mutation = op.MultiMutation()
        for m in mutations:
            mutation.Add(m, 1.0)
        coef_opt = op.CoefficientOptimizer(optimizer)
        generator = op.BasicOffspringGenerator(
            evaluator, crossover, mutation, selector, selector, coef_opt
        )
        min_arity, _ = pset.FunctionArityLimits()
        initializer = op.UniformLengthTreeInitializer(creator)
        initializer.ParameterizeDistribution(min_arity + 1, min(10, self.max_length))
        initializer.MinDepth = 1
        initializer.MaxDepth = 1000
        seed = self._seed()
        sorter = op.RankSorter()
        keep = [mutations, r2, length, creator, sorter, dtable, optimizer, coef_opt]  # noqa: F841

        def algorithm(generations: int, seconds: float, previous):
            config = op.GeneticAlgorithmConfig(
                generations=generations,
                max_evaluations=budget,
                local_iterations=self.local_iterations,
                population_size=self.population_size,
                pool_size=self.population_size,
                p_crossover=1.0,
                p_mutation=0.25,
                p_local=1.0,
                p_lamarck=1.0,
                epsilon=1e-5,
                seed=seed,
                max_time=max(1, int(np.ceil(seconds))),
            )
            gp = op.NSGA2Algorithm(
                config, problem, initializer, coef_init, generator, reinserter, sorter
            )
            if previous is not None:  # continue from the last chunk's population
                gp.RestoreIndividuals(previous.Individuals)
                gp.IsFitted = True
            return gp

        # The search runs in chunks of generations, each continuing the previous
        # population: between chunks the time budget and early stop are checked.
        # Within a chunk Operon calls back once per generation (and once for the
        # initial population): the progress bar advances there.
        bar = tqdm(
            total=self.generations, disable=not self.verbose, desc="symbolic search", unit="gen"
        )
        rng = op.RandomGenerator(np.uint64(seed))
        start = time.perf_counter()
        gp, done = None, 0
        try:
            while done < self.generations:
                n = min(_CHUNK, self.generations - done)
                left = (
                    np.inf
                    if self.time_budget is None
                    else self.time_budget - (time.perf_counter() - start)
                )
                if left <= 0:
                    break
                gp = algorithm(n, min(left, 2**40), gp)
                ticks = [0]

                def step(ticks=ticks, n=n) -> None:
                    if ticks[0] < n:
                        ticks[0] += 1
                        bar.update(1)

                gp.Run(rng, step, self._threads(), done > 0)
                done += int(gp.Generation)
                best_r2 = -min(ind.GetFitness(0) for ind in gp.BestFront)  # Operon minimizes -R^2
                bar.set_postfix_str(f"R^2={best_r2:.6f}")
                if self.early_stop is not None and best_r2 >= self.early_stop:
                    break
                if int(gp.Generation) < n:  # stopped by Operon's own clock
                    break
        finally:
            bar.close()
        self.n_generations_ = done
        # the front often holds ties (same length and R^2): convert each once
        unique = {}
        for ind in gp.BestFront:
            key = (ind.Genotype.Length, round(float(ind.GetFitness(0)), 10))
            unique.setdefault(key, ind.Genotype)
        return [self._tree_to_sympy(tree, column, symbols) for _, tree in sorted(unique.items())]

    @staticmethod
    def _tree_to_sympy(tree, column, symbols):
        """Operon's postfix node array -> sympy (variables carry a weight in Operon)."""
        import sympy as sp

        unary = {
            "exp": sp.exp,
            "log": sp.log,
            "sin": sp.sin,
            "cos": sp.cos,
            "tan": sp.tan,
            "tanh": sp.tanh,
            "sinh": sp.sinh,
            "cosh": sp.cosh,
            "abs": sp.Abs,
            "atan": sp.atan,
            "asin": sp.asin,
            "acos": sp.acos,
            "sqrt": sp.sqrt,
            "square": lambda a: a**2,
            "sqrtabs": lambda a: sp.sqrt(sp.Abs(a)),
            "logabs": lambda a: sp.log(sp.Abs(a)),
            "log1p": lambda a: sp.log(1 + a),
        }
        nodes = tree.Nodes
        stack = []
        for node in nodes:  # postfix: children come before their parent
            name = node.Name
            if node.IsConstant:
                stack.append(sp.Float(float(node.Value)))
                continue
            if node.IsVariable:
                stack.append(sp.Float(float(node.Value)) * symbols[column[node.HashValue]])
                continue
            k = node.Arity
            # the first operand is the one pushed last (Operon reads children right to left)
            args = [stack.pop() for _ in range(k)]
            if name == "+":
                stack.append(sp.Add(*args))
            elif name == "*":
                stack.append(sp.Mul(*args))
            elif name == "-":
                stack.append(-args[0] if k == 1 else args[0] - sp.Add(*args[1:]))
            elif name == "/":
                stack.append(1 / args[0] if k == 1 else args[0] / sp.Mul(*args[1:]))
            elif name == "aq":
                stack.append(args[0] / sp.sqrt(1 + args[1] ** 2))
            elif name == "pow":
                stack.append(args[0] ** args[1])
            elif name == "powabs":
                stack.append(sp.Abs(args[0]) ** args[1])
            elif name in unary:
                stack.append(unary[name](args[0]))
            else:
                raise ValueError(f"operon node {name!r} has no sympy form")
        return stack[-1]

    def _search_pysr(self, X, y, sw, symbols):  # pragma: no cover - needs Julia
        """PySR's hall of fame as sympy (only reached when PySR can start)."""
        import sympy as sp
        from pysr import PySRRegressor

        model = PySRRegressor(
            binary_operators=[_PYSR_BINARY[o] for o in self.operators if o in _PYSR_BINARY],
            unary_operators=[_PYSR_UNARY[o] for o in self.operators if o in _PYSR_UNARY],
            maxsize=self.max_length,
            niterations=self.generations,
            population_size=self.population_size,
            timeout_in_seconds=self.time_budget,
            random_state=self._seed(),
            deterministic=self.random_state is not None,
            parallelism="serial" if self.random_state is not None else "multithreading",
            progress=self.verbose,
            verbosity=int(self.verbose),
        )
        model.fit(X, y, weights=sw, variable_names=[f"_v{j}" for j in range(X.shape[1])])
        rename = {sp.Symbol(f"_v{j}"): s for j, s in enumerate(symbols)}
        self.n_generations_ = int(self.generations)
        return [e.xreplace(rename) for e in model.equations_["sympy_format"]]

    # --- Pareto front and selection -------------------------------------------

    def _build_front(self, candidates, symbols, X, y, sw):
        """Simplify every candidate, then keep the best loss per complexity."""
        import sympy as sp

        def non_dominated(rows):
            rows = sorted(rows, key=lambda r: (r[0], r[1]))
            front = []
            for c, loss, expr in rows:  # each entry strictly more accurate than the last
                if not front or loss < front[-1][1] * (1 - 1e-12) - 1e-300:
                    front.append((c, loss, expr))
            return front

        def entry(expr):
            loss = st._weighted_mse(st.evaluate(expr, symbols, X), y, sw)
            return (st.n_nodes(expr), loss, expr)

        rows = []
        w = np.ones_like(y) if sw is None else np.sqrt(sw)
        for expr in candidates:
            pred = st.evaluate(expr, symbols, X)
            if not np.all(np.isfinite(pred)):
                continue
            # linear scaling as the search scored it: y ~ a*f(x) + b, weighted, float64
            A = np.column_stack([pred, np.ones_like(pred)])
            (a, b), *_ = np.linalg.lstsq(A * w[:, None], y * w, rcond=None)
            expr = sp.Float(a) * expr + sp.Float(b)
            rows.append(entry(st.simplify(expr, symbols, X, y, sw, refit=False)))
        # the float64 refit only for equations still on the front (it is the slow step)
        rows = [entry(st.simplify(e, symbols, X, y, sw)) for _, _, e in non_dominated(rows)]
        rows = [r for r in rows if np.isfinite(r[1])]
        # the constant (weighted mean) always opens the front, as in PySR: the
        # score of the first real equation is its gain over knowing nothing
        rows.append(entry(sp.Float(float(np.average(y, weights=sw)))))
        unique = {sp.srepr(r[2]): r for r in rows}
        front = non_dominated(unique.values())
        var = float(np.average((y - np.average(y, weights=sw)) ** 2, weights=sw))
        scores, prev = [], None
        for c, loss, _ in front:
            if prev is None:
                scores.append(0.0)
            else:
                dl = np.log(max(loss, 1e-300)) - np.log(max(prev[1], 1e-300))
                scores.append(float(-dl / (c - prev[0])))
            prev = (c, loss)
        self._front_exprs = [e for _, _, e in front]
        self.pareto_front_ = pd.DataFrame(
            {
                "complexity": [c for c, _, _ in front],
                "loss": [loss for _, loss, _ in front],
                "r2": [1 - loss / var if var > 0 else float(loss == 0) for _, loss, _ in front],
                "score": scores,
                "equation": [st.to_text(e) for e in self._front_exprs],
            }
        )

    def _unscale_front(self, symbols, sx, sy, X, y, sw) -> None:
        """Equations found on X / sx and y / sy, rewritten in the user's units.

        R^2 and scores do not change with the units; losses are scaled by sy^2.
        A constant the rewrite pushes beyond float64's range (X * 1e300 together
        with y * 1e-300 needs 1e-600) would make the equation collapse when
        evaluated: that is warned about, naming the equation.
        """
        import warnings

        import sympy as sp

        back = {s: s / sp.Float(float(f)) for s, f in zip(symbols, sx) if f != 1}
        exprs = [sp.Float(sy) * e.xreplace(back) for e in self._front_exprs]
        tiny, huge = np.finfo(float).tiny, np.finfo(float).max
        for e in exprs:
            bad = [
                c
                for c in e.atoms(sp.Float)
                if c != 0 and not tiny <= abs(float(sp.Abs(c).evalf(30, strict=False))) <= huge
            ]
            if bad:
                warnings.warn(
                    f"the equation {st.to_text(e)} needs constants beyond float64's range "
                    f"({bad[0]}) in your units, where it evaluates to a constant or inf; "
                    "rescale X or y (e.g. to values near 1) before fitting",
                    UserWarning,
                    stacklevel=3,
                )
                break
        self._front_exprs = exprs
        front = self.pareto_front_
        front["complexity"] = [st.n_nodes(e) for e in exprs]
        with np.errstate(over="ignore", under="ignore"):  # MSE of y ~ 1e300 is beyond float64
            front["loss"] = front["loss"].to_numpy() * np.float64(sy) * np.float64(sy)
        front["equation"] = [st.to_text(e) for e in exprs]

    def _choose(self, rule: str) -> int:
        front = self.pareto_front_
        loss = front["loss"].to_numpy()
        if rule == "accuracy":
            return int(np.argmin(loss))
        if rule == "simplest":
            ok = front["r2"].to_numpy() >= front["r2"].max() - 1e-3
            return int(np.flatnonzero(ok)[0])
        ok = loss <= 1.5 * loss.min()
        scores = np.where(ok, front["score"].to_numpy(), -np.inf)
        return int(np.argmax(scores))

    def select(self, index: int | str):
        """Make another equation of ``pareto_front_`` the model, after fitting.

        ``index`` is a row of ``pareto_front_`` or one of "best", "accuracy",
        "simplest". Returns self.
        """
        check_is_fitted(self, "pareto_front_")
        if isinstance(index, str):
            if index not in ("best", "accuracy", "simplest"):
                raise ValueError(
                    f"select() takes a row of pareto_front_ or 'best'/'accuracy'/'simplest', got {index!r}"
                )
            index = self._choose(index)
        n = len(self._front_exprs)
        if not isinstance(index, (Integral, np.integer)) or not -n <= index < n:
            raise ValueError(
                f"index must be an integer row of pareto_front_ (0..{n - 1}), got {index!r}"
            )
        index = int(index) % n
        self.selected_index_ = index
        self.equation_ = self._front_exprs[index]
        self.complexity_ = int(self.pareto_front_["complexity"].iloc[index])
        self.train_r2_ = float(self.pareto_front_["r2"].iloc[index])
        return self

    # --- prediction and export -------------------------------------------------

    def _design_columns(self) -> list[tuple[str, int]]:
        """(symbol name, input column index) of every column the equation reads:
        a numeric column by its name, a level of a categorical one as ``[Home = rent]``."""
        names = list(self.input_schema_.names)
        return [
            (name if level is None else f"[{name} = {level}]", names.index(name))
            for name, level, _ in self.input_schema_.one_hot_columns(reference=True)
        ]

    @property
    def design_names_(self) -> list[str]:
        """Names of the symbols the equation reads, in order: a numeric column's name,
        ``[Home = rent]`` for a level of a categorical column (its baseline has none)."""
        check_is_fitted(self)
        return [n for n, _ in self._design_columns()]

    def _symbols(self):
        return _sympy_symbols(self.design_names_)

    def _design(self, X) -> tuple[np.ndarray, pd.DataFrame]:
        """Predict-time X (columns by name) as the float matrix the equation reads."""
        frame = check_frame(self, X, reset=False)
        return self.input_schema_.one_hot(frame, reference=True), frame

    def predict(self, X) -> np.ndarray:
        """``equation_`` evaluated on each row (full-precision constants).

        Returns an array of shape (n_rows,).
        """
        X, _ = self._design(X)
        return st.evaluate(self.equation_, self._symbols(), X)

    def to_sympy(self):
        """The selected equation as a sympy expression (full-precision constants)."""
        check_is_fitted(self)
        return self.equation_

    def to_text(self, digits: int | None = 4) -> str:
        """The equation's right-hand side as text, constants at ``digits``
        significant digits (None: 17, enough to reproduce every prediction)."""
        check_is_fitted(self)
        return st.to_text(self.equation_, digits)

    def to_latex(self, digits: int | None = 4) -> str:
        """LaTeX of the equation; constants at ``digits`` significant digits."""
        import sympy as sp

        check_is_fitted(self)
        expr = st.rounded(self.equation_, digits) if digits else self.equation_
        names = {
            s: r"\mathrm{" + s.name.replace("_", r"\_") + "}" if len(s.name) > 1 else s.name
            for s in self._symbols()
        }
        return sp.latex(expr, symbol_names=names, full_prec=False)

    def to_callable(self):
        """A numpy function f(X) -> y of the equation (X: 2-D float array, columns in
        fit order; a categorical column as its 0/1 level columns, see ``pareto_front_``'s
        ``[Home = rent]`` symbols)."""
        import sympy as sp

        check_is_fitted(self)
        symbols = self._symbols()
        fn = sp.lambdify([symbols], self.equation_, modules="numpy", dummify=True)
        n_features = len(symbols)

        def equation(X):
            X = np.asarray(X, dtype=np.float64)
            if X.ndim != 2 or X.shape[1] != n_features:
                raise ValueError(
                    f"expected a 2-D array with {n_features} columns, got shape {X.shape}"
                )
            with np.errstate(all="ignore"):
                out = fn(X.T)
            return np.broadcast_to(np.asarray(out, dtype=np.float64), (X.shape[0],)).copy()

        equation.__doc__ = f"y = {st.to_text(self.equation_, None)}"
        return equation

    # --- explanations ------------------------------------------------------------

    def _terms(self):
        """Additive terms of the equation: (term, indices of its features), constant."""
        import sympy as sp

        symbols = self._symbols()
        source = [j for _, j in self._design_columns()]
        index = {s: source[k] for k, s in enumerate(symbols)}
        terms, constant = [], 0.0
        for t in sp.Add.make_args(self.equation_):
            if not t.free_symbols:
                constant += float(t)
            else:
                terms.append((t, sorted({index[s] for s in t.free_symbols})))
        return terms, constant

    def explain_global(self) -> GlobalExplanation:
        """The equation, and per additive term its mean absolute centred contribution."""
        check_is_fitted(self)
        symbols = self._symbols()
        terms, constant = self._terms()
        Xb = self._X_background
        imps, names, means = [], [], []
        for t, _ in terms:
            v = st.evaluate(t, symbols, Xb)
            means.append(float(np.mean(v)))
            imps.append(float(np.mean(np.abs(v - v.mean()))))
            names.append(st.to_text(t))
        separable = all(len(f) == 1 for _, f in terms)
        return GlobalExplanation(
            term_names=tuple(names),
            importances=np.asarray(imps, dtype=float),
            intercept=np.array([constant + sum(means)]),
            output_names=("y",),
            link="identity",
            method="symbolic",
            equation=f"y = {st.to_text(self.equation_)}",
            extras={
                "constant": constant,
                "term_means": np.asarray(means),
                "term_features": [tuple(self.feature_names_[j] for j in f) for _, f in terms],
                "additively_separable": separable,
            },
        )

    def explain_local(self, X) -> LocalExplanation:
        """Per-feature contributions that add up to ``predict``.

        Each additive term contributes its value minus its mean on the training
        rows; a term of one feature goes to that feature (for an additively
        separable equation these are exactly the interventional SHAP values with
        the training rows as background). A term of several features (x0*x1,
        or the whole equation when it is not a sum) is shared equally among
        them, which keeps base value + contributions = prediction and is the
        Shapley split for a symmetric term; ``extras["shared_terms"]`` lists them.
        """
        X, frame = self._design(X)
        symbols = self._symbols()
        terms, constant = self._terms()
        values = np.zeros((X.shape[0], self.n_features_in_))
        base = constant
        shared = []
        for t, feats in terms:
            mean = float(np.mean(st.evaluate(t, symbols, self._X_background)))
            v = st.evaluate(t, symbols, X) - mean
            base += mean
            values[:, feats] += v[:, None] / len(feats)
            if len(feats) > 1:
                shared.append(st.to_text(t))
        return LocalExplanation(
            values=values,
            base_values=np.full(X.shape[0], base),
            data=frame.to_numpy(dtype=object) if self.input_schema_.categorical else X,
            feature_names=tuple(self.feature_names_),
            output_names=("y",),
            link="identity",
            method="symbolic",
            extras={"shared_terms": shared},
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags
