"""The text renderer's dispatch: renderers are registered by class, and
``str(model)`` reaches them through ``glassbox.base`` without importing the renderer
(tests/test_import_graph.py checks that no model or base imports it)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from glassbox import GLMClassifier, GLMRegressor, export_text
from glassbox.base import GlassboxMixin, Traits
from glassbox.datasets import diabetes
from glassbox.render.text import render, renders


def _data():
    X, y = diabetes()
    return X.iloc[:80, :3], y.iloc[:80]


def test_a_subclass_prints_with_its_parents_renderer():
    class AuditedGLM(GLMRegressor):
        pass

    X, y = _data()
    parent, child = GLMRegressor().fit(X, y), AuditedGLM().fit(X, y)
    np.testing.assert_array_equal(child.predict(X), parent.predict(X))  # same model
    assert str(child) == str(parent) == render(parent) == export_text(parent)


def test_a_class_registers_its_own_renderer_and_names_are_refused():
    class Constant(GlassboxMixin, RegressorMixin, BaseEstimator):
        traits = Traits(family="constant")

        def fit(self, X, y):
            self.value_ = float(np.mean(y))
            return self

    X, y = _data()
    model = Constant().fit(X, y)
    with pytest.raises(TypeError, match="no text renderer for Constant"):
        str(model)

    @renders(Constant)
    def _text(m, **_):
        return f"y = {m.value_}"

    assert str(model) == f"y = {float(np.mean(y))}"
    with pytest.raises(TypeError, match="model classes"):
        renders("GLMRegressor")


# --- whole printouts of small models whose fit is known in closed form --------------
# (as scikit-learn's export_text tests do: the expected text is written from the
# closed-form fit, and the closed form itself is checked against scipy below)


def _ols_tiny():
    """x = -1,-1,0,0,1,1 and y = 0..5: OLS slope 8/4 = 2, intercept mean(y) = 2.5,
    residuals all +-0.5, so sigma^2 = 1.5/4 = 0.375 on 4 degrees of freedom."""
    X = pd.DataFrame({"x": [-1.0, -1, 0, 0, 1, 1]})
    return X, np.arange(6.0)


def test_glm_regressor_whole_printout():
    from scipy import stats

    X, y = _ols_tiny()
    # the closed form behind the literals below
    se_b0, se_b1 = np.sqrt(0.375 / 6), np.sqrt(0.375 / 4)
    t = stats.t.ppf(0.975, 4)
    np.testing.assert_allclose([se_b0, se_b1], [0.25, 0.30619], atol=5e-6)
    np.testing.assert_allclose([2.5 - t * se_b0, 2.5 + t * se_b0], [1.806, 3.194], atol=5e-4)
    np.testing.assert_allclose([2 - t * se_b1, 2 + t * se_b1], [1.15, 2.85], atol=5e-3)
    p0, p1 = 2 * stats.t.sf(2.5 / se_b0, 4), 2 * stats.t.sf(2 / se_b1, 4)
    np.testing.assert_allclose([p0, p1], [0.00056, 0.0028], rtol=0.05)
    assert 2 * np.sqrt(4 / 6) == pytest.approx(1.633, abs=5e-4)  # effect per SD (ddof 0)
    expected = """\
GLMRegressor: normal family, identity link, 1 non-zero coefficient, fitted on 6 rows
penalty: none (maximum likelihood)

E[y] = 2.5 + 2*x

term         coefficient  std.err          95% CI  Pr(>|t|)  effect of +1  per +1 SD
-----------  -----------  -------  --------------  --------  ------------  ---------
(intercept)          2.5     0.25  1.806 .. 3.194   0.00056
x                      2   0.3062    1.15 .. 2.85    0.0028            +2     +1.633"""
    assert str(GLMRegressor().fit(X, y)) == expected


def _logit_tiny():
    """A saturated logistic model: P(yes) = 1/4 at x = 0 and 3/4 at x = 1, so the
    intercept is log(1/3), the coefficient log(9) (odds ratio 9), and the standard
    errors sqrt(1/(n p (1-p))) per group."""
    X = pd.DataFrame({"x": [0.0, 0, 0, 0, 1, 1, 1, 1]})
    y = np.array(["no", "yes", "no", "no", "yes", "yes", "no", "yes"])
    return X, y


def test_glm_classifier_whole_printout():
    from scipy import stats

    X, y = _logit_tiny()
    se0 = np.sqrt(1 / (4 * 0.25 * 0.75))
    se1 = np.sqrt(2) * se0
    z = stats.norm.ppf(0.975)
    b0, b1 = np.log(1 / 3), np.log(9)
    np.testing.assert_allclose([b0, b1], [-1.0986123, 2.1972246], atol=5e-8)
    np.testing.assert_allclose([se0, se1], [1.155, 1.633], atol=5e-4)
    np.testing.assert_allclose([b0 - z * se0, b0 + z * se0], [-3.362, 1.165], atol=5e-4)
    np.testing.assert_allclose([b1 - z * se1, b1 + z * se1], [-1.003, 5.398], atol=5e-4)
    p = 2 * stats.norm.sf(np.abs([b0 / se0, b1 / se1]))
    np.testing.assert_allclose(p, [0.34, 0.18], atol=5e-3)
    expected = """\
