"""SymbolicRegressor: recovery of a known law, printing, Pareto front,
explanations, determinism and the PySR fallback.

Oracles: the known generating equation, pyoperon's own tree evaluator,
sympy's lambdify, scikit-learn's metrics and the shap package's exact
explainer. Budgets are tiny (a few seconds per search).
"""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sympy as sp
from sklearn.metrics import mean_squared_error

from glassbox import SymbolicRegressor
from glassbox.models import _sympy_tools as st
from glassbox.models import symbolic

# Settings that recover the textbook law in a few seconds on one core.
TEXTBOOK = dict(population_size=300, generations=50, n_jobs=1, random_state=0, verbose=False)


def _textbook(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = 2 * rng.standard_normal((n, 5))
    y = 2.5382 * np.cos(X[:, 3]) + X[:, 0] ** 2 - 0.5
    return X, y


def _truth(X):
    return 2.5382 * np.cos(X[:, 3]) + X[:, 0] ** 2 - 0.5


@pytest.fixture(scope="module")
def textbook_model():
    X, y = _textbook()
    return SymbolicRegressor(**TEXTBOOK).fit(X, y), X, y


# --- the textbook law --------------------------------------------------------


def test_textbook_equation_printed_exactly(textbook_model):
    model, _, _ = textbook_model
    text = str(model)
    line = next(ln for ln in text.splitlines() if ln.startswith("y = "))
    x0, x3 = sp.Symbol("x0", real=True), sp.Symbol("x3", real=True)
    printed = sp.sympify(line[4:], locals={"x0": x0, "x3": x3})
    # 4 significant digits of 2.5382 is 2.538; compare up to term order
    expected = x0**2 + sp.Float("2.538") * sp.cos(x3) - sp.Float("0.5")
    assert sp.simplify(printed - expected) == 0, line
    assert "R^2" in text and f"complexity = {model.complexity_}" in text


def test_textbook_predict_matches_law_on_fresh_points(textbook_model):
    model, _, _ = textbook_model
    X_new, _ = _textbook(n=500, seed=7)
    # predict keeps full precision: far better than the 4-digit printout
    np.testing.assert_allclose(model.predict(X_new), _truth(X_new), rtol=0, atol=1e-6)


def test_complexity_counts_expression_nodes(textbook_model):
    model, _, _ = textbook_model
    # Add(Pow(x0, 2), Mul(c, cos(x3)), c): Add, Pow, x0, 2, Mul, c, cos, x3, c
    assert model.complexity_ == 9
    assert model.complexity_ == st.n_nodes(model.to_sympy())


def test_to_callable_matches_predict(textbook_model):
    model, X, _ = textbook_model
    f = model.to_callable()
    np.testing.assert_allclose(f(X), model.predict(X), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="columns"):
        f(X[:, :3])


def test_to_latex(textbook_model):
    model, _, _ = textbook_model
    tex = model.to_latex()
    assert r"\cos" in tex and "2.538" in tex and r"\mathrm{x0}^{2}" in tex


def test_export_full_precision_reproduces_predictions(textbook_model):
    from glassbox import export_text

    model, X, _ = textbook_model
    text = export_text(model, full=True)
    line = text.splitlines()[text.splitlines().index("full precision:") + 1]
    syms = [sp.Symbol(f"x{j}") for j in range(5)]
    expr = sp.sympify(line[4:], locals={s.name: s for s in syms})
    f = sp.lambdify([syms], expr, "numpy")
    np.testing.assert_allclose(f(X.T), model.predict(X), rtol=1e-12, atol=1e-12)


def test_explain_global_terms(textbook_model):
    model, X, _ = textbook_model
    g = model.explain_global()
    assert g.equation == "y = " + st.to_text(model.equation_)
    assert g.extras["additively_separable"]
    by_name = dict(zip(g.term_names, g.importances))
    # importance = mean |term - mean(term)| on the training rows, from the law
    sq = X[:, 0] ** 2
    cs = 2.5382 * np.cos(X[:, 3])
    np.testing.assert_allclose(by_name["x0**2"], np.mean(np.abs(sq - sq.mean())), rtol=1e-6)
    np.testing.assert_allclose(by_name["2.538*cos(x3)"], np.mean(np.abs(cs - cs.mean())), rtol=1e-6)
    np.testing.assert_allclose(g.intercept[0], np.mean(_truth(X)), rtol=1e-8)


def _brute_force_shapley(f, rows, background):
    """Interventional Shapley values by enumerating every coalition (slow, plain numpy)."""
    from itertools import combinations
    from math import factorial

    n_feat = rows.shape[1]

    def value(x, subset):
        Z = background.copy()
        Z[:, list(subset)] = x[list(subset)]
        return f(Z).mean()

    out = np.zeros_like(rows)
    for r, x in enumerate(rows):
        for j in range(n_feat):
            others = [k for k in range(n_feat) if k != j]
            for size in range(n_feat):
                w = factorial(size) * factorial(n_feat - size - 1) / factorial(n_feat)
                for S in combinations(others, size):
                    out[r, j] += w * (value(x, S + (j,)) - value(x, S))
    return out


def test_explain_local_equals_shapley_values_of_the_law(textbook_model):
    model, X, _ = textbook_model
    rows = X[:4]
    loc = model.explain_local(rows)
    np.testing.assert_allclose(loc.output(), model.predict(rows), rtol=0, atol=1e-8)
    # oracle: Shapley values of the true law with the training rows as background
    ref = _brute_force_shapley(_truth, rows, X)
    np.testing.assert_allclose(loc.values, ref, rtol=0, atol=1e-5)
    np.testing.assert_allclose(loc.base_values, _truth(X).mean(), rtol=0, atol=1e-6)


# --- Pareto front and model selection -----------------------------------------


def test_pareto_front_is_non_dominated_and_losses_are_true(textbook_model):
    model, X, y = textbook_model
    front = model.pareto_front_
    assert list(front.columns[:2]) == ["complexity", "loss"] and "equation" in front
    assert np.all(np.diff(front["complexity"]) > 0)
    assert np.all(np.diff(front["loss"]) < 0)
    # the front opens with the constant mean, as PySR's does
    assert front["complexity"].iloc[0] == 1
    np.testing.assert_allclose(front["loss"].iloc[0], np.var(y), rtol=1e-12)
    clone = copy.deepcopy(model)  # select() must not touch the shared fixture
    for i in range(len(front)):
        clone.select(i)
        assert clone.complexity_ == front["complexity"].iloc[i]
        np.testing.assert_allclose(
            mean_squared_error(y, clone.predict(X)), front["loss"].iloc[i], rtol=1e-9, atol=1e-20
        )
        # the printed (4-digit) equation evaluates close to the full-precision one
        syms = [sp.Symbol(f"x{j}", real=True) for j in range(5)]
        expr = sp.sympify(front["equation"].iloc[i], locals={s.name: s for s in syms})
        approx = sp.lambdify([syms], expr, "numpy")(X.T)
        np.testing.assert_allclose(
            approx, clone.predict(X), rtol=0, atol=0.02 * np.std(y) + 1e-3 * np.abs(y).max()
        )


def test_model_selection_rules(textbook_model):
    model, X, y = textbook_model
    front = model.pareto_front_
    loss = front["loss"].to_numpy()
    acc = copy.deepcopy(model).select("accuracy")
    assert acc.selected_index_ == int(np.argmin(loss))
    simplest = copy.deepcopy(model).select("simplest")
    r2 = front["r2"].to_numpy()
    assert simplest.selected_index_ == int(np.flatnonzero(r2 >= r2.max() - 1e-3)[0])
    # "best": highest -dlog(loss)/dcomplexity among losses within 1.5x the lowest
    cx = front["complexity"].to_numpy()
    score = np.r_[0.0, -np.diff(np.log(loss)) / np.diff(cx)]
    ok = loss <= 1.5 * loss.min()
    assert model.selected_index_ == int(np.argmax(np.where(ok, score, -np.inf)))
    with pytest.raises(ValueError, match="row of pareto_front_"):
        acc.select(len(front))


def test_model_selection_parameter_picks_the_same_row_as_select():
    X, y = _small_data()
    for rule in ("accuracy", "simplest", "best"):
        m = SymbolicRegressor(**SMALL, model_selection=rule).fit(X, y)
        assert m.selected_index_ == copy.deepcopy(m).select(rule).selected_index_


# --- determinism, progress, names -------------------------------------------------

SMALL = dict(population_size=60, generations=8, max_length=15, random_state=3, verbose=False)


def _small_data(seed=1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(1, 5, size=(80, 3))
    return X, X[:, 0] * X[:, 1] + np.sin(X[:, 2])


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_random_state_gives_identical_equation(n_jobs):
    X, y = _small_data()
    a = SymbolicRegressor(**SMALL, n_jobs=n_jobs).fit(X, y)
    b = SymbolicRegressor(**SMALL, n_jobs=n_jobs).fit(X, y)
    assert sp.srepr(a.equation_) == sp.srepr(b.equation_)
    pd.testing.assert_frame_equal(a.pareto_front_, b.pareto_front_)


def test_progress_bar_over_generations(capsys):
    X, y = _small_data()
    SymbolicRegressor(**{**SMALL, "verbose": True}).fit(X, y)
    err = capsys.readouterr().err
    assert "symbolic search" in err and "8/8" in err and "gen" in err
    SymbolicRegressor(**SMALL).fit(X, y)
    assert capsys.readouterr().err == ""


def test_real_feature_names_that_are_not_identifiers():
    X, y = _small_data()
    frame = pd.DataFrame(X, columns=["petal len", "mass-kg", "angle"])
    model = SymbolicRegressor(**SMALL).fit(frame, y)
    names = {s.name for s in model.to_sympy().free_symbols}
    assert names <= {"petal len", "mass-kg", "angle"} and names
    assert any(n in str(model) for n in names)
    np.testing.assert_allclose(model.to_callable()(X), model.predict(frame), rtol=1e-12)
    loc = model.explain_local(frame.iloc[:5])
    np.testing.assert_allclose(loc.output(), model.predict(frame.iloc[:5]), atol=1e-8)


def test_sample_weight_zero_equals_dropping_rows_in_the_refit():
    # the search is unweighted, but the constants are refit with the weights:
    # y = 3*x0 on the kept rows, garbage (weight 0) elsewhere
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, size=(120, 2))
    y = 3 * X[:, 0]
    y[:20] = 100.0
    sw = np.r_[np.zeros(20), np.ones(100)]
    model = SymbolicRegressor(**SMALL).fit(X, y, sample_weight=sw).select("accuracy")
    np.testing.assert_allclose(model.predict(X[20:]), y[20:], rtol=1e-6)


def test_zero_weight_block_equals_fitting_on_the_rest():
    # the search itself sees the weights: rows of weight 0 are not in it, so the
    # same seed evolves the same equations as a fit on the other rows alone
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, size=(100, 2))
    y = X[:, 0] * X[:, 1] + np.sin(X[:, 1])
    y[:25] = rng.normal(50, 20, 25)  # garbage, weight 0
    sw = np.r_[np.zeros(25), np.ones(75)]
    a = SymbolicRegressor(**SMALL).fit(X, y, sample_weight=sw)
    b = SymbolicRegressor(**SMALL).fit(X[25:], y[25:])
    assert a.n_search_rows_ == 75 == b.n_search_rows_
    assert list(a.pareto_front_["complexity"]) == list(b.pareto_front_["complexity"])
    np.testing.assert_allclose(a.pareto_front_["loss"], b.pareto_front_["loss"], rtol=1e-9)
    assert a.selected_index_ == b.selected_index_
    # same equations; the float64 constant refit (zero-weight rows included) stops
    # at its own tolerance, so constants agree to about 1e-8
    assert sp.srepr(a.equation_.atoms(sp.Symbol)) == sp.srepr(b.equation_.atoms(sp.Symbol))
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-6)


