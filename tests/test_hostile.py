"""Nothing silently wrong (issue 13): one regression test for each point the adversarial run found.

Each hostile input gets exactly one line ``file:line: field: problem`` and exit 2, or the
right answer: strict values in spec files, ties and tensor paths checked on the built
tree, output escaped in every human-readable format (JSON exact), huge counts, text that
cannot be encoded, closed pipes and full disks, special files, large tables, faulty
plugins, and output files written whole or not at all. Checkpoints (safetensors headers,
index shards) and ``verify`` of many layers are in the last section.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from registry import Family, hookimpl
from registry.errors import PluginError
from registry.plugin_manager import register_plugin, reset
from tests.conftest import ROOT, SPECS
from tests.test_plugins import install_fake_dist, run_cli

GPT2 = json.loads((ROOT / "tests" / "configs" / "gpt2" / "config.json").read_text())
GPT = 'name = "x"\nfamily = "gpt"\n[params]\nd_model = 8\nn_layers = 2\nn_heads = 2\n'
LINEAR = '{ kind = "linear", name = "a", in_features = 2, out_features = 3 }'


def one_line(result, path: Path, *fragments: str) -> str:
    """Exit 2, nothing on stdout, one line on stderr naming ``path`` and holding each fragment."""
    assert result.code == 2, (result.out, result.err)
    assert result.out.strip() in ("", "[]")  # --format json: the models that counted (none)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"{path}:"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def subprocess_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, **kwargs.pop("env", {})}
    return subprocess.run([sys.executable, "-m", "registry", *args], capture_output=True, env=env, cwd=ROOT, **kwargs)


# --------------------------------------------------------------------------- 1. strict values

STRICT_CASES = {
    "boolean as integer": ("d_model = 8", "d_model = true", ":4: params.d_model: must be a whole number (got the boolean true)"),
    "number as text": ("d_model = 8", 'd_model = "8"', "params.d_model: must be a whole number (got the text '8')"),
    "padded text": ("d_model = 8", 'd_model = " 8 "', "got the text ' 8 '"),
    "underscored text": ("d_model = 8", 'd_model = "7_68"', "got the text '7_68'"),
    "float for integer": ("d_model = 8", "d_model = 8.0", "must be a whole number (got the decimal number 8.0)"),
    "text for boolean": ("n_heads = 2", 'n_heads = 2\nbias = "no"', "params.bias: must be true or false (got the text 'no')"),
    "integer for boolean": ("n_heads = 2", "n_heads = 2\nbias = 1", "params.bias: must be true or false (got 1)"),
    "reported_params boolean": ('family = "gpt"', 'family = "gpt"\nreported_params = true', "reported_params: must be a whole number (got the boolean true)"),
    "training_tokens text": ('family = "gpt"', 'family = "gpt"\ntraining_tokens = "1_000"', "training_tokens: must be a whole number (got the text '1_000')"),
    "name number": ('name = "x"', "name = 5", "name: must be text (got 5)"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(STRICT_CASES))
def test_spec_values_are_strict(case, cli, write_spec):
    old, new, expected = STRICT_CASES[case]
    path = write_spec(GPT.replace(old, new, 1))
    one_line(cli("count", path), path, expected)


def test_strict_values_in_multi_size_rows_and_blocks(cli, write_spec):
    rows = write_spec('family = "gpt"\n[params]\nd_model = 8\nn_heads = 2\n[[models]]\nname = "a"\nparams = { n_layers = true }\n')
    one_line(cli("count", rows), rows, "models[0].params.n_layers: must be a whole number (got the boolean true)")
    blocks = write_spec('name = "x"\n[[blocks]]\nkind = "linear"\nin_features = "2"\nout_features = 3\n')
    one_line(cli("count", blocks), blocks, ":4: blocks[0].in_features: must be a whole number (got the text '2')")
    bias = write_spec('name = "x"\n[[blocks]]\nkind = "linear"\nin_features = 2\nout_features = 3\nbias = "no"\n')
    one_line(cli("count", bias), bias, "blocks[0].bias: must be true or false")


def test_arrays_still_fill_tuple_fields(cli, write_spec):
    """Strict mode refuses a list for a tuple; a TOML array is made a tuple first (Parameter.shape)."""
    path = write_spec('name = "x"\n[[blocks]]\nkind = "parameter"\nname = "p"\nshape = [2, 3]\n')
    result = cli("count", "--format", "json", path)
    assert result.code == 0, result.err
    assert json.loads(result.out)[0]["total_params"] == 6


def test_every_family_is_strict():
    """Every registered family (built-in and new) refuses a boolean, a text and a float for each
    of its integer hyper-parameters, and a text for each boolean one (also through the Python API)."""
    from pydantic import ValidationError

    from registry.plugin_manager import load_families
    from tests.test_fuzz import family_field_kinds

    families = load_families().items
    assert len(families) >= 16
    for name, family in families.items():
        ints, bools = family_field_kinds(family.params)
        for field in ints:
            for bad in (True, "8", 8.0):
                with pytest.raises(ValidationError):
                    family.params.model_validate({field: bad}, strict=True)
        for field in bools:
            with pytest.raises(ValidationError):
                family.params.model_validate({field: "no"}, strict=True)
        assert family.params.model_config.get("strict") is True, f"{name}: FamilyParams is strict"


# --------------------------------------------------------------------------- 2, 3. ties and names

TREE_CASES = {
    "tie to nothing": (
        f'[ {LINEAR}, {{ kind = "linear", name = "b", in_features = 2, out_features = 3, tied_to = "c.weight" }} ]',
        "blocks[1].tied_to: b.weight is tied to c.weight, which is no tensor of the model",
    ),
    "tie to itself": (
        f'[ {LINEAR}, {{ kind = "linear", name = "b", in_features = 2, out_features = 3, tied_to = "b.weight" }} ]',
        "blocks[1].tied_to: b.weight is tied to itself",
    ),
    "tie to another shape": (
        f'[ {LINEAR}, {{ kind = "linear", name = "b", in_features = 3, out_features = 2, tied_to = "a.weight" }} ]',
        "b.weight (2×3) is tied to a.weight (3×2); a tie needs a tensor of the same shape",
    ),
    "cycle of ties": (
        '[ { kind = "linear", name = "a", in_features = 2, out_features = 3, tied_to = "b.weight" },'
        ' { kind = "linear", name = "b", in_features = 2, out_features = 3, tied_to = "a.weight" } ]',
        "ties form a cycle",
    ),
    "tie past the last layer": (
        f'[ {{ kind = "repeat", name = "h", count = 4, blocks = [{LINEAR}] }},'
        ' { kind = "linear", name = "b", in_features = 2, out_features = 3, tied_to = "h.4.a.weight" } ]',
        "b.weight is tied to h.4.a.weight, which is no tensor",
    ),
    "tied embedding to nothing": (
        '[ { kind = "tied_embedding", name = "e", num_embeddings = 4, embedding_dim = 2, tied_to = "shared.weight" } ]',
        "blocks[0].tied_to: e.weight is tied to shared.weight",
    ),
    "sibling names": (f"[ {LINEAR}, {LINEAR} ]", "blocks[1].name: tensor path a.weight occurs twice (also blocks[0])"),
    "module named like a layer": (
        f'[ {{ kind = "repeat", name = "h", count = 4, blocks = [{LINEAR}] }}, {{ kind = "module", name = "h.2", blocks = [{LINEAR}] }} ]',
        "tensor path h.2.a.weight occurs twice",
    ),
    "overlapping repeats": (
        f'[ {{ kind = "repeat", name = "h", count = 4, blocks = [{LINEAR}] }},'
        f' {{ kind = "repeat", name = "h", start = 3, stride = 2, count = 3, blocks = [{LINEAR}] }} ]',
        "overlap; tensor paths must be unique",
    ),
    "roles of one name": (
        '[ { kind = "attention", name = "at", d_model = 4, n_heads = 2, names = { q = "k_proj" } } ]',
        "blocks[0].names: tensor path at.k_proj.weight occurs twice",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(TREE_CASES))
def test_ties_and_paths_are_checked(case, cli, write_spec):
    blocks, expected = TREE_CASES[case]
    path = write_spec(f'name = "x"\nblocks = {blocks}\n')
    one_line(cli("count", path), path, expected)
    assert cli("validate", path).code == 2


TREE_OK = {
    "interleaved repeats": (
        f'[ {{ kind = "repeat", name = "h", count = 4, stride = 2, blocks = [{LINEAR}] }},'
        f' {{ kind = "repeat", name = "h", start = 1, stride = 2, count = 3, blocks = [{LINEAR}] }} ]',
        7 * 9,  # 2×3 weight and 3 bias per copy
    ),
    "tie into a layer": (
        f'[ {{ kind = "repeat", name = "h", count = 4, blocks = [{LINEAR}] }},'
        ' { kind = "linear", name = "b", in_features = 2, out_features = 3, tied_to = "h.3.a.weight" } ]',
        4 * 9 + 3,  # b's bias is its own
    ),
    "tied embedding": (
        '[ { kind = "embedding", name = "shared", num_embeddings = 4, embedding_dim = 2 },'
        ' { kind = "tied_embedding", name = "encoder.embed_tokens", num_embeddings = 4, embedding_dim = 2, tied_to = "shared.weight" } ]',
        8,
    ),
    "shared body": (f'[ {{ kind = "shared", name = "group", uses = 12, blocks = [{LINEAR}] }} ]', 9),
    "a billion billion layers": (f'[ {{ kind = "repeat", name = "h", count = {10**18}, blocks = [{LINEAR}] }} ]', 9 * 10**18),
}  # fmt: skip


@pytest.mark.parametrize("case", list(TREE_OK))
def test_legitimate_ties_and_names_count(case, cli, write_spec):
    blocks, total = TREE_OK[case]
    path = write_spec(f'name = "x"\nblocks = {blocks}\n')
    result = cli("count", "--format", "json", path)
    assert result.code == 0, result.err
    assert json.loads(result.out)[0]["total_params"] == total


def test_every_shipped_spec_passes_the_tree_checks():
    from registry.sources.loading import load
    from registry.blocks.tree_check import tree_problem

    for path in sorted(SPECS.glob("*.toml")):
        for model in load(path):
            assert tree_problem(model.architecture) is None, path


class BadTieFamily:
    """A family whose build() ties its head to a tensor that does not exist."""

    @staticmethod
    @hookimpl
    def register_families(register):
        from registry.blocks import Linear, Module
        from registry.plugins.common import FamilyParams

        class Params(FamilyParams):
            width: int = 4

        def build(params):
            return Module(blocks=[Linear(name="head", in_features=params.width, out_features=2, tied_to="wte.weight")])

        register(Family(name="bad-tie", params=Params, build=build))


def test_a_family_that_builds_a_bad_tie_is_a_plugin_error(cli, write_spec):
    try:
        register_plugin(BadTieFamily, name="bad-tie-plugin")
        path = write_spec('name = "x"\nfamily = "bad-tie"\n')
        line = one_line(cli("count", path), path, "plugin bad-tie-plugin", "head.weight is tied to wte.weight")
        assert "params" in line
        good = SPECS / "gpt2.toml"
        both = cli("count", "--format", "json", str(path), str(good))
        assert both.code == 2 and json.loads(both.out)[0]["total_params"] == 124_439_808  # GPT2Model(gpt2)
    finally:
        reset()


# --------------------------------------------------------------------------- 5. escaping output

HOSTILE_NAME = "evil\x1b[2J\u202eoc\x07\x7f|=cmd"


def hostile_spec(write_spec, name: str = HOSTILE_NAME) -> Path:
    escaped = name.encode("unicode_escape").decode().replace('"', '\\"')
    escaped = escaped.replace("\\x", "\\u00")
    return write_spec(GPT.replace('name = "x"', f'name = "{escaped}"\nsource = "=HYPERLINK(\\"x\\")"'))


@pytest.mark.parametrize(
    "args",
    [("count",), ("count", "--format", "markdown"), ("count", "--format", "csv"), ("count", "--depth", "2"),
     ("validate",), ("flops",), ("memory",), ("chinchilla",), ("flops", "--format", "csv")],
)  # fmt: skip
def test_human_formats_escape_what_the_input_smuggled(args, cli, write_spec):
    path = hostile_spec(write_spec)
    result = cli(*args, path)
    assert result.code == 0, result.err
    for raw in ("\x1b", "\u202e", "\x07", "\x7f"):
        assert raw not in result.out, (args, result.out)
    assert "\\x1b[2J" in result.out or "\\x1b" in result.out


def test_csv_cells_are_not_formulas(cli, write_spec):
    path = write_spec(GPT.replace('name = "x"', 'name = "=1+2"').replace('family = "gpt"', 'family = "gpt"'))
    result = cli("count", "--format", "csv", path)
    assert result.code == 0
    row = result.out.splitlines()[1]
    assert row.startswith("'=1+2,"), row
    for start in ("+", "-", "@"):
        other = write_spec(GPT.replace('name = "x"', f'name = "{start}x"'), name=f"s{ord(start)}.toml")
        assert cli("count", "--format", "csv", other).out.splitlines()[1].startswith(f"'{start}x,")


def test_markdown_pipes_are_escaped(cli, write_spec):
    path = write_spec(GPT.replace('name = "x"', 'name = "a|b"'))
    out = cli("count", "--format", "markdown", path, str(SPECS / "gpt2.toml")).out  # the summary table
    assert "| a\\|b " in out


def test_json_stays_exact(cli, write_spec):
    path = hostile_spec(write_spec)
    result = cli("count", "--format", "json", path)
    assert json.loads(result.out)[0]["name"] == HOSTILE_NAME
    assert "\x1b" not in result.out


# --------------------------------------------------------------------------- 6. huge numbers

def nested(levels: int, count: int = 10**599) -> str:
    block = LINEAR
    for i in range(levels):
        block = f'{{ kind = "repeat", name = "r{i}", count = {count}, blocks = [{block}] }}'
    return f'name = "n"\nblocks = [{block}]\n'


@pytest.mark.parametrize("args", [("count",), ("count", "--format", "json"), ("flops", "--tokens", str(10**599)),
                                  ("memory",), ("chinchilla",), ("count", "--depth", "3")])  # fmt: skip
def test_nested_huge_repeats_print_or_refuse(args, cli, write_spec):
    fits = write_spec(nested(3))
    result = cli(*args, fits)
    assert result.code == 0, result.err
    if "json" in args:
        assert json.loads(result.out)[0]["total_params"] == 9 * 10 ** (3 * 599)
    too_many = write_spec(nested(5), name="five.toml")
    one_line(cli(*args, too_many), too_many, "blocks: the model's parameter count has about", "at most 2,400")


def test_chinchilla_params_past_float_range(cli):
    result = cli("chinchilla", "--params", "1e155", "--format", "json")
    assert result.code in (0, 2) and "internal error" not in result.err
    if result.code == 2:
        assert len(result.err.strip().splitlines()) == 1
    else:
        json.loads(result.out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


# --------------------------------------------------------------------------- 7. encodings

def test_lone_surrogate_in_a_config_counts_and_import_writes_nothing(tmp_path, cli):
    config = tmp_path / "config.json"
    data = {**GPT2, "_name_or_path": "gpt2\ud800"}
    config.write_text(json.dumps(data))  # JSON escapes the surrogate: "\ud800"
    counted = cli("count", str(config))
    assert counted.code == 0, counted.err
    output = tmp_path / "out.toml"
    result = cli("import-hf", str(config), "-o", str(output))
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert f"{config}: cannot write the spec: name: text holds a lone surrogate (U+D800)" in result.err
    assert not output.exists() and list(tmp_path.iterdir()) == [config]


def test_import_hf_escapes_control_characters(tmp_path, cli):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**GPT2, "_name_or_path": "a\x7fb\x1b\u202ec"}))
    output = tmp_path / "out.toml"
    assert cli("import-hf", str(config), "-o", str(output)).code == 0
    text = output.read_text(encoding="utf-8")
    assert "\x7f" not in text and "\x1b" not in text and "\u202e" not in text
    assert cli("validate", str(output)).code == 0


def test_output_to_an_ascii_stream(write_spec):
    path = write_spec(GPT.replace('name = "x"', 'name = "caf\\u00e9 \\u202e \\ud7ff"'))
    for fmt in ("table", "json", "csv", "markdown"):
        proc = subprocess_cli("count", "--format", fmt, str(path), env={"PYTHONIOENCODING": "ascii"})
        assert proc.returncode == 0, proc.stderr
        assert b"Traceback" not in proc.stderr


# --------------------------------------------------------------------------- 8. streams and special files

def test_closed_pipe_exits_cleanly():
    proc = subprocess.run(f"{sys.executable} -m registry count {SPECS / 'gpt2.toml'} | head -c 0",
                          shell=True, capture_output=True, cwd=ROOT, executable="/bin/bash",
                          env={**os.environ, "PYTHONUNBUFFERED": ""})  # fmt: skip
    assert proc.stderr == b"", proc.stderr
    status = subprocess.run(
        f"{sys.executable} -m registry count --format json {' '.join(str(p) for p in sorted(SPECS.glob('*.toml')))} | head -c 1 >/dev/null; "
        "echo ${PIPESTATUS[0]}", shell=True, capture_output=True, cwd=ROOT, executable="/bin/bash",
    )  # fmt: skip
    assert status.stdout.strip() == b"0", status
    assert b"Exception ignored" not in status.stderr and b"BrokenPipe" not in status.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_full_disk_is_one_line():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "registry", "count", str(SPECS / "gpt2.toml")],
                              stdout=full, stderr=subprocess.PIPE, cwd=ROOT)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().splitlines() == ["registry count: cannot write the output: No space left on device"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
@pytest.mark.parametrize("name", ["spec.toml", "config.json"])
def test_a_fifo_is_refused_without_opening_it(tmp_path, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    proc = subprocess_cli("count", str(fifo), timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == f"registry count: {fifo}: is a FIFO (named pipe), not a regular file (give - to read stdin)"


def test_stdin_is_read_with_a_dash():
    proc = subprocess_cli("count", "--format", "json", "-", input=(SPECS / "gpt2.toml").read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["total_params"] == 124_439_808  # GPT2Model(gpt2) in transformers


# --------------------------------------------------------------------------- 10. large tables

def many_models(n: int) -> str:
    rows = "".join(f'[[models]]\nname = "m{i}"\nparams = {{ n_layers = {i % 7 + 1} }}\n' for i in range(n))
    return 'family = "gpt"\n[params]\nd_model = 8\nn_heads = 2\n' + rows


def test_many_models_load_without_a_per_name_scan(write_spec):
    """5,000 models load, and no ``list.count`` runs while they do: duplicate names were once found by
    ``names.count(n)`` for every name, quadratic in the rows (now one ``Counter`` pass). Watched with
    ``sys.setprofile``'s calls of built-in functions, not timed."""
    from registry.sources.spec import load

    large = write_spec(many_models(5000), "large.toml")
    load(large)  # warm up (plugins, validators)
    counted = []

    def watch(frame, event, arg):
        if event == "c_call" and getattr(arg, "__name__", "") == "count" and isinstance(getattr(arg, "__self__", None), list):
            counted.append(len(arg.__self__))

    sys.setprofile(watch)
    try:
        models = load(large)
    finally:
        sys.setprofile(None)
    assert len(models) == 5000
    assert not [n for n in counted if n >= 5000], "a list of every model was scanned per name (list.count)"


