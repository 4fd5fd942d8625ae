"""Rule families: the printed rules are the model.

Every test that checks predictions reads them back from ``str(model)`` alone:
a small parser here evaluates each printed condition on the original
DataFrame and rebuilds predict / predict_proba / the RuleFit score, and the
backends (imodels, wittgenstein, mlxtend) called directly are the oracle for
what the wrapped model must predict.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _printed_rules import eval_condition, eval_rule
from sklearn.exceptions import NotFittedError

from glassbox import (
    OneRClassifier,
    RipperClassifier,
    RuleListClassifier,
    RuleSetClassifier,
    RuleSetRegressor,
)
from glassbox.models._rules import Condition, merge_duplicates, simplify

# --- a reader of the printed rules -------------------------------------------------

_eval_condition = eval_condition
_eval_rule = eval_rule


_LIST_LINE = re.compile(r"^(IF|ELSE IF) (.*) THEN (\S+)  \[(.*)\]  support=(\d+)$")
_ELSE_LINE = re.compile(r"^ELSE (\S+)  \[(.*)\]  support=(\d+)$")


def _probs(text: str, classes) -> np.ndarray:
    """`P(b) = 0.3` (binary) or `p: a 0.1, b 0.9` -> probability vector."""
    if text.startswith("P("):
        p1 = float(text.split("=")[1])
        return np.array([1 - p1, p1])
    pairs = dict(item.rsplit(" ", 1) for item in text[3:].split(", "))
    return np.array([float(pairs[str(c)]) for c in classes])


def parse_list(text: str, classes):
    """[(conditions or None for ELSE, class label text, probs, support)]."""
    rules = []
    for line in text.splitlines():
        if m := _LIST_LINE.match(line):
            rules.append((m.group(2), m.group(3), _probs(m.group(4), classes), int(m.group(5))))
        elif m := _ELSE_LINE.match(line):
            rules.append((None, m.group(1), _probs(m.group(2), classes), int(m.group(3))))
    assert rules and rules[-1][0] is None, text
    return rules


def list_predict(text: str, classes, X: pd.DataFrame, mean_of_firing: bool = False):
    """Labels and probabilities from the printed list (first true rule decides).

    ``mean_of_firing``: RIPPER's probability, the mean over every rule that holds.
    """
    rules = parse_list(text, classes)
    n = len(X)
    labels = np.empty(n, dtype=object)
    proba = np.zeros((n, len(classes)))
    open_ = np.ones(n, dtype=bool)
    fired = []
    for conds, label, p, _ in rules:
        hit = open_ & (_eval_rule(conds, X) if conds else True)
        labels[hit], proba[hit] = label, p
        open_ &= ~hit
        if conds:
            fired.append((_eval_rule(conds, X), p))
    if mean_of_firing and fired:
        masks = np.column_stack([f for f, _ in fired]).astype(float)
        ps = np.stack([p for _, p in fired])
        k = masks.sum(axis=1)
        proba[k > 0] = (masks[k > 0] @ ps) / k[k > 0, None]
    return labels, proba


_TERM = re.compile(r"^    ([+-]) (\S+)\*(.*)$")
_RULE = re.compile(r"^    IF (.*) THEN ([+-]) (\S+)  \(support=(\d+),")
_CLIP = re.compile(r"^clip\((.*), (\S+), (\S+)\)$")


def rulefit_score(text: str, X: pd.DataFrame) -> np.ndarray:
    """intercept + printed linear terms + weights of the printed rules that hold."""
    lines = text.splitlines()
    head = next(line for line in lines if re.match(r"^(y|score) = ", line))
    score = np.full(len(X), float(head.split(" = ")[1]))
    for line in lines:
        if m := _RULE.match(line):
            w = float(m.group(3)) * (1 if m.group(2) == "+" else -1)
            score += w * _eval_rule(m.group(1), X)
        elif m := _TERM.match(line):
            w = float(m.group(2)) * (1 if m.group(1) == "+" else -1)
            arg = m.group(3)
            c = _CLIP.match(arg)
            inner = c.group(1) if c else arg
            if inner.startswith("["):  # [colour = red]: indicator of a level
                x = _eval_condition(inner[1:-1], X).astype(float)
            else:
                x = X[inner].to_numpy(float)
            if c:
                x = np.clip(x, float(c.group(2)), float(c.group(3)))
            score += w * x
    return score


def n_printed_conditions(text: str) -> int:
    n = 0
    for line in text.splitlines():
        m = re.match(r"^\s*(IF|ELSE IF) (.*) THEN ", line)
        if m:
            n += m.group(2).count(" AND ") + 1
    return n


# --- data --------------------------------------------------------------------------


def _binary(n=300, seed=0, categorical=False):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.normal(50, 12, n).round(1),
            "income": rng.lognormal(10, 0.5, n),
            "score": rng.uniform(0, 1, n),
        }
    )
    logit = 0.12 * (X["age"] - 50) + 3 * (X["score"] - 0.5)
    if categorical:
        X["colour"] = rng.choice(["red", "green", "blue"], n)
        logit = logit + 2.5 * (X["colour"] == "red") - 1
    y = np.where(logit + rng.logistic(size=n) * 0.5 > 0, "sick", "well")
    return X, y


def _multiclass(n=240, seed=1):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"length": rng.uniform(0, 10, n), "width": rng.uniform(0, 5, n)})
    y = np.select([X["length"] < 3, X["length"] < 7], ["short", "mid"], "long")
    return X, y


def _regression(n=250, seed=2):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "dose": rng.uniform(0, 10, n),
            "weight": rng.normal(70, 10, n),
            "hours": rng.uniform(0, 24, n),
        }
    )
    y = 3 * (X["dose"] > 5) + 0.1 * X["weight"] + np.sin(X["hours"] / 4) + rng.normal(0, 0.2, n)
    return X, y.to_numpy()


# --- simplification ----------------------------------------------------------------


def _c(op, v, col=0, name="a"):
    return Condition(name, op, float(v), col, float(v))


def test_simplify_keeps_tightest_bounds():
    assert simplify([_c("<", 5), _c("<", 10)]) == (_c("<", 5),)
    assert simplify([_c("<", 10), _c("<", 5)]) == (_c("<", 5),)
    assert simplify([_c(">", 1), _c(">=", 1)]) == (_c(">", 1),)
    assert simplify([_c("<=", 3), _c("<", 3)]) == (_c("<", 3),)
    both = simplify([_c(">", 1), _c("<=", 4), _c(">", 2), _c("<=", 9)])
    assert both == (_c(">", 2), _c("<=", 4))
    other = simplify([_c("<", 5), _c("<", 3, col=1, name="b")])
    assert len(other) == 2


def test_simplify_preserves_rows_on_random_rules():
    rng = np.random.default_rng(0)
    Xe = rng.normal(size=(200, 2)).round(1)  # ties with the thresholds test < vs <=
    for _ in range(50):
        conds = [
            _c(
                str(rng.choice(["<", "<=", ">", ">="])),
                round(float(rng.normal()), 1),
                col=int(j),
                name=f"f{j}",
            )
            for j in rng.integers(0, 2, size=4)
        ]
        full = np.all([c.evaluate(Xe) for c in conds], axis=0)
        simple = simplify(conds)
        assert len(simple) <= len(conds)
        np.testing.assert_array_equal(np.all([c.evaluate(Xe) for c in simple], axis=0), full)


def test_merge_duplicates_sums_weights():
    a, b = (_c("<", 5),), (_c(">", 1),)
    rules, w = merge_duplicates([a, b, a], [1.0, 2.0, 0.5])
    assert rules == [a, b]
    np.testing.assert_allclose(w, [1.5, 2.0])


# --- rule lists --------------------------------------------------------------------


def test_greedy_list_matches_imodels_and_its_printout():
    from imodels import GreedyRuleListClassifier

    X, y = _binary()
    model = RuleListClassifier("greedy", max_depth=4).fit(X, y)
    text = str(model)
    assert "age" in text and "IF " in text and "ELSE " in text
    labels, proba = list_predict(text, model.classes_, X)
    np.testing.assert_array_equal(labels.astype(str), model.predict(X).astype(str))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-6, atol=1e-9)
    np.random.seed(0)  # the stumps' tie-breaking, seeded as RuleListClassifier seeds it
    ref = GreedyRuleListClassifier(max_depth=4).fit(X.to_numpy(), y)
    np.testing.assert_allclose(ref.predict_proba(X.to_numpy()), model.predict_proba(X), atol=1e-12)
    np.testing.assert_array_equal(ref.predict(X.to_numpy()), model.predict(X))
    assert model.complexity_ == n_printed_conditions(text)
    sup = [r[3] for r in parse_list(text, model.classes_)]
    assert sum(sup) == len(X)
    assert list(model.rules_["support"]) == sup


def test_bayesian_list_matches_imodels_on_its_items_and_printout():
    X, y = _binary(n=200)
    model = RuleListClassifier(
        "bayesian", n_bins=3, min_support=0.2, max_iter=300, n_chains=1, random_state=0
    ).fit(X, y)
    text = str(model)
    labels, proba = list_predict(text, model.classes_, X)
    np.testing.assert_array_equal(labels.astype(str), model.predict(X).astype(str))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-6, atol=1e-9)
    # the backend on the 0/1 item matrix the cut points define
    B = np.column_stack([c.evaluate(X.to_numpy(float)) for c in model.items_]).astype(float)
    np.testing.assert_allclose(
        model.estimator_.predict_proba(B), model.predict_proba(X), atol=1e-12
    )
    np.testing.assert_array_equal(model.classes_[model.estimator_.predict(B)], model.predict(X))
    assert model.complexity_ == n_printed_conditions(text)


# more than two classes: tests/glassbox/test_multiclass_rules.py (one-vs-rest)


# --- RIPPER --------------------------------------------------------------------------


def test_ripper_matches_wittgenstein_and_its_printout():
    X, y = _binary(n=200)
    model = RipperClassifier(n_bins=5, random_state=0).fit(X, y)
    text = str(model)
    labels, proba = list_predict(text, model.classes_, X, mean_of_firing=True)
    np.testing.assert_array_equal(labels.astype(str), model.predict(X).astype(str))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-6, atol=1e-9)
    frame = model._ripper_frame(X.to_numpy(float))
    pos = np.asarray(model.estimator_.predict(frame))
    np.testing.assert_array_equal(model.classes_[pos.astype(int)], model.predict(X))
    np.testing.assert_allclose(
        model.estimator_.predict_proba(frame), model.predict_proba(X), atol=1e-12
    )
    assert model.complexity_ == n_printed_conditions(text)
    assert not hasattr(model, "decision_function")


# --- RuleFit -------------------------------------------------------------------------


def _bound_shift(ref, model, Xa: np.ndarray) -> np.ndarray:
    """What the printed (rounded) clip bounds add to imodels' score: for every
    linear term, coef * (clip(x, our bounds) - clip(x, imodels' bounds)). The
    rounding moves a bound by at most 1e-6 of the column's range."""
    theirs = np.asarray(ref.winsorizer.winsor_lims, dtype=float)
    ours = model.linear_bounds_
    assert np.all(np.abs(ours - theirs) <= 1e-6 * np.ptp(Xa, axis=0) + 1e-300)
    diff = np.clip(Xa, ours[0], ours[1]) - np.clip(Xa, theirs[0], theirs[1])
    return diff @ model.linear_coef_


def test_rulefit_regressor_matches_imodels_and_its_printout():
    from imodels import RuleFitRegressor

    X, y = _regression()
    model = RuleSetRegressor(max_rules=10, n_estimators=15, cv=False, random_state=3).fit(X, y)
    text = str(model)
    np.testing.assert_allclose(rulefit_score(text, X), model.predict(X), rtol=1e-6, atol=1e-6)
    seed = int(np.random.RandomState(3).randint(2**31 - 1))
    ref = RuleFitRegressor(max_rules=10, n_estimators=15, cv=False, random_state=seed).fit(
        X.to_numpy(), y
    )
    shift = _bound_shift(ref, model, X.to_numpy(float))
    np.testing.assert_allclose(
        ref.predict(X.to_numpy()) + shift, model.predict(X), rtol=1e-10, atol=1e-10
    )
    n_lin = int(np.count_nonzero(model.linear_coef_))
    assert model.complexity_ == n_printed_conditions(text) + n_lin
    table = model.rules_
    assert set(table["type"]) <= {"rule", "linear"}
    assert (table.loc[table.type == "rule", "support"] > 0).all()
    loc = model.explain_local(X.iloc[:20])
    np.testing.assert_allclose(loc.output(), model.predict(X.iloc[:20]), rtol=1e-9, atol=1e-9)


def test_rulefit_classifier_matches_imodels_and_its_printout():
    from imodels import RuleFitClassifier

    X, y = _binary()
    model = RuleSetClassifier(max_rules=10, n_estimators=15, cv=False, random_state=1).fit(X, y)
    text = str(model)
    score = rulefit_score(text, X)
    np.testing.assert_allclose(2 * score - 1, model.decision_function(X), rtol=1e-6, atol=1e-6)
    pred = np.where(score > 0.5, model.classes_[1], model.classes_[0])
    np.testing.assert_array_equal(pred, model.predict(X))
    seed = int(np.random.RandomState(1).randint(2**31 - 1))
    ref = RuleFitClassifier(max_rules=10, n_estimators=15, cv=False, random_state=seed).fit(
        X.to_numpy(), y
    )
    # imodels' log-odds (2*score - 1), moved by the printed bounds' rounding
    p1 = ref.predict_proba(X.to_numpy())[:, 1]
    logit = np.log(p1 / (1 - p1)) + 2 * _bound_shift(ref, model, X.to_numpy(float))
    np.testing.assert_allclose(model.decision_function(X), logit, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(ref.predict(X.to_numpy()), model.predict(X))
    # explanations add up on that log-odds scale
    loc = model.explain_local(X)
    assert loc.link == "logit"
    np.testing.assert_allclose(loc.output(), logit, rtol=1e-8, atol=1e-8)


# --- OneR ----------------------------------------------------------------------------


def _numpy_one_r_accuracy(codes, y):
    """Reference: majority class per code, accuracy of the best single feature."""
    accs = []
    for f in range(codes.shape[1]):
        correct = 0
        for v in np.unique(codes[:, f]):
            correct += np.bincount(y[codes[:, f] == v]).max()
        accs.append(correct / len(y))
    return np.array(accs)


@pytest.mark.parametrize("data", [_binary, _multiclass])
def test_one_r_table_reproduces_predict_and_matches_mlxtend(data):
    from mlxtend.classifier import OneRClassifier as MlxOneR

    X, y = data()
    model = OneRClassifier(n_bins=4).fit(X, y)
    text = str(model)
    labels, proba = list_predict(text, model.classes_, X)
    np.testing.assert_array_equal(labels.astype(str), model.predict(X).astype(str))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-6, atol=1e-9)
    codes = model._codes(X.to_numpy(float))
    yc = np.unique(y, return_inverse=True)[1]
    ref = MlxOneR().fit(codes, yc)
    np.testing.assert_array_equal(model.classes_[ref.predict(codes)], model.predict(X))
    accs = _numpy_one_r_accuracy(codes, yc)
    assert model.train_accuracy_ == pytest.approx(accs.max())
    assert f"training accuracy {model.train_accuracy_:.4g}" in text
    assert model.feature_ == list(X.columns)[int(np.argmax(accs))]
    assert model.complexity_ == n_printed_conditions(text)


# --- categorical columns, weights, explanations ---------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: RuleListClassifier("greedy"),
        # a weak penalty keeps the linear terms of the colour dummies
        lambda: RuleSetClassifier(n_estimators=15, alpha=0.05, random_state=0),
        lambda: RipperClassifier(n_bins=5, random_state=0),
        lambda: OneRClassifier(),
    ],
)
def test_categorical_columns_print_as_levels(make):
    X, y = _binary(categorical=True)
    model = make().fit(X, y)
    text = str(model)
    assert re.search(r"colour (=|!=|in|not in) \{?(red|green|blue)", text), text
    assert "colour == red" not in text and "colour=red" not in text
    if hasattr(model, "rule_conditions_"):
        # reference coding: one level is the baseline, never two mirrored terms
        dummies = re.findall(r"\*\[colour = (red|green|blue)\]", text)
        assert dummies and len(dummies) <= 2, text
        np.testing.assert_allclose(
            2 * rulefit_score(text, X) - 1, model.decision_function(X), rtol=1e-6, atol=1e-6
        )
    else:
        labels, _ = list_predict(text, model.classes_, X, mean_of_firing=True)
        np.testing.assert_array_equal(labels.astype(str), model.predict(X).astype(str))
    # an unseen level is refused, naming column, value and row
    X2 = X.iloc[:5].copy()
    X2.loc[X2.index[3], "colour"] = "purple"
    with pytest.raises(ValueError, match=r"'colour'.*'purple'.*row 3"):
        model.predict(X2)


