"""Turn a fitted model's state into plain JSON data and back, without pickle.

The encoder walks an object graph the way pickle does (``__reduce_ex__``), but
writes what it finds as JSON: numbers, strings, lists, dicts, numpy arrays as
dtype + shape + base64 bytes, and objects as ``{class name, state}``. Only
classes from an allowlist of modules can be written or read back, and the
decoder never evaluates anything: it looks classes up by name, checks that the
name resolves to a class defined in an allowed module, creates the instance
with ``cls.__new__`` and hands it the decoded state, as pickle's restricted
unpickler pattern does. Functions and bound methods are referenced by name
only from a short allowlist (numpy ufuncs, glassbox/surrogates functions,
prediction methods), and no function named by a file is called while loading.

State protocol. A class of ``glassbox`` or ``surrogates`` may define what its
saved state is instead of having its ``__dict__`` walked: a method
``_to_state(self) -> dict`` (str keys; values are anything this module
encodes: numbers, strings, arrays, frames, allowlisted objects) and a
classmethod ``_from_state(cls, state: dict)`` that checks those fields and
returns the instance. Such an object is written as its class name plus
``{"from_state": <the encoded dict>}`` and read back by ``_from_state`` of that
class (after the same allowlist check on the class name; a class outside
``glassbox``/``surrogates`` or without both methods is refused). This module
only looks for the two methods: it imports neither package's classes.
"""

from __future__ import annotations

import base64
import collections
import copyreg
import importlib
import math
import types
import zlib
from typing import Any

import numpy as np

#: modules whose classes may appear in a model file
ALLOWED_MODULES = (
    "glassbox",
    "surrogates",
    "sklearn",
    "pygam",
    "interpret",
    "imodels",
    "mlxtend",
    "wittgenstein",
    "xgboost",  # a Booster's state is its own binary model format, not pickle
    "numpy",
    "pandas",
    "scipy",
    "sympy",
    "collections",
)

#: classes rebuilt by calling them with stored arguments (Cython types whose
#: pickle support is ``cls(*args)`` and then ``__setstate__``)
_CONSTRUCTED = {"sklearn.tree._tree:Tree"}

#: classes whose pickling passes arguments to ``cls.__new__``; only plain data
#: classes may ever join (``numpy.memmap.__new__`` would open a file); none
#: of the current families needs one
_NEW_WITH_ARGS: set[str] = set()

#: builtin types that may appear as values (e.g. ``dtype=float`` params)
_BUILTIN_TYPES = {
    t.__name__: t
    for t in (
        int,
        float,
        bool,
        str,
        complex,
        bytes,
        list,
        tuple,
        dict,
        set,
        frozenset,
        type(None),
        object,
    )
}


def _constructible(name: str) -> bool:
    # scikit-learn's Cython loss objects take only numbers (e.g. Tweedie power)
    return name in _CONSTRUCTED or name.startswith("sklearn._loss._loss:Cy")


_ARRAY_ZLIB_MIN = 2048  # compress array bytes above this size

#: the project's own packages: only their classes may define their own saved state
#: (``_to_state`` / ``_from_state``, see the module doc), only their module-level
#: functions may be named in a file
_OWN_PACKAGES = ("glassbox", "surrogates")


def _under(module: str, packages) -> bool:
    """Whether ``module`` is one of ``packages`` or inside one of them."""
    return any(module == m or module.startswith(m + ".") for m in packages)


def _defines_state(cls: type) -> bool:
    """Whether ``cls`` saves itself through the state protocol."""
    return (
        _under(cls.__module__, _OWN_PACKAGES)
        and callable(getattr(cls, "_to_state", None))
        and callable(getattr(cls, "_from_state", None))
    )


class SerializationError(TypeError):
    """An object in the model cannot be written safely; names the attribute path."""


def _allowed_module(module: str) -> bool:
    return _under(module, ALLOWED_MODULES)


def _qualified(obj) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"


