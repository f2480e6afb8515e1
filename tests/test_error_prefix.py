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
    assert all(name in line for name in load_families().items) and "\n" not in line


@pytest.mark.parametrize("command", ["count", "flops", "memory", "chinchilla", "validate", "plot", "report"])
def test_a_bad_spec_is_one_prefixed_line(capsys, tmp_path, command):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nfamily = "gpt"\n[params]\nd_model = 8\nn_layers = 2\nn_heads = 2\nvocab_size = "9"\n')
    argv = [command, "breakdown", str(bad)] if command == "plot" else [command, str(bad)]
    assert main(argv + (["-o", str(tmp_path / "r.html")] if command == "report" else [])) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"registry {command}: {bad}:7: params.vocab_size: must be a whole number (got the text '9')"]


def test_several_errors_of_one_spec_are_one_prefixed_line_each(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nfamily = "gpt"\n[params]\nd_model = "8"\nn_layers = 2\nn_heads = 2\nvocab_size = "9"\n')
    assert main(["count", str(bad)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"registry count: {bad}:") for line in lines), lines
    assert "params.d_model" in lines[0] and "params.vocab_size" in lines[1]


@pytest.mark.parametrize(
    "argv, command, fragment",
    [
        (["count", "--nope", SPEC], "count", "unrecognized arguments: --nope"),
        (["flops", SPEC, "--seq-len"], "flops", "argument --seq-len: expected one argument"),
        (["memory", SPEC, "--dtype"], "memory", "argument --dtype: expected one argument"),
        (["no-such-command"], "", "invalid choice: 'no-such-command'"),
    ],
)
def test_usage_errors_have_the_same_prefix(capsys, argv, command, fragment):
    """argparse's own errors: the usage, then one ``registry COMMAND: problem`` line (no ``error:``)."""
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    prog = f"registry {command}".strip()
    assert lines[-1].startswith(f"{prog}: ") and fragment in lines[-1] and "error:" not in lines[-1], lines
    assert all(line.startswith(("usage: ", " ")) for line in lines[:-1]), lines


def test_errors_raised_by_a_command_and_warnings_have_the_prefix(capsys, tmp_path):
    """A library error raised out of a command (an output file that exists) and a warning
    (an unknown config.json field) start with the command's name too."""
    config = tmp_path / "config.json"
    config.write_text('{"model_type": "gpt2", "n_layer": 1, "n_embd": 8, "n_head": 2, "vocab_size": 10, "made_up": 1}')
    existing = tmp_path / "out.toml"
    existing.write_text("")
    assert main(["import-hf", str(config), "-o", str(existing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("registry import-hf: warning: ") for line in err[:-1]), err
    assert any("made_up" in line for line in err[:-1]), err
    assert err[-1] == f"registry import-hf: {existing}: already exists; use --force to overwrite it", err
