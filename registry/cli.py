"""The ``registry`` command line: a thin argparse shell over the library.

``main(argv) -> int`` can be called in-process. Bad input (a malformed spec, an
unknown family) is one line on stderr and exit status 2; no traceback reaches the
user.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Callable, Sequence

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
    "registry.commands.latency",
    "registry.commands.plot",
    "registry.commands.inspect",
    "registry.commands.verify",
    "registry.commands.schema",
    "registry.commands.report",
)


#: Each command's name and one-line help, as its module says (tests/test_cold_path.py keeps
#: them equal): ``registry --help`` lists the commands without importing their modules.
#: A command missing here has its module imported.
SUMMARIES: dict[str, tuple[str, str]] = {
    "registry.commands.count": ("count", "count the parameters of the models in spec files, config.json files, GGUF files or model folders"),
    "registry.commands.catalogue": ("list", "the catalogue: the models that ship with registry, usable by name (registry count llama-3.1-8b)"),
    "registry.commands.validate": ("validate", "check that spec files are well formed and consistent"),
    "registry.commands.families": ("families", "list installed architecture families (or one family's hyper-parameters)"),
    "registry.commands.import_hf": ("import-hf", "turn a Hugging Face config.json (a local file) into a spec"),
    "registry.commands.flops": ("flops", "FLOPs per token and per sequence (Chinchilla Appendix F) against 6ND"),
    "registry.commands.chinchilla": ("chinchilla", "Chinchilla planning: 20 tokens per parameter, compute-optimal N and D (or the budget for N), predicted loss"),
    "registry.commands.memory": ("memory", "memory for weights, training state, activations and the KV cache, whole and per GPU"),
    "registry.commands.latency": ("latency", "time to first token and time per output token on a GPU, per tensor-parallel GPU count"),
    "registry.commands.plot": ("plot", "draw the loss landscape with the models on it, or their parameter breakdown (PNG)"),
    "registry.commands.inspect": ("inspect", "count the parameters of a checkpoint (safetensors, quantized, GGUF) from its headers"),
    "registry.commands.verify": ("verify", "check a safetensors checkpoint against a spec, tensor by tensor"),
    "registry.commands.schema": ("schema", "print the JSON Schema of spec files (of one family's specs with FAMILY)"),
    "registry.commands.report": ("report", "an HTML page (one file, no network): summary, component chart, memory, FLOPs, collapsible tree, sources"),
}


#: The most digits an exact figure may print with. Counts have at most
#: :data:`registry.blocks.tree_check.MAX_COUNT_DIGITS` digits and other inputs at most
#: :data:`registry.io.MAX_DIGITS`, so that every derived figure stays well below this;
#: Python's own default (4,300) would be too tight for a FLOP count of such a model.
MAX_PRINTED_DIGITS = 10_000


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, told the terminal's width: argparse would import shutil to
    ask (which imports bz2 and lzma), on every ``add_argument``, for a run that prints no help."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size gives it: ``COLUMNS``, else the size of
    stdout's terminal, else 80 (:func:`registry.output.formats.terminal_columns`)."""
    from registry.output.formats import terminal_columns

    return terminal_columns(sys.__stdout__) or 80


