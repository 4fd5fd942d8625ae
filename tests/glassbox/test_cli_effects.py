"""``glassbox explain --method importance|pdp|ale|counterfactual``: the numbers printed
equal independent computations on the same rows (a slow loop over the saved model's
own predictions for importance, PD and ALE; the Python ``counterfactuals`` for the
counterfactual rows, themselves re-checked on the model here)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from glassbox import io
from glassbox.cli import main
from surrogates import counterfactuals
from surrogates.effects.permutation import draw_permutations


@pytest.fixture(scope="module")
def files(tmp_path_factory, approval_frame):
    tmp = tmp_path_factory.mktemp("cli_effects")
    frame = approval_frame(160, seed=0)
    data = tmp / "credit.csv"
    frame.to_csv(data, index=False)
    paths = {"data": str(data), "frame": frame}
    for family in ("tree", "glm"):
        path = tmp / f"{family}.json"
        argv = ["fit", str(data), "--target", "outcome", "--family", family]
        assert main([*argv, "--save", str(path), "--quiet"]) == 0
        paths[family] = str(path)
    return paths


def _run(capsys, *argv) -> str:
    capsys.readouterr()
    assert main(["explain", *argv, "--quiet"]) == 0
    return capsys.readouterr().out


def _table(out: str) -> list[list[str]]:
    """The indented table lines after the header line, split on whitespace."""
    body = out.split("\n\n", 1)[1]
    return [ln.split() for ln in body.splitlines() if ln.startswith("  ") and ln.strip()]


def _X(files):
    return files["frame"].drop(columns="outcome")


@pytest.mark.parametrize("family", ["tree", "glm"])
def test_importance_equals_a_slow_loop_over_the_model(files, family, capsys):
    out = _run(capsys, files[family], files["data"], "--method", "importance", "--repeats", "4")
    assert "against the target column 'outcome'" in out
    rows = {r[0]: r for r in _table(out)[1:]}
    model = io.load(files[family])
    X, y = _X(files), files["frame"]["outcome"].to_numpy()
    base = np.mean(model.predict(X) == y)
    assert f"baseline {base:.6g}" in out
    perms = draw_permutations(len(X), 3, 4, 0)  # scikit-learn's draws, seed 0
    for j, name in enumerate(X.columns):
        drops = []
        for r in range(4):
            Z = X.copy()
            Z[name] = X[name].to_numpy()[perms[j, r]]
            drops.append(base - np.mean(model.predict(Z) == y))
        assert float(rows[name][1]) == pytest.approx(np.mean(drops), rel=1e-5, abs=1e-9)
        assert float(rows[name][2]) == pytest.approx(np.std(drops), rel=1e-5, abs=1e-9)
    # largest first
    values = [float(r[1]) for r in _table(out)[1:]]
    assert values == sorted(values, reverse=True)


def test_pdp_equals_mean_prediction_with_the_feature_set(files, capsys):
    out = _run(
        capsys, files["glm"], files["data"], "--method", "pdp", "--feature", "income", "--grid", "5"
    )
    model = io.load(files["glm"])
    X = _X(files)
    table = _table(out)
    assert table[0] == ["income", "value"]
    lo, hi = np.quantile(X["income"], [0.05, 0.95])  # scikit-learn's grid rule
    grid = np.linspace(lo, hi, 5)
    positive = list(model.classes_).index("refused")
    assert "output: refused" in out
    for (g, v), want_g in zip(table[1:], grid):
        assert float(g) == pytest.approx(want_g, rel=1e-5)
        Z = X.copy()
        Z["income"] = want_g
        want = model.predict_proba(Z)[:, positive].mean()
        assert float(v) == pytest.approx(want, rel=1e-5, abs=1e-9)


def test_pdp_of_a_text_column_prints_its_levels(files, capsys):
    out = _run(capsys, files["tree"], files["data"], "--method", "pdp", "--feature", "colour")
    model = io.load(files["tree"])
    X = _X(files)
    table = {r[0]: float(r[1]) for r in _table(out)[1:]}
    assert set(table) == {"red", "blue", "green"}
    positive = list(model.classes_).index("refused")
    for level, v in table.items():
        Z = X.copy()
        Z["colour"] = level
        assert v == pytest.approx(model.predict_proba(Z)[:, positive].mean(), rel=1e-5, abs=1e-9)


def test_ale_equals_a_slow_reference(files, capsys):
    out = _run(
        capsys, files["glm"], files["data"], "--method", "ale", "--feature", "debt", "--grid", "6"
    )
    model = io.load(files["glm"])
    X = _X(files)
    positive = list(model.classes_).index("refused")
    x = X["debt"].to_numpy()
    edges = np.unique(np.quantile(x, np.linspace(0, 1, 7)))
    # Apley and Zhu, row by row: bin k holds edges[k-1] < x <= edges[k] (the lowest
    # edge in bin 1); mean difference per bin, accumulated, centred over the rows
    K = len(edges) - 1
    diffs = [[] for _ in range(K)]
    for i in range(len(X)):
        k = max(1, int(np.searchsorted(edges, x[i], side="left")))
        lo_row, hi_row = X.iloc[[i]].copy(), X.iloc[[i]].copy()
        lo_row["debt"], hi_row["debt"] = edges[k - 1], edges[k]
        p = model.predict_proba(pd.concat([lo_row, hi_row]))[:, positive]
        diffs[k - 1].append(p[1] - p[0])
    acc = np.concatenate([[0.0], np.cumsum([np.mean(d) for d in diffs])])
    counts = np.array([len(d) for d in diffs])
    acc -= (((acc[:-1] + acc[1:]) / 2) * counts).sum() / counts.sum()
    table = _table(out)[1:]
    np.testing.assert_allclose([float(r[0]) for r in table], edges, rtol=1e-5)
    np.testing.assert_allclose([float(r[1]) for r in table], acc, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("family", ["tree", "glm"])
def test_counterfactuals_equal_the_python_function(files, family, capsys):
    out = _run(capsys, files[family], files["data"], "--method", "counterfactual", "--rows", "2,3")
    model = io.load(files[family])
    X = _X(files)
    blocks = out.split("\n\n")[1:]
    for i, block in zip((0, 1), blocks):
        cf = counterfactuals(model, X.iloc[[i]], X=X, n=3, random_state=0)
        assert block.startswith(f"line {i + 2}: predicted {cf.original}")
        for j in range(len(cf.rows)):
            assert f"{j + 1}. {cf.describe(j)}" in block
        costs = [float(c) for c in re.findall(r"cost ([-0-9.e+]+),", block)]
        np.testing.assert_allclose(costs, cf.costs, rtol=1e-5)
        # each printed counterfactual really flips the saved model (independent re-check)
        assert (model.predict(cf.rows) != cf.original).all()
        assert f"valid: {len(cf.rows)} of {len(cf.rows)}" in block
        assert ("nearest: proven" in block) == bool(cf.exact)
    assert "nearest: proven" in out  # tree and linear solvers are exact


def test_counterfactual_immutable_and_desired(files, capsys):
    out = _run(
        capsys,
        files["tree"],
        files["data"],
        "--method",
        "counterfactual",
        "--rows",
        "2",
        "--immutable",
        "income",
        "--desired",
        "refused",
    )
    assert "income" not in out.split("\n\n", 1)[1].replace("predicted", "")


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "pdp"], "needs --feature"),
        (["--method", "ale", "--feature", "nope"], "'nope' is not a column"),
        (["--method", "counterfactual", "--desired", "maybe"], "not a class of the model"),
        (["--method", "counterfactual", "--immutable", "nope"], "'nope' is not a column"),
    ],
)
def test_bad_arguments_one_line(files, extra, message, capsys):
    capsys.readouterr()
    assert main(["explain", files["tree"], files["data"], *extra, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def regression(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli_effects_reg")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"hours": rng.uniform(0, 10, 100).round(2), "age": rng.integers(18, 70, 100)}
    )
    frame["score"] = 2.5 * frame.hours + 0.1 * frame.age + rng.normal(0, 0.5, 100)
    data = tmp / "reg.csv"
    frame.to_csv(data, index=False)
    path = tmp / "glm.json"
    argv = ["fit", str(data), "--target", "score", "--family", "glm"]
    assert main([*argv, "--save", str(path), "--quiet"]) == 0
    return str(path), str(data), frame


def test_regressor_importance_pdp_pair_and_counterfactual(regression, capsys):
    from sklearn.metrics import r2_score

    path, data, frame = regression
    model = io.load(path)
    X, y = frame[["hours", "age"]], frame["score"].to_numpy()
    out = _run(capsys, path, data, "--method", "importance", "--repeats", "3", "--seed", "5")
    base = r2_score(y, model.predict(X))  # oracle: scikit-learn's R^2
    assert f"drop in R^2 against the target column 'score', baseline {base:.6g}" in out
    perms = draw_permutations(len(X), 2, 3, 5)
    rows = {r[0]: float(r[1]) for r in _table(out)[1:]}
    for j, name in enumerate(X.columns):
        drops = []
        for r in range(3):
            Z = X.copy()
            Z[name] = X[name].to_numpy()[perms[j, r]]
            drops.append(base - r2_score(y, model.predict(Z)))
        assert rows[name] == pytest.approx(np.mean(drops), rel=1e-5)
    # a pair: PD on the product grid, every cell the mean prediction with both set
    out = _run(
        capsys,
        path,
        data,
        "--method",
        "pdp",
        "--feature",
        "hours",
        "--feature",
        "age",
        "--grid",
        "3",
    )
    table = _table(out)
    assert table[0] == ["hours", "age", "value"] and len(table) == 1 + 9
    for g1, g2, v in table[1:]:
        Z = X.copy()
        Z["hours"], Z["age"] = float(g1), float(g2)
        assert float(v) == pytest.approx(model.predict(Z).mean(), rel=1e-5)
    # counterfactual: the nearest row whose prediction is 20 or more
    out = _run(capsys, path, data, "--method", "counterfactual", "--rows", "2", "--desired", "20:")
    cf = counterfactuals(model, X.iloc[[0]], X=X, desired=(20.0, None), n=3, random_state=0)
    assert f"1. {cf.describe(0)}" in out and (model.predict(cf.rows) >= 20 - 1e-9).all()
    capsys.readouterr()
    assert main(["explain", path, data, "--method", "counterfactual", "--quiet"]) == 2
    assert "needs --desired LOW:HIGH" in capsys.readouterr().err
