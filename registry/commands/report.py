"""``registry report SPEC... -o report.html``: one self-contained HTML page."""

from __future__ import annotations

import argparse
import sys

from registry.commands._selection import add_model_arguments, selected_models

NAME = "report"
HELP = "an HTML page (one file, no network): summary, component chart, memory, FLOPs, collapsible tree, sources"
#: The most models one page holds (docs/quickstart.md states it): each adds a section of tens of kB.
MAX_MODELS = 1000

DESCRIPTION = """Write one self-contained HTML file about the models given: the summary table,
per model its sources (linked), the component breakdown as an inline SVG chart, memory
and FLOPs, and the block tree, collapsible down to the tensors. It opens in any browser
without a server or network. Without -o the page goes to stdout. An existing file is
kept unless --force; nothing is written when a spec fails. One page holds at most
1,000 models."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry report``."""
    add_model_arguments(parser)
    parser.add_argument("-o", "--output", default=None, metavar="FILE.html", help="where to write the page (default: stdout)")
    parser.add_argument("--force", action="store_true", help="overwrite FILE.html if it exists")
    parser.add_argument("--title", default=None, help="the page's title (default: the models' names)")


def run(args: argparse.Namespace) -> int:
    """Render the page; exit 2 (and write nothing) if any input could not be read."""
    from registry.api import html_report
    from registry.output.files import check_output, write_text
    from registry.text import visible

    to_file = args.output is not None and args.output != "-"
    if to_file:
        check_output(args.output, args.force)  # before any work: a folder, a device or an existing file is refused
    models, ok = selected_models(args, "report")
    if not ok or not models:
        return 2
    if len(models) > MAX_MODELS:  # a page of 10^5 models would be hundreds of MB that no browser opens
        raise SystemExit(f"registry report: {len(models):,} models; one page holds at most {MAX_MODELS:,} "
                         "(give fewer spec files, or use count --format json)")
    page = html_report(models, args.title)
    if not to_file:
        sys.stdout.write(page)
        return 0
    write_text(args.output, page, args.force)
    size = len(page.encode("utf-8", "backslashreplace"))
    print(f"wrote {visible(str(args.output), False)} ({len(models)} model{'s' if len(models) != 1 else ''}, {size:,} bytes)", file=sys.stderr)
    return 0
