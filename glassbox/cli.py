"""The ``glassbox`` command.

Columns of a CSV file go to the model as they are (text, numbers, booleans):
the families take categorical columns themselves, the same as from Python, and
columns are matched by name at explain and report time. Bad arguments,
unreadable files and data the model cannot take end with exit status 2 and one
line on stderr naming the column, the value and the CSV line, never a
traceback.

How a model was made (target, task, dropped columns, imputation, split, seed,
settings) is stored next to it in the model file's metadata, so that
``explain``, ``report`` and ``distill`` treat new CSV files the same way and
can say which rows were held out.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import warnings

#: column names that mark a row index or key, compared in lower case
_INDEX_NAMES = {"rownames", "id", "index", "unnamed: 0", "", "row", "rowid", "row_id", "key"}

#: integer targets with more distinct values than this are regression under --task auto
_MAX_CLASS_LEVELS = 5

_TASKS = ["auto", "classification", "regression"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, status 2, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class UsageError(Exception):
    """A user mistake to report in one line with exit status 2."""


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("glassbox")
    except Exception:  # noqa: BLE001 - an uninstalled tree has no metadata
        return "unknown"


# --- arguments ------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _test_size(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be in [0, 1) (a share of the rows)")
    return value


def _param(text: str) -> tuple[str, object]:
    """KEY=VALUE with VALUE read as JSON (numbers, true/false, null, lists, "text"),
    Python's True/False/None, or else as plain text."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    raw = raw.strip()
    python = {"True": True, "False": False, "None": None}
    if raw in python:
        return key, python[raw]
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key, value


def _ordered(text: str) -> tuple[str, list[str]]:
    col, sep, levels = text.partition("=")
    parts = [p.strip() for p in levels.split(",")] if sep else []
    if not col.strip() or len(parts) < 2 or not all(parts):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not COL=LEVEL1,LEVEL2,... (at least two levels, lowest first)"
        )
    return col.strip(), parts


def _add_data_args(p, *, target_required: bool = True) -> None:
    p.add_argument("data", metavar="DATA.csv", help="CSV file with a header row")
    p.add_argument(
        "--target", required=target_required, metavar="COL", help="name of the target column"
    )
    p.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="COL",
        help="leave this column out of the features (repeatable), e.g. a row ID",
    )
    p.add_argument(
        "--ordered",
        action="append",
        type=_ordered,
        default=[],
        metavar="COL=L1,L2,...",
        help="an ordered category and its levels, lowest first (repeatable)",
    )
    p.add_argument(
        "--task",
        default="auto",
        choices=_TASKS,
        help=(
            "auto: classification when the target is text or boolean or has at most "
            f"{_MAX_CLASS_LEVELS} integer values; integers with more values (counts) are "
            "regression. The choice is printed."
        ),
    )
    missing = p.add_mutually_exclusive_group()
    missing.add_argument(
        "--impute",
        choices=["median", "most_frequent"],
        help=(
            "fill missing feature values with the training rows' median (numbers; text "
            "columns take the most frequent level) or most frequent value; recorded in the "
            "model file and applied again by explain/report"
        ),
    )
    missing.add_argument(
        "--dropna", action="store_true", help="drop rows with a missing feature value"
    )
    p.add_argument(
        "--test-size",
        type=_test_size,
        default=0.25,
        metavar="SHARE",
        help="share of rows held out for the score (default 0.25; 0: fit on every row)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the split and the model (default 0)"
    )
    p.add_argument(
        "--fast",
        action="store_true",
        help="quick settings for each family (fewer splines, bags, generations); printed",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars or notes on stderr")


def _build_parser() -> argparse.ArgumentParser:
    from .registry import FAMILIES

    parser = _Parser(
        prog="glassbox",
        description=(
            "Fit interpretable models and print them as text a person can check. "
            "Run 'glassbox demo' to see every family on bundled data."
        ),
    )
    parser.add_argument("--version", action="version", version=f"glassbox {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = sub.add_parser(
        "demo",
        help="fit every family on bundled data, print each model and a comparison",
        description=(
            "Fit every glassbox family (quick settings) on scikit-learn's breast cancer "
            "(classification) and diabetes (regression) data, print each fitted "
            "model, then a table of held-out score, complexity and fit seconds."
        ),
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.add_argument(
        "--family",
        action="append",
        choices=sorted(FAMILIES),
        help="only these families (repeatable; default: all)",
    )

    fit = sub.add_parser(
        "fit",
        help="fit one family on a CSV file and print the model",
        description=(
            "Fit one glassbox family on a CSV file and print the settings used, the fitted "
            "model, and its score on held-out rows. Columns go to the model as they are: "
            "text columns are categories, which each family handles itself."
        ),
    )
    _add_data_args(fit)
    fit.add_argument(
        "--family", default="glm", choices=sorted(FAMILIES), help="model family (default: glm)"
    )
    fit.add_argument(
        "--glm-family",
        choices=["normal", "poisson", "gamma", "tweedie"],
        help="distribution of a GLM regression (e.g. poisson for counts)",
    )
    fit.add_argument(
        "--param",
        action="append",
        type=_param,
        default=[],
        metavar="KEY=VALUE",
        help="an estimator parameter (repeatable), e.g. --param max_depth=3",
    )
    fit.add_argument(
        "--save", metavar="PATH", help="also write the fitted model to PATH (JSON, no pickle)"
    )
    _add_model_commands(sub)
    return parser


def _add_model_commands(sub) -> None:
    from .registry import FAMILIES

    cmp = sub.add_parser(
        "compare",
        help="fit several families on a CSV file and tabulate score against complexity",
        description=(
            "Fit several glassbox families on one CSV file and print a table of held-out "
            "score (accuracy or R^2), complexity and fit seconds. A family that cannot fit "
            "the data is skipped with one line saying why."
        ),
    )
    _add_data_args(cmp)
    cmp.add_argument(
        "--family",
        action="append",
        choices=sorted(FAMILIES),
        help="only these families (repeatable; default: every family for the task)",
    )

    exp = sub.add_parser(
        "explain",
        help="explain a saved model's predictions on the rows of a CSV file",
        description=(
            "Load a model saved with 'glassbox fit --save' and print, for each selected row "
            "of the CSV file, its prediction and the feature contributions in order of size. "
            "--method shap gives SHAP values (exact for GLM, GAM, EBM and trees); "
            "--method local fits a local surrogate around each row; --method counterfactual "
            "prints the nearest changes that give another outcome (re-checked on the model, "
            "and whether proven nearest). --method importance, pdp or ale describe the "
            "model over all rows of the CSV (permutation importance, partial dependence, "
            "accumulated local effects of --feature)."
        ),
    )
    exp.add_argument("model", metavar="MODEL.json", help="a model file written by --save")
    exp.add_argument("data", metavar="DATA.csv", help="CSV file with the model's feature columns")
    exp.add_argument(
        "--method",
        default="shap",
        choices=["shap", "local", "importance", "pdp", "ale", "counterfactual"],
        help=(
            "shap (default), local (LIME-style local surrogate), counterfactual (what would "
            "have to change, per row); over all rows of the CSV: importance (permutation "
            "importance), pdp (partial dependence), ale (accumulated local effects)"
        ),
    )
    exp.add_argument(
        "--feature",
        action="append",
        metavar="COL",
        help="pdp/ale: the feature (give it twice for a pair)",
    )
    exp.add_argument(
        "--grid",
        type=_positive_int,
        default=20,
        metavar="K",
        help="pdp: grid points per feature; ale: bins (default 20)",
    )
    exp.add_argument(
        "--repeats",
        type=_positive_int,
        default=5,
        metavar="R",
        help="importance: permutations per feature (default 5)",
    )
    exp.add_argument(
        "--desired",
        metavar="VALUE",
        help=(
            "counterfactual: the class wanted (default: the other class of a binary model), "
            "or LOW:HIGH for a regressor's prediction (either side may be empty)"
        ),
    )
    exp.add_argument(
        "--n",
        type=_positive_int,
        default=3,
        metavar="N",
        help="counterfactual: how many per row (default 3)",
    )
    exp.add_argument(
        "--immutable",
        action="append",
        default=[],
        metavar="COL",
        help="counterfactual: a column that must not change (repeatable)",
    )
    exp.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="counterfactual: seconds a search may take per row (default 10)",
    )
    exp.add_argument("--seed", type=int, default=0, help="seed of the random parts (default 0)")
    exp.add_argument(
        "--rows",
        metavar="SEL",
        help=(
            "rows to explain by their id (the --id column's value, else the CSV line; the "
            "first data row is line 2), e.g. 2,5,10-12 (default: the first 5 rows)"
        ),
    )
    exp.add_argument("--id", metavar="COL", help="a column that names each row (e.g. rownames)")
    exp.add_argument(
        "--top",
        type=_positive_int,
        default=10,
        metavar="K",
        help="show the K largest contributions per row (default 10)",
    )
    exp.add_argument("--target", metavar="COL", help="a column to ignore (the target), if present")
    exp.add_argument("--quiet", action="store_true", help="no progress bars or notes on stderr")

    rep = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a saved model",
        description=(
            "Write one offline HTML page (plots inline as SVG) with the model's text, its "
            "plots and its scores. With --data the CSV the model was fitted on, the scores "
            "are on the rows held out at fit; --test names a file of rows not used in "
            "fitting. --compare adds a table of every family fitted on --data."
        ),
    )
    rep.add_argument("model", metavar="MODEL.json", help="a model file written by --save")
    rep.add_argument("-o", "--output", required=True, metavar="REPORT.html", help="where to write")
    rep.add_argument("--data", metavar="DATA.csv", help="CSV file to score the model on")
    rep.add_argument("--test", metavar="TEST.csv", help="CSV file of rows not used in fitting")
    rep.add_argument("--target", metavar="COL", help="target column (default: the one at fit)")
    rep.add_argument(
        "--compare",
        action="store_true",
        help="also fit every family on --data (held-out split) and show the comparison",
    )
    rep.add_argument("--fast", action="store_true", help="with --compare: quick settings")
    rep.add_argument(
        "--effects",
        action="store_true",
        help="add how the model behaves overall on the scored rows: permutation importance "
        "(against the target), partial dependence with ICE and ALE for the most important "
        "numeric columns (needs surrogates)",
    )
    rep.add_argument(
        "--counterfactuals",
        type=_positive_int,
        default=0,
        metavar="N",
        help="add, for the first N scored rows, the nearest changes that flip the "
        "prediction (classifiers; each re-checked on the model; needs surrogates)",
    )
    rep.add_argument("--seed", type=int, default=0, help="seed for --effects/--counterfactuals")
    rep.add_argument(
        "--family",
        action="append",
        choices=sorted(FAMILIES),
        help="with --compare: only these families (repeatable; default: all)",
    )
    rep.add_argument("--quiet", action="store_true", help="no progress bars or notes on stderr")

    dis = sub.add_parser(
        "distill",
        help="distill a saved model (the black box) into a readable student",
        description=(
            "Ask the model in MODEL.json about the rows of DATA.csv and synthesized rows "
            "around them, fit a glass-box student on its answers, and print the student "
            "and its fidelity (agreement or R^2 with the black box) with a confidence "
            "interval measured on held-out queries."
        ),
    )
    dis.add_argument(
        "model",
        metavar="MODEL.json",
        help="the black box: a glassbox model file, or an xgboost model file (.json/.ubj)",
    )
    dis.add_argument("data", metavar="DATA.csv", help="CSV file of rows like the training rows")
    dis.add_argument(
        "--student",
        default="tree",
        choices=sorted({"rules", *FAMILIES}),
        help="family of the student (default: tree)",
    )
    dis.add_argument(
        "--n-queries",
        type=_positive_int,
        default=5000,
        metavar="N",
        help="synthesized queries (default 5000)",
    )
    dis.add_argument(
        "--param",
        action="append",
        type=_param,
        default=[],
        metavar="KEY=VALUE",
        help="a student parameter (repeatable), e.g. --param max_depth=3",
    )
    dis.add_argument("--target", metavar="COL", help="a column to ignore (the target), if present")
    dis.add_argument("--seed", type=int, default=0, help="seed of the queries (default 0)")
    dis.add_argument("--save", metavar="PATH", help="write the surrogate to PATH")
    dis.add_argument("--quiet", action="store_true", help="no progress bars or notes on stderr")


