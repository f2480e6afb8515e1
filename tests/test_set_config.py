"""``--set`` on a config.json takes the config's own field names (issue 19, point 1).

Reference: transformers' model of the changed config, built on the meta device
(``sum(p.numel() for p in model.parameters())``). Family hyper-parameter names still work
as over a spec; a name that is neither is refused with the closest names of both kinds.
"""

from __future__ import annotations

import json

import pytest

from registry.cli import main
from tests._hf_configs import meta_model, quiet_transformers
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"


def _count(capsys, *argv: str) -> tuple[int, list, str]:
    code = main(["count", "--format", "json", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else [], err


def _reference(folder: str, **changes) -> int:
    """Parameters of transformers' model of ``tests/configs/<folder>`` with ``changes`` applied to its fields."""
    transformers = quiet_transformers()
    data = {**json.loads((CONFIGS / folder / "config.json").read_text()), **changes}
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict({k: v for k, v in data.items() if k != "model_type"})
    return sum(p.numel() for p in meta_model(config).parameters())


def test_a_config_field_changes_the_config_before_mapping(capsys):
    code, (row,), _ = _count(capsys, str(CONFIGS / "llama-3.2-1b" / "config.json"), "--set", "num_hidden_layers=6",
                             "--set", "intermediate_size=4096")  # fmt: skip
    assert code == 0 and row["total_params"] == _reference("llama-3.2-1b", num_hidden_layers=6, intermediate_size=4096)
    assert row["name"].endswith("[num_hidden_layers=6,intermediate_size=4096]")


def test_family_hyper_parameters_still_work_on_a_config(capsys):
    code, (row,), _ = _count(capsys, str(CONFIGS / "llama-3.2-1b" / "config.json"), "--set", "n_layers=6")
    assert code == 0 and row["total_params"] == _reference("llama-3.2-1b", num_hidden_layers=6)


def test_one_spelling_of_an_aliased_field_replaces_the_other(capsys):
    """GPT-J's config writes n_embd; --set hidden_size (its attribute_map alias) replaces it."""
    code, (row,), _ = _count(capsys, str(CONFIGS / "gpt-j-6b" / "config.json"), "--set", "hidden_size=2048")
    assert code == 0 and row["total_params"] == _reference("gpt-j-6b", n_embd=2048)


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("num_hiden_layers=6", "--set num_hiden_layers: neither a field of model_type 'llama' that registry reads nor "
                               "a hyper-parameter of family 'llama'; did you mean num_hidden_layers or n_layers"),
        ("num_hidden_layers=4.5", "--set num_hidden_layers: must be a whole number (got 4.5)"),
        ("num_hidden_layers=0", "--set num_hidden_layers: must be >= 1 (got 0)"),
    ],
)  # fmt: skip
def test_a_bad_name_or_value_is_one_line_naming_the_option(capsys, assignment, message):
    code, _, err = _count(capsys, str(CONFIGS / "llama-3.2-1b" / "config.json"), "--set", assignment)
    assert code == 2 and err.splitlines()[-1].startswith(f"registry count: {message}"), err
