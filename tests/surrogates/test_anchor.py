"""Anchors on black boxes whose true anchors are known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from surrogates import anchor
from surrogates.anchor import _one_sided


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(0).normal(size=(500, 5))


def _threshold(Z):
    return (Z[:, 0] > 0).astype(int)


def test_one_sided_bounds_match_scipy():
    for k, n in [(0, 20), (19, 20), (20, 20), (95, 100), (480, 500)]:
        lo, hi = _one_sided(k, n, 0.05)
        ref_lo = binomtest(k, n, alternative="greater").proportion_ci(0.95, method="exact").low
        ref_hi = binomtest(k, n, alternative="less").proportion_ci(0.95, method="exact").high
        np.testing.assert_allclose([lo, hi], [ref_lo, ref_hi], rtol=1e-10, atol=1e-12)


def test_single_feature_black_box_gets_a_one_condition_anchor(data):
    x = np.array([1.5, 0.0, 0.0, 0.0, 0.0])
    a = anchor(_threshold, x, data, precision=0.95, random_state=0)
    assert a.valid and a.features == (0,)
    name, lo, hi = a.conditions[0]
    assert name == "x0" and lo < 1.5 <= hi
    assert a.prediction == 1
    # the rule is right for the black box: every data row it covers (a bin edge above 0)
    # or almost every (the median edge) gets class 1
    covered = a.holds(data)
    assert covered.mean() == pytest.approx(a.coverage)
    assert _threshold(data[covered]).mean() >= 0.95
    assert a.precision_lower <= a.precision and a.precision_lower >= 0.95
    assert "IF x0 > " in a.rule and "THEN predict 1" in a.rule
    # 500 rows are plenty: measured on covered data rows only, no synthetic fallback
    assert a.n_synthetic == 0 and 0 < a.n_rows <= covered.sum()


def test_samples_are_whole_covered_rows_so_correlated_features_need_one_condition():
    # x1 follows x0 closely; the black box reads both. Whole data rows keep x1 with x0,
    # so one condition on x0 (or x1) is enough; redrawing features independently
    # would not be (x0 > 0 with an unrelated x1 gives class 1 only ~85% of the time)
    rng = np.random.default_rng(1)
    x0 = rng.normal(size=600)
    Z = np.column_stack([x0, x0 + 0.1 * rng.normal(size=600), rng.normal(size=(600, 3))])
    f = lambda Z: (Z[:, 0] + Z[:, 1] > 0).astype(int)  # noqa: E731
    a = anchor(f, np.array([1.5, 1.5, 0, 0, 0]), Z, random_state=0)
    assert a.valid and len(a.features) == 1 and a.features[0] in (0, 1)
    covered = a.holds(Z)
    assert f(Z[covered]).mean() >= 0.95  # the oracle: the black box on the real covered rows
    # the same rule under independent redraws of the other features is far from 0.95
    W = Z[rng.integers(0, 600, 4000)]
    j = a.features[0]
    W[:, j] = Z[covered, j][rng.integers(0, covered.sum(), 4000)]
    assert f(W).mean() < 0.9


def test_precision_is_the_share_of_covered_rows_with_the_class():
    # batch larger than the data: every covered row is a sample, so the precision and
    # its bound are the exact share on those rows and its Clopper-Pearson bound
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(300, 3))
    f = lambda Z: ((Z[:, 0] > 0) | (Z[:, 2] > 1.5)).astype(int)  # noqa: E731
    a = anchor(f, np.array([1.0, 0.0, 0.0]), Z, batch_size=1000, random_state=0)
    covered = a.holds(Z)
    assert a.valid and a.n_synthetic == 0 and a.n_rows == covered.sum()
    k = int((f(Z[covered]) == a.prediction).sum())
    assert a.precision == pytest.approx(k / covered.sum())
    ref = binomtest(k, int(covered.sum()), alternative="greater").proportion_ci(0.95, "exact").low
    assert a.precision_lower == pytest.approx(ref, rel=1e-9)


def test_too_few_rows_fall_back_to_synthetic_rows():
    # 40 rows: even a rule right on all of them has bound 0.05 ** (1 / 40) < 0.95,
    # so certification needs the fallback; the black box reads x0 only, which the
    # fallback copies from covered rows, so the rule x0 > edge is right on all of them
    Z = np.random.default_rng(3).normal(size=(40, 4))
    a = anchor(_threshold, np.array([1.5, 0, 0, 0]), Z, random_state=0)
    assert 0.05 ** (1 / 40) < 0.95
    assert a.valid and a.features == (0,) and a.n_synthetic > 0
    assert a.n_rows == a.holds(Z).sum()
    assert _threshold(Z[a.holds(Z)]).mean() == 1.0
    assert "synthetic" in str(a)


def test_and_black_box_needs_both_features(data):
    f = lambda Z: ((Z[:, 0] > 0) & (Z[:, 1] > 0)).astype(int)  # noqa: E731
    a = anchor(f, np.array([1.0, 1.0, 0.0, 0.0, 0.0]), data, random_state=0)
    assert a.valid and set(a.features) == {0, 1}
    assert f(data[a.holds(data)]).mean() >= 0.95
    # the other class: x0 <= 0 alone decides it, with coverage about one half
    b = anchor(f, np.array([-1.0, 1.0, 0.0, 0.0, 0.0]), data, random_state=0)
    assert b.valid and b.features == (0,) and b.prediction == 0
    assert 0.4 < b.coverage < 0.8


def test_constant_black_box_has_the_empty_anchor(data):
    a = anchor(lambda Z: np.zeros(len(Z), dtype=int), data[0], data, random_state=0)
    assert a.valid and a.conditions == () and a.coverage == 1.0
    assert a.rule == "IF (always) THEN predict 0"


def test_noise_black_box_is_not_certified(data):
    # labels that flip with tiny changes of every feature: no rule reaches 0.99
    f = lambda Z: (np.floor(Z.sum(axis=1) * 1000) % 2).astype(int)  # noqa: E731
    a = anchor(f, data[0], data, precision=0.99, max_anchor_size=2, max_samples=500, random_state=0)
    assert not a.valid and a.precision_lower < 0.99
    assert "NOT certified" in str(a)


def test_reproducible_and_clear_errors(data):
    a = anchor(_threshold, data[3], data, random_state=1)
    b = anchor(_threshold, data[3], data, random_state=1)
    assert a == b
    with pytest.raises(ValueError, match="one row"):
        anchor(_threshold, data[:2], data)
    with pytest.raises(ValueError, match="precision must be in"):
        anchor(_threshold, data[0], data, precision=1.5)
    from surrogates import as_blackbox

    with pytest.raises(ValueError, match="anchors explain classifiers"):
        anchor(as_blackbox(lambda Z: Z[:, 0] * 1.5), data[0], data)


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(batch_size=0), "batch_size must be an integer >= 1"),
        (dict(batch_size=-1), "batch_size must be an integer >= 1"),
        (dict(beam_size=0), "beam_size must be an integer >= 1"),
        (dict(beam_size=-1), "beam_size must be an integer >= 1"),
        (dict(n_bins=0), "n_bins must be an integer >= 2"),
        (dict(n_bins=1), "n_bins must be an integer >= 2"),
        (dict(n_bins=-3), "n_bins must be an integer >= 2"),
        (dict(max_samples=0), "max_samples must be an integer >= 1"),
        (dict(max_anchor_size=0), "max_anchor_size must be an integer >= 1"),
        (dict(epsilon=-1.0), "epsilon must be a finite number >= 0"),
        (dict(epsilon=np.nan), "epsilon must be a finite number >= 0"),
        (dict(delta=0.0), r"delta must be in \(0, 0.5\)"),
    ],
)
def test_bad_search_settings_are_refused_before_the_black_box_is_called(data, kw, match):
    calls = []

    def f(Z):
        calls.append(len(Z))
        return _threshold(Z)

    with pytest.raises(ValueError, match=match):
        anchor(f, data[0], data, **kw)
    assert calls == []  # validated before any work (batch_size=0 used to hang)


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(n_bins=2.5), "n_bins must be an integer"),
        (dict(batch_size=True), "batch_size must be an integer"),
        (dict(precision="high"), "precision must be a number"),
    ],
)
def test_settings_of_the_wrong_type_are_type_errors(data, kw, match):
    with pytest.raises(TypeError, match=match):
        anchor(_threshold, data[0], data, **kw)


@pytest.fixture(scope="module")
def frame_model():
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    Xdf = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    y = (Xdf["a"] + Xdf["b"] > 0).astype(int)
    return LogisticRegression().fit(Xdf, y), Xdf


def test_named_row_in_another_order_is_reordered_by_name(frame_model):
    model, Xdf = frame_model
    row = Xdf.iloc[3]
    ref = anchor(model, row.to_numpy(), Xdf, random_state=0)
    assert anchor(model, row[["d", "c", "b", "a"]], Xdf, random_state=0) == ref
    assert anchor(model, Xdf.iloc[[3]][["c", "a", "d", "b"]], Xdf, random_state=0) == ref
    # the oracle: the model's own class for the row, and the rule holds at the row
    assert ref.prediction == model.predict(Xdf.iloc[[3]])[0]
    assert ref.holds(Xdf.to_numpy()[[3]])[0]


def test_named_row_with_other_names_is_refused(frame_model):
    model, Xdf = frame_model
    with pytest.raises(ValueError, match=r"missing \['a'\], unexpected \['z'\]"):
        anchor(model, Xdf.iloc[[0]].rename(columns={"a": "z"}), Xdf)
    with pytest.raises(ValueError, match=r"do not match X's columns: missing \['a'\]"):
        anchor(model, Xdf.iloc[0][["d", "c", "b"]], Xdf)


def test_regressors_are_refused_by_name(data):
    from sklearn.ensemble import RandomForestRegressor

    from surrogates import as_blackbox

    reg = RandomForestRegressor(n_estimators=3, max_depth=2, random_state=0).fit(data, data[:, 0])
    with pytest.raises(
        ValueError, match="anchors explain classifiers; RandomForestRegressor is a regressor"
    ):
        anchor(reg, data[0], data)
    with pytest.raises(
        ValueError, match="anchors explain classifiers; RandomForestRegressor is a regressor"
    ):
        anchor(reg.predict, data[0], data)
    with pytest.raises(ValueError, match="anchors explain classifiers.*is a regressor"):
        anchor(as_blackbox(reg), data[0], data)
    # a plain callable returning integer labels is still a classifier
    a = anchor(_threshold, np.array([1.5, 0, 0, 0, 0]), data, random_state=0)
    assert a.valid and a.prediction == 1