def test_integer_weights_equal_repeated_rows_in_the_search():
    X, y = _small_data()
    y = y + np.where(X[:, 2] > 3, 4.0, 0.0)  # a part only some rows show
    w = np.where(X[:, 2] > 3, 3, 1)
    a = SymbolicRegressor(**SMALL).fit(X, y, sample_weight=w)
    rows = np.repeat(np.arange(len(y)), w)  # the same rows, in place
    b = SymbolicRegressor(**SMALL).fit(X[rows], y[rows])
    assert a.n_search_rows_ == int(w.sum()) == b.n_search_rows_
    assert list(a.pareto_front_["complexity"]) == list(b.pareto_front_["complexity"])
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-7, atol=1e-9)
    # had the search ignored the weights, a's front would be the unweighted search's
    # equations refit with weights, not the equations evolved on the repeated rows
    c = SymbolicRegressor(**SMALL).fit(X, y)
    assert list(c.pareto_front_["equation"]) != list(b.pareto_front_["equation"])


def test_search_rows_stand_for_the_weights():
    assert symbolic.search_rows(None, 5, 0) is None
    np.testing.assert_array_equal(
        symbolic.search_rows(np.array([2, 0, 1, 3.0]), 4, 0), [0, 0, 2, 3, 3, 3]
    )
    rng = np.random.default_rng(3)
    w = rng.uniform(0, 2, 500)
    w[:50] = 0
    rows = symbolic.search_rows(w, 500, 7)
    assert rows.size == 500 and np.all(np.diff(rows) >= 0)
    counts = np.bincount(rows, minlength=500)
    assert counts[:50].sum() == 0
    # systematic resampling: every row drawn floor or ceil of its expected count
    expected = 500 * w / w.sum()
    assert np.all(np.abs(counts - expected) < 1 + 1e-9)
    np.testing.assert_array_equal(rows, symbolic.search_rows(w, 500, 7))
    # huge integer weights do not blow up the row count: resampled instead
    assert symbolic.search_rows(np.full(10, 10**6), 10, 0).size == 10


