"""Plain values in a model file: numbers, strings, lists, tuples, dicts and numeric arrays.

This is the only vocabulary a model file has; no entry ever names a class or a
function. ``encode`` refuses anything else (``SerializationError`` naming the
attribute path); ``decode`` rebuilds the value from JSON, checking every size
against the budget of the load *before* allocating or decompressing, and raises
``ValueError`` naming the field for anything unexpected.

JSON forms (tags are single-key objects):

* ``null``, ``true``/``false``, integers, strings, finite floats: themselves
  (a float is always written with a decimal point or exponent).
* ``{"float": "nan" | "inf" | "-inf"}``; ``{"int": "<digits>"}`` beyond 2**53.
* lists: JSON arrays; ``{"tuple": [...]}``; ``{"dict": [[key, value], ...]}``
  (keys: str, int, float, bool or None).
* ``{"array": {"dtype": "<f8", "shape": [..], "data": base64, "zlib": bool}}`` for
  the numeric dtypes of ``NUMERIC_DTYPES``; ``{"array": {"dtype": "<U7" | "object",
  "shape": [..], "items": [...]}}`` for text (object arrays hold plain scalars only).
* ``{"scalar": <array form of shape []>}``: a numpy scalar.
* ``{"random_state": {...}}``: a numpy ``RandomState`` (its MT19937 key and position).
"""

from __future__ import annotations

import base64
import binascii
import math
import zlib
from typing import Any

import numpy as np

#: array dtypes whose bytes may come from a file (little-endian numbers and booleans)
NUMERIC_DTYPES = frozenset(
    ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f4", "<f8"]
)
MAX_NDIM = 4
MAX_STRING = 100_000  # characters of one string
MAX_DEPTH = 24  # nesting of lists / dicts
_ZLIB_MIN = 2048  # compress array bytes above this size
_PLAIN_SCALARS = (type(None), bool, int, float, str)


class SerializationError(TypeError):
    """An object in the model cannot be written to a model file; names the attribute path."""


class Budget:
    """What one ``load`` may still allocate for arrays (bytes), shared by every field."""

    def __init__(self, max_array_bytes: int) -> None:
        if type(max_array_bytes) is not int or max_array_bytes < 0:
            raise ValueError(
                f"max_array_bytes must be a non-negative integer, got {max_array_bytes!r}"
            )
        self.left = int(max_array_bytes)
        self.limit = int(max_array_bytes)

    def take(self, nbytes: int, path: str) -> None:
        if nbytes > self.left:
            raise ValueError(
                f"model file field {path} claims {nbytes:,} bytes of array data, over what "
                f"is left of the limit of {self.limit:,} for this file (at most "
                "max_array_bytes, and 100 times the file's size)"
            )
        self.left -= nbytes


# --- encoding ----------------------------------------------------------------------


def _encode_array(arr: np.ndarray, path: str) -> dict:
    if arr.ndim > MAX_NDIM:
        raise SerializationError(f"{path}: arrays of {arr.ndim} dimensions cannot be saved")
    shape = list(arr.shape)
    if arr.dtype.kind in "biuf":
        dtype = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype
        descr = dtype.str
        if descr not in NUMERIC_DTYPES:
            raise SerializationError(f"{path}: arrays of dtype {arr.dtype} cannot be saved")
        raw = np.ascontiguousarray(arr, dtype=dtype).tobytes()
        out = {"dtype": descr, "shape": shape}
        if len(raw) > _ZLIB_MIN:
            out["zlib"] = True
            raw = zlib.compress(raw, 6)
        out["data"] = base64.b64encode(raw).decode("ascii")
        return {"array": out}
    if arr.dtype.kind == "U":
        items = [str(v) for v in arr.ravel().tolist()]
        return {"array": {"dtype": arr.dtype.str, "shape": shape, "items": items}}
    if arr.dtype.kind == "O":
        items = []
        for i, v in enumerate(arr.ravel().tolist()):
            if isinstance(v, np.generic):
                v = v.item()
            if not isinstance(v, _PLAIN_SCALARS):
                raise SerializationError(
                    f"{path}[{i}]: a {type(v).__name__} inside an object array cannot be saved"
                )
            items.append(encode(v, f"{path}[{i}]"))
        return {"array": {"dtype": "object", "shape": shape, "items": items}}
    raise SerializationError(f"{path}: arrays of dtype {arr.dtype} cannot be saved")