# --- reading CSV files ----------------------------------------------------------------


def _note(args, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(f"note: {text}", file=sys.stderr)


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr)


def _csv_lines(path: str, n: int) -> list[int] | None:
    """The line each data record starts on (the header is line 1), as pandas reads
    the records (blank lines skipped); None when they cannot be matched up."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            starts, prev = [], 0
            for rec in reader:
                start, prev = prev + 1, reader.line_num
                if rec:
                    starts.append(start)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    starts = starts[1:]
    return starts if len(starts) == n else None


def _load_csv(path: str):
    """The CSV as a DataFrame whose index is each row's CSV line number."""
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {path}: it is a directory") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot read {path} as CSV: {first}") from None
    if len(frame) == 0:
        raise UsageError(f"{path} has a header but no rows")
    dup = frame.columns[frame.columns.str.contains(r"\.\d+$", regex=True)]
    lines = _csv_lines(path, len(frame))
    frame.index = pd.Index(lines if lines is not None else range(2, len(frame) + 2), name="line")
    frame.columns = [str(c) for c in frame.columns]
    if len(dup):  # pandas renames a repeated header "a" to "a.1": say so
        with open(path, encoding="utf-8", errors="replace") as fh:
            header = next(csv.reader(fh), [])
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise UsageError(f"{path} has repeated column name(s) {repeated}; rename them")
    return frame


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _lines_text(lines) -> str:
    lines = [int(v) for v in lines]
    shown = ", ".join(map(str, lines[:5]))
    return (
        f"CSV line {shown}"
        if len(lines) == 1
        else f"CSV lines {shown}" + (", ..." if len(lines) > 5 else "")
    )


def _is_categorical(col) -> bool:
    import pandas as pd

    return not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)


def _id_like(frame) -> list[tuple[str, str]]:
    """Columns that look like a row ID: named like an index, or unique per row
    integers or text (a float column unique per row is an ordinary measurement)."""
    import pandas as pd

    out = []
    n = len(frame)
    for c in frame.columns:
        col = frame[c]
        if c.strip().lower() in _INDEX_NAMES or c.lower().endswith("_id"):
            out.append((c, "named like an index"))
        elif n >= 20 and col.notna().all() and col.nunique() == n:
            if pd.api.types.is_integer_dtype(col):
                out.append((c, "a different integer in every row"))
            elif not pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                out.append((c, "a different text value in every row"))
    return out


_DATE = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?|\d{1,2}/\d{1,2}/\d{2,4})\s*$"
)


def _refuse_dates(frame, path: str) -> None:
    """Text columns of dates would become one category per date: refuse them, as the
    families refuse datetime columns from Python, with advice for a CSV."""
    for c in frame.columns:
        col = frame[c]
        if not _is_categorical(col) or hasattr(col, "cat"):
            continue
        sample = col.dropna().astype(str).head(50)
        if len(sample) and sample.str.match(_DATE).all():
            raise UsageError(
                f"column {c!r} holds dates (e.g. {sample.iloc[0]!r} at CSV line "
                f"{sample.index[0]}); turn them into numbers first (e.g. days since a start "
                f"date, or the year) or pass --drop {c}"
            )


def _apply_ordered(frame, ordered: dict[str, list[str]], path: str):
    """Turn --ordered columns into ordered pandas categories, refusing a value
    outside the given levels (it would otherwise become a missing value)."""
    import pandas as pd

    for col, levels in ordered.items():
        if col not in frame.columns:
            raise UsageError(f"--ordered names column {col!r}, which is not in {path}")
        text = frame[col].astype("string")
        bad = text.notna() & ~text.isin(levels)
        if bad.any():
            first = frame.index[bad.to_numpy()][0]
            raise UsageError(
                f"column {col!r} has value {text[first]!r} at CSV line {first}, which is not "
                f"one of the --ordered levels {levels}"
            )
        frame[col] = pd.Categorical(text, categories=levels, ordered=True)
    return frame


def _decide_task(y, task: str, target: str) -> tuple[str, str]:
    """(task, reason) for --task auto; a count with many values is regression."""
    import pandas as pd

    if task != "auto":
        return task, f"--task {task}"
    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        return "classification", f"--task auto: {target!r} is text or boolean"
    n = int(y.nunique())
    if (y == y.round()).all():
        if n <= _MAX_CLASS_LEVELS:
            return (
                "classification",
                f"--task auto: {target!r} has {n} integer values; pass --task regression "
                "to treat it as a number",
            )
        lo, hi = y.min(), y.max()
        count = " (a count)" if lo >= 0 else ""
        return (
            "regression",
            f"--task auto: {target!r} has {n} integer values from {lo:g} to {hi:g}{count}, "
            "treated as a number; pass --task classification for classes"
            + ("; consider --glm-family poisson for counts" if lo >= 0 else ""),
        )
    return "regression", f"--task auto: {target!r} is a number"


