"""The glassbox command: demo, fit, help, and one-line errors with status 2."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from glassbox.cli import main


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "fit" in out


@pytest.mark.parametrize("command", ["demo", "fit"])
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "--quiet" in capsys.readouterr().out


def test_demo_prints_models_and_comparison(capsys):
    assert main(["demo", "--quiet", "--family", "glm", "--family", "tree"]) == 0
    out = capsys.readouterr().out
    for name in ["GLMClassifier", "TreeClassifier", "GLMRegressor", "TreeRegressor"]:
        assert f"=== {name} on" in out
    assert "worst radius" in out and "bmi" in out  # real feature names
    assert "comparison" in out and "fit_seconds" in out


def _csv(tmp_path, frame):
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_fit_csv_classification_with_text_column(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"dose": rng.uniform(0, 10, 120), "colour": rng.choice(["red", "blue"], 120)}
    )
    frame["outcome"] = np.where(frame.dose + (frame.colour == "red") * 3 > 6, "sick", "well")
    assert main(["fit", _csv(tmp_path, frame), "--target", "outcome", "--family", "tree"]) == 0
    out = capsys.readouterr().out
    assert "TreeClassifier" in out and "dose" in out


def test_fit_csv_regression(tmp_path, capsys):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"hours": rng.uniform(0, 10, 80)})
    frame["score"] = 2.5 * frame.hours + 1 + rng.normal(0, 0.5, 80)
    assert main(["fit", _csv(tmp_path, frame), "--target", "score"]) == 0
    out = capsys.readouterr().out
    assert "E[y] = " in out and "hours" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["fit", "/no/such/file.csv", "--target", "y"], "no such file"),
        (["fit", "DATA", "--target", "missing"], "target column 'missing'"),
        (["fit", "DATA", "--target", "y", "--family", "nope"], "invalid choice"),
        (["fit", "DATA"], "--target"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_one_line(tmp_path, args, message):
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [0.0, 1.0, 0.0]})
    args = [_csv(tmp_path, frame) if a == "DATA" else a for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "glassbox.cli", *args], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_malformed_csv_exit_2(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b'a,b\n1,2\n\xff\xfe\x00garbage,"unterminated\n')
    proc = subprocess.run(
        [sys.executable, "-m", "glassbox.cli", "fit", str(path), "--target", "b"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
