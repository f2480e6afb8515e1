"""Subcommands of the ``registry`` command line, one module each.

Each module has ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
This package also holds what they share: the ``--format`` option, loading many
spec files with one error line per bad file, and plugin warnings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry.errors import RegistryError
    from registry.model import Model

#: Output formats every command accepts.
FORMATS = ("table", "json", "markdown", "csv")
#: The longest error line printed; a longer one is cut in the middle.
MAX_ERROR_LINE = 1000


def error_line(error: object) -> str:
    """An error message as one line: control characters (a newline in a quoted key, say)
    escaped as Python escapes them, and at most :data:`MAX_ERROR_LINE` characters besides
    the file name it starts with (a SpecError's ``path``, kept whole). Several errors of
    one file (:class:`~registry.errors.SpecErrors`) give one such line each."""
    several = getattr(error, "errors", None)
    if isinstance(several, list) and len(several) > 1:
        return "\n".join(error_line(e) for e in several)
    text = str(error)
    path = getattr(error, "path", "")
    path = path if isinstance(path, str) and text.startswith(path) else ""
    rest = text[len(path) :]
    if len(rest) > MAX_ERROR_LINE:
        rest = f"{rest[: MAX_ERROR_LINE - 45]} ... {rest[-40:]}"
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in path + rest)


def scientific(value: float, digits: int = 2) -> str:
    """``value`` as ``1.23e+45``, like ``f"{value:.2e}"``, also for an int too large for a float."""
    try:
        return f"{value:.{digits}e}"
    except OverflowError:
        from decimal import Decimal

        return f"{Decimal(value):.{digits}e}"


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """The shared ``--format`` option."""
    parser.add_argument(
        "-f", "--format", choices=FORMATS, default="table",
        help="output format (default: table); json for scripts",
    )  # fmt: skip


#: What SPEC may be, wherever a command takes it.
SPEC_HELP = (
    "spec file (.toml), Hugging Face config.json, GGUF file, model folder (also a Hugging Face cache folder, "
    "models--org--name), a catalogue name (registry list), a Hugging Face repo id (org/name[@revision][:file.gguf], "
    "read through the Hub when no such path exists), or - for stdin"
)


def add_specs_argument(parser: argparse.ArgumentParser) -> None:
    """The shared positional list of spec files, and ``--strict`` for config.json files."""
    parser.add_argument("specs", nargs="+", metavar="SPEC", help=SPEC_HELP)
    add_strict_option(parser)


def add_strict_option(parser: argparse.ArgumentParser) -> None:
    """The shared ``--strict`` option, and ``--part`` (one part of a composite model)."""
    parser.add_argument(
        "--strict", action="store_true",
        help="refuse a config.json field that transformers does not know for its model_type (default: warn and ignore it)",
    )  # fmt: skip
    parser.add_argument(
        "--part", default=None, metavar="PART",
        help="one part of a composite model alone: text (its language model), vision, audio or projector "
             "(a vision-language model's parts are listed by count)",
    )  # fmt: skip


def print_error(command: str, error: object) -> None:
    """Print ``error`` on stderr as ``registry COMMAND: file:line: field: problem``, one such
    line per problem (a :class:`~registry.errors.SpecErrors` has several)."""
    for line in error_line(error).split("\n"):
        print(f"registry {command}: {line}", file=sys.stderr)


def warn_plugin_errors(command: str) -> None:
    """Print one line per plugin that failed to load or register (the tool goes on)."""
    from registry.plugin_manager import plugin_errors

    for error in plugin_errors():
        warn(command, error)
    warn_plugin_notes(command)


def warn_plugin_notes(command: str) -> None:
    """Print one line per thing plugin code printed or warned while it ran (:mod:`registry.contracts.guard`)."""
    from registry.contracts.guard import take_notes

    for note in take_notes():
        warn(command, note)


def warn(command: str, message: object) -> None:
    """One warning line on stderr: ``registry COMMAND: warning: ...``."""
    print(f"registry {command}: warning: {error_line(message)}", file=sys.stderr)


def load_models(
    paths: Sequence[str], command: str, strict: bool = False, unmapped: Callable[[str, RegistryError], bool] | None = None,
    part: str | None = None,
) -> tuple[list[Model], bool]:
    """Load every file; print one line per bad one and one per warning, each starting
    ``registry COMMAND:``. Returns the models and whether all loaded; ``part``: one part of each
    (:func:`registry.load`). ``unmapped(path)``, when
    given, is asked about an input (and its error) whose model type no plugin maps: True when it took the input
    over (``count`` counts its checkpoint's headers), and no error is printed."""
    from registry.errors import RegistryError, UnmappedModelTypeError
    from registry.sources.loading import load

    warn_plugin_errors(command)
    models: list[Model] = []
    ok = True
    for path in paths:
        try:
            loaded = load(path, strict=strict, part=part)
        except RegistryError as exc:
            if unmapped is not None and isinstance(exc, UnmappedModelTypeError) and unmapped(path, exc):
                continue
            print_error(command, exc)
            ok = False
            continue
        finally:
            warn_plugin_notes(command)
        for model in loaded:
            for line in model.warnings:
                warn(command, line)
        models.extend(loaded)
    return models, ok