GLMClassifier: logistic, 2 classes, 1 term with non-zero coefficients, fitted on 8 rows
penalty: none (maximum likelihood)

log-odds(y = yes) = -1.0986123 + 2.1972246*x
P(y = yes) = 1 / (1 + exp(-log-odds))

term         coefficient  std.err           95% CI  Pr(>|z|)  odds ratio  per +1 SD
-----------  -----------  -------  ---------------  --------  ----------  ---------
(intercept)       -1.099    1.155  -3.362 .. 1.165      0.34
x                  2.197    1.633  -1.003 .. 5.398      0.18          ×9         ×3"""
    assert str(GLMClassifier().fit(X, y)) == expected


#: boosting run to convergence on a tiny table: interpret's scores reach the
#: closed-form group means (to ~1e-15) and the printout rounds to 4 digits
TINY_EBM = dict(
    outer_bags=1,
    interactions=0,
    validation_size=0,
    early_stopping_rounds=0,
    max_rounds=2000,
    smoothing_rounds=0,
    min_samples_leaf=1,
    min_hessian=0,
    learning_rate=0.5,
    n_jobs=1,
    random_state=0,
)


def _ebm_tiny():
    """y = 1 + 2x where x is 0 or 1, y = 4 where x is missing; z carries nothing.
    The intercept is mean(y) = 2.4; the x scores are the group means minus it,
    -1.4 (x = 0), +0.6 (x = 1) and +1.6 (missing); mean |score| = 11.2/10 = 1.12."""
    X = pd.DataFrame(
        {"x": [0.0, 0, 0, 0, 1, 1, 1, 1, np.nan, np.nan], "z": [0.0, 1, 2, 3, 0, 1, 2, 3, 0, 1]}
    )
    y = np.array([1.0, 1, 1, 1, 3, 3, 3, 3, 4, 4])
    return X, y


def test_ebm_whole_printout_with_missing_bin_and_max_terms():
    from glassbox import EBMRegressor

    X, y = _ebm_tiny()
    model = EBMRegressor(**TINY_EBM).fit(X, y)
    head = """\
EBMRegressor: 2 terms (2 main), identity link, fitted on 10 rows

E[y] = 2.4 + sum of the term scores below

terms ranked by importance (mean |score| on the training data):
"""
    assert (
        str(model)
        == head
        + """
term  shape (low .. high x)  score range   importance  if missing
----  ---------------------  ------------  ----------  ----------
x     ▁█                     -1.4 .. +0.6        1.12        +1.6
z     ▄▄▄▄                   0 .. 0                 0"""
    )
    assert (
        export_text(model, max_terms=1)
        == head
        + """
term  shape (low .. high x)  score range   importance  if missing
----  ---------------------  ------------  ----------  ----------
x     ▁█                     -1.4 .. +0.6        1.12        +1.6
... and 1 more term not shown (importance 0, 0% of the total); \
export_text(model, max_terms=None) prints every term"""
    )


def test_ebm_categorical_missing_level_is_printed():
    from glassbox import EBMRegressor

    X = pd.DataFrame({"c": ["a", "a", "b", "b", None, None]}, dtype=object)
    y = np.array([0.0, 0, 2, 2, 4, 4])  # mean 2: scores a -2, b 0, missing +2
    # every level counts, however rare (interpret pools levels under 10 rows by default)
    model = EBMRegressor(**TINY_EBM, min_cat_samples=0, cat_smooth=0.0).fit(X, y)
    text = str(model)
    assert (
        text
        == """\
EBMRegressor: 1 term (1 main), identity link, fitted on 6 rows

E[y] = 2 + sum of the term scores below

terms ranked by importance (mean |score| on the training data):

term  shape (low .. high x)   score range  importance  if missing
----  ----------------------  -----------  ----------  ----------
c     2 levels (table below)  -2 .. 0           1.333          +2

