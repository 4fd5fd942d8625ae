"""The ``glassbox`` command.

Bad arguments or unreadable files end with exit status 2 and one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, status 2, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class UsageError(Exception):
    """A user mistake to report in one line with exit status 2."""


def _build_parser() -> argparse.ArgumentParser:
    from .registry import FAMILIES

    parser = _Parser(
        prog="glassbox",
        description=(
            "Fit interpretable models and print them as text a person can check. "
            "Run 'glassbox demo' to see every family on bundled data."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = sub.add_parser(
        "demo",
        help="fit every family on bundled data, print each model and a comparison",
        description=(
            "Fit every glassbox family on scikit-learn's breast cancer "
            "(classification) and diabetes (regression) data, print each fitted "
            "model, then a table of held-out score, complexity and fit seconds."
        ),
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.add_argument(
        "--family", action="append", choices=sorted(FAMILIES),
        help="only these families (repeatable; default: all)",
    )

    fit = sub.add_parser(
        "fit",
        help="fit one family on a CSV file and print the model",
        description="Fit one glassbox family on a CSV file and print the fitted model.",
    )
    fit.add_argument("data", metavar="DATA.csv", help="CSV file with a header row")
    fit.add_argument("--target", required=True, metavar="COL", help="name of the target column")
    fit.add_argument(
        "--family", default="glm", choices=sorted(FAMILIES), help="model family (default: glm)"
    )
    fit.add_argument(
        "--task", default="auto", choices=["auto", "classification", "regression"],
        help="auto: classification when the target is text, boolean or has <= 10 integer values",
    )
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _read_csv(path: str, target: str):
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot read {path} as CSV: {first}") from None
    if target not in frame.columns:
        raise UsageError(
            f"target column {target!r} is not in {path}; columns are {list(frame.columns)}"
        )
    if len(frame) == 0:
        raise UsageError(f"{path} has a header but no rows")
    y = frame.pop(target)
    if y.isna().any():
        raise UsageError(f"target column {target!r} has {int(y.isna().sum())} missing values")
    text_cols = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text_cols:  # readable one-hot names: "colour=red"
        frame = pd.get_dummies(frame, columns=text_cols, prefix_sep="=", dtype=float)
    return frame, y


def _is_classification(y) -> bool:
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return True
    return bool((y == y.round()).all() and y.nunique() <= 10)


def _cmd_fit(args) -> int:
    from .registry import FAMILIES, fast

    X, y = _read_csv(args.data, args.target)
    classification = (
        _is_classification(y) if args.task == "auto" else args.task == "classification"
    )
    cls = FAMILIES[args.family][0 if classification else 1]
    if cls is None:
        task = "classification" if classification else "regression"
        raise UsageError(f"family {args.family!r} has no {task} model; pick another --family")
    model = fast(cls)
    try:
        if hasattr(model, "verbose"):
            model.set_params(verbose=not args.quiet)
        model.fit(X, y)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    print(model)
    print(f"\ntraining score: {model.score(X, y):.4f}")
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
    tables = []
    for title, (X, y), classes in tasks:
        estimators = {c.__name__: fast(c) for c in classes if c in wanted}
        if not estimators:
            continue
        fitted: dict = {}
        table = compare(estimators, X, y, progress=not args.quiet, fitted=fitted)
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


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handlers = {"demo": _cmd_demo, "fit": _cmd_fit}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return handlers[args.command](args)
    except UsageError as exc:
        print(f"glassbox: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
