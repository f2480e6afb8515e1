"""Issue 23, class 2: what a plugin hands back is checked like user input, and plugin code runs
captured, timed and named.

Each plugin here is installed as a third-party distribution (an entry point) and run through
the command line in a subprocess, as a user would meet it. The reference counts are
transformers' (GPT2Model(gpt2): 124,439,808 parameters, the figure tests/test_plugins.py
checks) and, for llama-3.1-8b, Meta's model card (8,030,261,248).
"""

from __future__ import annotations

import json
import textwrap

import pytest

import registry
from registry.errors import PluginError
from registry.plugin_manager import find_family, register_plugin, reset
from tests.conftest import SPECS
from tests.test_plugins import install_fake_dist, run_cli

GPT2 = 124_439_808  # GPT2Model(gpt2) on the meta device (tests/test_catalogue_configs.py)
LLAMA_31_8B = 8_030_261_248  # LlamaForCausalLM(Llama-3.1-8B), Meta's model card

FAMILY = textwrap.dedent(
    """
    import os, sys, time, warnings
    from registry import Family, hookimpl
    from registry.blocks import Linear, Module
    from registry.plugins.common import FamilyParams

    class Params(FamilyParams):
        width: int = 4

    def build(params):
        {body}

    @hookimpl
    def register_families(register):
        register(Family(name="hostile", params=Params, build=build))
    """
)


def indented(body: str) -> str:
    """``body`` as the body of a function of the dedented templates (lines after the first written at 8 spaces)."""
    first, *rest = body.split("\n")
    return "\n".join([first, *(line.removeprefix("    ") for line in rest)])


def install_family(tmp_path, body: str) -> None:
    install_fake_dist(tmp_path, "registry-hostile", "registry_hostile", FAMILY.format(body=indented(body)))


def count_hostile(tmp_path, *extra: str, **env: str):
    spec = tmp_path / "hostile.toml"
    spec.write_text('name = "h"\nfamily = "hostile"\n[params]\nwidth = 5\n')
    return run_cli(tmp_path, "count", "--format", "json", *extra, str(spec), str(SPECS / "gpt2.toml"), **env)


def one_error(proc, *expected: str) -> str:
    (line,) = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert "plugin hostile (registry-hostile 0.1.0)" in line, line
    for text in expected:
        assert text in line, line
    assert "Traceback" not in proc.stderr and "internal error" not in line
    return line


@pytest.mark.parametrize(
    "value, expected",
    [("-5", "in_features"), ("2.5", "in_features"), ("'64'", "in_features"), ("True", "in_features")],
    ids=["negative", "fraction", "text", "boolean"],
)
def test_a_build_result_is_validated_like_user_input(tmp_path, value, expected):
    install_family(tmp_path, f"return Module(blocks=[Linear(name='x', in_features={value}, out_features=3)])")
    proc = count_hostile(tmp_path)
    one_error(proc, "family 'hostile' built a bad model", expected)
    assert json.loads(proc.stdout)[0]["total_params"] == GPT2  # the other spec still counts


def test_a_block_made_without_validation_is_refused(tmp_path):
    install_family(tmp_path, "return Module(blocks=[Linear.model_construct(name='x', in_features=-5, out_features=3)])")
    one_error(count_hostile(tmp_path), "in_features")


def test_a_block_kind_of_a_plugin_is_refused(tmp_path):
    """Block kinds are the core's (each checked against its reference); one a plugin defines, here
    with a negative shape, is refused where it stands in the tree."""
    body = """from registry.blocks import BlockBase
        from registry.blocks.tensors import Tensor
        class Odd(BlockBase):
            kind: str = "odd"
            def tensors(self):
                return (Tensor("w", (-5, 3), "odd", "other"),)
        return Module(blocks=[Odd(name="o")])"""
    install_family(tmp_path, body)
    one_error(count_hostile(tmp_path), "blocks.0", "'odd'", "does not match any of the expected tags")