class _Parser(argparse.ArgumentParser):
    """argparse's parser, its usage errors in the one style of every error line:
    ``registry COMMAND: problem`` below the usage (argparse's own adds ``error:``)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str):  # type: ignore[override]
        """Print the usage and ``PROG: message``; exit 2."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {message}\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand (``argv`` None: every one with its options).

    Given ``argv``, start-up time matters: a known command it names is the only subcommand,
    with its options; otherwise (``registry --help``) every command is listed from
    :data:`SUMMARIES`, and no command module is imported until one runs.
    """
    parser = _Parser(
        prog="registry",
        description="Exact parameter counts of neural-network architectures, from TOML specs.",
        epilog="Run 'registry COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"registry {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = None if argv is None else next((a for a in argv if not a.startswith("-")), None)
    known = [d for d in COMMANDS if (SUMMARIES.get(d) or (None,))[0] == wanted] if wanted is not None else []
    for dotted in known or COMMANDS:  # a known command alone: the others' parsers cost start-up time
        name, help_ = SUMMARIES.get(dotted) or (None, None)
        if name is None or (wanted == name or (argv is None and wanted is None)):
            module = importlib.import_module(dotted)
            cmd = sub.add_parser(module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP))
            if wanted is None or wanted == module.NAME:
                module.add_arguments(cmd)
            cmd.set_defaults(run=module.run)
        else:  # listed by its summary; its module is imported only to run it
            sub.add_parser(name, help=help_).set_defaults(run=_run_of(dotted))
    return parser


def _sub_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subcommand parsers of ``parser`` by command name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _more_specs(parser: argparse.ArgumentParser, args: argparse.Namespace, extra: list[str]) -> list[str]:
    """Spec files given after an option that follows the command's other positionals
    (``plot memory --over context SPEC``): argparse leaves them over, as it does not intermix
    positionals and options; they join ``args.specs``. Returns what is still left over."""
    takes_specs = any(a.dest == "specs" and a.nargs in ("*", "+") for a in parser._actions)
    if not takes_specs or not isinstance(getattr(args, "specs", None), list):
        return extra
    specs = [e for e in extra if e == "-" or not e.startswith("-")]
    if len(specs) < len(extra):  # an unknown option among them: its value may look like a spec
        return extra
    args.specs.extend(specs)
    return []


def _run_of(dotted: str) -> Callable[[argparse.Namespace], int]:
    """The ``run`` of command module ``dotted``, imported when called."""

    def run(args: argparse.Namespace) -> int:
        return importlib.import_module(dotted).run(args)

    return run


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    Output that cannot be written ends the run cleanly: a closed pipe (``| head -0``) is
    exit 0 with nothing more said, any other write error (a full disk) one line and exit 2.
    Text the output stream cannot encode (``PYTHONIOENCODING=ascii``, a lone surrogate) is
    written with backslash escapes.
    """
    closed = _stand_in_for_closed_streams()
    _escape_unencodable()
    if hasattr(sys, "set_int_max_str_digits") and 0 < sys.get_int_max_str_digits() < MAX_PRINTED_DIGITS:
        sys.set_int_max_str_digits(MAX_PRINTED_DIGITS)  # a net: our own limits keep every figure shorter
    stdout = sys.stdout
    sys.stdout = _Visible(stdout)  # type: ignore[assignment]
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], _START_UP_GC_THRESHOLD), *thresholds[1:])
    prog = "registry"
    try:
        status, prog = _main(argv)
        status = _flushed(status, prog)
    finally:
        sys.stdout = stdout
        gc.set_threshold(*thresholds)
        for name, original in closed.items():
            setattr(sys, name, original)
    return status


#: While a command runs, the cyclic garbage collector's first threshold (Python's default is
#: 700): start-up creates many objects that live as long as the process (modules, classes,
#: pydantic validators), and collecting them every 700 allocations costs ~8% of a cold count.
#: Garbage is still collected, only less often; the previous thresholds are restored after.
_START_UP_GC_THRESHOLD = 50_000


class _ClosedStream:
    """Stands for a standard stream the process was started without (``>&-``, ``<&-``, where
    Python sets it to None): writing or reading it is an OSError (EBADF), which the command
    line reports in one line, like any other output that cannot be written."""

    def __init__(self, name: str):
        self.name = name

    def _closed(self, *args: object) -> None:
        import errno

        raise OSError(errno.EBADF, f"standard {'input' if self.name == 'stdin' else 'output'} is closed")

    write = read = readline = fileno = _closed

    def flush(self) -> None:
        """Nothing was written: nothing to flush."""

    @property
    def buffer(self) -> _ClosedStream:
        """The byte stream: as closed."""
        return self


def _stand_in_for_closed_streams() -> dict[str, object]:
    """Put a :class:`_ClosedStream` for stdout and stdin where they are closed, and the null device
    for a closed stderr (error lines then go nowhere, not into stdout; the exit status still says).
    Returns what was replaced, to put back."""
    import os

    replaced: dict[str, object] = {}
    for name in ("stdout", "stdin", "stderr"):
        if getattr(sys, name) is None:
            replaced[name] = None
            setattr(sys, name, open(os.devnull, "w") if name == "stderr" else _ClosedStream(name))  # noqa: SIM115
    return replaced


