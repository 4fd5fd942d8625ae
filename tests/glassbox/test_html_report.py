"""The HTML report: one self-contained offline page, checked as text (its numbers
against scikit-learn's metrics) and then opened in a real headless Chromium
(Debian's /usr/bin/chromium, driven by playwright's Python package; .ci/run
installs the browser)."""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split

from glassbox import GLMClassifier, GLMRegressor, TreeClassifier, datasets
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


def _split(X, y, n, seed=0):
    X, y = X.iloc[:n], y.iloc[:n]
    return train_test_split(X, y, test_size=0.3, random_state=seed)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """name -> (model, X_test, y_test, path, html): a GLM regressor with a comparison,
    a binary tree, a 3-class GLM, an EBM with hidden terms and a surrogate."""
    out = tmp_path_factory.mktemp("reports")
    result = {}
    X, y = datasets.diabetes()
    Xtr, Xte, ytr, yte = _split(X.iloc[:, :5], y, 200)
    glm = GLMRegressor().fit(Xtr, ytr)
    comparison = compare_families(Xtr, ytr, classifier=False, families=["glm", "tree"])
    result["glm"] = (glm, Xte, yte, {"comparison": comparison, "data_name": "diabetes, 30%"})
    Xc, yc = datasets.breast_cancer()
    Xctr, Xcte, yctr, ycte = _split(Xc.iloc[:, :6], yc, 250)
    tree = TreeClassifier(max_depth=3, random_state=0).fit(Xctr, yctr)
    result["tree"] = (tree, Xcte, ycte, {})
    Xw, yw = datasets.wine()
    Xwtr, Xwte, ywtr, ywte = train_test_split(Xw, yw, test_size=0.4, random_state=1, stratify=yw)
    result["glm3"] = (GLMClassifier().fit(Xwtr, ywtr), Xwte, ywte, {"data_role": "train"})
    from glassbox import EBMRegressor
    from glassbox.registry import fast

    ebm = fast(EBMRegressor, interactions=2).fit(Xtr, ytr)
    result["ebm"] = (ebm, Xte, yte, {"max_terms": 3})
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from surrogates import distill

    black = make_pipeline(StandardScaler(), LogisticRegression(C=0.5)).fit(Xctr, yctr)
    sur = distill(black, Xctr, student="tree", n_queries=1000, random_state=0)
    result["surrogate"] = (sur, Xcte, ycte, {})
    rendered = {}
    for name, (model, X_, y_, options) in result.items():
        options = {"data_role": "test", **options}
        path = out / f"{name}.html"
        rendered[name] = (model, X_, y_, path, report(model, X_, y_, path=path, **options))
    return rendered


def _metric(text: str, key: str) -> float:
    cell = re.search(rf"<tr data-metric='{key}'><th>[^<]*</th><td>([^<]*)</td>", text)
    assert cell is not None, key
    return float(cell.group(1))


def _row(text: str, table_id: str, model: str) -> list[float]:
    table = re.search(rf"<table id='{table_id}'>(.*?)</table>", text, re.S).group(1)
    row = re.search(rf"<tr data-model='{model}'>(.*?)</tr>", table, re.S).group(1)
    return [float(v) for v in re.findall(r"<td>([-0-9.]+)</td>", row)]


def test_report_is_self_contained(pages):
    for name, (_, _, _, path, text) in pages.items():
        assert path.read_text(encoding="utf-8") == text
        assert "<script" not in text and "<link" not in text and " src=" not in text, name
        # the only URLs are SVG namespace names, which browsers never fetch
        urls = set(re.findall(r"https?://[^\"'<\s)]+", text))
        assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
        ids = re.findall(r'\bid="([^"]+)"', text) + re.findall(r"\bid='([^']+)'", text)
        assert len(ids) == len(set(ids)), f"{name}: repeated element ids"
        hrefs = re.findall(r'href="([^"]+)"', text)
        assert all(h.startswith(("#", "data:image/png;base64,")) for h in hrefs), name
        refs = set(re.findall(r"url\(#([^)]+)\)", text)) | set(re.findall(r'href="#([^"]+)"', text))
        assert refs <= set(ids), f"{name}: dangling references {sorted(refs - set(ids))[:3]}"


def test_report_holds_model_text_and_every_plot(pages):
    for name, (model, X, _, _, text) in pages.items():
        pre = re.search(r"<pre class='model' id='model-text'>(.*?)</pre>", text, re.S).group(1)
        shown = model.student_ if name == "surrogate" else model
        assert html.unescape(pre) == str(shown), name
        max_terms = 3 if name == "ebm" else 12
        expected = len(plots.plot_model(model, X.iloc[:200], max_terms=max_terms))
        expected += 1  # the calibration or residual plot of the scores
        assert text.count("<figure class='plot'") == expected == text.count("<svg"), name
        assert "regions()" not in text and "sur." not in text  # no Python hints on the page


