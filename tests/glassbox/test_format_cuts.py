"""The shortest decimal inside an interval (glassbox._format.shortest_between)
against an independent reference built on decimal rounding, and the cut points
and clip bounds the rule families build on it (same rows on each side)."""

from __future__ import annotations

import decimal
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox._format import cut_between, shortest_between
from glassbox.models._rules import quantile_cuts, short_bound, short_cut


def _digits(x: float) -> int:
    """Significant decimal digits of the shortest repr of a float."""
    if x == 0:
        return 1
    return len(Decimal(repr(x)).normalize().as_tuple().digits)


def _inside(c: float, lo: float, hi: float, closed: str) -> bool:
    return lo <= c < hi if closed == "left" else lo < c <= hi


def _fewest_digits(lo: float, hi: float, closed: str) -> int:
    """Reference: for d = 1, 2, ...: the smallest d-digit decimal whose float is
    at (or, for closed="right", above) lo, found by decimal rounding and
    stepping, checked as the float it reads as; 0 counts as one digit."""
    if _inside(0.0, lo, hi, closed):
        return 1
    for d in range(1, 18):
        ceil = decimal.Context(prec=d, rounding=decimal.ROUND_CEILING, Emin=-9999, Emax=9999)
        if lo == 0:  # above 0 (closed="right"): the largest d-digit decimal at most hi
            floor = decimal.Context(prec=d, rounding=decimal.ROUND_FLOOR, Emin=-9999, Emax=9999)
            c = floor.plus(Decimal(hi))
        else:  # from just below lo (a decimal under lo may still read as lo) upward
            c = ceil.next_minus(ceil.plus(Decimal(lo)))
            while float(c) < lo or (closed == "right" and float(c) <= lo):
                c = ceil.next_plus(c)
        if _inside(float(c), lo, hi, closed):
            return d
    raise AssertionError("no decimal of at most 17 digits")


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=400, deadline=None)
@given(a=finite, b=finite, closed=st.sampled_from(["left", "right"]))
def test_shortest_between_is_inside_and_has_fewest_digits(a, b, closed):
    lo, hi = min(a, b), max(a, b)
    if not lo < hi:
        return
    c = shortest_between(lo, hi, closed=closed)
    assert _inside(c, lo, hi, closed), (lo, hi, c)
    assert _digits(c) == _fewest_digits(lo, hi, closed), (lo, hi, c)


@settings(max_examples=200, deadline=None)
@given(
    x=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    gap=st.integers(min_value=1, max_value=2**20),
)
def test_neighbouring_floats_and_small_gaps(x, gap):
    lo = x
    hi = float(np.nextafter(x, np.inf))
    for _ in range(gap % 7):
        hi = float(np.nextafter(hi, np.inf))
    for closed in ("left", "right"):
        c = shortest_between(lo, hi, closed=closed)
        assert _inside(c, lo, hi, closed)
        assert _digits(c) == _fewest_digits(lo, hi, closed)


def test_brute_force_on_integers_and_known_cases():
    # every integer interval [a, b): 0 when inside, else the number nearest the
    # midpoint among those with the fewest digits, searched on a grid of hundredths
    for a in range(-30, 30):
        for b in range(a + 1, 31):
            c = cut_between(a, b)
            assert a <= c < b
            if a <= 0 < b:
                assert c == 0
                continue
            cands = [k / 100 for k in range(100 * a, 100 * b)]
            fewest = min(_digits(k) for k in cands)
            best = [k for k in cands if _digits(k) == fewest]
            mid = (a + b) / 2
            assert _digits(c) == fewest
            assert abs(c - mid) == min(abs(k - mid) for k in best)
            if b - a > 1:  # a cut between integers that are not neighbours is an integer
                assert c == int(c)
    assert cut_between(16.79, 16.8013) == 16.8
    assert repr(cut_between(16.795000076293945, 16.81)) == "16.8"
    assert cut_between(3, 4) == 3
    assert shortest_between(0.1, 0.2, closed="right") == 0.2
    assert shortest_between(1e-300, 3e-300) == 2e-300
    assert shortest_between(-5.25, -5.1) == -5.2


@pytest.mark.parametrize("lo, hi", [(1.0, 1.0), (2.0, 1.0), (np.nan, 1.0), (1.0, np.inf)])
def test_empty_or_unbounded_interval_returns_the_bound(lo, hi):
    c = shortest_between(lo, hi)
    assert c == lo or (np.isnan(c) and np.isnan(lo))


# --- cut points of the rule families (glassbox.models._rules) -----------------------


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=40
    ),
    q=st.floats(min_value=0, max_value=1),
    op=st.sampled_from(["<=", ">", "<", ">="]),
)
def test_short_cut_splits_the_values_as_the_threshold_does(values, q, op):
    x = np.array(values)
    t = float(np.quantile(x, q))
    c = short_cut(x, t, op)
    ops = {"<=": np.less_equal, ">": np.greater, "<": np.less, ">=": np.greater_equal}
    np.testing.assert_array_equal(ops[op](x, c), ops[op](x, t))
    if np.all(x == np.round(x)) and np.ptp(x) > 0:
        below = x[x <= t] if op in ("<=", ">") else x[x < t]
        above = x[x > t] if op in ("<=", ">") else x[x >= t]
        if below.size and above.size and op in ("<=", ">"):
            assert c == int(c)  # between integers: an integer cut


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), min_size=3, max_size=40
    ),
    n_bins=st.integers(min_value=2, max_value=6),
)
def test_quantile_cuts_are_short_and_inside_the_values(values, n_bins):
    x = np.array(values + [np.nan])
    cuts = quantile_cuts(x, n_bins)
    v = x[~np.isnan(x)]
    assert (cuts >= v.min()).all() and (cuts < v.max()).all()
    assert np.all(np.diff(cuts) > 0)


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), min_size=2, max_size=40
    ),
    q=st.floats(min_value=0.01, max_value=0.99),
)
def test_short_bound_moves_little_and_keeps_every_value_on_its_side(values, q):
    x = np.array(values)
    b = float(np.quantile(x, q))
    c = short_bound(b, x)
    assert abs(c - b) <= 1e-6 * (np.ptp(x) or abs(b)) + 1e-300
    np.testing.assert_array_equal(np.clip(x, None, c) == x, np.clip(x, None, b) == x)
    np.testing.assert_array_equal(x < c, x < b)
    assert _digits(c) <= _digits(b)
