"""Output files (``report -o``, ``import-hf -o``, ``plot -o``), written whole or not at all.

One writer for every command: :func:`check_output` refuses a name before any work is done,
:func:`write_output` fills a temporary file beside the target and renames it into place.

- Only a regular file or a new name is a target: a directory, a FIFO, a device or a socket
  is refused, with or without ``force``.
- Without ``force`` the target is created exclusively (a hard link, or an ``O_EXCL``
  placeholder where the file system has no links): of several runs writing one new name at
  once, exactly one succeeds and the others are refused.
- The temporary file has a short name of its own (``.registry-XXXXXXXX.tmp``), so any
  name the file system accepts can be written, and it is removed on every failure and on
  every signal that would end the process (SIGTERM, SIGINT, SIGHUP, ...), which is then
  re-raised so the exit status stays the signal's.
"""

from __future__ import annotations

import os
import secrets
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from registry.errors import SpecError

#: The signals whose default action ends the process: each removes the temporary file first.
#: (SIGKILL and SIGSTOP cannot be caught.)
CLEANUP_SIGNALS: tuple[str, ...] = (
    "SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGPIPE",
    "SIGVTALRM", "SIGPROF", "SIGXCPU", "SIGXFSZ", "SIGIO", "SIGPWR", "SIGTRAP", "SIGSYS",
)  # fmt: skip
#: How many random names are tried for the temporary file before giving up.
_ATTEMPTS = 100
#: An output's suffix (``.png``) is kept on its temporary file when at most this long.
_MAX_SUFFIX = 8


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    for test, kind in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return kind
    return "a special file"


def _problem(exc: BaseException) -> str:
    """An OSError's (or an encoding error's) reason in a few words."""
    if isinstance(exc, UnicodeError):
        return "the name cannot be encoded for the file system"
    return getattr(exc, "strerror", None) or str(exc)


def check_output(path: object, force: bool) -> None:
    """Refuse ``path`` as an output file before any work is done: a directory, anything that
    is not a regular file (with or without ``force``), or (without ``force``) a file that
    exists. Raises SpecError."""
    output = Path(str(path))
    try:
        info = os.stat(output)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        raise SpecError(str(output), "", f"cannot write: {_problem(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise SpecError(str(output), "", "is a directory; give a file name")
    if not stat.S_ISREG(info.st_mode):
        raise SpecError(str(output), "", f"is {_kind(info.st_mode)}, not a regular file; give a file name")
    if not force:
        raise SpecError(str(output), "", "already exists; use --force to overwrite it")


def write_output(path: object, write: Callable[[Path], None], force: bool) -> None:
    """Write an output file whole or not at all: ``write(temporary path)`` fills a temporary
    file in the same folder, which then becomes ``path``. A failure (a full disk, an
    exception while writing, text that cannot be encoded, a signal) leaves nothing behind.
    Without ``force`` a file that exists is refused, even one created meanwhile by another
    run. Raises SpecError."""
    output = Path(str(path))
    check_output(output, force)
    with _removed_on_signal() as pending:
        temporary = _create_temporary(output, pending)
        try:
            write(temporary)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(temporary, 0o666 & ~mask)  # private while written; an output file is an ordinary file
            _place(temporary, output, force)
        except (OSError, ValueError) as exc:
            if isinstance(exc, SpecError):
                raise
            raise SpecError(str(output), "", f"cannot write: {_problem(exc)}") from None
        finally:
            _remove(temporary)
            pending.discard(temporary)


def write_text(path: object, text: str, force: bool) -> None:
    """:func:`write_output` of ``text`` in UTF-8; what UTF-8 cannot encode (a lone surrogate)
    is written as a backslash escape, as on stdout."""
    write_output(path, lambda temporary: temporary.write_text(text, encoding="utf-8", errors="backslashreplace"), force)


def _create_temporary(output: Path, pending: set[Path]) -> Path:
    """Create an empty private file with a fresh short name beside ``output``; its name is
    recorded in ``pending`` before it exists, so that a signal at any moment removes it."""
    folder = output.parent
    suffix = output.suffix if len(output.suffix) <= _MAX_SUFFIX else ""
    for _ in range(_ATTEMPTS):
        temporary = folder / f".registry-{secrets.token_hex(4)}.tmp{suffix}"
        pending.add(temporary)
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return temporary
        except FileExistsError:
            pending.discard(temporary)
        except (OSError, ValueError) as exc:
            pending.discard(temporary)
            raise SpecError(str(output), "", f"cannot write: {_problem(exc)}") from None
    raise SpecError(str(output), "", "cannot write: no free temporary name in its folder")  # pragma: no cover


def _place(temporary: Path, output: Path, force: bool) -> None:
    """Give the written ``temporary`` its final name ``output``; without ``force`` only if no
    file has that name (atomically: a hard link fails if the name exists)."""
    if force:
        check_output(output, force)  # still a regular file or nothing (it may have changed meanwhile)
        os.replace(temporary, output)
        return
    exists = SpecError(str(output), "", "already exists; use --force to overwrite it")
    try:
        os.link(temporary, output)
        return
    except FileExistsError:
        raise exists from None
    except OSError:  # a file system without hard links: claim the name exclusively, then fill it
        pass
    try:
        os.close(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise exists from None
    os.replace(temporary, output)


def _remove(path: Path) -> None:
    """Remove ``path`` if it exists."""
    try:
        os.unlink(path)
    except (FileNotFoundError, ValueError):
        pass


@contextmanager
def _removed_on_signal() -> Iterator[set[Path]]:
    """A set of paths that a terminating signal removes before it ends the process.

    Handlers are installed only in the main thread (Python allows no other); the previous
    ones are restored on exit. After removing the files the signal is delivered again with
    its default disposition, so the process ends as it would have; a signal with a Python
    handler (SIGINT's KeyboardInterrupt) goes to that handler, and the writer's own cleanup
    removes the file."""
    pending: set[Path] = set()
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return
    previous: dict[int, object] = {}

    def handler(number: int, frame: object) -> None:
        old = previous.get(number)
        if callable(old):  # Python's own (SIGINT raises KeyboardInterrupt): the writer's cleanup runs
            old(number, frame)
            return
        for path in list(pending):
            _remove(path)
        pending.clear()
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)

    for name in CLEANUP_SIGNALS:
        number = getattr(signal, name, None)
        if number is None:
            continue
        try:
            old = signal.getsignal(number)
            if old == signal.SIG_IGN:
                continue  # ignored before (nohup): stays ignored
            signal.signal(number, handler)
            previous[number] = old
        except (OSError, ValueError, RuntimeError):
            continue
    try:
        yield pending
    finally:
        for number, old in previous.items():
            try:
                signal.signal(number, old if old is not None else signal.SIG_DFL)  # type: ignore[arg-type]
            except (OSError, ValueError, RuntimeError):
                pass
