"""The ``registry`` command line: a thin argparse shell over the library.

``main(argv) -> int`` can be called in-process. Bad input (a malformed spec, an
unknown family) is one line on stderr and exit status 2; no traceback reaches the
user.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from registry import __version__

#: Subcommand modules, in the order ``registry --help`` lists them.
COMMANDS: tuple[str, ...] = (
    "registry.commands.count",
    "registry.commands.catalogue",
    "registry.commands.validate",
    "registry.commands.families",
    "registry.commands.import_hf",
    "registry.commands.flops",
    "registry.commands.chinchilla",
    "registry.commands.memory",
    "registry.commands.plot",
    "registry.commands.inspect",
    "registry.commands.verify",
    "registry.commands.schema",
    "registry.commands.report",
)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand.

    Given ``argv``, only the subcommand it names gets its full arguments (the others are
    listed with their one-line help): building every command's options would import
    what each needs, and start-up time matters.
    """
    parser = argparse.ArgumentParser(
        prog="registry",
        description="Exact parameter counts of neural-network architectures, from TOML specs.",
        epilog="Run 'registry COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"registry {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = None if argv is None else next((a for a in argv if not a.startswith("-")), None)
    for dotted in COMMANDS:
        module = importlib.import_module(dotted)
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP))
        if wanted is None or wanted == module.NAME:
            module.add_arguments(cmd)
        cmd.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    from registry.commands import error_line
    from registry.errors import RegistryError

    try:
        return args.run(args)
    except RegistryError as exc:
        print(f"registry: error: {error_line(exc)}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(error_line(exc.code), file=sys.stderr)
            return 2
        return int(exc.code or 0)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one line, never a traceback
        print(f"registry: internal error: {error_line(f'{type(exc).__name__}: {exc}')} (please report this)", file=sys.stderr)
        return 1
