"""Equations in a model file: a tree over a whitelist, parsed by this module alone.

An equation is written as nested JSON nodes, never as text for sympy:

* ``{"x": i}``: the model's i-th feature (a real sympy Symbol named after it);
* ``{"int": n}``, ``{"rat": [p, q]}``, ``{"float": [sign, mantissa_hex, exp, bits, prec]}``:
  exact numbers (a float keeps sympy's binary mantissa, so predictions are bit for bit);
* ``{"const": "pi" | "E"}``;
* ``{"op": name, "args": [...]}`` with ``name`` one of ``OPS``.

``load`` walks this tree and builds the sympy objects itself (``cls(*args,
evaluate=False)`` for whitelisted classes only); ``sympify``, ``parse_expr`` and
``eval`` never see file content, and a symbol can only be one of the model's own
feature names.
"""

from __future__ import annotations

from typing import Any

from ._check import bad, need

#: sympy classes an equation may use
OPS = (
    "Add",
    "Mul",
    "Pow",
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sinh",
    "cosh",
    "asin",
    "acos",
    "atan",
    "Abs",
    "sign",
    "Max",
    "Min",
)
MAX_NODES = 10_000
MAX_INT = 2**53  # integers and rationals in equations (exponents, small factors)
MAX_DEPTH = 200


def dump(expr, names: list[str], path: str) -> Any:
    import sympy as sp

    from ._plain import SerializationError

    index = {n: i for i, n in enumerate(names)}
    count = [0]

    def walk(e, depth):
        count[0] += 1
        if count[0] > MAX_NODES or depth > MAX_DEPTH:
            raise SerializationError(f"{path}: equation too large to save")
        if e.is_Symbol:
            if e.name not in index:
                raise SerializationError(f"{path}: symbol {e.name!r} is not a feature")
            return {"x": index[e.name]}
        if e.is_Rational and max(abs(int(e.p)), int(e.q)) > MAX_INT:
            raise SerializationError(f"{path}: the number {e} is too large to save")
        if e.is_Integer:
            return {"int": int(e)}
        if e.is_Rational:
            return {"rat": [int(e.p), int(e.q)]}
        if e.is_Float:
            sign, man, exp, bc = e._mpf_
            return {"float": [int(sign), format(int(man), "x"), int(exp), int(bc), int(e._prec)]}
        if e is sp.pi:
            return {"const": "pi"}
        if e is sp.E:
            return {"const": "E"}
        name = type(e).__name__
        if name not in OPS or getattr(sp, name) is not type(e):
            raise SerializationError(f"{path}: {name} is not an operator of saved equations")
        return {"op": name, "args": [walk(a, depth + 1) for a in e.args]}

    return walk(expr, 0)


def load(node: Any, names: list[str], path: str):
    import sympy as sp

    symbols = [sp.Symbol(n, real=True) for n in names]
    count = [0]

    def walk(n, p, depth):
        count[0] += 1
        need(count[0] <= MAX_NODES and depth <= MAX_DEPTH, path, "equation too large")
        if not isinstance(n, dict) or len(n) not in (1, 2):
            raise bad(p, "not an equation node")
        if "x" in n:
            i = n["x"]
            need(
                len(n) == 1 and type(i) is int and 0 <= i < len(symbols),
                p,
                f"feature index must be in [0, {len(symbols)})",
            )
            return symbols[i]
        if "int" in n:
            v = n["int"]
            need(len(n) == 1 and type(v) is int and abs(v) <= MAX_INT, p, "bad integer")
            return sp.Integer(v)
        if "rat" in n:
            v = n["rat"]
            need(
                len(n) == 1
                and isinstance(v, list)
                and len(v) == 2
                and all(type(x) is int and abs(x) <= MAX_INT for x in v)
                and v[1] > 0,
                p,
                "bad rational",
            )
            return sp.Rational(v[0], v[1])
        if "float" in n:
            v = n["float"]
            need(len(n) == 1 and isinstance(v, list) and len(v) == 5, p, "bad float")
            sign, man, exp, bc, prec = v
            need(
                sign in (0, 1)
                and isinstance(man, str)
                and 0 < len(man) <= 1024
                and all(c in "0123456789abcdef" for c in man),
                p,
                "bad float mantissa",
            )
            need(
                type(exp) is int
                and abs(exp) <= 100_000
                and type(bc) is int
                and type(prec) is int
                and 1 <= prec <= 4096,
                p,
                "bad float exponent or precision",
            )
            m = int(man, 16)
            need(m.bit_length() == bc, p, "float mantissa and bit count differ")
            if m == 0:
                return (
                    sp.Float(0.0, precision=prec) if sign == 0 else sp.Float(-0.0, precision=prec)
                )
            return sp.Float._new((sign, m, exp, bc), prec)
        if "const" in n:
            need(len(n) == 1 and n["const"] in ("pi", "E"), p, "unknown constant")
            return sp.pi if n["const"] == "pi" else sp.E
        if "op" in n:
            op, args = n["op"], n.get("args")
            need(
                len(n) == 2 and op in OPS and isinstance(args, list) and 1 <= len(args) <= 1000,
                p,
                f"operator must be one of {list(OPS)} with 1 to 1000 arguments",
            )
            built = [walk(a, f"{p}.args[{i}]", depth + 1) for i, a in enumerate(args)]
            try:
                return getattr(sp, op)(*built, evaluate=False)
            except (TypeError, ValueError) as exc:
                raise bad(p, f"{op} cannot take these arguments ({exc})") from None
        raise bad(p, "not an equation node")

    return walk(node, path, 0)