def test_integer_weights_equal_repeated_rows_fractional_refused():
    X, y = _regression(n=120)
    w = np.random.default_rng(0).integers(0, 3, len(X))
    rows = np.repeat(np.arange(len(X)), w)
    a = RuleSetRegressor(max_rules=8, n_estimators=10, cv=False, random_state=0).fit(
        X, y, sample_weight=w
    )
    b = RuleSetRegressor(max_rules=8, n_estimators=10, cv=False, random_state=0).fit(
        X.iloc[rows], y[rows]
    )
    np.testing.assert_allclose(a.predict(X), b.predict(X))
    with pytest.raises(ValueError, match="integer"):
        OneRClassifier().fit(*_binary(), sample_weight=np.full(300, 0.5))


@pytest.mark.parametrize(
    "make",
    [
        lambda: RuleListClassifier("greedy"),
        lambda: RipperClassifier(random_state=0),
        lambda: OneRClassifier(),
    ],
)
def test_list_explanations_add_up_to_probability(make):
    X, y = _binary()
    model = make().fit(X, y)
    loc = model.explain_local(X.iloc[:40])
    np.testing.assert_allclose(loc.output(), model.predict_proba(X.iloc[:40])[:, 1], atol=1e-12)
    assert model.explain_global().importances.shape == (3,)


