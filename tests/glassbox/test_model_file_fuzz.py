"""Wrong values in every nested field of every family's model file.

Each named field of the file (top level, inside trees, rules, GAM terms, EBM
attributes, equations, ...) is replaced in turn by values of other types. A
load must either refuse it with a ValueError naming a field of the file, or,
where the value fits the field's declared type, give a model that still
predicts, prints and explains without any other exception.
"""

from __future__ import annotations

import json
import warnings

import pytest
from sklearn.base import is_classifier

from glassbox import ESTIMATORS, io
from glassbox.io import _file
from glassbox.registry import fast

WRONG = [
    "§", -1, 1.5, True, None, [], [1, "a"], {"dict": [["k", 1]]}, {"tuple": ["a"]},
    {"float": "nan"}, {"array": {"dtype": "<f8", "shape": [2], "data": "AAAAAAAAAAAAAAAAAAAAAA=="}},
    {"array": {"dtype": "object", "shape": [1], "items": ["a"]}}, {"nope": 1},
]  # fmt: skip
_TAGS = ("array", "dict", "tuple", "float", "scalar", "random_state", "int")


def _paths(node, prefix=()):
    """Paths of every field under ``node``: dict keys, the first two items of lists
    (plain-value tags are leaves)."""
    if isinstance(node, dict) and not (len(node) == 1 and next(iter(node)) in _TAGS):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:2]):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _resign(doc: dict) -> str:
    doc["sha256"] = _file.checksum({k: v for k, v in doc.items() if k not in ("sha256", "hmac")})
    return json.dumps(doc)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_wrong_values_in_every_nested_field(cls, named_data):
    X, y = named_data(is_classifier(cls()), n=60, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = io.dumps(fast(cls).fit(X, y))
    base = json.loads(text)
    n_refused = n_loaded = 0
    for path in _paths(base["model"]):
        if path[0] == "params" or path[-1] == "class":
            continue  # parameters and class names: test_model_file_attacks.py
        for value in WRONG:
            doc = json.loads(text)
            node = doc["model"]
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            try:
                model = io.loads(_resign(doc))
            except ValueError as exc:
                assert str(exc).startswith("model file field model"), (path, value, str(exc))
                n_refused += 1
                continue
            n_loaded += 1
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.predict(X)
                str(model)
                model.explain_local(X[:3])
                model.explain_global()
    assert n_refused > 5 * n_loaded