def encode(value: Any, path: str, depth: int = 0) -> Any:
    """``value`` as JSON data (see the module doc); SerializationError names ``path``."""
    if depth > MAX_DEPTH:
        raise SerializationError(f"{path}: nested too deeply to be saved")
    if value is None or isinstance(value, (bool, str)):
        if isinstance(value, str) and len(value) > MAX_STRING:
            raise SerializationError(f"{path}: a string of {len(value):,} characters")
        return value
    if type(value) is int:
        return value if abs(value) < 2**53 else {"int": str(value)}
    if type(value) is float:
        if math.isfinite(value):
            return value
        return {"float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, np.ndarray):
        return _encode_array(value, path)
    if isinstance(value, np.generic) and value.dtype.kind in "biufU":
        return {"scalar": _encode_array(np.asarray(value), path)["array"]}
    if type(value) is list:
        return [encode(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    if type(value) is tuple:
        return {"tuple": [encode(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]}
    if type(value) is dict:
        pairs = []
        for k, v in value.items():
            if isinstance(k, np.generic):
                k = k.item()
            if not isinstance(k, _PLAIN_SCALARS):
                raise SerializationError(f"{path}: a dict key of type {type(k).__name__}")
            pairs.append([encode(k, f"{path}.key"), encode(v, f"{path}[{k!r}]", depth + 1)])
        return {"dict": pairs}
    if type(value) is np.random.RandomState:
        name, key, pos, has_gauss, gauss = value.get_state()
        return {
            "random_state": {
                "key": _encode_array(key, path)["array"],
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "cached_gaussian": float(gauss),
            }
        }
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    raise SerializationError(
        f"{path}: a {kind} cannot be saved in a model file (only numbers, strings, lists, "
        "dicts and numeric arrays, and the objects of the model's own schema)"
    )


# --- decoding ----------------------------------------------------------------------


def _shape(spec: dict, path: str) -> tuple[int, ...]:
    shape = spec.get("shape")
    if not isinstance(shape, list) or len(shape) > MAX_NDIM:
        raise ValueError(
            f"model file field {path}: array shape must be a list of at most {MAX_NDIM} sizes"
        )
    for s in shape:
        if type(s) is not int or s < 0 or s > 2**40:
            raise ValueError(f"model file field {path}: bad array size {s!r} in its shape")
    return tuple(shape)


def decode_array(spec: Any, path: str, budget: Budget) -> np.ndarray:
    if not isinstance(spec, dict):
        raise ValueError(f"model file field {path}: an array must be an object")
    extra = set(spec) - {"dtype", "shape", "data", "zlib", "items"}
    if extra:
        raise ValueError(f"model file field {path}: unknown array entries {sorted(extra)}")
    shape = _shape(spec, path)
    n = math.prod(shape)
    dtype = spec.get("dtype")
    if dtype in NUMERIC_DTYPES:
        dt = np.dtype(dtype)
        nbytes = n * dt.itemsize
        budget.take(nbytes, path)
        data = spec.get("data")
        if not isinstance(data, str) or "items" in spec:
            raise ValueError(f"model file field {path}: a numeric array needs base64 'data'")
        packed = spec.get("zlib", False)
        if packed not in (True, False):
            raise ValueError(f"model file field {path}: 'zlib' must be true or false")
        if not packed and len(data) != 4 * ((nbytes + 2) // 3):
            raise ValueError(
                f"model file field {path}: array data has {len(data):,} base64 characters, "
                f"shape {list(shape)} of {dtype} needs {4 * ((nbytes + 2) // 3):,}"
            )
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"model file field {path}: array data is not valid base64") from None
        if packed:
            return _inflate(raw, dt, shape, nbytes, path)
        if len(raw) != nbytes:
            raise ValueError(f"model file field {path}: array data has the wrong length")
        return np.frombuffer(raw, dtype=dt).reshape(shape).copy()
    items = spec.get("items")
    if not isinstance(items, list) or "data" in spec or "zlib" in spec:
        raise ValueError(f"model file field {path}: a text array needs a list of 'items'")
    if len(items) != n:
        raise ValueError(
            f"model file field {path}: {len(items)} items for an array of shape {list(shape)}"
        )
    if dtype == "object":
        budget.take(8 * n, path)
        vals = [decode(v, f"{path}[{i}]", budget, MAX_DEPTH) for i, v in enumerate(items)]
        for i, v in enumerate(vals):
            if not isinstance(v, _PLAIN_SCALARS):
                raise ValueError(f"model file field {path}[{i}]: object arrays hold scalars only")
        arr = np.empty(n, dtype=object)
        arr[:] = vals
        return arr.reshape(shape)
    if isinstance(dtype, str) and dtype.startswith("<U") and dtype[2:].isdigit():
        width = int(dtype[2:])
        if not 0 < width <= MAX_STRING:
            raise ValueError(f"model file field {path}: bad text width {width}")
        budget.take(4 * width * n, path)
        for i, v in enumerate(items):
            if not isinstance(v, str) or len(v) > width:
                raise ValueError(
                    f"model file field {path}[{i}]: not a string of <= {width} characters"
                )
        return np.array(items, dtype=dtype).reshape(shape)
    raise ValueError(f"model file field {path}: array dtype {dtype!r} is not allowed")


def _inflate(raw: bytes, dt: np.dtype, shape: tuple, nbytes: int, path: str) -> np.ndarray:
    """zlib data into a buffer of exactly the declared size, never more (chunked, so the
    peak is the array itself)."""
    out = np.empty(nbytes, dtype=np.uint8)
    d = zlib.decompressobj()
    pos, data = 0, raw
    try:
        while True:
            chunk = d.decompress(data, min(1 << 22, nbytes + 1 - pos))
            if pos + len(chunk) > nbytes:
                raise ValueError(
                    f"model file field {path}: compressed array data holds more than its shape "
                    f"{list(shape)} of {dt.str}"
                )
            out[pos : pos + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
            pos += len(chunk)
            data = d.unconsumed_tail
            if d.eof or (not chunk and not data):
                break
    except zlib.error:
        raise ValueError(f"model file field {path}: compressed array data is corrupt") from None
    if pos != nbytes or not d.eof or d.unused_data:
        raise ValueError(
            f"model file field {path}: compressed array data does not hold exactly shape "
            f"{list(shape)} of {dt.str}"
        )
    return out.view(dt).reshape(shape)


def decode(node: Any, path: str, budget: Budget, depth: int = 0) -> Any:
    """The plain value of ``node``; ValueError naming ``path`` for anything else."""
    if depth > MAX_DEPTH:
        raise ValueError(f"model file field {path} nests too deeply")
    if node is None or isinstance(node, (bool, int, float)):
        return node
    if isinstance(node, str):
        if len(node) > MAX_STRING:
            raise ValueError(f"model file field {path}: a string of {len(node):,} characters")
        return node
    if isinstance(node, list):
        budget.take(8 * len(node), path)
        return [decode(v, f"{path}[{i}]", budget, depth + 1) for i, v in enumerate(node)]
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError(f"model file field {path}: unexpected value {str(node)[:60]!r}")
    ((tag, body),) = node.items()
    if tag == "float":
        if body not in ("nan", "inf", "-inf"):
            raise ValueError(f"model file field {path}: bad float {str(body)[:20]!r}")
        return float(body)
    if tag == "int":
        if not isinstance(body, str) or not body.lstrip("-").isdigit() or len(body) > 40:
            raise ValueError(f"model file field {path}: bad integer {str(body)[:20]!r}")
        return int(body)
    if tag == "tuple":
        if not isinstance(body, list):
            raise ValueError(f"model file field {path}: a tuple must be a list")
        budget.take(8 * len(body), path)
        return tuple(decode(v, f"{path}[{i}]", budget, depth + 1) for i, v in enumerate(body))
    if tag == "dict":
        if not isinstance(body, list):
            raise ValueError(f"model file field {path}: a dict must be a list of pairs")
        budget.take(16 * len(body), path)
        out = {}
        for i, pair in enumerate(body):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ValueError(f"model file field {path}: entry {i} is not a [key, value] pair")
            k = decode(pair[0], f"{path}.key", budget, depth + 1)
            if not isinstance(k, _PLAIN_SCALARS) or k in out:
                raise ValueError(f"model file field {path}: bad or repeated key {str(k)[:40]!r}")
            out[k] = decode(pair[1], f"{path}[{k!r}]", budget, depth + 1)
        return out
    if tag == "array":
        return decode_array(body, path, budget)
    if tag == "scalar":
        arr = decode_array(body, path, budget)
        if arr.shape != ():
            raise ValueError(f"model file field {path}: a scalar must have shape []")
        return arr[()]
    if tag == "random_state":
        return _decode_random_state(body, path, budget)
    raise ValueError(f"model file field {path}: unknown entry {str(tag)[:40]!r}")


def _decode_random_state(body: Any, path: str, budget: Budget) -> np.random.RandomState:
    if not isinstance(body, dict) or set(body) != {"key", "pos", "has_gauss", "cached_gaussian"}:
        raise ValueError(f"model file field {path}: bad random state")
    key = decode_array(body["key"], path + ".key", budget)
    pos, has_gauss, gauss = body["pos"], body["has_gauss"], body["cached_gaussian"]
    if key.dtype != np.uint32 or key.shape != (624,):
        raise ValueError(f"model file field {path}.key: must be 624 uint32")
    if type(pos) is not int or not 0 <= pos <= 624 or has_gauss not in (0, 1):
        raise ValueError(f"model file field {path}: bad random state position")
    if not isinstance(gauss, (int, float)) or isinstance(gauss, bool):
        raise ValueError(f"model file field {path}: bad cached gaussian")
    rs = np.random.RandomState()
    rs.set_state(("MT19937", key, pos, has_gauss, float(gauss)))
    return rs