def test_report_says_which_rows_were_scored(pages):
    assert "held-out test rows (not used in fitting)" in pages["tree"][4]
    assert "(diabetes, 30%)" in pages["glm"][4]
    train = re.search(r"id='data-role'>(.*?)</p>", pages["glm3"][4], re.S).group(1)
    assert "training rows" in train and "optimistic" in train
    model, X, y, _, _ = pages["tree"]
    unstated = report(model, X, y)
    assert "did not say whether the model was fitted on them" in unstated
    with pytest.raises(ValueError, match="data_role"):
        report(model, X, y, data_role="holdout")


def test_regressor_scores_match_scikit_learn(pages):
    model, X, y, _, text = pages["glm"]
    pred = model.predict(X)
    assert _metric(text, "r2") == pytest.approx(r2_score(y, pred), abs=5e-5)
    assert _metric(text, "mae") == pytest.approx(mean_absolute_error(y, pred), abs=5e-5)
    rmse = np.sqrt(np.mean((np.asarray(y) - pred) ** 2))
    assert _metric(text, "rmse") == pytest.approx(rmse, abs=5e-5)
    baseline = mean_absolute_error(y, np.full(len(y), np.mean(y)))
    assert _metric(text, "baseline_mae") == pytest.approx(baseline, abs=5e-5)
    assert "id='plot-residuals'" in text and "id='calibration'" not in text


def test_binary_classifier_scores_match_scikit_learn(pages):
    model, X, y, _, text = pages["tree"]
    pred = model.predict(X)
    assert _metric(text, "accuracy") == pytest.approx(accuracy_score(y, pred), abs=5e-5)
    pos = model.classes_[1]
    auc = roc_auc_score(np.asarray(y) == pos, model.predict_proba(X)[:, 1])
    assert _metric(text, "auc") == pytest.approx(auc, abs=5e-5)
    share = pd.Series(np.asarray(y)).value_counts(normalize=True).max()
    assert _metric(text, "baseline") == pytest.approx(share, abs=5e-5)
    cm = confusion_matrix(y, pred, labels=model.classes_)
    table = re.search(r"<table id='confusion'[^>]*>(.*?)</table>", text, re.S).group(1)
    cells = [int(v) for v in re.findall(r"<td>(\d+)</td>", table)]
    assert cells == cm.ravel().tolist()
    assert "id='plot-calibration'" in text


def test_multiclass_scores_use_one_vs_rest_auc(pages):
    model, X, y, _, text = pages["glm3"]
    auc = roc_auc_score(y, model.predict_proba(X), multi_class="ovr", labels=model.classes_)
    assert _metric(text, "auc") == pytest.approx(auc, abs=5e-5)
    cm = confusion_matrix(y, model.predict(X), labels=model.classes_)
    table = re.search(r"<table id='confusion'[^>]*>(.*?)</table>", text, re.S).group(1)
    assert [int(v) for v in re.findall(r"<td>(\d+)</td>", table)] == cm.ravel().tolist()


def test_hidden_terms_are_counted(pages):
    model, _, _, _, text = pages["ebm"]
    n_terms = len(model.explain_global().shapes)
    assert n_terms > 3
    hidden = re.search(r"id='terms-hidden'>(\d+) more terms? not shown", text)
    assert hidden is not None and int(hidden.group(1)) == n_terms - 3
    assert "id='terms-hidden'" not in pages["glm"][4]


def test_comparison_only_when_passed(pages):
    text = pages["glm"][4]
    assert "id='comparison'" in text
    assert "GLMRegressor" in text and "TreeRegressor" in text
    assert all("id='comparison'" not in pages[n][4] for n in pages if n != "glm")


def test_report_fits_nothing(pages, monkeypatch):
    """Every fit and every comparison raises while the page is written."""
    from sklearn.base import BaseEstimator

    import glassbox.compare

    model, X, y, _, _ = pages["tree"]
    sur = pages["surrogate"][0]

    def refuse(*args, **kwargs):
        raise AssertionError("the report fitted something")

    for cls in {type(model), type(sur.student_), TreeClassifier, BaseEstimator}:
        monkeypatch.setattr(cls, "fit", refuse, raising=False)
    monkeypatch.setattr(glassbox.compare, "compare", refuse)
    monkeypatch.setattr(glassbox.compare, "compare_families", refuse)
    assert "id='scores'" in report(model, X, y, data_role="test")
    assert "id='bb-scores'" in report(sur, X, y, data_role="test")