def resolve(name: str, *, kind: str = "class"):
    """The class (or function) ``module:qualname`` from an allowed module.

    Imports the module (allowed modules only) and walks attributes; refuses
    anything that is not defined under exactly that name, so a file cannot
    reach e.g. ``os.system`` through a re-export.
    """
    if not isinstance(name, str) or ":" not in name:
        raise ValueError(f"bad {kind} reference {name!r} in model file")
    module, qualname = name.split(":", 1)
    if module == "builtins" and kind == "class" and qualname in _BUILTIN_TYPES:
        return _BUILTIN_TYPES[qualname]
    if not _allowed_module(module):
        raise ValueError(
            f"model file refers to {name!r}, which is outside the allowed modules "
            f"({', '.join(ALLOWED_MODULES)}); refusing to load it"
        )
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            if isinstance(getattr(obj, part, None), types.ModuleType):
                raise AttributeError(part)
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise ValueError(
            f"model file refers to {name!r}, which does not exist in the installed "
            "packages (was the file written with another version?)"
        ) from None
    if kind == "class":
        ok = isinstance(obj, type)
    else:
        ok = _referable_function(obj)
    if not ok or _qualified_name(obj) != name:
        raise ValueError(f"model file refers to {name!r}, which is not a {kind}; refusing it")
    return obj


#: functions a file may name: numpy ufuncs (pure arithmetic) and glassbox's /
#: surrogates' own module-level functions (``_OWN_PACKAGES``); no library function
#: that reads or writes files can be smuggled in as, say, a black box's prediction
#: function

#: methods a file may bind to a stored object (a black box's prediction entry point)
_METHOD_NAMES = frozenset(
    {
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
        "score_samples",
        "inplace_predict",
    }
)


def _referable_function(obj) -> bool:
    if isinstance(obj, np.ufunc):
        return True
    if not isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return False
    return _under(getattr(obj, "__module__", "") or "", _OWN_PACKAGES)


def _qualified_name(obj) -> str:
    if isinstance(obj, np.ufunc):
        return f"numpy:{obj.__name__}"
    return _qualified(obj)


# --- dtypes --------------------------------------------------------------------


def _encode_dtype(dtype: np.dtype):
    return np.lib.format.dtype_to_descr(dtype)


def _descr_from_json(d):
    if isinstance(d, str):
        return d
    out = []
    for field in d:
        name = field[0]
        name = tuple(name) if isinstance(name, list) else name
        item = (name, _descr_from_json(field[1]))
        if len(field) > 2:
            item = item + (tuple(field[2]),)
        out.append(item)
    return out


def _decode_dtype(d) -> np.dtype:
    try:
        return np.lib.format.descr_to_dtype(_descr_from_json(d))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bad array dtype {d!r} in model file: {exc}") from None


# --- encoder -------------------------------------------------------------------


