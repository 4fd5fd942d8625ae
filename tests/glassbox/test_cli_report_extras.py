"""``glassbox report --effects --counterfactuals N``: the page shows permutation
importances equal to a slow loop over the saved model's own predictions, partial
dependence and ALE plots for the most important numeric columns, and counterfactual
rows that the model, asked here, predicts as the other class."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from glassbox import io
from glassbox.cli import main
from surrogates.effects.permutation import draw_permutations


@pytest.fixture(scope="module")
def page(tmp_path_factory, approval_frame):
    tmp = tmp_path_factory.mktemp("report_extras")
    frame = approval_frame(150, seed=1)
    data, model, out = tmp / "credit.csv", tmp / "tree.json", tmp / "report.html"
    frame.to_csv(data, index=False)
    fit = ["fit", str(data), "--target", "outcome", "--family", "tree", "--test-size", "0"]
    assert main([*fit, "--param", "max_depth=3", "--save", str(model), "--quiet"]) == 0
    argv = ["report", str(model), "--data", str(data), "-o", str(out)]
    assert main([*argv, "--effects", "--counterfactuals", "2", "--quiet"]) == 0
    return frame, io.load(model), html.unescape(out.read_text(encoding="utf-8"))


def _cell_after(text: str, name: str) -> float:
    m = re.search(rf"<td[^>]*>{name}</td>\s*<td[^>]*>([^<]+)</td>", text)
    assert m, name
    return float(m.group(1))


def test_importances_equal_a_slow_loop(page):
    frame, model, text = page
    assert "id='effects'" in text
    X, y = frame.drop(columns="outcome"), frame["outcome"].to_numpy()
    base = np.mean(model.predict(X) == y)
    perms = draw_permutations(len(X), X.shape[1], 5, 0)  # scikit-learn's draws, seed 0
    for j, name in enumerate(X.columns):
        drops = []
        for r in range(5):
            Z = X.copy()
            Z[name] = X[name].to_numpy()[perms[j, r]]
            drops.append(base - np.mean(model.predict(Z) == y))
        assert _cell_after(text, name) == pytest.approx(np.mean(drops), rel=1e-3, abs=1e-9)


def test_effect_plots_are_for_numeric_columns(page):
    _, _, text = page
    assert "Partial dependence on income" in text and "Partial dependence on debt" in text
    assert "Accumulated local effects of income" in text
    assert "Partial dependence on colour" not in text  # a text column: no curve over codes


def test_counterfactual_rows_flip_the_prediction(page):
    frame, model, text = page
    assert "id='counterfactuals'" in text
    X = frame.drop(columns="outcome")
    for i in range(2):
        original = model.predict(X.iloc[[i]])[0]
        other = next(c for c in model.classes_ if c != original)
        sentences = re.findall(rf"turns '{original}' into '{other}'", text)
        assert sentences, f"row {i}: no counterfactual sentence"
    # every counterfactual row shown, asked of the model here, gets the other class
    tables = re.findall(r"<div class='counterfactual'.*?</div>", text, flags=re.S)
    assert len(tables) == 2
    for block in tables:
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", block, flags=re.S)
        head = re.findall(r"<th[^>]*>([^<]+)</th>", rows[0])
        for row in rows[1:]:
            cells = dict(zip(head, re.findall(r"<td[^>]*>([^<]*)</td>", row)))
            Z = pd.DataFrame(
                [
                    {
                        "income": float(cells["income"]),
                        "debt": float(cells["debt"]),
                        "colour": cells["colour"],
                    }
                ]
            )
            assert str(model.predict(Z)[0]) == cells["outcome"]
