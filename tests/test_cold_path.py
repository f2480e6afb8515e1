"""The fast paths give the same answers as the slow ones, and the tables behind them stay in sync.

Speed itself is measured by benchmarks/bench.py, never asserted here. What is checked: the
command summaries `registry --help` lists without importing the commands, the family-to-module
map that lets a spec load one built-in plugin, trusted block construction (same blocks, same
rules), counts by arithmetic (same tallies as from tensors), the lazy per-layer rows, and the
quick tree check (never says "sound" when the exact check finds a problem).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import registry
from registry.blocks import Attention, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.blocks.base import FieldError, trusted_blocks
from registry.blocks.tally import Tally
from tests.conftest import ROOT, SPECS


def test_command_summaries_match_the_command_modules():
    from registry.cli import COMMANDS, SUMMARIES

    assert set(SUMMARIES) == set(COMMANDS)
    for dotted in COMMANDS:
        module = importlib.import_module(dotted)
        assert SUMMARIES[dotted] == (module.NAME, module.HELP), dotted


def test_built_in_family_map_matches_the_plugins():
    from registry.plugin_manager import built_in_families, load_families

    built_in = {name: f.origin for name, f in load_families().items.items() if f.origin.startswith("built-in (")}
    assert {name: f"built-in ({module})" for name, module in built_in_families().items()} == built_in


def _run(code: str) -> str:
    """What ``python -c CODE`` prints, run in an empty folder: not the checkout (where ``registry``
    is the source tree) nor its parent (where a checkout named ``registry`` would be a
    namespace package hiding the installed one)."""
    with tempfile.TemporaryDirectory() as empty:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=empty, check=True)
    return proc.stdout.strip()


def test_help_imports_no_command_and_no_pydantic():
    out = _run(
        "import io, sys, contextlib\n"
        "from registry.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'registry.commands', 'tabulate'))))"
    )
    assert out == "[]"


@pytest.mark.parametrize("argv", [["count", str(SPECS / "gpt2-xl.toml")],
                                  ["count", "--details", "--depth", "2", str(SPECS / "gpt3.toml")],
                                  ["count", "--format", "markdown", str(SPECS / "gpt2-xl.toml")]])  # fmt: skip
def test_a_cold_count_imports_no_tabulate(argv):
    """Our own tables (registry/output/table_draw.py): tabulate's import cost start-up time (issue 9)."""
    out = _run(
        "import io, sys, contextlib\n"
        "from registry.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): main({argv!r})\n"
        "print(sorted(m for m in sys.modules if m.startswith('tabulate')), 'registry.output.render' in sys.modules)"
    )
    assert out == "[] True"


def test_a_cold_count_of_a_spec_imports_only_what_it_needs():
    """A spec file's table needs no JSON, no typo suggestions, no --set machinery, no argparse
    terminal query through shutil (issue 9's cold path); json output imports json."""
    probe = "('json', 'difflib', 'registry.sources.overrides', 'registry.checkpoints.tensors', 'registry.sources.catalogue')"  # csv, decimal: pydantic's
    for argv, expected in ((["count", str(SPECS / "gpt2-xl.toml")], "[]"),
                           (["count", "--format", "json", str(SPECS / "gpt2-xl.toml")], "['json']")):  # fmt: skip
        out = _run(
            "import io, sys, contextlib\n"
            "from registry.cli import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()): main({argv!r})\n"
            f"print(sorted(m for m in {probe} if m in sys.modules))"
        )
        assert out == expected, argv


def test_no_module_imports_tabulate():
    import re

    importing = [str(p) for folder in ("registry", "plugins") for p in sorted((ROOT / folder).rglob("*.py"))
                 if re.search(r"^\s*(from|import) tabulate\b", p.read_text(encoding="utf-8"), re.M)]  # fmt: skip
    assert importing == []


def test_a_spec_of_a_built_in_family_loads_its_plugin_alone():
    out = _run(
        "import sys, registry\n"
        f"(m,) = registry.load({str(SPECS / 'gpt2-xl.toml')!r})\n"
        "print(registry.count(m).total_params, sorted(k for k in sys.modules if k.startswith('registry.plugins.')))"
    )
    assert out == "1557611200 ['registry.plugins.checkpoint_names', 'registry.plugins.common', 'registry.plugins.gpt']"


