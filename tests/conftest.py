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
