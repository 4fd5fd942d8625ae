"""EBMRegressor / EBMClassifier against interpret called directly.

Oracles: interpret's own ExplainableBoosting* fitted on the same data with the
same settings (predictions, decision_function, eval_terms), and a parser that
reads ``export_text(model, full=True)`` back into lookup tables and evaluates
them with numpy.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from glassbox import EBMClassifier, EBMRegressor, export_text

CHEAP = dict(outer_bags=1, interactions=2, max_rounds=200, n_jobs=1, random_state=3)


def _data(n=180, seed=0, nan=False, cat=False):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.normal(50, 10, n),
            "bmi": rng.normal(25, 4, n),
            "dose": rng.uniform(0, 1, n),
        }
    )
    signal = np.sin(X["age"] / 8) + 0.2 * (X["bmi"] - 25) * (X["dose"] - 0.5) + X["dose"]
    if cat:
        X["colour"] = pd.Series(rng.choice(["red", "blue", "green"], n), dtype="object")
        signal = signal + (X["colour"] == "red") * 1.0
    if nan:
        X.loc[rng.random(n) < 0.1, "bmi"] = np.nan
    return X, signal.to_numpy() + 0.1 * rng.normal(size=n)


def _direct(cls_name, X, y, **kw):
    from interpret import glassbox as ig

    cls = getattr(ig, cls_name)
    params = {**CHEAP, **kw}
    return cls(feature_names=list(X.columns), **params).fit(X, y)


def _targets(task, y):
    if task == "regression":
        return y
    if task == "binary":
        return (y > np.median(y)).astype(int)
    return np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))


CASES = [
    (task, both, both) for task in ("regression", "binary", "multiclass") for both in (False, True)
]


@pytest.mark.parametrize("task,nan,cat", CASES)
def test_matches_interpret_and_is_additive(task, nan, cat):
    X, y = _data(nan=nan, cat=cat)
    y = _targets(task, y)
    cls = EBMRegressor if task == "regression" else EBMClassifier
    model = cls(**CHEAP).fit(X, y)
    direct = _direct(
        "ExplainableBoostingRegressor" if task == "regression" else "ExplainableBoostingClassifier",
        X,
        y,
    )
    Xt, _ = _data(n=60, seed=1, nan=nan, cat=cat)
    if task == "regression":
        link = direct.predict(Xt)
        np.testing.assert_allclose(model.predict(Xt), link, rtol=0, atol=1e-12)
    else:
        link = direct.decision_function(Xt)
        np.testing.assert_allclose(model.decision_function(Xt), link, rtol=0, atol=1e-12)
        np.testing.assert_allclose(model.predict_proba(Xt), direct.predict_proba(Xt), atol=1e-12)
        np.testing.assert_array_equal(model.predict(Xt), direct.predict(Xt))
    loc = model.explain_local(Xt)
    np.testing.assert_allclose(loc.output(), link, rtol=0, atol=1e-8)
    np.testing.assert_allclose(loc.values, direct.eval_terms(Xt), rtol=0, atol=1e-12)
    assert loc.feature_names == tuple(direct.term_names_)
    assert any(" & " in name for name in loc.feature_names)  # pairs are their own entries
    assert loc.link == {"regression": "identity", "binary": "logit", "multiclass": "softmax"}[task]
    assert model.complexity_ == len(direct.term_names_)


def test_pairs_named_in_global_and_frames():
    X, y = _data()
    model = EBMRegressor(**CHEAP).fit(X, y)
    g = model.explain_global()
    pairs = [s for s in g.shapes if s.kind == "pair"]
    assert len(pairs) == 2
    for s in pairs:
        assert s.name == " & ".join(s.features)
        assert s.values.shape == (len(s.grid[0]), len(s.grid[1]))
    assert set(g.to_frame()["term"]) == set(model.term_names_)
    frame = model.explain_local(X.iloc[:3]).to_frame()
    assert {p.name for p in pairs} <= set(frame["feature"])


def test_importances_are_mean_abs_contribution():
    X, y = _data(nan=True)
    model = EBMRegressor(**CHEAP).fit(X, y)
    direct = _direct("ExplainableBoostingRegressor", X, y)
    expected = np.abs(direct.eval_terms(X)).mean(axis=0)
    np.testing.assert_allclose(model.explain_global().importances, expected, rtol=1e-12)


def test_main_shape_is_interpret_scores():
    X, y = _data()
    model = EBMRegressor(**CHEAP).fit(X, y)
    shape = model.explain_global().shapes[0]
    direct = _direct("ExplainableBoostingRegressor", X, y)
    np.testing.assert_allclose(shape.values, direct.term_scores_[0][1:-1])
    assert len(shape.grid[0]) == len(direct.bins_[0][0]) + 1


def test_monotone_constraint_passed_through():
    X, y = _data()
    model = EBMRegressor(**CHEAP, monotone_constraints=[0, 0, 1]).fit(X, y)
    dose = model.explain_global().shapes[2]
    assert np.all(np.diff(dose.values) >= -1e-12)


def test_str_shows_intercept_terms_and_levels():
    X, y = _data(cat=True)
    model = EBMRegressor(**CHEAP).fit(X, y)
    text = str(model)
    assert f"{float(model.estimator_.intercept_):.6g}"[:6] in text
    for name in model.term_names_:
        assert name in text
    for level in ("red", "blue", "green"):
        assert level in text
    assert re.search(r"dose\s+[▁▂▃▄▅▆▇█]+", text)


# --- the full printout evaluates to the model ---------------------------------


def _parse_ebm_full(text: str):
    """Read intercepts and every term's lookup table from export_text(full=True)."""
    body = text.split("=== full lookup tables ===", 1)[1]
    intercepts = [float(v) for v in re.findall(r"^intercept\[[^\]]*\] = (\S+)$", body, re.M)]
    terms = []
    for block in re.split(r"\n\n(?=\[)", body)[1:]:
        lines = block.splitlines()
        feats = []
        i = 1
        while lines[i].startswith(("cuts ", "levels ")):
            kind, rest = lines[i].split(" ", 1)
            name, spec = rest.split(": ", 1)
            if kind == "cuts":
                feats.append((name, "cuts", np.array([float(c) for c in spec.split()])))
            else:
                feats.append((name, "levels", spec.split(" | ")))
            i += 1
        sizes = [(len(f[2]) + 1 if f[1] == "cuts" else len(f[2])) + 2 for f in feats]
        tables = []
        rows = []
        for line in lines[i:]:
            if line.startswith("score[") and line.endswith(":"):
                continue
            if line.startswith(("bin ", "---")) or not line.strip():
                if rows and line.startswith("bin "):
                    tables.append(rows)
                    rows = []
                continue
            rows.append(line)
        tables.append(rows)
        if len(feats) == 1:
            n_out = len(intercepts)
            scores = np.array([[float(v) for v in r.split()[-n_out:]] for r in tables[0]])
        else:
            scores = np.stack(
                [np.array([[float(v) for v in r.split()[-sizes[1] :]] for r in t]) for t in tables],
                axis=-1,
            )
        assert scores.shape[: len(feats)] == tuple(sizes)
        terms.append((feats, scores))
    return np.array(intercepts), terms