def test_plugin_index_matches_the_plugins():
    """plugins/plugin_index.py (scripts/generate_plugin_index.py) names, for every built-in model type and GGUF
    architecture, the module that registers it, as loading every plugin finds."""
    from registry.built_ins import index
    from registry.plugin_manager import load_gguf_architectures, load_model_types

    for name, loaded in (("MODEL_TYPE_MODULES", load_model_types()), ("GGUF_MODULES", load_gguf_architectures())):
        built_in = {k: item.origin for k, item in loaded.items.items() if item.origin.startswith("built-in (")}
        assert {k: f"built-in ({module})" for k, module in index(name).items()} == built_in, name


def test_a_config_json_loads_the_modules_of_its_type_alone():
    out = _run(
        "import sys, registry\n"
        f"(m,) = registry.load({str(ROOT / 'tests' / 'configs' / 'llama-3.1-8b' / 'config.json')!r})\n"
        "print(registry.count(m).total_params, sorted(k for k in sys.modules if k.startswith('registry.plugins.')))"
    )
    total, modules = out.split(" ", 1)
    assert total == "8030261248"  # Meta's model card: 8.03B; transformers' LlamaForCausalLM (tests/test_model_types.py)
    assert "'registry.plugins.llama_model_types'" in modules and "'registry.plugins.llama'" in modules
    assert "whisper" not in modules and "deepseek" not in modules and modules.count(",") < 15


def test_every_published_config_counts_the_same_from_its_own_modules_as_with_every_plugin_loaded():
    """Each config of tests/configs counted with only the modules of its model type imported (and those of its
    towers' types and families), then again with every plugin loaded: the same totals, active counts and warnings."""
    out = _run(
        "import json, os, sys\n"
        "os.environ['REGISTRY_PLUGINS'] = ''\n"
        "import registry\n"
        "from registry import plugin_manager as pm\n"
        f"folders = sorted(p for p in os.listdir({str(ROOT / 'tests' / 'configs')!r}))\n"
        f"paths = [os.path.join({str(ROOT / 'tests' / 'configs')!r}, f, 'config.json') for f in folders]\n"
        "def counts():\n"
        "    rows = []\n"
        "    for path in paths:\n"
        "        (m,) = registry.load(path)\n"
        "        r = registry.count(m)\n"
        "        rows.append([r.total_params, r.active_params, list(m.warnings)])\n"
        "    return rows\n"
        "lazy = []\n"
        "for path in paths:\n"
        "    pm.reset(); (m,) = registry.load(path); r = registry.count(m)\n"
        "    assert pm._pm is None, path  # no full load on the way\n"
        "    lazy.append([r.total_params, r.active_params, list(m.warnings)])\n"
        "pm.reset(); pm.load_families(); pm.load_model_types()\n"
        "full = counts()\n"
        "print(json.dumps([[f, a, b] for f, a, b in zip(folders, lazy, full) if a != b]))"
    )
    assert out == "[]"


def test_trusted_blocks_equal_validated_ones():
    kwargs = dict(name="attn", d_model=64, n_heads=4, fused_qkv=True, names={"qkv": "c_attn"})
    validated = Attention(**kwargs)
    with trusted_blocks():
        trusted = Attention(**kwargs)
    assert trusted == validated and trusted.model_dump() == validated.model_dump()
    assert trusted.model_fields_set == validated.model_fields_set
    assert trusted.children() == validated.children()


def test_trusted_blocks_keep_cross_field_rules_and_refuse_unknown_keys():
    with trusted_blocks():
        with pytest.raises(FieldError, match="n_heads"):
            Attention(d_model=10, n_heads=3)  # a model validator still runs
        with pytest.raises(FieldError, match="active"):
            Repeat(count=2, active=3)
        with pytest.raises(ValueError, match="extra"):
            Linear(in_features=2, out_features=3, bias_nam="x")  # an unknown key: validated, and refused
        with pytest.raises(ValueError, match="missing|required"):
            Linear(in_features=2)  # a missing field: validated, and refused


def test_blocks_outside_the_trusted_context_are_validated():
    with pytest.raises(ValueError):
        Linear(in_features=0, out_features=3)
    with trusted_blocks():
        pass
    with pytest.raises(ValueError):
        LayerNorm(dim=-1)


