"""Text as a terminal shows it: what it would act on (escape sequences, bidirectional
overrides, other control characters, lone surrogates) escaped as Python escapes it; and
a value shortened for an error message (:func:`short_value`)."""

from __future__ import annotations

import re
import reprlib

__all__ = ["short_value", "visible"]

#: Characters worth a second look: anything but printable ASCII, newline and tab.
_SUSPECT = re.compile(r"[^\n\t -~]")


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    return c if c.isprintable() else repr(c)[1:-1]


def visible(text: str, keep_newlines: bool = True) -> str:
    r"""``text`` with every character a terminal would act on escaped as Python escapes it:
    control characters (``\x1b`` of an escape sequence), bidirectional overrides
    (``\u202e``), lone surrogates; newlines and tabs kept unless ``keep_newlines`` is False."""
    if text.isascii() and text.isprintable():
        return text
    out = _SUSPECT.sub(_escape, text)
    return out if keep_newlines else out.replace("\n", "\\n").replace("\t", "\\t")


_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlong, _repr.maxlist = 60, 60, 60, 6


def short_value(value: object) -> str:
    """A value as an error message shows it: its repr, cut to a few dozen characters (one
    line), lists and tuples to their first six items. The one shortening of every message
    (spec files, config.json, checkpoints, plugins: ``registry.short_value``)."""
    return _repr.repr(value)
