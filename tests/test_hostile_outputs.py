"""Nothing silently wrong, third round (issue 23), class 1: output files.

``report -o``, ``import-hf -o`` and ``plot -o`` share one writer (registry/output/files.py):
only a regular file or a new name is a target, with or without ``--force``; without
``--force`` the name is claimed exclusively (of concurrent writers exactly one wins); the
temporary file has a short name and is removed on a terminating signal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT, SPECS

GPT2 = json.loads((ROOT / "tests" / "configs" / "gpt2" / "config.json").read_text())


def _writers(tmp_path: Path) -> dict[str, list[str]]:
    """Each command that writes a file, with its input (the output name follows ``-o``)."""
    config = tmp_path / "inputs" / "config.json"
    config.parent.mkdir(exist_ok=True)
    config.write_text(json.dumps(GPT2))
    commands = {
        "report": ["report", str(SPECS / "gpt2.toml")],
        "import-hf": ["import-hf", str(config)],
    }
    try:
        import matplotlib  # noqa: F401

        commands["plot"] = ["plot", "breakdown", str(SPECS / "gpt2.toml")]
    except ImportError:  # pragma: no cover - the plot extra is installed in CI
        pass
    return commands


def _special_files(folder: Path) -> dict[str, Path]:
    """A folder, a FIFO and a character device (a copy of /dev/null where mknod is allowed)."""
    folder.mkdir()
    made = {"folder": folder / "d.png"}
    made["folder"].mkdir()
    if hasattr(os, "mkfifo"):
        made["fifo"] = folder / "f.png"
        os.mkfifo(made["fifo"])
    try:
        os.mknod(folder / "n.png", 0o666 | 0o020000, os.makedev(1, 3))
        made["device"] = folder / "n.png"
    except (OSError, AttributeError):
        made["device"] = Path("/dev/null")
    return made


@pytest.mark.parametrize("force", [False, True])
def test_only_a_regular_file_or_a_new_name_is_written(tmp_path, cli, force):
    specials = _special_files(tmp_path / "special")
    for command, args in _writers(tmp_path).items():
        for kind, target in specials.items():
            result = cli(*args, "-o", str(target), *(["--force"] if force else []))
            assert result.code == 2, (command, kind, result.err)
            assert result.err.count("\n") == 1 and result.err.startswith(f"{target}: "), result.err
            assert ("directory" if kind == "folder" else "not a regular file") in result.err
    assert specials["folder"].is_dir() and not any(specials["folder"].iterdir())
    if "fifo" in specials:
        assert specials["fifo"].is_fifo()
    assert specials["device"].is_char_device()
    assert sorted(p.name for p in (tmp_path / "special").iterdir()) == sorted(p.name for p in specials.values() if p.parent == tmp_path / "special")


def test_a_long_name_is_written_and_nothing_else(tmp_path, cli):
    """A 250-character name (legal on every common file system): the temporary name beside it is short."""
    for command, args in _writers(tmp_path).items():
        target = tmp_path / command / ("a" * 246 + (".png" if command == "plot" else ".htm"))
        target.parent.mkdir(exist_ok=True)
        result = cli(*args, "-o", str(target), "--force")
        assert result.code == 0, (command, result.err)
        assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_no_clobber_is_exclusive(tmp_path):
    """Many runs writing one new name without --force: exactly one succeeds, the others are refused."""
    target = tmp_path / "race.html"
    script = textwrap.dedent(f"""
        import sys, threading
        from registry.output.files import write_text
        from registry.errors import SpecError
        barrier = threading.Barrier(8)
        results = []
        def one(i):
            def write(path):
                path.write_text(str(i))
            from registry.output.files import write_output
            barrier.wait()
            try:
                write_output({str(target)!r}, write, force=False)
                results.append("ok")
            except SpecError as exc:
                results.append(str(exc))
        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(results.count("ok"), sum("already exists" in r for r in results))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.split() == ["1", "7"], proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["race.html"]


def test_refused_names_with_and_without_force_keep_the_file(tmp_path, cli):
    target = tmp_path / "page.html"
    target.write_text("mine")
    result = cli("report", str(SPECS / "gpt2.toml"), "-o", str(target))
    assert result.code == 2 and "already exists; use --force" in result.err
    assert target.read_text() == "mine"
    assert cli("report", str(SPECS / "gpt2.toml"), "-o", str(target), "--force").code == 0
    assert target.read_text().startswith("<!DOCTYPE html>") or "<html" in target.read_text()


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT", "SIGUSR1", "SIGQUIT"])
def test_a_signal_while_writing_leaves_no_temporary_file(tmp_path, name):
    """The signal arrives while the temporary file is being written: it is removed and the
    process ends as the signal says (SIGINT: KeyboardInterrupt, exit 130 through main). The child starts with the
    signal's usual disposition, whatever it inherited (a shell's background job ignores SIGINT and SIGQUIT, nohup
    SIGHUP: an ignored signal stays ignored while writing, as it should)."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        from registry.output.files import write_output
        usual = signal.default_int_handler if signal.{name} == signal.SIGINT else signal.SIG_DFL
        signal.signal(signal.{name}, usual)
        def write(path):
            path.write_text("half")
            os.kill(os.getpid(), signal.{name})
            path.write_text("more")
        try:
            write_output(sys.argv[1], write, force=False)
        except KeyboardInterrupt:
            sys.exit(130)
        print("survived")
    """)
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out.html")], capture_output=True, text=True, cwd=ROOT)
    expected = 130 if name == "SIGINT" else -getattr(signal, name)
    assert proc.returncode == expected, (proc.returncode, proc.stderr)
    assert list(tmp_path.iterdir()) == []


def test_handlers_are_restored_after_writing(tmp_path):
    from registry.output.files import write_text

    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    write_text(tmp_path / "x.txt", "text", force=False)
    assert {s: signal.getsignal(s) for s in before} == before
    assert (tmp_path / "x.txt").read_text() == "text"


def test_unencodable_names_and_text(tmp_path, cli):
    """A lone surrogate in the page is written as on stdout (escaped); one in the name is one line."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**GPT2, "_name_or_path": "org/a\ud800b"}))
    page = tmp_path / "page.html"
    result = cli("report", str(config), "-o", str(page))
    assert result.code == 0, result.err
    assert "a\\ud800b" in page.read_text()
    bad = str(tmp_path / "p\ud800.html")
    result = cli("report", str(SPECS / "gpt2.toml"), "-o", bad)
    assert result.code == 2 and "cannot be encoded" in result.err and result.err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "page.html"]