LEAVES = st.one_of(
    st.builds(Linear, name=st.sampled_from(["a", "b"]), in_features=st.integers(1, 9), out_features=st.integers(1, 9),
              bias=st.booleans(), component=st.sampled_from(["attention", "head", "other"]),
              tied_to=st.sampled_from([None, "x.weight"])),
    st.builds(LayerNorm, name=st.just("n"), dim=st.integers(1, 9), bias=st.booleans()),
    st.builds(Parameter, name=st.just("p"), shape=st.lists(st.integers(1, 5), max_size=3).map(tuple)),
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(LEAVES, min_size=1, max_size=6))
def test_arithmetic_tallies_equal_tallies_of_tensors(leaves):
    by_shape = Tally()
    for leaf in leaves:
        leaf.add_to(by_shape)
    by_tensors = Tally.of_tensors(t for leaf in leaves for t in leaf.tensors())
    for slot in Tally.__slots__:
        if not slot.startswith("_"):
            assert getattr(by_shape, slot) == getattr(by_tensors, slot), slot


def test_layer_rows_are_computed_when_asked_and_json_keys_stay():
    (model,) = registry.load(SPECS / "gpt2-xl.toml")
    report = registry.count(model)
    assert "_layers" not in report.__dict__
    assert [row.label for row in report.layers][:3] == ["wte", "wpe", "h.0 … h.47 (×48)"]
    assert list(report.to_dict()) == [
        "name", "family", "source", "total_params", "active_params", "total_with_ties", "non_embedding_params",
        "non_embedding_params_excluding_head", "active_params_excluding_embedding", "mtp_params", "include_mtp",
        "reported_params", "reported_diff_pct", "training_tokens", "components", "components_active", "by_kind",
        "parts", "parts_active", "layers", "ignored_fields", "notes",
    ]  # fmt: skip


# --------------------------------------------------------------------------- the quick tree check

NAMES = st.sampled_from(["a", "b", "0", "1", "a.b", "a.0", "", "w"])


def _leaf(draw) -> object:
    kind = draw(st.sampled_from(["linear", "norm", "param"]))
    name = draw(NAMES)
    if kind == "linear":
        tied = draw(st.sampled_from([None, "a.weight", "b.weight", "a.0.weight", "w.weight", "0.a.weight"]))
        return Linear(name=name, in_features=draw(st.integers(1, 3)), out_features=draw(st.integers(1, 3)),
                      bias=draw(st.booleans()), tied_to=tied)  # fmt: skip
    if kind == "norm":
        return LayerNorm(name=name, dim=draw(st.integers(1, 3)))
    return Parameter(name=name or "p", shape=(draw(st.integers(1, 3)),))


@st.composite
def trees(draw, depth: int = 0) -> object:
    kind = draw(st.sampled_from(["leaf", "leaf", "module", "repeat"] if depth < 3 else ["leaf"]))
    if kind == "leaf":
        return _leaf(draw)
    kids = draw(st.lists(trees(depth + 1), min_size=1, max_size=3))
    if kind == "module":
        return Module(name=draw(NAMES), blocks=kids)
    return Repeat(name=draw(NAMES), count=draw(st.integers(1, 3)), start=draw(st.integers(0, 2)),
                  stride=draw(st.integers(1, 2)), blocks=kids)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(trees(), min_size=1, max_size=4))
def test_quick_tree_check_never_passes_a_tree_the_exact_check_refuses(blocks):
    import registry.blocks.tree_check as tree_check
    from registry.blocks.tree_quick import clearly_sound

    root = Module(blocks=blocks)
    quick = clearly_sound(root)
    original = tree_check.clearly_sound
    tree_check.clearly_sound = lambda root: False  # the exact check alone
    try:
        exact = tree_check.tree_problem(root)
    finally:
        tree_check.clearly_sound = original
    if quick:
        assert exact is None


def test_quick_tree_check_passes_every_shipped_spec_the_exact_check_passes_mostly():
    from registry.blocks.tree_quick import clearly_sound

    models = [m for path in sorted(SPECS.glob("*.toml")) for m in registry.load(path)]
    sound = [m.name for m in models if clearly_sound(m.architecture)]
    assert len(sound) >= len(models) * 3 // 4  # the fast path is the common path


def test_family_built_feed_forward_keeps_its_rule():
    with trusted_blocks(), pytest.raises(FieldError, match="needs gated"):
        FeedForward(d_model=4, d_ff=8, fused_gate_up=True)