# --- conversion and simplification -----------------------------------------------


def test_operon_trees_convert_to_the_same_function():
    """Random pyoperon trees -> sympy, evaluated against pyoperon's own evaluator."""
    import pyoperon as op

    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, size=(50, 3))
    ds = op.Dataset(np.asfortranarray(np.column_stack([X, X[:, 0]])))
    hashes = [v.Hash for v in sorted(ds.Variables, key=lambda v: v.Index)][:3]
    column = {h: j for j, h in enumerate(hashes)}
    symbols = [sp.Symbol(f"x{j}", real=True) for j in range(3)]
    from pyoperon.sklearn import _KNOWN_SYMBOLS

    bits = 0
    for name in (
        "add",
        "sub",
        "mul",
        "div",
        "aq",
        "square",
        "sqrt",
        "exp",
        "log",
        "sin",
        "cos",
        "tanh",
        "constant",
        "variable",
    ):
        bits |= int(_KNOWN_SYMBOLS[name])
    problem = op.Problem(op.Dataset(np.asfortranarray(np.column_stack([X, X[:, 0]]))))
    problem.ConfigurePrimitiveSet(bits)
    pset = problem.PrimitiveSet
    creator = op.BalancedTreeCreator(pset, hashes, 0.0)
    gen = op.RandomGenerator(np.uint64(1))
    dtable = op.DispatchTable()
    checked = 0
    for length in range(3, 25):
        for _ in range(5):
            tree = creator(gen, length, 1, 10)
            tree.SetCoefficients(rng.uniform(0.5, 1.5, size=tree.CoefficientsCount))
            ref = np.asarray(op.Evaluate(dtable, tree, ds, op.Range(0, ds.Rows)), dtype=float)
            if not np.all(np.isfinite(ref)) or np.abs(ref).max() > 1e4:
                continue
            expr = symbolic.SymbolicRegressor._tree_to_sympy(tree, column, symbols)
            ours = st.evaluate(expr, symbols, X)
            np.testing.assert_allclose(ours, ref, rtol=2e-4, atol=2e-4 * np.abs(ref).max())
            checked += 1
    assert checked > 50


