"""The input schema (glassbox._validation): what every fitted estimator records
about its columns, and how predict matches new data to it by name.

Oracles: the frames themselves (which column, row and value is wrong), the
same model's predictions on correctly ordered columns, and round trips of the
schema through plain JSON.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone, is_classifier

from glassbox._validation import (
    ColumnSpec,
    InputSchema,
    SchemaError,
    SchemaTypeError,
    check_frame,
    check_X,
)
from glassbox.registry import ESTIMATORS, fast


class _Probe(BaseEstimator):
    """A bare estimator to validate against."""

    def fit(self, X, y=None):
        self.fitted_ = True
        return self


CREDIT_X = ["Seniority", "Home", "Marital", "Records", "Job", "Grade", "Income", "Amount"]


def test_schema_of_the_credit_table(credit_table):
    frame = credit_table()
    probe = _Probe()
    out = check_frame(probe, frame[CREDIT_X], reset=True, missing="native", unseen="native")
    schema = probe.input_schema_
    assert schema.names == tuple(CREDIT_X) and schema.named
    kinds = {c.name: c.kind for c in schema.columns}
    assert kinds == {
        "Seniority": "numeric",
        "Home": "categorical",
        "Marital": "categorical",
        "Records": "categorical",
        "Job": "categorical",
        "Grade": "categorical",
        "Income": "numeric",
        "Amount": "numeric",
    }
    assert schema["Home"].levels == tuple(sorted(frame["Home"].dropna().unique()))
    assert schema["Job"].levels == tuple(frame["Job"].cat.categories)
    assert schema["Grade"].levels == ("low", "mid", "high") and schema["Grade"].ordered
    assert schema.categorical == (1, 2, 3, 4, 5)
    # encodings, each against pandas directly
    codes = schema.codes(out)
    home = frame["Home"]
    expected = home.map({v: i for i, v in enumerate(sorted(home.dropna().unique()))})
    np.testing.assert_array_equal(codes[:, 1], expected.to_numpy(float))
    np.testing.assert_array_equal(codes[:, 5], frame["Grade"].cat.codes.to_numpy(float))
    np.testing.assert_array_equal(codes[:, 6], frame["Income"].to_numpy(float))
    design = schema.one_hot(out)
    cols = schema.one_hot_columns()
    assert len(cols) == design.shape[1]
    assert ("Grade", "mid", "low") in cols and ("Grade", "low", "low") not in cols
    j = cols.index(("Records", "yes", "no"))
    np.testing.assert_array_equal(design[:, j], (frame["Records"] == "yes").to_numpy(float))
    j = cols.index(("Home", "rent", "other"))
    ref = (home == "rent").astype(float).where(home.notna())
    np.testing.assert_array_equal(design[:, j], ref.to_numpy(float))
    cat = schema.categorical_frame(out)
    assert cat["Grade"].cat.ordered and list(cat["Grade"].cat.categories) == ["low", "mid", "high"]
    pd.testing.assert_series_equal(
        cat["Home"].astype(object), frame["Home"].astype(object), check_names=False
    )


def test_schema_round_trips_through_json_and_refuses_bad_fields():
    schema = InputSchema(
        (
            ColumnSpec("age"),
            ColumnSpec("home", "categorical", ("own", "rent"), missing="native"),
            ColumnSpec("grade", "categorical", ("low", "high"), ordered=True, unseen="native"),
            ColumnSpec("flag", "boolean"),
        )
    )
    d = json.loads(json.dumps(schema.to_dict()))
    assert InputSchema.from_dict(d) == schema
    assert schema["flag"].levels == ("False", "True")
    bad = json.loads(json.dumps(d))
    bad["columns"][1]["kind"] = "text"
    with pytest.raises(ValueError, match=r"columns\[1\].*kind"):
        InputSchema.from_dict(bad)
    bad = json.loads(json.dumps(d))
    bad["columns"][2]["missing"] = "zero"
    with pytest.raises(ValueError, match=r"columns\[2\].*missing"):
        InputSchema.from_dict(bad)
    bad = json.loads(json.dumps(d))
    bad["columns"][0]["colour"] = 1
    with pytest.raises(ValueError, match=r"columns\[0\].*colour"):
        InputSchema.from_dict(bad)
    bad = json.loads(json.dumps(d))
    bad["columns"][3]["name"] = "age"
    with pytest.raises(ValueError, match="duplicated column names"):
        InputSchema.from_dict(bad)
    with pytest.raises(ValueError, match="'named'"):
        InputSchema.from_dict({**d, "named": "yes"})


def test_errors_name_column_row_and_value(credit_table):
    frame = credit_table().set_index(np.arange(2, 402))  # CSV line numbers, as the CLI does
    X = frame[CREDIT_X]
    probe = _Probe()
    with pytest.raises(SchemaError) as info:
        check_frame(probe, X, reset=True)
    first = X.index[X["Home"].isna()][0]
    assert info.value.column == "Home" and info.value.row == first
    assert (
        str(info.value)
        .splitlines()[0]
        .startswith(f"column 'Home' has a missing value (NaN) at row {first}")
    )
    clean = X.dropna()
    check_frame(probe, clean, reset=True)
    new = clean.iloc[:10].copy()
    new.loc[new.index[4], "Marital"] = "divorced"
    with pytest.raises(SchemaError) as info:
        check_frame(probe, new, reset=False)
    e = info.value
    assert (e.column, e.row, e.value) == ("Marital", new.index[4], "divorced")
    assert "not seen in fit" in e.facts
    with pytest.raises(SchemaError, match=r"missing \['Income'\]") as info:
        check_frame(probe, clean.drop(columns="Income"), reset=False)
    assert (
        str(info.value).splitlines()[0] == "X's columns are not the fitted ones: missing ['Income']"
    )
    renamed = clean.rename(columns={"Income": "income"})
    with pytest.raises(SchemaError, match=r"missing \['Income'\] unexpected \['income'\]"):
        check_frame(probe, renamed, reset=False)
    extra = clean.assign(rownames=1)
    with pytest.raises(SchemaError, match=r"unexpected \['rownames'\]"):
        check_frame(probe, extra, reset=False)
    aligned = probe.input_schema_.align(extra[["rownames"] + CREDIT_X[::-1]])
    pd.testing.assert_frame_equal(aligned, clean)
    text = clean.assign(Amount=clean["Amount"].astype(str))
    with pytest.raises(SchemaTypeError, match="column 'Amount' holds text"):
        check_frame(probe, text, reset=False)


def test_dates_and_durations_refused_with_advice():
    X = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0], "when": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])}
    )
    with pytest.raises(TypeError, match=r"column 'when' holds dates .*\.dt\.days"):
        check_frame(_Probe(), X, reset=True)
    X["when"] = X["when"] - X["when"].min()
    with pytest.raises(TypeError, match=r"column 'when' holds durations .*total_seconds"):
        check_X(_Probe(), X, reset=True)


def _frame_for(cls, named_data):
    X, y = named_data(is_classifier(cls()))
    return X, y


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_integer_labels_are_matched_by_name_or_refused(cls, named_data):
    X, y = _frame_for(cls, named_data)
    Xi = pd.DataFrame(X.to_numpy(), columns=[0, 1, 2, 3])
    model = clone(fast(cls)).fit(Xi, y)
    assert model.input_schema_.names == ("0", "1", "2", "3")
    assert model.feature_names_ == ["0", "1", "2", "3"]
    reference = model.predict(Xi.iloc[:20])
    try:
        shuffled = model.predict(Xi[[2, 0, 3, 1]].iloc[:20])
    except ValueError as exc:
        assert "order" in str(exc).splitlines()[0]
    else:  # matched by name: the same predictions
        np.testing.assert_array_equal(shuffled, reference)
    with pytest.raises(ValueError, match=r"missing \[.3.\]"):
        model.predict(Xi[[0, 1, 2]].iloc[:20])
    np.testing.assert_array_equal(model.predict(Xi.iloc[:20].to_numpy()), reference)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_duplicated_columns_refused_naming_them(cls, named_data):
    X, y = _frame_for(cls, named_data)
    dup = X.copy()
    dup.columns = [X.columns[0], X.columns[1], X.columns[1], X.columns[3]]
    with pytest.raises(ValueError, match=rf"duplicated column names \['{X.columns[1]}'\]"):
        clone(fast(cls)).fit(dup, y)
    model = clone(fast(cls)).fit(X, y)
    with pytest.raises(ValueError, match=rf"duplicated column names \['{X.columns[1]}'\]"):
        model.predict(dup)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_fitted_estimator_records_its_schema(cls, named_data):
    X, y = _frame_for(cls, named_data)
    model = clone(fast(cls)).fit(X, y)
    schema = model.input_schema_
    assert isinstance(schema, InputSchema) and schema.names == tuple(X.columns)
    assert InputSchema.from_dict(json.loads(json.dumps(schema.to_dict()))) == schema
    if not cls.traits.allow_nan:  # NaN-capable families may decide per column
        assert {c.missing for c in schema.columns} == {"refuse"}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_credit_table_through_every_family(cls, credit_table):
    frame = credit_table(n=240)
    y = frame["Status"] if is_classifier(cls()) else frame["Visits"].to_numpy(float)
    X = frame[CREDIT_X]
    est = clone(fast(cls))
    if not cls.traits.categorical:
        with pytest.raises(TypeError, match="Home"):
            est.fit(X.dropna(), y[X.notna().all(axis=1).to_numpy()])
        return
    if not cls.traits.allow_nan:
        with pytest.raises(ValueError, match=r"column '(Home|Job|Income)' has a missing value"):
            est.fit(X, y)
        keep = X.notna().all(axis=1).to_numpy()
        X, y = X[keep], y[keep]
    model = est.fit(X, y)
    assert model.input_schema_["Grade"].levels == ("low", "mid", "high")
    pred = model.predict(X.iloc[:30])
    # an object array in the fitted column order is matched by position, to the same output
    np.testing.assert_array_equal(model.predict(X.iloc[:30].to_numpy(dtype=object)), pred)
    unseen = X.iloc[:30].copy()
    unseen.loc[unseen.index[2], "Marital"] = "divorced"
    if model.input_schema_["Marital"].unseen == "refuse":
        with pytest.raises(ValueError, match=r"column 'Marital' has the level 'divorced' at row"):
            model.predict(unseen)
    else:
        assert len(model.predict(unseen)) == 30