def _bin_index(feat, column) -> np.ndarray:
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


def _evaluate(text: str, X: pd.DataFrame) -> np.ndarray:
    intercepts, terms = _parse_ebm_full(text)
    out = np.tile(intercepts, (len(X), 1))
    for feats, scores in terms:
        idx = tuple(_bin_index(f, X[f[0]].to_numpy(dtype=object)) for f in feats)
        out += scores[idx].reshape(len(X), -1)
    return out[:, 0] if out.shape[1] == 1 else out


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_full_printout_reproduces_predictions(task):
    X, y = _data(nan=True, cat=True)
    y = _targets(task, y)
    model = (EBMRegressor if task == "regression" else EBMClassifier)(**CHEAP).fit(X, y)
    Xt, _ = _data(n=80, seed=5, nan=True, cat=True)
    Xt.loc[0, "colour"] = "purple"  # unseen level -> the (unseen) row
    Xt.loc[1, "age"] = 1e6  # beyond every cut
    Xt.loc[2, "bmi"] = model.estimator_.bins_[1][0][3]  # exactly on a cut
    got = _evaluate(export_text(model, full=True), Xt)
    direct = _direct(
        "ExplainableBoostingRegressor" if task == "regression" else "ExplainableBoostingClassifier",
        X,
        y,
    )
    expected = direct.predict(Xt) if task == "regression" else direct.decision_function(Xt)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_nan_declared_and_accepted():
    est = EBMClassifier(**CHEAP)
    assert est.__sklearn_tags__().input_tags.allow_nan
    X, y = _data(nan=True)
    X.loc[:, "dose"] = np.nan  # an all-missing column still fits
    model = est.fit(X, _targets("binary", y))
    assert np.isfinite(model.decision_function(X)).all()


