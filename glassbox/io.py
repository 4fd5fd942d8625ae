"""Save and load fitted models as versioned JSON: no pickle, so loading a file
can never run code.

A model file is one JSON document::

    {"format": "glassbox-model", "format_version": 1,
     "class": "glassbox.models.tree:TreeClassifier",
     "versions": {"glassbox": ..., "sklearn": ..., ...},
     "sha256": "<checksum of the payload>",
     "payload": {...the model's state...}}

The payload is the fitted estimator's state, walked as pickle would walk it
but written as data (see ``glassbox._serialize``): arrays as dtype, shape and
base64 bytes, so numbers round-trip bit for bit; objects as an allowlisted
class name plus their state. The checksum catches hand edits and corruption;
the version catches files from a newer format.

A class of glassbox or surrogates may define its saved state itself, with
``_to_state()`` and the classmethod ``_from_state(state)`` (the state protocol
of ``glassbox._serialize``); ``surrogates.Surrogate`` does, so that a file
keeps what a loaded surrogate needs and not every query it was fitted on.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from pathlib import Path
from typing import Any

from ._serialize import Decoder, Encoder, SerializationError, resolve

FORMAT = "glassbox-model"
FORMAT_VERSION = 1

__all__ = ["FORMAT_VERSION", "SerializationError", "dumps", "load", "loads", "save"]


def _versions() -> dict[str, str]:
    import sys
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in (
        "glassbox",
        "numpy",
        "scikit-learn",
        "pandas",
        "interpret-core",
        "pygam",
        "imodels",
        "sympy",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def _checksum(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def dumps(model) -> str:
    """The model file's text (see ``save``)."""
    cls = type(model)
    payload = {"object": Encoder().encode(model, cls.__name__)}
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "versions": _versions(),
        "sha256": _checksum(payload),
        "payload": payload,
    }
    return json.dumps(doc, allow_nan=False, separators=(",", ":"))


def save(model, path: str | os.PathLike) -> Path:
    """Write a fitted model to ``path`` as JSON (no pickle).

    Raises ``glassbox.io.SerializationError`` (a ``TypeError``) naming the
    attribute that cannot be written safely, e.g. a lambda or an object of a
    class outside the allowed libraries. The file is written atomically.
    """
    from sklearn.utils.validation import check_is_fitted

    if hasattr(model, "fit"):  # estimators; a distilled Surrogate is fitted by construction
        check_is_fitted(model)
    text = dumps(model)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def loads(text: str | bytes):
    """The model from a model file's text (see ``load``)."""
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(
            f"not a glassbox model file: invalid JSON ({exc.__class__.__name__}: {exc}); "
            "the file is truncated or corrupt"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(
            'not a glassbox model file: missing "format": "glassbox-model" header '
            "(write model files with glassbox.io.save)"
        )
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"model file has no valid format_version (found {version!r})")
    if version > FORMAT_VERSION or version < 1:
        raise ValueError(
            f"model file has format_version {version}, but this glassbox reads version "
            f"{FORMAT_VERSION}; upgrade glassbox to load it"
        )
    for key in ("class", "sha256", "payload"):
        if key not in doc:
            raise ValueError(f"model file is missing its {key!r} entry (truncated or edited)")
    if _checksum(doc["payload"]) != doc["sha256"]:
        raise ValueError(
            "model file checksum mismatch: the payload was modified after it was saved "
            "(hand-edited or corrupt); refusing to load it"
        )
    cls = resolve(doc["class"])
    try:
        model = Decoder().decode(doc["payload"]["object"])
    except ValueError:
        raise
    except (
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        OverflowError,
        zlib.error,
    ) as exc:
        raise ValueError(f"model file payload is malformed ({type(exc).__name__}: {exc})") from None
    if type(model) is not cls:
        raise ValueError(
            f"model file says its class is {doc['class']} but holds a {type(model).__name__}"
        )
    return model


def load(path: str | os.PathLike):
    """Read a model written by ``save``. Never runs code from the file.

    Raises ``ValueError`` naming what is wrong with a corrupt, truncated,
    wrong-version or hand-edited file, and ``FileNotFoundError`` for a
    missing one.
    """
    data = Path(path).read_bytes()
    return loads(data)