c:
    level      score
    ---------  -----
    (missing)     +2
    a             -2
    b              0"""
    )


# --- multiplicative effects: never x1, never x2.8e35 ---------------------------------


@pytest.mark.parametrize(
    ("log_change", "text"),
    [
        (0.0, "×1"),
        (np.log(9), "×9"),
        (1e-5, "×1.00001"),  # not "×1": the deviation's first two digits are kept
        (-1e-5, "×0.99999"),
        (4.3e-4, "×1.00043"),
        (np.log(0.135), "×0.135"),
        (np.log(992), "×992"),
        (81.6, "×>1000 (log-odds +81.6)"),
        (-257.9, "×<1/1000 (log-odds -257.9)"),
    ],
)
def test_ratio_reads_sensibly(log_change, text):
    from glassbox.render.text import ratio

    assert ratio(log_change, "log-odds") == text


def test_extreme_odds_ratio_in_a_printout():
    """A coefficient of 80 per unit (odds ratio e^80 = 5.5e34) prints its log-odds."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"tiny": rng.normal(size=200) / 100})
    y = np.where(X["tiny"] * 100 + rng.logistic(size=200) > 0, "b", "a")
    model = GLMClassifier().fit(X, y)
    b = float(model.coef_[0, 0])
    assert b > np.log(1000)
    row = next(line for line in str(model).splitlines() if line.startswith("tiny "))
    assert "×>1000 (log-odds +" in row and "e+" not in row and "e3" not in row


# --- 3-way EBM terms: printed, and the full export evaluates to the model ------------


