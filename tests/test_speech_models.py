"""The speech model types (whisper, wav2vec2, hubert, wavlm) beyond their random small configs: published
configs as every class, Whisper's tied head and frozen positions, the positional convolution's weight norm,
Whisper's fixed encoder length in memory and FLOPs, and verify's reading of weight_g / weight_v.

Reference everywhere: transformers' model of the config's class built on the meta device,
``sum(p.numel() for p in model.parameters())`` (ties once) and
``named_parameters(remove_duplicate=False)`` (every use, and the tensor names and shapes). The
config object is ``<Type>Config.from_dict`` of the very file registry counts. Random small configs
of these types and their refusals: one row each in tests/types_table.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import registry
from registry.analyses.report import iter_tensors
from registry.cli import main
from tests._hf_configs import quiet_transformers
from tests.conftest import ROOT
from tests.types_table import ROWS

CONFIGS = ROOT / "tests" / "configs"


def reference(data: dict, architecture: str | None = None):
    """transformers' model of ``data`` (a config.json's content) on the meta device."""
    import torch

    transformers = quiet_transformers()
    config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict(
        {k: v for k, v in data.items() if k != "model_type"}
    )
    with torch.device("meta"):
        return getattr(transformers, architecture or data["architectures"][0])(config)


def counts(model) -> tuple[int, int]:
    """(parameters with ties once, parameters at every use)."""
    return (sum(p.numel() for p in model.parameters()),
            sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False)))  # fmt: skip


def write(tmp: Path, data: dict) -> Path:
    path = tmp / "config.json"
    path.write_text(json.dumps(data, indent=2))
    return path


#: The classes of each speech model type: its row's in tests/types_table.py.
CLASSES = {row.model_type: row.classes for row in ROWS}


# --------------------------------------------------------------------------- published configs, each class


@pytest.mark.parametrize("folder, classes", [
    ("whisper-small", CLASSES["whisper"]), ("whisper-large-v3", CLASSES["whisper"]),
    ("wavlm-base-plus", CLASSES["wavlm"]),
])  # fmt: skip
def test_published_configs_for_each_class(tmp_path, folder, classes):
    """Each published config as every mapped class of its type: totals, names and shapes."""
    for cls in classes:
        data = {**json.loads((CONFIGS / folder / "config.json").read_text()), "architectures": [cls]}
        model = reference(data)
        (mine,) = registry.load(write(tmp_path, data))
        assert (registry.count(mine).total_params, registry.count(mine).total_with_ties) == counts(model), cls
        names = {t.path: t.shape for t in iter_tensors(mine.architecture)}
        assert names == {n: tuple(p.shape) for n, p in model.named_parameters(remove_duplicate=False)}, cls


def test_whisper_output_projection_is_tied_and_encoder_positions_are_parameters():
    """transformers ties proj_out to the decoder's token embedding; the encoder's sinusoidal positions
    are frozen (requires_grad false) but are parameters all the same."""
    data = json.loads((CONFIGS / "whisper-small" / "config.json").read_text())
    model = reference(data)
    assert model.proj_out.weight is model.model.decoder.embed_tokens.weight
    positions = model.model.encoder.embed_positions.weight
    assert not positions.requires_grad and "model.encoder.embed_positions.weight" in dict(model.named_parameters())
    (mine,) = registry.load(CONFIGS / "whisper-small" / "config.json")
    tensors = {t.path: t for t in iter_tensors(mine.architecture)}
    assert tensors["proj_out.weight"].tied_to == "model.decoder.embed_tokens.weight"
    assert tensors["model.encoder.embed_positions.weight"].shape == (1500, 768)


def test_positional_convolution_is_counted_as_its_weight_norm_parametrization():
    """PyTorch's weight norm registers the magnitude and direction (original0, original1) in place of
    the weight: those are what named_parameters() gives, and what registry names."""
    data = json.loads((CONFIGS / "wavlm-base-plus" / "config.json").read_text())
    params = dict(reference(data).named_parameters())
    conv = "encoder.pos_conv_embed.conv"
    assert f"{conv}.weight" not in params
    (mine,) = registry.load(CONFIGS / "wavlm-base-plus" / "config.json")
    tensors = {t.path: t.shape for t in iter_tensors(mine.architecture)}
    for name in ("parametrizations.weight.original0", "parametrizations.weight.original1", "bias"):
        assert tensors[f"{conv}.{name}"] == tuple(params[f"{conv}.{name}"].shape)


# --------------------------------------------------------------------------- memory: the encoder's fixed length


def test_whisper_cross_attention_keeps_the_1500_encoder_positions_of_a_30_s_window():
    """Hand computation from the published whisper-small config: every input is padded to 30 s
    (3,000 log-mel frames of 10 ms, transformers' WhisperFeatureExtractor), conv2's stride 2 halves
    them to max_source_positions = 1,500 encoder positions; each of the 12 decoder layers caches keys
    and values of d_model = 768 for them, in bf16: 12 x 2 x 768 x 1500 x 2 bytes. The decoder's own
    448 tokens (max_target_positions) add 12 x 2 x 768 x 448 x 2 bytes. --encoder-len overrides."""
    spec = ROOT / "specs" / "whisper-small.toml"
    report = registry.estimate_memory(spec, "bf16", seq_len=448)
    assert report.encoder_len == 1500
    assert report.kv_cache_bytes == 12 * 2 * 768 * 1500 * 2 + 12 * 2 * 768 * 448 * 2
    shorter = registry.estimate_memory(spec, "bf16", seq_len=448, encoder_len=750)
    assert shorter.encoder_len == 750
    assert shorter.kv_cache_bytes == 12 * 2 * 768 * 750 * 2 + 12 * 2 * 768 * 448 * 2
    data = json.loads((CONFIGS / "whisper-small" / "config.json").read_text())
    assert data["max_source_positions"] == 1500 and data["max_target_positions"] == 448
    bart = registry.estimate_memory(ROOT / "specs" / "bart-base.toml", "bf16", seq_len=100)
    assert bart.encoder_len == 100  # a model with no fixed encoder length: --seq-len, as before


def test_an_encoder_length_only_on_cross_attention():
    from registry.blocks import Attention

    with pytest.raises(ValueError, match="encoder_len"):
        Attention(d_model=8, n_heads=2, encoder_len=10)
    with pytest.raises(ValueError, match="k_bias"):
        Attention(d_model=8, n_heads=2, fused_qkv=True, k_bias=False)


def _frames(samples: int, kernels: list[int], strides: list[int]) -> int:
    """The positions a stack of unpadded convolutions keeps: floor((L - kernel) / stride) + 1 each."""
    for kernel, stride in zip(kernels, strides):
        samples = (samples - kernel) // stride + 1
    return samples


def test_audio_seconds_to_encoder_positions_as_docs_compute_says():
    """docs/compute.md (FLOPs, Audio): 49 positions for 1 s and 1,499 for 30 s of 16 kHz audio through
    wav2vec 2.0's feature encoder, the hand computation and transformers'
    ``_get_feat_extract_output_lengths`` alike; Whisper: 3,000 frames of 30 s halved to 1,500."""
    import torch

    data = json.loads((CONFIGS / "wav2vec2-base-960h" / "config.json").read_text())
    kernels, strides = data["conv_kernel"], data["conv_stride"]
    assert [_frames(16_000 * s, kernels, strides) for s in (1, 30)] == [49, 1499]
    lengths = reference(data)._get_feat_extract_output_lengths(torch.tensor([16_000, 480_000]))
    assert lengths.tolist() == [49, 1499]
    text = (ROOT / "docs" / "compute.md").read_text()
    assert "49 for 1 s, 1,499 for 30 s" in text and "runs over 1,500" in text
    whisper = json.loads((CONFIGS / "whisper-small" / "config.json").read_text())
    # conv2: kernel 3, stride 2, padding 1 over 3,000 frames: floor((3000 + 2 - 3) / 2) + 1
    assert (3000 + 2 * 1 - 3) // 2 + 1 == whisper["max_source_positions"] == 1500


def test_verify_reads_weight_g_and_weight_v_as_the_weight_norm_parametrization(tmp_path, capsys):
    """A checkpoint saved before PyTorch's parametrizations (the Hub's wav2vec 2.0 files) names the
    positional convolution's magnitude and direction weight_g and weight_v; verify matches them."""
    import torch
    from safetensors.torch import save_file

    data = {"model_type": "wav2vec2", "architectures": ["Wav2Vec2Model"], "hidden_size": 8, "num_attention_heads": 2,
            "num_hidden_layers": 1, "intermediate_size": 4, "conv_dim": [4], "conv_kernel": [3], "conv_stride": [2],
            "num_conv_pos_embeddings": 3, "num_conv_pos_embedding_groups": 2}  # fmt: skip
    tensors = {}
    for name, p in reference(data).named_parameters():
        name = name.replace("parametrizations.weight.original0", "weight_g").replace(
            "parametrizations.weight.original1", "weight_v")
        tensors[name] = torch.zeros(p.shape)
    save_file(tensors, str(tmp_path / "model.safetensors"))
    path = write(tmp_path, data)
    assert main(["verify", str(path), str(tmp_path / "model.safetensors"), "-f", "json"]) == 0
    matched = {e["name"]: e["checkpoint"] for e in json.loads(capsys.readouterr().out)["matched"]}
    assert matched["encoder.pos_conv_embed.conv.parametrizations.weight.original0"] == "encoder.pos_conv_embed.conv.weight_g"
    assert matched["encoder.pos_conv_embed.conv.parametrizations.weight.original1"] == "encoder.pos_conv_embed.conv.weight_v"