def test_a_valid_third_party_build_still_counts(tmp_path):
    install_family(tmp_path, "return Module(blocks=[Linear(name='x', in_features=params.width, out_features=3)])")
    proc = count_hostile(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["total_params"] == 5 * 3 + 3  # weight (3, 5) and bias (3,)


@pytest.mark.parametrize("how", ["print('hello')", "os.write(1, b'raw bytes on fd 1\\n')", "sys.stdout.write('x' * 5000)"])
def test_what_a_build_prints_never_reaches_the_output(tmp_path, how):
    install_family(tmp_path, f"{how}\n        return Module(blocks=[Linear(name='x', in_features=2, out_features=2)])")
    proc = count_hostile(tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # still valid JSON
    assert [d["total_params"] for d in data] == [6, GPT2]
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("registry count: warning: plugin hostile") and "printed" in line and "not shown" in line, line


def test_a_write_to_fd_1_in_a_hook_never_reaches_the_output(tmp_path):
    source = "import os\nfrom registry import hookimpl\n@hookimpl\ndef register_families(register):\n    os.write(1, b'noise')\n"
    install_fake_dist(tmp_path, "registry-hostile", "registry_hostile", source)
    proc = run_cli(tmp_path, "count", "--format", "json", str(SPECS / "gpt2.toml"))
    assert proc.returncode == 0 and json.loads(proc.stdout)[0]["total_params"] == GPT2
    (line,) = proc.stderr.strip().splitlines()
    assert "plugin hostile" in line and "printed 5 characters" in line, line


def test_a_warning_in_build_is_one_line(tmp_path):
    install_family(tmp_path, "warnings.warn('first\\nsecond')\n        return Module(blocks=[Linear(name='x', in_features=2, out_features=2)])")
    proc = count_hostile(tmp_path)
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "plugin hostile" in line and "UserWarning: first\\nsecond" in line, line


@pytest.mark.parametrize(
    "body, expected",
    [("sys.exit(0)", "raised SystemExit: 0"), ("os._exit", None), ("raise KeyError('k')", "raised KeyError: 'k'")],
    ids=["exit", "skip", "keyerror"],
)
def test_an_exit_or_exception_in_build_is_one_line(tmp_path, body, expected):
    if expected is None:
        pytest.skip("os._exit ends the process before any code of ours runs: not preventable in-process")
    install_family(tmp_path, body)
    one_error(count_hostile(tmp_path), f"family 'hostile' build() {expected}")


def test_a_build_that_sleeps_is_stopped(tmp_path):
    install_family(tmp_path, "time.sleep(3600)")
    one_error(count_hostile(tmp_path, REGISTRY_PLUGIN_TIMEOUT="0.5"), "did not finish within 0.5 s")


def test_a_build_that_swallows_the_interruption_still_ends(tmp_path):
    body = "while True:\n            try:\n                time.sleep(3600)\n            except BaseException:\n                pass"
    install_family(tmp_path, body)
    proc = count_hostile(tmp_path, REGISTRY_PLUGIN_TIMEOUT="0.2")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("registry count: plugin hostile") and "did not stop" in line, line


def test_a_hook_that_sleeps_is_stopped_and_the_tool_goes_on(tmp_path):
    """A hook that never returns: one line naming the plugin; the plugin is not used, the others are."""
    source = "import time\nfrom registry import hookimpl\n@hookimpl\ndef register_families(register):\n    time.sleep(3600)\n"
    install_fake_dist(tmp_path, "registry-hostile", "registry_hostile", source)
    proc = run_cli(tmp_path, "count", "--format", "json", str(SPECS / "gpt2.toml"), REGISTRY_PLUGIN_TIMEOUT="0.5")
    assert json.loads(proc.stdout)[0]["total_params"] == GPT2
    (line,) = proc.stderr.strip().splitlines()
    assert "plugin hostile" in line and "register_families did not finish within 0.5 s" in line, line


# --------------------------------------------------------------------------- replacing another's family

PATCH_AT_IMPORT = {
    "rebinding": "import registry.plugins.llama as llama\nllama.build = lambda p: llama.Module(blocks=[])\n",
    "code swap": "import registry.plugins.llama as llama\nllama._attention.__code__ = (lambda p: None).__code__\n",
    "helper rebinding": "import registry.plugins.llama as llama\nassert hasattr(llama, '_layer')\nllama._layer = lambda *a, **k: []\n",
}


@pytest.mark.parametrize("case", list(PATCH_AT_IMPORT))
def test_a_plugin_that_replaces_a_built_in_family_at_import_is_caught(tmp_path, case):
    install_fake_dist(tmp_path, "registry-hostile", "registry_hostile", PATCH_AT_IMPORT[case])
    proc = run_cli(tmp_path, "count", "--format", "json", "llama-3.1-8b")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["total_params"] == LLAMA_31_8B  # the built-in, put back
    (line,) = proc.stderr.strip().splitlines()
    assert "plugin hostile" in line and "replaced built-in registry.plugins.llama." in line, line


def test_a_plugin_that_replaces_a_built_in_family_in_its_build_is_caught(tmp_path):
    body = """import registry.plugins.llama as llama
        assert hasattr(llama, "_layer")
        llama._layer = lambda *a, **k: []
        return Module(blocks=[Linear(name='x', in_features=2, out_features=2)])"""
    install_family(tmp_path, body)
    spec = tmp_path / "hostile.toml"
    spec.write_text('name = "h"\nfamily = "hostile"\n[params]\nwidth = 5\n')
    proc = run_cli(tmp_path, "count", "--format", "json", str(spec), "llama-3.1-8b")
    assert proc.returncode == 2
    assert all(d["total_params"] != 2 for d in json.loads(proc.stdout))  # never the replaced count
    assert "replaced built-in registry.plugins.llama._layer" in proc.stderr, proc.stderr


def test_a_registered_family_mutated_afterwards_is_refused():
    family = find_family("gpt")
    original = family.build
    try:
        object.__setattr__(family, "build", lambda params: None)  # frozen, but not against this
        with pytest.raises(PluginError, match="family 'gpt' was replaced"):
            registry.build_model("gpt", d_model=8, n_layers=1, n_heads=2)
    finally:
        object.__setattr__(family, "build", original)
    assert registry.count(registry.build_model("gpt", d_model=8, n_layers=1, n_heads=2)).total_params > 0


def test_an_in_process_plugin_registered_after_patching_a_built_in_is_refused():
    import registry.plugins.gpt as gpt

    registry.families()  # every plugin loaded: the built-ins' snapshot taken
    original = gpt.build
    try:
        gpt.build = lambda params: None

        class Plugin:
            pass

        with pytest.raises(PluginError, match="replaced built-in registry.plugins.gpt.build"):
            register_plugin(Plugin, name="patcher")
        assert gpt.build is original  # put back
    finally:
        gpt.build = original
        reset()


# --------------------------------------------------------------------------- GGUF architecture plugins

GGUF_ARCH = textwrap.dedent(
    """
    import sys, time
    from registry import GgufArchitecture, hookimpl

    def config(meta):
        {body}

    @hookimpl
    def register_gguf_architectures(register):
        register(GgufArchitecture("hostilearch", config, lambda name: name))
    """
)


def hostile_gguf(tmp_path):
    gguf = pytest.importorskip("gguf")
    path = tmp_path / "h.gguf"
    writer = gguf.GGUFWriter(str(path), "hostilearch")
    writer.add_block_count(1)
    writer.write_header_to_file(path)
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    return path


@pytest.mark.parametrize(
    "body, expected",
    [("sys.exit(0)", "config() raised SystemExit: 0"), ("raise ValueError('v')", "config() raised ValueError: v"),
     ("raise KeyError('k')", "config() raised KeyError: 'k'"), ("return [1, 2]", "config() returned list"),
     ("print('noise')\n        return 5", "config() returned int"), ("time.sleep(3600)", "did not finish within 0.5 s")],
    ids=["exit", "valueerror", "keyerror", "list", "print-and-int", "sleep"],
)  # fmt: skip
def test_a_gguf_architecture_plugin_failure_is_one_line(tmp_path, body, expected):
    path = hostile_gguf(tmp_path)
    install_fake_dist(tmp_path, "registry-hostile", "registry_hostile", GGUF_ARCH.format(body=indented(body)))
    proc = run_cli(tmp_path, "count", "--format", "json", str(path), REGISTRY_PLUGIN_TIMEOUT="0.5")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert any("plugin hostile (registry-hostile 0.1.0)" in line and expected in line for line in lines), lines
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert proc.stdout.strip() in ("", "[]")


def test_a_gguf_plugin_that_replaces_a_built_in_mapping_is_caught(tmp_path):
    source = "import registry.plugins.gguf_decoders as g\ng.head_dim = lambda meta, config: None\n"
    install_fake_dist(tmp_path, "registry-hostile", "registry_hostile", source)
    proc = run_cli(tmp_path, "families")
    assert proc.returncode == 0
    (line,) = proc.stderr.strip().splitlines()
    assert "plugin hostile" in line and "replaced built-in registry.plugins.gguf_decoders.head_dim" in line, line
