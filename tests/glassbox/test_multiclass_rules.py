"""Rule lists and rule sets on more than two classes: one-vs-rest.

The oracle is the backend called directly on each class against the rest
(imodels' GreedyRuleListClassifier / RuleFitClassifier, wittgenstein's RIPPER on
the binned frame), normalized as scikit-learn's OneVsRestClassifier does; the
printout alone (parsed here, per class block) must give predict_proba back.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _printed_rules import eval_rule
from scipy.special import expit

from glassbox import RipperClassifier, RuleListClassifier, RuleSetClassifier
from glassbox.base import inverse_link


def _three(n=240, seed=1, categorical=False):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"length": rng.uniform(0, 10, n), "width": rng.uniform(0, 5, n)})
    score = X["length"] + 0.6 * X["width"] + rng.normal(0, 0.8, n)
    if categorical:
        X["colour"] = rng.choice(["red", "green", "blue"], n)
        score = score + 2.0 * (X["colour"] == "red")
    y = np.select([score < 4, score < 8], ["short", "mid"], "long")
    return X, y


def _normalized(p: np.ndarray) -> np.ndarray:
    s = p.sum(axis=1, keepdims=True)
    return np.where(s > 0, p / np.where(s > 0, s, 1), 1 / p.shape[1])


# --- a reader of the printed one-vs-rest blocks ------------------------------------

_BLOCK = re.compile(r"^Class (\S+) against the rest:$")
_LINE = re.compile(r"^  (IF|ELSE IF) (.*) THEN (\S+)  \[P\((\S+)\) = (\S+)\]  support=(\d+)$")
_ELSE = re.compile(r"^  ELSE (\S+)  \[P\((\S+)\) = (\S+)\]  support=(\d+)$")


def _printed_blocks(text: str) -> dict[str, list]:
    """class -> [(conditions or None for ELSE, P(class))] as printed."""
    blocks: dict[str, list] = {}
    cur = None
    for line in text.splitlines():
        if m := _BLOCK.match(line):
            cur = m.group(1)
            blocks[cur] = []
        elif m := _LINE.match(line):
            assert m.group(4) == cur, line  # each rule says which class its P is about
            assert m.group(3) in (cur, "rest"), line
            blocks[cur].append((m.group(2), float(m.group(5))))
        elif m := _ELSE.match(line):
            assert m.group(2) == cur, line
            blocks[cur].append((None, float(m.group(3))))
    return blocks


def _printed_scores(text: str, classes, X, first_decides: bool) -> np.ndarray:
    """(n, n_classes) P(class) of every class's printed list (or set: mean of the
    holding rules, else the ELSE line)."""
    blocks = _printed_blocks(text)
    assert list(blocks) == [str(c) for c in classes]
    out = np.zeros((len(X), len(classes)))
    for k, c in enumerate(classes):
        rules = blocks[str(c)]
        assert rules[-1][0] is None
        if first_decides:
            open_ = np.ones(len(X), dtype=bool)
            for conds, p in rules:
                hit = open_ & (eval_rule(conds, X) if conds else True)
                out[hit, k] = p
                open_ &= ~hit
        else:
            fired = np.column_stack([eval_rule(r, X) for r, _ in rules[:-1]]).astype(float)
            ps = np.array([p for _, p in rules[:-1]])
            n = fired.sum(axis=1)
            out[:, k] = np.where(n > 0, fired @ ps / np.maximum(n, 1), rules[-1][1])
    return out


def _check_contract(model, X):
    P = model.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1, atol=1e-12)
    np.testing.assert_array_equal(model.classes_[np.argmax(P, axis=1)], model.predict(X))
    loc = model.explain_local(X)
    assert loc.values.shape == (len(X), X.shape[1], len(model.classes_))
    np.testing.assert_allclose(
        inverse_link(loc.link, loc.values.sum(axis=1) + loc.base_values), P, atol=1e-10
    )
    g = model.explain_global()
    assert g.importances.shape == (X.shape[1], len(model.classes_))
    assert not g.to_frame().empty


# --- greedy rule list ---------------------------------------------------------------


def test_greedy_lists_one_vs_rest_match_imodels_and_the_printout():
    from imodels import GreedyRuleListClassifier

    X, y = _three()
    model = RuleListClassifier("greedy", max_depth=3).fit(X, y)
    assert list(model.classes_) == ["long", "mid", "short"]
    text = str(model)
    scores = _printed_scores(text, model.classes_, X, first_decides=True)
    np.testing.assert_allclose(_normalized(scores), model.predict_proba(X), atol=1e-7)
    ref = np.zeros_like(scores)
    for k, c in enumerate(model.classes_):
        np.random.seed(0)  # the stumps' tie-breaking, as RuleListClassifier seeds it
        est = GreedyRuleListClassifier(max_depth=3).fit(X.to_numpy(), (y == c).astype(int))
        ref[:, k] = est.predict_proba(X.to_numpy())[:, 1]
    np.testing.assert_allclose(_normalized(ref), model.predict_proba(X), atol=1e-12)
    assert (model.predict(X) == y).mean() > 0.8
    _check_contract(model, X)
    table = model.rules_
    assert set(table["class"]) == set(model.classes_)
    assert model.complexity_ == sum(s.complexity_ for s in model.estimators_)


def test_bayesian_lists_one_vs_rest():
    X, y = _three(n=150)
    model = RuleListClassifier(
        "bayesian", n_bins=3, min_support=0.2, max_iter=100, n_chains=1, random_state=0
    ).fit(X, y)
    text = str(model)
    scores = _printed_scores(text, model.classes_, X, first_decides=True)
    np.testing.assert_allclose(_normalized(scores), model.predict_proba(X), rtol=1e-6)
    for k, sub in enumerate(model.estimators_):  # each list: imodels on its own items
        B = np.column_stack([c.evaluate(X.to_numpy(float)) for c in sub.items_]).astype(float)
        np.testing.assert_allclose(
            sub.estimator_.predict_proba(B)[:, 1], model._ovr_scores(X)[:, k], atol=1e-12
        )
    _check_contract(model, X)


# --- RIPPER ---------------------------------------------------------------------------


def test_ripper_one_vs_rest_matches_wittgenstein_and_the_printout():
    X, y = _three(categorical=True)
    model = RipperClassifier(n_bins=5, random_state=0).fit(X, y)
    text = str(model)
    assert "colour = red" in text or "colour" not in text
    scores = _printed_scores(text, model.classes_, X, first_decides=False)
    np.testing.assert_allclose(_normalized(scores), model.predict_proba(X), rtol=1e-6)
    ref = np.zeros_like(scores)
    for k, sub in enumerate(model.estimators_):
        assert list(sub.classes_) == [0, 1]
        frame = sub._ripper_frame(sub._encoded(X))
        ref[:, k] = np.asarray(sub.estimator_.predict_proba(frame))[:, 1]
    np.testing.assert_allclose(_normalized(ref), model.predict_proba(X), atol=1e-12)
    _check_contract(model, X)


# --- RuleFit --------------------------------------------------------------------------


def test_rulefit_one_vs_rest_matches_imodels():
    from imodels import RuleFitClassifier

    X, y = _three()
    kw = dict(max_rules=8, n_estimators=10, cv=False)
    model = RuleSetClassifier(random_state=1, **kw).fit(X, y)
    seed = int(np.random.RandomState(1).randint(2**31 - 1))
    ref = np.zeros((len(X), 3))
    for k, c in enumerate(model.classes_):
        est = RuleFitClassifier(random_state=seed, **kw).fit(X.to_numpy(), (y == c).astype(int))
        ref[:, k] = est.predict_proba(X.to_numpy())[:, 1]
    # the printed clip bounds are the shortest numbers within 1e-6 of the column's range
    np.testing.assert_allclose(_normalized(ref), model.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(expit(model.decision_function(X)), model._ovr_scores(X), rtol=1e-12)
    text = str(model)
    for c in model.classes_:
        assert f"score[{c}] = " in text and f"Class {c} against the rest:" in text
    loc = model.explain_local(X)
    assert loc.link == "ovr_logit"
    np.testing.assert_allclose(
        loc.values.sum(axis=1) + loc.base_values, model.decision_function(X), atol=1e-9
    )
    _check_contract(model, X)


# --- model files, refits, weights, compare / distill -------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: RuleListClassifier("greedy", max_depth=3),
        lambda: RipperClassifier(n_bins=4, random_state=0),
        lambda: RuleSetClassifier(max_rules=6, n_estimators=8, cv=False, random_state=0),
    ],
)
def test_one_vs_rest_round_trips_and_refits_binary(make, tmp_path):
    from glassbox.io import load, save

    X, y = _three(n=150)
    model = make().fit(X, y)
    save(model, tmp_path / "m.gbx")
    back = load(tmp_path / "m.gbx")
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    assert str(back) == str(model)
    yb = np.where(y == "long", "long", "other")
    model.fit(X, yb)  # a binary refit keeps no one-vs-rest models
    assert getattr(model, "estimators_", None) is None and list(model.classes_) == ["long", "other"]


def test_one_vs_rest_weights_repeat_rows_and_refuse_an_empty_class():
    X, y = _three(n=150)
    w = np.where(np.arange(150) % 3 == 0, 2, 1)
    a = RuleListClassifier("greedy", max_depth=3).fit(X, y, sample_weight=w)
    rows = np.repeat(np.arange(150), w)
    b = RuleListClassifier("greedy", max_depth=3).fit(X.iloc[rows], y[rows])
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    with pytest.raises(ValueError, match="short.*sample_weight 0"):
        RuleListClassifier().fit(X, y, sample_weight=np.where(y == "short", 0, 1))


def test_one_vs_rest_in_compare_and_distill():
    from sklearn.ensemble import RandomForestClassifier

    from glassbox.compare import compare
    from surrogates import distill

    X, y = _three(n=200)
    table = compare(
        [RuleListClassifier(max_depth=3), RipperClassifier(n_bins=4, random_state=0)], X, y
    )
    assert table["score"].notna().all() and (table["score"] > 0.6).all()
    rf = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    sur = distill(rf.predict_proba, X, student="rules", n_queries=300, random_state=0)
    assert type(sur.student_) is RuleListClassifier and len(sur.student_.estimators_) == 3
    assert sur.fidelity(X).value > 0.6


def test_hostile_one_vs_rest_files_are_refused():
    import copy
    import json

    from glassbox import io
    from glassbox.io import _file

    def resign(doc):
        doc["sha256"] = _file.checksum(
            {k: v for k, v in doc.items() if k not in ("sha256", "hmac")}
        )
        return json.dumps(doc)

    X, y = _three(n=120)
    doc = json.loads(io.dumps(RuleListClassifier(max_depth=2).fit(X, y)))
    fitted = doc["model"]["fitted"]
    bad = copy.deepcopy(doc)
    bad["model"]["fitted"]["estimators_"] = fitted["estimators_"][:2]  # a class short
    with pytest.raises(ValueError, match="estimators_"):
        io.loads(resign(bad))
    bad = copy.deepcopy(doc)
    bad["model"]["fitted"]["estimators_"][1]["class"] = "RipperClassifier"
    with pytest.raises(ValueError, match=r"estimators_\[1\]"):
        io.loads(resign(bad))
    bad = copy.deepcopy(doc)  # a one-vs-rest fit that also claims a list of its own
    bad["model"]["fitted"]["rule_list_"] = fitted["estimators_"][0]["fitted"]["rule_list_"]
    with pytest.raises(ValueError, match="rule_list_"):
        io.loads(resign(bad))
    bad = copy.deepcopy(doc)  # a sub-model that is itself one-vs-rest
    bad["model"]["fitted"]["estimators_"][0] = copy.deepcopy(doc["model"])
    with pytest.raises(ValueError, match=r"estimators_\[0\]"):
        io.loads(resign(bad))
    assert io.loads(resign(copy.deepcopy(doc))).predict(X).shape == (120,)
