"""``registry count SPEC...``: parameter counts, breakdowns and a torchinfo-like tree."""

from __future__ import annotations

import argparse

from registry.commands import add_format_option, add_specs_argument, load_models

NAME = "count"
HELP = "count the parameters of the models in spec files"
DESCRIPTION = """Count parameters exactly: total (tied weights once), active per token (MoE),
non-embedding (Kaplan et al.'s N), with tied weights counted per use, a breakdown by
component, by module kind and by layer, and the difference from the published figure."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry count``."""
    add_specs_argument(parser)
    add_format_option(parser)
    parser.add_argument(
        "-d", "--depth", default=None, metavar="N",
        help="also print a tree of blocks N levels deep (tensors and their shapes at the bottom)",
    )  # fmt: skip
    parser.add_argument(
        "--details", action="store_true",
        help="print the detailed view of every model, even when the files hold several",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Count every model of every spec; exit 2 if any spec could not be read."""
    from registry import render
    from registry.report import count, tree

    if args.depth is not None:  # checked here, not by argparse, which would print the usage too
        from registry.commands._options import positive_int

        args.depth = positive_int("count", "--depth", args.depth)
    if args.depth is not None and args.format == "csv":
        raise SystemExit("registry count: error: --depth has no CSV form; use --format table, markdown or json")
    models, ok = load_models(args.specs, getattr(args, "strict", False))
    reports = [count(m) for m in models]
    trees = [tree(m, args.depth) for m in models] if args.depth else None
    if args.format == "json":
        print(render.reports_json(reports, trees))
    elif args.format == "csv":
        if reports:
            print(render.rows_text(render.component_columns(reports), "csv"))
    else:
        blocks = []
        if len(reports) > 1:
            blocks.append(render.rows_text(render.summary_rows(reports, display=True), args.format))
        if len(reports) == 1 or args.details:
            blocks.extend(render.report_text(r, args.format) for r in reports)
        if trees:
            blocks.extend(f"{m.name}\n{render.tree_text(t, args.format)}" for m, t in zip(models, trees))
        if blocks:
            print("\n\n".join(blocks))
    return 0 if ok else 2
