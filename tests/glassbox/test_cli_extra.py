"""The glassbox command's model-file sub-commands: fit --save, compare, explain,
report; each with --help, --quiet, and exit status 2 plus one line on bad input."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from glassbox import io
from glassbox.cli import main


@pytest.fixture(scope="module")
def regression_csv(tmp_path_factory):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"hours": rng.uniform(0, 10, 90), "sleep": rng.uniform(4, 9, 90)})
    frame["site"] = rng.choice(["north", "south"], 90)
    frame["score"] = (
        2.5 * frame.hours - 1.2 * frame.sleep + 3 * (frame.site == "north") + rng.normal(0, 0.5, 90)
    )
    path = tmp_path_factory.mktemp("data") / "study.csv"
    frame.to_csv(path, index=False)
    return path, frame


@pytest.fixture(scope="module")
def saved_glm(regression_csv, tmp_path_factory):
    path, _ = regression_csv
    model_path = tmp_path_factory.mktemp("models") / "glm.json"
    argv = ["fit", str(path), "--target", "score", "--test-size", "0", "--save", str(model_path)]
    assert main(argv + ["--quiet"]) == 0
    return model_path


@pytest.mark.parametrize("command", ["compare", "explain", "report"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--quiet" in out and "usage: glassbox " + command in out


def test_top_level_help_lists_new_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("compare", "explain", "report"):
        assert command in out


def test_fit_save_writes_a_loadable_model(regression_csv, saved_glm):
    _, frame = regression_csv
    model = io.load(saved_glm)
    X = frame.drop(columns="score")
    assert list(model.feature_names_in_) == ["hours", "sleep", "site"]  # raw columns, no dummies
    # oracle: ordinary least squares by scikit-learn on one-hot columns
    D = pd.get_dummies(X, columns=["site"], prefix_sep="=", dtype=float)
    ols = LinearRegression().fit(D, frame.score)
    np.testing.assert_allclose(model.predict(X), ols.predict(D), rtol=1e-8, atol=1e-8)


def test_compare_table_matches_independent_fit(regression_csv, capsys):
    path, frame = regression_csv
    assert (
        main(
            [
                "compare",
                str(path),
                "--target",
                "score",
                "--family",
                "glm",
                "--family",
                "tree",
                "--quiet",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "GLMRegressor" in out and "TreeRegressor" in out and "complexity" in out
    X = pd.get_dummies(frame.drop(columns="score"), columns=["site"], prefix_sep="=", dtype=float)
    X_tr, X_te, y_tr, y_te = train_test_split(X, frame.score, test_size=0.25, random_state=0)
    expected = r2_score(y_te, LinearRegression().fit(X_tr, y_tr).predict(X_te))
    row = next(line for line in out.splitlines() if line.strip().startswith("GLMRegressor"))
    assert float(row.split()[2]) == pytest.approx(expected, abs=5e-4)


def test_compare_classification_family_without_classifier(tmp_path, capsys):
    frame = pd.DataFrame({"a": np.arange(40.0), "t": ["x", "y"] * 20})
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    from glassbox.registry import FAMILIES

    regress_only = [n for n, (c, _) in FAMILIES.items() if c is None]
    if regress_only:
        assert main(["compare", str(path), "--target", "t", "--family", regress_only[0]]) == 2
        assert "has a classification model" in capsys.readouterr().err


def test_explain_contributions_add_up_to_predictions(regression_csv, saved_glm, capsys):
    path, frame = regression_csv
    assert (
        main(
            ["explain", str(saved_glm), str(path), "--target", "score", "--rows", "2-4", "--quiet"]
        )
        == 0
    )
    out = capsys.readouterr().out
    outputs = [float(v) for v in re.findall(r"prediction = base .* = (\S+)", out)]
    predicted = [float(v) for v in re.findall(r": predicted (\S+)", out)]
    assert len(outputs) == 3 and len(predicted) == 3
    X = pd.get_dummies(frame.drop(columns="score"), columns=["site"], prefix_sep="=", dtype=float)
    ols = LinearRegression().fit(X, frame.score)  # oracle
    np.testing.assert_allclose(outputs, ols.predict(X.iloc[:3]), rtol=1e-3)
    np.testing.assert_allclose(predicted, ols.predict(X.iloc[:3]), rtol=1e-3)
    assert "hours = " in out and re.search(r"site = (north|south)", out)


def test_report_writes_html(regression_csv, saved_glm, tmp_path, capsys):
    path, _ = regression_csv
    out = tmp_path / "r.html"
    assert (
        main(
            [
                "report",
                str(saved_glm),
                "--data",
                str(path),
                "--target",
                "score",
                "-o",
                str(out),
                "--compare",
                "--fast",
                "--family",
                "glm",
                "--family",
                "tree",
                "--quiet",
            ]
        )
        == 0
    )
    page = out.read_text()
    assert "GLMRegressor" in page and "<svg" in page and "id='comparison'" in page
    assert capsys.readouterr().err == ""  # --quiet: nothing on stderr


# --- errors: status 2, one line, no traceback ---------------------------------------


def _one_line_error(capsys, argv, pattern):
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors exit from inside parse_args
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert re.search(pattern, err), err


def test_missing_model_file(regression_csv, capsys, tmp_path):
    path, _ = regression_csv
    _one_line_error(capsys, ["explain", str(tmp_path / "nope.json"), str(path)], "no such file")
    _one_line_error(
        capsys,
        ["report", str(tmp_path / "nope.json"), "-o", str(tmp_path / "r.html")],
        "no such file",
    )


def test_corrupt_and_edited_model_files(regression_csv, saved_glm, capsys, tmp_path):
    path, _ = regression_csv
    text = saved_glm.read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[:100])
    _one_line_error(capsys, ["explain", str(cut), str(path)], "truncated or corrupt")
    edited = tmp_path / "edited.json"
    edited.write_text(text.replace('"alpha":0.0', '"alpha":0.5', 1))
    assert edited.read_text() != text
    _one_line_error(capsys, ["report", str(edited), "-o", str(tmp_path / "r.html")], "checksum")
    _one_line_error(capsys, ["explain", str(tmp_path), str(path)], "directory|not a regular file")


def test_bad_data_and_arguments(regression_csv, saved_glm, capsys, tmp_path):
    path, frame = regression_csv
    _one_line_error(capsys, ["explain", str(saved_glm), str(tmp_path / "none.csv")], "no such file")
    frame.drop(columns="hours").to_csv(tmp_path / "less.csv", index=False)
    _one_line_error(capsys, ["explain", str(saved_glm), str(tmp_path / "less.csv")], "hours")
    _one_line_error(capsys, ["explain", str(saved_glm), str(path), "--top", "0"], "at least 1")
    _one_line_error(capsys, ["explain", str(saved_glm), str(path), "--rows", "1"], "not found")
    _one_line_error(
        capsys, ["explain", str(saved_glm), str(path), "--method", "magic"], "invalid choice"
    )
    _one_line_error(
        capsys,
        ["report", str(saved_glm), "--compare", "-o", "x.html"],
        "--compare needs --data",
    )
    _one_line_error(capsys, ["report", str(saved_glm)], "required: -o")
    _one_line_error(capsys, ["compare", str(path), "--target", "nope"], "not in")
    _one_line_error(
        capsys,
        ["fit", str(path), "--target", "score", "--save", str(tmp_path / "no" / "dir" / "m.json")],
        "cannot write",
    )


def test_exit_status_in_a_real_process(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "glassbox.cli", "explain", str(tmp_path / "x.json"), "y.csv"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("glassbox: error: cannot read")
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_explain_tree_shap_matches_shap_package(regression_csv, tmp_path, capsys):
    import shap

    _, frame = regression_csv
    numeric = frame.drop(columns="site")  # TreeSHAP through the shap package needs numbers
    path = tmp_path / "numeric.csv"
    numeric.to_csv(path, index=False)
    model_path = tmp_path / "tree.json"
    argv = ["fit", str(path), "--target", "score", "--family", "tree", "--test-size", "0"]
    assert main(argv + ["--save", str(model_path), "--quiet"]) == 0
    capsys.readouterr()
    argv = ["explain", str(model_path), str(path), "--rows", "2-3", "--top", "4", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    model = io.load(model_path)
    X = numeric.drop(columns="score")
    oracle = shap.TreeExplainer(model.estimator_).shap_values(X.iloc[:2].to_numpy())
    blocks = out.split("\n\n")[1:]
    assert [b.split(":")[0] for b in blocks] == ["line 2", "line 3"]
    for i, block in enumerate(blocks):
        found = re.findall(r"^\s+([+-]\S+)\s+(\S+) = ", block, re.M)
        assert found
        for value, name in found:
            j = list(X.columns).index(name)
            assert float(value) == pytest.approx(oracle[i, j], rel=1e-3, abs=1e-6)
    outputs = [float(v) for v in re.findall(r"prediction = base .* = (\S+)", out)]
    np.testing.assert_allclose(outputs, model.predict(X.iloc[:2]), rtol=1e-3)


def test_explain_local_surrogate(regression_csv, saved_glm, capsys):
    path, frame = regression_csv
    argv = ["explain", str(saved_glm), str(path), "--method", "local", "--rows", "2,4", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("black box: prediction = ") == 2 and out.count("local R^2") == 2
    # the black box's output printed is the model's prediction (oracle: OLS on the rows)
    X = pd.get_dummies(frame.drop(columns="score"), columns=["site"], prefix_sep="=", dtype=float)
    ols = LinearRegression().fit(X, frame.score)
    printed = [float(v) for v in re.findall(r"black box: prediction = (\S+)", out)]
    np.testing.assert_allclose(printed, ols.predict(X.iloc[[0, 2]]), rtol=1e-3)
    assert "hours = " in out


def test_report_of_a_saved_surrogate(tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression

    from surrogates import distill

    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["dose", "age", "weight"])
    y = np.where(X.dose - 0.5 * X.age > 0, "sick", "well")
    black = LogisticRegression().fit(X, y)
    sur = distill(black.predict_proba, X, student="tree", n_queries=300, random_state=0)
    io.save(sur, tmp_path / "sur.json")
    out = tmp_path / "sur.html"
    assert main(["report", str(tmp_path / "sur.json"), "-o", str(out), "--quiet"]) == 0
    page = out.read_text()
    assert "id='fidelity'" in page and f"{sur.fidelity_.value:.4g}" in page
    assert "dose" in page