def test_simplify_drops_near_zero_constants_and_folds():
    x0, x1 = sp.symbols("x0 x1", real=True)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = 2.5 * X[:, 0] ** 2 - 0.5
    raw = (
        sp.Float(1.25) * x0 * (sp.Float(2.0) * x0)
        + sp.Float(1e-9) * x1
        + sp.Float(-0.5) * sp.cos(sp.Float(3e-7) * x1)
    )
    out = st.simplify(raw, [x0, x1], X, y, None)
    assert sp.srepr(st.rounded(out)) == sp.srepr(sp.Float(2.5) * x0**2 + sp.Float(-0.5))
    assert st.to_text(out) == "2.5*x0**2 - 0.5"


def test_simplify_merges_exponentials():
    x0, x1 = sp.symbols("x0 x1", real=True)
    X = np.random.default_rng(1).uniform(-1, 1, size=(50, 2))
    y = 3 * np.exp(0.5 * X[:, 0] + 1.5 * X[:, 1])
    raw = sp.Float(3.0) * sp.exp(sp.Float(0.5) * x0) * sp.exp(sp.Float(1.5) * x1)
    out = st.simplify(raw, [x0, x1], X, y, None)
    assert len(out.atoms(sp.exp)) == 1, out
    np.testing.assert_allclose(st.evaluate(out, [x0, x1], X), y, rtol=1e-12)


# --- backends and import weight ----------------------------------------------------


def test_pysr_backend_refuses_with_reason(monkeypatch):
    X, y = _small_data()
    monkeypatch.setattr(symbolic, "_PYSR_STATUS", None)
    monkeypatch.setattr(symbolic.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"not installed.*backend='operon'"):
        SymbolicRegressor(backend="pysr", verbose=False).fit(X, y)


