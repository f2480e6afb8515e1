"""Rewrite the outputs shown in docs/ after a deliberate change of the tool's output.

    python tests/update_docs.py [PAGE.md ...]

Runs (on the pages given, or on every page of docs/ and the README) every ``$ registry ...`` command of a ```console block (in the repository root) and
every ``<!-- $ registry ... -->`` example (in a scratch folder, as tests/test_flops.py
does), and writes what they print back into the page. Blocks that show commands
without output are left alone. Review the diff before committing: the doc tests
(tests/test_docs.py, tests/test_flops.py) exist to catch unintended changes.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import tempfile
from pathlib import Path

from registry.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(command: str, cwd: Path) -> str:
    words = shlex.split(command.split(" #")[0])
    args = [w for arg in words[1:] for w in (sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(arg)) if "*" in arg else [arg])]
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(args)
    finally:
        os.chdir(here)
    return out.getvalue(), err.getvalue()


def console_block(match: re.Match) -> str:
    lines = match.group(1).splitlines()
    if not any(line and not line.startswith("$ ") for line in lines):
        return match.group(0)  # commands only: nothing to update
    new: list[str] = []
    for line in lines:
        if line.startswith("$ "):
            out, err = run(line[2:], ROOT)
            new.append(line)
            new.extend((out + err).rstrip("\n").splitlines())
    return "```console\n" + "\n".join(line.rstrip() for line in new) + "\n```"


def rendered_block(match: re.Match, scratch: Path) -> str:
    out, _ = run(match.group(1), scratch)
    return f"<!-- $ {match.group(1)} -->\n{out.rstrip(chr(10))}\n<!-- /output -->"


def main_update(pages: list[str] | None = None) -> None:
    """Rewrite the outputs shown in the given pages (default: every page of docs/ and the README)."""
    docs = [Path(p).resolve() for p in pages] if pages else sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        (scratch / "specs").symlink_to(ROOT / "specs")
        for doc in docs:
            text = doc.read_text(encoding="utf-8")
            new = re.sub(r"```console\n(.*?)```", console_block, text, flags=re.S)
            new = re.sub(r"<!-- \$ (registry [^\n]*?) -->\n(.*?)<!-- /output -->",
                         lambda m: rendered_block(m, scratch), new, flags=re.S)  # fmt: skip
            if new != text:
                doc.write_text(new, encoding="utf-8")
                print(f"updated {doc.relative_to(ROOT)}")


if __name__ == "__main__":
    import sys

    main_update(sys.argv[1:])
