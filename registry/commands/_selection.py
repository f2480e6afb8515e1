"""Which models a command works on: spec files, catalogue names, ``-`` (stdin), and
``--family NAME --set key=value`` (see :mod:`registry.sources.overrides`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry.errors import RegistryError
    from registry.model import Model


def add_model_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """SPEC... (optional when ``--family`` is given), ``--family``, ``--set`` and ``--strict``."""
    from registry.commands import SPEC_HELP, add_strict_option

    parser.add_argument(
        "specs", nargs="*", metavar="SPEC",
        help=SPEC_HELP,
    )  # fmt: skip
    parser.add_argument(
        "--family", default=None, metavar="NAME",
        help="build a model of this family from --set values alone (registry families lists them)",
    )  # fmt: skip
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
        help="a hyper-parameter, over --family or over every spec given (e.g. --set n_layers=40); on a config.json "
             "also a field of the config, applied before it is mapped (e.g. --set num_hidden_layers=48); repeatable",
    )  # fmt: skip
    parser.set_defaults(specs_required=required)
    add_strict_option(parser)


def selected_models(
    args: argparse.Namespace, command: str, unmapped: Callable[[str, RegistryError], bool] | None = None
) -> tuple[list[Model], bool]:
    """The models ``args`` name, with ``--set`` applied; one line per problem on stderr.

    Returns the models and whether every input loaded. Raises SystemExit (one line) when
    neither a spec nor ``--family`` is given. ``unmapped``: see :func:`registry.commands.load_models`.
    """
    from registry.commands import error_line, load_models

    if not args.specs and not args.family:
        raise SystemExit(f"registry {command}: give spec file(s) or catalogue name(s), or --family NAME with --set")
    if not args.family and not args.assignments:  # spec files alone: no overrides (start-up time)
        return load_models(args.specs, command, getattr(args, "strict", False), unmapped, getattr(args, "part", None))
    from registry.errors import RegistryError
    from registry.sources.overrides import OverrideErrors, apply, from_family, parse_assignments

    ok = True
    try:
        assignments = parse_assignments(args.assignments)
    except OverrideErrors as exc:
        _report(command, exc)
        return [], False
    models: list[Model] = []
    if args.family:
        try:
            models.append(from_family(args.family, assignments))
        except OverrideErrors as exc:
            _report(command, exc)
            ok = False
        except RegistryError as exc:
            print(f"registry {command}: --family {error_line(exc)}", file=sys.stderr)
            ok = False
    if args.specs:
        loaded, loaded_ok = load_models(args.specs, command, getattr(args, "strict", False), unmapped)
        ok = ok and loaded_ok
        for model in loaded:
            try:
                models.append(apply(model, assignments))
            except OverrideErrors as exc:
                _report(command, exc)
                ok = False
                break  # the same problem for every size
    return _parts(models, args, command, ok)


def _parts(models: list[Model], args: argparse.Namespace, command: str, ok: bool) -> tuple[list[Model], bool]:
    """``--part`` of each model, once ``--set`` is applied (a model without that part: one line)."""
    if getattr(args, "part", None) is None:
        return models, ok
    from registry.errors import RegistryError
    from registry.model import select_part

    kept: list[Model] = []
    for model in models:
        try:
            kept.append(select_part(model, args.part))
        except RegistryError as exc:
            _report(command, exc)
            ok = False
    return kept, ok


def _report(command: str, exc: object) -> None:
    from registry.commands import print_error

    for error in getattr(exc, "errors", [exc]):
        print_error(command, error)
