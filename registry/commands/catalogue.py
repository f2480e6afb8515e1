"""``registry list``: the catalogue of specs that ships with the package."""

from __future__ import annotations

import argparse

from registry.commands import add_format_option

NAME = "list"
HELP = "the catalogue: the models that ship with registry, usable by name (registry count llama-3.1-8b)"
DESCRIPTION = """List the catalogue: the spec files installed with the package, the models each
holds (a multi-size spec holds several, each usable by its own name), the family, the
Hugging Face repo id (the repo of the config.json the source cites; json and csv) and the
source. Any command that takes SPEC takes these names too, from any directory."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry list``."""
    parser.add_argument("match", nargs="?", default=None, metavar="TEXT", help="only names containing TEXT")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Print the catalogue (one row per file; JSON: every model name and the file's path)."""
    from registry.sources import catalogue
    from registry.output import render

    entries = [e for e in catalogue.entries()
               if args.match is None or any(args.match.lower() in n.lower() for n in (e.stem, *e.names))]  # fmt: skip
    if args.format in ("json", "csv"):
        rows = [{"name": e.stem, "models": list(e.names) if args.format == "json" else " ".join(e.names),
                 "family": e.family or "", "repo": e.repo or "", "source": e.source or "", "path": str(e.path)}
                for e in entries]  # fmt: skip
        if rows or args.format == "json":
            print(render.rows_text(rows, args.format))
        return 0
    if not entries:
        print(f"no catalogue name contains {args.match!r}" if args.match else "the catalogue is empty")
        return 0
    rows = [{"name": e.stem, "family": e.family or "(blocks)", "models": _models(e)} for e in entries]
    print(render.rows_text(rows, args.format))
    print(f"\n{sum(len(e.names) for e in entries)} models in {len(entries)} files; each name works as SPEC,\n"
          f"e.g. registry count {entries[0].stem}")  # fmt: skip
    return 0


#: The widest the models column gets, so that the table fits 80 columns beside the longest catalogue names.
MODELS_WIDTH = 30


def _models(entry) -> str:
    """The models of a file, shortened to fit a line: the name alone, or 'a, b, ... (n)'."""
    if entry.names == (entry.stem,):
        return ""
    if len(entry.names) <= 3 and len(", ".join(entry.names)) <= MODELS_WIDTH:
        return ", ".join(entry.names)
    text = f"{entry.names[0]} ... {entry.names[-1]} ({len(entry.names)})"
    return text if len(text) <= MODELS_WIDTH else f"{entry.names[0]} and {len(entry.names) - 1} more"
