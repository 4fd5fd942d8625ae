"""Whole printouts of small fixed models of the rule and symbolic families.

As scikit-learn's ``export_text`` tests do, each test fits a tiny model whose
content is fixed by the data and compares ``str(model)`` with the whole
expected string. The expected text is written from the construction:

* cut points are the shortest number that keeps the training rows on their
  side (between the integers 18 and 22 that is 20; between 3 and 4 it is 3);
* supports, class frequencies and accuracies are counted from the rows;
* RIPPER's P is wittgenstein's Laplace rate (positives + 1) / (covered + 2);
* numbers the backend chooses (RuleFit's L1 weights) are taken from imodels
  fitted directly on the same data and formatted here with 8 significant digits;
* the symbolic law y = 3x + 2 is exact, so its loss is 0 and the constant
  model's loss is var(y).

Each test also checks that the model predicts what the printed rules say
(the printed text is the model), evaluated here from the construction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glassbox import (
    OneRClassifier,
    RipperClassifier,
    RuleSetClassifier,
    RuleSetRegressor,
    SymbolicRegressor,
)

ONE_R_NOTE = "The first rule whose condition holds decides; support = training rows in the bin."
MISSING_NOTE = (
    "Missing values (seen in fit in income) make every condition on them false, "
    "except 'is missing'; elsewhere they are refused."
)
UNSEEN_NOTE = "A level not seen in fit is refused."


def _g8(x: float) -> str:
    """8 significant digits, no -0 (how a number a reader may re-evaluate is printed)."""
    return f"{float(x) + 0.0:.8g}"


def _signed(w: float) -> str:
    return f"{'-' if w < 0 else '+'} {_g8(abs(w))}"


# --- OneR -----------------------------------------------------------------------------


def test_one_r_numeric_with_a_missing_bin_whole_printout():
    """income separates the classes (<= 17 no, >= 22 yes, missing yes); shoe is noise.

    n_bins=2 cuts income at its median 19.5, between the observed 17 and 22: the
    shortest number in [17, 22) is 20 (not the midpoint). The two missing rows get
    their own rule, first.
    """
    X = pd.DataFrame(
        {
            "income": [11.0, 14, 16, 17, 22, 24, 26, 29, np.nan, np.nan],
            "shoe": [3.0, 9, 5, 7, 4, 8, 6, 1, 2, 10],
        }
    )
    y = np.array(["no"] * 4 + ["yes"] * 6)
    model = OneRClassifier(n_bins=2).fit(X, y)
    assert str(model) == "\n".join(
        [
            "OneRClassifier: one rule on feature income (mlxtend OneRClassifier), 3 bins, "
            "training accuracy 1, fitted on 10 rows (classes: no, yes)",
            ONE_R_NOTE,
            MISSING_NOTE,
            "",
            "IF income is missing THEN yes  [P(yes) = 1]  support=2",
            "ELSE IF income <= 20 THEN no  [P(yes) = 0]  support=4",
            "ELSE yes  [P(yes) = 1]  support=4",
        ]
    )
    # the printed rules are the model
    expected = np.where(X["income"].isna() | (X["income"] > 20), "yes", "no")
    np.testing.assert_array_equal(model.predict(X), expected)
    fresh = pd.DataFrame({"income": [19.9, 20.0, 20.01, np.nan], "shoe": [1.0, 1, 1, 1]})
    np.testing.assert_array_equal(model.predict(fresh), ["no", "no", "yes", "yes"])


def test_one_r_multiclass_whole_printout():
    """Three groups of lengths 1-3, 11-13, 21-23: the tertile cuts fall between 3 and
    11 (shortest numbers in [3, 11): the one-digit 3..10, nearest the midpoint 7) and
    between 13 and 21 (20, the only one-digit number in [13, 21))."""
    X = pd.DataFrame({"len": [1.0, 2, 3, 11, 12, 13, 21, 22, 23]})
    y = np.array(["s"] * 3 + ["m"] * 3 + ["l"] * 3)
    model = OneRClassifier(n_bins=3).fit(X, y)
    assert str(model) == "\n".join(
        [
            "OneRClassifier: one rule on feature len (mlxtend OneRClassifier), 3 bins, "
            "training accuracy 1, fitted on 9 rows (classes: l, m, s)",
            ONE_R_NOTE,
            "",
            "IF len <= 7 THEN s  [p: l 0, m 0, s 1]  support=3",
            "ELSE IF len <= 20 THEN m  [p: l 0, m 1, s 0]  support=3",
            "ELSE l  [p: l 1, m 0, s 0]  support=3",
        ]
    )
    fresh = pd.DataFrame({"len": [7.0, 7.5, 20.0, 20.5]})
    np.testing.assert_array_equal(model.predict(fresh), ["s", "m", "m", "l"])


def test_one_r_categorical_whole_printout():
    """One rule per level, levels in order of their share of 'yes' (council 0/3,
    own 1/4, rent 3/3); the last level is the ELSE line. Accuracy (3 + 3 + 3) / 10.
    (The header says "3 bins" for 3 levels.)"""
    X = pd.DataFrame({"home": ["rent"] * 3 + ["own"] * 4 + ["council"] * 3}, dtype=object)
    y = np.array(["yes"] * 3 + ["yes", "no", "no", "no"] + ["no"] * 3)
    model = OneRClassifier().fit(X, y)
    assert str(model) == "\n".join(
        [
            "OneRClassifier: one rule on feature home (mlxtend OneRClassifier), 3 bins, "
            "training accuracy 0.9, fitted on 10 rows (classes: no, yes)",
            ONE_R_NOTE,
            UNSEEN_NOTE,
            "",
            "IF home = council THEN no  [P(yes) = 0]  support=3",
            "ELSE IF home = own THEN no  [P(yes) = 0.25]  support=4",
            "ELSE yes  [P(yes) = 1]  support=3",
        ]
    )
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], [1] * 3 + [0.25] * 4 + [0] * 3)


# --- RIPPER ---------------------------------------------------------------------------


def _ripper_data():
    """yes when age > 3 or dose > 3, on a 4 x 4 grid (twice) plus six rows with
    dose 4 and a low age: 'dose > 3' covers 14 positives, 'age > 3' 8 (two of them
    also with dose 4), and the 18 uncovered rows are all 'no'."""
    age = np.repeat(np.arange(1.0, 5), 4)
    dose = np.tile(np.arange(1.0, 5), 4)
    X = pd.DataFrame(
        {"age": np.r_[age, age, [1.0, 2, 3, 1, 2, 3]], "dose": np.r_[dose, dose, [4.0] * 6]}
    )
    y = np.where((X["age"] > 3) | (X["dose"] > 3), "yes", "no")
    return X, y


@pytest.mark.parametrize("random_state", [0, 1])
def test_ripper_whole_printout(random_state):
    X, y = _ripper_data()
    assert (y == "yes").sum() == 20 and (X["dose"] > 3).sum() == 14 and (X["age"] > 3).sum() == 8
    model = RipperClassifier(n_bins=4, random_state=random_state).fit(X, y)
    # Laplace rates: (14 + 1) / (14 + 2), (8 + 1) / (8 + 2), (0 + 1) / (18 + 2)
    p1, p2, p0 = 15 / 16, 9 / 10, 1 / 20
    assert str(model) == "\n".join(
        [
            "RipperClassifier: RIPPER rule set (wittgenstein RIPPER), 2 rules, 2 conditions, "
            "fitted on 38 rows (classes: no, yes)",
            "Predicts yes when any rule holds; P(yes) is then the mean of the holding rules' P. "
            "Support = training rows a rule covers.",
            "",
            # a set: every rule that holds counts, so each reads IF on its own
            f"IF dose > 3 THEN yes  [P(yes) = {_g8(p1)}]  support=14",
            f"IF age > 3 THEN yes  [P(yes) = {_g8(p2)}]  support=8",
            f"ELSE no  [P(yes) = {_g8(p0)}]  support=18",
        ]
    )
    # what the printout says: any rule -> yes, P the mean of the holding rules' P
    d, a = (X["dose"] > 3).to_numpy(), (X["age"] > 3).to_numpy()
    n = d.astype(int) + a
    p = np.where(n > 0, (d * p1 + a * p2) / np.maximum(n, 1), p0)
    np.testing.assert_array_equal(model.predict(X), np.where(n > 0, "yes", "no"))
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], p, rtol=1e-12)


# --- RuleFit --------------------------------------------------------------------------


def _imodels_seed(random_state: int) -> int:
    """The seed RuleSet* hands imodels for an integer random_state."""
    return int(np.random.RandomState(random_state).randint(2**31 - 1))


def _imodels_rules(ref) -> dict[str, float]:
    """imodels' non-zero rules as {rule text with feature X_0: weight}."""
    n_lin = len(ref.coef) - len(ref.rules_without_feature_names_)
    return {
        str(r): float(w)
        for r, w in zip(ref.rules_without_feature_names_, ref.coef[n_lin:])
        if w != 0
    }


