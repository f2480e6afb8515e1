"""llama.cpp's Voxtral audio mmproj (voxtral), alone and with its llama language model, counts exactly.

Reference: transformers 5.25's ``VoxtralForConditionalGeneration`` of a small config on the meta device (whole and
per part). The mmproj is written as llama.cpp 0c1e57098's ``VoxtralWhisperEncoderModel`` (``conversion/ultravox.py``)
writes it: ``MmprojModel``'s ``clip.audio.*`` keys, ``num_mel_bins``, projector type ``voxtral``, stack factor 4, the
projector renamed ``audio.multi_modal_projector``, the convolutions' biases as columns, every name through gguf-py's
``get_tensor_name_map(MODEL_ARCH.MMPROJ)`` from the published names (``audio_tower.``, ``multi_modal_projector.``);
the language model as ``tests/gguf_files.py`` writes llama.cpp's ``llama`` (``LlamaModel`` converts Voxtral's).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, gguf_name, write_case, write_header_only
from tests.test_gguf_mmproj import counted_alone, counted_whole, parts_by_prefix, refused

gguf = pytest.importorskip("gguf")

TEXT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16}  # fmt: skip
AUDIO = {"hidden_size": 32, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
         "num_mel_bins": 16, "max_source_positions": 20}  # fmt: skip


def voxtral(tie: bool = False):
    """VoxtralForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    config = transformers.VoxtralConfig(text_config={**TEXT, "model_type": "llama", "tie_word_embeddings": tie},
                                        audio_config=AUDIO, architectures=["VoxtralForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def part_counts(model) -> dict[str, int]:
    """transformers' parameters per part: audio encoder, projector, the rest the language model."""
    return parts_by_prefix(model, {"audio": "model.audio_tower.", "projector": "model.multi_modal_projector."})


def write_mmproj(model, config, path: Path, stack: int = 4) -> dict[str, tuple[int, ...]]:
    """The voxtral mmproj of ``model``'s encoder and projector, as VoxtralWhisperEncoderModel writes it."""
    audio = config.audio_config
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, max(audio.num_hidden_layers, 3))
    tensors: dict[str, tuple[int, ...]] = {}
    for name, p in model.named_parameters():
        if not name.startswith(("model.audio_tower.", "model.multi_modal_projector.")):
            continue
        hf, shape = name.removeprefix("model."), tuple(p.shape)
        hf = "audio." + hf if hf.startswith("multi_modal_projector") else hf  # WhisperEncoderModel.filter_tensors
        shape = (*shape, 1) if hf.endswith(("conv1.bias", "conv2.bias")) else shape  # unsqueeze(-1)
        tensors[gguf_name(names, hf)] = shape
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_type(gguf.GGUFType.MMPROJ)
    writer.add_file_type(0)
    writer.add_clip_has_audio_encoder(True)
    writer.add_audio_projection_dim(config.text_config.hidden_size)
    writer.add_audio_embedding_length(audio.hidden_size)
    writer.add_audio_feed_forward_length(audio.intermediate_size)
    writer.add_audio_block_count(audio.num_hidden_layers)
    writer.add_audio_head_count(audio.num_attention_heads)
    writer.add_clip_projector_type("voxtral")
    writer.add_audio_num_mel_bins(audio.num_mel_bins)
    writer.add_audio_attention_layernorm_eps(1e-5)
    writer.add_audio_stack_factor(stack)
    write_header_only(writer, path, tensors)
    return tensors


def test_a_voxtral_mmproj_counts_its_encoder_and_projector(tmp_path, capsys):
    model, config = voxtral()
    parts = part_counts(model)
    path = tmp_path / "mmproj-Voxtral-Mini-3B-2507-f16.gguf"
    tensors = write_mmproj(model, config, path)
    row = counted_alone(capsys, path, tensors)
    assert row["total_params"] == parts["audio"] + parts["projector"]
    assert row["parts"] == {"audio": parts["audio"], "projector": parts["projector"]}


def test_a_folder_with_the_voxtral_mmproj_counts_the_whole_voxtral(tmp_path, capsys):
    """Untied, as the published Voxtral-Mini-3B-2507 (transformers' Voxtral ties nothing: a tied file is warned of)."""
    tie = False
    model, config = voxtral(tie)
    parts = part_counts(model)
    write_case(Case("llama", "llama", "LlamaForCausalLM", {**TEXT, "tie_word_embeddings": tie},
                    lambda c: {"attention.key_length": 16, "attention.value_length": 16}), tmp_path / "Voxtral-Q8_0.gguf")
    write_mmproj(model, config, tmp_path / "mmproj-Voxtral-f16.gguf")
    row = counted_whole(capsys, tmp_path, "voxtral")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    assert row["parts"] == parts


def test_a_voxtral_stack_factor_the_projector_contradicts_is_refused(tmp_path, capsys):
    model, config = voxtral()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path, stack=2)
    refused(capsys, path, "clip.audio.projector.stack_factor: 2 frames of width 32")
