"""``registry validate SPEC...``: check spec files without counting."""

from __future__ import annotations

import argparse

from registry.commands import add_specs_argument, print_error, warn, warn_plugin_errors

NAME = "validate"
HELP = "check that spec files are well formed and consistent"
DESCRIPTION = "Read and validate spec files; print one line per file, and exit 2 if any is invalid."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry validate``."""
    add_specs_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Validate each file; one line per file on stdout (ok) or stderr (the problem)."""
    from registry.errors import RegistryError
    from registry.sources.loading import load

    warn_plugin_errors(NAME)
    ok = True
    for path in args.specs:
        try:
            models = load(path, strict=args.strict, part=args.part)
        except RegistryError as exc:
            print_error(NAME, exc)
            ok = False
            continue
        for line in (w for m in models for w in m.warnings):
            warn(NAME, line)
        names = ", ".join(m.name for m in models)
        print(f"ok: {path}: {len(models)} model{'s' if len(models) != 1 else ''} ({names})")
    return 0 if ok else 2
