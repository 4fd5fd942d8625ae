"""Tree family against scikit-learn fitted directly, a walk of the printed
tree (its conditions evaluated on the user's frame), a brute-force check that
every printed threshold is the shortest number keeping the training rows, and
a slow per-row path reference for the contributions."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Context, Decimal

import numpy as np
import pandas as pd
import pytest
from _printed_rules import parse_tree, tree_leaves
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassbox import TreeClassifier, TreeRegressor
from glassbox.datasets import breast_cancer, diabetes, wine


def _printed_predict(model, X):
    leaves = tree_leaves(parse_tree(str(model)), X)
    if hasattr(model, "classes_"):
        labels = np.array([re.match(r"class: (\S+)", leaf).group(1) for leaf in leaves])
        probs = np.array(
            [[float(p) for p in re.findall(r" ([0-9.e-]+)(?:,|\])", leaf)] for leaf in leaves]
        )
        return labels, probs
    return np.array([float(leaf.split()[1]) for leaf in leaves]), None


def test_same_predictions_as_sklearn_directly():
    X, y = breast_cancer()
    ours = TreeClassifier(max_depth=3, random_state=0).fit(X, y)
    ref = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X))
    # the same leaf for every training row (node ids are scikit-learn's)
    np.testing.assert_array_equal(ours.apply(X), ref.apply(X))
    Xr, yr = diabetes()
    ours_r = TreeRegressor(max_depth=3, random_state=0).fit(Xr, yr)
    ref_r = DecisionTreeRegressor(max_depth=3, random_state=0).fit(Xr, yr)
    np.testing.assert_allclose(ours_r.predict(Xr), ref_r.predict(Xr))
    assert ours_r.complexity_ == ref_r.get_n_leaves()


def test_printed_regression_tree_reproduces_predict():
    X, y = diabetes()
    model = TreeRegressor(max_depth=4, random_state=0).fit(X, y)
    printed, _ = _printed_predict(model, X)
    np.testing.assert_allclose(printed, model.predict(X), rtol=1e-6)


@pytest.mark.parametrize("loader", [breast_cancer, wine])
def test_printed_classification_tree_reproduces_predict_and_proba(loader):
    X, y = loader()
    model = TreeClassifier(max_depth=4, random_state=0).fit(X, y)
    labels, probs = _printed_predict(model, X)
    np.testing.assert_array_equal(labels, model.predict(X).astype(str))
    np.testing.assert_allclose(probs, model.predict_proba(X), atol=1e-6)


def _digits(x: float) -> int:
    return 1 if x == 0 else len(Decimal(repr(float(x))).normalize().as_tuple().digits)


def _fewer_digits_fit(lo: float, hi: float, d: int) -> bool:
    """Whether some decimal of fewer than ``d`` digits c has lo <= c < hi (by
    decimal rounding toward +inf from just below lo)."""
    if lo <= 0 < hi and d > 1:
        return True
    for k in range(1, d):
        ctx = Context(prec=k, rounding=ROUND_CEILING)
        c = ctx.next_minus(ctx.plus(Decimal(lo)))
        while float(c) < lo:
            c = ctx.next_plus(c)
        if float(c) < hi:
            return True
    return False


@pytest.mark.parametrize("loader", [breast_cancer, diabetes])
def test_thresholds_are_the_shortest_numbers_keeping_the_training_rows(loader):
    X, y = loader()
    cls = TreeClassifier if loader is breast_cancer else TreeRegressor
    ref_cls = DecisionTreeClassifier if loader is breast_cancer else DecisionTreeRegressor
    model = cls(max_depth=4, random_state=0).fit(X, y)
    ref = ref_cls(max_depth=4, random_state=0).fit(X, y)
    path = ref.decision_path(X.astype(np.float32)).toarray().astype(bool)
    tree, Xa = ref.tree_, X.to_numpy(float)
    thr = model.nodes().threshold
    for node in np.flatnonzero(tree.children_left >= 0):
        x = Xa[path[:, node], tree.feature[node]]
        left = path[path[:, node], tree.children_left[node]]
        lo, hi = x[left].max(), x[~left].min()
        t = thr[node]
        assert lo <= t < hi, (node, lo, t, hi)  # the same rows each side
        assert not _fewer_digits_fit(lo, hi, _digits(t)), (lo, t, hi)
    text = str(model)
    assert not re.search(r"\d\.\d{7,}", text.split("\n", 2)[2].split("class:")[0])


# --- a credit-like table: text, an ordered category, missing values -----------------


def _credit(credit_table, n=400):
    df = credit_table(n)
    return df.drop(columns=["Status", "Visits", "rownames"]), df["Status"].to_numpy(), df


def test_credit_table_printed_tree_is_the_model(credit_table):
    X, y, df = _credit(credit_table)
    model = TreeClassifier(max_depth=4, random_state=0).fit(X, y)
    text = str(model)
    labels, probs = _printed_predict(model, X)
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(probs, model.predict_proba(X), atol=1e-6)
    assert "or missing" in text and "Home=" not in text and "Records=yes" not in text
    # integer columns get integer cut points
    for name in ("Seniority", "Amount"):
        for t in re.findall(rf"{name} (?:<=|>) (\S+)", text):
            assert float(t) == int(float(t)), t
    reg = TreeRegressor(max_depth=4, random_state=0).fit(X, df["Visits"].to_numpy(float))
    printed, _ = _printed_predict(reg, X)
    np.testing.assert_allclose(printed, reg.predict(X), rtol=1e-6)


def test_categories_follow_breiman_order_as_sklearn_on_codes(credit_table):
    """Oracle: scikit-learn on level codes ordered by P(good) per level (pandas
    groupby here), ordered categories by their own order, missing as NaN."""
    X, y, _ = _credit(credit_table)
    model = TreeClassifier(max_depth=4, random_state=0).fit(X, y)
    good = pd.Series(y == "good", index=X.index)
    coded = pd.DataFrame(index=X.index)
    for c in X.columns:
        col = X[c]
        if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.ordered:
            coded[c] = col.cat.codes.where(col.notna()).astype(float)
        elif pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
            coded[c] = col.astype(float)
        else:
            text = col.astype(object).where(col.notna())
            mean = good.groupby(text).mean()
            levels = sorted(mean.index, key=lambda v: (mean[v], str(v)))
            coded[c] = text.map({v: k for k, v in enumerate(levels)}).astype(float)
    ref = DecisionTreeClassifier(max_depth=4, random_state=0).fit(coded.to_numpy(), y)
    np.testing.assert_allclose(model.predict_proba(X), ref.predict_proba(coded.to_numpy()))


def test_ordered_category_prints_as_a_level_and_sets_for_nominal():
    rng = np.random.default_rng(0)
    n = 300
    grade = rng.choice(["low", "mid", "high"], n)
    home = rng.choice(["owner", "rent", "parents", "priv"], n)
    y = np.where(
        (grade == "high") | ((grade == "mid") & np.isin(home, ["owner", "priv"])), "good", "bad"
    )
    X = pd.DataFrame(
        {
            "Grade": pd.Categorical(grade, categories=["low", "mid", "high"], ordered=True),
            "Home": home,
            "Flag": rng.random(n) > 0.5,
        }
    )
    model = TreeClassifier(max_depth=3, random_state=0).fit(X, y)
    text = str(model)
    assert re.search(r"Grade (<=|>=|=) (low|mid|high)", text), text
    assert re.search(r"Home (in|not in) \{(owner, priv|priv, owner)\}", text), text
    labels, _ = _printed_predict(model, X)
    np.testing.assert_array_equal(labels, model.predict(X))
    assert model.score(X, y) == 1.0


def test_a_split_on_missing_alone_prints_is_missing():
    x = np.r_[np.ones(50), np.full(50, np.nan)]
    X = pd.DataFrame({"Income": x, "z": np.arange(100.0) % 7})
    y = np.r_[np.zeros(50), np.ones(50)]
    model = TreeClassifier(max_depth=2).fit(X, y)
    text = str(model)
    assert "Income is not missing" in text and "Income is missing" in text, text
    labels, _ = _printed_predict(model, X)
    np.testing.assert_array_equal(labels.astype(float), y)


def test_bad_input_at_predict_names_column_value_and_row(credit_table):
    X, y, _ = _credit(credit_table)
    model = TreeClassifier(max_depth=3, random_state=0).fit(X, y)
    X2 = X.iloc[:5].copy()
    X2.loc[X2.index[2], "Marital"] = "divorced"
    with pytest.raises(ValueError, match=r"'Marital'.*'divorced'.*row 2"):
        model.predict(X2)
    X3 = X.iloc[:5].copy()
    X3.loc[X3.index[1], "Seniority"] = np.nan  # no missing Seniority in fit: refused
    with pytest.raises(ValueError, match=r"'Seniority'.*row 1"):
        model.predict(X3)
    # columns are matched by name: reordered or missing ones are refused, naming them
    with pytest.raises(ValueError, match="order"):
        model.predict(X[list(reversed(X.columns))])
    with pytest.raises(ValueError, match="Amount"):
        model.predict(X.drop(columns=["Amount"]))


def test_integer_column_labels_are_names():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=[0, 1, 2])
    y = (X[1] > 0.3).to_numpy().astype(int)
    model = TreeClassifier(max_depth=2, random_state=0).fit(X, y)
    assert "1 <= " in str(model)
    np.testing.assert_array_equal(model.predict(X), y)
    with pytest.raises(ValueError):
        model.predict(X[[2, 0, 1]])


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_extreme_scales_give_the_unscaled_tree(scale):
    X, y = diabetes()
    base = TreeRegressor(max_depth=3, random_state=0).fit(X, y)
    big_x = TreeRegressor(max_depth=3, random_state=0).fit(X * scale, y)
    np.testing.assert_allclose(big_x.predict(X * scale), base.predict(X), rtol=1e-12)
    assert big_x.complexity_ == base.complexity_
    printed, _ = _printed_predict(big_x, X * scale)
    np.testing.assert_allclose(printed, big_x.predict(X * scale), rtol=1e-6)
    big_y = TreeRegressor(max_depth=3, random_state=0).fit(X, y * scale)
    np.testing.assert_allclose(big_y.predict(X), base.predict(X) * scale, rtol=1e-12)
    assert big_y.complexity_ == base.complexity_
    Xc, yc = breast_cancer()
    cbase = TreeClassifier(max_depth=3, random_state=0).fit(Xc, yc)
    cbig = TreeClassifier(max_depth=3, random_state=0).fit(Xc * scale, yc)
    np.testing.assert_allclose(cbig.predict_proba(Xc * scale), cbase.predict_proba(Xc))


def _slow_path_contributions(model, x):
    """One row, node by node, with the printed thresholds and NaN directions."""
    tree = model.estimator_.tree_
    values = model._node_values()
    contrib = np.zeros((len(x), values.shape[1]))
    node = 0
    while tree.children_left[node] >= 0:
        f = tree.feature[node]
        left = tree.missing_go_to_left[node] if np.isnan(x[f]) else x[f] <= tree.threshold[node]
        child = tree.children_left[node] if left else tree.children_right[node]
        contrib[f] += values[child] - values[node]
        node = child
    return values[0], contrib


def test_path_contributions_match_slow_reference_and_add_up(credit_table):
    X, y = wine()
    model = TreeClassifier(max_depth=4, random_state=0).fit(X, y)
    loc = model.explain_local(X)
    for i in range(0, len(X), 7):
        base, contrib = _slow_path_contributions(model, X.to_numpy()[i])
        np.testing.assert_allclose(loc.values[i], contrib, atol=1e-12)
        np.testing.assert_allclose(loc.base_values[i], base, atol=1e-12)
    np.testing.assert_allclose(loc.output(), model.predict_proba(X), atol=1e-12)
    Xr, yr = diabetes()
    reg = TreeRegressor(max_depth=5, random_state=0).fit(Xr, yr)
    np.testing.assert_allclose(reg.explain_local(Xr).output(), reg.predict(Xr), rtol=1e-12)
    Xc, yc, _ = _credit(credit_table)
    cm = TreeClassifier(max_depth=4, random_state=0).fit(Xc, yc)
    loc = cm.explain_local(Xc)
    np.testing.assert_allclose(loc.output(), cm.predict_proba(Xc), atol=1e-12)
    codes = cm._encoded(Xc)
    for i in range(0, len(Xc), 37):
        _, contrib = _slow_path_contributions(cm, codes[i])
        np.testing.assert_allclose(loc.values[i], contrib, atol=1e-12)


def test_single_leaf_tree_prints():
    X, _ = diabetes()
    model = TreeRegressor(max_depth=3).fit(X, np.full(len(X), 7.0))
    text = str(model)
    assert "value: 7" in text and model.complexity_ == 1


def test_multiclass_nominal_levels_printed_as_sets(credit_table):
    X, _, df = _credit(credit_table)
    y = np.where(df["Visits"] <= 1, "few", np.where(df["Visits"] <= 3, "some", "many"))
    model = TreeClassifier(max_depth=4, random_state=0).fit(X, y)
    labels, probs = _printed_predict(model, X)
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(probs, model.predict_proba(X), atol=1e-6)
    # the printed levels of a nominal split name only levels of that column
    for levels in re.findall(r"Home (?:in|not in) \{([^}]*)\}", str(model)):
        assert set(levels.split(", ")) <= {"owner", "rent", "parents", "priv", "other"}
