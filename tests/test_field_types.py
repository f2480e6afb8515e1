"""A config.json value of a type transformers refuses is refused (registry/sources/field_types.py).

Reference: transformers 5.25's configuration classes, which are huggingface_hub strict dataclasses:
``CONFIG_MAPPING[model_type].from_dict(data)`` (what ``from_pretrained`` does with a config.json)
raises for a field whose value is not of its annotated type. Every verdict registry gives here is
compared with that one; none is copied from registry's own output.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import warnings

import pytest

from registry.errors import SpecError
from registry.sources.field_types import describe, field_types, matches, nested_part
from registry.sources.hf_config import map_config
from tests.conftest import ROOT

transformers = pytest.importorskip("transformers")

FOLDERS = sorted(p.parent for p in (ROOT / "tests" / "configs").glob("*/config.json"))
#: Values of every JSON kind; each field gets those its type refuses.
CANDIDATES = ["x", 1, 1.5, True, None, [1], ["x"], {"a": 1}]


def _transformers_accepts(data: dict) -> bool:
    from transformers import CONFIG_MAPPING

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            CONFIG_MAPPING[data["model_type"]].from_dict(copy.deepcopy(data))
        except Exception:  # noqa: BLE001 - any refusal is a refusal
            return False
    return True


def _nested_type(data: dict, key: str) -> str:
    """The table entry a nested configuration is checked as: the one its field names, else its model_type."""
    part = nested_part(field_types(data["model_type"])[key])
    own = data[key].get("model_type")
    return part[1] or (own if isinstance(own, str) else "")


def _fields(data: dict) -> list[tuple[str, ...]]:
    """The paths of the typed fields a config sets, nested configurations' fields included."""
    types = field_types(data["model_type"])
    found = []
    for key, spec in types.items():
        if key not in data:
            continue
        found.append((key,))
        part = nested_part(spec)
        if isinstance(data[key], dict) and part is not None and key + "_dict" not in data:
            skip = part[2] if len(part) > 2 else []
            found += [(key, k) for k in field_types(_nested_type(data, key)) if k in data[key] and k not in skip]
    return found


def _pick(folder, fields: list, n: int) -> list:
    """``n`` of ``fields``, the same ones on every run (a hash of the folder's name)."""
    seed = int(hashlib.sha256(folder.name.encode()).hexdigest(), 16)
    return [fields[(seed >> (8 * i)) % len(fields)] for i in range(n)] if fields else []


def _set(data: dict, path: tuple[str, ...], value) -> dict:
    mutant = copy.deepcopy(data)
    node = mutant
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return mutant


def _spec(data: dict, path: tuple[str, ...]):
    if len(path) == 1:
        return field_types(data["model_type"])[path[0]]
    return field_types(_nested_type(data, path[0]))[path[1]]


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_a_wrong_type_is_refused_where_transformers_refuses_it(folder):
    """For three fields of each published config: every value registry refuses, transformers refuses too
    (never stricter), and registry names the field; the published config itself passes both."""
    data = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    from transformers import CONFIG_MAPPING

    if data.get("model_type") not in CONFIG_MAPPING or not field_types(data["model_type"]):
        pytest.skip("transformers does not type this model type's configuration")
    if data.get("use_timm_backbone"):
        pytest.skip("transformers' config fetches the timm backbone's configuration from the Hub")
    assert _transformers_accepts(data)
    refused = 0
    for path in _pick(folder, _fields(data), 3):
        spec = _spec(data, path)
        for value in CANDIDATES:
            if matches(value, spec):
                continue
            mutant = _set(data, path, value)
            assert not _transformers_accepts(mutant), (path, value, spec)
            with pytest.raises(SpecError) as caught:
                map_config(mutant, "config.json")
            refused += 1
            message = str(caught.value)
            # the first field refused may be another one the value broke (a nested config's own model_type)
            assert ".".join(path) in message or "as transformers" not in message, message
    assert refused or not _fields(data)


def test_every_typed_field_of_one_config_agrees_with_transformers():
    """All fields of Llama-2-7B's config, every candidate value: each value registry refuses, naming the field,
    transformers refuses too (transformers may refuse more: its classes' own validators, which registry's rows
    check where a shape depends on them)."""
    data = json.loads((ROOT / "tests" / "configs" / "llama-2-7b" / "config.json").read_text(encoding="utf-8"))
    for path in _fields(data):
        for value in CANDIDATES:
            mutant = _set(data, path, value)
            ours = matches(value, _spec(data, path))
            if not ours:
                with pytest.raises(SpecError, match=path[-1]):
                    map_config(mutant, "config.json")
            assert ours or not _transformers_accepts(mutant), (path, value)


