"""llama.cpp's Qwen2-Audio audio mmproj (qwen2a), alone and with its qwen2 language model, counts exactly.

Reference: transformers 5.25's ``Qwen2AudioForConditionalGeneration`` of a small config on the meta device (whole and
per part). The mmproj is written as llama.cpp 0c1e57098's ``WhisperEncoderModel`` (``conversion/ultravox.py``, the
class registered for ``Qwen2AudioForConditionalGeneration``) writes it: ``MmprojModel``'s ``clip.audio.*`` keys
(``d_model``, ``encoder_ffn_dim``, ``encoder_layers``, ``encoder_attention_heads``; ``projection_dim`` the text
width), ``num_mel_bins``, projector type ``qwen2a``, the projector renamed ``audio.multi_modal_projector``, the
convolutions' biases as columns, every name through gguf-py's ``get_tensor_name_map(MODEL_ARCH.MMPROJ)`` from the
published names (``audio_tower.``, ``multi_modal_projector.linear``: ``mm.a.fc``); the language model as
``tests/gguf_files.py`` writes llama.cpp's ``qwen2`` (``Qwen2Model`` in ``conversion/qwen.py`` converts Qwen2-Audio's).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, gguf_name, write_case, write_header_only
from tests.test_gguf_mmproj import counted_alone, counted_whole, refused
from tests.test_gguf_mmproj_audio import part_counts

gguf = pytest.importorskip("gguf")

TEXT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2}  # fmt: skip
AUDIO = {"d_model": 32, "encoder_ffn_dim": 48, "encoder_layers": 2, "encoder_attention_heads": 2, "num_mel_bins": 16,
         "max_source_positions": 20}  # fmt: skip


def qwen2_audio(tie: bool = False):
    """Qwen2AudioForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    config = transformers.Qwen2AudioConfig(text_config={**TEXT, "model_type": "qwen2", "tie_word_embeddings": tie},
                                           audio_config=AUDIO, architectures=["Qwen2AudioForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def write_mmproj(model, config, path: Path, drop: str = "") -> dict[str, tuple[int, ...]]:
    """The qwen2a mmproj of ``model``'s encoder and projector, as WhisperEncoderModel writes it (less ``drop``)."""
    audio = config.audio_config
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, max(audio.encoder_layers, 3))
    tensors: dict[str, tuple[int, ...]] = {}
    for name, p in model.named_parameters():
        if not name.startswith(("model.audio_tower.", "model.multi_modal_projector.")):
            continue
        hf, shape = name.removeprefix("model."), tuple(p.shape)
        hf = "audio." + hf if hf.startswith("multi_modal_projector") else hf  # WhisperEncoderModel.filter_tensors
        shape = (*shape, 1) if hf.endswith(("conv1.bias", "conv2.bias")) else shape  # unsqueeze(-1)
        tensors[gguf_name(names, hf)] = shape
    tensors.pop(drop, None)
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_type(gguf.GGUFType.MMPROJ)
    writer.add_file_type(0)
    writer.add_clip_has_audio_encoder(True)
    writer.add_audio_projection_dim(config.text_config.hidden_size)
    writer.add_audio_embedding_length(audio.d_model)
    writer.add_audio_feed_forward_length(audio.encoder_ffn_dim)
    writer.add_audio_block_count(audio.encoder_layers)
    writer.add_audio_head_count(audio.encoder_attention_heads)
    writer.add_clip_projector_type(gguf.VisionProjectorType.QWEN2A)
    writer.add_audio_num_mel_bins(audio.num_mel_bins)
    writer.add_audio_attention_layernorm_eps(1e-5)
    write_header_only(writer, path, tensors)
    return tensors


def test_a_qwen2a_mmproj_names_every_tensor_of_the_encoder_and_projector(tmp_path):
    """gguf-py names the projector ``mm.a.fc`` and the encoder's tensors under ``a.``: none is left unmapped."""
    model, config = qwen2_audio()
    tensors = write_mmproj(model, config, tmp_path / "mmproj.gguf")
    assert "mm.a.fc.weight" in tensors and "a.position_embd.weight" in tensors
    assert all(name.startswith(("a.", "mm.a.fc.")) for name in tensors)


def test_a_qwen2a_mmproj_counts_its_encoder_and_projector(tmp_path, capsys):
    model, config = qwen2_audio()
    parts = part_counts(model)
    path = tmp_path / "mmproj-Qwen2-Audio-7B-Instruct-f16.gguf"
    tensors = write_mmproj(model, config, path)
    row = counted_alone(capsys, path, tensors)
    assert row["total_params"] == parts["audio"] + parts["projector"]
    assert row["parts"] == {"audio": parts["audio"], "projector": parts["projector"]}


def test_a_folder_with_the_qwen2a_mmproj_counts_the_whole_qwen2_audio(tmp_path, capsys):
    """Untied, as the published Qwen2-Audio-7B-Instruct (``tie_word_embeddings`` false in its config.json)."""
    tie = False
    model, config = qwen2_audio(tie)
    parts = part_counts(model)
    write_case(Case("qwen2", "qwen2", "Qwen2ForCausalLM", {**TEXT, "tie_word_embeddings": tie}),
               tmp_path / "Qwen2-Audio-7B-Instruct-Q8_0.gguf")
    write_mmproj(model, config, tmp_path / "mmproj-Qwen2-Audio-7B-Instruct-f16.gguf")
    row = counted_whole(capsys, tmp_path, "qwen2_audio")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    assert row["parts"] == parts


def test_a_qwen2a_mmproj_without_its_position_table_is_refused(tmp_path, capsys):
    model, config = qwen2_audio()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path, drop="a.position_embd.weight")
    refused(capsys, path, "a.position_embd.weight: missing")
