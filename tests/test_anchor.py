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
    a = anchor(f, data[0], data, precision=0.99, max_anchor_size=2, max_samples=500,
               random_state=0)
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