class _Visible:
    """A text stream that escapes what a terminal would act on (escape sequences, bidirectional
    overrides, other control characters) before writing to the stream it wraps.

    Every human-readable format is escaped cell by cell already; this is the net under any
    line a command composes itself. JSON passes unchanged: its own escaping leaves no such
    character in it.
    """

    def __init__(self, stream: object):
        self._stream = stream

    def write(self, text: str) -> int:
        """Write ``text``, escaped."""
        from registry.text import visible

        self._stream.write(visible(text))  # type: ignore[attr-defined]
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


class _HtmlEscaped(_Visible):
    """Markdown output: ``&``, ``<`` and ``>`` written as HTML entities, so that a name, a source
    or a tensor holding ``<img onerror=...>`` shows as text where the Markdown is rendered
    (GitHub, an editor's preview) instead of running as HTML. Rendered, the text reads the same."""

    def write(self, text: str) -> int:
        """Write ``text`` with its HTML special characters escaped."""
        self._stream.write(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))  # type: ignore[attr-defined]
        return len(text)


def _escape_unencodable() -> None:
    """Write what stdout and stderr cannot encode as backslash escapes, never an error."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - a closed or odd stream
                pass


def _flushed(status: int, prog: str) -> int:
    """Flush stdout here, inside ``main``: a failure is reported now, not by Python at exit;
    ``prog`` (``registry count``) starts the line that says so."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return status
    except OSError as exc:
        _silence_stdout()
        print(f"{prog}: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return status


def _silence_stdout() -> None:
    """Point stdout at the null device, so that Python's flush at exit has nothing to fail on."""
    import os

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (tests capture it): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _main(argv: Sequence[str] | None) -> tuple[int, str]:
    """Parse ``argv`` and run its command; the exit status, and the name error lines start
    with (``registry count``, or ``registry`` before a command is known)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    try:
        args, extra = parser.parse_known_args(argv)
        command_parser = _sub_parsers(parser).get(getattr(args, "command", None) or "", parser)
        extra = _more_specs(command_parser, args, extra)
        if extra:  # said by the command's parser, so that the line starts 'registry COMMAND:'
            command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0), "registry"
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2, "registry"
    from registry.commands import error_line, print_error
    from registry.errors import RegistryError

    prog = f"registry {args.command}"
    if getattr(args, "format", None) == "markdown":  # HTML in a name would run where the Markdown is shown
        sys.stdout = _HtmlEscaped(sys.stdout)  # type: ignore[assignment]
    try:
        status = args.run(args)
        if "registry.contracts.guard" in sys.modules:  # plugin code ran: what it printed or warned, one line each
            from registry.commands import warn_plugin_notes

            warn_plugin_notes(args.command)
        return status, prog
    except RegistryError as exc:
        print_error(args.command, exc)
        return 2, prog
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(error_line(exc.code), file=sys.stderr)
            return 2, prog
        return int(exc.code or 0), prog
    except BrokenPipeError:
        _silence_stdout()
        return 0, prog
    except KeyboardInterrupt:
        return 130, prog
    except OSError as exc:
        if not _is_write_error(exc):
            return _internal_error(exc, prog), prog
        _silence_stdout()
        print(f"{prog}: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return 2, prog
    except Exception as exc:  # the last line of defence: one line, never a traceback
        return _internal_error(exc, prog), prog


def _internal_error(exc: BaseException, prog: str) -> int:
    """One line for a bug of ours (exit 1)."""
    from registry.commands import error_line

    print(f"{prog}: internal error: {error_line(f'{type(exc).__name__}: {exc}')} (please report this)", file=sys.stderr)
    return 1


def _is_write_error(exc: OSError) -> bool:
    """Whether ``exc`` is a failure to write the output (a full disk, a quota, an I/O error)."""
    import errno

    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EPIPE, errno.EFBIG, errno.EBADF)