def test_duplicate_names_in_a_large_table(write_spec, cli):
    path = write_spec(many_models(3000) + '[[models]]\nname = "m7"\nparams = { n_layers = 1 }\n')
    one_line(cli("validate", path), path, "models: duplicate model name(s): m7")


# --------------------------------------------------------------------------- 11. faulty plugins

FAULTY = {
    "sys.exit at import": ("import sys\nsys.exit(3)\n", "failed to load: SystemExit: 3"),
    "KeyboardInterrupt in hook": (
        "from registry import hookimpl\n@hookimpl\ndef register_families(register):\n    raise KeyboardInterrupt('stop')\n",
        "register_families raised KeyboardInterrupt: stop",
    ),
    "SystemExit in hook": (
        "from registry import hookimpl\n@hookimpl\ndef register_families(register):\n    raise SystemExit('bye')\n",
        "register_families raised SystemExit: bye",
    ),
    "BaseException in hook": (
        "from registry import hookimpl\nclass Odd(BaseException):\n    pass\n@hookimpl\ndef register_families(register):\n    raise Odd('odd')\n",
        "register_families raised Odd: odd",
    ),
    "print at import": ("print('hello from a plugin')\n", "printed 20 characters on stdout"),
    "multi-line warning": ("import warnings\nwarnings.warn('line one\\nline two')\n", "UserWarning: line one\\nline two"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(FAULTY))
def test_faulty_plugins_are_isolated(case, tmp_path):
    source, expected = FAULTY[case]
    install_fake_dist(tmp_path, "registry-faulty", "registry_faulty", source)
    proc = run_cli(tmp_path, "count", "--format", "json", str(SPECS / "gpt2-xl.toml"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["total_params"] == 1_557_611_200  # GPT2Model(gpt2-xl)
    warnings = proc.stderr.strip().splitlines()
    assert len(warnings) == 1, proc.stderr
    assert warnings[0].startswith("registry count: warning: plugin "), warnings[0]
    assert expected in warnings[0], warnings[0]
    assert "Traceback" not in proc.stderr


BROKEN_FAMILIES = textwrap.dedent(
    """
    from registry import Family, hookimpl
    from registry.plugins.common import FamilyParams
    from typing import Callable
    from pydantic import field_validator

    class Plain(FamilyParams):
        width: int = 4

    class Checked(FamilyParams):
        width: int = 4

        @field_validator("width")
        @classmethod
        def _explode(cls, value):
            raise RuntimeError("validator bug")

    class WithCallable(FamilyParams):
        hook: Callable[[int], int] = abs

    def raising_build(params):
        raise ZeroDivisionError("build bug")

    def exiting_build(params):
        raise SystemExit(4)

    @hookimpl
    def register_families(register):
        register(Family(name="raising-build", params=Plain, build=raising_build))
        register(Family(name="exiting-build", params=Plain, build=exiting_build))
        register(Family(name="raising-validator", params=Checked, build=raising_build))
        register(Family(name="callable-field", params=WithCallable, build=raising_build))
    """
)


@pytest.mark.parametrize(
    "family, expected",
    [("raising-build", "build() raised ZeroDivisionError: build bug"), ("exiting-build", "build() raised SystemExit: 4"),
     ("raising-validator", "raised RuntimeError: validator bug")],
)  # fmt: skip
def test_a_faulty_family_is_named_and_other_specs_count(tmp_path, family, expected):
    install_fake_dist(tmp_path, "registry-broken", "registry_broken", BROKEN_FAMILIES)
    spec = tmp_path / "bad.toml"
    spec.write_text(f'name = "x"\nfamily = "{family}"\n[params]\nwidth = 5\n')
    proc = run_cli(tmp_path, "count", "--format", "json", str(spec), str(SPECS / "gpt2.toml"))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)[0]["total_params"] == 124_439_808  # the other spec still counts
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"registry count: {spec}:") and "plugin broken (registry-broken 0.1.0)" in line and expected in line, line
    assert "internal error" not in line


def test_a_callable_field_is_a_plugin_error_in_schema(tmp_path):
    install_fake_dist(tmp_path, "registry-broken", "registry_broken", BROKEN_FAMILIES)
    proc = run_cli(tmp_path, "schema", "callable-field")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "plugin broken" in line and "no JSON Schema" in line, line
    assert run_cli(tmp_path, "schema").returncode == 0
    assert run_cli(tmp_path, "schema", "gpt").returncode == 0


def test_a_raising_build_in_process_names_the_plugin():
    class Plugin:
        @staticmethod
        @hookimpl
        def register_families(register):
            from registry.plugins.gpt import GPTParams

            def build(params):
                raise KeyError("oops")

            register(Family(name="raises-in-process", params=GPTParams, build=build))

    import registry

    try:
        register_plugin(Plugin, name="in-process")
        with pytest.raises(PluginError, match="plugin in-process: family 'raises-in-process' build"):
            registry.build_model("raises-in-process", d_model=8, n_layers=1, n_heads=2)
    finally:
        reset()


# --------------------------------------------------------------------------- 12. output files

def test_plot_refuses_to_overwrite_and_writes_nothing_when_a_spec_failed(tmp_path, cli):
    pytest.importorskip("matplotlib")
    output = tmp_path / "chart.png"
    output.write_bytes(b"mine")
    result = cli("plot", "breakdown", str(SPECS / "gpt2.toml"), "-o", str(output))
    one_line(result, output, "already exists; use --force")
    assert output.read_bytes() == b"mine"
    fresh = tmp_path / "fresh.png"
    result = cli("plot", "breakdown", str(SPECS / "gpt2.toml"), str(tmp_path / "missing.toml"), "-o", str(fresh))
    assert result.code == 2 and not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png"]
    assert cli("plot", "breakdown", str(SPECS / "gpt2.toml"), "-o", str(output), "--force").code == 0
    assert output.read_bytes().startswith(b"\x89PNG")


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    from registry.output.files import write_output
    from registry.errors import SpecError

    target = tmp_path / "out.toml"

    def fail(temporary: Path) -> None:
        temporary.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(SpecError, match="No space left"):
        write_output(target, fail, force=False)
    assert list(tmp_path.iterdir()) == []


def test_import_hf_refuses_a_special_output(tmp_path, cli):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(GPT2))
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo.toml"
        os.mkfifo(fifo)
        one_line(cli("import-hf", str(config), "-o", str(fifo), "--force"), fifo, "not a regular file")


