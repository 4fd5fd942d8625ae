"""Real data bundled with scikit-learn, as DataFrames with readable names."""

from __future__ import annotations

import pandas as pd


def breast_cancer() -> tuple[pd.DataFrame, pd.Series]:
    """Wisconsin breast cancer: 569 rows, 30 features, target malignant/benign."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    y = data.target.map(dict(enumerate(data.target_names))).rename("diagnosis")
    return data.data, y


def diabetes() -> tuple[pd.DataFrame, pd.Series]:
    """Diabetes progression: 442 rows, 10 (scaled) features, continuous target."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes(as_frame=True)
    return data.data, data.target.rename("progression")


def wine() -> tuple[pd.DataFrame, pd.Series]:
    """Wine cultivars: 178 rows, 13 features, 3 classes."""
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True)
    y = data.target.map(dict(enumerate(data.target_names))).rename("cultivar")
    return data.data, y
