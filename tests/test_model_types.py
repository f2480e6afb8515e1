"""Every mapped Hugging Face model type, checked against transformers and published configs.

- Every config in ``tests/configs/<name>/config.json`` is a published file, kept as it was
  published (shape-free extras included; ``SOURCE`` beside it says where it comes from).
  ``registry count`` of it, and ``import-hf`` followed by ``count``, equal the parameters of
  transformers' model of the config's class, built on the meta device.
- The block tree of every published config passes the strict checks a third-party family's tree passes.
- Every field of transformers' configuration class of each mapped model type is classified:
  read by the mapping for a shape, declared shape-free by it, or common to every config.
- Every built-in model type has at least one published config here, on its own or as a sub-config of a
  published composite config (a vision-language model's ``vision_config``, ``text_config``).
- The core (``registry/``) names no model type in its code: families and their mappings
  come from plugins.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from huggingface_hub.errors import StrictDataclassError

import registry
from registry.cli import main
from registry.errors import SpecError
from registry.sources.hf_config import CORE_FIELDS
from registry.contracts import COMMON_SHAPE_FREE
from registry.contracts import ConfigReader
from registry.plugin_manager import load_model_types
from tests._hf_configs import composites, meta_model, quiet_transformers, sub_configs
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: The published configs, one folder each.
FOLDERS = sorted(p.parent.name for p in CONFIGS.glob("*/config.json"))
#: Model types mapped by remote code that transformers does not ship, and the test that names their reference.
REMOTE_CODE = {"arctic": "tests/test_families_modern.py (its card)",
               "phi4mm": "tests/test_phi4mm.py (transformers' model of its converted config)"}
BUILT_IN = sorted(name for name, m in load_model_types().items.items() if m.origin.startswith("built-in"))
IN_TRANSFORMERS = [name for name in BUILT_IN if name not in REMOTE_CODE]


def _data(folder: str) -> dict:
    return json.loads((CONFIGS / folder / "config.json").read_text(encoding="utf-8"))


def _class_of(data: dict) -> str:
    architectures = data.get("architectures")
    return architectures[0] if architectures else load_model_types().get(data["model_type"]).classes[0]


def _transformers_config(data: dict):
    """transformers' configuration object of a config.json's data (as ``from_pretrained`` reads it)."""
    transformers = quiet_transformers()
    config_class = transformers.CONFIG_MAPPING[data["model_type"]]
    config = config_class.from_dict({k: v for k, v in data.items() if k != "model_type"})
    config.architectures = [_class_of(data)]
    return config


_COMPOSITES = composites()
#: Every model type a published config holds: its own, and its sub-configs' (a composite's towers).
PUBLISHED_TYPES = {t for f in FOLDERS for t in (_data(f).get("model_type"), *sub_configs(_data(f), _COMPOSITES))}


def test_every_published_config_has_its_source():
    assert FOLDERS, "no published configs in tests/configs"
    for folder in FOLDERS:
        source = CONFIGS / folder / "SOURCE"
        assert source.is_file() and source.read_text().strip(), f"tests/configs/{folder} has no SOURCE"


@pytest.mark.parametrize("model_type", BUILT_IN)
def test_every_built_in_model_type_has_a_published_config(model_type):
    assert model_type in PUBLISHED_TYPES, (
        f"no published config of model_type {model_type!r} in tests/configs"
    )


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_config_counts_as_transformers_builds_it(folder, tmp_path, capsys):
    """Reference: ``sum(p.numel() for p in model.parameters())`` of transformers' model of the
    config's class on the meta device; both routes (count config.json, import-hf then count)."""
    data = _data(folder)
    if data["model_type"] in REMOTE_CODE:
        pytest.skip(f"{data['model_type']} is remote code: {REMOTE_CODE[data['model_type']]} checks it")
    path = CONFIGS / folder / "config.json"
    (model,) = registry.load(path)
    report = registry.count(model)
    expected = sum(p.numel() for p in meta_model(_transformers_config(data)).parameters())
    assert report.total_params == expected
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(path), "-o", str(spec)]) == 0
    (imported,) = registry.load(spec)
    assert registry.count(imported).total_params == expected
    capsys.readouterr()


def test_every_published_config_builds_a_tree_that_passes_the_strict_checks():
    """The built-in families build their blocks without validation (``trusted_blocks``); the trees of every
    published config must still pass the checks a third-party family's tree passes (each block validated again in
    strict mode: whole, non-negative sizes, a component the report knows; an unknown component would drop its
    tensors out of the component table)."""
    from registry.blocks.strict import untrusted_problem

    problems = {}
    for folder in FOLDERS:
        (model,) = registry.load(CONFIGS / folder / "config.json")
        if (problem := untrusted_problem(model.architecture)) is not None:
            problems[folder] = problem
    assert not problems, problems


def _fields_read(model_type: str, data: dict) -> set[str]:
    """The fields the mapping of ``model_type`` reads from ``data`` (as far as it gets)."""
    mapping = load_model_types().get(model_type)
    cfg = ConfigReader(data, f"<{model_type}>")
    try:
        mapping.map(cfg, _class_of({**data, "model_type": model_type}))
    except SpecError:
        pass  # a default config may lack a required field; the published ones read the rest
    return cfg.read


@pytest.mark.parametrize("model_type", IN_TRANSFORMERS)
def test_every_field_of_the_configuration_class_is_classified(model_type):
    """Reference: the keys of transformers' ``<Type>Config().to_dict()`` (where transformers refuses its own
    defaults, as Gemma4AssistantConfig's default text config, those of its configuration of a published config):
    each is read for a shape by the mapping (on the defaults or on a published config), or declared to change no shape."""
    transformers = quiet_transformers()
    try:
        defaults = transformers.CONFIG_MAPPING[model_type]().to_dict()
    except StrictDataclassError:
        published = [_data(f) for f in FOLDERS if _data(f).get("model_type") == model_type]
        if not published:
            raise
        defaults = _transformers_config(published[0]).to_dict()
    mapping = load_model_types().get(model_type)
    read = _fields_read(model_type, {**defaults, "architectures": None})
    for folder in FOLDERS:
        data = _data(folder)
        if data.get("model_type") == model_type:
            read |= _fields_read(model_type, data)
    classified = read | mapping.shape_free | COMMON_SHAPE_FREE | CORE_FIELDS
    unclassified = sorted(set(defaults) - classified)
    assert not unclassified, f"{model_type}: fields neither read nor declared shape-free: {', '.join(unclassified)}"


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module's code, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


#: Model types whose name is also a plain word the core uses in its own meaning (``encoder-decoder``: an audio plan's
#: role and a family's name, and transformers' generic ``EncoderDecoderModel`` type).
_PLAIN_WORDS = frozenset({"encoder-decoder"})


def test_the_core_names_no_model_type():
    names = {name.lower() for name in load_model_types().items} - _PLAIN_WORDS
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in sorted((ROOT / "registry").rglob("*.py"))
        for line, value in _code_strings(path)
        if value.lower() in names
    ]
    assert not found, "model types named in the core: " + "; ".join(found)


def test_an_unmapped_model_type_is_refused_with_the_routes_a_user_can_take(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "llamma", "architectures": ["LlamaForCausalLM"]}))
    assert main(["count", str(path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"{path}:1: model_type: 'llamma' is not mapped by any installed plugin (did you mean llama" in line
    assert "registry families" in line and "[[blocks]]" in line and "docs/plugins.md" in line