def test_inf_rejected_with_clear_message():
    X, y = _data()
    X.iloc[4, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        EBMRegressor(**CHEAP).fit(X, y)


# --- the raw credit table: Categorical, text and missing values as interpret takes them


CREDIT_X = ["Seniority", "Home", "Marital", "Records", "Job", "Grade", "Income", "Amount"]


@pytest.mark.parametrize("task", ["binary", "regression", "multiclass"])
def test_credit_frame_matches_interpret_on_the_same_frame(credit_table, task):
    from interpret import glassbox as ig

    frame = credit_table()
    X = frame[CREDIT_X]
    assert X.isna().any().sum() == 3  # Home (text), Job (Categorical), Income
    if task == "regression":
        y, ours_cls, ref_cls = (
            frame["Visits"].to_numpy(float),
            EBMRegressor,
            ig.ExplainableBoostingRegressor,
        )
    else:
        y = frame["Status"] if task == "binary" else frame["Grade"].astype(str)
        ours_cls, ref_cls = EBMClassifier, ig.ExplainableBoostingClassifier
        if task == "multiclass":
            X = X.drop(columns="Grade")
    model = ours_cls(**CHEAP, verbose=False).fit(X, y)
    direct = ref_cls(**CHEAP).fit(X, y)
    # new rows: an unseen level, missing values where fit had none
    Xt = X.iloc[:60].copy()
    Xt.loc[Xt.index[0], "Home"] = "castle"
    Xt.loc[Xt.index[1], "Marital"] = np.nan
    Xt.loc[Xt.index[2], "Seniority"] = np.nan
    if task == "regression":
        np.testing.assert_allclose(model.predict(Xt), direct.predict(Xt), rtol=0, atol=1e-12)
    else:
        np.testing.assert_allclose(
            model.predict_proba(Xt), direct.predict_proba(Xt), rtol=0, atol=1e-12
        )
        assert list(model.predict(Xt)) == list(direct.predict(Xt))
    loc = model.explain_local(Xt)
    np.testing.assert_allclose(
        loc.output(), direct.eval_terms(Xt).sum(axis=1) + direct.intercept_, atol=1e-12
    )
    types = dict(zip(X.columns, model.estimator_.feature_types_in_))
    assert types["Home"] == "nominal" and types["Seniority"] == "continuous"
    if "Grade" in X:
        assert types["Grade"] == "ordinal"  # the ordered Categorical stays ordered
        grade = next(s for s in model.explain_global().shapes if s.name == "Grade")
        assert list(grade.grid[0]) == ["low", "mid", "high"]  # not alphabetical
        assert model.input_schema_["Grade"].levels == ("low", "mid", "high")
        assert model.input_schema_["Grade"].ordered


def test_schema_records_native_missing_and_unseen(credit_table):
    frame = credit_table()
    model = EBMClassifier(**CHEAP, verbose=False).fit(frame[CREDIT_X], frame["Status"])
    spec = model.input_schema_["Home"]
    assert spec.kind == "categorical" and spec.missing == "native" and spec.unseen == "native"
    assert spec.levels == tuple(sorted(frame["Home"].dropna().unique()))
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        model.predict(frame[CREDIT_X[::-1]])


def test_progress_line_only_when_enabled(capsys):
    from glassbox.base import progress_ticker

    X, y = _data()
    EBMRegressor(**CHEAP, verbose=False).fit(X, y)
    assert capsys.readouterr().err == ""
    import time

    with progress_ticker("EBM: test", enabled=True, every=0.1):
        time.sleep(2.4)  # past the 2 s delay: the line appears
    assert "EBM: test" in capsys.readouterr().err
    with progress_ticker("EBM: test", enabled=False, every=0.1):
        time.sleep(0.3)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("exponent", [1000, -1000])
def test_extreme_target_scale_gives_the_same_model(exponent):
    # interpret's boosting is exact under power-of-two scalings of y but collapses
    # to a near-constant beyond about 2**60; the wrapper fits in units near 1
    X, y = _data()
    ref = EBMRegressor(**CHEAP, verbose=False).fit(X, y)
    f = 2.0**exponent
    model = EBMRegressor(**CHEAP, verbose=False).fit(X, y * f)
    np.testing.assert_allclose(model.predict(X) / f, ref.predict(X), rtol=1e-12)
    np.testing.assert_allclose(
        model.explain_local(X).values / f, ref.explain_local(X).values, rtol=1e-12, atol=0
    )
    # a factor that is not a power of two: the same model up to interpret's own
    # rounding, not the collapsed one (which is off by about the spread of y)
    g = 1e300 if exponent > 0 else 1e-300
    off = np.abs(EBMRegressor(**CHEAP, verbose=False).fit(X, y * g).predict(X) / g - ref.predict(X))
    assert off.max() < 0.05 * np.ptp(y)
