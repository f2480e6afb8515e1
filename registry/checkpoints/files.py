"""Opening and reading checkpoint files: bounded reads, one-line errors.

Every reader of :mod:`registry.checkpoints` opens files through :func:`open_binary`
(tests replace this module's ``open`` to count what is read) and turns an ``OSError``
into a :class:`registry.errors.SpecError` with :func:`file_error`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from registry.errors import SpecError
from registry.io import DuplicateKey, strict_json

__all__ = ["MAX_JSON_BYTES", "file_error", "is_file", "load_json", "open_binary", "read_json_file", "size_of"]

MAX_JSON_BYTES = 100_000_000
"""Largest JSON file or header accepted (the limit the safetensors library enforces)."""

def open_binary(path: str | os.PathLike[str]) -> IO[bytes]:
    """``open(path, "rb")``: the one place the readers open files. Anything but a regular file
    (a FIFO, whose open() blocks without a writer; a pipe or device, which has no size to check
    the header against) is refused before it is opened. A file of a Hub repo
    (:class:`registry.checkpoints.remote.RemoteFile`) opens itself: read by byte ranges."""
    import stat

    if hasattr(path, "open_binary"):
        return path.open_binary()  # type: ignore[no-any-return]

    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):  # a directory: open() says so
        from registry.io import special_file_kind

        raise SpecError(str(path), "", f"is {special_file_kind(mode)}, not a regular file")
    return open(path, "rb")


def size_of(f: IO[bytes]) -> int:
    """The size of an open file: its ``size`` (a remote file), else what ``fstat`` says."""
    size = getattr(f, "size", None)
    return size if isinstance(size, int) else os.fstat(f.fileno()).st_size


def file_error(where: str, error: OSError | ValueError) -> SpecError:
    """The SpecError for a file that cannot be opened or read (ValueError: a NUL in the path)."""
    if isinstance(error, FileNotFoundError):
        return SpecError(where, "", "no such file")
    if isinstance(error, IsADirectoryError):
        return SpecError(where, "", "is a directory, not a file")
    return SpecError(where, "", f"cannot read file: {getattr(error, 'strerror', None) or error}")


def is_file(path: Path) -> bool:
    """``path.is_file()``, False where that raises (a name too long, a NUL in it)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def load_json(where: str, raw: bytes, what: str) -> dict[str, Any]:
    """Decode UTF-8 JSON that must be an object; ``what`` names it in messages."""
    try:
        value = strict_json(raw.decode("utf-8"))
    except DuplicateKey as dup:
        raise SpecError(where, dup.key, f"appears twice in the {what} (a JSON reader would keep the last silently)") from None
    except UnicodeDecodeError:
        raise SpecError(where, "", f"{what} is not valid UTF-8") from None
    except RecursionError:
        raise SpecError(where, "", f"{what} is not valid JSON: nested too deeply") from None
    except ValueError as e:
        raise SpecError(where, "", f"{what} is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise SpecError(where, "", f"{what} is not a JSON object but {type(value).__name__}")
    return value


def read_json_file(path: Path, what: str) -> dict[str, Any]:
    """A JSON object file of at most :data:`MAX_JSON_BYTES` (bounded: a pipe has no size)."""
    where = str(path)
    try:
        with open_binary(path) as f:
            raw = f.read(MAX_JSON_BYTES + 1)
    except (OSError, ValueError) as e:
        raise file_error(where, e) from None
    if len(raw) > MAX_JSON_BYTES:
        raise SpecError(where, "", f"{what} is over {MAX_JSON_BYTES} bytes")
    return load_json(where, raw, what)
