"""SHAP of glassbox models fitted on real tables: text columns, missing values,
integer column labels. Checked against the shap package and against the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surrogates.shap import exact_shap, tree_shap


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_glassbox_tree_on_text_columns_and_missing_values_matches_shap(credit_table, kind):
    import shap

    from glassbox import TreeClassifier, TreeRegressor

    d = credit_table()
    X = d.drop(columns=["Status", "Visits", "rownames"])
    if kind == "classifier":
        model = TreeClassifier(max_depth=4).fit(X, d["Status"])
        out = model.predict_proba(X)
    else:
        model = TreeRegressor(max_depth=4).fit(X, d["Visits"])
        out = model.predict(X)[:, None]
    got = tree_shap(model, X, progress=False)
    values = got.values if got.values.ndim == 3 else got.values[:, :, None]
    base = np.reshape(got.base_values, (len(X), -1))
    np.testing.assert_allclose(values.sum(axis=1) + base, out, atol=1e-12)
    # the same tree as scikit-learn holds it, on the codes the model splits on
    ref = shap.TreeExplainer(model.estimator_).shap_values(model.encoded(X))
    ref = np.asarray(ref).reshape(values.shape)
    np.testing.assert_allclose(values, ref, atol=1e-9)
    assert got.feature_names == tuple(X.columns)


@pytest.mark.filterwarnings("error::UserWarning")  # no "X has feature names" warning
def test_integer_column_labels_are_matched_by_name():
    from glassbox import GLMRegressor, TreeRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)))  # labels 0, 1, 2
    y = 2 * X[0] + X[1] - 0.5 * X[2]
    shuffled = X[[2, 0, 1]]
    tree = TreeRegressor(max_depth=3).fit(X, y)
    np.testing.assert_allclose(
        tree_shap(tree, shuffled[:5], progress=False).values,
        tree_shap(tree, X[:5], progress=False).values,
    )
    glm = GLMRegressor().fit(X, y)
    np.testing.assert_allclose(
        exact_shap(glm, shuffled[:5], background=shuffled[:20], progress=False).values,
        exact_shap(glm, X[:5], background=X[:20], progress=False).values,
        atol=1e-12,
    )
    # closed form for a linear model: coef * (x - background mean)
    got = exact_shap(glm, X[:5], background=X[:20], progress=False).values
    np.testing.assert_allclose(
        got, glm.coef_ * (X[:5].to_numpy() - X[:20].to_numpy().mean(axis=0)), atol=1e-9
    )
