"""The catalogue: the spec files that ship with the package, found by model name.

The ``specs/`` folder of the source tree is installed as the package data
``registry/specs/*.toml``, so that ``registry count llama-3.1-8b`` works from any
directory. A name is a file's stem (``gpt3``) or the name of one model in a file
(``gpt3-175b``, one of the sizes of ``gpt3.toml``). In a checkout (an editable
install), the catalogue is the ``specs/`` folder itself.

An entry's Hugging Face repo id (``repo``) is the repo of the ``config.json`` its ``source``
cites (``https://huggingface.co/org/name/blob/<revision>/config.json``): the URL is the
record, so that the id and the citation cannot disagree.
"""

from __future__ import annotations

import difflib
import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class Entry:
    """One catalogue file: its ``path``, its ``stem``, the ``names`` of the models it holds,
    its ``family`` (None for a spec composing blocks), its ``source`` line, and ``repo``, the
    Hugging Face repo id of the config.json its source cites (None when it cites none)."""

    path: Path
    stem: str
    names: tuple[str, ...]
    family: str | None
    source: str | None
    repo: str | None = None


#: A cited config.json on the Hub: ``https://huggingface.co/org/name/(blob|resolve|raw)/REV/config.json``.
_CONFIG_URL = re.compile(r"https://huggingface\.co/([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)/(?:blob|resolve|raw)/[^/\s]+/config\.json")


def repo_of(source: str | None) -> str | None:
    """The repo id of the config.json a ``source`` line cites (None when it cites none)."""
    match = _CONFIG_URL.search(source or "")
    return match[1] if match else None


def directory() -> Path | None:
    """The folder the catalogue's spec files are in (None if the package has none)."""
    package = Path(__file__).resolve().parent.parent  # registry/
    installed = package / "specs"
    if any(installed.glob("*.toml")):
        return installed
    checkout = package.parent / "specs"
    if any(checkout.glob("*.toml")):
        return checkout
    return None


@functools.cache
def entries() -> tuple[Entry, ...]:
    """Every catalogue file, sorted by name (files that do not parse are left out)."""
    folder = directory()
    if folder is None:
        return ()
    out = []
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        models = data.get("models")
        if isinstance(models, list) and models:
            names = tuple(str(m.get("name")) for m in models if isinstance(m, dict) and m.get("name"))
        else:
            names = (str(data.get("name") or path.stem),)
        family = data.get("family")
        source = data.get("source")
        source = source if isinstance(source, str) else None
        out.append(Entry(path, path.stem, names, family if isinstance(family, str) else None, source, repo_of(source)))
    return tuple(out)


def looks_like_name(text: str) -> bool:
    """Whether a command-line argument could be a catalogue name rather than a file path."""
    return bool(text) and "/" not in text and "\\" not in text and not text.endswith((".toml", ".json", ".gguf"))


def find(name: str) -> tuple[Path, str | None] | None:
    """The catalogue file for ``name`` and, when ``name`` is one model of a multi-size file,
    that model's name (None: every model of the file). None when the catalogue has no such name."""
    for entry in entries():
        if entry.stem == name:
            return entry.path, None
    for entry in entries():
        if name in entry.names:
            return entry.path, (name if len(entry.names) > 1 else None)
    return None


def suggestions(name: str, n: int = 3) -> list[str]:
    """Catalogue names close to ``name`` (for a 'did you mean' hint)."""
    known = {e.stem for e in entries()} | {m for e in entries() for m in e.names}
    return difflib.get_close_matches(name, sorted(known), n=n, cutoff=0.6)


def describing(repo_id: str) -> Entry | None:
    """The catalogue entry whose cited config.json is in the repo ``repo_id`` (ids compare without case)."""
    wanted = repo_id.lower()
    return next((e for e in entries() if e.repo is not None and e.repo.lower() == wanted), None)


def resembling(repo_id: str, n: int = 3) -> list[str]:
    """Catalogue names whose repo id or name is close to ``repo_id`` (for a repo the Hub does not have)."""
    by_repo = {e.repo.lower(): e.stem for e in entries() if e.repo}
    close = difflib.get_close_matches(repo_id.lower(), sorted(by_repo), n=n, cutoff=0.75)
    names = [by_repo[r] for r in close]
    tail = repo_id.rsplit("/", 1)[-1].lower()
    names += [m for m in suggestions(tail, n) if m not in names]
    return names[:n]


__all__ = ["Entry", "describing", "directory", "entries", "find", "looks_like_name", "repo_of", "resembling",
           "suggestions"]