# imodels' own fit calls scikit-learn's LogisticRegression with the deprecated `penalty`
_SKLEARN_DEPRECATION = pytest.mark.filterwarnings(
    "ignore:'penalty' was deprecated:FutureWarning", "ignore:Inconsistent values:UserWarning"
)


def test_rulefit_regressor_whole_printout():
    """y = 2*dose + 3 on dose = 1..20, one boosted tree, at most two terms: a linear
    term clipped at the 2.5% / 97.5% quantiles (1 + 0.025*19 = 1.475 and 19.525)
    and one rule 9.5 < dose <= 15.5, which on integers reads dose > 9 AND dose <= 15
    (6 rows). The weights are imodels' own, from a direct fit."""
    from imodels import RuleFitRegressor

    dose = np.arange(1.0, 21)
    X, y = pd.DataFrame({"dose": dose}), 2 * dose + 3
    kw = dict(max_rules=2, n_estimators=1, cv=False)
    model = RuleSetRegressor(**kw, random_state=0).fit(X, y)
    ref = RuleFitRegressor(**kw, random_state=_imodels_seed(0)).fit(X.to_numpy(), y)
    np.testing.assert_allclose(ref.winsorizer.winsor_lims.ravel(), [1.475, 19.525], rtol=1e-12)
    rules = _imodels_rules(ref)
    assert list(rules) == ["X_0 <= 15.5 and X_0 > 9.5"]
    w_rule = rules["X_0 <= 15.5 and X_0 > 9.5"]
    slope = float(ref.coef[0] * ref.friedscale.scale_multipliers[0])  # per unit of dose
    b0 = float(ref.intercept)
    # the three numbers are imodels' prediction: check them on its predict
    grid = np.array([[2.0], [3.0], [12.0], [30.0]])
    by_hand = b0 + slope * np.clip(grid[:, 0], 1.475, 19.525) + w_rule * (grid[:, 0] == 12)
    np.testing.assert_allclose(ref.predict(grid), by_hand, rtol=1e-12)
    assert str(model) == "\n".join(
        [
            "RuleSetRegressor: RuleFit (imodels), 1 rule + 1 linear term, complexity 3 "
            "(conditions + linear terms), fitted on 20 rows",
            "",
            f"y = {_g8(b0)}",
            "  linear terms (clip(x, lo, hi) limits x to [lo, hi]; [a = b] is 1 if true, else 0):",
            f"    {_signed(slope)}*clip(dose, 1.475, 19.525)",
            "  rules (add the weight when the rule holds): 1",
            f"    IF dose > 9 AND dose <= 15 THEN {_signed(w_rule)}  (support=6, 30%)",
        ]
    )
    # the printed score is the model (and, with these short bounds, imodels' score)
    fresh = np.array([0.0, 1.0, 9.0, 9.5, 15.0, 15.5, 25.0])
    printed = (
        float(_g8(b0))
        + float(_g8(slope)) * np.clip(fresh, 1.475, 19.525)
        + float(_g8(w_rule)) * ((fresh > 9) & (fresh <= 15))
    )
    got = model.predict(pd.DataFrame({"dose": fresh}))
    np.testing.assert_allclose(got, printed, rtol=1e-7)
    # imodels' own cuts (9.5, 15.5) differ from the printed ones only between the
    # training values, where no training row lies
    on_grid = np.isin(fresh, [0.0, 1.0, 9.0, 15.0, 25.0])
    np.testing.assert_allclose(got[on_grid], ref.predict(fresh[on_grid, None]), rtol=1e-12)


