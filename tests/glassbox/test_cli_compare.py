"""compare / compare_families: a family that cannot fit is skipped with its reason
(multiclass included), the rest are still compared on the same held-out split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from glassbox.compare import compare, compare_families


@pytest.fixture(scope="module")
def three_classes():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"u": rng.uniform(0, 3, 240), "v": rng.normal(size=240)})
    y = np.array(["lo", "mid", "hi"])[np.floor(X.u).astype(int)]
    return X, y


def test_skips_a_family_that_cannot_fit(three_classes):
    X, y = three_classes
    # the greedy rule list refuses missing values (the tree and OneR take them)
    X = X.assign(v=X.v.mask(np.arange(len(X)) % 7 == 0))
    table = compare_families(X, y, classifier=True, families=["rulelist", "tree", "oner"])
    skipped = table.attrs["skipped"]
    assert list(skipped) == ["RuleListClassifier"] and skipped["RuleListClassifier"]
    fitted = table[table.note == ""]
    assert set(fitted.model) == {"TreeClassifier", "OneRClassifier"}
    assert table.model.iloc[-1] == "RuleListClassifier" and np.isnan(table.score.iloc[-1])
    assert table.note.iloc[-1].startswith("skipped: ")
    # oracle: scikit-learn's CART with the same settings on the same stratified split
    from glassbox import TreeClassifier

    params = {k: v for k, v in TreeClassifier().get_params().items() if k in
              DecisionTreeClassifier().get_params()}  # fmt: skip
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    ref = DecisionTreeClassifier(**params).fit(X_tr, y_tr)
    score = float(fitted.loc[fitted.model == "TreeClassifier", "score"].iloc[0])
    assert score == pytest.approx(accuracy_score(y_te, ref.predict(X_te)))


def test_errors_raise_and_all_skipped(three_classes):
    X, y = three_classes
    X = X.assign(v=X.v.mask(np.arange(len(X)) % 7 == 0))  # the rule list refuses NaN
    from glassbox import RuleListClassifier

    with pytest.raises(ValueError):
        compare([RuleListClassifier()], X, y, errors="raise")
    table = compare([RuleListClassifier()], X, y, errors="skip")
    assert list(table.model) == ["RuleListClassifier"] and np.isnan(table.score.iloc[0])
    with pytest.raises(ValueError, match="errors must be"):
        compare([RuleListClassifier()], X, y, errors="ignore")


def test_quick_and_defaults_and_params(three_classes):
    X, y = three_classes
    fitted: dict = {}
    compare_families(
        X, y, classifier=True, families=["tree"], quick=False,
        params={"tree": {"max_depth": 2}}, fitted=fitted,
    )  # fmt: skip
    assert fitted["TreeClassifier"].max_depth == 2
    assert fitted["TreeClassifier"].estimator_.get_depth() <= 2
