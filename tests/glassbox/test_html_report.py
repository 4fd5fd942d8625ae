"""The HTML report: one self-contained offline page, checked as text and then
opened in a real headless Chromium (Debian's /usr/bin/chromium, driven by
playwright's Python package; .ci/run installs the browser)."""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile

import numpy as np
import pytest

from glassbox import GLMRegressor, TreeClassifier, datasets
from glassbox.compare import compare_families
from glassbox.render import plots
from glassbox.render.html import report

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """(name, model, X, path, html): a GLM with a comparison, a tree, an EBM, a surrogate."""
    out = tmp_path_factory.mktemp("reports")
    result = []
    X, y = datasets.diabetes()
    X, y = X.iloc[:200, :5], y.iloc[:200]
    glm = GLMRegressor().fit(X, y)
    result.append(("glm", glm, X, y, True))
    Xc, yc = datasets.breast_cancer()
    Xc, yc = Xc.iloc[:250, :6], yc.iloc[:250]
    tree = TreeClassifier(max_depth=3, random_state=0).fit(Xc, yc)
    result.append(("tree", tree, Xc, yc, False))
    # an additive model with shape functions, density and pair heat maps (images)
    from glassbox import EBMRegressor
    from glassbox.registry import fast

    ebm = fast(EBMRegressor, interactions=2).fit(X, y)
    result.append(("ebm", ebm, X, y, False))
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from surrogates import distill

    black = make_pipeline(StandardScaler(), LogisticRegression(C=0.5)).fit(Xc, yc)
    sur = distill(black.predict_proba, Xc, student="tree", n_queries=1000, random_state=0)
    result.append(("surrogate", sur, Xc, None, False))
    rendered = []
    for name, model, X_, y_, compare in result:
        path = out / f"{name}.html"
        comparison = None
        if compare:
            comparison = compare_families(X_, y_, classifier=False, families=["glm", "tree"])
        text = report(model, X_, y_, path=path, comparison=comparison)
        rendered.append((name, model, X_, path, text))
    return rendered


def test_report_is_self_contained(pages):
    for name, _, _, path, text in pages:
        assert path.read_text(encoding="utf-8") == text
        assert "<script" not in text and "<link" not in text and " src=" not in text, name
        # the only URLs are SVG namespace names, which browsers never fetch
        urls = set(re.findall(r"https?://[^\"'<\s)]+", text))
        assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
        ids = re.findall(r'\bid="([^"]+)"', text) + re.findall(r"\bid='([^']+)'", text)
        assert len(ids) == len(set(ids)), f"{name}: repeated element ids"
        hrefs = re.findall(r'href="([^"]+)"', text)
        assert all(h.startswith(("#", "data:image/png;base64,")) for h in hrefs), name
        if name == "ebm":  # pair heat maps are embedded images
            assert any(h.startswith("data:image/png") for h in hrefs)
        refs = set(re.findall(r"url\(#([^)]+)\)", text)) | set(re.findall(r'href="#([^"]+)"', text))
        assert refs <= set(ids), f"{name}: dangling references {sorted(refs - set(ids))[:3]}"


def test_report_holds_model_text_and_every_plot(pages):
    for name, model, X, _, text in pages:
        pre = re.search(r"<pre class='model' id='model-text'>(.*?)</pre>", text, re.S).group(1)
        assert html.unescape(pre) == str(model), name
        expected = len(plots.plot_model(model, X.iloc[:200]))
        assert text.count("<figure class='plot'") == expected == text.count("<svg"), name


def test_report_comparison_and_score(pages):
    from sklearn.metrics import r2_score

    _, glm, X, _, text = pages[0]
    assert "id='comparison'" in text
    assert "GLMRegressor" in text and "TreeRegressor" in text
    y = datasets.diabetes()[1].iloc[:200]
    assert f"{r2_score(y, glm.predict(X)):.4f}" in text  # oracle: scikit-learn's R^2
    assert "id='comparison'" not in pages[1][4]


def test_report_shows_surrogate_fidelity_with_bound(pages):
    _, sur, X, _, text = pages[3]
    fid = sur.fidelity_
    section = re.search(r"<p class='fidelity' id='fidelity'>(.*?)</p>", text, re.S).group(1)
    assert f"{fid.value:.4g}" in section
    assert f"{fid.lower:.4g} .. {fid.upper:.4g}" in section
    assert f"n={fid.n}" in section and "interval" in section
    # the independent check: the fidelity is the held-out agreement, between its bounds
    assert fid.lower <= fid.value <= fid.upper
    pred = sur.predict(X)
    black = sur.blackbox_.predict(np.asarray(X, dtype=float))
    assert np.mean(np.asarray(pred) == np.asarray(black)) > 0.8


def test_report_refuses_compare_without_data():
    with pytest.raises(ValueError, match="needs both X and y"):
        compare_families(None, None, classifier=False)


@pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"{CHROMIUM} is absent (Debian package 'chromium'; .ci/run installs it)",
)
def test_report_in_headless_chromium(pages, tmp_path):
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="glassbox-chromium-")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_FLAGS,
                headless=True,
                viewport={"width": 1280, "height": 900},
            )
            try:
                for name, model, _, path, text in pages:
                    page = browser.new_page()
                    problems: list[str] = []
                    page.on(
                        "console",
                        lambda m, p=problems: p.append(m.text) if m.type == "error" else None,
                    )
                    page.on("pageerror", lambda e, p=problems: p.append(str(e)))
                    page.on(
                        "request",
                        lambda r, p=problems: (
                            p.append(f"fetched {r.url}")
                            if not r.url.startswith("file://")
                            else None
                        ),
                    )
                    page.goto(path.as_uri(), wait_until="load")
                    pre = page.locator("#model-text")
                    assert pre.is_visible(), name
                    assert pre.inner_text().rstrip() == str(model).rstrip(), name
                    assert page.title() == f"glassbox report: {type(model).__name__}"
                    figures = page.locator("figure.plot svg")
                    n = figures.count()
                    assert n == text.count("<svg") and n > 0, name
                    for i in range(n):
                        svg = figures.nth(i)
                        svg.scroll_into_view_if_needed()
                        assert svg.is_visible(), f"{name}: plot {i} hidden"
                        box = svg.bounding_box()
                        assert box["width"] > 150 and box["height"] > 100, (name, i, box)
                        # the browser parsed the drawing itself: its content has an extent
                        drawn = svg.evaluate(
                            "e => { const b = e.getBBox(); return b.width * b.height; }"
                        )
                        assert drawn > 1000, (name, i, drawn)
                    if name == "surrogate":
                        assert page.locator("#fidelity").is_visible()
                    shot = tmp_path / f"{name}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
                    assert problems == [], f"{name}: {problems}"
                    page.close()
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