@_SKLEARN_DEPRECATION
def test_rulefit_classifier_whole_printout():
    """dose = 1..20, 'yes' above 10 except rows 4 (yes) and 15 (no). One tree, at most
    two rules: imodels' X_0 > 9.5 and 2.5 < X_0 <= 9.5, i.e. dose > 9 (11 rows) and
    2 < dose <= 9 (7 rows) on the integers. Weights and intercept are imodels'."""
    from imodels import RuleFitClassifier

    dose = np.arange(1.0, 21)
    X = pd.DataFrame({"dose": dose})
    yes = (dose > 10) ^ np.isin(dose, [4, 15])
    y = np.where(yes, "yes", "no")
    kw = dict(max_rules=2, n_estimators=1, cv=False)
    model = RuleSetClassifier(**kw, random_state=0).fit(X, y)
    ref = RuleFitClassifier(**kw, random_state=_imodels_seed(0)).fit(X.to_numpy(), yes.astype(int))
    rules = _imodels_rules(ref)
    assert sorted(rules) == ["X_0 <= 9.5 and X_0 > 2.5", "X_0 > 9.5"]
    assert np.count_nonzero(ref.coef[: len(ref.coef) - len(ref.rules_without_feature_names_)]) == 0
    w_hi, w_mid = rules["X_0 > 9.5"], rules["X_0 <= 9.5 and X_0 > 2.5"]
    assert abs(w_hi) > abs(w_mid)  # printed by decreasing |weight|
    b0 = float(np.ravel(ref.intercept)[0])
    # imodels' probability is softmax([1 - score, score]) = expit(2*score - 1)
    hi, mid = dose > 9, (dose > 2) & (dose <= 9)
    score = b0 + w_hi * hi + w_mid * mid
    np.testing.assert_allclose(
        ref.predict_proba(X.to_numpy())[:, 1], 1 / (1 + np.exp(1 - 2 * score)), rtol=1e-12
    )
    assert str(model) == "\n".join(
        [
            "RuleSetClassifier: RuleFit (imodels), 2 rules + 0 linear terms, complexity 3 "
            "(conditions + linear terms), fitted on 20 rows (classes: no, yes)",
            "",
            f"score = {_g8(b0)}",
            "  rules (add the weight when the rule holds): 2",
            f"    IF dose > 9 THEN {_signed(w_hi)}  (support=11, 55%)",
            f"    IF dose <= 9 AND dose > 2 THEN {_signed(w_mid)}  (support=7, 35%)",
            "",
            "P(yes) = 1 / (1 + exp(1 - 2*score))   (imodels: softmax of [1 - score, score])",
            "predict yes when score > 0.5, else no",
        ]
    )
    # the printed score and decision rule are the model
    np.testing.assert_allclose(model.decision_function(X), 2 * score - 1, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), np.where(score > 0.5, "yes", "no"))
    ref_labels = np.where(ref.predict(X.to_numpy()) == 1, "yes", "no")
    np.testing.assert_array_equal(model.predict(X), ref_labels)


