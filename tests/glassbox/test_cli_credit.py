"""The command line on a credit-like table (text columns with missing values, an
ordered category, an ID column, a count and a class target): raw columns go to the
families, columns are matched by name, and every refusal is one line with status 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split

from glassbox import io
from glassbox.cli import main

TARGETS = ["Status", "Visits"]


@pytest.fixture(scope="module")
def credit(credit_table, tmp_path_factory):
    frame = credit_table()
    path = tmp_path_factory.mktemp("credit") / "credit.csv"
    frame.to_csv(path, index=False)
    return path, pd.read_csv(path)  # as a user's CSV reads back (text, NaN)


def _run(capsys, argv):
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:
        status = exc.code
    out = capsys.readouterr()
    return status, out.out, out.err


def _one_line_error(capsys, argv, pattern):
    status, _, err = _run(capsys, argv)
    assert status == 2, err
    lines = [line for line in err.splitlines() if not line.startswith(("note:", "warning:"))]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


def _csv_index(frame):
    """The CLI names rows by CSV line: the header is line 1, the first row line 2."""
    frame = frame.copy()
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame


@pytest.fixture(scope="module")
def ebm_file(credit, tmp_path_factory):
    path, _ = credit
    model = tmp_path_factory.mktemp("m") / "ebm.json"
    argv = ["fit", path, "--target", "Status", "--drop", "rownames", "--drop", "Visits"]
    assert (
        main(
            [str(a) for a in argv + ["--family", "ebm", "--fast", "--quiet"]]
            + ["--save", str(model)]
        )
        == 0
    )
    return model


def test_fit_glm_raw_columns_held_out_score(credit, capsys, tmp_path):
    path, frame = credit
    model_path = tmp_path / "glm.json"
    status, out, err = _run(
        capsys,
        [
            "fit",
            path,
            "--target",
            "Status",
            "--drop",
            "rownames",
            "--drop",
            "Visits",
            "--impute",
            "median",
            "--save",
            model_path,
            "--quiet",
        ],
    )
    assert status == 0, err
    assert "Records=no" not in out and "Records=yes" not in out  # no CLI one-hot
    assert "--impute median" in out and "held out" in out
    model = io.load(model_path)
    assert list(model.feature_names_in_) == [
        "Seniority",
        "Home",
        "Marital",
        "Records",
        "Job",
        "Grade",
        "Income",
        "Amount",
    ]
    # oracle: the same stratified split by scikit-learn, medians / modes of the training rows
    X = _csv_index(frame).drop(columns=["rownames", "Visits", "Status"])
    y = _csv_index(frame)["Status"]
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    fill = {"Income": X_tr.Income.median(), "Home": X_tr.Home.mode()[0], "Job": X_tr.Job.mode()[0]}
    expected = accuracy_score(y_te, model.predict(X_te.fillna(fill)))
    printed = float(re.search(r"held-out score \(100 rows[^)]*\): accuracy (\S+)", out).group(1))
    assert printed == pytest.approx(expected, abs=5e-5)


def test_errors_read_the_same_from_python_and_the_cli(credit, capsys):
    from glassbox import GLMClassifier

    path, frame = credit
    X = _csv_index(frame).drop(columns=["rownames", "Visits", "Status"])
    with pytest.raises(ValueError) as python_error:
        GLMClassifier().fit(X, frame.Status.to_numpy())
    facts = getattr(python_error.value, "facts", str(python_error.value)).splitlines()[0]
    line = _one_line_error(
        capsys,
        [
            "fit",
            path,
            "--target",
            "Status",
            "--drop",
            "rownames",
            "--drop",
            "Visits",
            "--test-size",
            "0",
        ],
        r"--impute median.*--dropna",
    )
    assert facts.replace("at row", "at CSV line") in line
    assert "SimpleImputer" not in line


def test_explain_contributions_equal_explain_local(credit, ebm_file, capsys):
    path, frame = credit
    status, out, err = _run(
        capsys,
        ["explain", ebm_file, path, "--rows", "2,5,10-12", "--id", "rownames", "--top", "50"],
    )
    assert status == 0, err
    model = io.load(ebm_file)
    ids = [2, 5, 10, 11, 12]  # rownames values, i.e. data rows 1.. : CSV lines id + 1
    X = frame.set_index("rownames").loc[ids].drop(columns=["Visits", "Status"])
    expl = model.explain_local(X)  # oracle: the model's own exact contributions in Python
    proba = model.predict_proba(X)
    blocks = out.split("\n\n")[1:]
    assert len(blocks) == len(ids)
    for i, block in enumerate(blocks):
        assert block.startswith(f"line {ids[i] + 1} (rownames {ids[i]}): predicted ")
        p = float(re.search(r"\(P = (\S+)\)", block).group(1))
        assert p == pytest.approx(proba[i].max(), rel=5e-4)
        assert "P = " in block and "log-odds of good" in block  # positive class only
        printed = [float(v) for v in re.findall(r"^\s+([+-][\d.e+-]+)\s+\S", block, re.M)]
        values = np.asarray(expl.values)[i]
        tol = 1e-9 * max(1.0, np.abs(values).max())
        nonzero = values[np.abs(values) > tol]
        expected = nonzero[np.argsort(-np.abs(nonzero), kind="stable")]
        assert len(printed) == len(expected)  # every non-zero term shown, zeros hidden
        np.testing.assert_allclose(printed, expected, rtol=1e-3, atol=1e-4)
        total = float(re.search(r"contributions \S+ = (\S+)", block).group(1))
        assert total == pytest.approx(values.sum() + np.asarray(expl.base_values)[i], rel=1e-3)
    # the feature values printed are the CSV's (text levels, not codes)
    assert f"Home = {frame.set_index('rownames').loc[2, 'Home']}" in out


def test_explain_bad_csvs(credit, ebm_file, capsys, tmp_path):
    path, frame = credit
    less = tmp_path / "less.csv"
    frame.drop(columns="Income").to_csv(less, index=False)
    _one_line_error(
        capsys, ["explain", ebm_file, less], r"lacks the model's column\(s\) \['Income'\]"
    )
    renamed = tmp_path / "renamed.csv"
    frame.rename(columns={"Income": "income"}).to_csv(renamed, index=False)
    _one_line_error(capsys, ["explain", ebm_file, renamed], r"'Income'.*'income'.*renamed")
    unseen = frame.copy()
    unseen.loc[6, "Marital"] = "castle"
    unseen_path = tmp_path / "unseen.csv"
    unseen.to_csv(unseen_path, index=False)
    status, out, err = _run(capsys, ["explain", ebm_file, unseen_path, "--rows", "8"])
    # EBM declares its own rule for an unseen level; a family that does not is refused
    spec = io.load(ebm_file).input_schema_["Marital"]
    if spec.unseen == "native":
        assert status == 0 and "line 8: predicted" in out
        assert "levels not seen in fit in Marital (1)" in err and "own rule" in err
    else:
        assert status == 2 and "'castle' at CSV line 8" in err
    extra = frame.assign(Comment="x")
    extra_path = tmp_path / "extra.csv"
    extra.to_csv(extra_path, index=False)
    status, out, err = _run(capsys, ["explain", ebm_file, extra_path, "--rows", "2"])
    assert status == 0 and "ignoring column(s)" in err and "Comment" in err


def test_explain_glm_refuses_unseen_level_and_fills_recorded_imputation(credit, capsys, tmp_path):
    path, frame = credit
    model_path = tmp_path / "glm.json"
    argv = [
        "fit",
        path,
        "--target",
        "Status",
        "--drop",
        "rownames",
        "--drop",
        "Visits",
        "--impute",
        "most_frequent",
        "--save",
        model_path,
        "--quiet",
    ]
    assert _run(capsys, argv)[0] == 0
    bad = frame.copy()
    bad.loc[3, "Home"] = "castle"  # CSV line 5
    bad_path = tmp_path / "bad.csv"
    bad.to_csv(bad_path, index=False)
    _one_line_error(capsys, ["explain", model_path, bad_path], r"'Home'.*'castle'.*CSV line 5")
    # a missing Income gets the value recorded at fit, and the note says so
    row = int(np.flatnonzero(frame.Income.isna())[0])
    status, out, err = _run(capsys, ["explain", model_path, path, "--rows", str(row + 2)])
    assert status == 0, err
    assert "filled" in err and "--impute most_frequent" in err
    assert f"line {row + 2}: predicted" in out


def test_count_target_is_regression_and_poisson(credit, capsys, tmp_path):
    path, frame = credit
    model_path = tmp_path / "pois.json"
    status, out, err = _run(
        capsys,
        [
            "fit",
            path,
            "--target",
            "Visits",
            "--drop",
            "rownames",
            "--drop",
            "Status",
            "--glm-family",
            "poisson",
            "--dropna",
            "--test-size",
            "0",
            "--save",
            model_path,
        ],
    )
    assert status == 0, err
    assert "task: regression" in out and "(a count)" in out and "--glm-family poisson" in out
    model = io.load(model_path)
    assert model.family == "poisson"
    # oracle: scikit-learn's unpenalized Poisson GLM on reference-coded columns
    from sklearn.linear_model import PoissonRegressor

    data = frame.drop(columns=["rownames", "Status"]).dropna()
    X = data.drop(columns="Visits")
    design = pd.get_dummies(X, drop_first=True, dtype=float)
    ref = PoissonRegressor(alpha=0, solver="newton-cholesky", max_iter=1000, tol=1e-12).fit(
        design, data.Visits
    )
    np.testing.assert_allclose(model.predict(X), ref.predict(design), rtol=1e-5)
    r2 = float(re.search(r"training score \(\d+ rows[^)]*\): R\^2 (\S+)", out).group(1))
    assert r2 == pytest.approx(r2_score(data.Visits, ref.predict(design)), abs=5e-4)


def test_id_column_warning_and_drop(credit, capsys):
    path, _ = credit
    base = [
        "fit",
        path,
        "--target",
        "Status",
        "--drop",
        "Visits",
        "--family",
        "ebm",
        "--fast",
        "--quiet",
    ]
    status, _, err = _run(capsys, base)
    assert status == 0 and "'rownames' looks like a row ID" in err and "--drop rownames" in err
    status, _, err = _run(capsys, base + ["--drop", "rownames"])
    assert status == 0 and "row ID" not in err


def test_param_values_and_unknown_parameter(credit, capsys, tmp_path):
    path, _ = credit
    model_path = tmp_path / "tree.json"
    argv = [
        "fit",
        path,
        "--target",
        "Status",
        "--drop",
        "rownames",
        "--drop",
        "Visits",
        "--family",
        "tree",
        "--param",
        "max_depth=2",
        "--param",
        "min_samples_leaf=5",
        "--save",
        model_path,
        "--quiet",
    ]
    status, out, err = _run(capsys, argv)
    assert status == 0, err
    assert "max_depth=2" in out and "min_samples_leaf=5" in out
    model = io.load(model_path)
    assert model.max_depth == 2 and model.min_samples_leaf == 5
    assert model.estimator_.get_depth() <= 2
    bad = [a for a in argv if a not in ("--save", model_path)] + ["--param", "depth=2"]
    line = _one_line_error(capsys, bad, r"TreeClassifier has no parameter 'depth'")
    assert "max_depth" in line  # names the valid parameters


def test_settings_recorded_in_the_model_file(credit, capsys, tmp_path):
    from glassbox.cli import _load_model

    path, _ = credit
    model_path = tmp_path / "m.json"
    argv = [
        "fit",
        path,
        "--target",
        "Status",
        "--drop",
        "rownames",
        "--drop",
        "Visits",
        "--family",
        "ebm",
        "--fast",
        "--seed",
        "3",
        "--test-size",
        "0.2",
        "--ordered",
        "Grade=low,mid,high",
        "--save",
        model_path,
        "--quiet",
    ]
    assert _run(capsys, argv)[0] == 0
    model, meta = _load_model(str(model_path))
    assert meta["data"]["target"] == "Status"
    assert meta["data"]["dropped_columns"] == ["rownames", "Visits"]
    assert meta["data"]["ordered"] == {"Grade": ["low", "mid", "high"]}
    assert meta["split"]["seed"] == 3 and meta["split"]["test_size"] == 0.2
    assert len(meta["split"]["test_lines"]) == 80
    assert meta["settings"]["random_state"] == 3 and meta["fast"] is True
    assert json.loads(json.dumps(meta)) == meta  # plain JSON
    assert model.random_state == 3
    spec = model.input_schema_["Grade"]
    assert list(spec.levels) == ["low", "mid", "high"] and spec.ordered


def test_compare_fits_every_family_on_three_classes(credit, capsys, tmp_path):
    # rule lists take three classes one-vs-rest (issue 23); a family that cannot fit
    # is skipped with its reason: tests/glassbox/test_cli_compare.py
    path, frame = credit
    three = frame.assign(Size=pd.cut(frame.Amount, [0, 600, 1200, 10_000], labels=["s", "m", "l"]))
    three_path = tmp_path / "three.csv"
    three.drop(columns="Amount").to_csv(three_path, index=False)
    status, out, err = _run(
        capsys,
        [
            "compare",
            three_path,
            "--target",
            "Size",
            "--drop",
            "rownames",
            "--drop",
            "Status",
            "--family",
            "rulelist",
            "--family",
            "tree",
            "--family",
            "oner",
            "--impute",
            "most_frequent",
            "--fast",
            "--quiet",
        ],
    )
    assert status == 0, err
    skipped = re.findall(r"^skipped (\w+): ", err, re.M)
    assert skipped == [], err
    assert "TreeClassifier" in out and "OneRClassifier" in out and "RuleListClassifier" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("TreeClassifier"))
    assert 0 <= float(row.split()[2]) <= 1


def test_report_scores_held_out_rows_and_compares_on_request(credit, ebm_file, capsys, tmp_path):
    path, frame = credit
    page_path = tmp_path / "r.html"
    status, _, err = _run(capsys, ["report", ebm_file, "--data", path, "-o", page_path, "--quiet"])
    assert status == 0, err
    page = page_path.read_text()
    assert "held-out" in page or "held out" in page
    assert "id='comparison'" not in page  # comparison only with --compare
    from glassbox.cli import _load_model

    model, meta = _load_model(str(ebm_file))
    lines = meta["split"]["test_lines"]
    held = _csv_index(frame).loc[lines]
    acc = accuracy_score(
        held.Status, model.predict(held.drop(columns=["rownames", "Visits", "Status"]))
    )
    assert f"{acc:.4g}" in page
    status, _, err = _run(
        capsys,
        [
            "report",
            ebm_file,
            "--data",
            path,
            "-o",
            page_path,
            "--compare",
            "--fast",
            "--family",
            "glm",
            "--family",
            "tree",
            "--quiet",
        ],
    )
    assert status == 0, err
    page = page_path.read_text()
    assert "id='comparison'" in page and "TreeClassifier" in page


def test_distill_prints_student_and_fidelity_with_bound(credit, ebm_file, capsys):
    path, _ = credit
    status, out, err = _run(
        capsys,
        [
            "distill",
            ebm_file,
            path,
            "--student",
            "tree",
            "--param",
            "max_depth=3",
            "--n-queries",
            "500",
            "--quiet",
        ],
    )
    assert status == 0, err
    assert "Home: 0 = " in out  # text columns reach the student as codes, with a legend
    m = re.search(
        r"fidelity on (\d+) held-out queries: agreement (\S+) \(95% interval (\S+) \.\. (\S+),", out
    )
    assert m, out
    n, value, lo, hi = int(m.group(1)), *map(float, m.groups()[1:])
    assert n >= 100 and lo <= value <= hi
    # oracle: the exact Clopper-Pearson interval of `value` on n queries, by scipy
    from scipy.stats import beta

    k = round(value * n)
    assert lo == pytest.approx(beta.ppf(0.025, k, n - k + 1), abs=1e-4)


def test_version_and_subprocess(credit):
    path, _ = credit
    proc = subprocess.run(
        [sys.executable, "-m", "glassbox", "--version"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.startswith("glassbox ")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "glassbox",
            "fit",
            str(path),
            "--target",
            "Status",
            "--drop",
            "rownames",
            "--drop",
            "Visits",
            "--family",
            "glm",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "--impute" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("family", ["glm", "ebm"])
def test_cli_model_is_the_python_model(credit, capsys, tmp_path, family):
    """The CLI passes the CSV's columns as they are: the same estimator fitted from
    Python on the same frame gives the same probabilities."""
    from glassbox.registry import FAMILIES

    path, frame = credit
    model_path = tmp_path / "m.json"
    argv = ["fit", path, "--target", "Status", "--drop", "rownames", "--drop", "Visits",
            "--dropna", "--test-size", "0", "--family", family, "--fast", "--save", model_path,
            "--quiet"]  # fmt: skip
    status, _, err = _run(capsys, argv)
    assert status == 0, err
    data = _csv_index(frame).drop(columns=["rownames", "Visits"]).dropna()
    X, y = data.drop(columns="Status"), data.Status
    cls = FAMILIES[family][0]
    py = cls(**{**cls.traits.quick_params, **({"random_state": 0} if family == "ebm" else {})})
    py.fit(X, y)
    cli = io.load(model_path)
    np.testing.assert_allclose(cli.predict_proba(X), py.predict_proba(X), rtol=1e-10, atol=1e-12)


def test_explain_local_prints_the_black_box_output(credit, ebm_file, capsys):
    path, frame = credit
    status, out, err = _run(
        capsys, ["explain", ebm_file, path, "--rows", "2,4", "--method", "local"]
    )
    assert status == 0, err
    model = io.load(ebm_file)
    X = _csv_index(frame).loc[[2, 4]].drop(columns=["rownames", "Visits", "Status"])
    p = model.predict_proba(X)[:, list(model.classes_).index("good")]
    logit = np.log(p) - np.log1p(-p)  # oracle: the black box's log-odds from its probabilities
    printed = [float(v) for v in re.findall(r"black box: log-odds of good = (\S+)", out)]
    np.testing.assert_allclose(printed, logit, rtol=1e-3, atol=1e-3)
    r2 = [float(v) for v in re.findall(r"local R\^2 (\S+)\)", out)]
    assert len(r2) == 2 and all(v <= 1 for v in r2)
