"""The text renderer's dispatch: renderers are registered by class, and
``str(model)`` reaches them through ``glassbox.base`` without importing the renderer."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

import glassbox
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


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at top level or inside functions, made absolute."""
    package = "glassbox." + ".".join(path.relative_to(Path(glassbox.__file__).parent).parts[:-1])
    package = package.rstrip(".")
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            out.add(module)
            out |= {f"{module}.{a.name}" for a in node.names}
    return out


def test_no_model_and_not_base_imports_the_renderer():
    root = Path(glassbox.__file__).parent
    files = [root / "base.py", *sorted((root / "models").glob("*.py"))]
    for path in files:
        reached = {m for m in _imported_modules(path) if m.startswith("glassbox.render")}
        assert not reached, f"{path.name} imports {sorted(reached)}"
    # the check sees a renderer import where there is one
    assert "glassbox.render.text" in _imported_modules(root / "__init__.py")