@pytest.fixture(scope="module")
def ebm3():
    from glassbox import EBMClassifier

    rng = np.random.default_rng(0)
    n = 120
    X = pd.DataFrame(
        {
            "a": rng.integers(0, 3, n).astype(float),
            "b": rng.normal(size=n),
            "c": rng.choice(["u", "v"], n).astype(object),
        }
    )
    X.loc[::7, "b"] = np.nan
    signal = X["a"] * (X["b"].fillna(0) > 0) * (X["c"] == "u")
    y = (signal + rng.normal(scale=0.1, size=n) > 0.5).astype(int)
    model = EBMClassifier(
        outer_bags=1,
        interactions=[(0, 1, 2)],
        max_rounds=100,
        max_interaction_bins=4,
        n_jobs=1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # interpret: 3-way terms are not graphed
        model.fit(X, y)
    return model, X


def test_three_way_term_prints_its_largest_cells(ebm3):
    model, _ = ebm3
    text = str(model)
    assert "(3 main, 1 3-way)" in text.splitlines()[0]
    g = model.explain_global()
    (t,) = [s for s in g.shapes if len(s.features) == 3]
    lookup = np.asarray(t.lookup)
    block = text[text.index("a & b & c:\n") :].splitlines()
    assert block[1].strip() == f"the 6 largest of {lookup.size} cells (|score|):"
    printed = [float(line.split()[-1]) for line in block[4:10]]
    top = lookup.ravel()[np.argsort(-np.abs(lookup.ravel()), kind="stable")[:6]]
    np.testing.assert_allclose(printed, top, atol=5e-4 * np.abs(top).max())
    # the 3-way term's missing-value cells (b missing) show in its 'if missing' column
    row = next(line for line in text.splitlines() if line.startswith("a & b & c "))
    missing = lookup[:, 0, :].ravel().tolist() + lookup[0].ravel().tolist()
    missing += lookup[:, :, 0].ravel().tolist()
    assert row.split()[-3:] == [_num4(min(missing)), "..", _num4(max(missing))]


def _num4(v: float) -> str:
    return "0" if v == 0 else f"{v:+.4g}"


def _parse_full(text: str):
    """Intercept and every term's lookup table from export_text(full=True), including
    3-way terms printed as one 2-D table per bin of their first feature."""
    body = text.split("=== full lookup tables ===", 1)[1]
    intercept = [float(v) for v in re.findall(r"^intercept\[[^\]]*\] = (\S+)$", body, re.M)]
    terms = []
    for block in re.split(r"\n\n(?=\[)", body)[1:]:
        lines = block.splitlines()
        feats, i = [], 1
        while lines[i].startswith(("cuts ", "levels ")):
            kind, rest = lines[i].split(" ", 1)
            name, spec = rest.split(": ", 1)
            if kind == "cuts":
                feats.append((name, "cuts", np.array([float(c) for c in spec.split()])))
            else:
                feats.append((name, "levels", spec.split(" | ")))
            i += 1
        sizes = [(len(s) + 1 if k == "cuts" else len(s)) + 2 for _, k, s in feats]
        rows = [
            ln
            for ln in lines[i:]
            if ln.strip() and not ln.startswith(("bin ", "---", "slice ", "score["))
        ]
        width = 1 if len(feats) == 1 else sizes[-1]
        cells = np.array([[float(v) for v in r.split()[-width:]] for r in rows])
        terms.append((feats, cells.reshape(sizes)))
    return float(intercept[0]), terms


def _bin(feat, column) -> np.ndarray:
    _, kind, spec = feat
    out = np.empty(len(column), dtype=int)
    for r, x in enumerate(column):
        if x is None or (isinstance(x, float) and np.isnan(x)):
            out[r] = 0
        elif kind == "cuts":
            out[r] = 1 + np.searchsorted(spec, float(x), side="right")
        else:
            out[r] = 1 + spec.index(x) if x in spec else len(spec) + 1
    return out


def test_three_way_full_export_reproduces_the_decision_function(ebm3):
    """The oracle: interpret's own decision_function on the same rows."""
    model, X = ebm3
    intercept, terms = _parse_full(export_text(model, full=True))
    assert sorted(len(f) for f, _ in terms) == [1, 1, 1, 3]
    out = np.full(len(X), intercept)
    for feats, table_ in terms:
        idx = tuple(_bin(f, X[f[0]].to_numpy(dtype=object)) for f in feats)
        out += table_[idx]
    np.testing.assert_allclose(out, model.estimator_.decision_function(X), atol=1e-12)


# --- GLM with levels: predict from the printed equation ------------------------------


def test_glm_equation_with_levels_reproduces_predict_proba():
    rng = np.random.default_rng(1)
    n = 200
    X = pd.DataFrame(
        {
            "Income": rng.gamma(4.0, 30.0, n),
            "Home": rng.choice(["owner", "rent", "other"], n).astype(object),
        }
    )
    logit = 0.01 * X["Income"] - 1 + (X["Home"] == "owner") * 1.0
    y = np.where(rng.uniform(size=n) < 1 / (1 + np.exp(-logit)), "good", "bad")
    model = GLMClassifier().fit(X, y)
    text = str(model)
    lhs = "log-odds(y = good) = "
    eq = text[text.index(lhs) + len(lhs) : text.index("P(y = good)")]
    eq = " ".join(eq.split())
    total = np.zeros(n)
    for piece in re.split(r" (?=[+-] )", eq):  # "b0", "+ c*x", "- c*[A: b vs c]"
        piece = piece.replace("+ ", "").replace("- ", "-")
        number, _, term = piece.partition("*")
        v = float(number)
        if not term:
            total += v
        elif term.startswith("["):
            col, rest = term[1:-1].split(": ")
            total += v * (X[col] == rest.split(" vs ")[0]).to_numpy()
        else:
            total += v * X[term].to_numpy()
    np.testing.assert_allclose(1 / (1 + np.exp(-total)), model.predict_proba(X)[:, 1], atol=1e-6)


# --- trees and rule lists: one split that separates the classes exactly ---------------


def _one_split():
    """age 20..70; y is 'no' up to 40 and 'yes' from 50 on: any cut in [40, 50) splits
    the six rows into two pure halves of three."""
    X = pd.DataFrame({"age": [20.0, 30, 40, 50, 60, 70]})
    return X, np.array(["no", "no", "no", "yes", "yes", "yes"])


def _cut(text: str, op: str) -> str:
    """The printed threshold (the tree family chooses the shortest cut that keeps the
    training rows); the rest of the printout is fixed by the data."""
    cut = re.search(rf"age {op} (\S+)", text).group(1)
    return cut


def test_tree_classifier_whole_printout():
    from glassbox import TreeClassifier

    X, y = _one_split()
    text = str(TreeClassifier(max_depth=1).fit(X, y))
    cut = _cut(text, "<=")
    assert 40 <= float(cut) < 50
    assert (
        text
        == f"""\
TreeClassifier: 2 leaves, depth 1, fitted on 6 rows (classes: no, yes)

|--- age <= {cut}  (samples=3)
|   |--- class: no  [p: no 1, yes 0]  samples=3
|--- age > {cut}  (samples=3)
|   |--- class: yes  [p: no 0, yes 1]  samples=3"""
    )


def test_tree_regressor_whole_printout():
    from glassbox import TreeRegressor

    X, _ = _one_split()
    text = str(TreeRegressor(max_depth=1).fit(X, np.array([1.0, 1, 1, 5, 5, 5])))
    cut = _cut(text, "<=")
    assert 40 <= float(cut) < 50
    assert (
        text
        == f"""\
TreeRegressor: 2 leaves, depth 1, fitted on 6 rows

|--- age <= {cut}  (samples=3)
|   |--- value: 1  samples=3
|--- age > {cut}  (samples=3)
|   |--- value: 5  samples=3"""
    )


def test_rule_list_whole_printout():
    from glassbox import RuleListClassifier

    X, y = _one_split()
    model = RuleListClassifier().fit(X, y)
    text = str(model)
    cut = _cut(text, ">=")
    assert 40 < float(cut) <= 50
    note = getattr(model, "missing_rule_", "")
    assert text == "\n".join(
        [
            "RuleListClassifier: greedy rule list (imodels GreedyRuleListClassifier), "
            "1 rule + ELSE, 1 condition, fitted on 6 rows (classes: no, yes)",
            "The first rule whose conditions all hold decides; support = training rows it decides.",
            *([note] if note else []),
            "",
            f"IF age >= {cut} THEN yes  [P(yes) = 1]  support=3",
            "ELSE no  [P(yes) = 0]  support=3",
        ]
    )


def test_gam_whole_printout_of_a_factor_term():
    """One categorical column, almost no penalty: the factor's scores are the group
    means (1 and 3) minus the intercept mean(y) = 2; y is exactly the group means, so
    the residual scale and with it the width of pygam's interval are 0."""
    from glassbox import GAMRegressor

    X = pd.DataFrame({"c": ["a"] * 4 + ["b"] * 4}, dtype=object)
    y = np.array([1.0, 1, 1, 1, 3, 3, 3, 3])
    assert (
        str(GAMRegressor(lam=1e-8).fit(X, y))
        == """\
GAMRegressor: normal distribution, identity link, 1 term, lam 1e-8 (fixed), fitted on 8 rows

E[y] = 2 + sum of the term scores below

terms ranked by importance (mean |score| on the training data):

term  shape (low .. high x)   score range  importance
----  ----------------------  -----------  ----------
c     2 levels (table below)  -1 .. +1              1

interval: pygam's 95% pointwise confidence interval of the score

c:
    level  score  interval
    -----  -----  --------
    a         -1  -1 .. -1
    b         +1  +1 .. +1"""
    )


def test_multiclass_glm_prints_a_table_per_class_and_the_sum_to_zero_note():
    """A saturated multinomial model: scores are the log class shares of each group,
    centred over the classes (sum to zero): intercepts (2/3, -1/3, -1/3)*log 2 and
    coefficients (-log 2, 0, +log 2) for shares (.5,.25,.25) at x=0, (.25,.25,.5) at x=1."""
    X = pd.DataFrame({"x": [0.0] * 4 + [1.0] * 4})
    y = np.array(["a", "a", "b", "c", "a", "b", "c", "c"])
    model = GLMClassifier().fit(X, y)
    text = str(model)
    log2 = np.log(2)
    expected = {"a": (2 / 3 * log2, -log2), "b": (-log2 / 3, 0.0), "c": (-log2 / 3, log2)}
    for cls, (b0, b1) in expected.items():
        line = re.search(rf"^score\({cls}\) = (\S+)(?: ([+-]) (\S+)\*x)?$", text, re.M)
        assert line is not None, cls
        assert float(line.group(1)) == pytest.approx(b0, abs=1e-6)
        slope = 0.0 if line.group(3) is None else float(line.group(2) + line.group(3))
        assert slope == pytest.approx(b1, abs=1e-6)
        assert f"\nscore({cls}):\nterm " in text  # its own inference table
    assert "Coefficients sum to zero over the classes" in text
    b_row = text.split("score(b):", 1)[1].splitlines()[4]
    assert b_row.split()[0] == "x" and float(b_row.split()[-1]) > 0.99  # p-value of a zero effect


def test_ebm_pair_grid_says_it_is_a_sample_of_the_bins():
    from glassbox import EBMRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 2)), columns=["dose", "age"])
    y = X["dose"] * X["age"] + 0.1 * rng.normal(size=400)
    model = EBMRegressor(outer_bags=1, interactions=[(0, 1)], max_rounds=200).fit(X, y)
    # interpret's own pair table: missing and unseen cells around the inner bins
    t = [tuple(f) for f in model.estimator_.term_features_].index((0, 1))
    n_rows, n_cols = (n - 2 for n in model.estimator_.term_scores_[t].shape)
    assert n_rows > 5 and n_cols > 5
    text = str(model)
    assert f"5 x 5 of the {n_rows} x {n_cols} bins, evenly spaced" in text
