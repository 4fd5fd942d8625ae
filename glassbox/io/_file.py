"""Bounded reading, strict JSON, atomic writing and the optional HMAC of model files.

Nothing here knows about models: these are the byte-level rules every model
file goes through before a single field is looked at.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

#: largest model file ``load`` reads unless the caller passes ``max_bytes``
MAX_FILE_BYTES = 64 * 1024 * 1024
#: JSON containers and values a model file may hold (arrays are single base64 strings,
#: so real files hold far fewer); bounds the memory of parsing before it starts
MAX_JSON_VALUES = 2_000_000


class _Refused(ValueError):
    pass


def read_bounded(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; anything else refused at once.

    ``os.stat`` first (a FIFO, a device or a directory is refused before it is
    opened, so nothing blocks or reads forever), then the file is opened
    non-blocking and checked again through its descriptor (the path could have
    been swapped in between), and at most ``max_bytes + 1`` bytes are read.
    """
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    st = os.stat(path)  # FileNotFoundError stays itself
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{os.fspath(path)} is not a regular file (a model file is a plain file)")
    if st.st_size > max_bytes:
        raise ValueError(
            f"model file is {st.st_size:,} bytes, over the limit of {max_bytes:,} "
            "(pass max_bytes= to load a larger file you trust)"
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{os.fspath(path)} is not a regular file")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise ValueError(f"model file is over the limit of {max_bytes:,} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise _Refused(f"model file has the key {k!r} twice in one object (edited by hand?)")
        out[k] = v
    return out


def _no_constant(name: str):
    raise _Refused(f"model file holds the literal {name}, which is not JSON")


def decode_text(data: bytes | str) -> str:
    """The file's text (UTF-8); a str is returned as it is."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"model file is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None


def parse_json(data: bytes | str) -> Any:
    """Strict JSON: UTF-8, no duplicate keys, no NaN/Infinity literals; ValueError otherwise."""
    data = decode_text(data)
    # counted on the text itself (no copy): bounds the objects parsing may create
    values = data.count("{") + data.count("[") + data.count(",")
    if values > MAX_JSON_VALUES:
        raise ValueError(
            f"model file holds about {values:,} JSON values, over the limit of "
            f"{MAX_JSON_VALUES:,} (model files keep arrays as single strings)"
        )
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"model file is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "the file is truncated or corrupt"
        ) from None
    except RecursionError:
        raise ValueError("model file nests too deeply to be a model file") from None
    except ValueError as exc:  # e.g. an integer literal with too many digits
        raise ValueError(f"model file holds a bad number ({exc})") from None


def canonical(doc: Any) -> bytes:
    """The bytes a checksum or HMAC covers: sorted keys, no spaces."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def checksum(doc: Any) -> str:
    return hashlib.sha256(canonical(doc)).hexdigest()


def _key_bytes(key: bytes | str) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray)) or len(key) == 0:
        raise TypeError("key must be non-empty bytes or str")
    return bytes(key)


def sign(doc: Any, key: bytes | str) -> str:
    """HMAC-SHA256 (hex) of the canonical form of ``doc``."""
    return hmac.new(_key_bytes(key), canonical(doc), hashlib.sha256).hexdigest()


def verify(doc: Any, key: bytes | str, signature: Any) -> None:
    if not isinstance(signature, str):
        raise ValueError(
            "model file has no HMAC signature but a key was given (saved without key=?)"
        )
    if not hmac.compare_digest(sign(doc, key), signature):
        raise ValueError(
            "model file's HMAC does not match the key: it was changed after it was saved, "
            "or saved with another key"
        )


def atomic_write(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a fresh temporary file in the same directory.

    The temporary file is created exclusively by ``tempfile.mkstemp`` (O_EXCL with
    a random name: a symlink planted there is never followed), written, flushed to
    disk and renamed over ``path``. On any failure it is removed and an existing
    ``path`` is left as it was.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # the rename itself reaches the disk (best effort: not every system allows it)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return path
