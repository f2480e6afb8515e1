"""Text as a terminal shows it: what it would act on (escape sequences, bidirectional
overrides, other control characters, lone surrogates) escaped as Python escapes it."""

from __future__ import annotations

import re

__all__ = ["visible"]

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