# --- training data ----------------------------------------------------------------------


class _Data:
    """A CSV read for fitting: features X (raw columns), target y, and the record of
    what was done to them (the model file's metadata)."""

    def __init__(self, args, *, split: bool = True):
        import numpy as np
        import pandas as pd

        path = args.data
        frame = _load_csv(path)
        if args.target not in frame.columns:
            raise UsageError(
                f"target column {args.target!r} is not in {path}; columns are {list(frame.columns)}"
            )
        missing_drop = [c for c in args.drop if c not in frame.columns]
        if missing_drop:
            raise UsageError(f"--drop names column(s) {missing_drop}, which are not in {path}")
        if args.target in args.drop:
            raise UsageError(f"--drop names the target {args.target!r}")
        y = frame.pop(args.target)
        if y.isna().any():
            raise UsageError(
                f"target column {args.target!r} has {int(y.isna().sum())} missing values "
                f"({_lines_text(frame.index[y.isna().to_numpy()])}); remove those rows"
            )
        frame = frame.drop(columns=args.drop)
        if frame.shape[1] == 0:
            raise UsageError(f"{path} has no feature columns left besides the target")
        ordered = dict(args.ordered)
        frame = _apply_ordered(frame, ordered, path)
        _refuse_dates(frame, path)
        self.notes: list[str] = []
        for col, why in _id_like(frame):
            _warn(
                f"column {col!r} looks like a row ID ({why}); it is used as a feature "
                f"unless you pass --drop {col}"
            )
        self.task, self.task_reason = _decide_task(y, args.task, args.target)
        if self.task == "regression" and not pd.api.types.is_numeric_dtype(y):
            raise UsageError(f"--task regression needs a numeric target; {args.target!r} is text")
        dropped_rows = 0
        if args.dropna:
            keep = frame.notna().all(axis=1)
            dropped_rows = int((~keep).sum())
            frame, y = frame[keep], y[keep]
            self.notes.append(f"--dropna: dropped {dropped_rows} rows with a missing value")
            if len(frame) < 2:
                raise UsageError("--dropna leaves fewer than 2 rows")
        test_lines: list[int] = []
        stratified = False
        if split and args.test_size > 0:
            from sklearn.model_selection import train_test_split

            stratify = None
            if self.task == "classification" and y.value_counts().min() >= 2:
                stratify, stratified = y, True
            try:
                X_tr, X_te, y_tr, y_te = train_test_split(
                    frame, y, test_size=args.test_size, random_state=args.seed, stratify=stratify
                )
            except ValueError as exc:
                raise UsageError(f"cannot hold out {args.test_size:g} of the rows: {exc}") from None
            test_lines = sorted(int(v) for v in X_te.index)
            X_tr, X_te = X_tr.sort_index(), X_te.sort_index()
            y_tr, y_te = y_tr.loc[X_tr.index], y_te.loc[X_te.index]
        else:
            X_tr, y_tr, X_te, y_te = frame, y, frame.iloc[:0], y.iloc[:0]
        fill: dict = {}
        if args.impute:
            for c in X_tr.columns:
                if not X_tr[c].isna().any() and not X_te[c].isna().any():
                    continue
                col = X_tr[c].dropna()
                if len(col) == 0:
                    raise UsageError(f"column {c!r} has no values to impute from")
                if args.impute == "median" and not _is_categorical(X_tr[c]):
                    fill[c] = float(col.median())
                else:
                    fill[c] = _plain(col.mode().iloc[0])
            X_tr, X_te = _fill(X_tr, fill), _fill(X_te, fill)
            filled = ", ".join(f"{c} = {_show(v)}" for c, v in fill.items())
            source = "the training rows" if split and args.test_size > 0 else "all rows"
            self.notes.append(
                f"--impute {args.impute}: missing values filled from {source} "
                f"({filled or 'none missing'})"
                + (
                    "; text columns take their most frequent level"
                    if args.impute == "median"
                    else ""
                )
            )
        self.X, self.y = X_tr, y_tr
        self.X_test, self.y_test = X_te, y_te
        self.frame_all, self.y_all = frame, y
        self.path = path
        levels = {
            c: sorted(map(str, frame[c].dropna().unique()))
            for c in frame.columns
            if _is_categorical(frame[c]) and not isinstance(frame[c].dtype, pd.CategoricalDtype)
        }
        for c in frame.columns:
            if isinstance(frame[c].dtype, pd.CategoricalDtype):
                levels[c] = [str(v) for v in frame[c].cat.categories]
        self.meta = {
            "glassbox_cli": 1,
            "data": {
                "file": os.path.basename(path),
                "sha256": _sha256(path),
                "rows": int(len(frame) + dropped_rows),
                "target": args.target,
                "features": list(map(str, frame.columns)),
                "dropped_columns": list(args.drop),
                "ordered": ordered,
                "levels": levels,
            },
            "task": self.task,
            "task_reason": self.task_reason,
            "missing": {
                "impute": args.impute,
                "values": {c: _plain(v) for c, v in fill.items()},
                "dropna": bool(args.dropna),
                "dropped_rows": dropped_rows,
            },
            "split": {
                "test_size": float(args.test_size) if test_lines else 0.0,
                "seed": int(args.seed),
                "stratified": stratified,
                "test_lines": test_lines,
            },
        }
        self.n_classes = int(np.unique(y.astype(str)).size) if self.task == "classification" else 0

    def describe(self) -> list[str]:
        n_feat = self.X.shape[1]
        d = self.meta["data"]
        lines = [
            f"data: {d['file']}, {d['rows']} rows, target {d['target']!r}, "
            f"{n_feat} feature column{'s' if n_feat != 1 else ''}"
            + (f" (dropped: {', '.join(d['dropped_columns'])})" if d["dropped_columns"] else ""),
            f"task: {self.task} ({self.task_reason})",
        ]
        s = self.meta["split"]
        if s["test_lines"]:
            lines.append(
                f"split: fit on {len(self.X)} rows, {len(self.X_test)} held out for the score "
                f"(--test-size {s['test_size']:g}, --seed {s['seed']}"
                + (", stratified" if s["stratified"] else "")
                + ")"
            )
        else:
            lines.append(f"split: none (--test-size 0): fit on all {len(self.X)} rows")
        return lines + self.notes


def _plain(v):
    """A JSON-able plain value (numpy scalars to Python ones)."""
    import numpy as np

    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return str(v)


