"""Save and load fitted models as JSON files that cannot run code.

A model file (format version 2, see docs/model-files.md) is one JSON document::

    {"format": "glassbox-model", "format_version": 2,
     "versions": {...},                  # informational
     "metadata": {...},                  # optional, plain JSON given to save()
     "model": {"class": "TreeClassifier", "params": {...}, "fitted": {...}},
     "sha256": "<checksum>", "hmac": "<optional HMAC-SHA256>"}

``class`` is looked up in the fixed list of saveable classes (never imported
from the file); ``params`` go through the class's own constructor and
scikit-learn's parameter validation; ``fitted`` holds exactly the fields of that
family's schema (``glassbox.io._schema_<family>``), each of a declared plain type and
checked before the model is built. Third-party state is rebuilt from validated
data: scikit-learn trees from checked node tables, interpret's EBM and pygam's
GAMs from their public attributes, xgboost from its own JSON model, equations
from a tree over a whitelist of operators and the model's feature names.

Reading is bounded (regular files only, ``max_bytes``, ``max_array_bytes``);
writing is atomic. ``sha256`` catches corruption; ``key=`` adds an HMAC that
proves who wrote the file (authenticity only: the checks above hold without it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import _file
from ._check import need
from ._plain import Budget, SerializationError
from ._schema import construct, dump_fields, dump_params, load_fields, set_model_codec

FORMAT = "glassbox-model"
FORMAT_VERSION = 2
MAX_FILE_BYTES = _file.MAX_FILE_BYTES
#: array data one load may decode unless the caller passes ``max_array_bytes``
MAX_ARRAY_BYTES = 256 * 1024 * 1024
MAX_METADATA_BYTES = 1024 * 1024
ARRAY_BYTES_FLOOR = 16 * 1024 * 1024

__all__ = [
    "FORMAT_VERSION",
    "MAX_ARRAY_BYTES",
    "MAX_FILE_BYTES",
    "SerializationError",
    "dumps",
    "load",
    "load_metadata",
    "loads",
    "save",
]

_TOP_KEYS = {"format", "format_version", "versions", "metadata", "model", "sha256", "hmac"}


def _versions() -> dict[str, str]:
    import sys
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in ("glassbox", "numpy", "scikit-learn", "interpret-core", "pygam", "sympy", "xgboost"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


# --- models <-> JSON -------------------------------------------------------------------


#: schemas that packages above glassbox add for their own classes (``surrogates``
#: registers ``Surrogate`` when it is imported): class name -> (class, dump, load).
#: glassbox never imports those packages itself.
_EXTENSIONS: dict[str, tuple[type, Any, Any]] = {}


def register_schema(cls: type, dump, load) -> None:
    """Let model files hold ``cls`` (a class of a package built on glassbox).

    ``dump(model, path) -> dict`` writes its checked state; ``load(node, path, budget)``
    checks that state and returns the model. Files name the class by ``cls.__name__``.
    """
    _EXTENSIONS[cls.__name__] = (cls, dump, load)


def _extension(name: str) -> tuple[type, Any, Any]:
    if name not in _EXTENSIONS and name == "Surrogate":
        raise ValueError(
            "this model file holds a surrogates.Surrogate: import surrogates before "
            "loading it (glassbox alone does not rebuild surrogates)"
        )
    return _EXTENSIONS[name]


def dump_model(model, path: str | None = None) -> dict:
    """The ``{"class", "params", "fitted"}`` entry of a fitted model (SerializationError if
    anything in it lies outside its family's schema)."""
    from ._families import dump_equations, families

    name = type(model).__name__
    path = path or name
    ext = _EXTENSIONS.get(name)
    if ext is not None and type(model) is ext[0]:
        return {"class": name, "state": ext[1](model, path)}
    fam = families().get(name)
    if fam is None or type(model) is not fam.cls:
        raise SerializationError(
            f"{path}: a {type(model).__module__}.{type(model).__qualname__} cannot be saved; "
            f"model files hold the glassbox families ({', '.join(families())}) and Surrogate"
        )
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    params = dump_params(model, path + ".params")
    attrs = {k: v for k, v in vars(model).items() if k not in params}
    if name == "SymbolicRegressor":
        dump_equations(model, attrs, path)
    return {"class": name, "params": params, "fitted": dump_fields(attrs, fam.fields, path)}


def load_model(node: Any, path: str, budget: Budget, surrogate: bool = True):
    """The model of a ``dump_model`` entry, every field checked before it is used."""
    from ._families import Lazy, _common_check, families, load_equations

    need(
        isinstance(node, dict) and isinstance(node.get("class"), str),
        path,
        "expected a model entry with a 'class'",
    )
    name = node["class"]
    if surrogate and (name in _EXTENSIONS or name == "Surrogate"):
        load = _extension(name)[2]
        need(set(node) == {"class", "state"}, path, f"a {name} entry has class and state")
        return load(node["state"], path, budget)
    fam = families().get(name)
    if fam is None:
        raise ValueError(
            f"model file field {path}.class: {name[:80]!r} is not a class model files hold "
            f"({', '.join(families())}{', Surrogate' if surrogate else ''})"
        )
    need(
        set(node) == {"class", "params", "fitted"}, path, "a model entry has class, params, fitted"
    )
    model = construct(fam.cls, node["params"], path + ".params", budget)
    attrs = load_fields(node["fitted"], fam.fields, path, budget)
    _common_check(attrs, path)
    if fam.check is not None:
        fam.check(attrs, path)
    for k, v in attrs.items():
        setattr(model, k, v)
    for k in fam.dropped:
        setattr(model, k, None)
    if any(isinstance(v, Lazy) for v in attrs.values()):
        load_equations(model, path)
    if fam.derived is not None:
        fam.derived(model)
    return model


set_model_codec(dump_model, load_model)  # one-vs-rest families hold whole models


# --- documents -------------------------------------------------------------------------


def _check_metadata(metadata: Any) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValueError("metadata must be a dict of plain JSON values")

    def walk(v, depth, where):
        if depth > 16:
            raise ValueError(f"metadata {where} nests too deeply")
        if v is None or isinstance(v, (bool, int, str)):
            return
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                raise ValueError(f"metadata {where} is not finite")
            return
        if isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, depth + 1, f"{where}[{i}]")
            return
        if isinstance(v, dict):
            for k, x in v.items():
                if not isinstance(k, str):
                    raise ValueError(f"metadata {where} has a key that is not a string")
                walk(x, depth + 1, f"{where}[{k!r}]")
            return
        raise ValueError(f"metadata {where} is a {type(v).__name__}, not plain JSON")

    walk(metadata, 0, "")
    if len(_file.canonical(metadata)) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is over {MAX_METADATA_BYTES:,} bytes")
    return metadata


