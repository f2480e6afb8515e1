"""Rewrite tests/golden.json, the digest of every command's output on every shipped spec.

    python tests/update_golden.py

tests/test_golden.py runs ``count`` (table, ``--format json|markdown|csv``, ``--depth 4``,
``--details``), ``memory``, ``flops``, ``chinchilla`` (table and JSON) and ``report`` on
every spec of ``specs/``, in-process, at ``COLUMNS=80``, and compares a SHA-256 of what
each printed (stdout, stderr and the exit status) with this file. Run this script only
after a deliberate change of a command's output (or a new spec), and say in the commit
what changed and why; a digest that changes by accident is what the test is there to catch.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden.json"

#: The command lines run on every spec (the spec's path is appended).
COMMANDS = (
    "count", "count --format json", "count --format markdown", "count --format csv", "count --depth 4",
    "count --details", "memory", "memory --format json", "flops", "flops --format json", "chinchilla",
    "chinchilla --format json", "report",
)  # fmt: skip


def run(argv: list[str]) -> str:
    """What ``registry ARGV`` prints, in-process from the repository's root at COLUMNS=80:
    stdout, then stderr, then the exit status."""
    from registry.cli import main

    out, err = io.StringIO(), io.StringIO()
    here, columns = os.getcwd(), os.environ.get("COLUMNS")
    os.chdir(ROOT)
    os.environ["COLUMNS"] = "80"
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code
    finally:
        os.chdir(here)
        if columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns
    return f"{out.getvalue()}\n--- stderr\n{err.getvalue()}\n--- exit {code}\n"


def outputs() -> Iterator[tuple[str, str]]:
    """(``SPEC: COMMAND``, its output) for every shipped spec and every command of :data:`COMMANDS`."""
    for spec in sorted((ROOT / "specs").glob("*.toml")):
        for command in COMMANDS:
            yield f"{spec.stem}: {command}", run([*command.split(), f"specs/{spec.name}"])


def digest(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def main() -> None:
    """Write tests/golden.json from the outputs as they are now."""
    golden = {key: digest(text) for key, text in outputs()}
    GOLDEN.write_text(json.dumps(golden, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN.relative_to(ROOT)} ({len(golden)} outputs)")


if __name__ == "__main__":
    main()
