"""Reading a Hugging Face ``config.json``: its top-level object, and the line of each key.

:func:`read_config` parses the file with the checks a spec file gets (size, digits,
duplicate keys) and keeps the line of each top-level key, so that an error names
``file:line: field: problem``. The fields are then read one by one through a
:class:`~registry.contracts.ConfigReader`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.errors import SpecError
from registry.io import MAX_DIGITS, DuplicateKey, find_huge_int, read_text, strict_json, too_many_digits


def read_config(path: str | Path, text: str | None = None) -> tuple[dict[str, Any], dict[str, int]]:
    """The top-level object of a JSON file, and the line where each of its keys is defined
    (``text``: the file's text, already read, e.g. from stdin; ``path`` then names it)."""
    import json  # here: every plugin module imports this one, a spec file's count reads no JSON (start-up time)

    path = Path(path)
    text = read_text(path) if text is None else text
    try:
        data = strict_json(text)
    except DuplicateKey as dup:
        raise SpecError(str(path), dup.key, "appears twice in the same object", key_lines(text).get(dup.key)) from None
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