def test_pysr_probe_runs_in_a_subprocess(monkeypatch):
    """When pysr looks installed, the probe imports it in a child process only."""
    if symbolic.importlib.util.find_spec("pysr") is not None:
        pytest.skip("pysr is installed here; the probe would really import it")
    monkeypatch.setattr(symbolic, "_PYSR_STATUS", None)
    monkeypatch.setattr(symbolic.importlib.util, "find_spec", lambda name: object())
    reason = symbolic.pysr_unavailable_reason(timeout=60)
    assert "import pysr" in reason and "No module named 'pysr'" in reason
    assert "pysr" not in sys.modules


def test_import_glassbox_stays_light():
    code = "import sys, glassbox; print(sorted(m for m in ('pyoperon', 'sympy', 'pysr', 'juliacall') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bad_operator_named():
    X, y = _small_data()
    with pytest.raises(ValueError, match="unknown operator.*'foo'"):
        SymbolicRegressor(operators=("add", "foo"), verbose=False).fit(X, y)


def test_early_stop_ends_the_search_once_accurate():
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(2)
    X = rng.uniform(1, 5, size=(100, 3))
    y = 3 * X[:, 0] * X[:, 1]
    model = SymbolicRegressor(**{**SMALL, "generations": 300, "early_stop": 0.99999}).fit(X, y)
    assert model.n_generations_ < 300 and model.n_generations_ % 10 == 0
    assert r2_score(y, model.select("accuracy").predict(X)) >= 0.99999


# --- extreme scales: the float32 search sees values near 1, the equation is in user units


def _linear_law(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.uniform(1, 3, n), "b": rng.uniform(0, 1, n)})
    return X, (2.5 * X["a"] + 4 * X["b"] + 1).to_numpy()


@pytest.mark.parametrize("sx, sy", [(1e300, 1.0), (1e-300, 1.0), (1.0, 1e300), (1.0, 1e-300)])
def test_extreme_scales_do_not_collapse(sx, sy):
    X, y = _linear_law()
    params = dict(population_size=60, generations=10, max_length=10, n_jobs=1, verbose=False)
    model = SymbolicRegressor(random_state=0, **params).fit(X * sx, y * sy)
    pred = model.predict(X * sx)
    assert np.isfinite(pred).all()
    # R^2 of the predictions in the user's units, computed here (scale-free)
    r2 = 1 - np.sum((pred / sy - y) ** 2) / np.sum((y - y.mean()) ** 2)
    assert r2 > 0.95 and model.train_r2_ > 0.95, model.to_text()
    assert model.equation_.free_symbols  # not a constant


def test_constants_beyond_float64_are_warned_about():
    X, y = _linear_law()
    params = dict(population_size=60, generations=10, max_length=10, n_jobs=1, verbose=False)
    with pytest.warns(UserWarning, match="beyond float64"):
        SymbolicRegressor(random_state=0, **params).fit(X * 1e300, y * 1e-300)


def test_text_columns_enter_as_reference_coded_levels(credit_table):
    df = credit_table(200)
    X = df[["Seniority", "Records", "Grade"]]
    y = 2.0 + 1.5 * (df["Records"] == "yes") + 0.1 * df["Seniority"]
    params = dict(population_size=60, generations=10, max_length=10, n_jobs=1, verbose=False)
    model = SymbolicRegressor(random_state=0, **params).fit(X, y.to_numpy())
    names = [s.name for s in model._symbols()]
    assert "[Records = yes]" in names and "[Records = no]" not in names  # baseline: no
    assert "[Grade = mid]" in names and "[Grade = low]" not in names  # ordered: first level
    # the equation evaluated on 0/1 columns built here from the user's frame
    cols = []
    for name in names:
        if name.startswith("["):
            col, level = name[1:-1].split(" = ")
            cols.append((X[col].astype(str) == level).to_numpy(float))
        else:
            cols.append(X[name].to_numpy(float))
    fn = sp.lambdify([model._symbols()], model.equation_, modules="numpy", dummify=True)
    expected = np.broadcast_to(fn(np.array(cols)), (len(X),))
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-12)
    assert model.train_r2_ > 0.9, model.to_text()
    loc = model.explain_local(X.iloc[:10])
    np.testing.assert_allclose(loc.output(), model.predict(X.iloc[:10]), rtol=1e-9, atol=1e-9)
    assert loc.values.shape == (10, 3)
    X2 = X.iloc[:5].copy()
    X2.loc[X2.index[2], "Records"] = "maybe"
    with pytest.raises(ValueError, match=r"'Records'.*'maybe'.*row 2"):
        model.predict(X2)
    Xn = X.copy()
    Xn.loc[4, "Seniority"] = np.nan
    with pytest.raises(ValueError, match=r"'Seniority'.*row 4"):
        SymbolicRegressor(random_state=0, **params).fit(Xn, y.to_numpy())
