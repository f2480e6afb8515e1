"""Reading a Hugging Face ``config.json`` field by field, so that nothing is read by accident.

:func:`read_config` parses the file (with the line of each top-level key, for error
messages); :class:`ConfigReader` hands out typed values with transformers' defaults,
records which fields were read, and lists whatever field is left over that is not
known to leave the shapes alone (refused under ``strict``). Every problem is a :class:`~registry.errors.SpecError`
naming the file, the line, the field and the problem.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from registry.errors import SpecError


class _Required:
    """Marker: a field with no default (transformers cannot build the model without it)."""

    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of a field that must be given.
REQUIRED: Any = _Required()

_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlong, _repr.maxlist = 60, 60, 60, 6
#: A value as it shows in a message: its repr, cut to a few dozen characters (one line).
short = _repr.repr


def read_config(path: str | Path, text: str | None = None) -> tuple[dict[str, Any], dict[str, int]]:
    """The top-level object of a JSON file, and the line where each of its keys is defined
    (``text``: the file's text, already read, e.g. from stdin; ``path`` then names it)."""
    import json  # here: every plugin module imports this one, a spec file's count reads no JSON (start-up time)

    from registry.sources.spec import MAX_DIGITS, find_huge_int, read_text, too_many_digits  # the same checks as for specs

    path = Path(path)
    text = read_text(path) if text is None else text

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise SpecError(str(path), key, "appears twice in the same object", key_lines(text).get(key))
            seen[key] = value
        return seen

    try:
        data = json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as exc:
        raise SpecError(str(path), "", f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise SpecError(str(path), "", "JSON nested too deeply") from None
    except ValueError:  # int() refused a number of more than 4,300 digits
        message, line = too_many_digits(text)
        raise SpecError(str(path), "", message, line) from None
    if not isinstance(data, dict):
        raise SpecError(str(path), "", "a config.json holds one JSON object; this file holds something else")
    huge = find_huge_int(data)
    if huge is not None:
        key = str(huge[0])
        raise SpecError(str(path), key, f"a whole number may have at most {MAX_DIGITS} digits", key_lines(text).get(key))
    return data, key_lines(text)


def key_lines(text: str) -> dict[str, int]:
    """The 1-based line of each key of the top-level JSON object (first occurrence)."""
    import json

    lines: dict[str, int] = {}
    containers: list[str] = []  # the open objects ({) and arrays ([), outermost first
    line, i, n = 1, 0, len(text)
    while i < n:
        char = text[i]
        if char == "\n":
            line += 1
        elif char in "{[":
            containers.append(char)
        elif char in "}]" and containers:
            containers.pop()
        elif char == '"':
            start, start_line = i, line
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\":
                    i += 1
                elif text[i] == "\n":
                    line += 1
                i += 1
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if containers == ["{"] and j < n and text[j] == ":":
                try:
                    key = json.loads(text[start : i + 1])
                except ValueError:
                    key = text[start + 1 : i]
                lines.setdefault(key, start_line)
        i += 1
    return lines


class ConfigReader:
    """Typed access to a config's fields that records which ones were read.

    ``get``-style methods take transformers' default for a field that is absent; a
    field that is present is checked (type, range, null). :meth:`finish` refuses the
    first field, in file order, that was neither read nor declared shape-free.
    """

    def __init__(self, data: dict[str, Any], path: str, lines: dict[str, int] | None = None):
        self.data = data
        self.path = path
        self.lines = lines or {}
        self.read: set[str] = set()

    def error(self, key: str, message: str) -> SpecError:
        """A SpecError pointing at ``key``'s line."""
        return SpecError(self.path, key, message, self.lines.get(key))

    def has(self, key: str) -> bool:
        """Whether the config sets ``key`` (to anything, null included)."""
        return key in self.data

    def raw(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` as written (or ``default``), marked as read."""
        self.read.add(key)
        if key not in self.data:
            if default is REQUIRED:
                raise self.error(key, "required field is missing (transformers cannot build the model without it)")
            return default
        return self.data[key]

    def int(self, key: str, default: Any, *, nullable: bool = False, minimum: int = 1) -> Any:
        """A whole number ``>= minimum``; null only when ``nullable`` (returned as None)."""
        if key not in self.data:
            return self.raw(key, default)
        value = self.raw(key)
        if value is None:
            if nullable:
                return None
            raise self.error(key, "must be a whole number, not null (transformers cannot build the model with null)")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be a whole number (got {short(value)})")
        if value < minimum:
            raise self.error(key, f"must be >= {minimum} (got {value})")
        return value

    def bool(self, key: str, default: bool) -> bool:
        """true or false."""
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false (got {short(value)})")
        return value

    def int_list(self, key: str, default: list[int], *, null_means: list[int] | None = None) -> list[int]:
        """A list of whole numbers ``>= 0`` (null gives ``null_means`` when that is set)."""
        value = self.raw(key, default)
        if value is None and null_means is not None:
            return list(null_means)
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in value):
            raise self.error(key, f"must be a list of whole numbers >= 0 (got {short(value)})")
        return list(value)

    def expect(self, key: str, allowed: Iterable[Any], why: str) -> None:
        """Refuse ``key`` when it is present with a value outside ``allowed`` (``why`` says why)."""
        self.read.add(key)
        if key in self.data and self.data[key] not in list(allowed):
            raise self.error(key, f"{short(self.data[key])} is not supported: {why}")

    def finish(self, shape_free: Iterable[str], model_type: str, strict: bool = False) -> list[str]:
        """The fields (in file order) that were neither read nor declared shape-free.

        Such a field is not a field of transformers' configuration for ``model_type``
        (the model type's mapping classifies every one that is), so transformers' model
        never reads it. ``strict`` refuses the first of them instead.
        """
        allowed = set(shape_free)
        ignored = [k for k in sorted(self.data, key=lambda k: self.lines.get(k, 0)) if k not in self.read and k not in allowed]
        if strict and ignored:
            raise self.error(
                ignored[0],
                f"not a field of transformers' configuration for model_type {model_type!r}; "
                "--strict refuses fields that transformers does not know",
            )
        return ignored
