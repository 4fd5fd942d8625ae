"""Rule families on a credit-like table (text columns, an ordered category,
missing values): the printed rules rebuild predict from the user's own frame,
categories read as levels (never mirrored dummies), missing values are routed
as stated or refused naming column and row, cut points are the shortest numbers
that keep the training rows, RuleFit drops numerically-zero terms and survives
extreme scales."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _printed_rules import eval_condition, eval_rule
from test_rules import list_predict, rulefit_score

from glassbox import (
    OneRClassifier,
    RipperClassifier,
    RuleListClassifier,
    RuleSetClassifier,
    RuleSetRegressor,
)


def _credit(credit_table, filled: bool):
    df = credit_table(400)
    X = df.drop(columns=["Status", "Visits", "rownames"])
    if filled:  # for the families whose backend takes no missing values
        X = X.assign(
            Income=X["Income"].fillna(100.0),
            Home=X["Home"].fillna("owner"),
            Job=X["Job"].fillna("fixed"),
        )
    return X, df["Status"].to_numpy(), df["Visits"].to_numpy(float)


_MIRROR = re.compile(
    r"(Home|Records|Marital|Job|Grade) ?==? ?\w+ ==|(Home|Records|Marital|Job|Grade)=\w"
)  # old dummies


@pytest.mark.parametrize(
    "make, filled",
    [
        (lambda: RuleListClassifier("greedy", max_depth=5), True),
        (
            lambda: RuleListClassifier(
                "bayesian", n_bins=3, min_support=0.1, max_iter=300, n_chains=1, random_state=0
            ),
            False,
        ),
        (lambda: RipperClassifier(n_bins=4, random_state=0), False),
        (lambda: OneRClassifier(n_bins=4), False),
    ],
)
def test_printed_list_is_the_model_on_the_credit_table(credit_table, make, filled):
    X, y, _ = _credit(credit_table, filled)
    model = make().fit(X, y)
    text = str(model)
    mean = isinstance(model, RipperClassifier)
    labels, proba = list_predict(text, model.classes_, X, mean_of_firing=mean)
    np.testing.assert_array_equal(labels.astype(str), model.predict(X).astype(str))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-6, atol=1e-9)
    assert not _MIRROR.search(text.split("\n", 1)[1]), text
    loc = model.explain_local(X.iloc[:30])
    np.testing.assert_allclose(loc.output(), model.predict_proba(X.iloc[:30])[:, 1], atol=1e-12)


def test_rulefit_on_the_credit_table_reference_coded(credit_table):
    X, y, visits = _credit(credit_table, filled=True)
    model = RuleSetClassifier(n_estimators=20, alpha=0.02, random_state=0).fit(X, y)
    text = str(model)
    np.testing.assert_allclose(
        2 * rulefit_score(text, X) - 1, model.decision_function(X), rtol=1e-6, atol=1e-6
    )
    # one dummy per non-baseline level: never both Records levels
    assert len(re.findall(r"\[Records = (no|yes)\]", text)) <= 1, text
    reg = RuleSetRegressor(n_estimators=20, max_rules=10, cv=False, random_state=0).fit(X, visits)
    np.testing.assert_allclose(rulefit_score(str(reg), X), reg.predict(X), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [lambda: RuleListClassifier("greedy"), lambda: RuleSetClassifier(n_estimators=5, cv=False)],
)
def test_missing_values_refused_naming_column_and_row(credit_table, make):
    X, y, _ = _credit(credit_table, filled=True)
    X.loc[7, "Income"] = np.nan
    with pytest.raises(ValueError, match=r"'Income'.*row 7"):
        make().fit(X, y)


def test_missing_values_get_their_own_rule_where_the_family_routes_them():
    rng = np.random.default_rng(0)
    n = 300
    income = rng.gamma(4, 30, n).round(1)
    y = np.where(income > 120, "good", "bad")
    income[:60] = np.nan
    y[:60] = "bad"
    X = pd.DataFrame({"Income": income, "Noise": rng.normal(size=n).round(2)})
    one_r = OneRClassifier(n_bins=4).fit(X, y)
    text = str(one_r)
    assert "IF Income is missing THEN bad" in text, text
    assert one_r.predict(X.iloc[:60]).tolist() == ["bad"] * 60
    ripper = RipperClassifier(n_bins=4, random_state=0).fit(X, y)
    labels, _ = list_predict(str(ripper), ripper.classes_, X, mean_of_firing=True)
    np.testing.assert_array_equal(labels.astype(str), ripper.predict(X))
    # a condition on a missing value is false, as the printout says
    assert "missing" in ripper.missing_rule_
    # a column with no missing value in fit refuses one at predict
    X2 = X.iloc[60:65].copy()
    X2.loc[X2.index[1], "Noise"] = np.nan
    with pytest.raises(ValueError, match=r"'Noise'.*row 61"):
        one_r.predict(X2)


def test_ordered_category_thresholds_print_as_levels():
    rng = np.random.default_rng(3)
    n = 300
    grade = rng.choice(["low", "mid", "high", "top"], n)
    y = np.where(np.isin(grade, ["high", "top"]) ^ (rng.random(n) < 0.05), "good", "bad")
    X = pd.DataFrame(
        {
            "Grade": pd.Categorical(grade, categories=["low", "mid", "high", "top"], ordered=True),
            "Noise": rng.normal(size=n),
        }
    )
    model = RuleListClassifier("greedy", max_depth=2).fit(X, y)
    text = str(model)
    assert re.search(r"Grade (>=|<=) (mid|high)", text), text
    labels, _ = list_predict(text, model.classes_, X)
    np.testing.assert_array_equal(labels.astype(str), model.predict(X))


# --- the shortest cut points ----------------------------------------------------------


def _digits(x: float) -> int:
    from decimal import Decimal

    return 1 if x == 0 else len(Decimal(repr(float(x))).normalize().as_tuple().digits)


def test_greedy_cuts_are_short_and_split_the_rows_as_imodels():
    from imodels import GreedyRuleListClassifier

    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(
        {"income": rng.lognormal(10, 0.5, n), "age": rng.integers(18, 80, n).astype(float)}
    )
    y = np.where(0.00004 * X["income"] + 0.03 * X["age"] + rng.normal(0, 0.5, n) > 2.5, 1, 0)
    model = RuleListClassifier("greedy", max_depth=4).fit(X, y)
    np.random.seed(0)
    ref = GreedyRuleListClassifier(max_depth=4).fit(X.to_numpy(), y)
    open_ = np.ones(n, dtype=bool)
    for rule, entry in zip(model.rule_list_[:-1], ref.rules_[:-1]):
        (cond,) = rule.conds
        col = X.iloc[:, entry["index_col"]].to_numpy()
        theirs = col < entry["cutoff"] if entry["flip"] else col >= entry["cutoff"]
        ours = eval_condition(cond.text(), X)
        np.testing.assert_array_equal(ours[open_], theirs[open_])  # same rows at this step
        # no number with fewer digits lies between the rows' values around the cut
        x = col[open_]
        below, above = x[x < cond.threshold], x[x >= cond.threshold]
        for d in range(1, _digits(cond.threshold)):
            for c in {float(f"{v:.{d - 1}e}") for v in np.linspace(below.max(), above.min(), 50)}:
                assert not below.max() < c <= above.min(), (cond.text(), c)
        if cond.feature == "age":
            assert cond.threshold == int(cond.threshold)
        open_ &= ~theirs


def test_rulefit_clip_bounds_short_and_no_numerically_zero_terms():
    rng = np.random.default_rng(2)
    n = 250
    X = pd.DataFrame(
        {"Expenses": rng.integers(35, 180, n).astype(float), "dose": rng.uniform(0, 10, n)}
    )
    y = 0.05 * X["Expenses"] + 3 * (X["dose"] > 5) + rng.normal(0, 0.2, n)
    model = RuleSetRegressor(max_rules=12, n_estimators=20, cv=False, random_state=0).fit(X, y)
    text = str(model)
    for lo, hi in re.findall(r"clip\(\w+, ([-\d.e+]+), ([-\d.e+]+)\)", text):
        assert _digits(float(lo)) <= 6 and _digits(float(hi)) <= 6, text
    np.testing.assert_allclose(rulefit_score(text, X), model.predict(X), rtol=1e-6, atol=1e-6)
    # every term that is kept moves the score by more than a rounding error
    Xe = model._encoded(X)
    terms = model._term_values(Xe)
    kept = np.concatenate([model.linear_coef_ != 0, np.ones(len(model.rule_weights_), bool)])
    assert (np.abs(terms[:, kept]).max(axis=0) > 1e-9 * np.abs(model.predict(X)).max()).all()
    # a planted weight of 1e-17 is removed from the model (and so from the printout)
    model.rule_weights_ = np.append(model.rule_weights_, 1e-17)
    model.rule_conditions_ = model.rule_conditions_ + [model.rule_conditions_[0]]
    model._drop_zero_terms(Xe)
    assert not (np.abs(model.rule_weights_) < 1e-12).any()


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_rulefit_extreme_scales_match_the_unscaled_fit(scale):
    rng = np.random.default_rng(4)
    n = 200
    X = pd.DataFrame({"a": rng.uniform(0, 10, n), "b": rng.normal(size=n)})
    y = 2 * (X["a"] > 4) + X["b"] + rng.normal(0, 0.1, n)
    kw = dict(max_rules=8, n_estimators=15, cv=False, random_state=0)
    base = RuleSetRegressor(**kw).fit(X, y)
    big_x = RuleSetRegressor(**kw).fit(X * scale, y)
    np.testing.assert_allclose(big_x.predict(X * scale), base.predict(X), rtol=1e-6, atol=1e-6)
    big_y = RuleSetRegressor(**kw).fit(X, y * scale)
    np.testing.assert_allclose(big_y.predict(X) / scale, base.predict(X), rtol=1e-6, atol=1e-6)
    assert np.ptp(big_y.predict(X)) > 0  # not collapsed to a constant
    text = str(big_x)
    np.testing.assert_allclose(
        rulefit_score(text, X * scale), big_x.predict(X * scale), rtol=1e-6, atol=1e-6
    )
    assert eval_rule("TRUE", X).all()


@pytest.mark.parametrize(
    "make",
    [
        lambda: RuleListClassifier("greedy", max_depth=4),
        lambda: RipperClassifier(n_bins=4, random_state=0),
        lambda: OneRClassifier(n_bins=4),
    ],
)
@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_rule_lists_on_extreme_scales_are_the_unscaled_lists(make, scale):
    rng = np.random.default_rng(5)
    n = 200
    X = pd.DataFrame({"a": rng.uniform(0, 10, n).round(2), "b": rng.normal(size=n).round(3)})
    y = np.where(X["a"] + X["b"] + rng.normal(0, 1, n) > 5, "yes", "no")
    base = make().fit(X, y)
    big = make().fit(X * scale, y)
    np.testing.assert_allclose(big.predict_proba(X * scale), base.predict_proba(X))
    text = str(big)
    mean = isinstance(big, RipperClassifier)
    labels, _ = list_predict(text, big.classes_, X * scale, mean_of_firing=mean)
    np.testing.assert_array_equal(labels.astype(str), big.predict(X * scale))


@pytest.mark.parametrize(
    "make",
    [
        lambda: RuleListClassifier("greedy", max_depth=3),
        lambda: RipperClassifier(n_bins=3, random_state=0),
        lambda: OneRClassifier(),
    ],
)
def test_boolean_column_reads_true_false(make):
    rng = np.random.default_rng(6)
    n = 240
    flag = rng.random(n) < 0.5
    X = pd.DataFrame({"Flag": flag, "noise": rng.normal(size=n).round(2)})
    y = np.where(flag ^ (rng.random(n) < 0.05), "yes", "no")
    model = make().fit(X, y)
    text = str(model)
    assert re.search(r"Flag = (True|False)", text), text
    mean = isinstance(model, RipperClassifier)
    labels, _ = list_predict(text, model.classes_, X, mean_of_firing=mean)
    np.testing.assert_array_equal(labels.astype(str), model.predict(X))
    assert model.score(X, y) > 0.9


@pytest.mark.parametrize(
    "make",
    [
        lambda: RuleListClassifier("greedy", max_depth=3),
        lambda: RipperClassifier(n_bins=3, random_state=0),
        lambda: OneRClassifier(),
        lambda: RuleSetClassifier(n_estimators=5, max_rules=5, cv=False, random_state=0),
    ],
)
def test_integer_column_labels_matched_by_name(make):
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(200, 3)).round(2), columns=[0, 1, 2])
    y = np.where(X[1] > 0.2, "yes", "no")
    model = make().fit(X, y)
    assert re.search(r"\b1 (<=|<|>=|>) ", str(model)), str(model)
    np.testing.assert_array_equal(model.predict(X), make().fit(X, y).predict(X))
    with pytest.raises(ValueError, match="order"):
        model.predict(X[[2, 0, 1]])
    with pytest.raises(ValueError, match="missing"):
        model.predict(X[[0, 1]])