class Encoder:
    """Encodes one object graph; shared objects are written once and referenced."""

    def __init__(self) -> None:
        self._memo: dict[int, int] = {}
        self._keep: list = []  # keeps temporaries alive so their id()s stay unique

    def encode(self, obj, path: str = "model", *, attrs: bool = False):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if type(obj) is int:
            return obj if abs(obj) < 2**53 else {"__int__": str(obj)}
        if type(obj) is float:
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if isinstance(obj, np.generic) and not isinstance(obj, np.void):
            return {"__scalar__": self._array(np.asarray(obj), path)}
        if id(obj) in self._memo:
            return {"__ref__": self._memo[id(obj)]}
        if type(obj) is list:
            ref = self._remember(obj)
            return {
                "__list__": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)],
                "id": ref,
            }
        if type(obj) is tuple:
            return {"__tuple__": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
        if type(obj) is dict:
            ref = self._remember(obj)
            if all(type(k) is str for k in obj):
                items = {
                    k: self.encode(v, f"{path}.{k}" if attrs else f"{path}[{k!r}]")
                    for k, v in obj.items()
                }
                return {"__dict__": items, "id": ref}
            pairs = [
                [self.encode(k, f"{path}.key"), self.encode(v, f"{path}[{k!r}]")]
                for k, v in obj.items()
            ]
            return {"__items__": pairs, "id": ref}
        if type(obj) in (collections.OrderedDict, collections.defaultdict):
            ref = self._remember(obj)
            out = {
                "__odict__" if type(obj) is collections.OrderedDict else "__ddict__": [
                    [self.encode(k, f"{path}.key"), self.encode(v, f"{path}[{k!r}]")]
                    for k, v in obj.items()
                ],
                "id": ref,
            }
            if type(obj) is collections.defaultdict:
                out["factory"] = self.encode(obj.default_factory, f"{path}.default_factory")
            return out
        if type(obj) in (set, frozenset):
            items = sorted((self.encode(v, f"{path}.item") for v in obj), key=repr)
            return {"__set__": items, "frozen": type(obj) is frozenset}
        if type(obj) is complex:
            return {"__complex__": [obj.real, obj.imag]}
        if type(obj) in (bytes, bytearray):
            out = {"__bytes__": base64.b64encode(obj).decode("ascii")}
            if type(obj) is bytearray:
                out["mutable"] = True
            return out
        if type(obj) is slice:
            return {"__slice__": [self.encode(v, path) for v in (obj.start, obj.stop, obj.step)]}
        if type(obj) is np.ndarray:
            ref = self._remember(obj)
            return {"__ndarray__": self._array(obj, path), "id": ref}
        if isinstance(obj, np.dtype):
            return {"__dtype__": _encode_dtype(obj)}
        if isinstance(obj, type):
            return {"__type__": self._class_name(obj, path)}
        if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, np.ufunc)):
            return {"__function__": self._function_name(obj, path)}
        if isinstance(obj, types.MethodType):
            if obj.__func__.__name__ not in _METHOD_NAMES:
                raise SerializationError(
                    f"{path}: method {obj.__func__.__qualname__} cannot be saved; a model file "
                    f"binds only {', '.join(sorted(_METHOD_NAMES))}"
                )
            return {
                "__method__": [self.encode(obj.__self__, f"{path}.__self__"), obj.__func__.__name__]
            }
        if isinstance(obj, np.random.RandomState):
            ref = self._remember(obj)
            state = obj.get_state(legacy=False)
            return {"__randomstate__": self.encode(state, path), "id": ref}
        if isinstance(obj, np.random.Generator):
            ref = self._remember(obj)
            bg = obj.bit_generator
            return {
                "__generator__": self._class_name(type(bg), path),
                "state": self.encode(bg.state, path),
                "id": ref,
            }
        module = type(obj).__module__
        if module.startswith("pandas"):
            return self._pandas(obj, path)
        if module.startswith("sympy"):
            node = self._sympy(obj, path)
            # sympy may re-evaluate while rebuilding; refuse what would not come back equal
            if Decoder()._sympy(node) != obj:
                raise SerializationError(f"{path}: sympy expression {obj} does not rebuild exactly")
            return {"__sympy__": node}
        return self._object(obj, path)

    def _remember(self, obj) -> int:
        ref = len(self._memo)
        self._memo[id(obj)] = ref
        self._keep.append(obj)
        return ref

    def _array(self, arr: np.ndarray, path: str) -> dict:
        if arr.dtype.hasobject:
            if arr.dtype.names is not None:
                raise SerializationError(
                    f"{path}: structured array with object fields is not supported"
                )
            flat = [self.encode(v, f"{path}[{i}]") for i, v in enumerate(arr.reshape(-1).tolist())]
            return {"dtype": "object", "shape": list(arr.shape), "items": flat}
        if arr.dtype.names is not None:
            # padding bytes of structured arrays are uninitialised memory: zero
            # them so the same model always gives the same file (and checksum)
            clean = np.zeros(arr.shape, dtype=arr.dtype)
            for field in arr.dtype.names:
                clean[field] = arr[field]
            arr = clean
        raw = np.ascontiguousarray(arr).tobytes()
        out = {"dtype": _encode_dtype(arr.dtype), "shape": list(arr.shape)}
        if len(raw) >= _ARRAY_ZLIB_MIN:
            out["zlib"] = True
            raw = zlib.compress(raw, 6)
        out["data"] = base64.b64encode(raw).decode("ascii")
        return out

    def _class_name(self, cls: type, path: str) -> str:
        if cls.__module__ == "builtins" and cls.__name__ in _BUILTIN_TYPES:
            return f"builtins:{cls.__name__}"
        name = _qualified(cls)
        if not _allowed_module(cls.__module__) or "<locals>" in cls.__qualname__:
            raise SerializationError(
                f"{path}: class {name} is not in an allowed module "
                f"({', '.join(ALLOWED_MODULES)}); it cannot be saved without pickle"
            )
        return name

    def _function_name(self, fn, path: str) -> str:
        name = _qualified_name(fn)
        if "<lambda>" in name or "<locals>" in name or not _referable_function(fn):
            raise SerializationError(
                f"{path}: function {name} cannot be saved (a model file names only numpy "
                "ufuncs and module-level functions of glassbox and surrogates; a lambda, a "
                "local or a third-party function would need pickle). Wrap the model "
                "object itself instead, e.g. pass an estimator rather than a function"
            )
        try:  # it must be reachable again by that name
            resolve(name, kind="function")
        except ValueError:
            raise SerializationError(f"{path}: function {name} is not reachable by name") from None
        return name

    def _object(self, obj, path: str) -> dict:
        cls = type(obj)
        name = self._class_name(cls, path)
        if _defines_state(cls):
            return self._own_state(obj, name, path)
        try:
            rv = obj.__reduce_ex__(4)
        except Exception as exc:  # noqa: BLE001 - any refusal becomes a clear message
            raise SerializationError(f"{path}: {name} cannot be saved ({exc})") from None
        if isinstance(rv, str) or len(rv) < 2:
            raise SerializationError(f"{path}: {name} is a global singleton; not supported")
        func, args = rv[0], rv[1]
        state = rv[2] if len(rv) > 2 else None
        listitems = rv[3] if len(rv) > 3 else None
        dictitems = rv[4] if len(rv) > 4 else None
        ref = self._remember(obj)
        out: dict[str, Any] = {"__object__": name, "id": ref}
        if func is copyreg.__newobj__ and args and args[0] is cls:
            if len(args) > 1:
                if name not in _NEW_WITH_ARGS:
                    raise SerializationError(
                        f"{path}: {name} needs arguments to __new__, which model files "
                        "only allow for known data classes"
                    )
                out["new_args"] = self.encode(tuple(args[1:]), f"{path}.__new__")
        elif func is copyreg._reconstructor and args and args[0] is cls and args[1] is object:
            pass
        elif func is cls and _constructible(name):
            out["init_args"] = self.encode(tuple(args), f"{path}.__init__")
        else:
            raise SerializationError(
                f"{path}: {name} rebuilds itself through {func!r}, which a model file "
                "cannot reference safely"
            )
        self._keep.append(rv)
        if state is not None:
            out["state"] = self.encode(state, path, attrs=True)
        if listitems is not None:
            out["listitems"] = self.encode(list(listitems), f"{path}.items")
        if dictitems is not None:
            out["dictitems"] = self.encode(dict(dictitems), f"{path}.items")
        return out

    def _own_state(self, obj, name: str, path: str) -> dict:
        """An object that defines its state (``_to_state``): class name + that state."""
        ref = self._remember(obj)
        state = obj._to_state()
        if type(state) is not dict or not all(type(k) is str for k in state):
            raise SerializationError(
                f"{path}: {name}._to_state() must return a dict with str keys, got "
                f"{type(state).__name__}"
            )
        self._keep.append(state)
        return {"__object__": name, "id": ref, "from_state": self.encode(state, path, attrs=True)}

    def _pandas(self, obj, path: str) -> dict:
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            return {
                "__dataframe__": {
                    "columns": self.encode(obj.columns, f"{path}.columns"),
                    "index": self.encode(obj.index, f"{path}.index"),
                    "data": [
                        self.encode(obj.iloc[:, j], f"{path}[{c!r}]")
                        for j, c in enumerate(obj.columns)
                    ],
                }
            }
        if isinstance(obj, pd.Series):
            return {
                "__series__": {
                    "values": self.encode(obj.to_numpy(), f"{path}.values"),
                    "dtype": str(obj.dtype),
                    "index": self.encode(obj.index, f"{path}.index"),
                    "name": self.encode(obj.name, f"{path}.name"),
                }
            }
        if isinstance(obj, pd.RangeIndex):
            return {
                "__rangeindex__": [obj.start, obj.stop, obj.step],
                "name": self.encode(obj.name, path),
            }
        if isinstance(obj, pd.Index) and not isinstance(obj, pd.MultiIndex):
            return {
                "__index__": self.encode(obj.to_numpy(), f"{path}.values"),
                "dtype": str(obj.dtype),
                "name": self.encode(obj.name, f"{path}.name"),
            }
        raise SerializationError(
            f"{path}: pandas {type(obj).__name__} is not supported in model files"
        )

    def _sympy(self, expr, path: str):
        """A sympy expression as a tree of (class name, args); numbers exactly."""
        import sympy

        if not isinstance(expr, sympy.Basic):
            raise SerializationError(
                f"{path}: sympy object {type(expr).__name__} is not an expression"
            )
        if isinstance(expr, sympy.Symbol):
            given = getattr(expr, "_assumptions_orig", None)  # as the user wrote them
            assumptions = dict(given) if given is not None else dict(expr.assumptions0)
            return {"symbol": expr.name, "assumptions": assumptions}
        if isinstance(expr, sympy.Integer):
            return {"integer": str(int(expr))}
        if isinstance(expr, sympy.Rational):
            return {"rational": [str(expr.p), str(expr.q)]}
        if isinstance(expr, sympy.Float):
            mpf = expr._mpf_  # (sign, mantissa, exponent, bitcount): exact binary value
            return {"float": [mpf[0], hex(mpf[1]), mpf[2], mpf[3]], "precision": expr._prec}
        cls = self._class_name(expr.func, path) if isinstance(expr.func, type) else None
        if cls is None or not _allowed_module(expr.func.__module__):
            raise SerializationError(
                f"{path}: sympy function {expr.func} is not a named sympy class"
            )
        return {
            "func": cls,
            "args": [self._sympy(a, f"{path}.args[{i}]") for i, a in enumerate(expr.args)],
        }


