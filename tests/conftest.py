"""Fixtures shared by the test files of glassbox and surrogates.

``named_data`` makes the small tables with distinctive column names that the
printing, plotting, model-file and registry tests fit every family on (a
printout must show ``petal_len``, never ``x0``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

#: column names no library would invent, so a printout that shows them used the real names
NAMES = ("petal_len", "sepal_wid", "stem_height", "leaf_count")


def _named_data(classifier: bool, n: int = 160, seed: int = 0, n_classes: int = 2):
    """Four named columns on different scales; the target depends on the first two.

    Classification targets are "no"/"yes" (``n_classes=2``) or "low"/"mid"/"high"
    (``n_classes=3``, tertiles of the signal); regression targets are ``10 + 3 * signal``.
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        rng.normal(size=(n, 4)) * [1.0, 2.0, 0.5, 3.0] + [5, 1, 2, 10], columns=list(NAMES)
    )
    signal = 1.5 * (X["petal_len"] - 5) - 0.8 * (X["sepal_wid"] - 1) + 0.3 * rng.normal(size=n)
    if not classifier:
        return X, 10 + 3 * signal.to_numpy()
    if n_classes == 2:
        return X, np.where(signal > 0, "yes", "no")
    cuts = np.quantile(signal, [1 / 3, 2 / 3])
    return X, np.array(["low", "mid", "high"])[np.digitize(signal, cuts)]


@pytest.fixture(scope="session")
def named_data():
    """``named_data(classifier, n=160, seed=0, n_classes=2) -> (X, y)``: see ``_named_data``."""
    return _named_data


@pytest.fixture(scope="session")
def names() -> list[str]:
    """The column names of ``named_data``'s tables."""
    return list(NAMES)


def _credit_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A credit-like table as users bring them (modelled on modeldata's credit_data).

    Columns: ``rownames`` (an ID, unique per row), ``Seniority`` (integer years),
    ``Home`` (text, with missing values), ``Marital`` (text), ``Records`` ("no"/"yes"),
    ``Job`` (pandas category with a missing value), ``Grade`` (ordered category
    "low" < "mid" < "high", not alphabetical), ``Income`` (float, with missing values),
    ``Amount`` (integer), ``Visits`` (a count target 0-9) and ``Status``
    ("good"/"bad", the classification target).
    """
    rng = np.random.default_rng(seed)
    seniority = rng.integers(0, 30, n)
    home = rng.choice(
        ["owner", "rent", "parents", "priv", "other"], n, p=[0.45, 0.25, 0.15, 0.1, 0.05]
    )
    marital = rng.choice(["married", "single", "widow", "separated"], n, p=[0.6, 0.25, 0.05, 0.1])
    records = rng.choice(["no", "yes"], n, p=[0.8, 0.2])
    job = rng.choice(["fixed", "partime", "freelance", "others"], n, p=[0.6, 0.15, 0.2, 0.05])
    grade = rng.choice(["low", "mid", "high"], n)
    income = np.round(rng.gamma(4.0, 35.0, n), 1)
    amount = rng.integers(1, 40, n) * 50
    score = (
        0.08 * seniority
        - 1.2 * (records == "yes")
        + 0.6 * (home == "owner")
        - 0.5 * (job == "partime")
        + 0.5 * (grade == "high")
        - 0.4 * (grade == "low")
        + 0.006 * income
        - 0.0008 * amount
        + rng.logistic(size=n) * 0.6
    )
    status = np.where(score > np.median(score), "good", "bad")
    visits = np.minimum(rng.poisson(np.exp(0.8 + 0.4 * (records == "yes") + 0.02 * seniority)), 9)
    frame = pd.DataFrame(
        {
            "rownames": np.arange(1, n + 1),
            "Seniority": seniority,
            "Home": home.astype(object),
            "Marital": marital,
            "Records": records,
            "Job": pd.Categorical(job),
            "Grade": pd.Categorical(grade, categories=["low", "mid", "high"], ordered=True),
            "Income": income,
            "Amount": amount,
            "Visits": visits,
            "Status": status,
        }
    )
    frame.loc[rng.choice(n, 12, replace=False), "Home"] = np.nan
    frame.loc[rng.choice(n, 15, replace=False), "Income"] = np.nan
    frame.loc[int(rng.integers(n)), "Job"] = np.nan
    return frame


@pytest.fixture(scope="session")
def credit_table():
    """``credit_table(n=400, seed=0) -> DataFrame``: see ``_credit_table`` (a fresh copy per call)."""
    return _credit_table


def _approval_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Two numbers and a colour, and the outcome "approved" / "refused" they decide
    (income - debt, plus 500 for red, above 2000): small tables for the CLI's
    effects and counterfactual paths."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.uniform(1000, 5000, n).round(0),
            "debt": rng.uniform(0, 2000, n).round(0),
            "colour": rng.choice(["red", "blue", "green"], n),
        }
    )
    score = frame.income - frame.debt + (frame.colour == "red") * 500
    frame["outcome"] = np.where(score > 2000, "approved", "refused")
    return frame


@pytest.fixture(scope="session")
def approval_frame():
    """``approval_frame(n, seed=0) -> DataFrame``: see ``_approval_frame``."""
    return _approval_frame


def _blas_threads() -> int:
    from threadpoolctl import threadpool_info

    return max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")


@pytest.fixture
def local_fit_threads(monkeypatch):
    """BLAS threads seen inside every ``fit_local_linear`` call (a list filled as they
    run), and a function giving the current count; BLAS runs with two threads meanwhile,
    even on a one-core machine, so that one thread is a visible change."""
    from threadpoolctl import threadpool_limits

    import surrogates.local as local

    seen: list[int] = []
    fit = local._fit_local_linear

    def spy(*args, **kwargs):
        seen.append(_blas_threads())
        return fit(*args, **kwargs)

    monkeypatch.setattr(local, "_fit_local_linear", spy)
    with threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads() == 2
        yield seen, _blas_threads
