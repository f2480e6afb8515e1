"""Every catalogue spec that cites a published config.json we keep is that config, counted exactly.

A spec's ``source`` names the Hugging Face repository of the config it was written from; the
config itself is in ``tests/configs/<folder>/`` (its ``SOURCE`` names the same repository). The
reference is transformers' model of that config, built on the meta device: the spec's total and
active counts must equal it (active: the routed experts' ``top_k / n_experts`` share, as
tests/_hf_configs.py computes it). Where the spec cites the model card's figure
(``reported_params``), the count is within 5% of it (cards round: "14.7B").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import registry
from registry.plugin_manager import load_model_types
from tests._hf_configs import quiet_transformers, reference_counts, top_k_of

ROOT = Path(__file__).resolve().parent.parent
SPECS, CONFIGS = ROOT / "specs", ROOT / "tests" / "configs"
_REPO = re.compile(r"https://huggingface\.co/([^/\s]+/[^/\s]+)/(?:blob|resolve|raw)/")


def _repo(text: str) -> str | None:
    match = _REPO.search(text)
    return match.group(1).lower() if match else None


def _pairs() -> dict[str, str]:
    """spec name -> config folder, where the spec's source repository is the config's."""
    folders = {_repo((d / "SOURCE").read_text()): d.name for d in sorted(CONFIGS.iterdir()) if (d / "SOURCE").is_file()}
    folders.pop(None, None)  # configs built from transformers' defaults cite no repository
    pairs = {}
    for spec in sorted(SPECS.glob("*.toml")):
        found = re.search(r'^source = "([^"]*)"', spec.read_text(), re.M)
        repo = _repo(found.group(1)) if found else None
        if repo in folders and "[[models]]" not in spec.read_text():
            pairs[spec.stem] = folders[repo]
    return pairs


#: Specs citing a kept config that this test cannot take as it is, and where they are checked instead.
CHECKED_ELSEWHERE = {
    "bert-base-uncased": "counts BertModel (the paper's 110M), the config names BertForMaskedLM: tests/test_published_counts.py",
    "mistral-small-3.1-24b-instruct": "counts the checkpoint's untied head, which transformers 5.25 ties for this config: "
                                      "tests/test_composite.py",
    "dbrx": "its routed experts are not named '.experts.' in transformers: tests/test_types_deepseek_dbrx.py",
    "snowflake-arctic": "remote code, no transformers class: tests/test_families_modern.py",
    "phi-4-multimodal-instruct": "its config is remote code (phi4mm), counted as transformers' conversion of it; the "
                                 "card's 5.6B holds LoRA adapters transformers loads apart: tests/test_phi4mm.py",
    "llama-4-scout-17b-16e-instruct": "its repository's text_config is kept apart too (llama-4-scout-text), which the "
                                      "pairing takes: tests/test_composite_xattn.py",
}
PAIRS = {spec: folder for spec, folder in _pairs().items() if spec not in CHECKED_ELSEWHERE}


def test_the_catalogue_cites_published_configs():
    """The catalogue's released models (not paper tables) are backed by the configs they cite."""
    assert len(PAIRS) >= 60, sorted(PAIRS)


@pytest.mark.parametrize("spec", sorted(PAIRS))
def test_spec_equals_transformers_for_the_config_it_cites(spec):
    transformers = quiet_transformers()
    data = json.loads((CONFIGS / PAIRS[spec] / "config.json").read_text())
    fields = {k: v for k, v in data.items() if k != "model_type"}
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict(fields)
    if not getattr(config, "architectures", None):  # registry counts the type's usual class (and warns): so does the test
        config.architectures = [load_model_types().get(data["model_type"]).classes[0]]
    try:
        expected = reference_counts(config, top_k_of(config))
    except AttributeError:  # a class transformers does not have (remote code): checked elsewhere
        pytest.skip(f"transformers has no class {config.architectures[0]}")
    (model,) = registry.load(SPECS / f"{spec}.toml")
    report = registry.count(model)
    assert (report.total_params, report.active_params) == expected
    if report.reported_params is not None:
        assert abs(report.reported_diff_pct) < 5