# --- decoder -------------------------------------------------------------------


class Decoder:
    """Rebuilds what ``Encoder`` wrote; never calls anything named by the file
    except allowlisted classes' ``__new__``/``__setstate__`` and the
    ``_from_state`` of glassbox/surrogates classes (state protocol)."""

    def __init__(self) -> None:
        self._memo: dict[int, Any] = {}

    def decode(self, data):
        if data is None or isinstance(data, (bool, int, float, str)):
            return data
        if isinstance(data, list):
            raise ValueError("unexpected bare list in model file (lists are tagged)")
        if not isinstance(data, dict) or not data:
            raise ValueError(f"unexpected value {data!r:.80} in model file")
        tag = next(iter(data))
        handler = getattr(self, "_d" + tag.strip("_"), None) if tag.startswith("__") else None
        if handler is None:
            raise ValueError(f"unknown entry {tag!r} in model file")
        return handler(data)

    def _store(self, data, value):
        if "id" in data:
            self._memo[data["id"]] = value
        return value

    def _dref(self, data):
        try:
            return self._memo[data["__ref__"]]
        except KeyError:
            raise ValueError(
                f"model file refers to object #{data['__ref__']} before defining it"
            ) from None

    def _dint(self, data):
        return int(data["__int__"])

    def _dfloat(self, data):
        text = data["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise ValueError(f"bad float {text!r} in model file")
        return float(text)

    def _dcomplex(self, data):
        re, im = data["__complex__"]
        return complex(re, im)

    def _dbytes(self, data):
        raw = base64.b64decode(data["__bytes__"], validate=True)
        return bytearray(raw) if data.get("mutable") else raw

    def _dslice(self, data):
        return slice(*(self.decode(v) for v in data["__slice__"]))

    def _dlist(self, data):
        out = self._store(data, [])
        out.extend(self.decode(v) for v in data["__list__"])
        return out

    def _dtuple(self, data):
        return tuple(self.decode(v) for v in data["__tuple__"])

    def _ddict(self, data):
        out = self._store(data, {})
        for k, v in data["__dict__"].items():
            out[k] = self.decode(v)
        return out

    def _ditems(self, data):
        out = self._store(data, {})
        for k, v in data["__items__"]:
            out[self.decode(k)] = self.decode(v)
        return out

    def _dodict(self, data):
        out = self._store(data, collections.OrderedDict())
        for k, v in data["__odict__"]:
            out[self.decode(k)] = self.decode(v)
        return out

    def _dddict(self, data):
        factory = self.decode(data["factory"])
        if factory is not None and not isinstance(factory, type):
            raise ValueError("defaultdict factory in model file must be a type")
        out = self._store(data, collections.defaultdict(factory))
        for k, v in data["__ddict__"]:
            out[self.decode(k)] = self.decode(v)
        return out

    def _dset(self, data):
        items = [self.decode(v) for v in data["__set__"]]
        return frozenset(items) if data.get("frozen") else set(items)

    def _array(self, spec) -> np.ndarray:
        shape = tuple(int(s) for s in spec["shape"])
        if spec["dtype"] == "object":
            items = [self.decode(v) for v in spec["items"]]
            arr = np.empty(len(items), dtype=object)
            arr[:] = items
            return arr.reshape(shape)
        dtype = _decode_dtype(spec["dtype"])
        if dtype.hasobject:  # object pointers must never come from file bytes
            raise ValueError(f"binary array data with object dtype {dtype} in model file")
        raw = base64.b64decode(spec["data"], validate=True)
        if spec.get("zlib"):
            raw = zlib.decompress(raw)
        if len(raw) != dtype.itemsize * math.prod(shape):
            raise ValueError(f"array data has {len(raw)} bytes, expected shape {shape} of {dtype}")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()

    def _dndarray(self, data):
        return self._store(data, self._array(data["__ndarray__"]))

    def _dscalar(self, data):
        return self._array(data["__scalar__"])[()]

    def _ddtype(self, data):
        return _decode_dtype(data["__dtype__"])

    def _dtype(self, data):
        return resolve(data["__type__"], kind="class")

    def _dfunction(self, data):
        return resolve(data["__function__"], kind="function")

    def _dmethod(self, data):
        owner, name = data["__method__"]
        if name not in _METHOD_NAMES:
            raise ValueError(f"model file binds method {name!r}, which is not allowed")
        owner = self.decode(owner)
        method = getattr(owner, name, None)
        if not isinstance(method, types.MethodType):
            raise ValueError(f"model file refers to method {name!r}, which does not exist")
        return method

    def _drandomstate(self, data):
        rs = np.random.RandomState()
        rs.set_state(self.decode(data["__randomstate__"]))
        return self._store(data, rs)

    def _dgenerator(self, data):
        bg_cls = resolve(data["__generator__"])
        if not issubclass(bg_cls, np.random.BitGenerator):
            raise ValueError(f"{data['__generator__']} is not a numpy bit generator")
        bg = bg_cls()
        bg.state = self.decode(data["state"])
        return self._store(data, np.random.Generator(bg))

    def _dobject(self, data):
        name = data["__object__"]
        cls = resolve(name)
        if "from_state" in data:
            return self._store(data, self._from_state(cls, name, data))
        if _defines_state(cls):
            # such a class is only ever written through its state: filling its
            # __dict__ would skip every check of _from_state (a hand-made file, or one
            # written before the class defined its state)
            raise ValueError(
                f"model file rebuilds {name} without its saved state (written by hand or by "
                "an older glassbox); save the model again with glassbox.io.save"
            )
        if "init_args" in data:
            if not _constructible(name):
                raise ValueError(f"model file asks to construct {name}, which is not allowed")
            obj = cls(*self.decode(data["init_args"]))
        elif "new_args" in data:
            if name not in _NEW_WITH_ARGS:
                raise ValueError(f"model file asks to create {name} with arguments; not allowed")
            obj = cls.__new__(cls, *self.decode(data["new_args"]))
        else:
            obj = cls.__new__(cls)
        self._store(data, obj)
        if "state" in data:
            state = self.decode(data["state"])
            setstate = getattr(obj, "__setstate__", None)
            if setstate is not None and not _is_default_setstate(cls):
                setstate(state)
            else:
                slotstate = None
                if isinstance(state, tuple) and len(state) == 2:
                    state, slotstate = state
                if state:
                    obj.__dict__.update(state)
                if slotstate:
                    for k, v in slotstate.items():
                        setattr(obj, k, v)
        if "listitems" in data:
            obj.extend(self.decode(data["listitems"]))
        if "dictitems" in data:
            for k, v in self.decode(data["dictitems"]).items():
                obj[k] = v
        return obj

    def _from_state(self, cls: type, name: str, data: dict):
        """An object rebuilt by its class's ``_from_state`` (state protocol)."""
        if not _defines_state(cls):
            raise ValueError(f"model file asks {name} to rebuild itself from a state; it cannot")
        extra = sorted(set(data) - {"__object__", "id", "from_state"})
        if extra:
            raise ValueError(f"model file gives {name} a state and also {extra}; refusing it")
        state = self.decode(data["from_state"])
        if type(state) is not dict:
            raise ValueError(f"model file's state of {name} is not a dict")
        obj = cls._from_state(state)
        if type(obj) is not cls:
            raise ValueError(f"{name}._from_state gave a {type(obj).__name__}")
        return obj

    def _dsympy(self, data):
        return self._sympy(data["__sympy__"])

    def _sympy(self, node):
        import sympy

        if "symbol" in node:
            assumptions = {str(k): bool(v) for k, v in node.get("assumptions", {}).items()}
            return sympy.Symbol(str(node["symbol"]), **assumptions)
        if "integer" in node:
            return sympy.Integer(int(node["integer"]))
        if "rational" in node:
            p, q = node["rational"]
            return sympy.Rational(int(p), int(q))
        if "float" in node:
            sign, man, exp, bc = node["float"]
            return sympy.Float._new(
                (int(sign), int(man, 16), int(exp), int(bc)), int(node["precision"])
            )
        cls = resolve(node["func"])
        if not (issubclass(cls, sympy.Basic) and cls.__module__.startswith("sympy")):
            raise ValueError(f"{node['func']} is not a sympy expression class")
        args = [self._sympy(a) for a in node["args"]]
        if not args:
            return cls()
        try:
            return cls(*args, evaluate=False)
        except TypeError:
            return cls(*args)

    def _ddataframe(self, data):
        import pandas as pd

        spec = data["__dataframe__"]
        columns = self.decode(spec["columns"])
        cols = [self.decode(c) for c in spec["data"]]
        frame = pd.concat(cols, axis=1) if cols else pd.DataFrame(index=self.decode(spec["index"]))
        frame.columns = columns
        frame.index = self.decode(spec["index"])
        return frame

    def _dseries(self, data):
        import pandas as pd

        spec = data["__series__"]
        values = self.decode(spec["values"])
        return pd.Series(
            values,
            index=self.decode(spec["index"]),
            name=self.decode(spec["name"]),
            dtype=_pandas_dtype(spec["dtype"]),
        )

    def _drangeindex(self, data):
        import pandas as pd

        start, stop, step = data["__rangeindex__"]
        return pd.RangeIndex(int(start), int(stop), int(step), name=self.decode(data["name"]))

    def _dindex(self, data):
        import pandas as pd

        return pd.Index(
            self.decode(data["__index__"]),
            dtype=_pandas_dtype(data["dtype"]),
            name=self.decode(data["name"]),
        )


def _pandas_dtype(text: str):
    """A pandas dtype from its name, without evaluating anything."""
    import pandas as pd

    if not isinstance(text, str) or len(text) > 64:
        raise ValueError(f"bad pandas dtype {text!r} in model file")
    try:
        return pd.api.types.pandas_dtype(text)
    except TypeError:
        raise ValueError(f"bad pandas dtype {text!r} in model file") from None


def _is_default_setstate(cls) -> bool:
    fn = getattr(cls, "__setstate__", None)
    return fn is None or fn is getattr(object, "__setstate__", None)