def test_the_refusal_is_one_line_naming_file_line_and_field(cli, tmp_path):
    data = json.loads((ROOT / "tests" / "configs" / "llama-2-7b" / "config.json").read_text(encoding="utf-8"))
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**data, "attention_dropout": "0.1"}, indent=2))
    result = cli("count", str(path))
    assert result.code == 2 and result.out == ""
    line = result.err.strip()
    assert "\n" not in line
    number = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if '"attention_dropout"' in text)
    assert line.endswith(f"{path}:{number}: attention_dropout: must be a number or null, as transformers "
                         f"{transformers.__version__} types it (got the text '0.1')"), line  # fmt: skip


@pytest.mark.parametrize(
    "field, value, said",
    [
        ("initializer_range", 1, "must be a decimal number (such as 1.0), as transformers"),
        ("hidden_act", 3, "must be a string"),
        ("tie_word_embeddings", 0, "must be true or false"),
        ("eos_token_id", [2, "x"], "must be a whole number or a list of whole numbers or null"),
        ("pretraining_tp", 1.0, "must be a whole number or null"),
    ],
)
def test_wrong_types_of_fields_no_shape_depends_on(field, value, said):
    data = json.loads((ROOT / "tests" / "configs" / "llama-2-7b" / "config.json").read_text(encoding="utf-8"))
    mutant = {**data, field: value}
    assert not _transformers_accepts(mutant)
    with pytest.raises(SpecError) as caught:
        map_config(mutant, "config.json")
    assert field in str(caught.value) and said in str(caught.value)


def test_nested_configurations_are_checked_as_their_own_model_type():
    data = json.loads((ROOT / "tests" / "configs" / "llava-1.5-7b-hf" / "config.json").read_text(encoding="utf-8"))
    for path in (("text_config", "hidden_act"), ("vision_config", "layer_norm_eps")):
        mutant = _set(data, path, 3)
        assert not _transformers_accepts(mutant)
        with pytest.raises(SpecError, match=rf"{'.'.join(path)}: must be"):
            map_config(mutant, "config.json")


@pytest.mark.parametrize(
    "spec, words",
    [
        ("int", "a whole number"),
        (["or", "float", "int", "none"], "a number or null"),
        (["list", "str"], "a list of strings"),
        (["or", ["list", "any"], "none"], "a list or null"),
        (["dict", "str", "int"], "an object of whole numbers"),
        (["lit", "cls", "mean"], 'one of "cls", "mean"'),
    ],
)
def test_types_in_words(spec, words):
    assert describe(spec) == words


def test_matches_follows_huggingface_hubs_strict_check():
    """huggingface_hub.dataclasses.type_validator on the same values and annotations."""
    from huggingface_hub.dataclasses import type_validator

    cases = [("int", int), ("float", float), ("bool", bool), ("str", str), (["or", "int", "none"], int | None),
             (["list", "int"], list[int]), (["dict", "str", "int"], dict[str, int]), (["or", "float", "int"], float | int)]  # fmt: skip
    for spec, annotation in cases:
        for value in [*CANDIDATES, 0, -3, 2.0, False, [], {}, [1, 2.0], {"a": "b"}]:
            try:
                type_validator("field", value, annotation)
                theirs = True
            except TypeError:
                theirs = False
            assert matches(value, spec) == theirs, (spec, value)


def test_the_generated_table_is_what_the_script_writes_from_the_pinned_transformers():
    """plugins/generated_field_types.py is what scripts/generate_defaults.py computes from the pinned
    transformers for the model types of plugins/generated_defaults.py (re-run it after moving the pin)."""
    spec = importlib.util.spec_from_file_location("generate_defaults", ROOT / "scripts" / "generate_defaults.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    from registry.plugins import generated_field_types as table
    from registry.plugins.generated_defaults import DEFAULTS

    assert table.TRANSFORMERS_VERSION == transformers.__version__
    expected = json.loads(json.dumps(script.field_type_table(sorted(DEFAULTS))))
    assert {name: json.loads(text) for name, text in table.FIELD_TYPES.items()} == expected