def _body(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("sha256", "hmac")}


def dumps(model, *, key: bytes | str | None = None, metadata: dict | None = None) -> str:
    """The model file's text (see ``save``)."""
    import json

    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "metadata": _check_metadata(metadata),
        "model": dump_model(model),
    }
    doc["sha256"] = _file.checksum(doc)
    if key is not None:
        doc["hmac"] = _file.sign(_body(doc), key)
    return json.dumps(doc, allow_nan=False, separators=(",", ":"))


def save(
    model,
    path: str | os.PathLike,
    *,
    key: bytes | str | None = None,
    metadata: dict | None = None,
) -> Path:
    """Write a fitted model to ``path`` as a JSON model file (see docs/model-files.md).

    Raises ``glassbox.io.SerializationError`` (a ``TypeError``) naming the attribute
    that lies outside the model's file schema (a lambda, a glued-on pipeline, an
    unsupported black box), before anything is written. The file is written to a
    fresh temporary file in the same directory and renamed over ``path``: a failed
    save leaves no file behind and an existing ``path`` untouched. ``key`` adds an
    HMAC-SHA256 signature; ``metadata`` (plain JSON) is stored alongside.
    """
    data = dumps(model, key=key, metadata=metadata).encode("utf-8")
    return _file.atomic_write(path, data)


