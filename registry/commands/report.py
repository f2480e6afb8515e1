"""``registry report SPEC... -o report.html``: one self-contained HTML page."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from registry.commands._selection import add_model_arguments, selected_models

NAME = "report"
HELP = "an HTML page (one file, no network): summary, component chart, memory, FLOPs, collapsible tree, sources"
DESCRIPTION = """Write one self-contained HTML file about the models given: the summary table,
per model its sources (linked), the component breakdown as an inline SVG chart, memory
and FLOPs, and the block tree, collapsible down to the tensors. It opens in any browser
without a server or network. Without -o the page goes to stdout. An existing file is
kept unless --force; nothing is written when a spec fails."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry report``."""
    add_model_arguments(parser)
    parser.add_argument("-o", "--output", default=None, metavar="FILE.html", help="where to write the page (default: stdout)")
    parser.add_argument("--force", action="store_true", help="overwrite FILE.html if it exists")
    parser.add_argument("--title", default=None, help="the page's title (default: the models' names)")


def run(args: argparse.Namespace) -> int:
    """Render the page; exit 2 (and write nothing) if any input could not be read."""
    from registry.api import html_report

    models, ok = selected_models(args, "report")
    if not ok or not models:
        return 2
    page = html_report(models, args.title)
    if args.output is None or args.output == "-":
        sys.stdout.write(page)
        return 0
    target = Path(args.output)
    if target.exists() and not args.force:
        raise SystemExit(f"registry report: {target}: exists; use --force to overwrite it")
    try:
        write_atomically(target, page)
    except OSError as exc:
        raise SystemExit(f"registry report: {target}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {target} ({len(models)} model{'s' if len(models) != 1 else ''}, {len(page.encode()):,} bytes)", file=sys.stderr)
    return 0


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``target``, then rename it: a failure leaves nothing."""
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a page is an ordinary file
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
