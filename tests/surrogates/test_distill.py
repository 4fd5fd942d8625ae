"""distill / Surrogate / pareto against the black box itself and closed forms."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import r2_score

from glassbox import GLMClassifier, TreeClassifier, TreeRegressor
from glassbox.registry import FAMILIES
from surrogates import Surrogate, distill, pareto
from surrogates._queries import QuerySynthesizer


@pytest.fixture(scope="module")
def forest():
    X, y = make_classification(n_samples=300, n_features=5, n_informative=3, random_state=0)
    names = ["age", "dose", "weight", "height", "score"]
    X = pd.DataFrame(X, columns=names)
    model = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0).fit(X, y)
    return model, X


def test_held_out_fidelity_equals_agreement_computed_by_hand(forest):
    model, X = forest
    sur = distill(model, X, student="tree", n_queries=2000, n_holdout=1500, random_state=0)
    assert isinstance(sur, Surrogate)
    H = pd.DataFrame(sur._queries.X_hold, columns=X.columns)
    k = int(np.sum(sur.student_.predict(H) == model.predict(H)))
    assert sur.n_holdout_ == 1500 and sur.n_queries_ == 2000 and sur.n_data_ == 300
    assert sur.fidelity_.value == k / 1500
    ci = binomtest(k, 1500).proportion_ci(confidence_level=0.95, method="exact")
    np.testing.assert_allclose([sur.fidelity_.lower, sur.fidelity_.upper], [ci.low, ci.high])
    # the held-out queries are (almost all) points the student was not fitted on
    train = {tuple(r) for r in sur._queries.X_train}
    assert np.mean([tuple(r) in train for r in sur._queries.X_hold]) < 0.01
    # fidelity on any data, by hand
    f = sur.fidelity(X)
    assert f.value == np.mean(sur.student_.predict(X) == model.predict(X))


def test_student_learns_the_black_box_labels_not_y(forest):
    model, X = forest
    sur = distill(
        model, X, student=TreeClassifier(max_depth=3, random_state=0), n_queries=500, random_state=0
    )
    ref = TreeClassifier(max_depth=3, random_state=0).fit(
        pd.DataFrame(sur._queries.X_train, columns=X.columns),
        model.predict(pd.DataFrame(sur._queries.X_train, columns=X.columns)),
    )
    np.testing.assert_array_equal(sur.predict(X), ref.predict(X))


def test_linear_black_box_into_glm_recovers_coefficients():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)) * [1, 3, 0.5, 2]
    w, b = np.array([2.0, -1.0, 0.5, 3.0]), 1.5
    sur = distill(lambda Z: Z @ w + b, X, student="glm", n_queries=500, random_state=0)
    np.testing.assert_allclose(sur.student_.coef_, w, rtol=1e-8)
    np.testing.assert_allclose(sur.student_.intercept_, b, rtol=1e-8)
    assert sur.fidelity_.metric == "r2"
    assert sur.fidelity_.value == pytest.approx(1.0, abs=1e-12)


def test_logistic_black_box_soft_labels_recover_coefficients():
    X, y = make_classification(
        n_samples=300, n_features=3, n_informative=3, n_redundant=0, random_state=1
    )
    bb = LogisticRegression(C=1.0).fit(X, y)
    # soft labels: minimizing cross-entropy against the black box's own probabilities is
    # solved exactly by the black box's coefficients (the gradient vanishes there)
    sur = distill(
        bb,
        X,
        student="glm",
        student_params={"C": 1e10},
        labels="soft",
        n_queries=1000,
        random_state=0,
    )
    np.testing.assert_allclose(sur.student_.coef_, bb.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sur.student_.intercept_, bb.intercept_, rtol=1e-4, atol=1e-5)
    assert sur.fidelity_.value > 0.99


def test_regression_fidelity_is_r2_with_bootstrap_interval():
    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, size=(200, 2))
    f = lambda Z: np.sin(Z[:, 0]) + Z[:, 1] ** 2  # noqa: E731
    sur = distill(f, X, student="tree", n_queries=1000, n_holdout=800, random_state=0)
    H = sur._queries.X_hold
    assert sur.fidelity_.value == pytest.approx(r2_score(f(H), sur.student_.predict(H)), rel=1e-12)
    assert sur.fidelity_.lower < sur.fidelity_.value < sur.fidelity_.upper
    assert isinstance(sur.student_, TreeRegressor)


def test_queries_go_beyond_training_rows_and_stay_on_the_data():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=300), rng.integers(0, 3, 300), rng.uniform(5, 6, 300)])
    mix = {"jitter": 0.4, "interpolate": 0.3, "marginal": 0.3}
    Q = QuerySynthesizer(X, mix=mix).sample(3000, np.random.default_rng(1))
    assert Q.shape == (3000, 3)
    assert np.all(Q >= X.min(axis=0)) and np.all(Q <= X.max(axis=0))
    assert set(np.unique(Q[:, 1])) <= {0.0, 1.0, 2.0}  # discrete column keeps its levels
    rows = {tuple(r) for r in X}
    new = np.mean([tuple(r) not in rows for r in Q])
    assert new > 0.9  # almost all queries are new points
    # marginals stay close to the data's
    assert abs(Q[:, 0].mean() - X[:, 0].mean()) < 0.15
    assert abs(Q[:, 0].std() - X[:, 0].std()) < 0.15
    with pytest.raises(ValueError, match="query mix"):
        QuerySynthesizer(X, mix={"smote": 1.0})


def test_adaptive_queries_until_interval_is_narrow(forest):
    model, X = forest
    sur = distill(
        model, X, student="tree", n_queries=1000, n_holdout=500, target_width=0.03, random_state=0
    )
    assert sur.fidelity_.width <= 0.03
    assert len(sur.history_) >= 2
    assert sur.history_["n_holdout"].is_monotonic_increasing
    assert sur.n_holdout_ == sur.history_["n_holdout"].iloc[-1]


def test_print_shows_student_then_fidelity_and_counts(forest):
    model, X = forest
    sur = distill(model, X, student="tree", n_queries=1000, random_state=0)
    text = str(sur)
    student_text = str(sur.student_)
    assert student_text in text
    assert text.index(student_text) < text.index("Fidelity on 1,000 held-out queries")
    assert "Clopper-Pearson" in text and "1,000 synthesized" in text
    assert "jitter, neighbour interpolation)" in text
    assert "dose" in text or "age" in text  # real feature names
    f = sur.fidelity_
    from glassbox._format import short

    assert f"agreement with the black box {short(f.value)}" in text
    assert f"{short(f.lower)} .. {short(f.upper)}" in text


def test_regions_are_leaves_with_their_own_agreement(forest):
    model, X = forest
    sur = distill(model, X, student="tree", n_queries=1000, random_state=0)
    reg = sur.regions(X)
    assert reg["n"].sum() == len(X)
    leaves = sur.student_.estimator_.apply(X.to_numpy(dtype=np.float32))
    agree = sur.student_.predict(X) == model.predict(X)
    by_hand = sorted(
        (int((leaves == leaf).sum()), agree[leaves == leaf].mean()) for leaf in np.unique(leaves)
    )
    got = sorted(zip(reg["n"], reg["fidelity"]))
    assert [n for n, _ in got] == [n for n, _ in by_hand]
    np.testing.assert_allclose([f for _, f in got], [f for _, f in by_hand])
    assert (reg["lower"] <= reg["fidelity"]).all() and (reg["fidelity"] <= reg["upper"]).all()
    assert reg["region"].str.contains("<=|>").all()


def test_pareto_frontier_is_the_non_dominated_set(forest):
    model, X = forest
    table = pareto(
        model,
        X,
        students=["tree", "glm"],
        n_queries=1000,
        random_state=0,
        settings={"tree": [{"max_depth": d} for d in (1, 2, 3, 5)]},
    )
    assert list(table.columns) == [
        "student",
        "settings",
        "complexity",
        "fidelity",
        "lower",
        "upper",
        "frontier",
    ]
    assert set(table["student"]) == {"tree", "glm"}
    assert (table[table.student == "tree"]["settings"].str.startswith("max_depth")).all()
    for i, row in table.iterrows():
        dominated = any(
            (o.complexity <= row.complexity and o.fidelity >= row.fidelity)
            and (o.complexity < row.complexity or o.fidelity > row.fidelity)
            for j, o in table.iterrows()
            if j != i
        )
        tie_before = any(
            o.complexity == row.complexity and o.fidelity == row.fidelity
            for j, o in table.iterrows()
            if j < i
        )
        assert row.frontier == (not dominated and not tie_before)
    assert table["frontier"].any()


def test_student_errors_are_clear(forest):
    model, X = forest
    with pytest.raises(ValueError, match="student 'nope' is not a glassbox family"):
        distill(model, X, student="nope", n_queries=10)
    with pytest.raises(ValueError, match="student 'symbolic' has no classifier; families with"):
        distill(model, X, student="symbolic", n_queries=10)
    with pytest.raises(ValueError, match="must be a classifier"):
        distill(model, X, student=TreeRegressor(), n_queries=10)
    with pytest.raises(TypeError, match="student must be a family name"):
        distill(model, X, student=3, n_queries=10)
    with pytest.raises(ValueError, match="single class"):
        distill(lambda Z: np.tile([0.9, 0.1], (len(Z), 1)), X, n_queries=10)


def test_deterministic_for_a_random_state(forest):
    model, X = forest
    a = distill(model, X, n_queries=500, random_state=3)
    b = distill(model, X, n_queries=500, random_state=3)
    assert str(a) == str(b)
    np.testing.assert_array_equal(a._queries.X_hold, b._queries.X_hold)


def _rules_available(task: str) -> bool:
    names = ("rulelist", "ruleset", "oner") if task == "classification" else ("ruleset",)
    return any(n in FAMILIES and FAMILIES[n][0 if task == "classification" else 1] for n in names)


def test_rules_student(forest):
    assert _rules_available("classification"), "the rule families are part of glassbox"
    model, X = forest
    sur = distill(
        model, X, student="rules", student_params={"max_depth": 4}, n_queries=1000, random_state=0
    )
    assert type(sur.student_).__name__ == type(FAMILIES["rulelist"][0]()).__name__
    k = np.sum(sur.predict(X) == model.predict(X))
    assert sur.fidelity(X).value == k / len(X)
    text = str(sur)
    assert str(sur.student_) in text and "IF" in text
    assert sur.fidelity_.value > 0.6
    reg = sur.regions(X)
    assert reg["n"].sum() == len(X)
    assert reg["region"].str.match(r"^(IF|ELSE)").all()


def test_rules_student_multiclass_and_fallback(monkeypatch):
    assert _rules_available("classification"), "the rule families are part of glassbox"
    X, y = make_classification(
        n_samples=240, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    bb = LogisticRegression().fit(X, y)
    # rule lists take three classes one-vs-rest (issue 23)
    sur = distill(bb, X, student="rules", n_queries=300, random_state=0)
    assert type(sur.student_).__name__ == "RuleListClassifier"
    assert len(sur.student_.estimators_) == 3
    assert sur.fidelity(X).value == np.mean(sur.predict(X) == bb.predict(X))
    # a family that cannot fit the data hands over to the next one, with a warning
    cands = [
        type(c).__name__
        for c in __import__("surrogates.distill", fromlist=["x"]).student_candidates(
            "rules", "classification"
        )
    ]
    from glassbox import RuleListClassifier

    def refuse(self, *args, **kwargs):
        raise ValueError("this rule list cannot fit")

    monkeypatch.setattr(RuleListClassifier, "fit", refuse)
    with pytest.warns(UserWarning, match="cannot fit this black box"):
        sur = distill(bb, X, student="rules", n_queries=300, random_state=0)
    assert type(sur.student_).__name__ in cands[1:]
    assert sur.fidelity(X).value == np.mean(sur.predict(X) == bb.predict(X))


def test_glm_multiclass_student_and_pareto_grid():
    X, y = make_classification(
        n_samples=240, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    bb = LogisticRegression().fit(X, y)
    sur = distill(bb, X, student=GLMClassifier(C=100.0), n_queries=600, random_state=0)
    assert sur.fidelity_.value > 0.9
    assert list(sur.classes_) == [0, 1, 2]
    combos = list(itertools.product([0, 1], repeat=2))
    assert combos  # (keeps itertools import honest for the frontier test above)


def test_query_count_is_chosen_on_validation_queries_and_the_student_refits_on_it():
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])

    def box(Z):
        Z = np.asarray(Z, dtype=float)
        return np.sin(3 * Z[:, 0]) + Z[:, 1] * Z[:, 2]

    sur = distill(
        box,
        X,
        student="tree",
        student_params={"max_depth": 3},
        n_queries=1000,
        random_state=0,
        task="regression",
    )
    assert sur.n_queries_ in (0, 100, 300, 1000) and sur.n_data_ == 200
    # the student is the scikit-learn tree on exactly the rows it reports using
    T = sur._queries.X_train
    assert T.shape[0] == 200 + sur.n_queries_
    np.testing.assert_array_equal(T[:200], X.to_numpy())
    ref = DecisionTreeRegressor(max_depth=3, random_state=0).fit(T, box(T))
    np.testing.assert_allclose(sur.predict(X), ref.predict(X.to_numpy()))
    # the student is scikit-learn's tree with each cut point printed short (the
    # shortest number that splits the training rows the same way): walk that tree
    nodes = sur.student_.nodes()
    t = ref.tree_
    np.testing.assert_array_equal(
        nodes.feature[t.children_left >= 0], t.feature[t.children_left >= 0]
    )
    # (checked below: on the training rows the short cuts send every row the same way)

    def walk(Z):
        node = np.zeros(len(Z), dtype=int)
        for _ in range(t.max_depth):
            inner = t.children_left[node] >= 0
            go_left = Z[np.arange(len(Z)), t.feature[node]] <= nodes.threshold[node]
            child = np.where(go_left, t.children_left[node], t.children_right[node])
            node = np.where(inner, child, node)
        return t.value[node, 0, 0]

    np.testing.assert_array_equal(walk(T), ref.predict(T))
    H = sur._queries.X_hold
    assert sur.fidelity_.value == pytest.approx(r2_score(box(H), walk(H)))
    # adaptive runs keep every query (their rounds double the query set)
    ad = distill(
        box,
        X,
        student="tree",
        student_params={"max_depth": 3},
        n_queries=1000,
        random_state=0,
        task="regression",
        target_width=0.5,
    )
    assert ad.n_queries_ >= 1000


def test_progress_bar_for_slow_distillation_and_silenced(forest, capsys):
    model, X = forest
    calls = []

    def slow_box(Z):  # the first call (labelling the queries) takes over the 2 s delay
        if not calls:
            import time

            time.sleep(2.1)
        calls.append(1)
        return model.predict_proba(pd.DataFrame(np.asarray(Z), columns=X.columns))

    distill(slow_box, X, student="tree", n_queries=500, random_state=0, task="classification")
    err = capsys.readouterr().err
    assert "distill" in err and "5/5" in err  # 4 candidate query counts + the final fit
    calls.clear()
    distill(
        slow_box,
        X,
        student="tree",
        n_queries=500,
        random_state=0,
        task="classification",
        progress=False,
    )
    assert capsys.readouterr().err == ""


def test_pareto_arguments_are_checked_before_any_fit(forest):
    model, X = forest
    with pytest.raises(ValueError, match="students is empty"):
        pareto(model, X, students=[])
    with pytest.raises(ValueError, match="n_holdout must be an integer >= 10"):
        pareto(model, X, n_holdout=0)
    with pytest.raises(ValueError, match=r"settings given for \['gam'\]"):
        pareto(model, X, students=["tree"], settings={"gam": [{}]})
    with pytest.raises(TypeError, match="list of parameter dicts"):
        pareto(model, X, students=["tree"], settings={"tree": [2, 3]})
    with pytest.raises(TypeError, match="query mix must be a dict"):
        distill(model, X, query_mix="jitter")
    # one student name and one setting dict are taken as such
    front = pareto(
        model,
        X,
        students="tree",
        settings={"tree": {"max_depth": 2}},
        n_queries=200,
        random_state=0,
        progress=False,
    )
    assert list(front["student"]) == ["tree"] and list(front["settings"]) == ["max_depth=2"]
    sur = distill(
        model,
        X,
        student="tree",
        student_params={"max_depth": 2},
        n_queries=200,
        random_state=0,
        progress=False,
        include_data=True,
    )
    assert front["complexity"].iloc[0] == sur.complexity_


def test_named_students_start_from_distills_quick_settings_user_params_win():
    from glassbox import EBMClassifier, GAMRegressor
    from surrogates.distill import QUICK_STUDENT_PARAMS, student_candidates

    (ebm,) = student_candidates("ebm", "classification", {"interactions": 0}, quick=("ebm", "gam"))
    assert isinstance(ebm, EBMClassifier)
    want = {**QUICK_STUDENT_PARAMS["ebm"]["classification"], "interactions": 0}
    assert {k: ebm.get_params()[k] for k in want} == want
    (gam,) = student_candidates("gam", "regression", quick=("ebm", "gam"))
    assert isinstance(gam, GAMRegressor)
    assert {
        k: gam.get_params()[k] for k in QUICK_STUDENT_PARAMS["gam"]["regression"]
    } == QUICK_STUDENT_PARAMS["gam"]["regression"]
    # a family not named in quick keeps its own defaults
    (plain,) = student_candidates("gam", "regression")
    assert plain.get_params() == GAMRegressor().get_params()


def test_pareto_default_settings_are_the_students_complexity_grid(forest):
    model, X = forest
    table = pareto(model, X, students=["glm"], n_queries=200, random_state=0, progress=False)
    grid = GLMClassifier.traits.complexity_grid
    assert sorted(table["settings"]) == sorted(
        f"C={c}, l1_ratio={r}" for c in grid["C"] for r in grid["l1_ratio"]
    )