# --------------------------------------------------------------------------- 4. checkpoints, 9. verify

def _safetensors(path: Path, header_text: str, data_bytes: int) -> Path:
    import struct

    raw = header_text.encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * data_bytes)
    return path


CHECKPOINT_CASES = {
    "duplicate name": ('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},'
                       ' "a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}', 12, "a: appears twice in the header"),
    "lower-case dtype": ('{"a": {"dtype": "f32", "shape": [1000000, 1000000], "data_offsets": [0, 300]}}', 300,
                         "dtype 'f32' is not a safetensors dtype (did you mean F32?)"),
    "unknown dtype": ('{"a": {"dtype": "Q9", "shape": [1000000, 1000000], "data_offsets": [0, 300]}}', 300,
                      "dtype 'Q9' is not a safetensors dtype"),
    "sub-byte size": ('{"a": {"dtype": "F4", "shape": [1000, 1000], "data_offsets": [0, 300]}}', 300,
                      "needs 500000 bytes but data_offsets span 300"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CHECKPOINT_CASES))
def test_checkpoints_are_not_taken_on_trust(case, tmp_path, cli):
    header, data, expected = CHECKPOINT_CASES[case]
    path = _safetensors(tmp_path / "m.safetensors", header, data)
    one_line(cli("inspect", str(path)), path, expected)


