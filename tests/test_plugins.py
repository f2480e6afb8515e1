"""Family plugins: third-party entry points, in-process registration, and faulty plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import registry
from registry import Family, hookimpl
from registry.errors import UnknownFamilyError
from registry.plugin_manager import Registrations
from registry.plugin_manager import load_families, register_plugin, reset
from tests.conftest import ROOT, SPECS

EXAMPLE = ROOT / "docs" / "plugin-example"


def install_fake_dist(site: Path, dist: str, module: str, source: str) -> None:
    """Make ``module`` importable from ``site`` with a dist-info declaring its ``registry`` entry point."""
    (site / f"{module}.py").write_text(source)
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[registry]\n{module.removeprefix('registry_')} = {module}\n")


def run_cli(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run([sys.executable, "-m", "registry", *args], capture_output=True, text=True, env=environ)


def test_example_plugin_from_the_docs_counts_pythia(tmp_path):
    """The tutorial's plugin, installed through its entry point, counts Pythia-160M exactly
    (162,322,944 total params: Biderman et al. 2023, Table 1)."""
    install_fake_dist(tmp_path, "registry-neox", "registry_neox", (EXAMPLE / "registry_neox.py").read_text())
    proc = run_cli(tmp_path, "count", "--format", "json", str(EXAMPLE / "pythia-160m.toml"))
    assert proc.returncode == 0, proc.stderr
    assert '"total_params": 162322944' in proc.stdout
    families = run_cli(tmp_path, "families")
    assert "neox" in families.stdout and "registry-neox 0.1.0" in families.stdout
    listed = json.loads(run_cli(tmp_path, "families", "--model-types", "--format", "json").stdout)
    by_name = {m["model_type"]: m for m in listed}
    assert by_name["gpt_neox"]["family"] == "neox" and by_name["gpt_neox"]["origin"] == "neox (registry-neox 0.1.0)"
    assert by_name["llama"]["family"] == "llama" and by_name["llama"]["origin"].startswith("built-in")


def test_example_plugin_matches_transformers(tmp_path, monkeypatch):
    """The example family against transformers' GPTNeoXForCausalLM on the meta device."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    monkeypatch.syspath_prepend(str(EXAMPLE))
    import registry_neox

    config = transformers.GPTNeoXConfig(vocab_size=50304, hidden_size=768, num_hidden_layers=12,
                                        num_attention_heads=12, intermediate_size=3072)  # fmt: skip
    with torch.device("meta"):
        reference = sum(p.numel() for p in transformers.GPTNeoXForCausalLM(config).parameters())
    params = registry_neox.NeoXParams(vocab_size=50304, d_model=768, n_layers=12, n_heads=12)
    model = registry.Model(name="pythia-160m", architecture=registry_neox.build(params))
    assert registry.count(model).total_params == reference == 162_322_944


BROKEN_IMPORT = "raise RuntimeError('this plugin is broken')\n"
RAISES_IN_HOOK = textwrap.dedent(
    """
    from registry import hookimpl

    @hookimpl
    def register_families(register):
        raise ValueError("boom")
    """
)
DUPLICATE = textwrap.dedent(
    """
    from registry import Family, hookimpl
    from registry.plugins.gpt import GPTParams, build

    @hookimpl
    def register_families(register):
        register(Family(name="gpt", params=GPTParams, build=build))
    """
)
INVALID = textwrap.dedent(
    """
    from registry import hookimpl

    @hookimpl
    def register_families(register):
        register({"name": "not-a-family"})
    """
)
MISSPELT_HOOK = textwrap.dedent(
    """
    from registry import hookimpl

    @hookimpl
    def register_familys(register):
        pass
    """
)


@pytest.mark.parametrize(
    "source, expected",
    [
        (BROKEN_IMPORT, "failed to load: RuntimeError: this plugin is broken"),
        (RAISES_IN_HOOK, "register_families raised ValueError: boom"),
        (DUPLICATE, "family 'gpt' is already registered by built-in (registry.plugins.gpt)"),
        (INVALID, "register() was given dict, not a registry.Family"),
        (MISSPELT_HOOK, "register_familys"),
    ],
    ids=["import", "hook", "duplicate", "invalid", "misspelt-hook"],
)
def test_faulty_plugin_leaves_the_tool_working(tmp_path, source, expected):
    install_fake_dist(tmp_path, "registry-faulty", "registry_faulty", source)
    proc = run_cli(tmp_path, "count", "--format", "json", str(SPECS / "gpt2-xl.toml"))
    assert proc.returncode == 0, proc.stderr
    assert '"total_params": 1557611200' in proc.stdout
    warnings = proc.stderr.strip().splitlines()
    assert len(warnings) == 1, proc.stderr
    assert "registry-faulty" in warnings[0] and expected in warnings[0]


def test_env_var_limits_third_party_plugins(tmp_path):
    install_fake_dist(tmp_path, "registry-faulty", "registry_faulty", BROKEN_IMPORT)
    proc = run_cli(tmp_path, "families", REGISTRY_PLUGINS="")
    assert proc.returncode == 0 and proc.stderr == ""


class OutsidePlugin:
    """A family defined in a test, registered in-process."""

    @staticmethod
    @hookimpl
    def register_families(register):
        from registry.plugins.gpt import GPTParams, build

        register(Family(name="outside-gpt", params=GPTParams, build=build, description="test"))


def test_register_plugin_in_process():
    try:
        register_plugin(OutsidePlugin, name="outside")
        model = registry.build_model("outside-gpt", d_model=768, n_layers=12, n_heads=12)
        assert registry.count(model).total_params == 124_439_808  # GPT2Model(gpt2) in transformers
        assert load_families().items["outside-gpt"].origin == "outside"
    finally:
        reset()


def test_duplicate_name_names_both_plugins():
    from registry.plugins.gpt import GPTParams, build

    families = Registrations(Family)
    families.register_from("first-plugin", Family(name="x", params=GPTParams, build=build))
    families.register_from("second-plugin", Family(name="x", params=GPTParams, build=build))
    (error,) = families.errors
    assert "second-plugin" in str(error) and "first-plugin" in str(error)
    assert families.items["x"].origin == "first-plugin"


def test_unknown_family_suggests_close_names():
    with pytest.raises(UnknownFamilyError, match="did you mean 'bert'"):
        load_families().family("bret")


def test_built_in_families_are_listed_with_their_origin(cli):
    result = cli("families")
    for name in ("bert", "gpt", "chinchilla", "moe-gpt"):
        assert name in result.out
    assert "built-in (registry.plugins.gpt)" in result.out
    detail = cli("families", "gpt")
    assert "n_heads" in detail.out and "attention heads" in detail.out
    assert cli("families", "gtp").code == 2


def test_plugins_package_is_not_top_level():
    """The built-in plugins install as registry.plugins, never as a top-level 'plugins' package."""
    import registry.plugins.gpt as gpt

    assert gpt.__name__ == "registry.plugins.gpt"
