"""A reader of printed conditions and printed trees, independent of glassbox.

Evaluates the text a reader sees (``Income <= 120.5 or missing``,
``Home in {owner, priv}``, ``Grade <= mid``, ``Flag = True``,
``Income is missing``) on the user's own DataFrame, with pandas only, so the
tests can rebuild predictions from ``str(model)`` alone.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_MISSING = re.compile(r"^(.*) (is missing|is not missing)$")
_SET = re.compile(r"^(.*?) (not in|in) \{(.*)\}$")
_CMP = re.compile(r"^(.*?) (<=|<|>=|>|==|!=|=) (.*)$")


def _text(col: pd.Series) -> np.ndarray:
    return np.array([str(v) for v in col.astype(object)], dtype=object)


def eval_condition(text: str, X: pd.DataFrame) -> np.ndarray:
    """Rows of X where one printed condition holds (false on a missing value,
    except for ``is missing`` and a trailing ``or missing``)."""
    text = text.strip()
    if text.endswith(" or missing"):
        inner = text[: -len(" or missing")]
        name = (_SET.match(inner) or _CMP.match(inner)).group(1)
        return eval_condition(inner, X) | X[name].isna().to_numpy()
    if m := _MISSING.match(text):
        na = X[m.group(1)].isna().to_numpy()
        return na if m.group(2) == "is missing" else ~na
    if m := _SET.match(text):
        name, op, body = m.groups()
        col = X[name]
        levels = [v.strip() for v in body.split(",")]
        hit = np.isin(_text(col), levels)
        na = col.isna().to_numpy()
        return (hit if op == "in" else ~hit) & ~na
    name, op, value = _CMP.match(text).groups()
    col = X[name]
    na = col.isna().to_numpy()
    if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.ordered and op not in ("=", "!="):
        cats = [str(c) for c in col.cat.categories]
        pos = col.cat.codes.to_numpy().astype(float)
        pos[na] = np.nan
        x, v = pos, float(cats.index(value))
    elif pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        t = _text(col)
        if op in ("=", "=="):
            return (t == value) & ~na
        if op == "!=":
            return (t != value) & ~na
        raise AssertionError(f"cannot compare text with {op}: {text}")
    else:
        x, v = col.to_numpy(dtype=float), float(value)
    with np.errstate(invalid="ignore"):
        out = {
            "<=": x <= v,
            "<": x < v,
            ">=": x >= v,
            ">": x > v,
            "==": x == v,
            "=": x == v,
            "!=": x != v,
        }[op]
    return out & ~na


def eval_rule(conds: str, X: pd.DataFrame) -> np.ndarray:
    """Rows where every condition of ``a AND b AND ...`` holds (TRUE: all rows)."""
    mask = np.ones(len(X), dtype=bool)
    if conds.strip() == "TRUE":
        return mask
    for part in conds.split(" AND "):
        mask &= eval_condition(part, X)
    return mask


# --- printed trees -------------------------------------------------------------

_LINE = re.compile(r"^((?:\|   )*)\|--- (.*)$")
_SPLIT = re.compile(r"^(.*)  \(samples=(\d+)\)$")


def parse_tree(text: str):
    """The printed tree as nested dicts {'left': (cond, subtree), 'right': ...} / {'leaf': text}."""
    items = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            items.append((len(m.group(1)) // 4, m.group(2)))
    if not items:  # a single leaf prints without a bar
        leaf = next(line for line in text.splitlines() if line.startswith(("class:", "value:")))
        return {"leaf": leaf}

    def build(i, depth):
        content = items[i][1]
        if content.startswith(("class:", "value:")):
            return {"leaf": content}, i + 1
        left_cond = _SPLIT.match(content).group(1)
        left, j = build(i + 1, depth + 1)
        assert items[j][0] == depth, items[j]
        right_cond = _SPLIT.match(items[j][1]).group(1)
        right, k = build(j + 1, depth + 1)
        return {"left": (left_cond, left), "right": (right_cond, right)}, k

    tree, end = build(0, 0)
    assert end == len(items)
    return tree


def tree_leaves(tree, X: pd.DataFrame) -> np.ndarray:
    """The printed leaf of every row: exactly one side of every split must hold."""
    out = np.empty(len(X), dtype=object)

    def walk(node, rows):
        if "leaf" in node:
            out[rows] = node["leaf"]
            return
        (lc, lt), (rc, rt) = node["left"], node["right"]
        a, b = eval_condition(lc, X)[rows], eval_condition(rc, X)[rows]
        assert (a != b).all(), (lc, rc)
        walk(lt, rows[a])
        walk(rt, rows[b])

    walk(tree, np.arange(len(X)))
    return out
