"""The command line's options on small tables: --task auto, --param, --ordered, --rows,
dates, pickles, xgboost model files for distill, --version; each refusal one line, status 2."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from glassbox import io
from glassbox.cli import _param, _parse_rows, main


def _run(capsys, argv):
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:
        status = exc.code
    out = capsys.readouterr()
    return status, out.out, out.err


def _error(capsys, argv, pattern):
    status, _, err = _run(capsys, argv)
    assert status == 2, err
    lines = [line for line in err.splitlines() if not line.startswith(("note:", "warning:"))]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(pattern, lines[0]), lines[0]


def _csv(tmp_path, frame, name="d.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def numeric(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.uniform(0, 5, 120)})
    frame["y"] = 2 * frame.a - frame.b + rng.normal(0, 0.1, 120)
    return _csv(tmp_path, frame), frame


def test_version(capsys):
    from importlib.metadata import version

    status, out, _ = _run(capsys, ["--version"])
    assert status == 0 and out.strip() == f"glassbox {version('glassbox')}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("max_depth=3", ("max_depth", 3)),
        ("C=0.5", ("C", 0.5)),
        ("fit_intercept=true", ("fit_intercept", True)),
        ("fit_intercept=False", ("fit_intercept", False)),
        ("class_weight=None", ("class_weight", None)),
        ("lam_grid=[0.1, 10]", ("lam_grid", [0.1, 10])),
        ("family=poisson", ("family", "poisson")),
        ('name="3"', ("name", "3")),
    ],
)
def test_param_values(text, expected):
    assert _param(text) == expected


def test_rows_selection():
    assert _parse_rows("2,5,10-12") == ["2", "5", "10", "11", "12"]
    assert _parse_rows(" a7 , 9 ") == ["a7", "9"]


@pytest.mark.parametrize(
    "values, task, says",
    [
        (np.tile([0, 1, 2], 40), "classification", "3 integer values"),
        (np.arange(120) % 10, "regression", r"10 integer values from 0 to 9 \(a count\)"),
        (np.linspace(0, 1, 120), "regression", "is a number"),
        (np.tile(["no", "yes"], 60), "classification", "text or boolean"),
    ],
)
def test_task_auto_says_what_it_chose(numeric, tmp_path, capsys, values, task, says):
    _, frame = numeric
    path = _csv(tmp_path, frame.assign(y=values))
    status, out, err = _run(capsys, ["fit", path, "--target", "y", "--family", "tree", "--quiet"])
    assert status == 0, err
    line = next(s for s in out.splitlines() if s.startswith("task: "))
    assert line.startswith(f"task: {task} (--task auto: 'y' ") and re.search(says, line)


def test_held_out_score_equals_sklearn_on_those_rows(numeric, tmp_path, capsys):
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split

    path, frame = numeric
    status, out, err = _run(
        capsys, ["fit", path, "--target", "y", "--test-size", "0.3", "--seed", "7", "--quiet"]
    )
    assert status == 0, err
    X, y = frame[["a", "b"]], frame.y
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=7)
    expected = r2_score(y_te, LinearRegression().fit(X_tr, y_tr).predict(X_te))
    m = re.search(r"held-out score \((\d+) rows not used in fitting\): R\^2 (\S+)", out)
    assert int(m.group(1)) == 36 and float(m.group(2)) == pytest.approx(expected, abs=5e-5)
    assert "split: fit on 84 rows, 36 held out" in out


def test_settings_printed(numeric, capsys):
    path, _ = numeric
    status, out, _ = _run(capsys, ["fit", path, "--target", "y", "--family", "ebm", "--quiet"])
    assert status == 0
    assert "model: EBMRegressor(random_state=0); other parameters: the family's defaults" in out
    status, out, _ = _run(
        capsys, ["fit", path, "--target", "y", "--family", "ebm", "--fast", "--quiet"]
    )
    line = next(s for s in out.splitlines() if s.startswith("model: "))
    assert "outer_bags=1" in line and "--fast" in line


def test_bad_options(numeric, tmp_path, capsys):
    path, frame = numeric
    _error(capsys, ["fit", path, "--target", "y", "--drop", "nope"], r"--drop names.*'nope'")
    _error(capsys, ["fit", path, "--target", "y", "--test-size", "1.5"], r"\[0, 1\)")
    _error(capsys, ["fit", path, "--target", "y", "--param", "oops"], "KEY=VALUE")
    _error(
        capsys,
        ["fit", path, "--target", "y", "--family", "tree", "--param", "max_depth=-3"],
        "max_depth",
    )
    classes = _csv(tmp_path, frame.assign(y=np.tile(["p", "q"], 60)), "c.csv")
    _error(
        capsys,
        ["fit", classes, "--target", "y", "--glm-family", "poisson"],
        "--glm-family is for a GLM regression",
    )
    gaps = frame.astype({"y": float})
    gaps.loc[[4, 9], "y"] = np.nan
    _error(
        capsys,
        ["fit", _csv(tmp_path, gaps, "g.csv"), "--target", "y"],
        r"'y' has 2 missing values \(CSV lines 6, 11\)",
    )


def test_dates_and_ordered_levels(numeric, tmp_path, capsys):
    _, frame = numeric
    dated = frame.assign(when=pd.date_range("2024-01-01", periods=120).astype(str))
    _error(
        capsys,
        ["fit", _csv(tmp_path, dated, "dates.csv"), "--target", "y"],
        r"column 'when' holds dates.*--drop when",
    )
    graded = frame.assign(g=np.tile(["low", "mid", "high"], 40))
    graded.loc[7, "g"] = "top"
    path = _csv(tmp_path, graded, "graded.csv")
    _error(
        capsys,
        ["fit", path, "--target", "y", "--ordered", "g=low,mid,high"],
        r"'g' has value 'top' at CSV line 9.*--ordered levels",
    )
    _error(capsys, ["fit", path, "--target", "y", "--ordered", "g=low"], "at least two levels")


def test_explain_rows_not_found_and_id(numeric, tmp_path, capsys):
    path, _ = numeric
    model = tmp_path / "m.json"
    assert _run(capsys, ["fit", path, "--target", "y", "--save", model, "--quiet"])[0] == 0
    _error(capsys, ["explain", model, path, "--rows", "1"], r"--rows \['1'\] not found")
    _error(capsys, ["explain", model, path, "--id", "nope"], "--id column 'nope'")
    status, out, _ = _run(capsys, ["explain", model, path, "--rows", "121", "--quiet"])
    assert status == 0 and out.count("line 121: predicted") == 1


def test_distill_refuses_pickles(numeric, tmp_path, capsys):
    path, _ = numeric
    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(b"\x80\x04not really")
    _error(capsys, ["distill", pkl, path], "pickle file, which can run code")


def test_distill_an_xgboost_model_file(tmp_path, capsys):
    import xgboost as xgb
    from scipy.stats import beta

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["dose", "age", "weight"])
    y = (X.dose - 0.5 * X.age > 0).astype(int)
    clf = xgb.XGBClassifier(n_estimators=20, max_depth=2, n_jobs=1).fit(X, y)
    model_path = tmp_path / "xgb.json"
    clf.get_booster().save_model(model_path)
    path = _csv(tmp_path, X.assign(outcome=y), "x.csv")
    status, out, err = _run(
        capsys,
        ["distill", model_path, path, "--target", "outcome", "--student", "tree",
         "--param", "max_depth=2", "--n-queries", "400", "--save", tmp_path / "s.json",
         "--quiet"],
    )  # fmt: skip
    assert status == 0, err
    assert "black box: Booster" in out and "dose" in out
    m = re.search(
        r"fidelity on (\d+) held-out queries: agreement (\S+) \(95% interval (\S+) \.\. (\S+),", out
    )
    n, value, lo = int(m.group(1)), float(m.group(2)), float(m.group(3))
    k = round(value * n)  # oracle: the exact Clopper-Pearson lower bound by scipy
    assert lo == pytest.approx(beta.ppf(0.025, k, n - k + 1), abs=1e-4)
    m = re.search(r"fidelity on the 300 rows of x.csv: agreement (\S+)", out)
    # oracle: agreement of the saved surrogate with xgboost's own predicted class
    sur = io.load(tmp_path / "s.json")
    black = (clf.predict_proba(X)[:, 1] > 0.5).astype(int)
    agree = np.mean(np.asarray(sur.predict(X)).astype(float) == black)
    assert float(m.group(1)) == pytest.approx(agree, abs=5e-5)


def test_report_says_which_rows_it_scored(numeric, tmp_path, capsys):
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split

    path, frame = numeric
    model = tmp_path / "m.json"
    assert _run(capsys, ["fit", path, "--target", "y", "--save", model, "--quiet"])[0] == 0
    page_path = tmp_path / "r.html"
    # the file the model was fitted on: the rows held out at fit
    assert _run(capsys, ["report", model, "--data", path, "-o", page_path, "--quiet"])[0] == 0
    page = page_path.read_text()
    assert "held-out test rows (not used in fitting)" in page and "30 rows, seed 0" in page
    X_tr, X_te, y_tr, y_te = train_test_split(frame[["a", "b"]], frame.y, random_state=0)
    r2 = r2_score(y_te, LinearRegression().fit(X_tr, y_tr).predict(X_te))  # oracle
    assert f"{r2:.4g}" in page
    # --test: rows the user says were not used; another file via --data: cannot tell
    other = _csv(tmp_path, frame.iloc[:50], "other.csv")
    assert _run(capsys, ["report", model, "--test", other, "-o", page_path, "--quiet"])[0] == 0
    assert "held-out test rows (not used in fitting)" in page_path.read_text()
    assert _run(capsys, ["report", model, "--data", other, "-o", page_path, "--quiet"])[0] == 0
    assert "did not say whether the model was fitted on them" in page_path.read_text()
    assert "id='comparison'" not in page_path.read_text()


def test_explain_multiclass_shows_predicted_class(tmp_path, capsys):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"u": rng.uniform(0, 3, 150), "v": rng.normal(size=150)})
    frame["k"] = np.array(["lo", "mid", "hi"])[np.floor(frame.u).astype(int)]
    path = _csv(tmp_path, frame, "k.csv")
    model = tmp_path / "t.json"
    argv = ["fit", path, "--target", "k", "--family", "tree", "--save", model, "--quiet"]
    assert _run(capsys, argv)[0] == 0
    status, out, err = _run(capsys, ["explain", model, path, "--rows", "2-4", "--quiet"])
    assert status == 0, err
    fitted = io.load(model)
    proba = fitted.predict_proba(frame[["u", "v"]].iloc[:3])
    for i, block in enumerate(out.split("\n\n")[1:]):
        c = fitted.classes_[np.argmax(proba[i])]
        assert f"predicted {c} (P = {proba[i].max():.4g})" in block
        assert f"P({c}) = base" in block  # the predicted class's own contributions


def test_quiet_silences_progress(numeric, capsys):
    path, _ = numeric
    argv = ["fit", path, "--target", "y", "--family", "gam", "--fast", "--quiet"]
    status, _, err = _run(capsys, argv)
    assert status == 0 and err == ""


def test_text_in_a_numeric_column_names_value_and_line(numeric, tmp_path, capsys):
    path, frame = numeric
    model = tmp_path / "m.json"
    assert _run(capsys, ["fit", path, "--target", "y", "--save", model, "--quiet"])[0] == 0
    bad = frame.astype({"a": object})
    bad.loc[5, "a"] = "twelve"
    _error(
        capsys,
        ["explain", model, _csv(tmp_path, bad, "bad.csv")],
        r"column 'a' held numbers at fit but has 'twelve' at CSV line 7",
    )


def test_console_script(numeric, tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("glassbox")
    exe = str(script) if script.exists() else shutil.which("glassbox")
    assert exe, "the glassbox console script is not installed"
    path, _ = numeric
    model = tmp_path / "m.json"
    proc = subprocess.run(
        [exe, "fit", str(path), "--target", "y", "--save", str(model), "--quiet"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "held-out score (30 rows not used in fitting): R^2" in proc.stdout
    proc = subprocess.run(
        [exe, "explain", str(model), str(path), "--rows", "99-200"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == (
        "glassbox: error: --rows ['122', '123', '124', '125', '126'] not found in the CSV lines "
        "(first data row: 2) of " + str(path)
    )


def test_column_names_with_equals_sign_are_plain_columns(tmp_path, capsys):
    """Before, one-hot names 'col=level' made a numeric 'a=b' column look like a dummy:
    a file without it was filled with zeros. Now it is a column like any other."""
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"dose=mg": rng.uniform(0, 5, 80), "age": rng.uniform(20, 60, 80)})
    frame["y"] = 1.5 * frame["dose=mg"] + 0.1 * frame.age + rng.normal(0, 0.1, 80)
    path = _csv(tmp_path, frame)
    model = tmp_path / "m.json"
    argv = ["fit", path, "--target", "y", "--test-size", "0", "--save", model, "--quiet"]
    assert _run(capsys, argv)[0] == 0
    status, out, _ = _run(capsys, ["explain", model, path, "--rows", "2", "--quiet"])
    ols = LinearRegression().fit(frame[["dose=mg", "age"]], frame.y)  # oracle
    assert status == 0 and f"dose=mg = {frame['dose=mg'][0]:.6g}" in out
    predicted = float(re.search(r"predicted (\S+)", out).group(1))
    assert predicted == pytest.approx(ols.predict(frame[["dose=mg", "age"]].iloc[:1])[0], rel=1e-3)
    _error(
        capsys,
        ["explain", model, _csv(tmp_path, frame.drop(columns="dose=mg"), "less.csv")],
        r"lacks the model's column\(s\) \['dose=mg'\]",
    )