def test_packed_sub_byte_dtypes_still_read(tmp_path, cli):
    path = _safetensors(tmp_path / "m.safetensors", '{"a": {"dtype": "F4", "shape": [2, 3], "data_offsets": [0, 3]}}', 3)
    result = cli("inspect", "--format", "json", str(path))
    assert result.code == 0, result.err


def test_index_shards_stay_in_the_folder(tmp_path, cli):
    outside = _safetensors(tmp_path / "outside.safetensors", '{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', 4)
    folder = tmp_path / "model"
    folder.mkdir()
    for shard in ("../outside.safetensors", "link.safetensors"):
        index = folder / "model.safetensors.index.json"
        index.write_text(json.dumps({"weight_map": {"a": shard}}))
        if shard == "link.safetensors":
            (folder / shard).symlink_to(outside)
        line = one_line(cli("inspect", str(index)), index, "weight_map")
        assert "outside" in line or "not a relative file name" in line
        assert "bytes" not in line  # nothing told of the file outside


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_inspect_refuses_a_pipe(tmp_path):
    fifo = tmp_path / "m.safetensors"
    os.mkfifo(fifo)
    proc = subprocess_cli("inspect", str(fifo), timeout=60)
    assert proc.returncode == 2 and b"not a regular file" in proc.stderr and b"-8 bytes" not in proc.stderr


def test_verify_lists_runs_of_layers_once(tmp_path, cli):
    spec = tmp_path / "deep.toml"
    spec.write_text((SPECS / "gpt2.toml").read_text().replace("n_layers = 12", "n_layers = 2000"))
    checkpoint = _safetensors(tmp_path / "m.safetensors", '{"ln_f.weight": {"dtype": "F32", "shape": [768], "data_offsets": [0, 3072]}}', 3072)
    result = cli("verify", str(spec), str(checkpoint))
    assert result.code == 1
    assert "h.{0..1999}.attn.c_attn.weight (×2000)" in result.out
    assert len(result.out.splitlines()) < 40
