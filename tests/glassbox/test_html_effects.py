"""The report's optional sections for global effects and counterfactuals: present only
when the caller passes the results, their numbers equal the results passed, and the
page computes none of them (the surrogates functions are made to fail while it is
written). Then the page is opened in headless Chromium."""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile

import numpy as np
import pandas as pd
import pytest

import surrogates
import surrogates.effects
from glassbox import TreeClassifier
from glassbox.render.html import report
from surrogates import counterfactuals
from surrogates.effects import (
    ale,
    interaction_strength,
    partial_dependence,
    permutation_importance,
)

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {"income": rng.uniform(1000, 5000, 150).round(0), "debt": rng.uniform(0, 2000, 150)}
    )
    y = np.where(X.income - X.debt > 2000, "approved", "refused")
    model = TreeClassifier(max_depth=3).fit(X, y)
    effects = [
        permutation_importance(model, X, y, n_repeats=4, random_state=0),
        partial_dependence(model, X, "income", kind="both", grid=12),
        ale(model, X, "debt", bins=8, n_bootstrap=10, random_state=0),
        interaction_strength(model, X, max_rows=40, random_state=0),
    ]
    cf = counterfactuals(model, X.iloc[[0]], X=X, n=2, random_state=0)
    return model, X, y, effects, cf


def _no_compute(monkeypatch):
    """Every way the page could compute an effect or a counterfactual fails."""

    def refuse(*a, **k):
        raise AssertionError("the report computed an effect; it must only draw what it is given")

    for mod in (surrogates, surrogates.effects):
        names = ("permutation_importance", "partial_dependence", "ale", "counterfactuals")
        for name in names + ("prototypes", "interaction_strength"):
            if hasattr(mod, name):
                monkeypatch.setattr(mod, name, refuse)


def test_no_sections_unless_passed(fitted, monkeypatch):
    model, X, y, _, _ = fitted
    _no_compute(monkeypatch)
    page = report(model, X, y)
    assert "id='effects'" not in page and "id='counterfactuals'" not in page
    assert "plot-effect-" not in page


def test_effects_section_draws_the_results_passed(fitted, monkeypatch):
    model, X, y, effects, _ = fitted
    _no_compute(monkeypatch)
    page = report(model, X, y, effects=effects)
    assert "id='effects'" in page and "id='counterfactuals'" not in page
    for i in range(4):
        assert f"id='plot-effect-{i}'" in page
    assert "Interaction strength (Friedman&#x27;s H)" in page
    assert "Partial dependence on income with ICE curves" in page
    assert "Accumulated local effects of debt" in page
    # the importance table holds the numbers passed (4 significant digits)
    imp = effects[0]
    table = re.search(r"id='effect-0-table'.*?</table>", page, re.S).group(0)
    head = re.findall(r"<th>(.*?)</th>", table)
    cells = [
        re.findall(r"<td>(.*?)</td>", r, re.S) for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    cells = [dict(zip(head, c)) for c in cells if c]
    assert [c["feature"] for c in cells] == [
        imp.term_names[j] for j in np.argsort(-imp.importances, kind="stable")
    ]
    for row in cells:
        j = imp.term_names.index(row["feature"])
        assert float(row["importance"]) == pytest.approx(imp.importances[j], rel=1e-3, abs=1e-9)
        assert float(row["ci_low"]) == pytest.approx(imp.extras["ci_low"][j], rel=1e-3, abs=1e-9)
        assert float(row["std"]) == pytest.approx(imp.extras["std"][j], rel=1e-3, abs=1e-9)
    # one result alone is taken as a list of one
    single = report(model, effects=effects[1])
    assert "id='plot-effect-0'" in single and "plot-effect-1" not in single


def test_counterfactual_section(fitted, monkeypatch):
    model, X, y, _, cf = fitted
    _no_compute(monkeypatch)
    page = report(model, X, y, counterfactuals=cf)
    assert "id='counterfactuals'" in page and "id='effects'" not in page
    for j in range(len(cf.rows)):
        assert html.escape(cf.describe(j), quote=True) in page
    # validity as re-checked here on the model (independent of the stored flags)
    flips = int((model.predict(cf.rows) != cf.original).sum())
    assert f"data-valid='{flips}' data-n='{len(cf.rows)}'" in page
    assert f"data-exact='{str(bool(cf.exact)).lower()}'" in page
    assert ("proven nearest" in page) == bool(cf.exact)
    two = report(model, counterfactuals=[cf, cf])
    assert "id='cf-1'" in two


def test_prototypes_gallery_or_table(fitted, monkeypatch):
    from sklearn.datasets import load_digits

    from surrogates.prototypes import prototypes

    model, X, *_ = fitted
    D, labels = load_digits(return_X_y=True)
    gallery = prototypes(D[:200], 10, n_criticisms=2, y=labels[:200])
    rows = prototypes(X.to_numpy(), 3)  # two columns: not pictures, shown as a table
    _no_compute(monkeypatch)
    import sys

    monkeypatch.setattr(sys.modules["surrogates.prototypes"], "prototypes", lambda *a, **k: 1 / 0)
    page = report(model, effects=[gallery, rows])
    assert "id='plot-effect-0'" in page and "Prototypes and criticisms" in page
    table = re.search(r"id='effect-1-table' data-kind='prototypes'>.*?</table>", page, re.S)
    assert table is not None
    for i in rows.prototype_indices:  # the chosen rows' indices, as passed
        assert f"<td>{int(i)}</td>" in table.group(0)


def test_refuses_what_is_not_an_effect(fitted):
    model = fitted[0]
    with pytest.raises(TypeError, match="effects must be"):
        report(model, effects=[object()])


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent")
def test_effects_report_in_headless_chromium(fitted, tmp_path):
    from playwright.sync_api import sync_playwright

    model, X, y, effects, cf = fitted
    path = tmp_path / "effects.html"
    report(model, X, y, effects=effects, counterfactuals=cf, path=path)
    shots = os.environ.get("GLASSBOX_SCREENS")  # keep the screenshot where a person looks
    profile = tempfile.mkdtemp(prefix="glassbox-chromium-")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
                headless=True,
                viewport={"width": 1280, "height": 900},
            )
            try:
                page = browser.new_page()
                problems: list[str] = []
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.goto(path.as_uri(), wait_until="load")
                for key in ("#effects", "#counterfactuals", "#effect-0-table"):
                    assert page.locator(key).is_visible(), key
                for i in range(4):
                    svg = page.locator(f"#plot-effect-{i} svg")
                    svg.scroll_into_view_if_needed()
                    box = svg.bounding_box()
                    assert box["width"] > 150 and box["height"] > 100, (i, box)
                items = page.locator("#cf-0 li")
                assert items.count() == len(cf.rows)
                assert items.nth(0).inner_text().startswith(cf.describe(0))
                out = (tmp_path if not shots else __import__("pathlib").Path(shots)) / (
                    "report_effects.png"
                )
                page.screenshot(path=str(out), full_page=True)
                assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
                assert problems == []
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