def test_surrogate_scores_and_fidelity_on_real_rows(pages):
    sur, X, y, _, text = pages["surrogate"]
    black = sur.blackbox_.predict(X)
    mine = sur.predict(X)
    acc_bb, auc_bb = _row(text, "bb-scores", "blackbox")
    acc_sur, auc_sur = _row(text, "bb-scores", "surrogate")
    assert acc_bb == pytest.approx(accuracy_score(y, black), abs=5e-5)
    assert acc_sur == pytest.approx(accuracy_score(y, mine), abs=5e-5)
    pos = sur.classes_[1]
    proba_bb = sur.blackbox_(X)[:, 1]
    assert auc_bb == pytest.approx(roc_auc_score(np.asarray(y) == pos, proba_bb), abs=5e-5)
    assert auc_sur == pytest.approx(
        roc_auc_score(np.asarray(y) == pos, sur.predict_proba(X)[:, 1]), abs=5e-5
    )
    rows = re.search(r"id='fidelity-rows'>(.*?)</p>", text, re.S).group(1)
    agreement = np.mean(np.asarray(black) == np.asarray(mine))  # the oracle: plain counting
    assert f"these {len(X):,} real rows" in rows
    assert float(re.search(r"<b>([0-9.]+)</b>", rows).group(1)) == pytest.approx(
        agreement, abs=5e-5
    )
    held = re.search(r"id='fidelity'>(.*?)</p>", text, re.S).group(1)
    fid = sur.fidelity_
    assert f"<b>{fid.value:.4f}</b>" in held
    assert f"{fid.lower:.4f} .. {fid.upper:.4f}" in held


def test_calibration_plot_matches_scikit_learn_quantile_bins():
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(0)
    p = rng.uniform(size=200)
    y = rng.uniform(size=200) < p
    fig = plots.calibration(y, p, n_bins=10)
    ax = fig.axes[0]
    line = ax.lines[1]
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="quantile")
    np.testing.assert_allclose(line.get_xdata(), prob_pred, rtol=1e-12)
    np.testing.assert_allclose(line.get_ydata(), prob_true, rtol=1e-12)


def test_residual_plot_points():
    y = np.array([1.0, 2.0, 4.0])
    pred = np.array([1.5, 2.0, 3.0])
    fig = plots.residuals(y, pred)
    offsets = fig.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(offsets, np.column_stack([pred, y - pred]))


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
                for name, (model, _, _, path, text) in pages.items():
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
                    shown = model.student_ if name == "surrogate" else model
                    assert pre.inner_text().rstrip() == str(shown).rstrip(), name
                    assert page.title() == f"glassbox report: {type(model).__name__}"
                    assert page.locator("#data-role").is_visible(), name
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
                        assert page.locator("#fidelity-rows").is_visible()
                    shot = tmp_path / f"{name}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
                    assert problems == [], f"{name}: {problems}"
                    page.close()
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_regression_surrogate_scores_match_scikit_learn():
    from sklearn.ensemble import RandomForestRegressor

    from surrogates import distill

    X, y = datasets.diabetes()
    X, y = X.iloc[:260, :4], y.iloc[:260]
    Xtr, Xte, ytr, yte = X.iloc[:180], X.iloc[180:], y.iloc[:180], y.iloc[180:]
    forest = RandomForestRegressor(n_estimators=10, random_state=0).fit(Xtr, ytr)
    sur = distill(forest, Xtr, student="glm", n_queries=400, random_state=0, progress=False)
    text = report(sur, Xte, yte, data_role="test")
    r2_bb, mae_bb = _row(text, "bb-scores", "blackbox")
    r2_sur, mae_sur = _row(text, "bb-scores", "surrogate")
    assert r2_bb == pytest.approx(r2_score(yte, forest.predict(Xte)), abs=5e-5)
    assert mae_bb == pytest.approx(mean_absolute_error(yte, forest.predict(Xte)), abs=5e-5)
    assert r2_sur == pytest.approx(r2_score(yte, sur.predict(Xte)), abs=5e-5)
    assert mae_sur == pytest.approx(mean_absolute_error(yte, sur.predict(Xte)), abs=5e-5)
    rows = re.search(r"id='fidelity-rows'>(.*?)</p>", text, re.S).group(1)
    fid = r2_score(forest.predict(Xte), sur.predict(Xte))  # R^2 against the black box
    assert float(re.search(r"<b>([-0-9.]+)</b>", rows).group(1)) == pytest.approx(fid, abs=5e-5)
