"""Find the line of a TOML key, so that an error can say ``file:line: field: problem``.

``tomllib`` returns values without positions; this module scans the text once and
records, for each table header and ``key = value`` line, the line where that key
path is defined. Arrays of tables are numbered as TOML numbers them, so
``("models", 2, "params", "n_layers")`` finds the key in the third ``[[models]]``.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[|\[)\s*(.+?)\s*(\]\]|\])\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*'))*)\s*="""
)
_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*'""")

Path = tuple[str | int, ...]


def _parts(dotted: str) -> list[str]:
    return [p[1:-1] if p[:1] in "\"'" else p for p in _PART.findall(dotted)]


def long_key_line(text: str, limit: int) -> int | None:
    """The line of the first dotted key (or table header) of more than ``limit`` parts, or None.

    Anywhere in a line (inline tables too), and linear: only a line with at least
    ``limit`` dots is split, and the longest run of key-like parts between dots counted.
    """
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count(".") < limit:
            continue
        run = 0
        for token in _DOT.split(line):
            if _PART.fullmatch(token):
                run += 1
            else:  # "[[a" starts a run, "z]]" or "z = 1" ends one
                run = run + 1 if _PART.match(token) else run
                if run > limit:
                    return number
                run = 1 if _ENDS_IN_KEY.search(token) else 0
            if run > limit:
                return number
    return None


_DOT = re.compile(r"[ \t]*\.[ \t]*")
_ENDS_IN_KEY = re.compile(r"""[A-Za-z0-9_"'-]$""")


class _Node:
    """One key of the trie of table headers; ``count`` elements if it is an array of tables."""

    __slots__ = ("children", "count")

    def __init__(self) -> None:
        self.children: dict[str | int, _Node] = {}
        self.count = 0

    def child(self, key: str | int) -> _Node:
        node = self.children.get(key)
        if node is None:
            node = self.children[key] = _Node()
        return node


class KeyLines:
    """The line (1-based) where each key path of a TOML document is defined."""

    def __init__(self, text: str):
        self.lines: dict[Path, int] = {}
        root = _Node()
        table: Path = ()
        in_multiline: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                table = self._resolve(root, _parts(header.group(2)), header.group(1) == "[[", number)
                self.lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                path = table + tuple(_parts(key.group(1)))
                self.lines.setdefault(path, number)
                rest = line[key.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote

    def _resolve(self, root: _Node, parts: list[str], is_array: bool, number: int) -> Path:
        """The key path of a table header, with the index of the current element of each array
        of tables on the way. One step per part (a trie, not a tuple rebuilt per part): a
        header a thousand parts deep costs a thousand steps, not a million."""
        node, path = root, []
        for i, part in enumerate(parts):
            node = node.child(part)
            path.append(part)
            if is_array and i == len(parts) - 1:
                node.count += 1
                self.lines.setdefault(tuple(path), number)
            if node.count:
                path.append(node.count - 1)
                node = node.child(node.count - 1)
        return tuple(path)

    def find(self, path: Path) -> int | None:
        """The line of ``path``, or of its longest prefix that has one; None if none does."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line:
                return line
        return None
