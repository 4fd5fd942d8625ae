"""Imports point one way (design.md "Layers"): no cycles among the project's modules,
counting imports inside functions; models never reach the renderer; glassbox never
imports surrogates except its command line; _format imports nothing of the project."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("glassbox", "surrogates")


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports anywhere in its file (functions included)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]

    def resolve(target: str) -> str | None:
        while target and target not in known:  # `glassbox.x.func` -> `glassbox.x`
            target = target.rpartition(".")[0]
        return target or None

    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(anchor + ([node.module] if node.module else []))
            # `from pkg import sub` imports the submodule (its package is always
            # initialised first: no edge of its own); `from mod import f` the module
            subs = [f"{module}.{a.name}" for a in node.names]
            targets = subs if all(s in known for s in subs) else subs + [module]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in PACKAGES and (hit := resolve(target)):
                out.add(hit)
    out.discard(name)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(name, path, known) for name, path in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_checker_sees_imports_inside_functions(graph):
    # base.py's `from ._validation import ...` is at top level; cli imports surrogates
    # inside functions only: both must be seen
    assert "glassbox._validation" in graph["glassbox.base"]
    assert any(t.startswith("surrogates") for t in graph["glassbox.cli"])
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles(graph):
    assert _cycles(graph) == []


def test_only_the_command_line_imports_surrogates(graph):
    bad = {
        m: sorted(t for t in targets if t.startswith("surrogates"))
        for m, targets in graph.items()
        if m.startswith("glassbox") and m != "glassbox.cli"
    }
    assert {m: t for m, t in bad.items() if t} == {}


def test_models_and_base_never_reach_the_renderer(graph):
    bad = {
        m: sorted(t for t in targets if t.startswith("glassbox.render"))
        for m, targets in graph.items()
        if m.startswith("glassbox.models") or m == "glassbox.base"
    }
    assert {m: t for m, t in bad.items() if t} == {}
    assert "glassbox.render.text" in graph["glassbox"]  # the check sees a renderer import


def test_format_and_validation_import_nothing_of_the_project(graph):
    assert graph["glassbox._format"] == set()
    assert graph["glassbox._validation"] <= {"glassbox._format"}