# --- symbolic regression --------------------------------------------------------------


def test_symbolic_exact_law_whole_printout():
    """y = 3*x + 2 on x = -3..4, noise-free. The front opens with the mean 3.5
    (loss var(y) = 9 * var(x) = 9 * 63/12 = 47.25, R^2 0) and ends with the law
    itself (5 nodes: Add, Mul, 3, x, 2; loss 0, R^2 1), which "best" selects (its
    score -dlog(loss)/dcomplexity is infinite)."""
    import sympy as sp

    x = np.arange(-3.0, 5)
    X, y = pd.DataFrame({"x": x}), 3 * x + 2
    assert np.mean(y) == 3.5 and np.var(y) == 47.25
    model = SymbolicRegressor(
        population_size=50, generations=10, n_jobs=1, random_state=0, verbose=False
    ).fit(X, y)
    assert str(model) == "\n".join(
        [
            "SymbolicRegressor (operon): row 1 of a 2-equation Pareto front "
            "(model_selection='best'), fitted on 8 rows",
            "",
            "y = 3*x + 2",
            "",
            "R^2 (training) = 1, complexity = 5 nodes",
            "",
            "Pareto front (select(i) picks row i):",
            "complexity  loss (MSE)  R^2  equation",
            "----------  ----------  ---  --------",
            "         1       47.25    0  3.5",
            "       > 5           0    1  3*x + 2",
        ]
    )
    # predict from the printed equation, on points outside the training range
    sym = sp.Symbol("x")
    f = sp.lambdify(sym, sp.sympify("3*x + 2", locals={"x": sym}), "numpy")
    fresh = np.array([-100.0, 0.5, 1e3])
    np.testing.assert_allclose(model.predict(pd.DataFrame({"x": fresh})), f(fresh), rtol=1e-12)
