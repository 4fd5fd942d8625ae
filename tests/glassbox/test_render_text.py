"""The text renderer's dispatch: renderers are registered by class, and
``str(model)`` reaches them through ``glassbox.base`` without importing the renderer
(tests/test_import_graph.py checks that no model or base imports it)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from glassbox import GLMRegressor, export_text
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