# --- apply: which rule decides each row ------------------------------------------------


def _first_printed_rule(text: str, classes, X: pd.DataFrame) -> np.ndarray:
    """Position in the printout of the first rule whose printed conditions hold (ELSE last)."""
    rules = parse_list(text, classes)
    idx = np.full(len(X), len(rules) - 1)
    open_ = np.ones(len(X), dtype=bool)
    for k, (conds, *_rest) in enumerate(rules[:-1]):
        hit = open_ & _eval_rule(conds, X)
        idx[hit] = k
        open_ &= ~hit
    return idx


@pytest.mark.parametrize(
    "make, data",
    [
        (lambda: RuleListClassifier("greedy", max_depth=4), lambda: _binary(categorical=True)),
        (lambda: RipperClassifier(n_bins=5, random_state=0), lambda: _binary(categorical=True)),
        (lambda: OneRClassifier(n_bins=4), _multiclass),
    ],
)
def test_apply_names_the_printed_rule_that_decides(make, data):
    X, y = data()
    model = make().fit(X, y)
    text = str(model)
    ids = model.apply(X)
    assert ids.dtype.kind == "i" and ids.shape == (len(X),)
    np.testing.assert_array_equal(ids, _first_printed_rule(text, model.classes_, X))
    assert len(set(ids)) > 1
    # the class printed after the deciding rule's THEN is the prediction
    labels = np.array([r[1] for r in parse_list(text, model.classes_)], dtype=object)
    np.testing.assert_array_equal(labels[ids].astype(str), model.predict(X).astype(str))
    with pytest.raises(NotFittedError):
        make().apply(X)


def test_simplify_meets_level_sets_on_one_column():
    from glassbox._validation import ColumnSpec, InputSchema
    from glassbox.models._rules import level_condition

    spec = ColumnSpec("Home", "categorical", ("owner", "rent", "parents", "priv"))
    schema = InputSchema((ColumnSpec("age"), spec))
    a = level_condition(spec, 1, "!=", 0)  # Home != owner
    b = level_condition(spec, 1, "!=", 1)  # Home != rent
    (merged,) = simplify([a, b], schema)
    assert merged.text() == "Home in {parents, priv}"
    codes = np.array([[30, 0], [40, 1], [50, 2], [60, 3], [70, np.nan]], dtype=float)
    np.testing.assert_array_equal(merged.evaluate(codes), a.evaluate(codes) & b.evaluate(codes))
    assert not merged.evaluate(codes)[4]  # false on a missing value
    three = simplify([a, b, level_condition(spec, 1, "!=", 2)], schema)
    assert [c.text() for c in three] == ["Home = priv"]
