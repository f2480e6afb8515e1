"""The alias rule of model-type rows, written once (registry/sources/rows.py), for every built-in type.

transformers' ``attribute_map`` gives some fields two spellings (GPT-J's ``n_embd`` and
``hidden_size``). A config may give either; one that gives both with the same value counts as
the published file does; one that gives both with different values is refused, naming both
(transformers keeps whichever comes last in the file: nothing we could count exactly).
"""

from __future__ import annotations

import json

import pytest

import registry
from registry.errors import SpecError
from registry.plugin_manager import load_model_types
from registry.contracts import short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.sources.hf_config import import_config
from tests._hf_configs import composites, sub_configs
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"


def _published() -> dict[str, dict]:
    """One published config per model type (the first folder, by name), a composite's sub-configs as configs
    of their own (written with their type's class)."""
    found: dict[str, dict] = {}
    known = composites()
    for path in sorted(CONFIGS.glob("*/config.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found.setdefault(data.get("model_type"), data)
        for name, sub in sub_configs(data, known).items():
            if sub:
                cls = load_model_types().get(name).classes[0]
                found.setdefault(name, {**sub, "architectures": [cls]})
    return found


PUBLISHED = _published()
#: (model type, the spellings of one field) for every built-in type whose row reads an aliased field.
ALIASED = sorted(
    {(m.name, group) for m in load_model_types().items.values() if m.origin.startswith("built-in")
     for group in m.spellings.values() if "." not in "".join(group)}
)  # fmt: skip


def _value(data: dict, group: tuple[str, ...], model_type: str = "") -> int | bool:
    """The published value of the field, under whichever spelling the file uses (else transformers' default
    when it is true or false, as LFM2's tie_embedding; else a small number)."""
    given = next((data[n] for n in group if isinstance(data.get(n), int)), None)
    if given is not None:
        return given
    default = next((DEFAULTS.get(model_type, {}).get(n) for n in group if n in DEFAULTS.get(model_type, {})), None)
    return default if isinstance(default, bool) else 2


def _other(value: int | bool) -> int | bool:
    """A value of the same kind that disagrees with ``value``."""
    return (not value) if isinstance(value, bool) else value + 1


@pytest.mark.parametrize("model_type, group", ALIASED, ids=[f"{t}-{'|'.join(g)}" for t, g in ALIASED])
def test_two_spellings_that_disagree_are_refused_naming_both(tmp_path, model_type, group):
    data = {k: v for k, v in PUBLISHED[model_type].items() if k not in group}
    value = _value(PUBLISHED[model_type], group, model_type)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**data, group[0]: value, group[1]: _other(value)}, indent=2))
    with pytest.raises(SpecError) as info:
        import_config(path)
    shown = short_value(value)  # as the message writes it
    assert info.value.location == group[1] and f"disagrees with {group[0]} ({shown})" in info.value.message


@pytest.mark.parametrize("model_type, group", ALIASED, ids=[f"{t}-{'|'.join(g)}" for t, g in ALIASED])
def test_two_spellings_that_agree_count_as_the_published_file(tmp_path, model_type, group):
    """Reference: the published config as written (tests/test_model_types.py checks it against transformers)."""
    published = PUBLISHED[model_type]
    value = _value(published, group, model_type)
    if not any(n in published for n in group):
        pytest.skip(f"the published {model_type} config leaves the field to its default")
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**published, **{n: value for n in group}}, indent=2))
    original = tmp_path / "published.json"
    original.write_text(json.dumps(published, indent=2))
    (both,), (alone,) = registry.load(path), registry.load(original)
    assert registry.count(both).total_params == registry.count(alone).total_params


def test_the_alias_rule_covers_the_types_that_used_to_resolve_silently():
    """GPT-J and BART (and T5, GPT-BigCode, BLOOM) resolved two spellings silently before the rows;
    DistilBERT and OLMoE refused: all refuse now, through the one rule."""
    types = {t for t, _ in ALIASED}
    assert {"gptj", "bart", "t5", "gpt_bigcode", "bloom", "distilbert", "olmoe"} <= types


def test_per_layer_overrides_are_refused_where_no_row_reads_them(tmp_path):
    """transformers 5.25 lets any config carry ``per_layer_config`` (layer index -> overrides); Llama's model reads
    one value for every layer, so transformers refuses a config that overrides one (reference: ``LlamaForCausalLM``
    on the meta device raises its AmbiguousGlobalPerLayerAttributeError). registry refuses it in one line too,
    naming the field; an empty table (what ``to_dict`` writes for no overrides) counts as the file without it."""
    import torch

    from tests._hf_configs import quiet_transformers

    transformers = quiet_transformers()
    data = json.loads((CONFIGS / "llama-3.2-1b" / "config.json").read_text())
    overrides = {"1": {"intermediate_size": 16}}
    config = transformers.LlamaConfig(**{**data, "num_hidden_layers": 2, "per_layer_config": overrides})
    with pytest.raises(RuntimeError, match="per-layer attribute"), torch.device("meta"):
        transformers.LlamaForCausalLM(config)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**data, "per_layer_config": overrides}))
    with pytest.raises(SpecError, match="per_layer_config: .* per-layer overrides are not modelled for model_type 'llama'"):
        registry.load(path)
    path.write_text(json.dumps({**data, "per_layer_config": {}}))
    (empty,) = registry.load(path)
    (published,) = registry.load(CONFIGS / "llama-3.2-1b" / "config.json")
    assert registry.count(empty).total_params == registry.count(published).total_params
