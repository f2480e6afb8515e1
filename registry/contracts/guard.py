"""Running plugin code: captured, timed, and every failure one line naming the plugin.

Every call the core makes into a plugin (a hook, a family's ``build`` and ``checkpoint_only``,
a model type's mapping and its rules, a GGUF architecture's ``config`` and ``tensor_name``)
goes through :func:`guarded`:

* what it prints is kept from the command's output, at both levels: ``sys.stdout`` and file
  descriptor 1 (``os.write(1, ...)``, a C extension's ``printf``); ``--format json`` stays
  valid. It is reported in one line (:func:`take_notes`);
* each warning it issues becomes one line naming the plugin, never Python's multi-line form;
* it runs for at most :func:`time_limit` seconds (``REGISTRY_PLUGIN_TIMEOUT``, default 60;
  0 for none) where a timer can interrupt it (the main thread): a plugin that sleeps or
  loops forever is stopped, and stopped again if it catches the first interruption;
* any exception it raises, ``SystemExit`` and ``KeyboardInterrupt`` included, becomes a
  :class:`~registry.errors.PluginError` naming the plugin (a :class:`~registry.errors.RegistryError`,
  a refusal naming a field, passes through unchanged).

A guarded call inside another (a mapping rule that builds a family) runs under the outer one.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from registry.errors import PluginError, RegistryError

__all__ = ["DEFAULT_TIME_LIMIT", "call", "guarded", "take_notes", "time_limit"]

#: Seconds a plugin call may take when ``REGISTRY_PLUGIN_TIMEOUT`` is not set (a family's
#: build takes milliseconds; a mapping, microseconds).
DEFAULT_TIME_LIMIT = 60.0
#: After the time limit, the interruption is raised again this often until the call ends ...
_AGAIN = 0.05
#: ... at most this many times: a plugin that swallows every one ends the process (exit 2).
_MAX_AGAIN = 40

R = TypeVar("R")

_notes: list[PluginError] = []
_state = threading.local()
_sink: int | None = None  # one unlinked temporary file that file descriptor 1 points to during a call


class _TimedOut(BaseException):
    """Raised in plugin code by the timer (a BaseException: ``except Exception`` does not swallow it)."""


def time_limit() -> float:
    """The time limit of one plugin call, in seconds (0: none), from ``REGISTRY_PLUGIN_TIMEOUT``."""
    text = os.environ.get("REGISTRY_PLUGIN_TIMEOUT", "")
    try:
        value = float(text) if text.strip() else DEFAULT_TIME_LIMIT
    except ValueError:
        return DEFAULT_TIME_LIMIT
    return value if 0 <= value <= 86_400 else DEFAULT_TIME_LIMIT


def take_notes() -> list[PluginError]:
    """The lines plugin calls left since the last call (what they printed, their warnings), once."""
    notes = list(_notes)
    _notes.clear()
    return notes


def call(plugin: str, what: str, function: Callable[..., R], *args: Any) -> R:
    """``function(*args)`` run as :func:`guarded` runs plugin code (``what``: the words naming the call)."""
    with guarded(plugin, what):
        return function(*args)


@contextlib.contextmanager
def guarded(plugin: str, what: str, notes: list[PluginError] | None = None) -> Iterator[None]:
    """Run the block as plugin code of ``plugin`` (module docstring); ``notes`` receives the
    lines about what it printed and warned (default: :func:`take_notes`'s list)."""
    if getattr(_state, "inside", False):
        yield  # the outer guarded call captures, times and names
        return
    notes = _notes if notes is None else notes
    _state.inside, _state.plugin, _state.what = True, plugin, what
    captured = io.StringIO()
    limit = time_limit()
    prefix = f"{what} " if what else ""
    try:
        with warnings.catch_warnings(record=True) as caught, _fd1_captured() as on_fd1, _timer(limit):
            warnings.simplefilter("always")
            try:
                with contextlib.redirect_stdout(captured):
                    yield
            except _TimedOut:
                raise PluginError(plugin, f"{prefix}did not finish within {limit:g} s and was stopped "
                                          "(REGISTRY_PLUGIN_TIMEOUT sets the limit)") from None  # fmt: skip
            except RegistryError:
                raise
            except BaseException as exc:  # noqa: BLE001 - a plugin's sys.exit() must not end the tool
                raise PluginError(plugin, f"{prefix}raised {type(exc).__name__}: {_one_line(exc)}") from None
            finally:
                for warning in caught:
                    said = f"{warning.category.__name__}: {_one_line(warning.message)}"
                    notes.append(PluginError(plugin, f"{what}: {said}" if what else said))
        printed = captured.getvalue()
        size = len(printed) + on_fd1[1]
        if size:
            shown = (printed + on_fd1[0])[:80]
            notes.append(PluginError(plugin, f"{prefix}printed {size:,} characters on stdout (not shown): {shown!r}"))
    finally:
        _state.inside = False


def _program() -> str:
    """``registry COMMAND``, as the command line's error lines start."""
    words = [a for a in sys.argv[1:] if not a.startswith("-")][:1]
    return " ".join(["registry", *words])


def _one_line(value: object) -> str:
    """``value`` as text on one line, at most 300 characters (a message a plugin chose)."""
    text = str(value)
    if any(c in text for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 300 else text[:297] + "..."


@contextlib.contextmanager
def _timer(limit: float) -> Iterator[None]:
    """Raise :class:`_TimedOut` in the block after ``limit`` seconds, and again every
    :data:`_AGAIN` seconds until it ends (main thread only: signals are delivered there)."""
    if not limit or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    fired = [0]

    def on_alarm(signum: int, frame: object) -> None:
        fired[0] += 1
        if fired[0] > _MAX_AGAIN:  # every interruption swallowed: no way back into the tool
            os.write(2, f"{_program()}: plugin {_state.plugin}: {_state.what or 'its code'} did not stop within "
                        f"{limit:g} s, nor when interrupted {_MAX_AGAIN} times; ended\n".encode("utf-8", "backslashreplace"))
            os._exit(2)
        signal.setitimer(signal.ITIMER_REAL, _AGAIN)
        raise _TimedOut

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _fd1_captured() -> Iterator[list[Any]]:
    """Point file descriptor 1 at a temporary file during the block; yields ``[text, size]``
    of what was written there (the first 4 kB as text), filled when the block ends."""
    global _sink
    found: list[Any] = ["", 0]
    try:
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError):
        pass
    try:
        saved = os.dup(1)
    except OSError:  # stdout closed: nothing to protect
        yield found
        return
    try:
        if _sink is None:
            with tempfile.TemporaryFile() as f:  # unlinked at once; the duplicate keeps it open
                _sink = os.dup(f.fileno())
        os.ftruncate(_sink, 0)
        os.lseek(_sink, 0, os.SEEK_SET)
        os.dup2(_sink, 1)
    except OSError:
        os.close(saved)
        yield found
        return
    try:
        yield found
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        size = os.lseek(_sink, 0, os.SEEK_CUR)
        if size:
            os.lseek(_sink, 0, os.SEEK_SET)
            found[0] = os.read(_sink, min(size, 4096)).decode("utf-8", "replace")
            found[1] = size


#: One module's functions and classes as imported: name -> (the object, a function's code).
Snapshot = dict[str, tuple[Any, Any]]


def snapshot(modules: dict[str, Any]) -> dict[str, Snapshot]:
    """The functions and classes each module (by dotted name) defines, with each function's code:
    what a plugin must not replace (:func:`replaced`)."""
    taken: dict[str, Snapshot] = {}
    for dotted, module in modules.items():
        own: Snapshot = {}
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) == dotted and (callable(value) or isinstance(value, type)):
                own[name] = (value, getattr(value, "__code__", None))
        taken[dotted] = own
    return taken


def replaced(taken: dict[str, Snapshot], modules: dict[str, Any]) -> list[str]:
    """The functions and classes of ``taken`` that were rebound in their module or whose code was
    swapped since (``module.name``), each put back as it was: a plugin cannot silently replace
    another's family, nor anything its build calls."""
    found = []
    for dotted, own in taken.items():
        namespace = vars(modules[dotted])
        for name, (value, code) in own.items():
            if namespace.get(name) is not value:
                namespace[name] = value
                found.append(f"{dotted}.{name}")
            elif code is not None and getattr(value, "__code__", None) is not code:
                value.__code__ = code
                found.append(f"{dotted}.{name}")
    return found