def _show(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else repr(v) if isinstance(v, str) else str(v)


def _fill(frame, values: dict):
    import pandas as pd

    if not values:
        return frame
    frame = frame.copy()
    for c, v in values.items():
        if c not in frame.columns:
            continue
        col = frame[c]
        if pd.api.types.is_bool_dtype(col) or col.dtype == object:
            frame[c] = col.where(col.notna(), v)
        else:
            frame[c] = col.fillna(v)
    return frame


# --- estimators and errors -----------------------------------------------------------------


def _make_estimator(args, cls, task: str):
    """The estimator with the user's settings; (estimator, settings text, settings dict)."""
    params: dict = {}
    how = "the family's defaults"
    if args.fast:
        params.update(cls.traits.quick_params)
        how = "--fast quick settings"
    valid = cls().get_params(deep=False)
    if getattr(args, "glm_family", None):
        if "family" not in valid or task != "regression":
            raise UsageError(
                "--glm-family is for a GLM regression (--family glm on a numeric target); "
                f"this is {cls.__name__}"
            )
        params["family"] = args.glm_family
    if "random_state" in valid:
        params["random_state"] = args.seed
    for key, value in args.param:
        if key not in valid:
            raise UsageError(
                f"{cls.__name__} has no parameter {key!r}; its parameters are: "
                + ", ".join(sorted(k for k in valid if k != "verbose"))
            )
        params[key] = value
    est = cls(**params)
    if "verbose" in valid and "verbose" not in dict(args.param):
        est.set_params(verbose=not args.quiet)
    shown = {k: v for k, v in params.items() if k != "verbose"}
    text = ", ".join(f"{k}={v!r}" for k, v in shown.items())
    line = f"model: {cls.__name__}({text}); other parameters: {how}"
    if args.fast:
        line += " (--fast: fits in seconds, may be less accurate)"
    return est, line, _plain(shown)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _missing_advice(exc: BaseException, frame, family_name: str) -> str | None:
    """A CLI message for a model that refused missing values: the column, how many,
    the first CSV line, and the flags that deal with them."""
    text = str(exc)
    if not re.search(r"\bNaN\b|missing", text):
        return None
    na = frame.isna()
    cols = [c for c in frame.columns if na[c].any()]
    if not cols:
        return None
    named = [c for c in cols if f"'{c}'" in text]
    col = (named or cols)[0]
    lines = frame.index[na[col].to_numpy()]
    return (
        f"column {col!r} has {len(lines)} missing value{'s' if len(lines) != 1 else ''} "
        f"(first at CSV line {lines[0]}) and {family_name} does not accept missing values "
        f"there: pass --impute median (or most_frequent), --dropna, or --drop {col}"
    )


def _text_column_advice(text: str) -> str:
    from .registry import FAMILIES

    takes = sorted(
        name
        for name, pair in FAMILIES.items()
        if any(c is not None and c.traits.categorical for c in pair)
    )
    cols = re.findall(r"'([^']+)'", text.split("are not numeric")[0])
    drops = " ".join(f"--drop {c}" for c in cols[:6]) or "--drop COL"
    return (
        f"leave them out ({drops}) or pick a --family that takes text columns: {', '.join(takes)}"
    )


def _cli_error(exc: BaseException, frame=None, family_name: str = "the model") -> UsageError:
    """One line for a model's refusal, with advice for the command line: a schema
    error's facts (rows named by CSV line: the frames' index) and the flags to use."""
    facts = getattr(exc, "facts", None)
    if facts:
        text = re.sub(r"\bat row\b", "at CSV line", str(facts).splitlines()[0])
        column = getattr(exc, "column", None)
        if re.search(r"missing value|\bNaN\b", text):
            col = f" {column}" if column is not None else " COL"
            return UsageError(
                f"{text}; {family_name} does not accept missing values there: pass --impute "
                f"median (or most_frequent), --dropna, or --drop{col}"
            )
        if "not seen in fit" in text:
            return UsageError(f"{text}; refit on data that has this level, or fix the value")
        if "numbers only" in text or "are not numeric" in text:
            return UsageError(f"{text}; {_text_column_advice(text)}")
        return UsageError(text)
    if frame is not None:
        advice = _missing_advice(exc, frame, family_name)
        if advice:
            return UsageError(advice)
    text = _first_line(exc)
    if "numbers only" in text or "are not numeric" in text:
        return UsageError(f"{text}; {_text_column_advice(text)}")
    # Python-only advice reads wrong on the command line
    text = re.sub(r"\(?sklearn\.impute\.SimpleImputer\)?", "--impute median", text)
    return UsageError(text)


# --- model files with metadata ---------------------------------------------------------------


def _save_model(model, path: str, quiet: bool, metadata: dict | None = None) -> None:
    from . import io

    try:
        io.save(model, path, metadata=metadata)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    except (TypeError, ValueError) as exc:
        raise UsageError(f"cannot save this model: {_first_line(exc)}") from None
    if not quiet:
        print(f"saved model to {path}", file=sys.stderr)


def _load_model(path: str):
    """(model, metadata dict) from a model file."""
    from . import io

    try:  # surrogates adds Surrogate to the classes model files hold
        import surrogates  # noqa: F401
    except ImportError:
        pass

    try:
        model = io.load(path)
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {path}: it is a directory") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"{path}: {_first_line(exc)}") from None
    try:  # the settings the command line recorded at fit; {} for a file saved from Python
        meta = io.load_metadata(path) or {}
    except (OSError, ValueError):
        meta = {}
    return model, meta if isinstance(meta, dict) else {}


def _model_columns(model) -> list[str] | None:
    schema = getattr(model, "input_schema_", None)
    if schema is not None and hasattr(schema, "names") and getattr(schema, "named", True):
        return [str(n) for n in schema.names]
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _schema_spec(model, col: str):
    schema = getattr(model, "input_schema_", None)
    if not getattr(schema, "named", True):
        return None
    for spec in getattr(schema, "columns", ()) or ():
        if str(getattr(spec, "name", "")) == col:
            return spec
    return None


def _handles(model, col: str, what: str) -> bool:
    """Whether the model declares a rule for a missing value (what="missing") or an
    unseen level (what="unseen") in this column; without a declaration: refuse."""
    spec = _schema_spec(model, col)
    if spec is not None:
        rule = getattr(spec, what, None)
        if rule is not None:
            return str(rule) not in ("refuse", "error", "raise")
        if what == "missing":
            return False
    if what == "missing" and spec is None:
        traits = getattr(model, "traits", None)
        return bool(getattr(traits, "allow_nan", False))
    return False


def _levels_of(model, meta: dict, columns) -> dict[str, list[str]]:
    """Category levels per column: the model's own (its schema, in its order), else
    those recorded at fit."""
    levels = dict((meta.get("data", {}) or {}).get("levels", {}) or {})
    for c in columns:
        spec = _schema_spec(model, c)
        if spec is not None and getattr(spec, "levels", None):
            levels[c] = [str(v) for v in spec.levels]
    return levels


def _features_for(
    model, meta: dict, frame, path: str, target: str | None, args, *, check: bool = True
):
    """The CSV's rows as the model's input: columns matched by name, the fit's
    --ordered levels and --impute values applied, unseen levels and missing values
    refused (naming the column, value and CSV line) unless the model declares a rule."""
    import pandas as pd

    data_meta = meta.get("data", {})
    target = target or data_meta.get("target")
    names = _model_columns(model)
    if target is not None and target in frame.columns and (names is None or target not in names):
        frame = frame.drop(columns=[target])
    if names is None:
        n = getattr(model, "n_features_in_", frame.shape[1])
        if frame.shape[1] != n:
            raise UsageError(f"{path} has {frame.shape[1]} feature columns; the model needs {n}")
        return frame
    missing = [n for n in names if n not in frame.columns]
    extra = [c for c in frame.columns if c not in names]
    if missing:
        hint = ""
        if extra:
            hint = f"; it has column(s) {extra} the model was not fitted on (renamed?)"
        raise UsageError(f"{path} lacks the model's column(s) {missing}{hint}")
    if extra:
        dropped = set(data_meta.get("dropped_columns", []))
        known = [c for c in extra if c in dropped]
        other = [c for c in extra if c not in dropped]
        parts = []
        if known:
            parts.append(f"{known} (dropped at fit)")
        if other:
            parts.append(f"{other} (not in the model)")
        _note(args, f"ignoring column(s) {' and '.join(parts)}")
    X = frame[names].copy()
    ordered = data_meta.get("ordered", {}) or {}
    fill = (meta.get("missing", {}) or {}).get("values", {}) or {}
    if fill:
        n_missing = int(X[[c for c in fill if c in X.columns]].isna().sum().sum())
        if n_missing:
            X = _fill(X, fill)
            _note(
                args,
                f"filled {n_missing} missing value(s) in {os.path.basename(path)} with the "
                "values recorded at fit "
                f"(--impute {meta['missing'].get('impute')})",
            )
    levels = _levels_of(model, meta, names)
    for c in names:
        spec = _schema_spec(model, c)
        numeric_at_fit = (spec is not None and getattr(spec, "kind", "") == "numeric") or (
            spec is None and c not in levels and c not in ordered
        )
        if (
            numeric_at_fit
            and _is_categorical(X[c])
            and not isinstance(X[c].dtype, pd.api.types.CategoricalDtype)
            and not pd.api.types.is_bool_dtype(X[c])
        ):
            number = pd.to_numeric(X[c], errors="coerce")
            bad = X[c].notna().to_numpy() & number.isna().to_numpy()
            if bad.any():
                line = X.index[bad][0]
                raise UsageError(
                    f"column {c!r} held numbers at fit but has {X[c][line]!r} at CSV line "
                    f"{line}; fix the value (or leave the cell empty for a missing value)"
                )
    for c in names:
        if c in levels and not _is_categorical(X[c]):
            # a text column at fit that reads as numbers here (e.g. only "1", "2"): as text
            X[c] = X[c].map(lambda v: v if pd.isna(v) else str(v))
    if ordered:
        X = _apply_ordered(X, {c: v for c, v in ordered.items() if c in X.columns}, path)
    if check:
        _check_values(model, X, levels, args)
    return X


def _problems(model, X, levels: dict):
    """Per column: (column, "missing" | "unseen", row mask, handled by the model's
    declared rule)."""
    out = []
    for c in X.columns:
        col = X[c]
        na = col.isna().to_numpy()
        if na.any():
            out.append((c, "missing", na, _handles(model, c, "missing")))
        if c in levels and _is_categorical(col):
            text = col.astype("string")
            bad = text.notna().to_numpy() & ~text.isin(levels[c]).to_numpy()
            if bad.any():
                out.append((c, "unseen", bad, _handles(model, c, "unseen")))
    return out


def _refused(model, X, levels: dict):
    """Rows the model would refuse (for a background sample: leave them out)."""
    import numpy as np

    mask = np.zeros(len(X), dtype=bool)
    for _, _, rows, handled in _problems(model, X, levels):
        if not handled:
            mask |= rows
    return mask


def _check_values(model, X, levels: dict, args) -> None:
    """Refuse a missing value or an unseen level the model has no rule for, naming the
    column, the value and the CSV line; one note for those its declared rule handles."""
    name = type(model).__name__
    handled: dict[str, list[str]] = {"missing": [], "unseen": []}
    for c, kind, rows, ok in _problems(model, X, levels):
        line = X.index[rows][0]
        more = int(rows.sum()) - 1
        also = f" (and {more} more row{'s' if more != 1 else ''})" if more else ""
        if ok:
            handled[kind].append(f"{c} ({int(rows.sum())})")
            continue
        if kind == "missing":
            raise UsageError(
                f"column {c!r} has a missing value at CSV line {line}{also} and {name} does "
                "not accept missing values there (fit with --impute to have them filled, or "
                "fill them in the file)"
            )
        value = X[c].astype("string")[line]
        known = levels[c]
        raise UsageError(
            f"column {c!r} has value {value!r} at CSV line {line}{also}, a level not seen in "
            f"fit (levels: {', '.join(known[:12])}" + (", ..." if len(known) > 12 else "") + ")"
        )
    if handled["missing"]:
        _note(
            args,
            f"missing values in {', '.join(handled['missing'])}: {name} handles them itself",
        )
    if handled["unseen"]:
        _note(
            args,
            f"levels not seen in fit in {', '.join(handled['unseen'])}: {name}'s own rule for "
            "unseen levels applies",
        )


# --- commands ------------------------------------------------------------------------------


def _print_settings(lines: list[str]) -> None:
    for line in lines:
        print(line)
    print()


def _score_text(model, X, y) -> str:
    from sklearn.base import is_classifier

    metric = "accuracy" if is_classifier(model) else "R^2"
    return f"{metric} {model.score(X, y):.4f}"


def _cmd_fit(args) -> int:
    from .registry import FAMILIES

    data = _Data(args)
    cls = FAMILIES[args.family][0 if data.task == "classification" else 1]
    if cls is None:
        raise UsageError(f"family {args.family!r} has no {data.task} model; pick another --family")
    model, settings_line, settings = _make_estimator(args, cls, data.task)
    _print_settings(data.describe() + [settings_line])
    try:
        model.fit(data.X, data.y)
    except (ValueError, TypeError) as exc:
        raise _cli_error(exc, data.X, cls.__name__) from None
    print(model)
    print()
    try:
        if len(data.X_test):
            print(
                f"held-out score ({len(data.X_test)} rows not used in fitting): "
                f"{_score_text(model, data.X_test, data.y_test)}"
            )
        print(
            f"training score ({len(data.X)} rows the model was fitted on): "
            f"{_score_text(model, data.X, data.y)}"
        )
    except (ValueError, TypeError) as exc:
        raise _cli_error(exc, data.X_test, cls.__name__) from None
    if args.save:
        meta = dict(data.meta)
        meta["command"] = "fit"
        meta["estimator"] = cls.__name__
        meta["settings"] = settings
        meta["fast"] = bool(args.fast)
        meta["glassbox_version"] = _version()
        _save_model(model, args.save, quiet=args.quiet, metadata=meta)
    return 0


def _cmd_demo(args) -> int:
    import pandas as pd

    from . import datasets
    from .compare import compare
    from .registry import CLASSIFIERS, FAMILIES, REGRESSORS, fast

    chosen = set(args.family or FAMILIES)
    wanted = {c for name in chosen for c in FAMILIES[name] if c is not None}
    tasks = [
        ("breast cancer (classification)", datasets.breast_cancer(), CLASSIFIERS),
        ("diabetes (regression)", datasets.diabetes(), REGRESSORS),
    ]
    print("demo: every family with its quick settings (traits.quick_params), 25% held out\n")
    tables = []
    for title, (X, y), classes in tasks:
        estimators = {c.__name__: fast(c) for c in classes if c in wanted}
        if not estimators:
            continue
        fitted: dict = {}
        table = compare(estimators, X, y, progress=not args.quiet, fitted=fitted, errors="skip")
        for name, model in fitted.items():
            print(f"\n=== {name} on {title} ===\n")
            print(model)
        tables.append(table.assign(data=title))
    print("\n=== comparison (held-out 25%) ===\n")
    with pd.option_context("display.width", 120, "display.max_columns", 10):
        for table in tables:
            print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
            print()
    return 0


def _print_skipped(table) -> None:
    """One line per family that could not fit, rows named by CSV line, and the flags
    that help when missing values were the reason."""
    missing = False
    for name, reason in (table.attrs.get("skipped") or {}).items():
        reason = re.sub(r"\bat row\b", "at CSV line", reason)
        missing = missing or bool(re.search(r"missing value|\bNaN\b", reason))
        print(f"skipped {name}: {reason}", file=sys.stderr)
    if missing:
        print(
            "  (families that refuse missing values fit with --impute median or --dropna)",
            file=sys.stderr,
        )


def _cmd_compare(args) -> int:
    import pandas as pd

    from .compare import compare_families
    from .registry import FAMILIES

    if args.test_size == 0:
        raise UsageError("compare needs held-out rows: --test-size must be above 0")
    data = _Data(args, split=False)
    mode = "--fast quick settings" if args.fast else "each family's defaults"
    _print_settings(
        data.describe()[:2]
        + [
            f"split: {args.test_size:g} of the rows held out for the scores (--seed {args.seed}"
            + (", stratified)" if data.task == "classification" else ")"),
            f"models: {mode}, random_state={args.seed} where a family has one",
        ]
        + data.notes
    )
    families = args.family or sorted(FAMILIES)
    params = {}
    for name in families:
        pair = FAMILIES[name]
        cls = pair[0 if data.task == "classification" else 1]
        if cls is not None and "random_state" in cls().get_params(deep=False):
            params[name] = {"random_state": args.seed}
    try:
        table = compare_families(
            data.X,
            data.y,
            classifier=data.task == "classification",
            families=families,
            progress=not args.quiet,
            quick=args.fast,
            params=params,
            test_size=args.test_size,
            random_state=args.seed,
        )
    except (ValueError, TypeError) as exc:
        raise _cli_error(exc) from None
    _print_skipped(table)
    if "note" in table.columns:  # said line by line above; the table keeps the fitted ones
        table = table[table["note"] == ""].drop(columns="note")
    with pd.option_context("display.width", 160, "display.max_columns", 10):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-"))
    return 0


def _parse_rows(spec: str) -> list[str]:
    """ "2,5,10-12" -> ["2", "5", "10", "11", "12"] (ids compared as text)."""
    out: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(-?\d+)\s*-\s*(-?\d+)", part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo or hi - lo > 100_000:
                raise UsageError(f"--rows range {part!r} is not LOW-HIGH with LOW <= HIGH")
            out += [str(v) for v in range(lo, hi + 1)]
        else:
            out.append(part)
    if not out:
        raise UsageError("--rows selects no rows")
    return out


class _Coded:
    """A model that takes raw (text) columns, seen through float codes: what kernel
    SHAP, local surrogates and distillation (which work on numbers) need. Category
    codes index the levels; decoding rounds and clips, so every coded row the
    surrogate machinery makes is a valid row of the model's input."""

    def __init__(self, model, X, levels: dict[str, list[str]]):
        import pandas as pd

        self.model = model
        self.columns = list(X.columns)
        self.levels = {}
        self.ordered = {}
        for c in self.columns:
            col = X[c]
            if isinstance(col.dtype, pd.CategoricalDtype):
                self.levels[c] = [str(v) for v in col.cat.categories]
                self.ordered[c] = bool(col.cat.ordered)
            elif _is_categorical(col):
                seen = sorted(map(str, col.dropna().unique()))
                self.levels[c] = list(levels.get(c) or seen)
        # the surrogate machinery names the black box by its class: say the model's name
        self.__class__ = type(type(model).__name__, (_Coded,), {})
        self.bools = {c for c in self.columns if pd.api.types.is_bool_dtype(X[c])}
        self.feature_names_in_ = self.columns
        self.n_features_in_ = len(self.columns)
        if hasattr(model, "classes_"):
            self.classes_ = model.classes_

    @property
    def needed(self) -> bool:
        return bool(self.levels)

    def encode(self, X):
        import numpy as np
        import pandas as pd

        out = {}
        for c in self.columns:
            if c in self.levels:
                pos = {lv: i for i, lv in enumerate(self.levels[c])}
                out[c] = [np.nan if pd.isna(v) else float(pos.get(str(v), np.nan)) for v in X[c]]
            else:
                out[c] = pd.to_numeric(X[c], errors="coerce").astype(float)
        return pd.DataFrame(out, index=X.index, columns=self.columns)

    def decode(self, A):
        import numpy as np
        import pandas as pd

        A = np.asarray(A, dtype=float)
        out = {}
        for j, c in enumerate(self.columns):
            a = A[:, j]
            if c in self.levels:
                lv = self.levels[c]
                idx = np.clip(np.rint(np.nan_to_num(a, nan=0.0)), 0, len(lv) - 1).astype(int)
                vals = np.asarray(lv, dtype=object)[idx]
                vals[np.isnan(a)] = None
                if c in self.ordered:
                    out[c] = pd.Categorical(vals, categories=lv, ordered=self.ordered[c])
                else:
                    out[c] = pd.Series(vals, dtype=object)
            elif c in self.bools:
                out[c] = a > 0.5
            else:
                out[c] = a
        return pd.DataFrame(out, columns=self.columns)

    def legend(self) -> list[str]:
        return [
            f"  {c}: " + ", ".join(f"{i} = {lv}" for i, lv in enumerate(levels))
            for c, levels in self.levels.items()
        ]

    # the estimator face as_blackbox reads
    def fit(self, X, y=None):  # pragma: no cover - never fitted, present for the adapter
        return self

    def predict(self, A):
        return self.model.predict(self.decode(A))

    def predict_proba(self, A):
        return self.model.predict_proba(self.decode(A))

    def __sklearn_tags__(self):
        return self.model.__sklearn_tags__()

    def __sklearn_is_fitted__(self) -> bool:
        return True


def _explain_rows(model, X, background, method: str, quiet: bool, levels: dict):
    """A LocalExplanation of the rows X: the model's own exact contributions for
    additive models (``traits.additive``), exact tree SHAP for glassbox trees,
    kernel SHAP otherwise; or a LIME-style local surrogate. Models on text columns
    are explained by kernel SHAP / local surrogates through float codes."""
    from .base import Traits
    from .models.tree import TreeClassifier, TreeRegressor

    traits = getattr(model, "traits", None)  # a model file may hold a non-glassbox model
    if method == "shap" and isinstance(traits, Traits) and traits.additive:
        return model.explain_local(X)
    coded = _Coded(model, X, levels)
    f_model = coded if coded.needed else model
    Xn = coded.encode(X) if coded.needed else X
    bg = coded.encode(background) if coded.needed else background
    if method == "shap":
        try:
            from surrogates.shap import kernel_shap, tree_shap
        except ImportError:
            raise UsageError("SHAP for this model needs the surrogates package") from None
        if isinstance(model, (TreeClassifier, TreeRegressor)):  # exact, on its own encoding
            return tree_shap(model, X, progress=not quiet)
        f = f_model.predict_proba if hasattr(model, "predict_proba") else f_model.predict
        return kernel_shap(f, Xn, background=bg, random_state=0, progress=not quiet)
    try:
        from surrogates import LocalSurrogate
    except ImportError:
        raise UsageError("--method local needs the surrogates package") from None
    bg = bg.dropna()
    if len(bg) < 2:
        raise UsageError("--method local needs rows without missing values in the CSV")
    if Xn.isna().any().any():
        c = Xn.columns[Xn.isna().any()][0]
        raise UsageError(
            f"--method local cannot perturb the missing value in column {c!r} at CSV line "
            f"{Xn.index[Xn[c].isna().to_numpy()][0]}; use --method shap"
        )
    f = f_model.predict_proba if hasattr(model, "predict_proba") else f_model.predict
    return LocalSurrogate(f, bg, random_state=0).explain(Xn)


def _cmd_explain(args) -> int:
    import numpy as np
    import pandas as pd

    model, meta = _load_model(args.model)
    frame = _load_csv(args.data)
    if args.id is not None and args.id not in frame.columns:
        raise UsageError(f"--id column {args.id!r} is not in {args.data}")
    ids = frame[args.id].astype(str) if args.id else frame.index.to_series().astype(str)
    if args.rows:
        wanted = _parse_rows(args.rows)
        pos = {v: i for i, v in reversed(list(enumerate(ids)))}
        absent = [w for w in wanted if w not in pos]
        if absent:
            where = f"column {args.id!r}" if args.id else "the CSV lines (first data row: 2)"
            raise UsageError(f"--rows {absent[:5]} not found in {where} of {args.data}")
        take = [pos[w] for w in wanted]
    else:
        take = list(range(min(5, len(frame))))
    X_all = _features_for(model, meta, frame, args.data, args.target, args, check=False)
    if args.method in ("importance", "pdp", "ale"):
        return _explain_effects(args, model, meta, frame, X_all)
    X = X_all.iloc[take]
    raw = frame.iloc[take]
    levels = _levels_of(model, meta, X.columns)
    _check_values(model, X, levels, args)
    pool = X_all[~_refused(model, X_all, levels)]
    if len(pool) == 0:
        pool = X
    if args.method == "counterfactual":
        row_ids = [
            f"line {raw.index[i]}" + (f" ({args.id} {ids.iloc[take[i]]})" if args.id else "")
            for i in range(len(take))
        ]
        return _explain_counterfactuals(args, model, X, pool, row_ids)
    background = pool.sample(min(len(pool), 100), random_state=0)
    try:
        expl = _explain_rows(model, X, background, args.method, args.quiet, levels)
        proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
        pred = None if proba is not None else np.asarray(model.predict(X), dtype=float)
    except (ValueError, TypeError) as exc:
        raise _cli_error(exc, X, type(model).__name__) from None
    from .render.rows import explained_rows

    classes = list(model.classes_) if proba is not None else None
    row_ids = [
        f"line {raw.index[i]}" + (f" ({args.id} {ids.iloc[take[i]]})" if args.id else "")
        for i in range(len(take))
    ]
    what = {
        "lime": "local surrogate (LIME-style sparse linear fit around each row)",
    }.get(expl.method, f"{expl.method} contributions")
    print(
        f"{type(model).__name__}: {what} on the {expl.link} scale; "
        "base value + contributions = output\n"
    )
    raw_rows = []
    for i in range(len(take)):
        row = dict(raw.iloc[i])
        for c in X.columns:  # what the model saw; a value filled by --impute says so
            was, now = row.get(c), X.iloc[i][c]
            if pd.isna(was) and not pd.isna(now):
                row[c] = f"{now} (imputed; missing in the file)"
        raw_rows.append(row)
    print(
        explained_rows(
            expl,
            row_ids=row_ids,
            raw_rows=raw_rows,
            classes=classes,
            proba=proba,
            prediction=pred,
            top=args.top,
        ),
        end="",
    )
    return 0


def _effects_input(model, X, levels: dict):
    """(model, rows) the effect methods take: text columns seen through float codes
    (``_Coded``), which the printout maps back to levels."""
    coded = _Coded(model, X, levels)
    if coded.needed:
        return coded, coded.encode(X), coded
    return model, X, None


def _explain_effects(args, model, meta: dict, frame, X_all) -> int:
    """``--method importance|pdp|ale``: a global effect over the CSV's rows (those the
    model accepts), printed with enough digits to check against the Python functions."""
    import numpy as np

    try:
        from surrogates.effects import ale, partial_dependence, permutation_importance
    except ImportError:
        raise UsageError(f"--method {args.method} needs the surrogates package") from None
    from .render.rows import effect_table, importance_table

    levels = _levels_of(model, meta, X_all.columns)
    rows = X_all[~_refused(model, X_all, levels)]
    if len(rows) < 2:
        raise UsageError(f"--method {args.method} needs at least 2 usable rows in {args.data}")
    dropped = len(X_all) - len(rows)
    if dropped:
        _note(args, f"{dropped} row(s) with values the model refuses are left out")
    f, Xn, coded = _effects_input(model, rows, levels)
    name = type(model).__name__
    if args.method == "importance":
        target = args.target or meta.get("data", {}).get("target")
        y = None
        if target is not None and target in frame.columns and target not in X_all.columns:
            y_col = frame.loc[rows.index, target]
            if not y_col.isna().any():
                y = y_col.to_numpy()
                if hasattr(model, "classes_"):  # labels as the model's classes (CSV text)
                    by_text = {str(c): c for c in model.classes_}
                    y = np.array([by_text.get(str(v), v) for v in y], dtype=object)
                    if all(v in by_text.values() for v in y):
                        y = np.asarray(y.tolist())
                else:
                    y = y.astype(float)
        try:
            expl = permutation_importance(f, Xn, y, n_repeats=args.repeats, random_state=args.seed)
        except (ValueError, TypeError) as exc:
            raise _cli_error(exc, rows, name) from None
        against = (
            f"against the target column {target!r}"
            if y is not None
            else "against the model's own predictions (no target column)"
        )
        score = expl.extras.get("scoring") or ("accuracy" if hasattr(model, "classes_") else "R^2")
        print(
            f"{name}: permutation importance on {len(rows):,} rows, {args.repeats} repeats "
            f"(seed {args.seed}); drop in {score} {against}, baseline "
            f"{float(expl.extras['baseline_score']):.6g}; interval "
            "95% t over repeats\n"
        )
        print(importance_table(expl), end="")
        return 0
    feats = args.feature or []
    if len(feats) not in (1, 2):
        raise UsageError(f"--method {args.method} needs --feature COL (once, or twice for a pair)")
    unknown = [c for c in feats if c not in X_all.columns]
    if unknown:
        raise UsageError(
            f"--feature {unknown[0]!r} is not a column of the model; columns are "
            f"{list(X_all.columns)}"
        )
    feature = feats[0] if len(feats) == 1 else feats
    try:
        if args.method == "pdp":
            # a text column's grid is every level (its codes), not points between codes
            grids = tuple(
                np.arange(len(coded.levels[c]), dtype=float)
                if coded is not None and c in coded.levels
                else args.grid
                for c in feats
            )
            grid = grids[0] if len(feats) == 1 else grids
            result = partial_dependence(f, Xn, feature, grid=grid)
            what = (
                f"partial dependence ({result.method} method, {result.scale}), "
                "the average over rows of the output with the feature(s) set to each value"
            )
        else:
            categorical = coded is not None and len(feats) == 1 and feats[0] in coded.levels
            result = ale(f, Xn, feature, bins=args.grid, categorical=categorical)
            what = (
                "accumulated local effects (centred to average zero over the rows)"
                if len(feats) == 1
                else "second-order accumulated local effects (the pair's interaction "
                "alone, without either feature's own effect)"
            )
    except (ValueError, TypeError) as exc:
        raise _cli_error(exc, rows, name) from None
    table = result.to_frame()
    if coded is not None:  # codes back to the levels the user wrote
        for c in feats:
            if c in coded.levels:
                lv = coded.levels[c]
                table[c] = [lv[int(round(v))] if 0 <= round(v) < len(lv) else v for v in table[c]]
    outs = ", ".join(map(str, result.output_names)) or "the prediction"
    print(f"{name}: {what}, on {len(rows):,} rows; output: {outs}\n")
    print(effect_table(table), end="")
    return 0


def _desired(args, model):
    """--desired as the model wants it: one of its classes, or (low, high)."""
    if args.desired is None:
        if not hasattr(model, "classes_"):
            raise UsageError(
                "--method counterfactual on a regressor needs --desired LOW:HIGH, the "
                "predictions wanted (e.g. --desired 20: for 20 or more)"
            )
        return None
    if hasattr(model, "classes_"):
        by_text = {str(c): c for c in model.classes_}
        if args.desired not in by_text:
            raise UsageError(
                f"--desired {args.desired!r} is not a class of the model; classes are "
                f"{list(by_text)}"
            )
        c = by_text[args.desired]
        return c.item() if hasattr(c, "item") else c
    low, sep, high = args.desired.partition(":")
    if not sep:
        raise UsageError("--desired for a regressor is LOW:HIGH (either side may be empty)")
    try:
        return (float(low) if low.strip() else None, float(high) if high.strip() else None)
    except ValueError:
        raise UsageError(f"--desired {args.desired!r} is not LOW:HIGH with numbers") from None


def _explain_counterfactuals(args, model, X, pool, row_ids) -> int:
    """``--method counterfactual``: per selected row, the nearest changes that give the
    desired outcome, each re-checked on the model, and whether they are proven nearest."""
    try:
        from surrogates import counterfactuals
    except ImportError:
        raise UsageError("--method counterfactual needs the surrogates package") from None
    from .render.rows import counterfactual_text

    unknown = [c for c in args.immutable if c not in X.columns]
    if unknown:
        raise UsageError(f"--immutable {unknown[0]!r} is not a column of the model")
    desired = _desired(args, model)
    name = type(model).__name__
    print(
        f"{name}: counterfactuals (cost: L1 in units of each feature's median absolute "
        f"deviation on the CSV's rows, plus a charge per changed feature)\n"
    )
    for i, row_id in enumerate(row_ids):
        try:
            cf = counterfactuals(
                model,
                X.iloc[[i]],
                desired=desired,
                n=args.n,
                X=pool,
                immutable=tuple(args.immutable),
                time_limit=args.time_limit,
                random_state=args.seed,
                progress=not args.quiet,
            )
        except (ValueError, TypeError) as exc:
            raise _cli_error(exc, X, name) from None
        print(counterfactual_text(cf, row_id))
    return 0


def _scored_rows(path: str, target: str, model, meta: dict, args):
    """(X, y) of a CSV to score on: the target column, the rest matched to the model."""
    frame = _load_csv(path)
    if target not in frame.columns:
        raise UsageError(
            f"target column {target!r} is not in {path}; columns are {list(frame.columns)}"
        )
    y = frame.pop(target)
    if y.isna().any():
        lines = _lines_text(frame.index[y.isna().to_numpy()])
        raise UsageError(f"target column {target!r} has missing values ({lines})")
    return _features_for(model, meta, frame, path, target, args), y


def _report_data(args, model, meta):
    """(X, y, data_role, data_name, (X, y) of every row of the file) for the report,
    from --test or --data."""
    data_meta = meta.get("data", {}) or {}
    target = args.target or data_meta.get("target")
    path = args.test or args.data
    if path is None:
        if args.target:
            raise UsageError("--target needs --data or --test")
        return None, None, None, None, (None, None)
    if target is None:
        raise UsageError("--target is needed (the model file does not record it)")
    X, y = _scored_rows(path, target, model, meta, args)
    whole = (X, y)
    name = os.path.basename(path)
    if args.test:
        return X, y, "test", f"{name}: rows not used in fitting (--test)", whole
    split = meta.get("split", {}) or {}
    same = data_meta.get("sha256") is not None and data_meta.get("sha256") == _sha256(path)
    if same and split.get("test_lines"):
        lines = [v for v in split["test_lines"] if v in set(X.index)]
        X, y = X.loc[lines], y.loc[lines]
        what = (
            f"{name}: the {split['test_size']:g} held out at fit, {len(lines)} rows, "
            f"seed {split.get('seed')}"
        )
        return X, y, "test", what, whole
    if same:
        return X, y, "train", f"{name}: every row, fitted on (--test-size 0 at fit)", whole
    what = f"{name}: not the file the model was fitted on; use --test for new rows"
    return X, y, None, what, whole


def _report_extras(args, model, meta: dict, X, y):
    """(effects, counterfactuals) for ``report --effects / --counterfactuals N``,
    computed on the scored rows the model accepts."""
    import numpy as np

    try:
        from surrogates import counterfactuals
        from surrogates.effects import ale, partial_dependence, permutation_importance
    except ImportError:
        raise UsageError("--effects and --counterfactuals need the surrogates package") from None
    levels = _levels_of(model, meta, X.columns)
    ok = ~_refused(model, X, levels)
    rows = X[ok]
    if len(rows) < 2:
        raise UsageError("--effects and --counterfactuals need at least 2 rows the model accepts")
    if (~ok).any():
        _note(args, f"{int((~ok).sum())} row(s) with values the model refuses are left out")
    effects, cfs = None, None
    if args.effects:
        f, Xn, coded = _effects_input(model, rows, levels)
        yv = None if y is None else y[ok]
        if yv is not None and hasattr(model, "classes_"):  # CSV text as the model's classes
            by_text = {str(c): c for c in model.classes_}
            yv = np.asarray([by_text.get(str(v), v) for v in yv])
        _note(args, "--effects: permutation importance, partial dependence and ALE")
        imp = permutation_importance(f, Xn, yv, n_repeats=5, random_state=args.seed)
        effects = [imp]
        text_cols = set(coded.levels) if coded is not None else set()
        size = np.asarray(imp.importances, dtype=float).reshape(len(imp.term_names), -1)
        order = np.argsort(-size.sum(axis=1), kind="stable")  # largest drop in score first
        numeric = [imp.term_names[j] for j in order if imp.term_names[j] not in text_cols]
        for feature in numeric[:3]:
            effects.append(partial_dependence(f, Xn, feature, kind="both"))
        for feature in numeric[:3]:
            effects.append(ale(f, Xn, feature))
    if args.counterfactuals:
        if not hasattr(model, "classes_"):
            raise UsageError(
                "--counterfactuals is for classifiers (a regressor needs a target interval; "
                "use glassbox explain --method counterfactual --desired LOW:HIGH)"
            )
        _note(args, f"--counterfactuals: the first {args.counterfactuals} row(s)")
        cfs = [
            counterfactuals(
                model, rows.iloc[[i]], X=rows, random_state=args.seed, progress=not args.quiet
            )
            for i in range(min(args.counterfactuals, len(rows)))
        ]
    return effects, cfs


def _cmd_report(args) -> int:
    from .render.html import report

    model, meta = _load_model(args.model)
    if args.compare and args.data is None:
        raise UsageError("--compare needs --data (the file to fit every family on)")
    if args.test and args.data and not args.compare:
        _note(args, "--data is used only with --compare when --test is given")
    X, y, role, name, (X_all, y_all) = _report_data(args, model, meta)
    comparison = None
    try:
        if args.compare:
            from sklearn.base import is_classifier

            from .compare import compare_families

            if args.test:  # the scores are on --test; every family is fitted on --data
                target = args.target or (meta.get("data", {}) or {}).get("target")
                X_all, y_all = _scored_rows(args.data, target, model, meta, args)
            task = getattr(model, "task_", None)
            classifier = task == "classification" if task is not None else is_classifier(model)
            split = meta.get("split", {}) or {}
            _note(args, "--compare: fitting every family (this may take a while)")
            comparison = compare_families(
                X_all,
                y_all,
                classifier=classifier,
                families=args.family,
                progress=not args.quiet,
                quick=args.fast,
                test_size=split.get("test_size") or 0.25,
                random_state=split.get("seed", 0),
            )
            _print_skipped(comparison)
        effects = cfs = None
        if args.effects or args.counterfactuals:
            if X is None:
                raise UsageError("--effects and --counterfactuals need --data or --test")
            effects, cfs = _report_extras(args, model, meta, X, y)
        report(
            model,
            X,
            y,
            path=args.output,
            comparison=comparison,
            data_role=role,
            data_name=name,
            effects=effects,
            counterfactuals=cfs,
        )
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise _cli_error(exc, X, type(model).__name__) from None
    if not args.quiet:
        print(f"wrote {args.output}" + (f" (scores on {name})" if name else ""), file=sys.stderr)
    return 0


_PICKLES = (".pkl", ".pickle", ".joblib", ".sav", ".dill")


def _load_blackbox(path: str):
    """(model, metadata) from a glassbox model file, or (xgboost Booster, {}) from an
    xgboost model file (.json / .ubj, read by xgboost itself). Pickle files are
    refused: loading one can run code."""
    if path.lower().endswith(_PICKLES):
        raise UsageError(
            f"{path} looks like a pickle file, which can run code when loaded; distill reads "
            "glassbox model files and xgboost model files (.json or .ubj, Booster.save_model)"
        )
    try:
        return _load_model(path)
    except UsageError as exc:  # not a glassbox file: maybe xgboost's own
        text = str(exc)
        if "not a glassbox model file" not in text and not path.lower().endswith(".ubj"):
            raise
        try:
            import xgboost as xgb

            booster = xgb.Booster()
            booster.load_model(path)
        except Exception:  # noqa: BLE001 - any failure: the glassbox error says more
            raise exc from None
        return booster, {}


def _booster_features(booster, frame, path: str, target: str | None, args):
    import pandas as pd

    if target is not None and target in frame.columns:
        frame = frame.drop(columns=[target])
    names = booster.feature_names
    if names is None:
        if frame.shape[1] != booster.num_features():
            raise UsageError(
                f"the xgboost model takes {booster.num_features()} features and records no "
                f"names; {path} has {frame.shape[1]} columns (pass --target to leave one out)"
            )
        names = list(frame.columns)
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise UsageError(f"{path} lacks the xgboost model's column(s) {missing}")
    extra = [c for c in frame.columns if c not in names]
    if extra:
        _note(args, f"ignoring column(s) {extra} (not in the model)")
    X = frame[list(names)]
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if text:
        raise UsageError(f"column(s) {text} are text; an xgboost model file takes numbers")
    return X.astype(float)


def _cmd_distill(args) -> int:
    try:
        from surrogates import distill
    except ImportError:
        raise UsageError("distill needs the surrogates package") from None
    model, meta = _load_blackbox(args.model)
    frame = _load_csv(args.data)
    if type(model).__name__ == "Booster":
        X = _booster_features(model, frame, args.data, args.target, args)
    elif not hasattr(model, "predict"):
        raise UsageError(f"{args.model} holds a {type(model).__name__}, not a model to distill")
    else:
        X = _features_for(model, meta, frame, args.data, args.target, args)
    coded = _Coded(model, X, _levels_of(model, meta, X.columns))
    Xd = coded.encode(X) if coded.needed else X
    if Xd.isna().any().any():
        keep = ~Xd.isna().any(axis=1)
        _note(args, f"distill uses the {int(keep.sum())} rows without missing values")
        Xd = Xd[keep]
        if len(Xd) < 10:
            raise UsageError("distill needs at least 10 rows without missing values")
    blackbox = coded if coded.needed else model
    params = dict(args.param)
    print(
        f"black box: {type(model).__name__} from {args.model}; student: {args.student}; "
        f"{args.n_queries} queries around {len(Xd)} rows of {os.path.basename(args.data)} "
        f"(--seed {args.seed})" + (f"; student settings {params}" if params else "")
    )
    if coded.needed:
        print("text columns are given to the student as codes:")
        print("\n".join(coded.legend()))
    print()
    try:
        sur = distill(
            blackbox,
            Xd,
            student=args.student,
            n_queries=args.n_queries,
            random_state=args.seed,
            student_params=params or None,
            progress=not args.quiet,
        )
    except (ValueError, TypeError) as exc:
        raise _cli_error(exc) from None
    print(sur)
    fid = sur.fidelity_
    print(
        f"\nfidelity on {fid.n} held-out queries: {fid.metric} {fid.value:.4f} "
        f"({100 * fid.confidence:.0f}% interval {fid.lower:.4f} .. {fid.upper:.4f}, {fid.method})"
    )
    try:
        real = sur.fidelity(Xd)
        print(
            f"fidelity on the {real.n} rows of {os.path.basename(args.data)}: {real.metric} "
            f"{real.value:.4f} ({100 * real.confidence:.0f}% interval {real.lower:.4f} .. "
            f"{real.upper:.4f})"
        )
    except (ValueError, TypeError) as exc:
        _note(args, f"no fidelity on the CSV rows: {_first_line(exc)}")
    if args.save:
        _save_model(sur, args.save, quiet=args.quiet)
    return 0


def main(argv: list[str] | None = None) -> int:
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        print(f"glassbox {_version()}")  # without importing every family first
        return 0
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handlers = {
        "demo": _cmd_demo,
        "fit": _cmd_fit,
        "compare": _cmd_compare,
        "explain": _cmd_explain,
        "report": _cmd_report,
        "distill": _cmd_distill,
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return handlers[args.command](args)
    except UsageError as exc:
        print(f"glassbox: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