def _read_doc(data: bytes | str, key, max_array_bytes: int) -> tuple[Any, dict]:
    doc = _file.parse_json(data)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(
            'not a glassbox model file: no "format": "glassbox-model" header '
            "(write model files with glassbox.io.save)"
        )
    version = doc.get("format_version")
    if version == 1:
        raise ValueError(
            "model file has format_version 1 (written by an older glassbox, whose files could "
            "run code when loaded); it is not read any more: fit the model again and save it "
            "with glassbox.io.save"
        )
    if type(version) is not int or version != FORMAT_VERSION:
        raise ValueError(
            f"model file has format_version {str(version)[:20]}, but this glassbox reads version "
            f"{FORMAT_VERSION}; use the glassbox that wrote it, or fit again and save"
        )
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ValueError(f"model file has unknown top-level entries {[u[:40] for u in unknown]}")
    for name in ("model", "sha256", "metadata", "versions"):
        if name not in doc:
            raise ValueError(f"model file is missing its {name!r} entry (truncated or edited)")
    if doc["sha256"] != _file.checksum(_body(doc)):
        raise ValueError(
            "model file checksum mismatch: it was changed after it was saved (edited by hand "
            "or corrupt); refusing to load it"
        )
    if key is not None:
        _file.verify(_body(doc), key, doc.get("hmac"))
    versions = doc["versions"]
    if not (
        isinstance(versions, dict)
        and all(isinstance(v, str) and len(v) <= 200 for v in versions.values())
    ):
        raise ValueError("model file field versions: must be an object of version strings")
    metadata = doc["metadata"]
    if not isinstance(metadata, dict):
        raise ValueError("model file field metadata: must be an object")
    # arrays may expand at most 100-fold from the file (zlib's own limit is ~1000-fold)
    budget = Budget(min(max_array_bytes, 100 * len(data) + ARRAY_BYTES_FLOOR))
    try:
        model = load_model(doc["model"], "model", budget)
    except RecursionError:
        raise ValueError("model file nests too deeply to be a model file") from None
    except MemoryError:
        raise ValueError("model file asks for more memory than is available") from None
    return model, metadata


def loads(
    text: str | bytes,
    *,
    key: bytes | str | None = None,
    max_array_bytes: int = MAX_ARRAY_BYTES,
):
    """The model from a model file's text (see ``load``)."""
    return _read_doc(text, key, max_array_bytes)[0]


def load(
    path: str | os.PathLike,
    *,
    key: bytes | str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    max_array_bytes: int = MAX_ARRAY_BYTES,
):
    """Read a model written by ``save``. Never runs code from the file.

    Only a regular file of at most ``max_bytes`` (64 MiB) is read; its arrays may
    take at most ``max_array_bytes`` (256 MiB) once decoded. Raises ``ValueError``
    naming the field and what is wrong for any file that is not a valid model file
    of this version (truncated, edited, hostile, too large, a FIFO or a device), and
    ``FileNotFoundError`` for a missing one. With ``key`` the file's HMAC must match.
    """
    # the bytes are dropped once decoded: the text is the only copy while JSON is parsed
    return _read_doc(_file.decode_text(_file.read_bounded(path, max_bytes)), key, max_array_bytes)[
        0
    ]


def load_metadata(
    path: str | os.PathLike,
    *,
    key: bytes | str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    max_array_bytes: int = MAX_ARRAY_BYTES,
) -> dict:
    """The ``metadata`` dict given to ``save`` ({} when none), after the same checks as ``load``."""
    return _read_doc(_file.decode_text(_file.read_bounded(path, max_bytes)), key, max_array_bytes)[
        1
    ]
