"""Error lines read alike (issue 12, point 3): one line on stderr, exit 2, the prefix
``registry <command>: `` then what was wrong (``--option: problem`` or ``file:line: field: problem``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.cli import main

SPECS = Path(__file__).resolve().parents[1] / "specs"
SPEC = str(SPECS / "gpt2.toml")

BAD_OPTIONS = [
    (["flops", SPEC, "--seq-len", "0"], "flops", "--seq-len must be a positive whole number"),
    (["flops", SPEC, "--mfu", "1.5", "--gpu", "h100-sxm"], "flops", "--mfu is a fraction of the peak"),
    (["flops", SPEC, "--mfu", "0.4"], "flops", "--mfu needs a GPU"),
    (["flops", SPEC, "--convention", "nope"], "flops", "--convention must be one of"),
    (["flops", SPEC, "--gpu", "no-such-gpu"], "flops", "--gpu"),
    (["memory", SPEC, "--dtype", "fp7"], "memory", "--dtype must be one of"),
    (["memory", SPEC, "--qlora"], "memory", "--qlora needs --lora R"),
    (["memory", SPEC, "--train", "--dtype", "int4"], "memory", "--train needs --dtype"),
    (["memory", SPEC, "--zero", "5"], "memory", "--zero must be one of"),
    (["chinchilla", SPEC, "--fit", "nope"], "chinchilla", "nope"),
    (["plot", "breakdown"], "plot", "breakdown needs at least one spec file"),
    (["plot", "landscape", "--fit", "kaplan"], "plot", "--fit must be one of"),
    (["families", "no-such-family"], "families", "unknown family 'no-such-family'; known families: "),
    (["schema", "no-such-family"], "schema", "no-such-family"),
    (["count", SPEC, "--depth", "2", "--format", "csv"], "count", "--depth has no CSV form"),
]


@pytest.mark.parametrize("argv, command, fragment", BAD_OPTIONS, ids=[" ".join(a[:1] + a[2:]) for a, _, _ in BAD_OPTIONS])
def test_bad_options_are_one_prefixed_line(capsys, argv, command, fragment):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"registry {command}: ") and not lines[0].startswith(f"registry {command}: error:"), lines[0]
    assert fragment in lines[0], lines[0]


def test_families_lists_the_known_ones():
    from registry.plugin_manager import load_families

    import io
    import contextlib

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["families", "lama"]) == 2
    line = err.getvalue().strip()
    assert all(name in line for name in load_families().families) and "\n" not in line


@pytest.mark.xfail(strict=True, reason="spec-file errors still print 'path: ...' and cli.py 'registry: error: ...'; about 220 tests "
                   "assert those prefixes and need one shared assertion helper first (issue 12)")  # fmt: skip
@pytest.mark.parametrize("command", ["count", "flops", "memory", "chinchilla", "validate"])
def test_a_bad_spec_is_one_prefixed_line(capsys, tmp_path, command):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nfamily = "gpt"\n[params]\nd_model = 8\nn_layers = 2\nn_heads = 2\nvocab_size = "9"\n')
    assert main([command, str(bad)]) == 2
    line = capsys.readouterr().err.strip().splitlines()[0]
    assert line.startswith(f"registry {command}: {bad}:"), line
