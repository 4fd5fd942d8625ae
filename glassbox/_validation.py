"""Input validation in one place.

Every glassbox estimator calls these helpers at the top of ``fit`` and
``predict`` so bad input is refused with a message that names the problem and
what to do, before any backend (scikit-learn, pygam, interpret, ...) sees it.

At fit they record the estimator's ``input_schema_`` (an ``InputSchema``: one
``ColumnSpec`` per column with its kind, its levels in the model's order and
what the model does with missing values and unseen levels); at predict they
match new data to it by name, whatever the label type, and refuse a missing,
extra, renamed, duplicated or reordered column, a date column, and a missing
value or unseen level the model does not handle, naming column, row and value.
Families that take categories call ``check_frame`` and encode through the
schema (``codes``, ``one_hot``, ``categorical_frame``); numeric-only families
call ``check_X`` / ``check_X_y``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data


def default_feature_names(n: int) -> list[str]:
    """``x0, x1, ...``: the names of ``n`` columns that came without names."""
    return [f"x{i}" for i in range(n)]


def feature_names(est) -> list[str]:
    """The names a fitted estimator prints: ``feature_names_in_`` or x0, x1, ..."""
    schema = getattr(est, "input_schema_", None)
    if schema is not None and schema.named:
        return list(schema.names)  # any label type, e.g. integer labels 0, 1, 2
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    return default_feature_names(est.n_features_in_)


# --- the input schema: what a fitted model takes, column by column ----------------

#: what a column can be
KINDS = ("numeric", "categorical", "boolean")
#: what a model does with a missing value (NaN / None / pd.NA) in a column:
#: "refuse" = SchemaError naming column, row and value; "native" = the backend takes it
MISSING_RULES = ("refuse", "native")
#: what a model does with a categorical level not seen in fit: "refuse" or "native"
UNSEEN_RULES = ("refuse", "native")

_BOOL_LEVELS = ("False", "True")


class SchemaError(ValueError):
    """Input that does not fit a model's schema, with its facts kept apart.

    ``str(exc)`` is ``facts; advice``. The command line prints ``facts`` with its
    own advice (``--impute``, ``--drop``); ``column``, ``row`` (the row's index
    label, or its position for arrays) and ``value`` are None when not relevant.
    """

    def __init__(self, facts: str, advice: str = "", *, column=None, row=None, value=None):
        self.facts, self.advice = facts, advice
        self.column, self.row, self.value = column, row, value
        super().__init__(f"{facts}; {advice}" if advice else facts)


class SchemaTypeError(SchemaError, TypeError):
    """A column of a kind no model takes (dates, durations) or of the wrong kind."""


@dataclass(frozen=True)
class ColumnSpec:
    """One input column of a fitted model.

    ``levels`` are a categorical column's levels as text, in the model's order
    (a pandas Categorical's own order, ordered or not; sorted text otherwise);
    a boolean column has ``("False", "True")``; a numeric column none.
    """

    name: str
    kind: str = "numeric"
    levels: tuple[str, ...] = ()
    ordered: bool = False
    missing: str = "refuse"
    unseen: str = "refuse"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise ValueError(f"ColumnSpec.name must be a str, got {self.name!r}")
        if self.kind not in KINDS:
            raise ValueError(f"ColumnSpec.kind must be one of {KINDS}, got {self.kind!r}")
        if self.missing not in MISSING_RULES:
            raise ValueError(
                f"ColumnSpec.missing must be one of {MISSING_RULES}, got {self.missing!r}"
            )
        if self.unseen not in UNSEEN_RULES:
            raise ValueError(
                f"ColumnSpec.unseen must be one of {UNSEEN_RULES}, got {self.unseen!r}"
            )
        levels = tuple(self.levels)
        if not all(isinstance(v, str) for v in levels):
            raise ValueError(f"ColumnSpec.levels of {self.name!r} must be text, got {levels!r}")
        if len(set(levels)) != len(levels):
            raise ValueError(f"ColumnSpec.levels of {self.name!r} repeat a level: {levels!r}")
        if self.kind == "numeric" and levels:
            raise ValueError(f"numeric column {self.name!r} cannot have levels")
        if self.kind == "boolean" and levels not in ((), _BOOL_LEVELS):
            raise ValueError(f"boolean column {self.name!r} has levels {_BOOL_LEVELS}")
        object.__setattr__(self, "levels", _BOOL_LEVELS if self.kind == "boolean" else levels)
        object.__setattr__(self, "ordered", bool(self.ordered))

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "levels": list(self.levels),
            "ordered": self.ordered,
            "missing": self.missing,
            "unseen": self.unseen,
        }


_SPEC_FIELDS = ("name", "kind", "levels", "ordered", "missing", "unseen")


@dataclass(frozen=True)
class InputSchema:
    """The columns a fitted model takes, in order (``est.input_schema_``).

    ``named`` is True when fit saw column labels (a DataFrame, any label type);
    then columns are matched by name at predict: a missing, extra, renamed,
    duplicated or reordered column is refused naming it (``align`` reorders
    and drops extras explicitly). Arrays are matched by position.
    """

    columns: tuple[ColumnSpec, ...]
    named: bool = True

    def __post_init__(self) -> None:
        cols = tuple(self.columns)
        if not all(isinstance(c, ColumnSpec) for c in cols):
            raise ValueError("InputSchema.columns must be ColumnSpec objects")
        dup = _duplicates([c.name for c in cols])
        if dup:
            raise ValueError(f"InputSchema has duplicated column names {dup}")
        object.__setattr__(self, "columns", cols)
        object.__setattr__(self, "named", bool(self.named))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def categorical(self) -> tuple[int, ...]:
        """Positions of the categorical and boolean columns."""
        return tuple(j for j, c in enumerate(self.columns) if c.kind != "numeric")

    def __len__(self) -> int:
        return len(self.columns)

    def __getitem__(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict:
        """Plain JSON types only (str, bool, lists, dicts)."""
        return {"named": self.named, "columns": [c.to_dict() for c in self.columns]}

    @classmethod
    def from_dict(cls, d) -> InputSchema:
        """The schema ``to_dict`` wrote; ValueError naming the bad field."""
        if not isinstance(d, Mapping):
            raise ValueError(f"input schema must be a mapping, got {type(d).__name__}")
        if set(d) - {"named", "columns"}:
            raise ValueError(
                f"input schema has unknown field(s) {sorted(set(d) - {'named', 'columns'})}"
            )
        cols = d.get("columns")
        if not isinstance(cols, (list, tuple)):
            raise ValueError("input schema field 'columns' must be a list")
        named = d.get("named", True)
        if not isinstance(named, bool):
            raise ValueError(f"input schema field 'named' must be true/false, got {named!r}")
        specs = []
        for i, c in enumerate(cols):
            if not isinstance(c, Mapping):
                raise ValueError(f"input schema field 'columns[{i}]' must be a mapping")
            extra = set(c) - set(_SPEC_FIELDS)
            if extra:
                raise ValueError(
                    f"input schema field 'columns[{i}]' has unknown key(s) {sorted(extra)}"
                )
            if "name" not in c:
                raise ValueError(f"input schema field 'columns[{i}].name' is missing")
            levels = c.get("levels", [])
            if not isinstance(levels, (list, tuple)):
                raise ValueError(f"input schema field 'columns[{i}].levels' must be a list")
            ordered = c.get("ordered", False)
            if not isinstance(ordered, bool):
                raise ValueError(f"input schema field 'columns[{i}].ordered' must be true/false")
            try:
                specs.append(
                    ColumnSpec(
                        name=c["name"],
                        kind=c.get("kind", "numeric"),
                        levels=tuple(levels),
                        ordered=ordered,
                        missing=c.get("missing", "refuse"),
                        unseen=c.get("unseen", "refuse"),
                    )
                )
            except ValueError as exc:
                raise ValueError(f"input schema field 'columns[{i}]': {exc}") from None
        return cls(tuple(specs), named=named)

    # --- model code reads the validated frame through these --------------------

    def align(self, X: pd.DataFrame) -> pd.DataFrame:
        """X's columns in this schema's order, matched by name (str of the label);
        extra columns dropped. Refuses a missing or duplicated column, naming it.
        For the command line and reports; ``predict`` itself refuses extras."""
        labels = _labels(X)
        missing = [n for n in self.names if n not in labels]
        if missing:
            raise SchemaError(
                f"X lacks column(s) {missing} the model was fitted on", "", column=missing[0]
            )
        pos = {lab: i for i, lab in enumerate(labels)}
        out = X.iloc[:, [pos[n] for n in self.names]]
        out.columns = list(self.names)
        return out

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """float64 (n, p): numeric columns as numbers, boolean 0/1, categorical the
        index of the level in ``levels``; NaN for missing, ``len(levels)`` for an
        unseen level (only where ``unseen="native"``; "refuse" was refused)."""
        out = np.empty(frame.shape, dtype=np.float64)
        for j, spec in enumerate(self.columns):
            col = frame.iloc[:, j]
            if spec.kind == "numeric":
                out[:, j] = _numeric_values(col)
                continue
            text, missing = _text_values(col, spec)
            lookup = {v: k for k, v in enumerate(spec.levels)}
            out[:, j] = [lookup.get(t, len(spec.levels)) for t in text]
            out[missing, j] = np.nan
        return out

    def one_hot_columns(
        self, *, reference: bool = True
    ) -> list[tuple[str, str | None, str | None]]:
        """(column, level, reference level) of every column ``one_hot`` returns;
        level and reference are None for a numeric column; reference None
        without reference coding. The reference level is the first level
        (R's convention: sorted text, or the Categorical's own order; False)."""
        out = []
        for spec in self.columns:
            if spec.kind == "numeric":
                out.append((spec.name, None, None))
            elif reference:
                out += [(spec.name, lv, spec.levels[0]) for lv in spec.levels[1:]]
            else:
                out += [(spec.name, lv, None) for lv in spec.levels]
        return out

    def one_hot(self, frame: pd.DataFrame, *, reference: bool = True) -> np.ndarray:
        """float64 design matrix: numeric columns as they are, each categorical
        (and boolean) column as 0/1 columns, one per level, minus the first
        level with ``reference=True`` (reference coding). Missing values stay
        NaN in every dummy of their column; an unseen level is 0 in all of them
        (reachable only where ``unseen="native"``)."""
        codes = self.codes(frame)
        parts = []
        for j, spec in enumerate(self.columns):
            c = codes[:, j]
            if spec.kind == "numeric":
                parts.append(c[:, None])
                continue
            levels = range(1 if reference else 0, len(spec.levels))
            block = (
                np.column_stack([(c == k).astype(np.float64) for k in levels])
                if len(levels)
                else np.empty((len(c), 0))
            )
            block[np.isnan(c)] = np.nan
            parts.append(block)
        return np.ascontiguousarray(np.column_stack(parts) if parts else codes)

    def categorical_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A DataFrame with numeric columns as float64 and categorical / boolean
        columns as pandas Categorical over ``levels`` (text, in the model's order,
        ``ordered`` kept); missing values (and unseen levels) are NaN."""
        cols = {}
        for j, spec in enumerate(self.columns):
            col = frame.iloc[:, j]
            if spec.kind == "numeric":
                cols[spec.name] = _numeric_values(col)
            else:
                text, missing = _text_values(col, spec)
                text = np.where(missing, None, text)
                cols[spec.name] = pd.Categorical(
                    text, categories=list(spec.levels), ordered=spec.ordered
                )
        return pd.DataFrame(cols, index=frame.index)


def _duplicates(names) -> list[str]:
    seen, dup = set(), []
    for n in names:
        if n in seen and n not in dup:
            dup.append(n)
        seen.add(n)
    return dup


def _labels(X: pd.DataFrame) -> list[str]:
    """X's column labels as text; refuses duplicates, naming them."""
    labels = [str(c) for c in X.columns]
    dup = _duplicates(labels)
    if dup:
        raise SchemaError(
            f"X has duplicated column names {dup}",
            "give every column its own name (or drop the copies)",
            column=dup[0],
        )
    return labels


def _numeric_values(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)


def _text_values(col: pd.Series, spec: ColumnSpec) -> tuple[np.ndarray, np.ndarray]:
    """(text of every value, missing mask): how a level is matched to ``levels``."""
    missing = col.isna().to_numpy()
    values = col.astype(object).to_numpy()
    text = np.array(["" if m else str(v) for v, m in zip(values, missing)], dtype=object)
    if spec.kind == "boolean":
        # 1/0 and "true"/"false" as a CSV gives them are the same two levels
        alias = {
            "1": "True",
            "0": "False",
            "1.0": "True",
            "0.0": "False",
            "true": "True",
            "false": "False",
        }
        text = np.array([alias.get(t, t) for t in text], dtype=object)
    return text, missing


def _kind_of(col: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(col.dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype):
        return "numeric"
    return "categorical"


def _refuse_dates(X: pd.DataFrame) -> None:
    for c in X.columns:
        dtype = X[c].dtype
        if isinstance(dtype, pd.PeriodDtype) or getattr(dtype, "kind", "") == "M":
            raise SchemaTypeError(
                f"column {str(c)!r} holds dates (dtype {dtype}), which no model here takes "
                "as they are",
                "turn them into numbers first, e.g. days since the first date "
                f"((X[{str(c)!r}] - X[{str(c)!r}].min()).dt.days), or the year and month "
                "as separate columns (.dt.year, .dt.month)",
                column=str(c),
            )
        if getattr(dtype, "kind", "") == "m":
            raise SchemaTypeError(
                f"column {str(c)!r} holds durations (dtype {dtype}), which no model here "
                "takes as they are",
                f"turn them into numbers first, e.g. days: X[{str(c)!r}].dt.total_seconds() / 86400",
                column=str(c),
            )


def _match_names(schema: InputSchema, labels: list[str], est_name: str) -> None:
    """Refuse columns that are not the fitted ones in the fitted order, in
    scikit-learn's words, for any label type (scikit-learn checks str labels only)."""
    if labels == list(schema.names):
        return
    fitted = set(schema.names)
    unseen = [n for n in labels if n not in fitted]
    missing = [n for n in schema.names if n not in set(labels)]
    # first line: the facts in one line (the command line prints only that);
    # then scikit-learn's own wording, which its estimator checks look for
    if unseen or missing:
        head = (
            "X's columns are not the fitted ones:"
            + (f" missing {missing}" if missing else "")
            + (f" unexpected {unseen}" if unseen else "")
        )
    else:
        head = f"X's columns are in another order than in fit: got {labels}"
    msg = head + "\nThe feature names should match those that were passed during fit.\n"
    if unseen or missing:
        if unseen:
            msg += "Feature names unseen at fit time:\n" + "".join(f"- {n}\n" for n in unseen[:5])
            if len(unseen) > 5:
                msg += "- ...\n"
        if missing:
            msg += "Feature names seen at fit time, yet now missing:\n" + "".join(
                f"- {n}\n" for n in missing[:5]
            )
            if len(missing) > 5:
                msg += "- ...\n"
        raise SchemaError(
            msg.rstrip("\n"),
            f"{est_name} takes the columns {list(schema.names)}",
            column=(missing or unseen)[0],
        )
    raise SchemaError(
        msg + "Feature names must be in the same order as they were in fit",
        "select them in the fitted order: X[list(model.input_schema_.names)]",
    )


def _refuse_missing(frame: pd.DataFrame, schema: InputSchema, est_name: str, index) -> None:
    """NaN where the schema says "refuse", inf in numeric columns, unseen levels."""
    for j, spec in enumerate(schema.columns):
        col = frame.iloc[:, j]
        missing = col.isna().to_numpy()
        if spec.kind == "numeric":
            values = _numeric_values(col)
            inf = np.isinf(values)
            if inf.any():
                i = int(np.argmax(inf))
                raise SchemaError(
                    f"column {spec.name!r} contains infinity ({values[i]}) at row {_row(index, i)}",
                    f"replace or drop infinite values before calling {est_name}",
                    column=spec.name,
                    row=_row(index, i),
                    value=float(values[i]),
                )
        if spec.missing == "refuse" and missing.any():
            i = int(np.argmax(missing))
            raise SchemaError(
                f"column {spec.name!r} has a missing value (NaN) at row {_row(index, i)}"
                + (f" and {int(missing.sum()) - 1} more rows" if missing.sum() > 1 else ""),
                f"{est_name} does not accept missing values: fill them (e.g. "
                "sklearn.impute.SimpleImputer) or drop those rows, or use a family that takes "
                "them (EBMClassifier/EBMRegressor, TreeClassifier/TreeRegressor)",
                column=spec.name,
                row=_row(index, i),
                value=None,
            )
        if spec.kind != "numeric" and spec.unseen == "refuse":
            text, miss = _text_values(col, spec)
            known = set(spec.levels)
            bad = np.array([(t not in known) and not m for t, m in zip(text, miss)], dtype=bool)
            if bad.any():
                i = int(np.argmax(bad))
                raise SchemaError(
                    f"column {spec.name!r} has the level {text[i]!r} at row {_row(index, i)}, "
                    f"not seen in fit (known levels: {list(spec.levels)})",
                    f"{est_name} has nothing learned for it: map it to a known level or drop the row",
                    column=spec.name,
                    row=_row(index, i),
                    value=text[i],
                )


def _row(index, i: int):
    """The label of row ``i`` (its index label for a DataFrame, its position otherwise)."""
    if index is None:
        return i
    label = index[i]
    return label.item() if hasattr(label, "item") else label


def _schema_of(X, kinds: list[str], missing: str, unseen: str) -> InputSchema:
    if not isinstance(X, pd.DataFrame):
        names = default_feature_names(len(kinds))
        return InputSchema(tuple(ColumnSpec(n, missing=missing) for n in names), named=False)
    specs = []
    for j, kind in enumerate(kinds):
        name = str(X.columns[j])
        col = X.iloc[:, j]
        if kind == "numeric":
            specs.append(ColumnSpec(name, missing=missing))
        elif kind == "boolean":
            specs.append(ColumnSpec(name, "boolean", missing=missing, unseen=unseen))
        elif isinstance(col.dtype, pd.CategoricalDtype):
            levels = tuple(str(v) for v in col.cat.categories)
            specs.append(
                ColumnSpec(name, "categorical", levels, bool(col.cat.ordered), missing, unseen)
            )
        else:
            levels = tuple(sorted({str(v) for v in col.dropna().astype(object)}))
            specs.append(ColumnSpec(name, "categorical", levels, False, missing, unseen))
    return InputSchema(tuple(specs), named=True)


def check_frame(
    est,
    X,
    *,
    reset: bool,
    missing: str = "refuse",
    unseen: str = "refuse",
    categorical: bool = True,
) -> pd.DataFrame:
    """Validate X for a family that takes categorical columns itself.

    At fit (``reset=True``) records ``est.input_schema_`` (with the model's
    ``missing`` / ``unseen`` rules, see ``MISSING_RULES``), ``n_features_in_``
    and ``feature_names_in_``; at predict checks X against it: columns by name
    (any label type), kinds, missing values and unseen levels, refused with a
    ``SchemaError`` naming column, row and value.

    Returns a DataFrame with the columns in the fitted order, labelled by the
    schema's names (str), X's index kept, values as given (numeric columns of
    an array input as float64). Turn it into what the backend takes with
    ``est.input_schema_.codes(frame)``, ``.one_hot(frame)`` or
    ``.categorical_frame(frame)``, or pass it as it is (EBM).
    """
    name = type(est).__name__
    if not reset:
        check_is_fitted(est)
    if X is None:
        raise ValueError(f"{name} got X=None; pass a 2-D array or DataFrame of features")
    schema = None if reset else getattr(est, "input_schema_", None)
    from_array = False
    if isinstance(X, pd.DataFrame):
        labels = _labels(X)
        _refuse_dates(X)
        if schema is not None and schema.named:
            _match_names(schema, labels, name)
        kinds = [_kind_of(X.iloc[:, j]) for j in range(X.shape[1])]
        if schema is not None and len(kinds) == len(schema):
            for spec, kind in zip(schema.columns, kinds):
                if spec.kind == "numeric" and kind == "categorical":
                    raise SchemaTypeError(
                        f"column {spec.name!r} holds text (dtype {X[X.columns[schema.names.index(spec.name)]].dtype}) "
                        "but was numeric in fit",
                        "pass numbers in it, as in fit",
                        column=spec.name,
                    )
        text_cols = [labels[j] for j, k in enumerate(kinds) if k == "categorical"]
        if text_cols and not categorical:
            raise SchemaTypeError(
                f"column(s) {text_cols} are not numeric (dtype {X[X.columns[kinds.index('categorical')]].dtype}); "
                f"{name} takes numbers only",
                "encode them as numbers first (e.g. sklearn.preprocessing.OneHotEncoder), or use "
                "a family that takes categories (GLM, tree, GAM, EBM, rules)",
                column=text_cols[0],
            )
        if X.shape[0] == 0 and X.shape[1]:
            raise ValueError(f"X is empty (0 rows); {name} needs at least one row")
        uses_frame = (
            bool(text_cols)
            if schema is None
            else bool([j for j in schema.categorical if schema.columns[j].kind == "categorical"])
            or bool(text_cols)
        )
    else:
        uses_frame = False
        kinds = None
        if schema is not None and any(c.kind == "categorical" for c in schema.columns):
            # an array for a model with text columns: positional, as scikit-learn
            # matches arrays, but its values go through the schema like a frame's
            validate_data(est, X, reset=False, skip_check_array=True)
            arr = np.asarray(X, dtype=object)
            if arr.ndim != 2:
                raise ValueError(
                    f"Expected a 2-D array, got shape {arr.shape}; reshape your data "
                    "(one row per sample, one column per feature)"
                )
            X = pd.DataFrame(arr, columns=list(schema.names))
            for j, spec in enumerate(schema.columns):
                if spec.kind == "numeric":
                    try:
                        X[spec.name] = _numeric_values(X[spec.name])
                    except (TypeError, ValueError):
                        raise SchemaTypeError(
                            f"column {j} ({spec.name!r}) is not numeric but was numeric in fit",
                            "pass numbers in it, as in fit",
                            column=spec.name,
                        ) from None
            uses_frame = from_array = True
    if not uses_frame:
        arr = validate_data(
            est, X, reset=reset, dtype=np.float64, ensure_all_finite=False, order="C"
        )
        index = X.index if isinstance(X, pd.DataFrame) else None
        if reset:
            kinds = kinds if kinds is not None else ["numeric"] * arr.shape[1]
            schema = _schema_of(X, kinds, missing, unseen)
        elif schema is None:  # fitted before schemas existed
            schema = _schema_of(None, ["numeric"] * arr.shape[1], "refuse", "refuse")
        frame = pd.DataFrame(arr, columns=list(schema.names), index=index, copy=False)
    else:
        if not from_array:
            validate_data(est, X, reset=reset, skip_check_array=True)
        if reset:
            schema = _schema_of(X, kinds, missing, unseen)
        frame = X.copy(deep=False)
        frame.columns = list(schema.names)
        index = X.index
        for j, spec in enumerate(schema.columns):
            if spec.kind == "numeric":
                try:
                    _numeric_values(frame.iloc[:, j])
                except (TypeError, ValueError):
                    raise SchemaTypeError(
                        f"column {spec.name!r} is not numeric but was numeric in fit",
                        "pass numbers in it, as in fit",
                        column=spec.name,
                    ) from None
    _refuse_missing(frame, schema, name, index)
    if reset:
        est.input_schema_ = schema
    return frame


def check_frame_y(est, X, y, *, classifier: bool, missing: str = "refuse", unseen: str = "refuse"):
    """``check_frame`` at fit plus ``check_X_y``'s checks of y; returns (frame, y)."""
    if y is None:
        raise ValueError(f"{type(est).__name__} requires y to be passed, but the target y is None")
    frame = check_frame(est, X, reset=True, missing=missing, unseen=unseen)
    return frame, _check_y(est, y, frame.shape[0], classifier)


def check_X(est, X, *, reset: bool, allow_nan: bool = False) -> np.ndarray:
    """Validate numeric X for ``fit`` (reset=True) or ``predict`` (reset=False).

    Returns a float64 C-ordered array. At fit records ``est.input_schema_``
    (numeric columns; missing values "native" when ``allow_nan``), at predict
    matches columns by name through it (``check_frame`` with
    ``categorical=False``); column count and names messages are scikit-learn's.
    """
    frame = check_frame(
        est,
        X,
        reset=reset,
        missing="native" if allow_nan else "refuse",
        categorical=False,
    )
    return np.ascontiguousarray(frame.to_numpy(dtype=np.float64))


def check_X_y(est, X, y, *, allow_nan: bool = False, classifier: bool):
    """Validate numeric training data; returns (X float64, y as given but 1-D)."""
    name = type(est).__name__
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None")
    X = check_X(est, X, reset=True, allow_nan=allow_nan)
    return X, _check_y(est, y, X.shape[0], classifier)


def _check_y(est, y, n_rows: int, classifier: bool) -> np.ndarray:
    name = type(est).__name__
    y_arr = np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = column_or_1d(y_arr, warn=True)  # DataConversionWarning, as sklearn
    if y_arr.ndim != 1:
        raise ValueError(
            f"y must be 1-D (one target per row), got shape {y_arr.shape}; "
            f"{name} fits a single target"
        )
    if len(y_arr) != n_rows:
        raise ValueError(f"X has {n_rows} rows but y has {len(y_arr)}; they must match")
    if classifier:
        if y_arr.dtype.kind == "f" and not np.isfinite(y_arr).all():
            raise ValueError("y contains NaN or infinity; drop those rows before fitting")
        kind = type_of_target(y_arr, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type: {kind!r}. {name} needs class labels "
                "(binary or multiclass); for a continuous target use a regressor"
            )
        if np.unique(y_arr).size < 2:
            raise ValueError(
                f"y has a single class ({y_arr[0]!r}): only one class in the target; "
                f"{name} needs at least 2 classes to learn anything"
            )
    else:
        if y_arr.dtype.kind in "OUSb" and y_arr.dtype.kind != "b":
            try:
                y_arr = y_arr.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(
                    f"y is not numeric (dtype {y_arr.dtype}); {name} is a regressor "
                    "and needs a numeric target"
                ) from None
        y_arr = y_arr.astype(np.float64)
        if not np.isfinite(y_arr).all():
            raise ValueError("y contains NaN or infinity; drop those rows before fitting")
    return y_arr


def check_sample_weight(sample_weight, n: int) -> np.ndarray | None:
    """None or a validated non-negative 1-D float array of length n."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        return np.full(n, float(sample_weight))
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (n,):
        raise ValueError(f"sample_weight has shape {sw.shape}; expected ({n},)")
    if not np.isfinite(sw).all() or (sw < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    if sw.sum() <= 0:
        raise ValueError("sample_weight sums to zero; at least one row needs weight")
    return sw


def drop_zero_weight(X: np.ndarray, y: np.ndarray, sw: np.ndarray | None, classifier: bool):
    """Rows of weight 0 are absent rows: drop them before the backend sees them
    (pygam would still place knots over them; interpret refuses zero weights)."""
    if sw is None or (sw > 0).all():
        return X, y, sw
    keep = sw > 0
    if classifier and np.unique(y[keep]).size < 2:
        raise ValueError(
            "only one class has non-zero sample_weight: a single class cannot be "
            "learned; give rows of at least 2 classes a positive weight"
        )
    return X[keep], y[keep], sw[keep]
