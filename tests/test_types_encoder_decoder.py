"""The ``t5`` and ``bart`` model types and the ``encoder-decoder`` family, against transformers.

Reference everywhere: transformers' model of the config's class built on the meta device,
``sum(p.numel() for p in model.parameters())`` (ties once) and
``named_parameters(remove_duplicate=False)`` (every use, and the tensor names). The config
object is what ``from_pretrained`` reads: ``<Type>Config.from_dict`` of the very file registry
counts, so aliases (``hidden_size`` …), ``is_gated_act`` and T5's forced tying act the same on
both sides. Published figures are cited where a spec is compared with one.

Random small configs of these model types and their refusals: one row each in
tests/types_table.py (checked by tests/test_types_table.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import registry
from registry.cli import main
from registry.sources.hf_config import import_config
from registry.analyses.report import iter_tensors
from tests._hf_configs import quiet_transformers
from tests.conftest import ROOT, SPECS

CONFIGS = ROOT / "tests" / "configs"

#: The class transformers 5 builds for a name in ``architectures`` (T5WithLMHeadModel is an old name).
BUILT_AS = {"T5WithLMHeadModel": "T5ForConditionalGeneration"}


def reference(data: dict, architecture: str | None = None):
    """transformers' model of ``data`` (a config.json's content) on the meta device."""
    import torch

    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict(
        {k: v for k, v in data.items() if k != "model_type"}
    )
    name = architecture or data["architectures"][0]
    with torch.device("meta"):
        return getattr(transformers, BUILT_AS.get(name, name))(config)


def counts(model) -> tuple[int, int]:
    """(parameters with ties once, parameters at every use)."""
    return (sum(p.numel() for p in model.parameters()),
            sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False)))  # fmt: skip


def ours(path: Path) -> registry.Report:
    (model,) = registry.load(path)
    return registry.count(model)


def write(tmp: Path, data: dict) -> Path:
    path = tmp / "config.json"
    path.write_text(json.dumps(data, indent=2))
    return path


# --------------------------------------------------------------------------- published configs and specs

PUBLISHED = ["t5-base", "flan-t5-base", "bart-base", "bart-large"]


@pytest.mark.parametrize("folder", PUBLISHED)
@pytest.mark.parametrize("architecture", ["conditional_generation", "model"])
def test_published_configs_for_each_class(tmp_path, folder, architecture):
    """Each published config, as its conditional-generation class and as the bare model, with ties."""
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    prefix = "T5" if data["model_type"] == "t5" else "Bart"
    cls = f"{prefix}ForConditionalGeneration" if architecture == "conditional_generation" else f"{prefix}Model"
    data["architectures"] = [cls]
    report = ours(write(tmp_path, data))
    assert (report.total_params, report.total_with_ties) == counts(reference(data))


@pytest.mark.parametrize(
    "spec, folder, cls, reported",
    [
        # Raffel et al. 2020, Section 3.1.1: 'about 220 million parameters'
        ("t5-base.toml", "t5-base", "T5ForConditionalGeneration", 220_000_000),
        # fairseq examples/bart/README.md: 'bart.base ... 140M'
        ("bart-base.toml", "bart-base", "BartForConditionalGeneration", 140_000_000),
    ],
)
def test_specs_equal_the_meta_count_of_the_config_they_cite(spec, folder, cls, reported):
    (model,) = registry.load(SPECS / spec)
    report = registry.count(model)
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    assert (report.total_params, report.total_with_ties) == counts(reference(data, cls))
    assert model.reported_params == reported
    assert abs(report.total_params - reported) / reported < 0.02


def test_flan_t5_untied_head_is_counted_as_transformers_5_builds_it(tmp_path, capsys):
    """transformers 5 ties T5's lm_head whatever tie_word_embeddings says (T5Config forces it true);
    a note says so. The spec switch tie_lm_head = false gives the count from_pretrained reaches for a
    checkpoint with its own lm_head.weight: the meta model with lm_head given a tensor of its own."""
    import torch

    path = CONFIGS / "flan-t5-base" / "config.json"
    data = json.loads(path.read_text())
    assert data["tie_word_embeddings"] is False
    model = reference(data)
    assert model.lm_head.weight is model.shared.weight
    assert ours(path).total_params == counts(model)[0]
    assert main(["count", str(path)]) == 0
    assert "tie_word_embeddings: false is not honoured by transformers 5" in capsys.readouterr().err
    imported = import_config(path)
    untied = registry.build_model("encoder-decoder", **{**imported.params, "tie_lm_head": False})
    model.lm_head.weight = torch.nn.Parameter(torch.empty_like(model.shared.weight))
    assert registry.count(untied).total_params == counts(model)[0] == 247_577_856


def test_bart_final_logits_bias_is_a_buffer_not_a_parameter():
    data = json.loads((CONFIGS / "bart-base" / "config.json").read_text())
    model = reference(data, "BartForConditionalGeneration")
    assert "final_logits_bias" in dict(model.named_buffers())
    assert "final_logits_bias" not in dict(model.named_parameters())
    (spec,) = registry.load(SPECS / "bart-base.toml")
    assert not any("final_logits_bias" in t.path for t in iter_tensors(spec.architecture))


def test_layer_rows_show_the_encoder_and_decoder_runs_apart():
    (t5,) = registry.load(SPECS / "t5-base.toml")
    labels = [row.label for row in registry.count(t5).layers]
    assert labels == [
        "shared", "encoder.embed_tokens", "encoder.block.0", "encoder.block.1 … encoder.block.11 (×11)",
        "encoder.final_layer_norm", "decoder.embed_tokens", "decoder.block.0",
        "decoder.block.1 … decoder.block.11 (×11)", "decoder.final_layer_norm", "lm_head",
    ]  # fmt: skip
    (bart,) = registry.load(SPECS / "bart-base.toml")
    labels = [row.label for row in registry.count(bart).layers]
    assert "model.encoder.layers.0 … model.encoder.layers.5 (×6)" in labels
    assert "model.decoder.layers.0 … model.decoder.layers.5 (×6)" in labels
    assert labels.index("model.decoder.embed_tokens") > labels.index("model.encoder.layers.0 … model.encoder.layers.5 (×6)")


def test_old_class_name_is_counted_as_t5_for_conditional_generation(tmp_path, capsys):
    data = json.loads((CONFIGS / "t5-base" / "config.json").read_text())
    data["architectures"] = ["T5WithLMHeadModel"]
    path = write(tmp_path, data)
    assert ours(path).total_params == counts(reference(data))[0]
    assert main(["count", str(path)]) == 0
    assert "T5WithLMHeadModel is the old name of T5ForConditionalGeneration" in capsys.readouterr().err


# --------------------------------------------------------------------------- refusals

BART = {"model_type": "bart", "architectures": ["BartModel"], "vocab_size": 100, "d_model": 16,
        "encoder_attention_heads": 4, "decoder_attention_heads": 2}  # fmt: skip


def test_transformers_refuses_what_registry_refuses():
    """The refusals above that are not range checks are configs transformers cannot build either."""
    transformers = quiet_transformers()
    with pytest.raises(Exception, match="is not a valid activation function"):  # huggingface_hub's strict validation
        transformers.T5Config(feed_forward_proj="fast-gelu")
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        reference({**BART, "encoder_attention_heads": 3})


def test_verify_ignores_bart_final_logits_bias_as_a_buffer(tmp_path, capsys):
    """A BART checkpoint stores the ``final_logits_bias`` buffer beside the parameters
    (transformers' BartForConditionalGeneration registers it with register_buffer):
    verify names it ignored, not extra."""
    from tests.safetensors_files import write_header

    (spec,) = registry.load(SPECS / "bart-base.toml")
    tensors = {t.path: ("F32", t.shape) for t in iter_tensors(spec.architecture) if t.tied_to is None}
    tensors["final_logits_bias"] = ("F32", (1, spec.params.vocab_size))
    path = write_header(tmp_path / "model.safetensors", tensors)
    assert main(["verify", "--format", "json", str(SPECS / "bart-base.toml"), str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in data["ignored"]] == ["final_logits_bias"] and not data["extra"]
