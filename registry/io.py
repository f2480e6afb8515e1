"""Reading what a user names, within bounds: file text, and numbers of a sane size.

The bottom of the house with :mod:`registry.errors`: spec files, config.json files and
checkpoint readers all read through here, so that a FIFO, a device, a huge file or a
number of thousands of digits is one clear error wherever it is met.
"""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path
from typing import Any

from registry.errors import SpecError

#: Spec files larger than this are refused before parsing (a spec is a few kB).
MAX_SPEC_BYTES = 8 * 1024 * 1024
#: Whole numbers in a spec (or config, or option) may have at most this many digits.
#: Every count, FLOP and byte figure is exact, a product of a few of them (seven at
#: most), so that each printed number stays within Python's 4,300-digit limit on
#: converting ints to text.
MAX_DIGITS = 600


def find_huge_int(data: Any) -> tuple[str | int, ...] | None:
    """The key path of the first whole number in ``data`` over :data:`MAX_DIGITS` digits, or None."""
    limit = 10**MAX_DIGITS
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:  # a loop, not recursion: the data may be nested deeply
        path, value = stack.pop()
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= limit:
            return path
        if isinstance(value, dict):
            stack.extend(((*path, k), v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(value))))
    return None


def too_many_digits(text: str) -> tuple[str, int | None]:
    """The message, and the line of the first very long number in ``text``, for a number
    the parser itself refused (more than Python's 4,300 digits)."""
    match = re.search(rf"\d[\d_]{{{sys.get_int_max_str_digits()},}}", text)
    line = None if match is None else text.count("\n", 0, match.start()) + 1
    return f"a whole number may have at most {MAX_DIGITS} digits", line


def read_text(path: Path) -> str:
    """The text of a spec file, or a :class:`SpecError` saying why it cannot be read."""
    try:  # exists() and is_dir() raise too, for a name too long or a NUL in it
        if not path.exists():
            raise SpecError(str(path), "", "no such file")
        if path.is_dir():
            raise SpecError(str(path), "", "is a directory, not a spec file")
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # before opening: a FIFO without a writer blocks open() forever
            raise SpecError(str(path), "", f"is {special_file_kind(info.st_mode)}, not a regular file (give - to read stdin)")
        size = info.st_size
        if size > MAX_SPEC_BYTES:
            raise SpecError(str(path), "", f"file is {size:,} bytes; a spec may be at most {MAX_SPEC_BYTES:,}")
        with path.open("rb") as f:  # bounded: a pipe or /dev/zero has no size to check beforehand
            data = f.read(MAX_SPEC_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise SpecError(str(path), "", f"cannot read file: {getattr(exc, 'strerror', None) or exc}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(str(path), "", f"file is over {MAX_SPEC_BYTES:,} bytes; a spec may be at most {MAX_SPEC_BYTES:,}")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark, as on stdin
    except UnicodeDecodeError as exc:
        raise SpecError(str(path), "", f"not UTF-8 text (byte {exc.start})") from None


def special_file_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words (``a FIFO``, ``a character device``)."""
    for test, kind in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory")):  # fmt: skip
        if test(mode):
            return kind
    return "a special file"


class DuplicateKey(ValueError):
    """A key that occurs twice in one JSON object (``key`` names it)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` of :func:`strict_json`: a repeated key is an error, never last-one-wins."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def strict_json(text: str) -> Any:
    """``json.loads(text)``, refusing a key repeated in one object (:class:`DuplicateKey`,
    where a JSON reader would keep the last silently). The one strict JSON parse of
    config.json files and checkpoint headers; other errors are ``json``'s (``ValueError``,
    ``RecursionError``)."""
    import json  # here: a spec file's count reads no JSON (start-up time)

    return json.loads(text, object_pairs_hook=_unique_keys)
