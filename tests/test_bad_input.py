"""Bad input: one line ``file:line: field: problem`` on stderr, exit status 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

GPT = 'name = "x"\nfamily = "gpt"\n[params]\n'

CASES = {
    # case: (spec text, expected "line: field: problem" fragment)
    "toml syntax": ('name = "x"\nfamily = "gpt"\n[params\nd_model = 1\n', ":3: invalid TOML: Expected ']'"),
    "unknown family": ('name = "x"\nfamily = "gtp"\n', ":2: family: unknown family 'gtp' (did you mean 'gpt', 'glpn'"),
    "unknown field": (GPT + "d_model = 768\nn_layers = 12\nn_heads = 12\nn_layer = 3\n", ":7: params.n_layer: unknown field; did you mean n_layers?"),
    "unknown top-level field": ('name = "x"\nfamily = "gpt"\nsorce = "typo"\n', ":3: sorce: unknown field; did you mean source?"),
    "missing field": (GPT + "d_model = 768\nn_heads = 12\n", ":3: params.n_layers: required field is missing"),
    "wrong type": (GPT + 'd_model = "big"\nn_layers = 12\nn_heads = 12\n', ":4: params.d_model: must be a whole number (got the text 'big')"),
    "fractional": (GPT + "d_model = 76.5\nn_layers = 12\nn_heads = 12\n", ":4: params.d_model: must be a whole number (got the decimal number 76.5)"),
    "zero": (GPT + "d_model = 768\nn_layers = 0\nn_heads = 12\n", ":5: params.n_layers: must be > 0 (got 0)"),
    "negative": (GPT + "d_model = -768\nn_layers = 2\nn_heads = 12\n", ":4: params.d_model: must be > 0 (got -768)"),
    "heads do not divide": (GPT + "d_model = 768\nn_layers = 2\nn_heads = 7\n", ":6: params.n_heads: n_heads (7) does not divide d_model (768)"),
    "top-k above experts": (
        'name = "x"\nfamily = "moe-gpt"\n[params]\nd_model = 64\nn_layers = 2\nn_heads = 4\nn_experts = 4\ntop_k = 5\n',
        ":8: params.top_k: top_k (5) exceeds n_experts (4)",
    ),
    "kv heads do not divide": (
        'name = "x"\nfamily = "moe-gpt"\n[params]\nd_model = 64\nn_layers = 2\nn_heads = 4\nn_kv_heads = 3\nn_experts = 4\ntop_k = 2\n',
        ":7: params.n_kv_heads: n_kv_heads (3) must divide n_heads (4)",
    ),
    "bad row of a multi-size spec": (
        'family = "gpt"\n[params]\nd_model = 768\nn_heads = 12\n[[models]]\nname = "a"\nparams = { n_layers = 2 }\n'
        '[[models]]\nname = "b"\n[models.params]\nn_layers = -2\n',
        ":11: models[1].params.n_layers: must be > 0 (got -2)",
    ),
    "duplicate size names": ('family = "gpt"\n[[models]]\nname = "a"\n[[models]]\nname = "a"\n', ":2: models: duplicate model name(s): a"),
    "bad composed block": (
        'name = "x"\n[[blocks]]\nkind = "repeat"\nname = "h"\ncount = 2\n[[blocks.blocks]]\nkind = "attention"\nd_model = 10\nn_heads = 3\n',
        ":9: blocks[0].blocks[0].n_heads: n_heads (3) does not divide d_model (10)",
    ),
    "unknown block kind": ('name = "x"\n[[blocks]]\nkind = "lineer"\n', ":3: blocks[0].kind: unknown block kind 'lineer'"),
    "no family": ('name = "x"\n', ": family: a spec needs a family"),
    "missing name": ('family = "gpt"\n', ": name: field required"),
    "family and blocks": ('name = "x"\nfamily = "gpt"\n[[blocks]]\nkind = "linear"\n', ":3: blocks: a spec has either a family or [[blocks]]"),
    # a config.json cannot say it (transformers types ffn_multiplier as a whole number), a spec can
    "feed-forward of none": ('name = "x"\nfamily = "mobilevit"\n[params]\nvariant = "mobilevitv2"\nffn_multiplier = 0.01\n',
                             ":5: params.ffn_multiplier: 0.01 leaves a transformer of width 128 a feed-forward layer of none"),
    "negative reported": (GPT.replace("[params]\n", "reported_params = -5\n[params]\n"), ":3: reported_params: must be > 0"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_spec_one_line_exit_2(case, cli, write_spec):
    text, expected = CASES[case]
    path = write_spec(text)
    result = cli("count", path)
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(str(path)), lines[0]
    assert expected in lines[0], lines[0]
    assert "Traceback" not in result.err


@pytest.mark.parametrize("case", list(CASES))
def test_validate_reports_the_same_line(case, cli, write_spec):
    text, expected = CASES[case]
    result = cli("validate", write_spec(text))
    assert result.code == 2 and expected in result.err


def test_file_problems(cli, tmp_path):
    missing = cli("count", tmp_path / "nope.toml")
    assert missing.code == 2 and missing.err.strip() == f"{tmp_path / 'nope.toml'}: no such file"
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    assert cli("count", folder).err.strip() == f"{folder}: is a directory, not a spec file"
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "not UTF-8 text" in cli("count", binary).err
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert cli("count", empty).code == 2


def test_good_and_bad_files_together(cli, write_spec):
    """Every good file is still counted; the bad one gets its line; the status is 2."""
    from tests.conftest import SPECS

    bad = write_spec('name = "x"\nfamily = "gtp"\n')
    result = cli("count", "--format", "json", SPECS / "gpt2.toml", bad)
    assert result.code == 2
    assert '"total_params": 124439808' in result.out
    assert len(result.err.strip().splitlines()) == 1


def test_usage_errors_exit_2(cli):
    assert cli("count").code == 2
    assert cli("count", "--format", "yaml", "x.toml").code == 2
    assert cli("frobnicate").code == 2
    assert cli().code == 2


def test_no_traceback_from_the_installed_command(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nfamily = "gpt"\n[params]\nd_model = 768\nn_layers = 2\nn_heads = 7\n')
    proc = subprocess.run([sys.executable, "-m", "registry", "count", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_every_error_of_a_spec_is_one_line_and_a_typo_suggests_the_field(cli, write_spec):
    """Several problems in one spec: all reported, one line each, in file order; a required
    field missing because of a typo names the field that was meant."""
    path = write_spec('name = "x"\nfamily = "gpt"\n\n[params]\nd_model = 768\nn_layer = 12\nn_heads = "12"\n')
    result = cli("count", path)
    assert result.code == 2 and result.out == ""
    assert result.err.splitlines() == [
        f"{path}:4: params.n_layers: required field is missing; 'n_layer' is given: did you mean n_layers?",
        f"{path}:6: params.n_layer: unknown field; did you mean n_layers?",
        f"{path}:7: params.n_heads: must be a whole number (got the text '12')",
    ]
    validated = cli("validate", path)
    assert validated.code == 2 and validated.err == result.err
