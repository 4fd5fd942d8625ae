"""The ``glassbox`` command.

Bad arguments or unreadable files end with exit status 2 and one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from ._validation import is_categorical_column


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
        "--family",
        action="append",
        choices=sorted(FAMILIES),
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
        "--task",
        default="auto",
        choices=["auto", "classification", "regression"],
        help="auto: classification when the target is text, boolean or has <= 10 integer values",
    )
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    fit.add_argument(
        "--save", metavar="PATH", help="also write the fitted model to PATH (JSON, no pickle)"
    )
    _add_model_commands(sub)
    return parser


def _load_csv(path: str):
    import pandas as pd

    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot read {path} as CSV: {first}") from None


def _read_csv(path: str, target: str):
    import pandas as pd

    frame = _load_csv(path)
    if target not in frame.columns:
        raise UsageError(
            f"target column {target!r} is not in {path}; columns are {list(frame.columns)}"
        )
    if len(frame) == 0:
        raise UsageError(f"{path} has a header but no rows")
    y = frame.pop(target)
    if y.isna().any():
        raise UsageError(f"target column {target!r} has {int(y.isna().sum())} missing values")
    text_cols = [c for c in frame.columns if is_categorical_column(frame[c])]
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
    classification = _is_classification(y) if args.task == "auto" else args.task == "classification"
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
    if args.save:
        _save_model(model, args.save, quiet=args.quiet)
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


# --- compare, explain, report and model files ----------------------------------


def _add_model_commands(sub) -> None:
    from .registry import FAMILIES

    cmp = sub.add_parser(
        "compare",
        help="fit several families on a CSV file and tabulate score against complexity",
        description=(
            "Fit several glassbox families on one CSV file (75/25 split) and print a "
            "table of held-out score (accuracy or R^2), complexity and fit seconds."
        ),
    )
    cmp.add_argument("data", metavar="DATA.csv", help="CSV file with a header row")
    cmp.add_argument("--target", required=True, metavar="COL", help="name of the target column")
    cmp.add_argument(
        "--family",
        action="append",
        choices=sorted(FAMILIES),
        help="only these families (repeatable; default: every family for the task)",
    )
    cmp.add_argument(
        "--task",
        default="auto",
        choices=["auto", "classification", "regression"],
        help="auto: classification when the target is text, boolean or has <= 10 integer values",
    )
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")

    exp = sub.add_parser(
        "explain",
        help="explain a saved model's predictions on the rows of a CSV file",
        description=(
            "Load a model saved with 'glassbox fit --save' and print, for each row of "
            "the CSV file, the base value and the largest feature contributions. "
            "--method shap gives SHAP values (exact for GLM, GAM, EBM and trees); "
            "--method local fits a local surrogate around each row."
        ),
    )
    exp.add_argument("model", metavar="MODEL.json", help="a model file written by --save")
    exp.add_argument("data", metavar="DATA.csv", help="CSV file with the model's feature columns")
    exp.add_argument(
        "--method",
        default="shap",
        choices=["shap", "local"],
        help="shap (default) or local (LIME-style local surrogate)",
    )
    exp.add_argument(
        "--rows",
        type=_positive_int,
        default=5,
        metavar="N",
        help="explain the first N rows (default 5)",
    )
    exp.add_argument(
        "--top",
        type=_positive_int,
        default=5,
        metavar="K",
        help="show the K largest contributions per row (default 5)",
    )
    exp.add_argument("--target", metavar="COL", help="a column to drop (the target), if present")
    exp.add_argument("--quiet", action="store_true", help="no progress bar")

    rep = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a saved model",
        description=(
            "Write one offline HTML page (plots inline as SVG) with the model's text, "
            "its plots and, with --data and --target, its score and the comparison "
            "table of 'glassbox compare' on that data."
        ),
    )
    rep.add_argument("model", metavar="MODEL.json", help="a model file written by --save")
    rep.add_argument("-o", "--output", required=True, metavar="REPORT.html", help="where to write")
    rep.add_argument("--data", metavar="DATA.csv", help="CSV file to score the model on")
    rep.add_argument("--target", metavar="COL", help="target column of --data")
    rep.add_argument(
        "--no-compare",
        action="store_true",
        help="with --data: skip the table comparing every family",
    )
    rep.add_argument("--quiet", action="store_true", help="no progress bar")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def _save_model(model, path: str, quiet: bool) -> None:
    from . import io

    try:
        io.save(model, path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    except TypeError as exc:
        raise UsageError(f"cannot save this model: {str(exc).splitlines()[0]}") from None
    if not quiet:
        print(f"saved model to {path}", file=sys.stderr)


def _load_model(path: str):
    from . import io

    try:
        return io.load(path)
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {path}: it is a directory") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"{path}: {str(exc).splitlines()[0]}") from None


def _features_for(model, path: str, target: str | None):
    """The CSV's rows as the model's feature columns (one-hot names as in fit)."""
    import pandas as pd

    frame = _load_csv(path)
    if len(frame) == 0:
        raise UsageError(f"{path} has a header but no rows")
    if target is not None and target in frame.columns:
        frame = frame.drop(columns=[target])
    text_cols = [c for c in frame.columns if is_categorical_column(frame[c])]
    if text_cols:
        frame = pd.get_dummies(frame, columns=text_cols, prefix_sep="=", dtype=float)
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        if frame.shape[1] != model.n_features_in_:
            raise UsageError(
                f"{path} has {frame.shape[1]} feature columns; the model needs {model.n_features_in_}"
            )
        return frame
    names = [str(n) for n in names]
    dummies = {n for n in names if "=" in n}
    missing = [n for n in names if n not in frame.columns and n not in dummies]
    if missing:
        raise UsageError(f"{path} lacks the model's column(s) {missing}")
    # a one-hot level absent from this file is simply 0 in every row
    return frame.reindex(columns=names, fill_value=0.0)


def _cmd_compare(args) -> int:
    import pandas as pd

    from .compare import compare_families
    from .registry import FAMILIES

    X, y = _read_csv(args.data, args.target)
    classification = _is_classification(y) if args.task == "auto" else args.task == "classification"
    try:
        table = compare_families(
            X,
            y,
            classifier=classification,
            families=args.family or sorted(FAMILIES),
            progress=not args.quiet,
        )
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    with pd.option_context("display.width", 120, "display.max_columns", 10):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def _explain_rows(model, X, background, method: str, quiet: bool):
    """A LocalExplanation of the rows X: the model's own exact contributions for
    additive models (``traits.additive``), exact tree SHAP for glassbox trees,
    kernel SHAP otherwise; or a LIME-style local surrogate."""
    from .base import Traits
    from .models.tree import TreeClassifier, TreeRegressor

    f = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    if method == "shap":
        traits = getattr(model, "traits", None)  # a model file may hold a non-glassbox model
        if isinstance(traits, Traits) and traits.additive:
            return model.explain_local(X)
        try:
            from surrogates.shap import kernel_shap, tree_shap
        except ImportError:
            raise UsageError("SHAP for this model needs the surrogates package") from None
        if isinstance(model, (TreeClassifier, TreeRegressor)):
            return tree_shap(model, X, progress=not quiet)
        return kernel_shap(f, X, background=background, random_state=0, progress=not quiet)
    try:
        from surrogates import LocalSurrogate
    except ImportError:
        raise UsageError("--method local needs the surrogates package") from None
    return LocalSurrogate(f, background, random_state=0).explain(X)


def _cmd_explain(args) -> int:
    import numpy as np

    model = _load_model(args.model)
    frame = _features_for(model, args.data, args.target)
    X = frame.iloc[: args.rows]
    background = frame.sample(min(len(frame), 100), random_state=0)
    try:
        expl = _explain_rows(model, X, background, args.method, args.quiet)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    values = np.asarray(expl.values)
    base = np.asarray(expl.base_values)
    outputs = list(expl.output_names) or ["y"]
    if values.ndim == 2:
        values, base = values[:, :, None], base[:, None]
    print(
        f"{type(model).__name__}: {expl.method} contributions on the {expl.link} scale "
        f"(base value + contributions = output)"
    )
    for i in range(values.shape[0]):
        for k in range(values.shape[2]):
            label = f"row {i}" + (f", output {outputs[k]}" if values.shape[2] > 1 else "")
            v = values[i, :, k]
            print(f"\n{label}: base {base[i, k]:.6g} -> output {base[i, k] + v.sum():.6g}")
            for j in np.argsort(-np.abs(v))[: args.top]:
                data = np.asarray(expl.data)[i, j]
                print(f"  {v[j]:+12.6g}  {expl.feature_names[j]} = {data:.6g}")
    return 0


def _cmd_report(args) -> int:
    from .render.html import report

    model = _load_model(args.model)
    X = y = None
    if (args.data is None) != (args.target is None):
        raise UsageError("--data and --target go together")
    if args.data is not None:
        X, y = _read_csv(args.data, args.target)
        X = _features_for_frame(model, X, args.data)
    try:
        comparison = None
        if args.data is not None and not args.no_compare:
            from sklearn.base import is_classifier

            from .compare import compare_families

            # a distilled surrogate says its task; an estimator by scikit-learn's tag
            task = getattr(model, "task_", None)
            classifier = task == "classification" if task is not None else is_classifier(model)
            comparison = compare_families(X, y, classifier=classifier, progress=not args.quiet)
        report(model, X, y, path=args.output, comparison=comparison)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    if not args.quiet:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _features_for_frame(model, X, path: str):
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return X
    names = [str(n) for n in names]
    missing = [n for n in names if n not in X.columns and "=" not in n]
    if missing:
        raise UsageError(f"{path} lacks the model's column(s) {missing}")
    return X.reindex(columns=names, fill_value=0.0)


def main(argv: list[str] | None = None) -> int:
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
