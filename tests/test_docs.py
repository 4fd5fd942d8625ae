"""The docs site builds with ``mkdocs build --strict`` (broken links, missing
pages, bad config all fail) and covers every family in the registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from glassbox.registry import FAMILIES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_api_reference_is_generated_from_docstrings(site):
    from glassbox import io

    page = (site / "api" / "index.html").read_text(encoding="utf-8")
    first_line = io.save.__doc__.strip().splitlines()[0]
    assert first_line.split("``")[0].strip() in page  # "Write a fitted model to"
    for name in ("glassbox.io.load", "surrogates.distill", "surrogates.shap.tree_shap"):
        assert name in page, name


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_has_a_page_with_its_printed_output(site, family):
    source = ROOT / "docs" / "families" / f"{family}.md"
    assert source.exists(), f"run docs/_generate.py to write {source.name}"
    text = source.read_text(encoding="utf-8")
    for cls in FAMILIES[family]:
        if cls is not None:
            assert f"## {cls.__name__}" in text and "```text" in text
    assert (site / "families" / family / "index.html").exists()
    assert f"families/{family}.md" in (ROOT / "mkdocs.yml").read_text()


def test_getting_started_shows_the_readme_commands(site):
    text = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert f"make {target}" in text and f"\n{target}:" in makefile


def test_every_registered_class_is_in_the_api_reference(site):
    from glassbox.registry import CLASSIFIERS, REGRESSORS

    page = (site / "api" / "index.html").read_text(encoding="utf-8")
    for cls in CLASSIFIERS + REGRESSORS:
        assert f"glassbox.{cls.__name__}" in page, f"run docs/_generate.py ({cls.__name__})"
