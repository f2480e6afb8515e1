"""JSON as every command's ``--format json`` prints it: indented by two, strict (a NaN or an
infinity is a ValueError, never written: strict parsers reject them), and for a long array
streamed one item at a time (:func:`json_array`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def json_text(data: Any) -> str:
    """JSON-ready data as every command's ``--format json`` prints it (indented by two, strict)."""
    import json

    return json.dumps(data, indent=2, allow_nan=False)


#: How many shared values :func:`json_array` keeps the text of (then it starts afresh).
_SHARED_TEXTS = 1000


def json_array(items: Iterable[Any], shared: Iterable[str] = ()) -> Iterator[str]:
    """The text of ``json.dumps(list(items), indent=2)``, one chunk per item, so that a long
    array is written as it is made, never held whole. Strict JSON: a NaN or an infinity is
    a ValueError, never written.

    An item's values under the keys ``shared`` that are the very object of an earlier
    item's (the layers of models sharing a block tree) are encoded once: indented JSON is
    encoded in Python, slowly, and 10^5 models of a few trees would spend most of their
    time on the same text."""
    import json

    keys = frozenset(shared)
    texts: dict[int, tuple[object, str]] = {}  # id -> (the value, kept alive so that its id stays its own; text)
    flat = json.JSONEncoder(allow_nan=False).encode  # C-accelerated: a number or a string is the same text indented

    def value_text(key: str, value: Any) -> str:
        if not isinstance(value, (dict, list, tuple)):
            return flat(value)
        if key not in keys:
            return json.dumps(value, indent=2, allow_nan=False).replace("\n", "\n  ")
        found = texts.get(id(value))
        if found is None:
            if len(texts) >= _SHARED_TEXTS:
                texts.clear()
            found = texts[id(value)] = (value, json.dumps(value, indent=2, allow_nan=False).replace("\n", "\n  "))
        return found[1]

    first = True
    for item in items:
        if isinstance(item, dict) and item and keys:
            parts = [f"  {flat(k)}: {value_text(k, v)}" for k, v in item.items()]
            text = "{\n" + ",\n".join(parts) + "\n}"
        else:
            text = json.dumps(item, indent=2, allow_nan=False)
        yield ("[\n  " if first else ",\n  ") + text.replace("\n", "\n  ")  # JSON strings hold no raw newline
        first = False
    yield "[]" if first else "\n]"
