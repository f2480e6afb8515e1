"""Shared fixtures (the repository's folders and an in-process CLI runner), and CI's strict mode.

With the environment variable ``CI`` set to ``true`` (what ``.ci/run`` and most CI services
set), a missing reference dependency fails the run instead of skipping the tests that need it:

- every ``pytest.importorskip(...)`` that cannot import its module is a failure (at module
  level: a collection error), not a skip;
- before any test runs, every distribution of the optional extras in ``pyproject.toml``
  (``test``, ``reference``, ``plot``) must be installed, at the exact version where the extra
  pins one (``torch==...``); otherwise the run stops with status 1 naming what is missing.
  This also covers tests that skip by ``skipif(find_spec(...) is None)``.

Skips for other reasons (a file that root can read despite chmod 000, no ``/dev/fd``) stay
skips. tests/test_ci_strict.py checks all of this in a subprocess.

Under CI, hypothesis is also derandomized (each property test draws the same examples every run),
so that a submission lands or not on what it changed; a run without ``CI`` draws new examples each
time and keeps finding new cases.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
from pathlib import Path

import pytest

from registry.cli import SUMMARIES, main

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def strict_ci() -> bool:
    """True when the environment variable CI is "true" (any case): missing references fail."""
    return os.environ.get("CI", "").strip().lower() == "true"


if strict_ci():
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True)
    _hypothesis_settings.load_profile("ci")


# --- CI: missing reference dependencies fail -----------------------------------------------------

_lenient_importorskip = pytest.importorskip


def _strict_importorskip(modname: str, *args, **kwargs):
    """pytest.importorskip under CI=true: a module that cannot be imported fails the test."""
    try:
        return _lenient_importorskip(modname, *args, **kwargs)
    except pytest.skip.Exception as skipped:
        pytest.fail(
            f"CI=true: reference dependency missing, not skipped: {skipped.msg} "
            "(install the extras: pip install -e '.[test,reference,plot]')",
            pytrace=False,
        )


def _requirement(text: str) -> tuple[str, str | None]:
    """(distribution name, exact pinned version or None) of one requirement string."""
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text).group(1)
    spec = text.split(";")[0]
    pin = re.search(r"==\s*([^\s,;]+)", spec)
    return name, pin.group(1) if pin else None


def missing_extras(pyproject: Path) -> list[str]:
    """What of pyproject's optional extras is not installed (or not at its pinned version)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    problems = []
    for extra, requirements in sorted(data.get("project", {}).get("optional-dependencies", {}).items()):
        for text in requirements:
            name, pin = _requirement(text)
            try:
                installed = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                problems.append(f"{name} (extra '{extra}') is not installed")
                continue
            if pin and installed.split("+")[0] != pin:
                problems.append(f"{name} (extra '{extra}') is {installed}, the extra pins {pin}")
    return problems


def pytest_configure(config):
    """Under CI=true, importorskip fails instead of skipping."""
    if strict_ci():
        pytest.importorskip = _strict_importorskip


def pytest_unconfigure(config):
    """Put pytest.importorskip back (for in-process runs of pytest)."""
    pytest.importorskip = _lenient_importorskip


def pytest_sessionstart(session):
    """Under CI=true, stop with status 1 if an optional extra of pyproject.toml is missing."""
    pyproject = Path(session.config.rootpath) / "pyproject.toml"
    if strict_ci() and pyproject.exists():
        problems = missing_extras(pyproject)
        if problems:
            pytest.exit("CI=true: reference dependencies missing: " + "; ".join(problems),
                        returncode=pytest.ExitCode.TESTS_FAILED)  # fmt: skip


# --- fixtures ------------------------------------------------------------------------------------


class Result:
    """What one CLI run printed and returned: ``stderr`` as printed, ``err`` without the
    ``registry COMMAND: `` that starts each of its lines."""

    def __init__(self, code: int, out: str, err: str, stderr: str | None = None):
        self.code, self.out, self.err = code, out, err
        self.stderr = err if stderr is None else stderr

    def refusal_line(self) -> str:
        """The one line of a refusal (warnings aside), after checking exit status 2 and nothing on stdout."""
        assert self.code == 2 and self.out == "", (self.code, self.out, self.err)
        lines = [line for line in self.err.strip().splitlines() if "warning" not in line]
        assert len(lines) == 1, self.err
        return lines[0]


def without_prefix(stderr: str, command: str) -> str:
    """``stderr`` of ``registry COMMAND ...`` with each line's ``registry COMMAND: `` removed,
    after checking that every line has it (issue 12: one prefix style). Exempt are argparse's
    usage lines and the ``wrote FILE`` line of a command that writes a file."""
    prefix = f"registry {command}: "
    lines = []
    usage = False
    for line in stderr.splitlines():
        usage = line.startswith("usage: ") or (usage and line.startswith(" "))
        if line.startswith(prefix):
            lines.append(line[len(prefix) :])
        else:
            assert usage or line.startswith("wrote "), f"a line of stderr without {prefix!r}: {line!r}"
            lines.append(line)
    return "".join(f"{line}\n" for line in lines)


#: The command names of ``registry``, for :func:`without_prefix`.
COMMAND_NAMES = frozenset(name for name, _ in SUMMARIES.values())


@pytest.fixture
def cli(capsys):
    """Run ``registry ARGS`` in-process; returns a Result(code, out, err, stderr), ``err``
    being stderr without the ``registry COMMAND: `` prefix each line must have."""

    def run(*args: str) -> Result:
        argv = [str(a) for a in args]
        code = main(argv)
        captured = capsys.readouterr()
        return result_of(argv, code, captured.out, captured.err)

    return run


def result_of(argv: list[str], code: int, out: str, stderr: str) -> Result:
    """The Result of ``registry ARGV``: ``err`` without the command's prefix (checked on
    every line by :func:`without_prefix`) when ARGV names a command."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in COMMAND_NAMES:
        return Result(code, out, stderr)
    return Result(code, out, without_prefix(stderr, command), stderr)


@pytest.fixture
def write_spec(tmp_path):
    """Write TOML text to a spec file in a temporary folder and return its path."""

    def write(text: str, name: str = "spec.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
